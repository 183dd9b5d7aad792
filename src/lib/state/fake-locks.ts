/** Test helper (used by unit tests only). */
import type { LockManagerLike } from './tab-lock';

/** A LockManager with the Web Locks semantics this app uses: exclusive, ifAvailable, steal (shared by "tabs"). */
export function fakeLocks(): LockManagerLike {
  const held = new Map<string, { reject: (e: unknown) => void }>();
  return {
    request(name, options, callback) {
      if (held.has(name) && !options.steal) {
        if (options.ifAvailable) return Promise.resolve(callback(null));
        return new Promise(() => {}); // would queue; not used here
      }
      const prev = held.get(name);
      if (prev) {
        held.delete(name);
        prev.reject(new DOMException('The lock request was aborted.', 'AbortError'));
      }
      return new Promise((resolve, reject) => {
        const entry = { reject };
        held.set(name, entry);
        Promise.resolve(callback({ name })).then(
          (v) => {
            if (held.get(name) === entry) held.delete(name);
            resolve(v);
          },
          reject
        );
      });
    }
  };
}

