#!/usr/bin/env node
// The TypeScript SDK's conformance driver (conformance/README.md, "The driver contract"): send, tail, flush.
// It runs the SDK's own client code with Node's platform pieces swapped in: `ws` for the WebSocket and a
// FileStore in --data-dir for IndexedDB (which Node lacks). `capabilities` prints `ping-frames`. Exit codes:
// 0 done, 2 rejected, 3 still queued, 4 refused by the server, 5 data directory in use.
import { createInterface } from 'node:readline';
import WebSocket from 'ws';
import { PigeonholeClient } from './dist/index.js';
import { DataDirectoryInUseError, FileStore } from './dist/file-store.js';

const USAGE = 'usage: driver send|tail|flush --server URL --user U --device D --data-dir DIR [...]';

function fail(message) {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

/** PT20S, PT1.5S, PT2M, PT1H30M -> ms */
function duration(text) {
  const m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/i.exec(text ?? '');
  if (!m || text.length <= 2) fail(`not an ISO-8601 duration: ${text}`);
  return ((Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 60 + Number(m[3] ?? 0)) * 1000;
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'capabilities') {
  // Liveness with ping frames only: the SDK never uses `ws`'s WebSocket pings, exactly as in a browser.
  process.stdout.write('ping-frames\n');
  process.exit(0);
}
if (!['send', 'tail', 'flush'].includes(command)) fail(`unknown command: ${command ?? '(none)'}`);
const flags = {};
for (let i = 0; i < rest.length; i++) {
  const name = rest[i];
  if (!name.startsWith('--') || i + 1 >= rest.length) fail(`unexpected argument: ${name}`);
  flags[name.slice(2)] = rest[++i];
}
for (const f of ['server', 'user', 'device', 'data-dir']) if (!flags[f]) fail(`--${f} is required`);
if (command === 'send' && !flags.to) fail('--to is required');

let store;
try {
  store = await FileStore.open(flags['data-dir']);
} catch (e) {
  if (e instanceof DataDirectoryInUseError) {
    process.stderr.write(`* another client is using ${e.dir} (pid ${e.pid}); close it or use --data-dir\n`);
    process.exit(5);
  }
  throw e;
}

const out = (line) => process.stdout.write(`${line}\n`);
const count = flags.count === undefined ? Infinity : Number(flags.count);
let printed = 0;
let client;
let exiting = false;

async function exit(code) {
  if (exiting) return;
  exiting = true;
  await client.close();
  await store.close();
  process.exit(code);
}

client = new PigeonholeClient({
  server: flags.server,
  user: flags.user,
  device: flags.device,
  token: process.env.PIGEONHOLE_TOKEN || undefined,
  store,
  WebSocket,
  tabs: false, // one process, one instance (the FileStore's lock file refuses a second one)
  pingIntervalMs: flags['ping-interval'] ? duration(flags['ping-interval']) : 15_000,
  backoffMinMs: 250,
  backoffMaxMs: 5_000,
  listener: {
    onMessage(frame) {
      if (command !== 'tail' || printed >= count) return;
      out(JSON.stringify(frame));
      if (++printed >= count) void exit(0);
    },
    onGap(from, to, reason) {
      process.stderr.write(`* gap: entries ${from}..${to} are gone (${reason})\n`);
    },
  },
});
// stopped from outside (Ctrl-C, a supervisor): close cleanly so the lock is released; a send still waiting is exit 3
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => void exit(command === 'tail' ? 0 : 3));
client.on('refused', ({ endpoint, code, reason }) => {
  process.stderr.write(`* refused by the server on ${endpoint} (${code}: ${reason}); stopping\n`);
  void exit(4);
});
client.on('error', (e) => process.stderr.write(`* ${e?.stack ?? e}\n`));
client.on('state', (s) => process.stderr.write(`* ${s}\n`));
client.on('resync', ({ reason }) => process.stderr.write(`* resync (4102: ${reason}): starting over from after=0\n`));

if (command === 'tail') {
  await client.start();
} else {
  const waiting = new Set();
  let rejected = false;
  let queuedDone = command === 'flush';
  const check = () => {
    if (queuedDone && waiting.size === 0) void exit(rejected ? 2 : 0);
  };
  client.on('send', (s) => {
    if (!waiting.delete(s.id)) return;
    if (s.state === 'accepted') out(`accepted ${s.id}`);
    else {
      rejected = true;
      out(`rejected ${s.code} ${s.id}`);
    }
    check();
  });
  setTimeout(async () => {
    const left = (await store.outbox()).length;
    process.stderr.write(`* still queued after ${flags.wait}: ${left} message(s) stay in ${flags['data-dir']}\n`);
    void exit(3);
  }, duration(flags.wait ?? (command === "send" ? "PT30S" : "PT60S")));
  if (command === 'flush') for (const m of await client.pending()) waiting.add(m.id);
  await client.start();
  if (command === 'send') {
    const texts = flags.text !== undefined ? [flags.text] : [];
    if (flags.text === undefined) for await (const line of createInterface({ input: process.stdin })) texts.push(line);
    for (const text of texts) {
      const id = await client.send(flags.to, { text });
      waiting.add(id);
      out(`queued ${id}`);
    }
    queuedDone = true;
  }
  check();
}
