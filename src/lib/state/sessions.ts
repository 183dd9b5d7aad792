/**
 * Saved sessions in IndexedDB (through `idb`): everything the user made — code, data settings, backend, seed, the
 * epoch history, the trained weights (with the architecture they belong to) and uploaded data — plus a pointer to
 * the current session, so a reload or a crashed tab comes back where it was.
 *
 * Storage that is unavailable (private mode, blocked, no IndexedDB) or full never breaks the app: `SessionStore`
 * then keeps everything in memory for as long as the tab is open and `problem` says so, in words for the user.
 * Pure over an injected `IDBFactory`, so vitest runs it on fake-indexeddb (and on factories that fail).
 */
import { wrap, type DBSchema, type IDBPDatabase } from 'idb';
import type { EpochLog } from '$lib/worker/protocol';
import type { WeightSnapshot } from '$lib/worker/protocol';

export const DB_NAME = 'nn-playground';
export const DB_VERSION = 1;
/** The localStorage key of the first version (code and settings only); read once into the first session. */
export const LEGACY_KEY = 'nn-playground:v1';

/** What the editor and the panels hold: plain JSON. */
export interface SessionContent {
  code: string;
  /** The user's own program, kept while an example is open. */
  mine: string | null;
  /** The Data panel's settings (name, samples, noise, seed, classes, and whatever else the panel keeps). */
  data: { name: string };
  backend: string;
  seed: number;
}

/** How the last run ended, as the training client calls it. */
export type SavedRunStatus = 'idle' | 'starting' | 'running' | 'paused' | 'stopped' | 'completed' | 'diverged' | 'failed';

export interface SessionRecord extends SessionContent {
  id: string;
  name: string;
  created: number;
  updated: number;
  /** Epoch logs of the last run (the curves). */
  history: EpochLog[];
  /** The run's planned epochs (fit epochs). */
  totalEpochs: number;
  /** The run's state when last saved: 'running' after a reload means the page went away mid-run. */
  runStatus: SavedRunStatus;
  /** Epoch of the saved weights (absent: none saved). */
  weightsEpoch?: number;
  /** File name of the uploaded data saved with the session (absent: none). */
  uploadName?: string;
}

/** The list shows these (no code, no history). */
export type SessionSummary = Pick<SessionRecord, 'id' | 'name' | 'created' | 'updated'> & {
  /** Set when the saved record is damaged (it cannot be opened, only deleted): why, in words. */
  damaged?: string;
};

/** Why a stored session record cannot be opened, or null when it can (a damaged disk, a bug, a hand edit). */
export function recordProblem(rec: unknown): string | null {
  if (!rec || typeof rec !== 'object') return 'it is not a session record';
  const r = rec as Record<string, unknown>;
  if (typeof r.id !== 'string') return 'it has no id';
  if (typeof r.code !== 'string') return 'its program is missing';
  if (r.mine !== null && r.mine !== undefined && typeof r.mine !== 'string') return 'its own program is not text';
  const data = r.data as Record<string, unknown> | null;
  if (!data || typeof data !== 'object' || typeof data.name !== 'string') return 'its data settings are missing';
  if (typeof r.backend !== 'string') return 'its backend is missing';
  if (typeof r.seed !== 'number' || !Number.isFinite(r.seed)) return 'its weight seed is not a number';
  if (r.history !== undefined && !Array.isArray(r.history)) return 'its training history is not a list';
  if (Array.isArray(r.history) && r.history.some((h) => !h || typeof h !== 'object' || typeof (h as { epoch?: unknown }).epoch !== 'number')) {
    return 'its training history is damaged';
  }
  if (r.weightsEpoch !== undefined && typeof r.weightsEpoch !== 'number') return 'its weights epoch is not a number';
  return null;
}

/** A record read back, with defaults for the fields a list needs (never throws). */
function summaryOf(raw: unknown, key: string): SessionSummary {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const problem = recordProblem(raw);
  return {
    id: typeof r.id === 'string' ? r.id : key,
    name: typeof r.name === 'string' && r.name ? r.name : 'Unnamed session',
    created: num(r.created),
    updated: num(r.updated),
    ...(problem ? { damaged: problem } : {})
  };
}

/** A weight snapshot read back is used only when every tensor's values fit its shape. */
export function weightsProblem(w: unknown): string | null {
  if (!w || typeof w !== 'object') return 'not a weight snapshot';
  const s = w as Record<string, unknown>;
  if (typeof s.specKey !== 'string' || typeof s.epoch !== 'number' || !Array.isArray(s.weights)) return 'not a weight snapshot';
  for (const t of s.weights as unknown[]) {
    const x = t as { name?: unknown; shape?: unknown; values?: unknown } | null;
    if (!x || typeof x.name !== 'string' || !Array.isArray(x.shape) || !(x.values instanceof Float32Array)) return 'a tensor is damaged';
    const n = (x.shape as unknown[]).reduce<number>((a, d) => a * (typeof d === 'number' && d >= 0 ? d : NaN), 1);
    if (n !== x.values.length) return `tensor ${x.name} does not fit its shape`;
  }
  return null;
}

interface Schema extends DBSchema {
  sessions: { key: string; value: SessionRecord; indexes: { updated: number } };
  weights: { key: string; value: { id: string; snapshot: WeightSnapshot } };
  uploads: { key: string; value: { id: string; upload: unknown } };
  meta: { key: string; value: { key: string; value: unknown } };
}

/** A short, user-facing reason for a storage failure. */
export function storageReason(e: unknown): string {
  const name = (e as { name?: string } | null)?.name;
  if (name === 'QuotaExceededError' || (e as { code?: number } | null)?.code === 22) {
    return 'browser storage is full: delete sessions you no longer need or free disk space, then reload';
  }
  if (name === 'SecurityError' || name === 'InvalidStateError') return 'this browser does not allow storage here, as in private mode';
  if (name === 'TimeoutError') return 'browser storage did not answer';
  if (name === 'BlockedError') {
    return 'another open tab of the playground, an older version, holds the storage: close or reload that tab, then reload this one';
  }
  if (name === 'VersionChangeError') return 'a newer version of the playground was opened in another tab and needs the storage: reload this tab to keep saving';
  const message = e instanceof Error ? e.message : String(e);
  return `browser storage is unavailable${message ? `: ${message}` : ''}`;
}

export function storageProblem(e: unknown): string {
  return `Your work can't be saved in this browser (${storageReason(e)}); it stays while this tab is open.`;
}

export function newSessionId(): string {
  const rand = globalThis.crypto?.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  return `s-${rand}`;
}

/** Storage backends: IndexedDB, or maps in memory. */
interface Backend {
  list(): Promise<unknown[]>;
  get(id: string): Promise<unknown>;
  put(rec: SessionRecord): Promise<void>;
  delete(id: string): Promise<void>;
  getWeights(id: string): Promise<unknown>;
  putWeights(id: string, w: WeightSnapshot): Promise<void>;
  getUpload(id: string): Promise<unknown>;
  putUpload(id: string, upload: unknown | undefined): Promise<void>;
  getMeta(key: string): Promise<unknown>;
  putMeta(key: string, value: unknown): Promise<void>;
}

class MemoryBackend implements Backend {
  sessions = new Map<string, unknown>();
  weights = new Map<string, unknown>();
  uploads = new Map<string, unknown>();
  meta = new Map<string, unknown>();
  async list() {
    return [...this.sessions.values()].map((r) => structuredClone(r));
  }
  async get(id: string) {
    const r = this.sessions.get(id);
    return r && structuredClone(r);
  }
  async put(rec: SessionRecord) {
    this.sessions.set(rec.id, structuredClone(rec));
  }
  async delete(id: string) {
    this.sessions.delete(id);
    this.weights.delete(id);
    this.uploads.delete(id);
  }
  async getWeights(id: string) {
    return this.weights.get(id);
  }
  async putWeights(id: string, w: WeightSnapshot) {
    this.weights.set(id, w);
  }
  async getUpload(id: string) {
    return this.uploads.get(id);
  }
  async putUpload(id: string, upload: unknown) {
    if (upload === undefined) this.uploads.delete(id);
    else this.uploads.set(id, upload);
  }
  async getMeta(key: string) {
    return this.meta.get(key);
  }
  async putMeta(key: string, value: unknown) {
    this.meta.set(key, value);
  }
}

class IdbBackend implements Backend {
  constructor(readonly db: IDBPDatabase<Schema>) {}
  list() {
    return this.db.getAll('sessions');
  }
  get(id: string) {
    return this.db.get('sessions', id);
  }
  async put(rec: SessionRecord) {
    await this.db.put('sessions', rec);
  }
  async delete(id: string) {
    const tx = this.db.transaction(['sessions', 'weights', 'uploads'], 'readwrite');
    await Promise.all([tx.objectStore('sessions').delete(id), tx.objectStore('weights').delete(id), tx.objectStore('uploads').delete(id), tx.done]);
  }
  async getWeights(id: string) {
    return (await this.db.get('weights', id))?.snapshot;
  }
  async putWeights(id: string, snapshot: WeightSnapshot) {
    await this.db.put('weights', { id, snapshot });
  }
  async getUpload(id: string) {
    return (await this.db.get('uploads', id))?.upload;
  }
  async putUpload(id: string, upload: unknown) {
    if (upload === undefined) await this.db.delete('uploads', id);
    else await this.db.put('uploads', { id, upload });
  }
  async getMeta(key: string) {
    return (await this.db.get('meta', key))?.value;
  }
  async putMeta(key: string, value: unknown) {
    await this.db.put('meta', { key, value });
  }
}

export interface OpenOptions {
  /** The IndexedDB to use (default: the browser's); `null` = none (memory only). */
  indexedDB?: IDBFactory | null;
  name?: string;
  /** The database version asked for (default DB_VERSION; tests ask for a newer one). */
  version?: number;
  /** How long an open blocked by other tabs' connections waits for them to close before saying so. Default 1500. */
  blockedGraceMs?: number;
  /** Give up opening after this many ms (a blocked or hanging open). Default 5000. */
  timeoutMs?: number;
  /** Where the legacy localStorage save is read from (default: the browser's localStorage). */
  legacyStorage?: Pick<Storage, 'getItem' | 'removeItem'> | null;
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

/**
 * The sessions, in IndexedDB when it works and in memory when it does not. Every method resolves (never rejects
 * on a storage failure): on the first failed write the store moves to memory — carrying what it had — and
 * `problem` holds the message to show.
 */
export class SessionStore {
  #backend: Backend;
  /**
   * The database after it filled up (the store then works in memory): deletes still go there, so deleting sessions
   * frees space for the next reload, as the message suggests.
   */
  #disk: Backend | null = null;
  #legacy: Pick<Storage, 'getItem' | 'removeItem'> | null;
  /** Null while saving works; else the message for the user. */
  problem: string | null = null;
  /** Called when `problem` changes. */
  onProblem: ((message: string | null) => void) | null = null;

  private constructor(backend: Backend, legacy: Pick<Storage, 'getItem' | 'removeItem'> | null, problem: string | null) {
    this.#backend = backend;
    this.#legacy = legacy;
    this.problem = problem;
  }

  get persistent(): boolean {
    return this.#backend instanceof IdbBackend;
  }

  static async open(opts: OpenOptions = {}): Promise<SessionStore> {
    const legacy = opts.legacyStorage !== undefined ? opts.legacyStorage : safeLocalStorage();
    const factory = opts.indexedDB !== undefined ? opts.indexedDB : (globalThis.indexedDB ?? null);
    if (!factory) {
      return new SessionStore(new MemoryBackend(), legacy, storageProblem(new Error('this browser has no IndexedDB')));
    }
    try {
      const db = await withTimeout(openWith(factory, opts.name ?? DB_NAME, opts.version ?? DB_VERSION, opts.blockedGraceMs ?? 1500), opts.timeoutMs ?? 5000);
      const store = new SessionStore(new IdbBackend(db), legacy, null);
      // A newer version of the app in another tab wants to upgrade: keep what this tab has (in memory, carried over
      // while the connection is still open), then let it.
      db.addEventListener('versionchange', () => {
        void store.#toMemory(Object.assign(new Error('versionchange'), { name: 'VersionChangeError' })).finally(() => db.close());
      });
      return store;
    } catch (e) {
      return new SessionStore(new MemoryBackend(), legacy, storageProblem(e));
    }
  }

  static memory(): SessionStore {
    return new SessionStore(new MemoryBackend(), null, null);
  }

  #setProblem(message: string | null) {
    if (message === this.problem) return;
    this.problem = message;
    this.onProblem?.(message);
  }

  /** Runs a read; a failing read gives `fallback` (and is reported). */
  async #read<T>(f: (b: Backend) => Promise<T>, fallback: T): Promise<T> {
    try {
      return await f(this.#backend);
    } catch (e) {
      if (this.persistent) await this.#toMemory(e);
      try {
        return await f(this.#backend);
      } catch {
        return fallback;
      }
    }
  }

  /** Runs a write; on failure moves to memory (keeping what is readable) and writes there. */
  async #write(f: (b: Backend) => Promise<void>): Promise<void> {
    try {
      await f(this.#backend);
    } catch (e) {
      if (!this.persistent) throw e; // memory never fails; a bug, not storage
      await this.#toMemory(e);
      await f(this.#backend);
    }
  }

  async #toMemory(e: unknown) {
    const from = this.#backend;
    const mem = new MemoryBackend();
    // Carry what can still be read, so the list and the open session stay whole in this tab.
    try {
      for (const raw of await from.list()) {
        const r = summaryOf(raw, '');
        if (!r.id) continue;
        mem.sessions.set(r.id, raw);
        const w = await from.getWeights(r.id).catch(() => undefined);
        if (w) mem.weights.set(r.id, w);
        const u = await from.getUpload(r.id).catch(() => undefined);
        if (u !== undefined) mem.uploads.set(r.id, u);
      }
      const current = await from.getMeta('current');
      if (current !== undefined) mem.meta.set('current', current);
    } catch {
      // unreadable too: start empty; the caller writes the open session next
    }
    this.#backend = mem;
    if (from instanceof IdbBackend && storageReason(e).startsWith('browser storage is full')) this.#disk = from;
    this.#setProblem(storageProblem(e));
  }

  /** Newest first; damaged records are listed (marked `damaged`) so they can be deleted. */
  async list(): Promise<SessionSummary[]> {
    const all = await this.#read((b) => b.list(), []);
    return all.map((r, i) => summaryOf(r, `damaged-${i}`)).sort((a, b) => b.updated - a.updated || b.created - a.created);
  }

  /** The session, or undefined when it is not saved or is damaged (see `list`). */
  async get(id: string): Promise<SessionRecord | undefined> {
    const raw = await this.#read((b) => b.get(id), undefined);
    if (raw === undefined || recordProblem(raw)) return undefined;
    const rec = raw as SessionRecord;
    return { ...rec, name: typeof rec.name === 'string' && rec.name ? rec.name : 'Unnamed session', history: rec.history ?? [] };
  }

  /** Why the saved session `id` cannot be opened, or null (also null when there is no such session). */
  async damaged(id: string): Promise<string | null> {
    const raw = await this.#read((b) => b.get(id), undefined);
    return raw === undefined ? null : recordProblem(raw);
  }

  put(rec: SessionRecord): Promise<void> {
    return this.#write((b) => b.put($plain(rec)));
  }

  /** Changes some fields of a saved session (and its `updated` time unless given). */
  async update(id: string, changes: Partial<Omit<SessionRecord, 'id'>>): Promise<SessionRecord | undefined> {
    const rec = await this.get(id);
    if (!rec) return undefined;
    const next = { ...rec, ...changes, id, updated: changes.updated ?? Date.now() };
    await this.put(next);
    return next;
  }

  rename(id: string, name: string): Promise<SessionRecord | undefined> {
    return this.update(id, { name: name.trim() || 'Untitled session' });
  }

  async delete(id: string): Promise<void> {
    await this.#write((b) => b.delete(id));
    await this.#disk?.delete(id).catch(() => undefined);
  }

  /** Saved weights; damaged ones read as none (the session still opens, without them). */
  async getWeights(id: string): Promise<WeightSnapshot | undefined> {
    const w = await this.#read((b) => b.getWeights(id), undefined);
    if (w === undefined || weightsProblem(w)) return undefined;
    const snap = w as WeightSnapshot;
    // A damaged optimizer state is dropped (Continue then restarts the optimizer); the weights still count.
    if (snap.optimizer !== undefined && weightsProblem({ specKey: '', epoch: 0, weights: snap.optimizer?.slots })) {
      const { optimizer: _damaged, ...rest } = snap;
      void _damaged;
      return rest;
    }
    return snap;
  }

  async putWeights(id: string, snapshot: WeightSnapshot): Promise<void> {
    await this.#write((b) => b.putWeights(id, snapshot));
  }

  getUpload(id: string): Promise<unknown> {
    return this.#read((b) => b.getUpload(id), undefined);
  }

  /** Saves the session's uploaded data (structured-clone safe); `undefined` removes it. */
  putUpload(id: string, upload: unknown): Promise<void> {
    return this.#write((b) => b.putUpload(id, upload === undefined ? undefined : $plain(upload)));
  }

  async getCurrent(): Promise<string | null> {
    const v = await this.#read((b) => b.getMeta('current'), undefined);
    return typeof v === 'string' ? v : null;
  }

  setCurrent(id: string): Promise<void> {
    return this.#write((b) => b.putMeta('current', id));
  }

  /** A new session from `content`, saved (not made current). */
  async create(content: SessionContent, name?: string, extra?: Partial<SessionRecord>): Promise<SessionRecord> {
    const now = Date.now();
    const rec: SessionRecord = {
      id: newSessionId(),
      name: name ?? (await this.nextName()),
      created: now,
      updated: now,
      ...content,
      history: [],
      totalEpochs: 0,
      runStatus: 'idle',
      ...extra
    };
    await this.put(rec);
    return rec;
  }

  /** "Session N" with the first N not taken. */
  async nextName(base = 'Session'): Promise<string> {
    const names = new Set((await this.list()).map((s) => s.name));
    for (let i = 1; ; i++) if (!names.has(`${base} ${i}`)) return `${base} ${i}`;
  }

  /**
   * The first version kept code and settings in localStorage: when no session exists yet, they become the first
   * session (once: the old key is removed after the session is saved in IndexedDB).
   */
  async migrateLegacy(defaults: SessionContent): Promise<SessionRecord | null> {
    if (!this.#legacy) return null;
    let raw: string | null = null;
    try {
      raw = this.#legacy.getItem(LEGACY_KEY);
    } catch {
      return null;
    }
    if (!raw) return null;
    let saved: Partial<SessionContent> & { data?: Record<string, unknown> };
    try {
      saved = JSON.parse(raw);
    } catch {
      return null;
    }
    if ((await this.list()).length > 0) return null;
    const content: SessionContent = {
      code: typeof saved.code === 'string' ? saved.code : defaults.code,
      mine: typeof saved.mine === 'string' ? saved.mine : defaults.mine,
      data: saved.data && typeof saved.data.name === 'string' ? { ...defaults.data, ...saved.data, name: saved.data.name } : defaults.data,
      backend: typeof saved.backend === 'string' ? saved.backend : defaults.backend,
      seed: typeof saved.seed === 'number' ? saved.seed : defaults.seed
    };
    const rec = await this.create(content);
    await this.setCurrent(rec.id);
    if (this.persistent) {
      try {
        this.#legacy.removeItem(LEGACY_KEY);
      } catch {
        // harmless: the key is only read while no session exists
      }
    }
    return rec;
  }
}

/** `idb`'s openDB, on a given factory (idb's own uses the global one). */
async function openWith(factory: IDBFactory, name: string, version: number, blockedGraceMs: number): Promise<IDBPDatabase<Schema>> {
  const request = factory.open(name, version);
  request.onupgradeneeded = () => {
    const db = request.result;
    if (!db.objectStoreNames.contains('sessions')) db.createObjectStore('sessions', { keyPath: 'id' }).createIndex('updated', 'updated');
    if (!db.objectStoreNames.contains('weights')) db.createObjectStore('weights', { keyPath: 'id' });
    if (!db.objectStoreNames.contains('uploads')) db.createObjectStore('uploads', { keyPath: 'id' });
    if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'key' });
  };
  const raw = await new Promise<IDBDatabase>((resolve, reject) => {
    let gaveUp = false;
    let done = false;
    request.onsuccess = () => {
      // Opened after all (the old tab closed) but too late: this tab already works in memory; let go of it.
      if (gaveUp) request.result.close();
      else ((done = true), resolve(request.result));
    };
    request.onerror = () => ((done = true), reject(request.error ?? new Error('open failed')));
    // Other tabs still hold connections: tabs of this version let go within moments (see `versionchange` in
    // SessionStore.open); an older tab that does not is named after a short grace, rather than waited for.
    request.onblocked = () => {
      setTimeout(() => {
        if (done) return;
        gaveUp = true;
        reject(Object.assign(new Error('blocked by another tab'), { name: 'BlockedError' }));
      }, blockedGraceMs);
    };
  });
  return wrap(raw) as unknown as IDBPDatabase<Schema>;
}

function safeLocalStorage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

/** A structured-clone-safe copy (Svelte state proxies and functions are not storable). */
function $plain<T>(value: T): T {
  try {
    return structuredClone(value);
  } catch {
    return JSON.parse(JSON.stringify(value)) as T;
  }
}
