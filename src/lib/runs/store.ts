/**
 * The run store: every training run (runs/types.ts RunRecord) in its own IndexedDB database, 'nn-playground-runs'
 * (through `idb`), apart from the sessions, so runs outlive a session's deletion and neither schema waits on the other.
 *
 * Like the session store it never breaks the app: without IndexedDB (private mode, blocked, full) it keeps the runs
 * in memory for as long as the tab is open and `problem` says so. A damaged record is skipped when the list is read
 * (with a message in `skipped`), never breaking the list. Only the newest MAX_RUNS runs are kept.
 * Pure over an injected `IDBFactory`, so vitest runs it on fake-indexeddb.
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import type { RunRecord } from './types';

export const RUNS_DB_NAME = 'nn-playground-runs';
export const RUNS_DB_VERSION = 1;
/** The store keeps the newest this many runs; older ones are deleted when a new run is saved. */
export const MAX_RUNS = 200;

const STATUSES = ['idle', 'starting', 'running', 'paused', 'stopped', 'completed', 'diverged', 'failed'];

interface Schema extends DBSchema {
  runs: { key: string; value: RunRecord };
}

/** Why a stored value is not a usable run record, or null when it is. */
export function runProblem(raw: unknown): string | null {
  if (!raw || typeof raw !== 'object') return 'it is not a run record';
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || !r.id) return 'it has no id';
  if (typeof r.name !== 'string') return 'it has no name';
  if (typeof r.startedAt !== 'number' || !Number.isFinite(r.startedAt)) return 'its start time is missing';
  const s = r.settings as Record<string, unknown> | null;
  if (!s || typeof s !== 'object') return 'its settings are missing';
  if (typeof s.code !== 'string') return 'its program is missing';
  const data = s.data as Record<string, unknown> | null;
  if (!data || typeof data !== 'object' || typeof data.name !== 'string') return 'its data settings are missing';
  if (typeof s.seed !== 'number' || typeof s.params !== 'number') return 'its settings are damaged';
  if (!Array.isArray(r.history)) return 'its history is not a list';
  if (r.history.some((h) => !h || typeof h !== 'object' || typeof (h as { epoch?: unknown }).epoch !== 'number' || typeof (h as { loss?: unknown }).loss !== 'number')) {
    return 'its history is damaged';
  }
  if (typeof r.status !== 'string' || !STATUSES.includes(r.status)) return 'its status is unknown';
  return null;
}

/** Oldest first: by start time, then id (ids are ordered by start time). */
export function byStart(a: RunRecord, b: RunRecord): number {
  return a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** A short reason for a storage failure, for the user. */
function reason(e: unknown): string {
  const name = (e as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError') return 'browser storage is full';
  if (name === 'SecurityError' || name === 'InvalidStateError') return 'this browser does not allow storage here, as in private mode';
  if (name === 'TimeoutError') return 'browser storage did not answer';
  const message = e instanceof Error ? e.message : String(e);
  return `browser storage is unavailable${message ? `: ${message}` : ''}`;
}

export function runsStorageProblem(e: unknown): string {
  return `Runs can't be kept in this browser (${reason(e)}); they stay while this tab is open.`;
}

function plain<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return JSON.parse(JSON.stringify(value)) as T;
  }
}

export interface RunStoreOptions {
  /** The IndexedDB to use (default: the browser's); null = none (memory only). */
  indexedDB?: IDBFactory | null;
  name?: string;
  /** How many runs are kept (default MAX_RUNS). */
  max?: number;
  /** Give up opening after this many ms. Default 5000. */
  timeoutMs?: number;
}

export interface RunList {
  /** Oldest first. */
  runs: RunRecord[];
  /** One line per record that could not be read (it is skipped, and left in storage). */
  skipped: string[];
}

/**
 * The runs, in IndexedDB when it works and in memory when it does not. Methods never reject on a storage failure:
 * on the first failure the store moves to memory (carrying what it could read) and `problem` holds the message.
 */
export class RunStore {
  #db: IDBPDatabase<Schema> | null;
  #memory = new Map<string, unknown>();
  readonly max: number;
  problem: string | null;

  private constructor(db: IDBPDatabase<Schema> | null, max: number, problem: string | null) {
    this.#db = db;
    this.max = max;
    this.problem = problem;
  }

  get persistent(): boolean {
    return this.#db !== null;
  }

  static async open(opts: RunStoreOptions = {}): Promise<RunStore> {
    const max = opts.max ?? MAX_RUNS;
    const factory = opts.indexedDB !== undefined ? opts.indexedDB : (globalThis.indexedDB ?? null);
    if (!factory) return new RunStore(null, max, runsStorageProblem(new Error('this browser has no IndexedDB')));
    try {
      const db = await withTimeout(openWith(factory, opts.name ?? RUNS_DB_NAME), opts.timeoutMs ?? 5000);
      const store = new RunStore(db, max, null);
      db.addEventListener('versionchange', () => void store.#toMemory(Object.assign(new Error('a newer version of the playground needs the storage'), { name: 'VersionChangeError' })).finally(() => db.close()));
      return store;
    } catch (e) {
      return new RunStore(null, max, runsStorageProblem(e));
    }
  }

  static memory(max = MAX_RUNS): RunStore {
    return new RunStore(null, max, null);
  }

  async #all(): Promise<unknown[]> {
    if (this.#db) {
      try {
        return await this.#db.getAll('runs');
      } catch (e) {
        await this.#toMemory(e);
      }
    }
    return [...this.#memory.values()].map((r) => plain(r));
  }

  async #toMemory(e: unknown) {
    const db = this.#db;
    if (!db) return;
    this.#db = null;
    try {
      for (const raw of await db.getAll('runs')) {
        const id = (raw as { id?: unknown })?.id;
        if (typeof id === 'string' && !this.#memory.has(id)) this.#memory.set(id, raw);
      }
    } catch {
      // unreadable too: what this tab records next is kept in memory
    }
    this.problem = runsStorageProblem(e);
  }

  async #write(f: (db: IDBPDatabase<Schema>) => Promise<unknown>, mem: () => void) {
    if (this.#db) {
      try {
        await f(this.#db);
        return;
      } catch (e) {
        await this.#toMemory(e);
      }
    }
    mem();
  }

  /** Every readable run, oldest first; damaged records are skipped and named in `skipped`. */
  async list(): Promise<RunList> {
    const runs: RunRecord[] = [];
    const skipped: string[] = [];
    for (const [i, raw] of (await this.#all()).entries()) {
      const problem = runProblem(raw);
      if (problem) {
        const id = (raw as { id?: unknown } | null)?.id;
        const name = (raw as { name?: unknown } | null)?.name;
        skipped.push(`A stored run (${typeof name === 'string' && name ? name : typeof id === 'string' ? id : `record ${i + 1}`}) could not be read and is skipped: ${problem}.`);
      } else runs.push(raw as RunRecord);
    }
    return { runs: runs.sort(byStart), skipped };
  }

  /**
   * Saves (adds or replaces) a run. When there are more than `max` runs, the oldest are deleted; their ids are
   * returned (the newest `max` by start time are kept, never `rec` itself).
   */
  async put(rec: RunRecord): Promise<string[]> {
    const value = plain(rec);
    await this.#write(
      (db) => db.put('runs', value),
      () => this.#memory.set(rec.id, value)
    );
    return this.#trim(rec.id);
  }

  async #trim(keep: string): Promise<string[]> {
    const keys = this.#db ? await this.#db.getAllKeys('runs').catch(() => null) : [...this.#memory.keys()];
    if (!keys || keys.length <= this.max) return [];
    const { runs } = await this.list();
    const old = runs.filter((r) => r.id !== keep).slice(0, Math.max(0, runs.length - this.max));
    for (const r of old) await this.delete(r.id);
    return old.map((r) => r.id);
  }

  async delete(id: string): Promise<void> {
    await this.#write(
      (db) => db.delete('runs', id),
      () => this.#memory.delete(id)
    );
  }

  /** Renames a stored run (an empty name becomes "Untitled run"); the record after, or undefined when absent. */
  async rename(id: string, name: string): Promise<RunRecord | undefined> {
    const { runs } = await this.list();
    const rec = runs.find((r) => r.id === id);
    if (!rec) return undefined;
    const next = { ...rec, name: name.trim() || 'Untitled run' };
    await this.put(next);
    return next;
  }
}

/** Opens (and creates) the database through the given factory, wrapped by idb. */
async function openWith(factory: IDBFactory, name: string): Promise<IDBPDatabase<Schema>> {
  const request = factory.open(name, RUNS_DB_VERSION);
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains('runs')) db.createObjectStore('runs', { keyPath: 'id' });
  };
  const raw = await new Promise<IDBDatabase>((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('open failed'));
    request.onblocked = () => reject(Object.assign(new Error('another tab holds the storage'), { name: 'BlockedError' }));
  });
  return wrap(raw) as unknown as IDBPDatabase<Schema>;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(Object.assign(new Error('opening took too long'), { name: 'TimeoutError' })), ms);
    p.then(
      (v) => (clearTimeout(t), resolve(v)),
      (e) => (clearTimeout(t), reject(e))
    );
  });
}
