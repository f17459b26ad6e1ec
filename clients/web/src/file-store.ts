// A Store in one JSON file, for Node (the conformance driver): Node has no IndexedDB. Every change rewrites the
// file (write a temporary file, fsync, rename), one change at a time, so a crash leaves the old or the new state.
// Small by design: it holds one device's state for a command-line run, not a chat history of years.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Outgoing, Position, Store, StoredEntry } from './store.js';

interface State {
  nextN: number;
  nextLocal: number;
  outbox: Outgoing[];
  inbox: StoredEntry[];
  position: Position | null;
  delivered: number;
}

/** Thrown when another live process holds the data directory. */
export class DataDirectoryInUseError extends Error {
  constructor(readonly dir: string, readonly pid: number) {
    super(`data directory ${dir} is used by process ${pid}`);
  }
}

export class FileStore implements Store {
  private chain: Promise<void> = Promise.resolve();

  private constructor(private readonly file: string, private readonly lock: string, private state: State) {}

  /** Opens the store in `dir` and takes its lock file (pid inside); a live holder: DataDirectoryInUseError. */
  static async open(dir: string): Promise<FileStore> {
    mkdirSync(dir, { recursive: true });
    const lock = join(dir, 'pigeonhole.lock');
    for (;;) {
      try {
        writeFileSync(lock, String(process.pid), { flag: 'wx' });
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        const pid = Number(readFileSync(lock, 'utf8'));
        if (pid && alive(pid)) throw new DataDirectoryInUseError(dir, pid);
        unlinkSync(lock); // left by a process that died
      }
    }
    const file = join(dir, 'store.json');
    let state: State = { nextN: 1, nextLocal: 1, outbox: [], inbox: [], position: null, delivered: 0 };
    try {
      state = JSON.parse(readFileSync(file, 'utf8')) as State;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return new FileStore(file, lock, state);
  }

  /** Applies a change and writes the whole state; changes run one after another. */
  private change(apply: (s: State) => void): Promise<void> {
    const next = this.chain.then(() => {
      const copy = structuredClone(this.state);
      apply(copy);
      const tmp = this.file + '.tmp';
      const fd = openSync(tmp, 'w');
      try {
        writeFileSync(fd, JSON.stringify(copy));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.file);
      this.state = copy;
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  enqueue(message: Outgoing): Promise<void> {
    return this.change((s) => {
      if (s.outbox.some((m) => m.id === message.id)) throw new Error(`id ${message.id} is already queued`);
      s.outbox.push({ ...message, n: s.nextN++ });
    });
  }

  async outbox(): Promise<Outgoing[]> {
    await this.chain;
    return structuredClone(this.state.outbox);
  }

  remove(id: string): Promise<void> {
    return this.change((s) => {
      s.outbox = s.outbox.filter((m) => m.id !== id);
    });
  }

  receive(entries: StoredEntry[], position: Position): Promise<void> {
    return this.change((s) => {
      for (const e of entries) s.inbox.push({ ...e, local: s.nextLocal++ });
      s.position = position;
    });
  }

  async position(): Promise<Position | null> {
    await this.chain;
    return this.state.position && { ...this.state.position };
  }

  setPosition(position: Position): Promise<void> {
    return this.change((s) => {
      s.position = position;
    });
  }

  async entriesAfter(local: number, limit: number): Promise<StoredEntry[]> {
    await this.chain;
    return structuredClone(this.state.inbox.filter((e) => (e.local ?? 0) > local).slice(0, limit));
  }

  async entriesBefore(before: number | null, limit: number): Promise<StoredEntry[]> {
    await this.chain;
    const older = this.state.inbox.filter((e) => before === null || (e.local ?? 0) < before);
    return structuredClone(older.slice(Math.max(0, older.length - limit)));
  }

  /** The data file's path. */
  get name(): string {
    return this.file;
  }

  async delivered(): Promise<number> {
    await this.chain;
    return this.state.delivered;
  }

  setDelivered(local: number): Promise<void> {
    return this.change((s) => {
      s.delivered = local;
    });
  }

  async close(): Promise<void> {
    await this.chain;
    try {
      if (Number(readFileSync(this.lock, 'utf8')) === process.pid) unlinkSync(this.lock);
    } catch {
      // already gone
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
