// The heartbeat and silence watchdog of a Link, on a fake socket whose pongs the test controls.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, Link } from '../dist/index.js';

function fakeSocket({ canPing, answers }) {
  return class FakeSocket {
    static last;
    readyState = 0;
    onopen = null; onmessage = null; onclose = null; onerror = null;
    pings = 0;
    terminated = false;
    listeners = {};
    constructor(url) {
      this.url = url;
      FakeSocket.last = this;
      if (canPing) {
        this.ping = () => {
          this.pings++;
          if (answers) setTimeout(() => this.listeners.pong?.(), 1);
        };
      }
      setTimeout(() => { this.readyState = 1; this.onopen?.({}); }, 1);
    }
    on(event, fn) { this.listeners[event] = fn; }
    send() {}
    close() { this.readyState = 3; }
    terminate() { this.readyState = 3; this.terminated = true; }
  };
}

const links = [];
afterEach(() => links.splice(0).forEach((l) => l.stop())); // a failed test leaves no timer running

function link(WebSocket, closes) {
  const l = new Link({
    WebSocket,
    url: async () => 'ws://127.0.0.1:1/v1/inbox',
    pingIntervalMs: 100,
    backoff: new Backoff(10, 10),
    onOpen: () => undefined,
    onFrame: () => undefined,
    onClose: (code, reason) => { closes.push({ code, reason, at: Date.now() }); return 'idle'; },
  });
  links.push(l);
  return l;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('a silent peer is declared dead after two ping intervals, without waiting for a close handshake', async () => {
  const closes = [];
  const Socket = fakeSocket({ canPing: true, answers: false });
  const started = Date.now();
  const l = link(Socket, closes);
  l.start();
  await sleep(400);
  l.stop();
  assert.equal(closes.length, 1);
  const after = closes[0].at - started;
  assert.ok(after >= 195 && after < 350, `declared dead after ${after} ms`);
  assert.equal(closes[0].code, 1006);
  assert.ok(Socket.last.pings >= 1, 'it pinged');
  assert.ok(Socket.last.terminated, 'the socket was dropped at once');
});

test('a peer that answers pings stays connected', async () => {
  const closes = [];
  const l = link(fakeSocket({ canPing: true, answers: true }), closes);
  l.start();
  await sleep(600);
  assert.equal(closes.length, 0);
  assert.ok(l.open);
  l.stop();
  assert.equal(closes[0].code, 1000);
});

test('without ping support (a browser socket) no watchdog runs', async () => {
  const closes = [];
  const l = link(fakeSocket({ canPing: false }), closes);
  l.start();
  await sleep(500);
  assert.equal(closes.length, 0);
  l.stop();
});
