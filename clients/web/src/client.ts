// PigeonholeClient: the Java SDK's model (client/DESIGN.md) for browsers. Two links (/v1/send, /v1/inbox), an
// outbox and an inbox store behind the Store interface, a listener fed from the store at least once.
import { Backoff } from './backoff.js';
import { Link, type SocketFactory } from './link.js';
import type { Outgoing, Store, StoredEntry } from './store.js';

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
  error: unknown;
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
}

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

export class PigeonholeClient {
  private readonly o: Required<Omit<ClientOptions, 'token' | 'listener' | 'hints'>> &
    Pick<ClientOptions, 'token' | 'listener' | 'hints'>;
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

  constructor(options: ClientOptions) {
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

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Loads the outbox and the delivery marker, opens the inbox, sends what is queued, hands over what is stored. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.deliveredLocal = await this.o.store.delivered();
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
      this.queue.push({ msg, inFlight: false });
      this.pump();
    }
    return msg.id;
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
  }

  // ---- sending

  /** Sends what may go: everything unsent, in order, unless a retryable refusal holds the queue. */
  private pump(): void {
    if (this.stopped || !this.started) return;
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
    const state: SendState =
      f.type === 'accepted'
        ? { id: q.msg.id, state: 'accepted' }
        : { id: q.msg.id, state: 'rejected', code: String(f.code), message: String(f.message ?? '') };
    // the outbox forgets it before the app hears of it
    this.sendWrites = this.sendWrites
      .then(() => this.o.store.remove(q.msg.id))
      .then(() => this.emit('send', state), (e) => this.emit('error', e));
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
      this.sendAck();
    } else if (ENTRY_KINDS.has(frame.type) && typeof f.seq === 'number') {
      this.store(conn, { seq: f.seq, epoch: conn.epoch ?? 0, kind: frame.type, frame });
    } else if (f.type === 'gap' && typeof f.to === 'number') {
      this.store(conn, { seq: f.to, epoch: conn.epoch ?? 0, kind: 'gap', frame });
    } else if (f.type === 'caught_up') {
      conn.writes.then(() => this.emit('caughtUp', frame), () => undefined);
    }
    // other frames (history, error, shadow answers, newer types) are not handled by this slice
  }

  /** Stores the entry with the position after it (one transaction), then hands it to the listener. */
  private store(conn: InboxConn, entry: StoredEntry): void {
    conn.writes = conn.writes.then(async () => {
      await this.o.store.receive([entry], { after: entry.seq, epoch: conn.epoch });
      if (conn === this.conn) conn.ackable = Math.max(conn.ackable, entry.seq);
      this.deliver();
    });
    conn.writes.catch((e) => {
      // not stored: drop the connection; the position stayed, so the entries come again
      this.emit('error', e);
      if (conn === this.conn) this.inbox.close('store failed');
    });
    this.inboxWrites = conn.writes.catch(() => undefined);
  }

  private onInboxClose(code: number, reason: string): 'reconnect' | 'idle' | 'stop' {
    if (this.stopped) return 'stop';
    if (code === 4102) {
      this.inboxWrites = this.inboxWrites.then(() => this.o.store.setPosition({ after: 0, epoch: null }));
      this.emit('resync', { reason });
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
            await this.o.store.setDelivered(entry.local!);
            this.deliveredLocal = entry.local!;
            this.lastDelivered = entry;
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
    this.emit('refused', { endpoint, code, reason });
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
    this.setState('stopped');
  }

  private setState(s: ConnectionState): void {
    if (this.state === s || (this.state === 'stopped' && s !== 'stopped')) return;
    this.state = s;
    this.emit('state', s);
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
