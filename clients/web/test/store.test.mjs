// The Store contract, run against both implementations: IdbStore (on fake-indexeddb) and FileStore.
import 'fake-indexeddb/auto';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdbStore } from '../dist/index.js';
import { DataDirectoryInUseError, FileStore } from '../dist/file-store.js';

let dbCount = 0;
const impls = {
  IdbStore: () => {
    const name = `test-${process.pid}-${dbCount++}`;
    return { open: () => IdbStore.open(name), cleanup: () => undefined };
  },
  FileStore: () => {
    const dir = mkdtempSync(join(tmpdir(), 'ph-web-store-'));
    return { open: () => FileStore.open(dir), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
  },
};

const msg = (id) => ({ id, to: 'bob', body: { text: id }, queuedAt: 1 });
const entry = (seq, epoch = 7) => ({ seq, epoch, kind: 'message', frame: { type: 'message', seq, id: `m-${seq}` } });

for (const [name, make] of Object.entries(impls)) {
  test(`${name}: the outbox keeps order and ids, and survives a new instance`, async () => {
    const { open, cleanup } = make();
    try {
      let store = await open();
      for (const id of ['a', 'b', 'c']) await store.enqueue(msg(id));
      await store.remove('b');
      await store.remove('nope');
      await store.enqueue(msg('d'));
      assert.deepEqual((await store.outbox()).map((m) => m.id), ['a', 'c', 'd']);
      await store.close();
      store = await open();
      const outbox = await store.outbox();
      assert.deepEqual(outbox.map((m) => m.id), ['a', 'c', 'd']);
      assert.deepEqual(outbox[0].body, { text: 'a' });
      await assert.rejects(store.enqueue(msg('a')), 'an id is queued once');
      await store.close();
    } finally {
      cleanup();
    }
  });

  test(`${name}: entries and the position are stored together, in order, and survive a new instance`, async () => {
    const { open, cleanup } = make();
    try {
      let store = await open();
      assert.equal(await store.position(), null);
      assert.equal(await store.delivered(), 0);
      await store.receive([entry(1), entry(2)], { after: 2, epoch: 7 });
      await store.receive([entry(3)], { after: 3, epoch: 7 });
      const all = await store.entriesAfter(0, 10);
      assert.deepEqual(all.map((e) => e.seq), [1, 2, 3]);
      await store.setDelivered(all[1].local);
      await store.close();
      store = await open();
      assert.deepEqual(await store.position(), { after: 3, epoch: 7 });
      assert.equal(await store.delivered(), all[1].local);
      assert.deepEqual((await store.entriesAfter(all[1].local, 10)).map((e) => e.frame.id), ['m-3']);
      assert.deepEqual((await store.entriesAfter(0, 2)).map((e) => e.seq), [1, 2], 'limit');
      await store.setPosition({ after: 0, epoch: null });
      assert.deepEqual(await store.position(), { after: 0, epoch: null });
      await store.close();
    } finally {
      cleanup();
    }
  });

  test(`${name}: entriesBefore pages the history back from the newest, oldest first`, async () => {
    const { open, cleanup } = make();
    try {
      const store = await open();
      assert.deepEqual(await store.entriesBefore(null, 3), []);
      for (let seq = 1; seq <= 5; seq++) await store.receive([entry(seq)], { after: seq, epoch: 7 });
      const newest = await store.entriesBefore(null, 2);
      assert.deepEqual(newest.map((e) => e.seq), [4, 5]);
      const older = await store.entriesBefore(newest[0].local, 2);
      assert.deepEqual(older.map((e) => e.seq), [2, 3]);
      assert.deepEqual((await store.entriesBefore(older[0].local, 10)).map((e) => e.seq), [1]);
      assert.deepEqual((await store.entriesBefore(null, 10)).map((e) => e.frame.id), ['m-1', 'm-2', 'm-3', 'm-4', 'm-5']);
      assert.equal(typeof store.name, 'string');
      await store.close();
    } finally {
      cleanup();
    }
  });

  test(`${name}: a failed receive stores neither the entries nor the position`, async () => {
    const { open, cleanup } = make();
    try {
      const store = await open();
      await store.receive([entry(1)], { after: 1, epoch: 7 });
      const broken = { get seq() { throw new Error('unreadable entry'); } };
      await assert.rejects(store.receive([entry(2), broken], { after: 3, epoch: 7 }), /unreadable entry/);
      assert.deepEqual(await store.position(), { after: 1, epoch: 7 });
      assert.deepEqual((await store.entriesAfter(0, 10)).map((e) => e.seq), [1]);
      await store.close();
    } finally {
      cleanup();
    }
  });
}

test('FileStore: a second open of a data directory in use is refused with the holder pid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ph-web-lock-'));
  try {
    const store = await FileStore.open(dir);
    await assert.rejects(FileStore.open(dir), (e) => e instanceof DataDirectoryInUseError && e.pid === process.pid);
    await store.close();
    await (await FileStore.open(dir)).close(); // released on close
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
