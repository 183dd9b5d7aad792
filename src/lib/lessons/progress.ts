/**
 * Lesson progress (which steps passed, the step the learner is on, done), kept in IndexedDB through `idb` in its own
 * database ('nn-playground-lessons', so the sessions' database and its migrations are untouched). Without IndexedDB
 * (private mode, a failing open) it keeps progress in memory and says so in `problem`.
 */
import { wrap, type IDBPDatabase } from 'idb';
import type { LessonProgress } from './types';

export const LESSONS_DB = 'nn-playground-lessons';
const STORE = 'progress';

export function emptyProgress(id: string): LessonProgress {
  return { id, passed: [], step: 0, done: false, challengeDone: false, sessionId: null, updatedAt: 0 };
}

function isProgress(v: unknown): v is LessonProgress {
  const p = v as LessonProgress | null;
  return !!p && typeof p.id === 'string' && Array.isArray(p.passed) && typeof p.step === 'number';
}

export class ProgressStore {
  #db: IDBPDatabase | null;
  #memory = new Map<string, LessonProgress>();
  /** Why progress is only kept in memory, or null. */
  readonly problem: string | null;

  private constructor(db: IDBPDatabase | null, problem: string | null) {
    this.#db = db;
    this.problem = problem;
  }

  /** `factory` null: no IndexedDB (progress in memory). */
  static async open(factory: IDBFactory | null = globalThis.indexedDB ?? null): Promise<ProgressStore> {
    if (!factory) return new ProgressStore(null, 'IndexedDB is not available here: lesson progress is kept until the page is closed.');
    try {
      const request = factory.open(LESSONS_DB, 1);
      request.onupgradeneeded = () => {
        if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE, { keyPath: 'id' });
      };
      const raw = await new Promise<IDBDatabase>((resolve, reject) => {
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error('open failed'));
        request.onblocked = () => setTimeout(() => reject(new Error('blocked by another tab')), 2000);
      });
      return new ProgressStore(wrap(raw), null);
    } catch (e) {
      return new ProgressStore(null, `Lesson progress cannot be saved (${e instanceof Error ? e.message : e}): it is kept until the page is closed.`);
    }
  }

  async get(id: string): Promise<LessonProgress> {
    if (this.#db) {
      try {
        const v = await this.#db.get(STORE, id);
        if (isProgress(v)) return { ...emptyProgress(id), ...v };
      } catch {
        // fall through to memory
      }
    }
    return this.#memory.get(id) ?? emptyProgress(id);
  }

  async all(): Promise<LessonProgress[]> {
    if (this.#db) {
      try {
        return ((await this.#db.getAll(STORE)) as unknown[]).filter(isProgress);
      } catch {
        // fall through to memory
      }
    }
    return [...this.#memory.values()];
  }

  async put(p: LessonProgress): Promise<void> {
    const rec = { ...p, passed: [...p.passed], updatedAt: Date.now() };
    this.#memory.set(p.id, rec);
    if (!this.#db) return;
    try {
      await this.#db.put(STORE, rec);
    } catch {
      // kept in memory
    }
  }

  async clear(id: string): Promise<void> {
    this.#memory.delete(id);
    try {
      await this.#db?.delete(STORE, id);
    } catch {
      // nothing saved
    }
  }

  close() {
    this.#db?.close();
  }
}

let shared: Promise<ProgressStore> | null = null;

/** The page's progress store (opened once). */
export function progressStore(): Promise<ProgressStore> {
  shared ??= ProgressStore.open();
  return shared;
}
