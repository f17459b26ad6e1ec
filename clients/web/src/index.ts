export { PigeonholeClient } from './client.js';
export type { ClientEvents, ClientOptions, ConnectionState, Frame, HistoryPage, Listener, SendState } from './client.js';
export type { ChannelFactory, ChannelLike, LockManagerLike, Role, TabsOptions } from './tabs.js';
export { IdbStore } from './idb-store.js';
export type { Outgoing, Position, Store, StoredEntry } from './store.js';
export { Backoff } from './backoff.js';
export { Link } from './link.js';
export type { SocketFactory, SocketLike } from './link.js';
