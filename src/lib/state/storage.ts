/**
 * A failure-tolerant localStorage reader. Sessions (code, settings, history, weights, uploads) live in IndexedDB
 * (sessions.ts); localStorage's 'nn-playground:v1' (code and settings of the first version) is only read: at start,
 * and once into the first session. Storage that is unavailable (private mode) or holds bad JSON reads as null.
 */
export function loadJson<T>(key: string): T | null {
  try {
    const raw = globalThis.localStorage?.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}
