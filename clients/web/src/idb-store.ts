// The browser's Store: one IndexedDB database per user and device.
// Object stores: outbox (autoIncrement n, unique index on id), inbox (autoIncrement local), meta (position, delivered).
import type { Outgoing, Position, Store, StoredEntry } from './store.js';

const VERSION = 1;

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

function result<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

export class IdbStore implements Store {
  private constructor(private readonly db: IDBDatabase) {}

  /** The database's name. */
  get name(): string {
    return this.db.name;
  }

  /** Opens (creating if needed) the database `name`; `factory` defaults to the platform's indexedDB. */
  static async open(name: string, factory: IDBFactory = globalThis.indexedDB): Promise<IdbStore> {
    const req = factory.open(name, VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore('outbox', { keyPath: 'n', autoIncrement: true }).createIndex('id', 'id', { unique: true });
      db.createObjectStore('inbox', { keyPath: 'local', autoIncrement: true });
      db.createObjectStore('meta');
    };
    return new IdbStore(await result(req));
  }

  async enqueue(message: Outgoing): Promise<void> {
    const tx = this.db.transaction('outbox', 'readwrite', { durability: 'strict' });
    const { n: _ignored, ...row } = message;
    tx.objectStore('outbox').add(row);
    await done(tx);
  }

  async outbox(): Promise<Outgoing[]> {
    return result(this.db.transaction('outbox').objectStore('outbox').getAll() as IDBRequest<Outgoing[]>);
  }

  async remove(id: string): Promise<void> {
    const tx = this.db.transaction('outbox', 'readwrite', { durability: 'strict' });
    const store = tx.objectStore('outbox');
    const key = await result(store.index('id').getKey(id));
    if (key !== undefined) store.delete(key);
    await done(tx);
  }

  async receive(entries: StoredEntry[], position: Position): Promise<void> {
    const tx = this.db.transaction(['inbox', 'meta'], 'readwrite', { durability: 'strict' });
    const committed = done(tx);
    try {
      const inbox = tx.objectStore('inbox');
      for (const { local: _ignored, ...row } of entries) inbox.add(row);
      tx.objectStore('meta').put(position, 'position');
    } catch (e) {
      tx.abort(); // all or nothing: no entry without its position
      committed.catch(() => undefined);
      throw e;
    }
    await committed;
  }

  async position(): Promise<Position | null> {
    const p = await result(this.db.transaction('meta').objectStore('meta').get('position'));
    return (p as Position | undefined) ?? null;
  }

  async setPosition(position: Position): Promise<void> {
    const tx = this.db.transaction('meta', 'readwrite', { durability: 'strict' });
    tx.objectStore('meta').put(position, 'position');
    await done(tx);
  }

  async entriesAfter(local: number, limit: number): Promise<StoredEntry[]> {
    const range = IDBKeyRange.lowerBound(local, true);
    return result(this.db.transaction('inbox').objectStore('inbox').getAll(range, limit) as IDBRequest<StoredEntry[]>);
  }

  async entriesBefore(before: number | null, limit: number): Promise<StoredEntry[]> {
    const range = before === null ? null : IDBKeyRange.upperBound(before, true);
    const req = this.db.transaction('inbox').objectStore('inbox').openCursor(range, 'prev');
    const out: StoredEntry[] = [];
    return new Promise((resolve, reject) => {
      req.onsuccess = () => {
        const cursor = req.result;
        if (cursor && out.length < limit) {
          out.push(cursor.value as StoredEntry);
          cursor.continue();
        } else resolve(out.reverse());
      };
      req.onerror = () => reject(req.error);
    });
  }

  async delivered(): Promise<number> {
    return ((await result(this.db.transaction('meta').objectStore('meta').get('delivered'))) as number | undefined) ?? 0;
  }

  async setDelivered(local: number): Promise<void> {
    const tx = this.db.transaction('meta', 'readwrite');
    tx.objectStore('meta').put(local, 'delivered');
    await done(tx);
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
