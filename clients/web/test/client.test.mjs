// The client against a small WebSocket server on 127.0.0.1 (the `ws` package), on an IndexedDB store.
import 'fake-indexeddb/auto';
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket, { WebSocketServer } from 'ws';
import { IdbStore, PigeonholeClient } from '../dist/index.js';

// Whatever a test opened is closed after it, also when it fails (an open socket would keep the test file running).
const opened = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
});
class Client extends PigeonholeClient {
  constructor(o) {
    super(o);
    opened.push(() => this.close());
  }
}

let dbCount = 0;
const newDb = () => `client-${process.pid}-${dbCount++}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(cond, ms = 5000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(10);
  }
}

/** A server whose connections the test scripts: `onConnection(ws, path, query)`; frames received are kept. */
async function server(onConnection) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const received = [];
  const connections = [];
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url, 'ws://127.0.0.1');
    connections.push({ path: url.pathname, query: Object.fromEntries(url.searchParams) });
    ws.on('message', (data) => received.push({ path: url.pathname, frame: JSON.parse(String(data)) }));
    onConnection(ws, url.pathname, url.searchParams);
  });
  const close = () => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); });
  opened.push(close);
  return { url: `ws://127.0.0.1:${wss.address().port}`, received, connections, close };
}

const idle = (ws, path) => {
  if (path === '/v1/inbox') {
    ws.send(JSON.stringify({ type: 'backlog', count: 0, head: 0, epoch: 7 }));
    ws.send(JSON.stringify({ type: 'caught_up', seq: 0, epoch: 7 }));
  }
};

const options = (url, store, more = {}) => ({ server: url, user: 'alice', device: 'phone', store, WebSocket, backoffMinMs: 20, backoffMaxMs: 100, ...more });

test('send resolves once the message is stored; a new client on the same database sends it with the same id', async () => {
  const db = newDb();
  let store = await IdbStore.open(db);
  // nobody listens on this port: the client stays offline
  const offline = new Client(options('ws://127.0.0.1:9', store));
  await offline.start();
  const id = await offline.send('bob', { text: 'hi' });
  assert.deepEqual((await store.outbox()).map((m) => m.id), [id]);
  await offline.close();
  await store.close();

  const srv = await server((ws, path) => {
    idle(ws, path);
    if (path === '/v1/send') ws.on('message', (d) => ws.send(JSON.stringify({ type: 'accepted', id: JSON.parse(String(d)).id })));
  });
  store = await IdbStore.open(db);
  const client = new Client(options(srv.url, store));
  const answers = [];
  client.on('send', (s) => answers.push(s));
  await client.start();
  await until(() => answers.length === 1);
  assert.deepEqual(answers, [{ id, state: 'accepted' }]);
  assert.deepEqual(srv.received.filter((r) => r.path === '/v1/send').map((r) => r.frame), [{ type: 'send', id, to: 'bob', body: { text: 'hi' } }]);
  assert.deepEqual(await client.pending(), []);
  await client.close();
  await store.close();
  await srv.close();
});

test('the listener gets each entry at least once: one not handled before close comes again first, and is acked', async () => {
  const db = newDb();
  const srv = await server((ws, path, q) => {
    if (path !== '/v1/inbox') return;
    const after = Number(q.get('after') ?? 0);
    ws.send(JSON.stringify({ type: 'backlog', count: 1, head: 1, epoch: 7 }));
    if (after < 1) ws.send(JSON.stringify({ type: 'message', seq: 1, id: 'm-1', from: 'bob', fromDevice: 'laptop', to: 'alice', body: { text: 'one' }, sentAt: 1, own: false }));
    ws.send(JSON.stringify({ type: 'caught_up', seq: 1, epoch: 7 }));
  });
  let store = await IdbStore.open(db);
  let handed = 0;
  const first = new Client(options(srv.url, store, { listener: { onMessage: () => { handed++; return new Promise(() => undefined); } } }));
  await first.start();
  await until(() => handed === 1);
  await first.close(); // the listener never returned: the entry stays unhandled
  assert.deepEqual(await store.position(), { after: 1, epoch: 7 }, 'stored with its position');
  assert.equal(srv.received.filter((r) => r.frame.type === 'ack').length, 0, 'not acked');
  await store.close();

  store = await IdbStore.open(db);
  const seen = [];
  const second = new Client(options(srv.url, store, { listener: { onMessage: (f) => { seen.push(f.id); } } }));
  await second.start();
  await until(() => srv.received.some((r) => r.frame.type === 'ack'));
  assert.deepEqual(seen, ['m-1']);
  assert.deepEqual(srv.connections.at(-1).query, { after: '1', epoch: '7', user: 'alice', device: 'phone' });
  assert.deepEqual(srv.received.filter((r) => r.frame.type === 'ack').map((r) => r.frame), [{ type: 'ack', seq: 1 }]);
  assert.equal(second.markRead(2), false, 'beyond what this connection may mark');
  assert.equal(second.markRead(1), true);
  await until(() => srv.received.some((r) => r.frame.type === 'read'));
  assert.deepEqual(srv.received.filter((r) => r.frame.type === 'read').map((r) => r.frame), [{ type: 'read', seq: 1 }]);
  await second.close();
  await store.close();
  await srv.close();
});

test('a close code 4100-4199 stops the client: refused reported, no reconnect; a token goes as access_token', async () => {
  const srv = await server((ws) => ws.close(4100, 'token expired'));
  const store = await IdbStore.open(newDb());
  const client = new Client(options(srv.url, store, { token: 'abc' }));
  const refused = [];
  const states = [];
  client.on('refused', (r) => refused.push(r));
  client.on('state', (s) => states.push(s));
  await client.start();
  await until(() => refused.length === 1);
  await sleep(300);
  assert.deepEqual(refused, [{ endpoint: 'inbox', code: 4100, reason: 'token expired' }]);
  assert.equal(srv.connections.length, 1);
  assert.equal(srv.connections[0].query.access_token, 'abc');
  assert.deepEqual(states, ['connecting', 'stopped']);
  await client.close();
  await store.close();
  await srv.close();
});

test('a retryAfterMs still running holds the resend across a reconnect', async () => {
  let refusedAt = 0;
  const sends = [];
  const srv = await server((ws, path) => {
    idle(ws, path);
    if (path !== '/v1/send') return;
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      sends.push({ id: f.id, at: Date.now() });
      if (sends.length === 1) {
        refusedAt = Date.now();
        ws.send(JSON.stringify({ type: 'rejected', id: f.id, code: 'rate_limited', message: 'wait', retryable: true, retryAfterMs: 400 }));
        setTimeout(() => ws.terminate(), 20); // and the connection dies
      } else {
        ws.send(JSON.stringify({ type: 'accepted', id: f.id }));
      }
    });
  });
  const store = await IdbStore.open(newDb());
  const client = new Client(options(srv.url, store));
  const answers = [];
  client.on('send', (s) => answers.push(s));
  await client.start();
  const id = await client.send('bob', { text: 'hi' });
  await until(() => answers.length === 1);
  assert.deepEqual(answers, [{ id, state: 'accepted' }]);
  assert.equal(sends.length, 2);
  assert.equal(sends[1].id, id, 'same id');
  assert.ok(sends[1].at - refusedAt >= 395, `resent ${sends[1].at - refusedAt} ms after the refusal`);
  assert.equal(srv.connections.filter((c) => c.path === '/v1/send').length, 2);
  await client.close();
  await store.close();
  await srv.close();
});

test("an 'online' event cuts a reconnect's backoff short", async () => {
  const first = await server(idle);
  const port = Number(new URL(first.url).port);
  await first.close(); // the port is free: connecting fails
  const hints = new EventTarget();
  const store = await IdbStore.open(newDb());
  const client = new Client(options(`ws://127.0.0.1:${port}`, store, { hints, backoffMinMs: 2_000_000_000, backoffMaxMs: 2_000_000_000 }));
  const states = [];
  client.on('state', (s) => states.push(s));
  await client.start();
  await until(() => states.includes('offline'));
  const wss = new WebSocketServer({ host: '127.0.0.1', port });
  await new Promise((r) => wss.once('listening', r));
  opened.push(() => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); }));
  wss.on('connection', (ws, req) => idle(ws, new URL(req.url, 'ws://x').pathname));
  await sleep(300);
  assert.ok(!states.includes('online'), 'still waiting for its (long) backoff');
  hints.dispatchEvent(new Event('online'));
  await until(() => states.includes('online'), 3000);
  await client.close();
  await store.close();
});

test('history() reads the local store, newest pages first, offline and before start()', async () => {
  const db = newDb();
  const srv = await server((ws, path) => {
    if (path !== '/v1/inbox') return;
    ws.send(JSON.stringify({ type: 'backlog', count: 4, head: 4, epoch: 7 }));
    for (let seq = 1; seq <= 3; seq++) ws.send(JSON.stringify({ type: 'message', seq, id: `m-${seq}`, from: 'bob', fromDevice: 'laptop', to: 'alice', body: { text: `${seq}` }, sentAt: seq, own: false }));
    ws.send(JSON.stringify({ type: 'receipt', seq: 4, by: 'bob', status: 'read', messages: [], at: 4 }));
    ws.send(JSON.stringify({ type: 'caught_up', seq: 4, epoch: 7 }));
  });
  let store = await IdbStore.open(db);
  let client = new Client(options(srv.url, store));
  await client.start();
  await until(() => srv.received.some((r) => r.frame.type === 'ack' && r.frame.seq === 4));
  await client.close();
  await store.close();
  await srv.close();

  store = await IdbStore.open(db); // reloaded while offline: nothing listens on port 9
  client = new Client(options('ws://127.0.0.1:9', store));
  const page = await client.history({ limit: 3 });
  assert.deepEqual(page.map((e) => [e.kind, e.seq]), [['message', 2], ['message', 3], ['receipt', 4]]);
  assert.deepEqual(page[0].frame.body, { text: '2' });
  assert.deepEqual((await client.history({ limit: 3, before: page[0].local })).map((e) => e.seq), [1]);
  assert.equal((await client.history()).length, 4, 'default limit 50');
  await assert.rejects(client.history({ limit: 0 }), RangeError);
  await client.start();
  assert.equal((await client.history({ limit: 10 })).length, 4);
  await client.close();
  await store.close();
});

test('newest=N asks for a newest-first catch-up; fetch reads the skipped range outside the live sequence', async () => {
  const fetches = [];
  const srv = await server((ws, path) => {
    if (path !== '/v1/inbox') return;
    ws.send(JSON.stringify({ type: 'backlog', count: 10, oldest: 1, oldestSentAt: 1, head: 10, epoch: 7, skipped: { from: 1, to: 8 } }));
    for (const seq of [9, 10]) ws.send(JSON.stringify({ type: 'message', seq, id: `m-${seq}`, from: 'bob', fromDevice: 'laptop', to: 'alice', body: {}, sentAt: seq, own: false }));
    ws.send(JSON.stringify({ type: 'caught_up', seq: 10, epoch: 7 }));
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.type !== 'fetch') return;
      fetches.push(f);
      if (f.from === 99) return ws.send(JSON.stringify({ type: 'error', code: 'unavailable', message: 'store busy', retryAfterMs: 1000 }));
      const entries = [];
      for (let seq = Math.max(f.from, 3); seq <= Math.min(f.to, 8); seq++) entries.push({ type: 'message', seq, id: `m-${seq}`, from: 'bob', fromDevice: 'laptop', to: 'alice', body: {}, sentAt: seq, own: false });
      // answered late: a second fetch must wait for this one (the server answers one at a time)
      setTimeout(() => ws.send(JSON.stringify({ type: 'history', from: f.from, to: Math.min(f.to, 8), oldest: 3, entries })), 50);
    });
  });
  const store = await IdbStore.open(newDb());
  const seen = [];
  const backlogs = [];
  const client = new Client(options(srv.url, store, { newest: 2, listener: { onMessage: (f) => { seen.push(f.seq); } } }));
  client.on('backlog', (b) => backlogs.push(b));
  await assert.rejects(client.fetch(1, 8), /not connected/, 'not connected yet');
  await assert.rejects(client.fetch(0, 8), RangeError);
  await client.start();
  await until(() => seen.length === 2);
  assert.equal(srv.connections[0].query.newest, '2');
  assert.deepEqual(backlogs[0].skipped, { from: 1, to: 8 });
  const [newer, older] = await Promise.all([client.fetch(5, 8), client.fetch(1, 4)]);
  assert.deepEqual({ ...newer, entries: newer.entries.map((e) => e.seq) }, { from: 5, to: 8, oldest: 3, entries: [5, 6, 7, 8] });
  assert.deepEqual(older.entries.map((e) => e.seq), [3, 4]);
  assert.deepEqual(fetches.map((f) => [f.from, f.to]), [[5, 8], [1, 4]], 'one at a time, in call order');
  await assert.rejects(client.fetch(99, 100), (e) => e.code === 'unavailable');
  assert.deepEqual(seen, [9, 10], 'fetched entries are not handed to the listener');
  assert.deepEqual((await store.entriesAfter(0, 100)).map((e) => e.seq), [9, 10], 'nor stored');
  assert.deepEqual(await store.position(), { after: 10, epoch: 7 });
  await client.close();
  await assert.rejects(client.fetch(1, 2), /closed/);
  await store.close();
  await srv.close();
});
