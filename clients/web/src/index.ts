export { PigeonholeClient } from './client.js';
export type { ClientEvents, ClientOptions, ConnectionState, Frame, Listener, SendState } from './client.js';
export { IdbStore } from './idb-store.js';
export type { Outgoing, Position, Store, StoredEntry } from './store.js';
export { Backoff } from './backoff.js';
export { Link } from './link.js';
export type { SocketFactory, SocketLike } from './link.js';
