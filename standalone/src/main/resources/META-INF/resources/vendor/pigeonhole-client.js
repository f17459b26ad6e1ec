// @pigeonhole/client 0.1.0: clients/web/src bundled by `npm run bundle` (esbuild). Generated: do not edit;
// clients/web's npm test fails when this file differs from a fresh build.

// src/backoff.ts
var Backoff = class {
  constructor(minMs, maxMs, random = Math.random) {
    this.minMs = minMs;
    this.maxMs = maxMs;
    this.random = random;
  }
  minMs;
  maxMs;
  random;
  attempt = 0;
  /** The next wait, in ms; each call widens the range until reset(). */
  next() {
    const ceiling = Math.min(this.maxMs, this.minMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    return Math.floor(this.random() * ceiling);
  }
  /** The server answered: start over from the smallest range. */
  reset() {
    this.attempt = 0;
  }
};

// src/link.ts
var PING = '{"type":"ping"}';
var Link = class {
  constructor(o) {
    this.o = o;
  }
  o;
  ws;
  timer;
  stopped = false;
  end;
  get open() {
    return this.ws !== void 0 && this.ws.readyState === 1;
  }
  /** Connects unless a socket exists or a reconnect is already scheduled. */
  start() {
    if (this.stopped || this.ws || this.timer) return;
    void this.connect();
  }
  /** A hint that the network is back: a reconnect waiting for its backoff happens now. */
  nudge() {
    if (this.stopped || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = void 0;
    void this.connect();
  }
  send(frame) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }
  /** The server answered: the next reconnect starts from the smallest backoff. */
  answered() {
    this.o.backoff.reset();
  }
  /** Closes the socket (1000) without waiting for the server's answer; `onClose` decides what follows. */
  close(reason = "client closing") {
    this.end?.(1e3, reason);
  }
  /** Closes for good. */
  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = void 0;
    this.end?.(1e3, "client stopped");
  }
  async connect() {
    this.timer = void 0;
    let url;
    try {
      url = await this.o.url();
    } catch {
      this.schedule();
      return;
    }
    if (this.stopped || this.ws) return;
    const ws = new this.o.WebSocket(url);
    this.ws = ws;
    let watchdog;
    let pinger;
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => finish(1006, "silent for two ping intervals"), 2 * this.o.pingIntervalMs);
    };
    const finish = (code, reason) => {
      if (this.end !== finish) return;
      this.end = void 0;
      clearTimeout(watchdog);
      clearInterval(pinger);
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = () => void 0;
      if (code === 1e3) {
        try {
          ws.close(1e3, reason);
        } catch {
        }
      }
      if (ws.terminate) ws.terminate();
      else if (code !== 1e3) ws.close();
      this.ws = void 0;
      const next = this.o.onClose(code, reason);
      if (next === "stop") this.stopped = true;
      else if (next === "reconnect") this.schedule();
    };
    this.end = finish;
    alive();
    ws.onopen = () => {
      alive();
      pinger = setInterval(() => {
        try {
          ws.send(PING);
        } catch {
        }
      }, this.o.pingIntervalMs);
      this.o.onOpen();
    };
    ws.onmessage = (ev) => {
      alive();
      if (typeof ev.data !== "string") return;
      let frame;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== "object" || Array.isArray(frame)) return;
      if (frame.type === "pong") return;
      this.o.onFrame(frame);
    };
    ws.onclose = (ev) => finish(ev.code, ev.reason);
    ws.onerror = () => void 0;
  }
  schedule() {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => void this.connect(), this.o.backoff.next());
  }
};

// src/tabs.ts
function tabsPlatform(tabs) {
  if (tabs === false) return void 0;
  const o = typeof tabs === "object" ? tabs : {};
  const g = globalThis;
  const locks = o.locks ?? g.navigator?.locks;
  const BC = o.BroadcastChannel ?? g.BroadcastChannel;
  if (!locks || !BC) return void 0;
  return { locks, BroadcastChannel: BC, name: o.name };
}

// src/client.ts
var FOLLOWER_FETCH_TIMEOUT_MS = 15e3;
var ENTRY_KINDS = /* @__PURE__ */ new Set(["message", "receipt", "undelivered", "shadow_delta", "shadow_documents"]);
function fetchError(message, code) {
  return Object.assign(new Error(message), code ? { code } : {});
}
var PigeonholeClient = class {
  o;
  onOnline = () => {
    this.inbox.nudge();
    if (this.queue.length > 0) this.sender.nudge();
  };
  handlers = {};
  inbox;
  sender;
  conn = { epoch: null, ackable: 0, acked: 0, writes: Promise.resolve() };
  queue = [];
  blocked = false;
  holdUntil = 0;
  holdTimer;
  idleTimer;
  sendWrites = Promise.resolve();
  inboxWrites = Promise.resolve();
  deliveredLocal = 0;
  lastDelivered;
  delivering;
  deliverAgain = false;
  state = "offline";
  stopped = false;
  released = false;
  started = false;
  // tabs (undefined: one instance, as before tabs existed)
  tabs;
  role = "single";
  channel;
  lockAbort;
  releaseLock;
  /** The durable delivered marker as this instance knows it (moved only by the leader). */
  durableLocal = 0;
  /** Ids answered finally whose removal from the outbox is not committed yet (a refill must not queue them again). */
  finished = /* @__PURE__ */ new Set();
  fetching;
  refusal;
  fetches = Promise.resolve();
  remoteFetches = /* @__PURE__ */ new Map();
  constructor(options) {
    if (options.newest !== void 0 && (!Number.isInteger(options.newest) || options.newest < 0)) {
      throw new RangeError("newest must be a non-negative integer (0: off)");
    }
    this.tabs = tabsPlatform(options.tabs);
    this.o = {
      WebSocket: globalThis.WebSocket,
      pingIntervalMs: 15e3,
      backoffMinMs: 500,
      backoffMaxMs: 3e4,
      sendIdleTimeoutMs: 1e4,
      newId: () => crypto.randomUUID(),
      ...options
    };
    const common = { WebSocket: this.o.WebSocket, pingIntervalMs: this.o.pingIntervalMs };
    this.inbox = new Link({
      ...common,
      backoff: new Backoff(this.o.backoffMinMs, this.o.backoffMaxMs),
      url: () => this.inboxUrl(),
      onOpen: () => void 0,
      // online once the server speaks (backlog), not at the handshake
      onFrame: (f) => this.onInboxFrame(f),
      onClose: (code, reason) => this.onInboxClose(code, reason)
    });
    this.sender = new Link({
      ...common,
      backoff: new Backoff(this.o.backoffMinMs, this.o.backoffMaxMs),
      url: async () => this.url("/v1/send", new URLSearchParams()),
      onOpen: () => this.pump(),
      onFrame: (f) => this.onSendFrame(f),
      onClose: (code, reason) => this.onSendClose(code, reason)
    });
  }
  on(event, handler) {
    const list = this.handlers[event] ??= [];
    list.push(handler);
    return () => list.splice(list.indexOf(handler), 1);
  }
  /** The connection state; in a follower tab, the leader's. */
  get connectionState() {
    return this.state;
  }
  /** `single` (no tabs), `leader` (this tab holds the sockets) or `follower` (another tab does, or none yet). */
  get tabRole() {
    return this.role;
  }
  /** Loads the outbox and the delivery marker, opens the inbox, sends what is queued, hands over what is stored. */
  async start() {
    if (this.started) return;
    this.started = true;
    this.deliveredLocal = await this.o.store.delivered();
    this.durableLocal = this.deliveredLocal;
    if (this.tabs) return this.startTab();
    this.queue = (await this.o.store.outbox()).map((msg) => ({ msg, inFlight: false }));
    this.hintSource()?.addEventListener("online", this.onOnline);
    this.setState("connecting");
    this.inbox.start();
    this.pump();
    this.deliver();
  }
  /** Stores the message in the outbox and resolves with its id; it is sent whenever a connection exists. */
  async send(to, body) {
    if (body === null || body === void 0) throw new TypeError("body must not be null");
    const msg = { id: this.o.newId(), to, body, queuedAt: Date.now() };
    await this.o.store.enqueue(msg);
    if (!this.stopped) {
      if (this.role === "follower") this.post({ t: "outbox" });
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
  async history(options = {}) {
    const limit = options.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
    if (!this.o.store.entriesBefore) throw new TypeError("this store cannot list its history (no entriesBefore)");
    return this.o.store.entriesBefore(options.before ?? null, limit);
  }
  /**
   * Reads the server's stored entries `from`..`to` outside the live sequence, e.g. the range a newest-first catch-up
   * skipped (`backlog` event, `skipped`). Resolves with one page at most (its `to` says how far it got; entries below
   * its `oldest` are gone); the entries are not stored, not handed to the listener and do not move the position.
   * Rejects while the inbox is not connected. Several calls are answered one after the other; in a follower tab the
   * leader asks for it.
   */
  fetch(from, to) {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 1 || to < from) {
      return Promise.reject(new RangeError("need integers 1 <= from <= to"));
    }
    if (this.stopped) return Promise.reject(fetchError("client closed"));
    if (this.role === "follower") return this.fetchThroughLeader(from, to);
    const page = this.fetches.then(() => this.fetchOne(from, to));
    this.fetches = page.catch(() => void 0);
    return page;
  }
  /** The messages still waiting for the server's final answer, oldest first (read from the store: works offline). */
  pending() {
    return this.o.store.outbox();
  }
  /**
   * Sends a read marker (the user has seen everything up to `seq`; senders get `read` receipts). Advisory, as in the
   * Java SDK: false (nothing sent) while the inbox is not connected or `seq` is beyond what this connection may mark.
   */
  markRead(seq) {
    if (this.role === "follower") {
      if (this.stopped || this.state !== "online" || !Number.isInteger(seq) || seq < 1) return false;
      this.post({ t: "read", seq });
      return true;
    }
    const c = this.conn;
    if (this.state !== "online" || !Number.isInteger(seq) || seq < 1 || seq > c.ackable) return false;
    return this.inbox.send({ type: "read", seq });
  }
  /** Closes both sockets; lets the listener finish its entry (up to 1 s); what is stored stays for the next start. */
  async close() {
    this.stop();
    let timer;
    await Promise.race([this.delivering ?? Promise.resolve(), new Promise((r) => timer = setTimeout(r, 1e3))]);
    clearTimeout(timer);
    this.released = true;
    await Promise.allSettled([this.sendWrites, this.inboxWrites]);
    if (this.tabs) {
      if (this.role === "leader") this.post({ t: "leaving" });
      this.releaseLock?.();
      this.releaseLock = void 0;
      this.channel?.close();
      this.channel = void 0;
    }
  }
  // ---- tabs
  startTab() {
    const t = this.tabs;
    this.role = "follower";
    this.emit("role", "follower");
    this.channel = new t.BroadcastChannel(this.channelName());
    this.channel.onmessage = (ev) => this.onTabMessage(ev.data);
    this.setState("connecting");
    this.post({ t: "hello" });
    this.post({ t: "outbox" });
    this.deliver();
    this.lockAbort = new AbortController();
    t.locks.request(this.channelName(), { mode: "exclusive", signal: this.lockAbort.signal }, () => {
      if (this.stopped) return void 0;
      return new Promise((release) => {
        this.releaseLock = release;
        void this.lead();
      });
    }).catch(() => void 0);
  }
  channelName() {
    const t = this.tabs;
    return t.name ?? `pigeonhole ${JSON.stringify([this.o.server, this.o.user, this.o.device, this.o.store.name ?? ""])}`;
  }
  /** This tab holds the lock: it starts the links from the stored position and sends the shared outbox. */
  async lead() {
    try {
      const durable = await this.o.store.delivered();
      if (this.stopped) return;
      this.durableLocal = durable;
      this.queue = [];
      this.role = "leader";
      this.emit("role", "leader");
      for (const f of this.remoteFetches.values()) f.reject(fetchError("the leader tab changed; fetch again"));
      this.remoteFetches.clear();
      const marker = Math.max(this.durableLocal, this.deliveredLocal);
      if (marker > 0 && (this.lastDelivered?.local ?? 0) < marker) {
        const [e] = await this.o.store.entriesAfter(marker - 1, 1);
        if (e && e.local === marker) this.lastDelivered = e;
      }
      if (this.stopped) return;
      this.hintSource()?.addEventListener("online", this.onOnline);
      if (this.state === "connecting") this.post({ t: "state", state: "connecting" });
      else this.setState("connecting");
      this.refill();
      await this.sendWrites;
      if (this.stopped) return;
      this.inbox.start();
      this.pump();
      this.deliver();
    } catch (e) {
      this.emit("error", e);
    }
  }
  /** Queues what the outbox holds and the queue does not (sent from other tabs, or left by an earlier leader). */
  refill() {
    this.sendWrites = this.sendWrites.then(async () => {
      if (this.role !== "leader" || this.stopped) return;
      const stored = await this.o.store.outbox();
      const queued = new Set(this.queue.map((q) => q.msg.id));
      let added = false;
      for (const msg of stored) {
        if (queued.has(msg.id) || this.finished.has(msg.id)) continue;
        this.queue.push({ msg, inFlight: false });
        added = true;
      }
      if (added) this.pump();
    }).catch((e) => this.emit("error", e));
  }
  post(m) {
    try {
      this.channel?.postMessage({ v: 1, ...m });
    } catch (e) {
      this.emit("error", e);
    }
  }
  onTabMessage(m) {
    if (!m || typeof m !== "object" || m.v !== 1) return;
    if (this.stopped) {
      if (this.role === "leader" && this.refusal && m.t === "hello") this.post({ t: "refused", value: this.refusal });
      return;
    }
    if (this.role === "leader") {
      switch (m.t) {
        case "hello":
          this.post({ t: "state", state: this.state });
          return;
        case "outbox":
          this.refill();
          return;
        case "read":
          this.markRead(m.seq);
          return;
        case "fetch":
          this.fetch(m.from, m.to).then(
            (page) => this.post({ t: "fetched", rid: m.rid, page }),
            (e) => this.post({ t: "fetched", rid: m.rid, error: String(e?.message ?? e), code: e?.code })
          );
          return;
        default:
          return;
      }
    }
    switch (m.t) {
      case "state":
        this.setState(m.state);
        return;
      case "send":
        this.emit("send", m.value);
        return;
      case "stored":
        this.deliver();
        return;
      case "backlog":
        this.emit("backlog", m.frame);
        return;
      case "caughtUp":
        this.emit("caughtUp", m.frame);
        return;
      case "resync":
        this.emit("resync", { reason: m.reason });
        return;
      case "refused":
        this.stop();
        this.emit("refused", m.value);
        return;
      case "fetched": {
        const f = this.remoteFetches.get(m.rid);
        if (!f) return;
        this.remoteFetches.delete(m.rid);
        if (m.page) f.resolve(m.page);
        else f.reject(fetchError(m.error ?? "fetch failed", m.code));
        return;
      }
      case "leaving":
        this.setState("connecting");
        for (const f of this.remoteFetches.values()) f.reject(fetchError("the leader tab closed; fetch again"));
        this.remoteFetches.clear();
        return;
      default:
        return;
    }
  }
  fetchThroughLeader(from, to) {
    if (this.state !== "online") return Promise.reject(fetchError("the inbox is not connected"));
    const rid = this.o.newId();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.remoteFetches.delete(rid);
        reject(fetchError("the leader tab did not answer the fetch"));
      }, FOLLOWER_FETCH_TIMEOUT_MS);
      const done2 = (f) => (v) => {
        clearTimeout(timer);
        f(v);
      };
      this.remoteFetches.set(rid, { resolve: done2(resolve), reject: done2(reject) });
      this.post({ t: "fetch", rid, from, to });
    });
  }
  /** One fetch frame on the inbox socket, answered by `history` (or `error`, or the connection's end). */
  fetchOne(from, to) {
    if (this.stopped) return Promise.reject(fetchError("client closed"));
    if (this.state !== "online" || !this.inbox.send({ type: "fetch", from, to })) {
      return Promise.reject(fetchError("the inbox is not connected"));
    }
    return new Promise((resolve, reject) => this.fetching = { resolve, reject });
  }
  endFetch(e) {
    const f = this.fetching;
    this.fetching = void 0;
    f?.reject(e);
  }
  // ---- sending
  /** Sends what may go: everything unsent, in order, unless a retryable refusal holds the queue. */
  pump() {
    if (this.stopped || !this.started || this.role === "follower") return;
    clearTimeout(this.idleTimer);
    if (this.queue.length === 0) {
      this.idleTimer = setTimeout(() => this.queue.length === 0 && this.sender.close("idle"), this.o.sendIdleTimeoutMs);
      return;
    }
    if (!this.sender.open) {
      this.sender.start();
      return;
    }
    if (this.blocked) {
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
      if (!this.sender.send({ type: "send", id: q.msg.id, to: q.msg.to, body: q.msg.body })) return;
      q.inFlight = true;
    }
  }
  onSendFrame(f) {
    if (f.type !== "accepted" && f.type !== "rejected") return;
    this.sender.answered();
    const i = this.queue.findIndex((q2) => q2.msg.id === f.id);
    if (i < 0) return;
    const q = this.queue[i];
    if (f.type === "rejected" && f.retryable === true) {
      q.inFlight = false;
      this.blocked = true;
      const after = typeof f.retryAfterMs === "number" ? f.retryAfterMs : 0;
      this.holdUntil = Math.max(this.holdUntil, Date.now() + after);
      this.pump();
      return;
    }
    this.queue.splice(i, 1);
    this.finished.add(q.msg.id);
    const state = f.type === "accepted" ? { id: q.msg.id, state: "accepted" } : { id: q.msg.id, state: "rejected", code: String(f.code), message: String(f.message ?? "") };
    this.sendWrites = this.sendWrites.then(() => this.o.store.remove(q.msg.id)).then(
      () => {
        this.finished.delete(q.msg.id);
        this.emit("send", state);
        this.post({ t: "send", value: state });
      },
      (e) => {
        this.finished.delete(q.msg.id);
        this.emit("error", e);
      }
    );
    if (this.queue.length === 0 || this.blocked) this.pump();
  }
  onSendClose(code, reason) {
    for (const q of this.queue) q.inFlight = false;
    this.blocked = this.holdUntil > Date.now();
    if (this.refusedCode(code)) {
      this.refuse("send", code, reason);
      return "stop";
    }
    return this.queue.length > 0 && !this.stopped ? "reconnect" : "idle";
  }
  // ---- receiving
  async inboxUrl() {
    await this.inboxWrites;
    const position = await this.o.store.position();
    const q = new URLSearchParams();
    if (position) {
      q.set("after", String(position.after));
      if (position.epoch !== null) q.set("epoch", String(position.epoch));
    }
    if (this.o.newest !== void 0 && this.o.newest > 0) q.set("newest", String(this.o.newest));
    this.conn = { epoch: null, ackable: position?.after ?? 0, acked: 0, writes: Promise.resolve() };
    return this.url("/v1/inbox", q);
  }
  onInboxFrame(f) {
    const conn = this.conn;
    const frame = f;
    if (f.type === "backlog") {
      conn.epoch = typeof f.epoch === "number" ? f.epoch : 0;
      this.inbox.answered();
      this.setState("online");
      this.emit("backlog", frame);
      this.post({ t: "backlog", frame });
      this.sendAck();
    } else if (ENTRY_KINDS.has(frame.type) && typeof f.seq === "number") {
      this.store(conn, { seq: f.seq, epoch: conn.epoch ?? 0, kind: frame.type, frame });
    } else if (f.type === "gap" && typeof f.to === "number") {
      this.store(conn, { seq: f.to, epoch: conn.epoch ?? 0, kind: "gap", frame });
    } else if (f.type === "caught_up") {
      conn.writes.then(() => {
        this.emit("caughtUp", frame);
        this.post({ t: "caughtUp", frame });
      }, () => void 0);
    } else if (f.type === "history" && this.fetching) {
      const f2 = this.fetching;
      this.fetching = void 0;
      const entries = Array.isArray(f.entries) ? f.entries : [];
      f2.resolve({ from: Number(f.from), to: Number(f.to), oldest: Number(f.oldest), entries });
    } else if (f.type === "error" && this.fetching && (f.code === "rate_limited" || f.code === "unavailable")) {
      this.endFetch(fetchError(`fetch refused: ${String(f.code)}: ${String(f.message ?? "")}`, String(f.code)));
    }
  }
  /** Stores the entry with the position after it (one transaction), then hands it to the listener. */
  store(conn, entry) {
    conn.writes = conn.writes.then(async () => {
      await this.o.store.receive([entry], { after: entry.seq, epoch: conn.epoch });
      if (conn === this.conn) conn.ackable = Math.max(conn.ackable, entry.seq);
      this.deliver();
      this.post({ t: "stored" });
    });
    conn.writes.catch((e) => {
      this.emit("error", e);
      if (conn === this.conn) this.inbox.close("store failed");
    });
    this.inboxWrites = conn.writes.catch(() => void 0);
  }
  onInboxClose(code, reason) {
    this.endFetch(fetchError(`the inbox connection closed (${code})`));
    if (this.stopped) return "stop";
    if (code === 4102) {
      this.inboxWrites = this.inboxWrites.then(() => this.o.store.setPosition({ after: 0, epoch: null }));
      this.emit("resync", { reason });
      this.post({ t: "resync", reason });
    } else if (this.refusedCode(code)) {
      this.refuse("inbox", code, reason);
      return "stop";
    }
    this.setState("offline");
    return "reconnect";
  }
  /** Hands stored entries after the delivery marker to the listener, one at a time, in store order. */
  deliver() {
    if (this.delivering) {
      this.deliverAgain = true;
      return;
    }
    this.delivering = (async () => {
      do {
        this.deliverAgain = false;
        if (this.role === "leader" && this.durableLocal < this.deliveredLocal) {
          await this.o.store.setDelivered(this.deliveredLocal);
          this.durableLocal = this.deliveredLocal;
        }
        for (; ; ) {
          const batch = await this.o.store.entriesAfter(this.deliveredLocal, 64);
          if (batch.length === 0) break;
          for (const entry of batch) {
            if (this.stopped) return;
            try {
              await this.hand(entry);
            } catch (e) {
              this.emit("error", e);
            }
            if (this.released) return;
            if (this.role !== "follower" && entry.local > this.durableLocal) {
              await this.o.store.setDelivered(entry.local);
              this.durableLocal = entry.local;
            }
            this.deliveredLocal = entry.local;
            if (entry.local > (this.lastDelivered?.local ?? 0)) this.lastDelivered = entry;
          }
          this.sendAck();
        }
      } while (this.deliverAgain && !this.stopped);
    })().catch((e) => this.emit("error", e)).finally(() => {
      this.delivering = void 0;
    });
  }
  async hand(entry) {
    const l = this.o.listener;
    const f = entry.frame;
    if (!l) return;
    switch (entry.kind) {
      case "message":
        return l.onMessage?.(f);
      case "receipt":
        return l.onReceipt?.(f);
      case "undelivered":
        return l.onUndelivered?.(f);
      case "gap":
        if (f.reason !== "superseded") return l.onGap?.(Number(f.from), Number(f.to), String(f.reason));
        return;
      default:
        return l.onEntry?.(f);
    }
  }
  /** Cumulative ack of the last handled entry, if this connection may ack it (same history, delivered or resumed). */
  sendAck() {
    const e = this.lastDelivered;
    const c = this.conn;
    if (!e || c.epoch === null || e.epoch !== c.epoch || e.seq > c.ackable || e.seq <= c.acked) return;
    if (this.inbox.send({ type: "ack", seq: e.seq })) c.acked = e.seq;
  }
  // ---- common
  url(path, q) {
    if (this.o.token) q.set("access_token", this.o.token);
    q.set("user", this.o.user);
    q.set("device", this.o.device);
    return `${this.o.server.replace(/\/$/, "")}${path}?${q}`;
  }
  refusedCode(code) {
    return code >= 4100 && code <= 4199 && code !== 4102;
  }
  refuse(endpoint, code, reason) {
    if (this.stopped) return;
    this.stop();
    this.refusal = { endpoint, code, reason };
    this.emit("refused", this.refusal);
    this.post({ t: "refused", value: this.refusal });
  }
  hintSource() {
    if (this.o.hints) return this.o.hints;
    const g = globalThis;
    return typeof g.addEventListener === "function" ? g : void 0;
  }
  stop() {
    this.hintSource()?.removeEventListener("online", this.onOnline);
    this.stopped = true;
    clearTimeout(this.holdTimer);
    clearTimeout(this.idleTimer);
    this.inbox.stop();
    this.sender.stop();
    this.endFetch(fetchError("client closed"));
    for (const f of this.remoteFetches.values()) f.reject(fetchError("client closed"));
    this.remoteFetches.clear();
    if (this.role === "follower") this.lockAbort?.abort();
    this.setState("stopped");
  }
  setState(s) {
    if (this.state === s || this.state === "stopped" && s !== "stopped") return;
    this.state = s;
    this.emit("state", s);
    if (this.role === "leader" && s !== "stopped") this.post({ t: "state", state: s });
  }
  emit(event, value) {
    for (const h of [...this.handlers[event] ?? []]) {
      try {
        h(value);
      } catch (e) {
        if (event !== "error") this.emit("error", e);
      }
    }
  }
};

// src/idb-store.ts
var VERSION = 1;
function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error("transaction aborted"));
  });
}
function result(req) {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}
var IdbStore = class _IdbStore {
  constructor(db) {
    this.db = db;
  }
  db;
  /** The database's name. */
  get name() {
    return this.db.name;
  }
  /** Opens (creating if needed) the database `name`; `factory` defaults to the platform's indexedDB. */
  static async open(name, factory = globalThis.indexedDB) {
    const req = factory.open(name, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore("outbox", { keyPath: "n", autoIncrement: true }).createIndex("id", "id", { unique: true });
      db.createObjectStore("inbox", { keyPath: "local", autoIncrement: true });
      db.createObjectStore("meta");
    };
    return new _IdbStore(await result(req));
  }
  async enqueue(message) {
    const tx = this.db.transaction("outbox", "readwrite", { durability: "strict" });
    const { n: _ignored, ...row } = message;
    tx.objectStore("outbox").add(row);
    await done(tx);
  }
  async outbox() {
    return result(this.db.transaction("outbox").objectStore("outbox").getAll());
  }
  async remove(id) {
    const tx = this.db.transaction("outbox", "readwrite", { durability: "strict" });
    const store = tx.objectStore("outbox");
    const key = await result(store.index("id").getKey(id));
    if (key !== void 0) store.delete(key);
    await done(tx);
  }
  async receive(entries, position) {
    const tx = this.db.transaction(["inbox", "meta"], "readwrite", { durability: "strict" });
    const committed = done(tx);
    try {
      const inbox = tx.objectStore("inbox");
      for (const { local: _ignored, ...row } of entries) inbox.add(row);
      tx.objectStore("meta").put(position, "position");
    } catch (e) {
      tx.abort();
      committed.catch(() => void 0);
      throw e;
    }
    await committed;
  }
  async position() {
    const p = await result(this.db.transaction("meta").objectStore("meta").get("position"));
    return p ?? null;
  }
  async setPosition(position) {
    const tx = this.db.transaction("meta", "readwrite", { durability: "strict" });
    tx.objectStore("meta").put(position, "position");
    await done(tx);
  }
  async entriesAfter(local, limit) {
    const range = IDBKeyRange.lowerBound(local, true);
    return result(this.db.transaction("inbox").objectStore("inbox").getAll(range, limit));
  }
  async entriesBefore(before, limit) {
    const range = before === null ? null : IDBKeyRange.upperBound(before, true);
    const req = this.db.transaction("inbox").objectStore("inbox").openCursor(range, "prev");
    const out = [];
    return new Promise((resolve, reject) => {
      req.onsuccess = () => {
        const cursor = req.result;
        if (cursor && out.length < limit) {
          out.push(cursor.value);
          cursor.continue();
        } else resolve(out.reverse());
      };
      req.onerror = () => reject(req.error);
    });
  }
  async delivered() {
    return await result(this.db.transaction("meta").objectStore("meta").get("delivered")) ?? 0;
  }
  async setDelivered(local) {
    const tx = this.db.transaction("meta", "readwrite");
    tx.objectStore("meta").put(local, "delivered");
    await done(tx);
  }
  async close() {
    this.db.close();
  }
};
export {
  Backoff,
  IdbStore,
  Link,
  PigeonholeClient
};
