// The storage contract of the SDK: the outbox, the local message store and the position, durable.
// IdbStore (browsers) and FileStore (Node: the conformance driver) implement it; the client never sees which.

/** A message waiting for the server's final answer. `n` orders the outbox (assigned by the store). */
export interface Outgoing {
  n?: number;
  id: string;
  to: string;
  body: unknown;
  queuedAt: number;
}

/** Where the next inbox connection resumes: `after` (with the history's `epoch`, null after a resync). */
export interface Position {
  after: number;
  epoch: number | null;
}

/** An inbox entry (or a gap) as received, in the order received. `local` is assigned by the store. */
export interface StoredEntry {
  local?: number;
  seq: number;
  epoch: number;
  kind: string;
  frame: Record<string, unknown>;
}

export interface Store {
  /** A name for the database (IdbStore: the IndexedDB name); tabs sharing one device and database share it. */
  readonly name?: string;
  /** Stores a message at the end of the outbox; resolves once it is durable. */
  enqueue(message: Outgoing): Promise<void>;
  /** The outbox, oldest first. */
  outbox(): Promise<Outgoing[]>;
  /** Removes a message after its final answer (no-op if absent). */
  remove(id: string): Promise<void>;
  /** Stores received entries and the position after them in one transaction. */
  receive(entries: StoredEntry[], position: Position): Promise<void>;
  /** The stored position, or null (a new device: the server decides where it starts). */
  position(): Promise<Position | null>;
  /** Replaces the position alone (a resync: {after: 0, epoch: null}). */
  setPosition(position: Position): Promise<void>;
  /** Stored entries with local id > `local`, in store order. */
  entriesAfter(local: number, limit: number): Promise<StoredEntry[]>;
  /**
   * The newest `limit` stored entries with local id < `before` (null: the newest of all), oldest first (history
   * pages). Optional for stores written before it; `client.history` needs it.
   */
  entriesBefore?(before: number | null, limit: number): Promise<StoredEntry[]>;
  /** The local id of the last entry handed to the app (0: none). */
  delivered(): Promise<number>;
  setDelivered(local: number): Promise<void>;
  close(): Promise<void>;
}
