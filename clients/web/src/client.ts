// PigeonholeClient: the Java SDK's model (client/DESIGN.md) for browsers. Two links (/v1/send, /v1/inbox), an
// outbox and an inbox store behind the Store interface, a listener fed from the store at least once.
import { Backoff } from './backoff.js';
import { Link, type SocketFactory } from './link.js';
import type { Outgoing, Store, StoredEntry } from './store.js';
import { type ChannelLike, type Role, type TabsOptions, tabsPlatform } from './tabs.js';

export type ConnectionState = 'connecting' | 'online' | 'offline' | 'stopped';

/** Inbox entry frames as the server sends them (unknown fields kept). */
export type Frame = Record<string, unknown> & { type: string };

/** Called for every inbox entry, in store order, at least once; the entry counts as handled when it returns. */
export interface Listener {
  onMessage?(frame: Frame): void | Promise<void>;
  onReceipt?(frame: Frame): void | Promise<void>;
  onUndelivered?(frame: Frame): void | Promise<void>;
  /** Entries `from`..`to` are lost (not called for `superseded`: nothing was lost). */
  onGap?(from: number, to: number, reason: string): void | Promise<void>;
  /** Any other entry kind (shadow_delta, shadow_documents, newer kinds). */
  onEntry?(frame: Frame): void | Promise<void>;
}

export type SendState =
  | { id: string; state: 'accepted' }
  | { id: string; state: 'rejected'; code: string; message: string };

export interface ClientEvents {
  state: ConnectionState;
  send: SendState;
  backlog: Frame;
  caughtUp: Frame;
  /** A close code 4100–4199 other than 4102: the client stopped and will not reconnect. */
  refused: { endpoint: 'send' | 'inbox'; code: number; reason: string };
  /** 4102: the inbox was rebuilt; the position was reset and the client reconnects with after=0. */
  resync: { reason: string };
  /** With tabs: this instance took over the sockets (`leader`) or waits for them (`follower`). */
  role: Role;
  error: unknown;
}

/** One page of `fetch`: the stored entries of `from`..`to` the server still has (`to`: how far the page got). */
export interface HistoryPage {
  from: number;
  to: number;
  /** Entries below it are gone from the server. */
  oldest: number;
  /** Entry frames (`message`, `receipt`, …) in seq order; not stored locally, not handed to the listener. */
  entries: Frame[];
}

export interface ClientOptions {
  /** Base URL, e.g. `ws://127.0.0.1:8080`. */
  server: string;
  user: string;
  device: string;
  /** A bearer token (sent as `access_token`: browsers cannot set headers on a WebSocket). */
  token?: string;
  store: Store;
  listener?: Listener;
  /** Defaults to the platform's WebSocket. */
  WebSocket?: SocketFactory;
  pingIntervalMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** The send socket closes after this long with an empty outbox. */
  sendIdleTimeoutMs?: number;
  newId?: () => string;
  /**
   * Where `online` events come from (default: the page, `globalThis`, if it has addEventListener). Only a hint: an
   * `online` event cuts a reconnect's backoff short; `offline` is ignored (the watchdog and close events decide).
   */
  hints?: EventTarget;
  /**
   * Several tabs of one app (DESIGN.md, "Tabs"): one instance per device and database holds the sockets, the others
   * send and receive through it. Default: on where `navigator.locks` and `BroadcastChannel` exist (browsers); `false`:
   * this instance always holds the sockets itself (one tab, or a Node process).
   */
  tabs?: boolean | TabsOptions;
  /**
   * Newest-first catch-up: when more than this many entries wait, each connection streams only the newest ones and
   * the `backlog` event's `skipped` names the older range (read it with `fetch`). Default: off.
   */
  newest?: number;
}

/** A tab's follower waits this long for the leader's answer to a `fetch`. */
const FOLLOWER_FETCH_TIMEOUT_MS = 15_000;

const ENTRY_KINDS = new Set(['message', 'receipt', 'undelivered', 'shadow_delta', 'shadow_documents']);

interface Queued {
  msg: Outgoing;
  inFlight: boolean;
}

/** What one inbox connection has seen: its epoch and the highest seq it may ack. */
interface InboxConn {
  epoch: number | null;
  ackable: number;
  acked: number;
  writes: Promise<void>;
}

/** Messages between the tabs of one device (BroadcastChannel); `v` lets a newer version ignore an older one. */
type TabMessage =
  // follower -> leader
  | { t: 'hello' }
  | { t: 'outbox' }
  | { t: 'read'; seq: number }
  | { t: 'fetch'; rid: string; from: number; to: number }
  // leader -> followers
  | { t: 'state'; state: ConnectionState }
  | { t: 'send'; value: SendState }
  | { t: 'stored' }
  | { t: 'backlog'; frame: Frame }
  | { t: 'caughtUp'; frame: Frame }
  | { t: 'resync'; reason: string }
  | { t: 'refused'; value: ClientEvents['refused'] }
  | { t: 'fetched'; rid: string; page?: HistoryPage; error?: string; code?: string }
  | { t: 'leaving' };

interface Fetching {
  resolve: (page: HistoryPage) => void;
  reject: (e: Error) => void;
}

function fetchError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}

export class PigeonholeClient {
  private readonly o: Required<Omit<ClientOptions, 'token' | 'listener' | 'hints' | 'tabs' | 'newest'>> &
    Pick<ClientOptions, 'token' | 'listener' | 'hints' | 'tabs' | 'newest'>;
  private readonly onOnline = () => {
    this.inbox.nudge();
    if (this.queue.length > 0) this.sender.nudge();
  };
  private readonly handlers: { [K in keyof ClientEvents]?: Array<(v: ClientEvents[K]) => void> } = {};
  private readonly inbox: Link;
  private readonly sender: Link;
  private conn: InboxConn = { epoch: null, ackable: 0, acked: 0, writes: Promise.resolve() };
  private queue: Queued[] = [];
  private blocked = false;
  private holdUntil = 0;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private sendWrites: Promise<void> = Promise.resolve();
  private inboxWrites: Promise<void> = Promise.resolve();
  private deliveredLocal = 0;
  private lastDelivered: StoredEntry | undefined;
  private delivering: Promise<void> | undefined;
  private deliverAgain = false;
  private state: ConnectionState = 'offline';
  private stopped = false;
  private released = false;
  private started = false;
  // tabs (undefined: one instance, as before tabs existed)
  private readonly tabs: ReturnType<typeof tabsPlatform>;
  private role: Role = 'single';
  private channel: ChannelLike | undefined;
  private lockAbort: AbortController | undefined;
  private releaseLock: (() => void) | undefined;
  /** The durable delivered marker as this instance knows it (moved only by the leader). */
  private durableLocal = 0;
  /** Ids answered finally whose removal from the outbox is not committed yet (a refill must not queue them again). */
  private readonly finished = new Set<string>();
  private fetching: Fetching | undefined;
  private refusal: ClientEvents['refused'] | undefined;
  private fetches: Promise<unknown> = Promise.resolve();
  private readonly remoteFetches = new Map<string, Fetching>();

  constructor(options: ClientOptions) {
    if (options.newest !== undefined && (!Number.isInteger(options.newest) || options.newest < 0)) {
      throw new RangeError('newest must be a non-negative integer (0: off)');
    }
    this.tabs = tabsPlatform(options.tabs);
    this.o = {
      WebSocket: globalThis.WebSocket as unknown as SocketFactory,
      pingIntervalMs: 15_000,
      backoffMinMs: 500,
      backoffMaxMs: 30_000,
      sendIdleTimeoutMs: 10_000,
      newId: () => crypto.randomUUID(),
      ...options,
    };
    const common = { WebSocket: this.o.WebSocket, pingIntervalMs: this.o.pingIntervalMs };
    this.inbox = new Link({
      ...common,
      backoff: new Backoff(this.o.backoffMinMs, this.o.backoffMaxMs),
      url: () => this.inboxUrl(),
      onOpen: () => undefined, // online once the server speaks (backlog), not at the handshake
      onFrame: (f) => this.onInboxFrame(f),
      onClose: (code, reason) => this.onInboxClose(code, reason),
    });
    this.sender = new Link({
      ...common,
      backoff: new Backoff(this.o.backoffMinMs, this.o.backoffMaxMs),
      url: async () => this.url('/v1/send', new URLSearchParams()),
      onOpen: () => this.pump(),
      onFrame: (f) => this.onSendFrame(f),
      onClose: (code, reason) => this.onSendClose(code, reason),
    });
  }

  on<K extends keyof ClientEvents>(event: K, handler: (value: ClientEvents[K]) => void): () => void {
    const list = (this.handlers[event] ??= []) as Array<(v: ClientEvents[K]) => void>;
    list.push(handler);
    return () => list.splice(list.indexOf(handler), 1);
  }

  /** The connection state; in a follower tab, the leader's. */
  get connectionState(): ConnectionState {
    return this.state;
  }

  /** `single` (no tabs), `leader` (this tab holds the sockets) or `follower` (another tab does, or none yet). */
  get tabRole(): Role {
    return this.role;
  }

  /** Loads the outbox and the delivery marker, opens the inbox, sends what is queued, hands over what is stored. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.deliveredLocal = await this.o.store.delivered();
    this.durableLocal = this.deliveredLocal;
    if (this.tabs) return this.startTab();
    this.queue = (await this.o.store.outbox()).map((msg) => ({ msg, inFlight: false }));
    this.hintSource()?.addEventListener('online', this.onOnline);
    this.setState('connecting');
    this.inbox.start();
    this.pump();
    this.deliver();
  }

  /** Stores the message in the outbox and resolves with its id; it is sent whenever a connection exists. */
  async send(to: string, body: unknown): Promise<string> {
    if (body === null || body === undefined) throw new TypeError('body must not be null');
    const msg: Outgoing = { id: this.o.newId(), to, body, queuedAt: Date.now() };
    await this.o.store.enqueue(msg);
    if (!this.stopped) {
      if (this.role === 'follower') this.post({ t: 'outbox' }); // the leader reads the outbox and sends it
      else if (!this.finished.has(msg.id) && !this.queue.some((q) => q.msg.id === msg.id)) {
        this.queue.push({ msg, inFlight: false });
        this.pump();
      }
    }
    return msg.id;
  }

  /**
   * The newest `limit` (default 50) entries of the local store before the local id `before` (default: the newest),
   * oldest first: messages, receipts, undelivered, gaps, shadow entries, whether or not the listener had them yet.
   * Reads only the local database: works offline, in every tab, before `start()`. Page back with
   * `before: page[0].local`.
   */
  async history(options: { limit?: number; before?: number } = {}): Promise<StoredEntry[]> {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be a positive integer');
    if (!this.o.store.entriesBefore) throw new TypeError('this store cannot list its history (no entriesBefore)');
    return this.o.store.entriesBefore(options.before ?? null, limit);
  }

  /**
   * Reads the server's stored entries `from`..`to` outside the live sequence, e.g. the range a newest-first catch-up
   * skipped (`backlog` event, `skipped`). Resolves with one page at most (its `to` says how far it got; entries below
   * its `oldest` are gone); the entries are not stored, not handed to the listener and do not move the position.
   * Rejects while the inbox is not connected. Several calls are answered one after the other; in a follower tab the
   * leader asks for it.
   */
  fetch(from: number, to: number): Promise<HistoryPage> {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < from) {
      return Promise.reject(new RangeError('need integers 1 <= from <= to'));
    }
    if (this.stopped) return Promise.reject(fetchError('client closed'));
    if (this.role === 'follower') return this.fetchThroughLeader(from, to);
    const page = this.fetches.then(() => this.fetchOne(from, to));
    this.fetches = page.catch(() => undefined);
    return page;
  }

  /** The messages still waiting for the server's final answer, oldest first (read from the store: works offline). */
  pending(): Promise<Outgoing[]> {
    return this.o.store.outbox();
  }

  /**
   * Sends a read marker (the user has seen everything up to `seq`; senders get `read` receipts). Advisory, as in the
   * Java SDK: false (nothing sent) while the inbox is not connected or `seq` is beyond what this connection may mark.
   */
  markRead(seq: number): boolean {
    if (this.role === 'follower') {
      // forwarded to the leader, which checks it against its connection
      if (this.stopped || this.state !== 'online' || !Number.isInteger(seq) || seq < 1) return false;
      this.post({ t: 'read', seq });
      return true;
    }
    const c = this.conn;
    if (this.state !== 'online' || !Number.isInteger(seq) || seq < 1 || seq > c.ackable) return false;
    return this.inbox.send({ type: 'read', seq });
  }

  /** Closes both sockets; lets the listener finish its entry (up to 1 s); what is stored stays for the next start. */
  async close(): Promise<void> {
    this.stop();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.delivering ?? Promise.resolve(), new Promise((r) => (timer = setTimeout(r, 1000)))]);
    clearTimeout(timer);
    this.released = true;
    await Promise.allSettled([this.sendWrites, this.inboxWrites]);
    if (this.tabs) {
      // the sockets are closed and every write is done: another tab may take over
      if (this.role === 'leader') this.post({ t: 'leaving' });
      this.releaseLock?.();
      this.releaseLock = undefined;
      this.channel?.close();
      this.channel = undefined;
    }
  }

  // ---- tabs

  private startTab(): void {
    const t = this.tabs!;
    this.role = 'follower';
    this.emit('role', 'follower');
    this.channel = new t.BroadcastChannel(this.channelName());
    this.channel.onmessage = (ev) => this.onTabMessage(ev.data as TabMessage);
    this.setState('connecting');
    this.post({ t: 'hello' });
    this.post({ t: 'outbox' }); // sends made before start()
    this.deliver();
    this.lockAbort = new AbortController();
    t.locks
      .request(this.channelName(), { mode: 'exclusive', signal: this.lockAbort.signal }, () => {
        if (this.stopped) return undefined;
        return new Promise<void>((release) => {
          this.releaseLock = release;
          void this.lead();
        });
      })
      .catch(() => undefined); // aborted by close()
  }

  private channelName(): string {
    const t = this.tabs!;
    return t.name ?? `pigeonhole ${JSON.stringify([this.o.server, this.o.user, this.o.device, this.o.store.name ?? ''])}`;
  }

  /** This tab holds the lock: it starts the links from the stored position and sends the shared outbox. */
  private async lead(): Promise<void> {
    try {
      // the marker as the previous leader left it (read before this tab's delivery loop may write it)
      const durable = await this.o.store.delivered();
      if (this.stopped) return;
      this.durableLocal = durable;
      this.queue = []; // a follower's queue means nothing: the outbox in the store is the truth (refill below)
      this.role = 'leader';
      this.emit('role', 'leader');
      for (const f of this.remoteFetches.values()) f.reject(fetchError('the leader tab changed; fetch again'));
      this.remoteFetches.clear();
      // ack again what the previous leader handled (its last ack may have died with it); allowed at or below `after`
      const marker = Math.max(this.durableLocal, this.deliveredLocal);
      if (marker > 0 && (this.lastDelivered?.local ?? 0) < marker) {
        const [e] = await this.o.store.entriesAfter(marker - 1, 1);
        if (e && e.local === marker) this.lastDelivered = e;
      }
      if (this.stopped) return;
      // the state was the leader's so far; from here on it is this tab's own, and the other tabs mirror it
      this.hintSource()?.addEventListener('online', this.onOnline);
      if (this.state === 'connecting') this.post({ t: 'state', state: 'connecting' });
      else this.setState('connecting');
      this.refill();
      await this.sendWrites;
      if (this.stopped) return;
      this.inbox.start();
      this.pump();
      this.deliver(); // moves the durable marker to what this tab's listener already handled
    } catch (e) {
      this.emit('error', e);
    }
  }

  /** Queues what the outbox holds and the queue does not (sent from other tabs, or left by an earlier leader). */
  private refill(): void {
    this.sendWrites = this.sendWrites
      .then(async () => {
        if (this.role !== 'leader' || this.stopped) return;
        const stored = await this.o.store.outbox();
        const queued = new Set(this.queue.map((q) => q.msg.id));
        let added = false;
        for (const msg of stored) {
          if (queued.has(msg.id) || this.finished.has(msg.id)) continue;
          this.queue.push({ msg, inFlight: false });
          added = true;
        }
        if (added) this.pump();
      })
      .catch((e) => this.emit('error', e));
  }

  private post(m: TabMessage): void {
    try {
      this.channel?.postMessage({ v: 1, ...m });
    } catch (e) {
      this.emit('error', e);
    }
  }

  private onTabMessage(m: TabMessage & { v?: number }): void {
    if (!m || typeof m !== 'object' || m.v !== 1) return;
    if (this.stopped) {
      // a refused leader keeps the lock until close(): a tab that starts meanwhile stops too
      if (this.role === 'leader' && this.refusal && m.t === 'hello') this.post({ t: 'refused', value: this.refusal });
      return;
    }
    if (this.role === 'leader') {
      switch (m.t) {
        case 'hello': this.post({ t: 'state', state: this.state }); return;
        case 'outbox': this.refill(); return;
        case 'read': this.markRead(m.seq); return;
        case 'fetch':
          this.fetch(m.from, m.to).then(
            (page) => this.post({ t: 'fetched', rid: m.rid, page }),
            (e) => this.post({ t: 'fetched', rid: m.rid, error: String(e?.message ?? e), code: e?.code }),
          );
          return;
        default: return; // a leader's message: late, from the tab this one took over from
      }
    }
    switch (m.t) {
      case 'state': this.setState(m.state); return;
      case 'send': this.emit('send', m.value); return;
      case 'stored': this.deliver(); return;
      case 'backlog': this.emit('backlog', m.frame); return;
      case 'caughtUp': this.emit('caughtUp', m.frame); return;
      case 'resync': this.emit('resync', { reason: m.reason }); return;
      case 'refused':
        this.stop();
        this.emit('refused', m.value);
        return;
      case 'fetched': {
        const f = this.remoteFetches.get(m.rid);
        if (!f) return;
        this.remoteFetches.delete(m.rid);
        if (m.page) f.resolve(m.page);
        else f.reject(fetchError(m.error ?? 'fetch failed', m.code));
        return;
      }
      case 'leaving':
        this.setState('connecting'); // the next tab in line takes over
        for (const f of this.remoteFetches.values()) f.reject(fetchError('the leader tab closed; fetch again'));
        this.remoteFetches.clear();
        return;
      default: return;
    }
  }

  private fetchThroughLeader(from: number, to: number): Promise<HistoryPage> {
    if (this.state !== 'online') return Promise.reject(fetchError('the inbox is not connected'));
    const rid = this.o.newId();
    return new Promise<HistoryPage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.remoteFetches.delete(rid);
        reject(fetchError('the leader tab did not answer the fetch'));
      }, FOLLOWER_FETCH_TIMEOUT_MS);
      const done = <T>(f: (v: T) => void) => (v: T) => {
        clearTimeout(timer);
        f(v);
      };
      this.remoteFetches.set(rid, { resolve: done(resolve), reject: done(reject) });
      this.post({ t: 'fetch', rid, from, to });
    });
  }

  /** One fetch frame on the inbox socket, answered by `history` (or `error`, or the connection's end). */
  private fetchOne(from: number, to: number): Promise<HistoryPage> {
    if (this.stopped) return Promise.reject(fetchError('client closed'));
    if (this.state !== 'online' || !this.inbox.send({ type: 'fetch', from, to })) {
      return Promise.reject(fetchError('the inbox is not connected'));
    }
    return new Promise<HistoryPage>((resolve, reject) => (this.fetching = { resolve, reject }));
  }

  private endFetch(e: Error): void {
    const f = this.fetching;
    this.fetching = undefined;
    f?.reject(e);
  }

  // ---- sending

  /** Sends what may go: everything unsent, in order, unless a retryable refusal holds the queue. */
  private pump(): void {
    if (this.stopped || !this.started || this.role === 'follower') return;
    clearTimeout(this.idleTimer);
    if (this.queue.length === 0) {
      this.idleTimer = setTimeout(() => this.queue.length === 0 && this.sender.close('idle'), this.o.sendIdleTimeoutMs);
      return;
    }
    if (!this.sender.open) {
      this.sender.start();
      return;
    }
    if (this.blocked) {
      // rate_limited / unavailable: resend oldest first once the wait passed and nothing is in flight
      const wait = this.holdUntil - Date.now();
      if (this.queue.some((q) => q.inFlight)) return;
      if (wait > 0) {
        clearTimeout(this.holdTimer);
        this.holdTimer = setTimeout(() => this.pump(), wait);
        return;
      }
      this.blocked = false;
    }
    for (const q of this.queue) {
      if (q.inFlight) continue;
      if (!this.sender.send({ type: 'send', id: q.msg.id, to: q.msg.to, body: q.msg.body })) return;
      q.inFlight = true;
    }
  }

  private onSendFrame(f: Record<string, unknown>): void {
    if (f.type !== 'accepted' && f.type !== 'rejected') return; // `error`: no id could be read; nothing to match
    this.sender.answered();
    const i = this.queue.findIndex((q) => q.msg.id === f.id);
    if (i < 0) return; // a repeated answer
    const q = this.queue[i];
    if (f.type === 'rejected' && f.retryable === true) {
      q.inFlight = false;
      this.blocked = true;
      const after = typeof f.retryAfterMs === 'number' ? f.retryAfterMs : 0;
      this.holdUntil = Math.max(this.holdUntil, Date.now() + after);
      this.pump();
      return;
    }
    this.queue.splice(i, 1);
    this.finished.add(q.msg.id);
    const state: SendState =
      f.type === 'accepted'
        ? { id: q.msg.id, state: 'accepted' }
        : { id: q.msg.id, state: 'rejected', code: String(f.code), message: String(f.message ?? '') };
    // the outbox forgets it before the app hears of it
    this.sendWrites = this.sendWrites
      .then(() => this.o.store.remove(q.msg.id))
      .then(
        () => {
          this.finished.delete(q.msg.id);
          this.emit('send', state);
          this.post({ t: 'send', value: state });
        },
        (e) => {
          this.finished.delete(q.msg.id);
          this.emit('error', e);
        },
      );
    if (this.queue.length === 0 || this.blocked) this.pump();
  }

  private onSendClose(code: number, reason: string): 'reconnect' | 'idle' | 'stop' {
    for (const q of this.queue) q.inFlight = false; // unanswered: may or may not be stored; sent again, same id
    this.blocked = this.holdUntil > Date.now(); // a retryAfterMs still running holds across a reconnect
    if (this.refusedCode(code)) {
      this.refuse('send', code, reason);
      return 'stop';
    }
    return this.queue.length > 0 && !this.stopped ? 'reconnect' : 'idle';
  }

  // ---- receiving

  private async inboxUrl(): Promise<string> {
    await this.inboxWrites; // a reset position (4102) must be stored first
    const position = await this.o.store.position();
    const q = new URLSearchParams();
    if (position) {
      q.set('after', String(position.after));
      if (position.epoch !== null) q.set('epoch', String(position.epoch));
    }
    if (this.o.newest !== undefined && this.o.newest > 0) q.set('newest', String(this.o.newest));
    this.conn = { epoch: null, ackable: position?.after ?? 0, acked: 0, writes: Promise.resolve() };
    return this.url('/v1/inbox', q);
  }

  private onInboxFrame(f: Record<string, unknown>): void {
    const conn = this.conn;
    const frame = f as Frame;
    if (f.type === 'backlog') {
      conn.epoch = typeof f.epoch === 'number' ? f.epoch : 0;
      this.inbox.answered();
      this.setState('online');
      this.emit('backlog', frame);
      this.post({ t: 'backlog', frame });
      this.sendAck();
    } else if (ENTRY_KINDS.has(frame.type) && typeof f.seq === 'number') {
      this.store(conn, { seq: f.seq, epoch: conn.epoch ?? 0, kind: frame.type, frame });
    } else if (f.type === 'gap' && typeof f.to === 'number') {
      this.store(conn, { seq: f.to, epoch: conn.epoch ?? 0, kind: 'gap', frame });
    } else if (f.type === 'caught_up') {
      conn.writes.then(() => {
        this.emit('caughtUp', frame);
        this.post({ t: 'caughtUp', frame });
      }, () => undefined);
    } else if (f.type === 'history' && this.fetching) {
      const f2 = this.fetching;
      this.fetching = undefined;
      const entries = Array.isArray(f.entries) ? (f.entries as Frame[]) : [];
      f2.resolve({ from: Number(f.from), to: Number(f.to), oldest: Number(f.oldest), entries });
    } else if (f.type === 'error' && this.fetching && (f.code === 'rate_limited' || f.code === 'unavailable')) {
      // the only client frame these answer on the inbox socket is a fetch
      this.endFetch(fetchError(`fetch refused: ${String(f.code)}: ${String(f.message ?? '')}`, String(f.code)));
    }
    // other frames (error, shadow answers, newer types) are not handled by this slice
  }

  /** Stores the entry with the position after it (one transaction), then hands it to the listener. */
  private store(conn: InboxConn, entry: StoredEntry): void {
    conn.writes = conn.writes.then(async () => {
      await this.o.store.receive([entry], { after: entry.seq, epoch: conn.epoch });
      if (conn === this.conn) conn.ackable = Math.max(conn.ackable, entry.seq);
      this.deliver();
      this.post({ t: 'stored' });
    });
    conn.writes.catch((e) => {
      // not stored: drop the connection; the position stayed, so the entries come again
      this.emit('error', e);
      if (conn === this.conn) this.inbox.close('store failed');
    });
    this.inboxWrites = conn.writes.catch(() => undefined);
  }

  private onInboxClose(code: number, reason: string): 'reconnect' | 'idle' | 'stop' {
    this.endFetch(fetchError(`the inbox connection closed (${code})`));
    if (this.stopped) return 'stop';
    if (code === 4102) {
      this.inboxWrites = this.inboxWrites.then(() => this.o.store.setPosition({ after: 0, epoch: null }));
      this.emit('resync', { reason });
      this.post({ t: 'resync', reason });
    } else if (this.refusedCode(code)) {
      this.refuse('inbox', code, reason);
      return 'stop';
    }
    this.setState('offline');
    return 'reconnect';
  }

  /** Hands stored entries after the delivery marker to the listener, one at a time, in store order. */
  private deliver(): void {
    if (this.delivering) {
      this.deliverAgain = true;
      return;
    }
    this.delivering = (async () => {
      do {
        this.deliverAgain = false;
        if (this.role === 'leader' && this.durableLocal < this.deliveredLocal) {
          // taken over: what this tab's listener handled as a follower is handled; the marker never moves back
          await this.o.store.setDelivered(this.deliveredLocal);
          this.durableLocal = this.deliveredLocal;
        }
        for (;;) {
          const batch = await this.o.store.entriesAfter(this.deliveredLocal, 64);
          if (batch.length === 0) break;
          for (const entry of batch) {
            if (this.stopped) return;
            try {
              await this.hand(entry);
            } catch (e) {
              this.emit('error', e); // counted as handled: one bad entry does not block the inbox
            }
            if (this.released) return; // close() stopped waiting: the store may be closed; it comes again next start
            // the durable marker and the acks belong to the instance holding the sockets (a follower only counts)
            if (this.role !== 'follower' && entry.local! > this.durableLocal) {
              await this.o.store.setDelivered(entry.local!);
              this.durableLocal = entry.local!;
            }
            this.deliveredLocal = entry.local!;
            if (entry.local! > (this.lastDelivered?.local ?? 0)) this.lastDelivered = entry;
          }
          this.sendAck();
        }
      } while (this.deliverAgain && !this.stopped);
    })()
      .catch((e) => this.emit('error', e))
      .finally(() => {
        this.delivering = undefined;
      });
  }

  private async hand(entry: StoredEntry): Promise<void> {
    const l = this.o.listener;
    const f = entry.frame as Frame;
    if (!l) return;
    switch (entry.kind) {
      case 'message': return l.onMessage?.(f);
      case 'receipt': return l.onReceipt?.(f);
      case 'undelivered': return l.onUndelivered?.(f);
      case 'gap':
        if (f.reason !== 'superseded') return l.onGap?.(Number(f.from), Number(f.to), String(f.reason));
        return;
      default: return l.onEntry?.(f);
    }
  }

  /** Cumulative ack of the last handled entry, if this connection may ack it (same history, delivered or resumed). */
  private sendAck(): void {
    const e = this.lastDelivered;
    const c = this.conn;
    if (!e || c.epoch === null || e.epoch !== c.epoch || e.seq > c.ackable || e.seq <= c.acked) return;
    if (this.inbox.send({ type: 'ack', seq: e.seq })) c.acked = e.seq;
  }

  // ---- common

  private url(path: string, q: URLSearchParams): string {
    if (this.o.token) q.set('access_token', this.o.token);
    q.set('user', this.o.user);
    q.set('device', this.o.device);
    return `${this.o.server.replace(/\/$/, '')}${path}?${q}`;
  }

  private refusedCode(code: number): boolean {
    return code >= 4100 && code <= 4199 && code !== 4102;
  }

  private refuse(endpoint: 'send' | 'inbox', code: number, reason: string): void {
    if (this.stopped) return;
    this.stop();
    this.refusal = { endpoint, code, reason };
    this.emit('refused', this.refusal);
    this.post({ t: 'refused', value: this.refusal }); // every tab stops; this one keeps the lock until close()
  }

  private hintSource(): EventTarget | undefined {
    if (this.o.hints) return this.o.hints;
    const g = globalThis as unknown as Partial<EventTarget>;
    return typeof g.addEventListener === 'function' ? (g as EventTarget) : undefined;
  }

  private stop(): void {
    this.hintSource()?.removeEventListener('online', this.onOnline);
    this.stopped = true;
    clearTimeout(this.holdTimer);
    clearTimeout(this.idleTimer);
    this.inbox.stop();
    this.sender.stop();
    this.endFetch(fetchError('client closed'));
    for (const f of this.remoteFetches.values()) f.reject(fetchError('client closed'));
    this.remoteFetches.clear();
    if (this.role === 'follower') this.lockAbort?.abort(); // a leader keeps the lock until close() ends
    this.setState('stopped');
  }

  private setState(s: ConnectionState): void {
    if (this.state === s || (this.state === 'stopped' && s !== 'stopped')) return;
    this.state = s;
    this.emit('state', s);
    // followers mirror the leader's state; a leader that stops tells them 'leaving' or 'refused' instead
    if (this.role === 'leader' && s !== 'stopped') this.post({ t: 'state', state: s });
  }

  private emit<K extends keyof ClientEvents>(event: K, value: ClientEvents[K]): void {
    for (const h of [...(this.handlers[event] ?? [])]) {
      try {
        (h as (v: ClientEvents[K]) => void)(value);
      } catch (e) {
        if (event !== 'error') this.emit('error', e);
      }
    }
  }
}
