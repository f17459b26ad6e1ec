// The heartbeat and silence watchdog of a Link, on a fake socket whose answers to ping frames the test controls.
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, Link } from '../dist/index.js';

/**
 * A socket with a browser's surface (no WebSocket ping): `pongs` says whether the peer answers ping frames; with
 * `wsPing` it also has `ws`'s ping()/on() (Node), which the Link must not rely on.
 */
function fakeSocket({ pongs, wsPing = false }) {
  return class FakeSocket {
    static last;
    readyState = 0;
    onopen = null; onmessage = null; onclose = null; onerror = null;
    sent = [];
    wsPings = 0;
    terminated = false;
    constructor(url) {
      this.url = url;
      FakeSocket.last = this;
      if (wsPing) {
        this.ping = () => { this.wsPings++; };
        this.on = () => undefined;
      }
      setTimeout(() => { this.readyState = 1; this.onopen?.({}); }, 1);
    }
    send(data) {
      this.sent.push(data);
      if (pongs && data === '{"type":"ping"}') setTimeout(() => this.onmessage?.({ data: '{"type":"pong"}' }), 1);
    }
    close() { this.readyState = 3; }
    terminate() { this.readyState = 3; this.terminated = true; }
  };
}

const links = [];
afterEach(() => links.splice(0).forEach((l) => l.stop())); // a failed test leaves no timer running

function link(WebSocket, closes, frames = []) {
  const l = new Link({
    WebSocket,
    url: async () => 'ws://127.0.0.1:1/v1/inbox',
    pingIntervalMs: 100,
    backoff: new Backoff(10, 10),
    onOpen: () => undefined,
    onFrame: (f) => frames.push(f),
    onClose: (code, reason) => { closes.push({ code, reason, at: Date.now() }); return 'idle'; },
  });
  links.push(l);
  return l;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('a silent peer is declared dead after two ping intervals, without waiting for a close handshake', async () => {
  const closes = [];
  const Socket = fakeSocket({ pongs: false });
  const started = Date.now();
  const l = link(Socket, closes);
  l.start();
  await sleep(400);
  l.stop();
  assert.equal(closes.length, 1);
  const after = closes[0].at - started;
  assert.ok(after >= 195 && after < 350, `declared dead after ${after} ms`);
  assert.equal(closes[0].code, 1006);
  assert.ok(Socket.last.sent.includes('{"type":"ping"}'), 'it sent a ping frame');
  assert.ok(Socket.last.terminated, 'the socket was dropped at once');
});

test('a peer that answers ping frames stays connected; pongs are not handed on as frames', async () => {
  const closes = [];
  const frames = [];
  const Socket = fakeSocket({ pongs: true });
  const l = link(Socket, closes, frames);
  l.start();
  await sleep(600);
  assert.equal(closes.length, 0);
  assert.ok(l.open);
  const pings = Socket.last.sent.filter((d) => d === '{"type":"ping"}').length;
  assert.ok(pings >= 4 && pings <= 7, `${pings} pings in 600 ms at 100 ms`);
  assert.deepEqual(frames, []);
  l.stop();
  assert.equal(closes[0].code, 1000);
});

test('any inbound frame counts as life', async () => {
  const closes = [];
  const frames = [];
  const Socket = fakeSocket({ pongs: false });
  const l = link(Socket, closes, frames);
  l.start();
  const feed = setInterval(() => Socket.last.onmessage?.({ data: '{"type":"receipt","seq":1}' }), 80);
  await sleep(500);
  clearInterval(feed);
  assert.equal(closes.length, 0);
  assert.ok(frames.length >= 4);
  l.stop();
});

test('WebSocket pings are never used, even where the socket has them (the browser path everywhere)', async () => {
  const closes = [];
  const Socket = fakeSocket({ pongs: false, wsPing: true });
  const l = link(Socket, closes);
  l.start();
  await sleep(400);
  l.stop();
  assert.equal(Socket.last.wsPings, 0);
  assert.equal(closes[0].code, 1006, 'no pong frame: dead, whatever WebSocket pings would have said');
});
