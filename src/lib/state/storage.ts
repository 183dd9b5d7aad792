/**
 * Small, failure-tolerant localStorage helpers. Sessions (code, settings, history, weights, uploads) live in
 * IndexedDB (sessions.ts); localStorage's 'nn-playground:v1' (code and settings of the first version) is only read:
 * at start, and once into the first session.
 * Storage that is full or unavailable (private mode) never breaks the app: it reports and keeps working in memory.
 */
export interface StoreStatus {
  ok: boolean;
  message?: string;
}

export function loadJson<T>(key: string): T | null {
  try {
    const raw = globalThis.localStorage?.getItem(key);
    return raw ? (JSON.parse(raw) as T) : null;
  } catch {
    return null;
  }
}

export function saveJson(key: string, value: unknown): StoreStatus {
  try {
    if (!globalThis.localStorage) return { ok: false, message: 'Browser storage is unavailable: your work is kept in memory only.' };
    globalThis.localStorage.setItem(key, JSON.stringify(value));
    return { ok: true };
  } catch (e) {
    const full = e instanceof DOMException && (e.name === 'QuotaExceededError' || e.code === 22);
    return {
      ok: false,
      message: full
        ? 'Browser storage is full: your latest changes are kept in memory only.'
        : 'Browser storage is unavailable: your work is kept in memory only.'
    };
  }
}
