// An in-memory stand-in for the Web Locks API (navigator.locks), for tests only: exclusive locks, granted in request
// order, released when the callback's promise settles; `signal` aborts a waiting request, `ifAvailable` gets null.
// `crash(name)` releases a held lock as a browser does when the tab holding it dies.
export class MemoryLocks {
  #held = new Map(); // name -> the holder's release function
  #waiting = new Map(); // name -> [grant]

  request(name, options, callback) {
    if (typeof options === 'function') [options, callback] = [{}, options];
    const { signal, ifAvailable } = options ?? {};
    return new Promise((resolve, reject) => {
      const abortError = () => signal?.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' });
      if (signal?.aborted) return reject(abortError());
      const grant = () => {
        let released = false;
        const release = () => {
          if (released) return;
          released = true;
          this.#next(name);
        };
        this.#held.set(name, release);
        queueMicrotask(async () => {
          try {
            resolve(await callback({ name, mode: 'exclusive' }));
          } catch (e) {
            reject(e);
          } finally {
            release();
          }
        });
      };
      if (!this.#held.has(name)) return grant();
      if (ifAvailable) return queueMicrotask(() => Promise.resolve(callback(null)).then(resolve, reject));
      const queue = this.#waiting.get(name) ?? [];
      this.#waiting.set(name, queue);
      queue.push(grant);
      signal?.addEventListener('abort', () => {
        const i = queue.indexOf(grant);
        if (i < 0) return; // granted already
        queue.splice(i, 1);
        reject(abortError());
      });
    });
  }

  /** The holder's tab died: the lock passes on (its callback's promise never settles). */
  crash(name) {
    this.#held.get(name)?.();
  }

  held(name) {
    return this.#held.has(name);
  }

  #next(name) {
    this.#held.delete(name);
    const grant = this.#waiting.get(name)?.shift();
    if (grant) grant();
  }
}
