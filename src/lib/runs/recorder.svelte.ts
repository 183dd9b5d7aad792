/**
 * Records every training run (runs/types.ts RunRecord) as it goes: the page calls `begin` from its train() with the
 * settings read off the program and the panels at that moment; from then on the recorder follows the
 * TrainingClient (its history, status, message and the backend that ran) until the run ends, saving to the run
 * store (at most about once a second while epochs stream in, and at once when the run ends).
 * A Continue (keepHistory) appends to the run it continues: the newest run of the same session.
 *
 * `runs` (oldest first) is reactive, for the Runs panel and for the lessons.
 */
import type { TrainingClient, RunStatus } from '$lib/worker/client.svelte';
import { untrack } from 'svelte';
import { reportLessonEvent } from '$lib/lessons/events.svelte';
import { nextRunNumber, runName, runSettings, type SettingsSource } from './compare';
import { byStart, MAX_RUNS, RunStore } from './store';
import { latestOnly, WritePace } from '$lib/state/latest-only';
import type { RunRecord } from './types';

/** Client statuses after which a run is over. */
const ENDED: RunStatus[] = ['stopped', 'completed', 'diverged', 'failed'];
/** How often a running run is saved, at most (ms); less often when a put takes over a quarter of that (WritePace). */
const SAVE_EVERY_MS = 1000;
/** The BroadcastChannel on which tabs tell each other the names of the runs they start. */
const NAMES_CHANNEL = 'nn-playground-run-names';

export interface BeginOptions {
  /** Continuing a saved run: the client keeps its history and the run continues the one it came from. */
  keepHistory?: boolean;
  /** The epoch the continued run starts from (the saved weights' epoch). */
  startEpoch?: number;
  sessionId?: string | null;
}

export class RunRecorder {
  /** Every kept run, oldest first. */
  runs = $state.raw<RunRecord[]>([]);
  /** Why runs cannot be kept, or why some could not be read (null when all is well). */
  problem = $state<string | null>(null);
  /** Damaged stored runs that were skipped, one line each. */
  skipped = $state.raw<string[]>([]);
  /** The id of the run being recorded, or null. */
  activeId = $state<string | null>(null);
  loaded = $state(false);
  /** The ids of the runs ticked in the Runs panel (kept here, so hiding the panel keeps them). */
  overlaid = $state.raw<string[]>([]);
  readonly max: number;

  #client: Pick<TrainingClient, 'history' | 'status' | 'message' | 'backend' | 'params'>;
  #store: RunStore | null = null;
  #storeReady: Promise<RunStore>;
  #stop: (() => void) | null = null;
  #counter = 0;
  #seen = 0;
  #lastSave = 0;
  #saveTimer: ReturnType<typeof setTimeout> | null = null;
  /** One writer per run: at most one put in flight, the next takes the run's newest record (see latest-only.ts). */
  #writers = new Map<string, () => Promise<void>>();
  /** Each put copies the run's whole history: a long run's saves are spaced by 4× the last put's time (latest-only.ts). */
  #pace = new WritePace(SAVE_EVERY_MS);
  #sawStart = false;
  /** Tells the other tabs each new run's name, and hears theirs, so two tabs never both name a run "Run N". */
  #names: BroadcastChannel | null = null;

  constructor(client: Pick<TrainingClient, 'history' | 'status' | 'message' | 'backend' | 'params'>, store?: Promise<RunStore> | RunStore, max = MAX_RUNS) {
    this.#client = client;
    this.max = max;
    this.#storeReady = Promise.resolve(store ?? (typeof indexedDB === 'undefined' ? RunStore.memory(max) : RunStore.open({ max })));
  }

  /** Loads the kept runs and starts following the client. Returns the cleanup. */
  start(): () => void {
    void this.load();
    this.#stop = $effect.root(() => {
      $effect(() => {
        // What a run records; the recorder's own state is read untracked (it writes it).
        void [this.#client.history, this.#client.status, this.#client.message, this.#client.backend, this.#client.params];
        untrack(() => this.sync());
      });
    });
    return () => this.dispose();
  }

  dispose() {
    this.#stop?.();
    this.#stop = null;
    if (this.#saveTimer) clearTimeout(this.#saveTimer);
    this.#saveTimer = null;
    this.#names?.close();
    this.#names = null;
  }

  #listenForNames() {
    if (this.#names || typeof BroadcastChannel === 'undefined') return;
    this.#names = new BroadcastChannel(NAMES_CHANNEL);
    this.#names.onmessage = (e: MessageEvent) => {
      const name = (e.data as { name?: unknown } | null)?.name;
      if (typeof name === 'string') this.#seen = nextRunNumber([{ name }], this.#seen) - 1;
    };
    // Node's channel would keep a test process alive; browsers have no unref.
    (this.#names as { unref?: () => void }).unref?.();
  }

  async load() {
    this.#listenForNames();
    const store = await this.#storeReady;
    this.#store = store;
    const { runs, skipped } = await store.list();
    // A run still 'running' in storage: the page went away while it ran.
    const fixed = runs.map((r) =>
      (r.status === 'running' || r.status === 'starting' || r.status === 'paused') && r.id !== this.activeId
        ? { ...r, status: 'stopped' as RunStatus, message: r.message ?? 'The page was closed or reloaded while this run trained.' }
        : r
    );
    for (const r of fixed) if (r !== runs[fixed.indexOf(r)]) void store.put(r);
    // Runs recorded before the list arrived stay (they are newer).
    const here = new Map(this.runs.map((r) => [r.id, r]));
    const merged = [...fixed.filter((r) => !here.has(r.id)), ...this.runs].sort(byStart);
    this.runs = merged;
    this.#seen = nextRunNumber(merged, this.#seen) - 1;
    this.skipped = skipped;
    this.problem = store.problem;
    this.loaded = true;
    for (const r of this.runs) if (here.has(r.id)) void this.#save(r, true);
  }

  /**
   * A run starts (called by the page's train(), before the client's train): records its settings. `source` is what
   * the program and the panels say now.
   */
  begin(source: SettingsSource, opts: BeginOptions = {}): RunRecord {
    this.#finishActive();
    const settings = runSettings(source);
    const now = Date.now();
    let rec: RunRecord | undefined;
    if (opts.keepHistory) {
      // The session's newest run is the one its saved weights and curves came from (its stored curves may lag the
      // session's by a save; the client's curves, which the run takes from now on, are the session's).
      rec = this.runs.findLast((r) => r.sessionId === (opts.sessionId ?? null));
      if (rec) rec = { ...rec, status: 'running', message: null, settings: { ...settings, epochs: settings.epochs ?? rec.settings.epochs } };
    }
    if (!rec) {
      this.#seen = nextRunNumber(this.runs, this.#seen);
      rec = {
        id: `${now}-${String(++this.#counter).padStart(4, '0')}`,
        sessionId: opts.sessionId ?? null,
        name: runName(this.#seen, settings),
        startedAt: now,
        settings,
        // A continued run whose start is not kept: the curves the client keeps are its beginning.
        history: opts.keepHistory ? [...this.#client.history] : [],
        status: 'running',
        message: null,
        ranOn: null
      };
      this.#names?.postMessage({ name: rec.name });
    }
    this.#sawStart = false;
    this.activeId = rec.id;
    this.#replace(rec);
    void this.#save(rec, true);
    return rec;
  }

  /** The run being recorded takes the client's state (called by an effect whenever that changes; by hand in tests). */
  sync() {
    const c = this.#client;
    const { history, status, message, params } = c;
    const ranOn = c.backend?.actual ?? null;
    const id = this.activeId;
    if (!id) return;
    const rec = this.runs.find((r) => r.id === id);
    if (!rec) {
      this.activeId = null;
      return;
    }
    // The client's train() has not started yet (still the previous state): wait for it.
    if (status === 'starting' || status === 'running' || status === 'paused') this.#sawStart = true;
    if (!this.#sawStart) return;
    const ended = ENDED.includes(status) || status === 'idle';
    const next: RunRecord = {
      ...rec,
      // A Reset clears the client's curves: the run keeps what it had.
      history: status === 'idle' && history.length < rec.history.length ? rec.history : history,
      status: status === 'idle' ? 'stopped' : status === 'starting' ? 'running' : status,
      message: message ?? (status === 'idle' ? 'Reset before it finished.' : null),
      ranOn: ranOn ?? rec.ranOn,
      settings: params > 0 && params !== rec.settings.params && !ended ? { ...rec.settings, params } : rec.settings
    };
    this.#replace(next);
    if (ended) {
      this.activeId = null;
      void this.#save(next, true);
    } else void this.#save(next, false);
  }

  #finishActive() {
    const rec = this.runs.find((r) => r.id === this.activeId);
    this.activeId = null;
    if (rec && rec.status === 'running') {
      const next = { ...rec, status: 'stopped' as RunStatus };
      this.#replace(next);
      void this.#save(next, true);
    }
  }

  #replace(rec: RunRecord) {
    const i = this.runs.findIndex((r) => r.id === rec.id);
    this.runs = i < 0 ? [...this.runs, rec].sort(byStart) : this.runs.with(i, rec);
  }

  /** Saves `rec` now (`now`) or within the pace's delay (the latest state of the active run then). */
  async #save(rec: RunRecord, now: boolean) {
    const delay = this.#pace.delay();
    if (!now && Date.now() - this.#lastSave < delay) {
      this.#saveTimer ??= setTimeout(() => {
        this.#saveTimer = null;
        const latest = this.runs.find((r) => r.id === rec.id);
        if (latest) void this.#save(latest, true);
      }, delay);
      return;
    }
    this.#lastSave = Date.now();
    if (!this.#store) return; // saved by load() once the store is open
    let save = this.#writers.get(rec.id);
    if (!save) this.#writers.set(rec.id, (save = latestOnly(() => this.#write(rec.id))));
    await save();
  }

  /** Puts the run's newest record (every save #replace-s the run first; a run deleted meanwhile is not put back). */
  async #write(id: string) {
    const store = this.#store;
    const rec = this.runs.find((r) => r.id === id);
    if (!store || !rec) return;
    const dropped = await this.#pace.time(store.put(rec));
    if (dropped.length) {
      this.runs = this.runs.filter((r) => !dropped.includes(r.id));
      this.overlaid = this.overlaid.filter((id) => !dropped.includes(id));
    }
    this.problem = store.problem;
  }

  /** Ticks or unticks a run for the overlay; two or more ticked is the lesson event 'runs-overlaid'. */
  setOverlaid(id: string, on: boolean) {
    if (on && !this.runs.some((r) => r.id === id)) return;
    const next = on ? [...new Set([...this.overlaid, id])] : this.overlaid.filter((x) => x !== id);
    this.overlaid = next;
    if (on && next.length >= 2) reportLessonEvent('runs-overlaid', { runs: next.length });
  }

  async rename(id: string, name: string) {
    const rec = this.runs.find((r) => r.id === id);
    if (!rec) return;
    const next = { ...rec, name: name.trim() || 'Untitled run' };
    this.#replace(next);
    await this.#save(next, true);
  }

  /** Deletes runs (not the one being recorded); returns the deleted records (for an undo). */
  async delete(ids: string[]): Promise<RunRecord[]> {
    const gone = this.runs.filter((r) => ids.includes(r.id) && r.id !== this.activeId);
    if (!gone.length) return [];
    this.runs = this.runs.filter((r) => !gone.includes(r));
    this.overlaid = this.overlaid.filter((id) => !gone.some((r) => r.id === id));
    for (const r of gone) await this.#store?.delete(r.id);
    this.problem = this.#store?.problem ?? this.problem;
    return gone;
  }

  /** Puts deleted runs back. */
  async restore(recs: RunRecord[]) {
    for (const r of recs) {
      this.#replace(r);
      await this.#save(r, true);
    }
  }
}
