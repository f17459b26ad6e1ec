// What the client needs of the platform to share one connection between the tabs of an app: an exclusive lock
// (Web Locks: `navigator.locks`, released by the browser when the tab that holds it closes or crashes) and a
// channel between tabs (`BroadcastChannel`). Both are injectable (ClientOptions.tabs) so tests can run them in Node.

/** The part of the Web Locks API's LockManager the client uses. */
export interface LockManagerLike {
  request(
    name: string,
    options: { mode?: 'exclusive' | 'shared'; signal?: AbortSignal; ifAvailable?: boolean },
    callback: (lock: unknown) => unknown,
  ): Promise<unknown>;
}

/** The part of a BroadcastChannel the client uses (it never receives its own messages). */
export interface ChannelLike {
  onmessage: ((ev: { data: unknown }) => void) | null;
  postMessage(message: unknown): void;
  close(): void;
}

export type ChannelFactory = new (name: string) => ChannelLike;

export interface TabsOptions {
  /** Default: `navigator.locks`. */
  locks?: LockManagerLike;
  /** Default: the platform's `BroadcastChannel`. */
  BroadcastChannel?: ChannelFactory;
  /**
   * The name of the lock and the channel. Default: server, user, device and the store's name, so tabs of one device
   * on one database share; give every tab of one device the same database.
   */
  name?: string;
}

/** Where this client instance stands: it holds the sockets (`leader`, or `single` without tabs), or it does not. */
export type Role = 'single' | 'leader' | 'follower';

/** The locks and channel to use, or undefined: one instance, as without tabs. */
export function tabsPlatform(
  tabs: boolean | TabsOptions | undefined,
): { locks: LockManagerLike; BroadcastChannel: ChannelFactory; name?: string } | undefined {
  if (tabs === false) return undefined;
  const o = typeof tabs === 'object' ? tabs : {};
  const g = globalThis as unknown as { navigator?: { locks?: LockManagerLike }; BroadcastChannel?: ChannelFactory };
  const locks = o.locks ?? g.navigator?.locks;
  const BC = o.BroadcastChannel ?? g.BroadcastChannel;
  if (!locks || !BC) return undefined;
  return { locks, BroadcastChannel: BC, name: o.name };
}
