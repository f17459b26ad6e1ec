// Several tabs of one app: client instances on one (fake-indexeddb) database with a shared in-memory lock manager
// and Node's BroadcastChannel, against a small inbox server on 127.0.0.1 that behaves like the real one where it
// matters here: sends stored once per id and echoed to the sender's inbox (S2, S9), resume after `after`, one inbox
// connection per device (an older one is displaced with 4103), `fetch` answered by `history`.
import 'fake-indexeddb/auto';
import { afterEach, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket, { WebSocketServer } from 'ws';
import { IdbStore, PigeonholeClient } from '../dist/index.js';
import { MemoryLocks } from '../test-support/memory-locks.mjs';

const opened = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close().catch(() => undefined);
});

let count = 0;
const unique = (what) => `${what}-${process.pid}-${count++}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(cond, ms = 8000, what = 'condition') {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function inboxServer({ acceptDelayMs = 0 } = {}) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise((r) => wss.once('listening', r));
  const s = {
    entries: [], // alice's inbox
    sendFrames: [], // ids of every send frame received, resends included
    inboxQueries: [],
    connections: { '/v1/inbox': 0, '/v1/send': 0 },
    open: { '/v1/inbox': 0, '/v1/send': 0 },
    maxOpen: { '/v1/inbox': 0, '/v1/send': 0 },
    displaced: 0,
    acks: [],
    reads: [],
    live: undefined,
  };
  let bob = 0;
  const stored = new Set();
  const append = (frame) => {
    const entry = { ...frame, seq: s.entries.length + 1 };
    s.entries.push(entry);
    if (s.live?.ready) s.live.ws.send(JSON.stringify(entry));
  };
  s.fromBob = (text) => append({ type: 'message', id: `b-${++bob}`, from: 'bob', fromDevice: 'laptop', to: 'alice', body: { text }, sentAt: Date.now(), own: false });
  wss.on('connection', (ws, req) => {
    const url = new URL(req.url, 'ws://127.0.0.1');
    const path = url.pathname;
    s.connections[path]++;
    s.open[path]++;
    s.maxOpen[path] = Math.max(s.maxOpen[path], s.open[path]);
    ws.on('close', () => s.open[path]--);
    if (path === '/v1/send') {
      ws.on('message', (d) => {
        const f = JSON.parse(String(d));
        if (f.type === 'ping') return ws.send('{"type":"pong"}');
        if (f.type !== 'send') return;
        s.sendFrames.push(f.id);
        setTimeout(() => {
          if (ws.readyState !== 1) return; // the connection ended before the answer: not stored
          if (!stored.has(f.id)) {
            stored.add(f.id);
            append({ type: 'message', id: f.id, from: 'alice', fromDevice: url.searchParams.get('device'), to: f.to, body: f.body, sentAt: Date.now(), own: true });
          }
          ws.send(JSON.stringify({ type: 'accepted', id: f.id }));
        }, acceptDelayMs);
      });
      return;
    }
    if (s.live) {
      s.displaced++;
      s.live.ws.close(4103, 'displaced by a newer connection of this device');
    }
    const conn = { ws, ready: false };
    s.live = conn;
    ws.on('close', () => {
      if (s.live === conn) s.live = undefined;
    });
    s.inboxQueries.push(Object.fromEntries(url.searchParams));
    const after = Number(url.searchParams.get('after') ?? 0);
    ws.send(JSON.stringify({ type: 'backlog', count: Math.max(0, s.entries.length - after), head: s.entries.length, epoch: 7 }));
    for (const e of s.entries.slice(after)) ws.send(JSON.stringify(e));
    ws.send(JSON.stringify({ type: 'caught_up', seq: s.entries.length, epoch: 7 }));
    conn.ready = true;
    ws.on('message', (d) => {
      const f = JSON.parse(String(d));
      if (f.type === 'ping') ws.send('{"type":"pong"}');
      else if (f.type === 'ack') s.acks.push(f.seq);
      else if (f.type === 'read') s.reads.push(f.seq);
      else if (f.type === 'fetch') ws.send(JSON.stringify({ type: 'history', from: f.from, to: f.to, oldest: 1, entries: s.entries.slice(f.from - 1, f.to) }));
    });
  });
  s.url = `ws://127.0.0.1:${wss.address().port}`;
  s.close = () => new Promise((r) => { for (const c of wss.clients) c.terminate(); wss.close(() => r()); });
  opened.push(s.close);
  return s;
}

/** One tab: its own IdbStore connection to the shared database, its own client, what its listener and events saw. */
async function tab(srv, db, locks, name, more = {}) {
  const store = await IdbStore.open(db);
  const t = { store, seen: [], states: [], sends: [], roles: [] };
  t.client = new PigeonholeClient({
    server: srv.url, user: 'alice', device: 'phone', store, WebSocket, backoffMinMs: 20, backoffMaxMs: 100,
    tabs: { locks, BroadcastChannel, name },
    listener: { onMessage: (f) => { t.seen.push(f.id); } },
    ...more,
  });
  t.client.on('state', (s) => t.states.push(s));
  t.client.on('send', (s) => t.sends.push(s));
  t.client.on('role', (r) => t.roles.push(r));
  t.client.on('error', (e) => { t.error = e; });
  opened.push(async () => { await t.client.close(); await store.close(); });
  await t.client.start();
  return t;
}

const ids = (entries) => entries.map((e) => e.id);

test('three tabs: one holds the sockets; a follower sends through it once; every tab gets state, send answers and entries', async () => {
  const srv = await inboxServer();
  const locks = new MemoryLocks();
  const db = unique('tabs-db');
  const name = unique('tabs');
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await tab(srv, db, locks, name));
  await until(() => tabs.every((t) => t.client.connectionState === 'online'), 8000, 'every tab online');
  assert.deepEqual(tabs.map((t) => t.client.tabRole).sort(), ['follower', 'follower', 'leader']);
  const [follower, other] = tabs.filter((t) => t.client.tabRole === 'follower');
  assert.deepEqual(follower.states, ['connecting', 'online'], "a follower mirrors the leader's state");

  const id = await follower.client.send('bob', { text: 'from a follower tab' });
  await until(() => tabs.every((t) => t.sends.length === 1), 8000, 'the send answer in every tab');
  for (const t of tabs) assert.deepEqual(t.sends, [{ id, state: 'accepted' }]);
  srv.fromBob('hi alice');
  await until(() => tabs.every((t) => t.seen.length === 2), 8000, 'both entries in every tab');
  await sleep(200); // nothing more comes
  for (const t of tabs) assert.deepEqual(t.seen, [id, 'b-1'], 'each entry once, in order, in every tab');
  assert.deepEqual(srv.sendFrames, [id], 'sent once');
  assert.deepEqual(ids(srv.entries), [id, 'b-1']);
  assert.equal(srv.connections['/v1/inbox'], 1, 'one inbox connection for three tabs');
  assert.equal(srv.connections['/v1/send'], 1, 'one send connection');
  assert.equal(srv.displaced, 0);
  assert.deepEqual(await follower.client.pending(), []);
  assert.deepEqual(srv.acks.at(-1), 2, 'the leader acks');

  // a follower's read marker and fetch go through the leader
  assert.equal(other.client.markRead(2), true);
  await until(() => srv.reads.length === 1, 8000, 'the read marker');
  assert.deepEqual(srv.reads, [2]);
  const page = await other.client.fetch(1, 2);
  assert.deepEqual({ ...page, entries: ids(page.entries) }, { from: 1, to: 2, oldest: 1, entries: [id, 'b-1'] });
  // and the local history is readable in every tab
  for (const t of tabs) assert.deepEqual((await t.client.history({ limit: 10 })).map((e) => e.frame.id), [id, 'b-1']);
});

test('the leader tab closing mid-stream hands over: every entry and every send arrives once, in order', async () => {
  const srv = await inboxServer({ acceptDelayMs: 150 }); // sends stay in flight for a while
  const locks = new MemoryLocks();
  const db = unique('tabs-db');
  const name = unique('tabs');
  const tabs = [];
  for (let i = 0; i < 3; i++) tabs.push(await tab(srv, db, locks, name));
  await until(() => tabs.every((t) => t.client.connectionState === 'online'), 8000, 'every tab online');
  const leader = tabs.find((t) => t.client.tabRole === 'leader');
  const rest = tabs.filter((t) => t !== leader);

  const sent = [];
  let streamed = 0;
  const stream = setInterval(() => {
    if (streamed < 60) srv.fromBob(`n${++streamed}`);
  }, 4);
  opened.push(async () => clearInterval(stream));
  for (let i = 0; i < 3; i++) for (const t of tabs) sent.push(await t.client.send('bob', { text: `s${i}` }));
  await until(() => streamed >= 20, 8000, 'the stream under way');
  // sends in flight when the leader goes: received by the server, not answered yet
  const inFlight = [await rest[0].client.send('bob', { text: 'late 1' }), await rest[1].client.send('bob', { text: 'late 2' })];
  sent.push(...inFlight);
  await until(() => inFlight.every((id) => srv.sendFrames.includes(id)), 8000, 'the late sends on the wire');
  await leader.client.close();
  await until(() => rest.some((t) => t.client.tabRole === 'leader'), 8000, 'a new leader');

  const total = 60 + sent.length;
  await until(() => streamed === 60 && rest.every((t) => t.seen.length >= total && t.sends.length >= sent.length), 15000, 'everything in the remaining tabs');
  await sleep(300); // nothing more comes
  // the server stored each message once (the resends were deduplicated) and each send went out again after the handover
  assert.equal(srv.entries.length, total);
  assert.equal(new Set(ids(srv.entries)).size, total);
  for (const id of inFlight) assert.ok(srv.sendFrames.filter((x) => x === id).length >= 2, `${id} sent again by the next leader`);
  // the local store holds every entry once, in seq order
  const stored = await rest[0].store.entriesAfter(0, 1000);
  assert.deepEqual(stored.map((e) => e.seq), srv.entries.map((e) => e.seq));
  // every remaining tab's listener saw every entry once, in order; every send answer once
  for (const t of rest) {
    assert.deepEqual(t.seen, ids(srv.entries));
    assert.deepEqual(t.sends.map((s) => s.id).sort(), [...sent].sort());
    assert.ok(t.sends.every((s) => s.state === 'accepted'));
  }
  assert.deepEqual(await rest[0].client.pending(), []);
  // one inbox socket at a time, resumed from the stored position, nobody displaced
  assert.equal(srv.maxOpen['/v1/inbox'], 1);
  assert.equal(srv.connections['/v1/inbox'], 2);
  assert.ok(Number(srv.inboxQueries[1].after) >= 20, `resumed after ${srv.inboxQueries[1].after}`);
  assert.equal(srv.inboxQueries[1].epoch, '7');
  assert.equal(srv.displaced, 0);
  // the new leader acked up to the end; the follower saw the handover as connecting -> online
  await until(() => srv.acks.at(-1) === total, 8000, 'the last ack');
  const follower = rest.find((t) => t.client.tabRole === 'follower');
  assert.deepEqual(follower.states.slice(-2), ['connecting', 'online']);
});

test('a crashed leader tab (lock released, no goodbye) is taken over from the stored position', async () => {
  const srv = await inboxServer();
  const locks = new MemoryLocks();
  const db = unique('tabs-db');
  const name = unique('tabs');
  // the first tab's sockets can be cut and never come back: a tab that died
  let dead = false;
  class DyingSocket extends WebSocket {
    constructor(url) {
      super(dead ? 'ws://127.0.0.1:9' : url);
    }
  }
  const first = await tab(srv, db, locks, name, { WebSocket: DyingSocket });
  await until(() => first.client.tabRole === 'leader' && first.client.connectionState === 'online', 8000, 'first leads');
  const second = await tab(srv, db, locks, name);
  await until(() => second.client.connectionState === 'online', 8000, 'second online');
  for (let i = 0; i < 5; i++) srv.fromBob(`m${i}`);
  await until(() => second.seen.length === 5, 8000, 'the entries in the follower');
  // the tab dies: its sockets drop, its lock is released, it says nothing
  dead = true;
  srv.live.ws.terminate();
  locks.crash(name);
  await until(() => second.client.tabRole === 'leader' && srv.connections['/v1/inbox'] === 2, 8000, 'taken over');
  for (let i = 5; i < 8; i++) srv.fromBob(`m${i}`);
  const id = await second.client.send('bob', { text: 'after the crash' });
  await until(() => second.seen.length === 9, 8000, 'everything in the new leader');
  await sleep(200);
  assert.deepEqual(second.seen, ids(srv.entries));
  assert.deepEqual(srv.inboxQueries[1].after, '5', 'resumed from the stored position');
  assert.ok(srv.entries.some((e) => e.id === id));
  assert.deepEqual(second.roles, ['follower', 'leader']);
  // the durable marker follows the new leader's listener, and it acks the end
  const last = (await second.store.entriesAfter(0, 100)).at(-1);
  for (let i = 0; i < 100 && (await second.store.delivered()) !== last.local; i++) await sleep(20);
  assert.equal(await second.store.delivered(), last.local);
  await until(() => srv.acks.at(-1) === 9, 8000, 'the ack of the last entry');
});

test('a refusal stops every tab; without navigator.locks (Node) a client is a single instance, as before tabs', async () => {
  const srv = await inboxServer();
  const locks = new MemoryLocks();
  const db = unique('tabs-db');
  const name = unique('tabs');
  const first = await tab(srv, db, locks, name);
  await until(() => first.client.connectionState === 'online', 8000, 'online');
  const second = await tab(srv, db, locks, name);
  const refused = [];
  second.client.on('refused', (r) => refused.push(r));
  await until(() => second.client.connectionState === 'online', 8000, 'follower online');
  srv.live.ws.close(4100, 'token expired');
  await until(() => refused.length === 1, 8000, 'refused in the follower');
  assert.deepEqual(refused, [{ endpoint: 'inbox', code: 4100, reason: 'token expired' }]);
  assert.equal(second.client.connectionState, 'stopped');
  assert.equal(first.client.connectionState, 'stopped');
  // a tab started while the refused leader is still open stops at once too
  const third = await tab(srv, db, locks, name);
  await until(() => third.client.connectionState === 'stopped', 8000, 'the late tab stopped');
  await sleep(200);
  assert.equal(srv.connections['/v1/inbox'], 1, 'nobody reconnected');
  assert.equal(third.client.tabRole, 'follower');

  const store = await IdbStore.open(unique('single-db'));
  const single = new PigeonholeClient({ server: srv.url, user: 'carol', device: 'phone', store, WebSocket });
  opened.push(async () => { await single.close(); await store.close(); });
  await single.start();
  assert.equal(single.tabRole, 'single', 'Node has BroadcastChannel but no navigator.locks');
  await until(() => single.connectionState === 'online', 8000, 'the single instance online');
});

test('a follower sends before start() and while no tab leads: the next leader sends it from the shared outbox', async () => {
  const srv = await inboxServer();
  const locks = new MemoryLocks();
  const db = unique('tabs-db');
  const name = unique('tabs');
  const first = await tab(srv, db, locks, name);
  await until(() => first.client.connectionState === 'online', 8000, 'online');
  // a second tab sends before its client started: the message is in the store, the leader hears of it at start()
  const store = await IdbStore.open(db);
  const sends = [];
  const late = new PigeonholeClient({ server: srv.url, user: 'alice', device: 'phone', store, WebSocket, tabs: { locks, BroadcastChannel, name } });
  late.on('send', (s) => sends.push(s));
  opened.push(async () => { await late.close(); await store.close(); });
  const early = await late.send('bob', { text: 'before start' });
  await late.start();
  await until(() => sends.length === 1, 8000, 'the answer');
  assert.deepEqual(sends, [{ id: early, state: 'accepted' }]);
  // the leader leaves; before the follower takes over, nothing leads
  await first.client.close();
  const meanwhile = await late.send('bob', { text: 'between leaders' });
  await until(() => sends.length === 2, 8000, 'the second answer');
  assert.equal(sends[1].id, meanwhile);
  assert.equal(late.tabRole, 'leader');
  assert.deepEqual(srv.sendFrames, [early, meanwhile]);
});

test('a follower whose listener is behind takes over: its listener gets the rest once, the marker never moves back', async () => {
  const srv = await inboxServer();
  const locks = new MemoryLocks();
  const db = unique('tabs-db');
  const name = unique('tabs');
  const first = await tab(srv, db, locks, name);
  await until(() => first.client.connectionState === 'online', 8000, 'online');
  let gate;
  const slow = await tab(srv, db, locks, name, {
    listener: { onMessage: async (f) => { slowSeen.push(f.id); markers.push(await slow.store.delivered()); await gate; } },
  });
  const slowSeen = [];
  const markers = []; // the durable marker as each call of the slow listener finds it
  gate = new Promise((r) => { slow.open = r; });
  for (let i = 0; i < 10; i++) srv.fromBob(`m${i}`);
  await until(() => first.seen.length === 10 && slowSeen.length === 1, 8000, 'the leader done, the follower stuck at 1');
  const entries = await first.store.entriesAfter(0, 100);
  await until(() => srv.acks.at(-1) === 10, 8000, 'the leader acked');
  const marker = await first.store.delivered();
  assert.equal(marker, entries.at(-1).local);
  await first.client.close();
  await until(() => slow.client.tabRole === 'leader' && slow.client.connectionState === 'online', 8000, 'taken over');
  await sleep(100);
  assert.equal(await slow.store.delivered(), marker, 'not moved back to what the slow listener handled');
  slow.open();
  await until(() => slowSeen.length === 10, 8000, 'the slow listener caught up');
  await sleep(100);
  assert.deepEqual(slowSeen, ids(srv.entries), 'each once, in order');
  assert.ok(markers.slice(1).every((m) => m === marker), `the marker stayed at ${marker}: ${markers}`);
  assert.equal(await slow.store.delivered(), marker);
});
