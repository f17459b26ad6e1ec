// One endpoint's connection: at most one socket at a time, reconnected with backoff, watched by a heartbeat of
// ping frames ({"type":"ping"}, answered by {"type":"pong"}: docs/protocol.md, Liveness).
import { Backoff } from './backoff.js';

/** What the SDK needs of a WebSocket: the platform's (browsers) or one with the same shape (`ws` in Node). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((ev: any) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: any) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  /** Node's `ws`: drop without a close handshake. WebSocket pings are never used, even where they exist. */
  terminate?: () => void;
}

const PING = '{"type":"ping"}';

export type SocketFactory = new (url: string) => SocketLike;

/** After a close: connect again (with backoff), stay down until start(), or stop for good. */
export type AfterClose = 'reconnect' | 'idle' | 'stop';

export interface LinkOptions {
  WebSocket: SocketFactory;
  url: () => Promise<string>;
  pingIntervalMs: number;
  backoff: Backoff;
  onOpen: () => void;
  onFrame: (frame: Record<string, unknown>) => void;
  onClose: (code: number, reason: string) => AfterClose;
}

export class Link {
  private ws: SocketLike | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private end: ((code: number, reason: string) => void) | undefined;

  constructor(private readonly o: LinkOptions) {}

  get open(): boolean {
    return this.ws !== undefined && this.ws.readyState === 1;
  }

  /** Connects unless a socket exists or a reconnect is already scheduled. */
  start(): void {
    if (this.stopped || this.ws || this.timer) return;
    void this.connect();
  }

  /** A hint that the network is back: a reconnect waiting for its backoff happens now. */
  nudge(): void {
    if (this.stopped || !this.timer) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    void this.connect();
  }

  send(frame: object): boolean {
    if (!this.open) return false;
    this.ws!.send(JSON.stringify(frame));
    return true;
  }

  /** The server answered: the next reconnect starts from the smallest backoff. */
  answered(): void {
    this.o.backoff.reset();
  }

  /** Closes the socket (1000) without waiting for the server's answer; `onClose` decides what follows. */
  close(reason = 'client closing'): void {
    this.end?.(1000, reason);
  }

  /** Closes for good. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.end?.(1000, 'client stopped');
  }

  private async connect(): Promise<void> {
    this.timer = undefined;
    let url: string;
    try {
      url = await this.o.url();
    } catch {
      this.schedule();
      return;
    }
    if (this.stopped || this.ws) return;
    const ws = new this.o.WebSocket(url);
    this.ws = ws;
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    let pinger: ReturnType<typeof setInterval> | undefined;
    // Two intervals without any inbound frame mean a dead connection. A ping frame every interval makes the server
    // answer (pong), so a quiet healthy connection is never that silent; the same on every platform (DESIGN.md).
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => finish(1006, 'silent for two ping intervals'), 2 * this.o.pingIntervalMs);
    };
    const finish = (code: number, reason: string) => {
      if (this.end !== finish) return;
      this.end = undefined;
      clearTimeout(watchdog);
      clearInterval(pinger);
      ws.onopen = ws.onmessage = ws.onclose = null;
      ws.onerror = () => undefined; // `ws` reports closing a socket still connecting as an error event
      if (code === 1000) {
        try {
          ws.close(1000, reason);
        } catch {
          // not open yet
        }
      }
      // never wait for a close handshake: a half-open peer would not answer it
      if (ws.terminate) ws.terminate();
      else if (code !== 1000) ws.close();
      this.ws = undefined;
      const next = this.o.onClose(code, reason);
      if (next === 'stop') this.stopped = true;
      else if (next === 'reconnect') this.schedule();
    };
    this.end = finish;
    alive();
    ws.onopen = () => {
      alive();
      pinger = setInterval(() => {
        try {
          ws.send(PING);
        } catch {
          // not open any more: the close event follows
        }
      }, this.o.pingIntervalMs);
      this.o.onOpen();
    };
    ws.onmessage = (ev) => {
      alive();
      if (typeof ev.data !== 'string') return;
      let frame: unknown;
      try {
        frame = JSON.parse(ev.data);
      } catch {
        return;
      }
      if (!frame || typeof frame !== 'object' || Array.isArray(frame)) return;
      if ((frame as Record<string, unknown>).type === 'pong') return; // its arrival was the point
      this.o.onFrame(frame as Record<string, unknown>);
    };
    ws.onclose = (ev) => finish(ev.code, ev.reason);
    ws.onerror = () => undefined; // a close event follows
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => void this.connect(), this.o.backoff.next());
  }
}
