/** Test helper (used by unit tests only). */
import type { LockManagerLike } from './tab-lock';

/**
 * A LockManager with the Web Locks semantics this app uses, shared by "tabs": exclusive, ifAvailable, steal, and a
 * plain request that queues until the holder lets go (ended early by its `signal`: AbortError).
 */
export function fakeLocks(): LockManagerLike {
  const held = new Map<string, { reject: (e: unknown) => void }>();
  const queues = new Map<string, (() => void)[]>();
  const abortError = () => new DOMException('The lock request was aborted.', 'AbortError');
  const next = (name: string) => {
    const q = queues.get(name);
    const grant = q?.shift();
    if (grant) grant();
  };
  const take = (name: string, callback: (lock: unknown) => unknown) =>
    new Promise((resolve, reject) => {
      const entry = { reject };
      held.set(name, entry);
      Promise.resolve(callback({ name })).then(
        (v) => {
          if (held.get(name) === entry) {
            held.delete(name);
            next(name);
          }
          resolve(v);
        },
        reject
      );
    });
  return {
    request(name, options, callback) {
      if (options.signal?.aborted) return Promise.reject(abortError());
      if (held.has(name) && !options.steal) {
        if (options.ifAvailable) return Promise.resolve(callback(null));
        return new Promise((resolve, reject) => {
          const grant = () => take(name, callback).then(resolve, reject);
          (queues.get(name) ?? queues.set(name, []).get(name)!).push(grant);
          options.signal?.addEventListener('abort', () => {
            const q = queues.get(name) ?? [];
            const i = q.indexOf(grant);
            if (i >= 0) {
              q.splice(i, 1);
              reject(abortError());
            }
          });
        });
      }
      const prev = held.get(name);
      if (prev) {
        held.delete(name);
        prev.reject(abortError());
      }
      return take(name, callback);
    }
  };
}
