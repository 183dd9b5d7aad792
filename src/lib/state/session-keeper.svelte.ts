/**
 * Keeps the open session saved: watches the playground (code, data settings, backend, seed) and the training
 * client (epoch history, run status) and writes them to the session store — content debounced, the history after
 * every epoch (batched), the weights every few epochs and when a run pauses or ends. At start it restores the
 * current session (or opens a share link as a new session), and it runs the sessions list (open, new, rename,
 * delete). State as a runes class; the storage itself is `sessions.ts`, the link format `share.ts`.
 */
import type { EpochLog } from '$lib/worker/protocol';
import type { TrainingClient } from '$lib/worker/client.svelte';
import type { WeightSnapshot } from '$lib/worker/protocol';
import { specKey } from '$lib/worker/weights';
import { DEFAULT_CODE, DEFAULT_DATA, type Playground } from './playground.svelte';
import { SessionStore, storageProblem, type OpenOptions, type SessionContent, type SessionRecord, type SessionSummary } from './sessions';
import { decodeShare, sharePayload, shareUrl, ShareLinkError, type SharedProgram } from './share';
import { latestOnly, WritePace } from './latest-only';
import { canWrite, ownershipAfter, ownershipMessage, TabLock, type Guard, type Ownership, type TabLockOptions } from './tab-lock';

/** Content is saved this long after the last change; the history at most this often while training. */
const CONTENT_DEBOUNCE_MS = 200;
const HISTORY_DEBOUNCE_MS = 250;
/** Weights are saved every this many epochs while training (and when a run pauses or ends). */
export const WEIGHTS_EVERY_EPOCHS = 5;
/** …and at most this often (fast epochs of a large model would otherwise copy megabytes many times a second). */
const WEIGHTS_MIN_MS = 2000;
/**
 * localStorage key of the open session's content, written synchronously when the page is hidden or unloaded: an
 * IndexedDB write started then may not land before the page goes, this one always does. Read (and removed) at start.
 */
export const PENDING_KEY = 'nn-playground:pending';
/** sessionStorage key (one per tab, kept across reloads) of the session this tab shows. */
export const TAB_SESSION_KEY = 'nn-playground:tab-session';
/** BroadcastChannel on which a tab says it saved a session. */
export const SAVED_CHANNEL = 'nn-playground:saved';

/**
 * What Continue goes on with, in words (both engines save the optimizer's state with the weights; a save made before
 * they did, or by a compiled run before compiled saves carried it, has the weights only).
 */
export function resumeNote(w: WeightSnapshot): string {
  if (w.optimizer) return ` (weights, ${w.optimizer.className}'s state and step ${w.optimizer.slots[0]?.values[0] ?? 0}, the same batches)`;
  return ' (the weights only: the optimizer restarts)';
}

export interface Notice {
  kind: 'restored' | 'shared' | 'info';
  text: string;
}

/** The file name of the uploaded data the program trains on (links never carry it), if it uses one. */
function uploadedName(pg: Playground): string | undefined {
  if (pg.data.name !== 'csv') return undefined;
  return pg.csvTable?.fileName || 'uploaded file';
}

function damagedText(why: string): string {
  return `The last session could not be opened: its saved record is damaged (${why}). It is marked “damaged” in the Sessions list, where you can delete it; your other sessions are intact.`;
}

export class SessionKeeper {
  /** The sessions, newest first. */
  sessions = $state.raw<SessionSummary[]>([]);
  currentId = $state<string | null>(null);
  readonly current = $derived(this.sessions.find((s) => s.id === this.currentId) ?? null);
  /** Set when saving does not work (private mode, storage full): the app keeps everything in memory. */
  problem = $state<string | null>(null);
  /** What was restored or opened (role=status). */
  notice = $state<Notice | null>(null);
  /** A share link that could not be opened (role=alert). */
  linkError = $state<string | null>(null);
  /** Saved weights of the open session that fit its program: "Continue" can start from them. */
  weights = $state.raw<WeightSnapshot | null>(null);
  /**
   * Saved weights of a session just shown, which fit its program: the page loads them into the worker (decision
   * boundary, export) and sets this back to null.
   */
  restored = $state.raw<WeightSnapshot | null>(null);
  ready = $state(false);
  /** The engine of the session's saved run, when one was just shown: the page sets its Engine toggle and clears this. */
  restoredEngine = $state<'eager' | 'compiled' | null>(null);
  /** Whether this tab saves the open session (see tab-lock.ts): one writer per session. */
  ownership = $state<Ownership>('owner');
  /** Changes made in this tab that were not saved (it did not own the session). */
  dirty = $state(false);
  #lock: TabLock | null = null;
  /** How this tab knows about other tabs (Web Locks, messages, or not at all). */
  guard = $state<Guard>('locks');
  /** Tells other tabs that this one saved a session, so that tabs showing it read-only show the new version. */
  #saved: BroadcastChannel | null = null;
  /** A saved session that could not be opened because its record is damaged (role=alert), or null. */
  damagedNote = $state<string | null>(null);
  /**
   * The tab that saved the session has let it go (closed) while this tab could not take it by itself (a run is going
   * on, or it has unsaved changes): this tab offers to take over.
   */
  ownerGone = $state(false);
  /** What the tab says about other tabs (role=alert), or null. */
  get ownershipText(): string | null {
    const text = ownershipMessage(this.ownership, this.guard, this.dirty);
    return text && this.ownerGone && !this.writes ? `${text} The other tab has closed: take over to save this session here.` : text;
  }
  get writes(): boolean {
    return canWrite(this.ownership);
  }

  #pg: Playground;
  #client: TrainingClient;
  #store: SessionStore | null = null;
  #stopEffects: (() => void) | null = null;
  #contentTimer: ReturnType<typeof setTimeout> | null = null;
  #historyTimer: ReturnType<typeof setTimeout> | null = null;
  #lastContent = '';
  #lastHistory: EpochLog[] | null = null;
  #lastStatus = '';
  #lastUpload: unknown = undefined;
  #weightsAt = 0;
  #weightsTime = 0;
  #writes: Promise<unknown> = Promise.resolve();
  /**
   * The open session as last written. Saves put the whole record: IndexedDB issues the request at once (no read
   * first), so a save started as the page is hidden or reloaded still lands, and puts land in the order made.
   */
  #rec: SessionRecord | null = null;
  /**
   * One writer per session: at most one put in flight, the next one takes the newest record (see latest-only.ts).
   * Without it, once a put took longer than the history's period (a long run: each record copies the whole history),
   * puts piled up, each holding its copy, and the page's heap grew faster and faster (the spiral soak, ~epoch 4600).
   */
  #writers = new Map<string, { rec: SessionRecord; save: () => Promise<void> }>();
  /**
   * The history is saved HISTORY_DEBOUNCE_MS after an epoch, or 4× as long as the last put took when that is longer:
   * each put copies the whole history, so a long run (15 000 epochs) saved every 250 ms kept the storage busy
   * without a pause and the page's heap grew (the spiral soak). Starting, pausing and ending a run save at once.
   */
  #pace = new WritePace(HISTORY_DEBOUNCE_MS);
  /** The weights are saved by one writer too: a save due while one is in flight waits and takes the newest weights. */
  #weightsSave = latestOnly(() => this.#writeWeights());
  #onHide = (e: Event) => {
    // pagehide comes while the page still counts as visible; visibilitychange and pageshow say which way it goes.
    if (e.type === 'pageshow' || (e.type === 'visibilitychange' && globalThis.document?.visibilityState === 'visible')) {
      // Back again: later edits are saved as they come, so an older copy must not win after a crash.
      this.#dropPending();
      return;
    }
    this.flush();
    // A save waiting for the one in flight may not start before the page goes: issue the newest record now.
    if (this.#rec && this.#store && this.writes && this.#writers.has(this.#rec.id)) void this.#store.put(this.#rec).catch(() => undefined);
    this.#writePending();
  };

  /** One key per session (`PENDING_KEY:<id>`): tabs on other sessions never drop or overwrite this one's. */
  #pendingKey(id: string) {
    return `${PENDING_KEY}:${id}`;
  }

  #dropPending() {
    if (!this.currentId || !this.writes) return;
    try {
      globalThis.localStorage?.removeItem(this.#pendingKey(this.currentId));
    } catch {
      // nothing to drop
    }
  }

  #writePending() {
    if (!this.currentId || !this.#rec || !this.writes) return;
    try {
      globalThis.localStorage?.setItem(this.#pendingKey(this.currentId), JSON.stringify({ id: this.currentId, content: this.#pg.content() }));
    } catch {
      // full or unavailable: the IndexedDB save started by flush() is all there is
    }
  }

  /** The content saved by `#writePending` on the last page hide (removed once read). */
  #takePending(id: string): { id: string; content: SessionContent } | null {
    try {
      const raw = globalThis.localStorage?.getItem(this.#pendingKey(id));
      if (!raw) return null;
      globalThis.localStorage.removeItem(this.#pendingKey(id));
      const p = JSON.parse(raw);
      return p && typeof p.id === 'string' && p.content && typeof p.content.code === 'string' ? p : null;
    } catch {
      return null;
    }
  }

  constructor(pg: Playground, client: TrainingClient) {
    this.#pg = pg;
    this.#client = client;
  }

  /** Opens the store and restores the current session, or opens the share link in `hash` as a new session. */
  async start(opts: OpenOptions & { hash?: string; clearHash?: () => void; lock?: TabLockOptions } = {}): Promise<void> {
    try {
      await this.#start(opts);
    } catch (e) {
      // Never leaves the page without its editor: the work stays in memory, and the user is told.
      this.problem = storageProblem(e);
      this.ready = true;
    }
  }

  async #start(opts: OpenOptions & { hash?: string; clearHash?: () => void; lock?: TabLockOptions }): Promise<void> {
    const before = JSON.stringify(this.#pg.content());
    const lock = new TabLock(opts.lock);
    lock.onLost = (id) => this.#onLost(id);
    this.#lock = lock;
    this.guard = lock.guard;
    if (opts.lock?.channel !== null && typeof BroadcastChannel === 'function') {
      this.#saved = new BroadcastChannel(SAVED_CHANNEL);
      this.#saved.onmessage = (e) => void this.#onSaved(e.data);
    }
    const store = await SessionStore.open(opts);
    this.#store = store;
    this.problem = store.problem;
    store.onProblem = (m) => (this.problem = m);

    const payload = sharePayload(opts.hash ?? '');
    let opened = false;
    if (payload !== null) {
      opts.clearHash?.();
      try {
        await this.#openShared(decodeShare(payload));
        opened = true;
      } catch (e) {
        this.linkError = e instanceof ShareLinkError ? e.message : `This link could not be opened (${e instanceof Error ? e.message : e}). Your own work is unchanged.`;
      }
    }
    if (!opened) {
      let rec: SessionRecord | undefined;
      // This tab's own session first (kept across its reloads), else the one opened last in any tab.
      const mine = this.#tabSession();
      if (mine) rec = await store.get(mine);
      const id = rec ? null : await store.getCurrent();
      if (id) rec = await store.get(id);
      const wanted = mine ?? id;
      const damaged = !rec && wanted ? await store.damaged(wanted) : null;
      rec ??= (await store.migrateLegacy(this.#pg.content())) ?? undefined;
      if (!rec) {
        const newest = (await store.list()).find((s) => !s.damaged);
        if (newest) rec = await store.get(newest.id);
      }
      if (damaged) this.damagedNote = damagedText(damaged);
      const got = rec ? await this.#acquire(rec.id) : null;
      // The user may have typed while the store opened and the lock was asked for: their edit wins.
      const untouched = JSON.stringify(this.#pg.content()) === before;
      if (rec && got === 'elsewhere') {
        // Another tab saves this session: show it, write nothing (the banner offers read-only, take over, copy).
        if (untouched) await this.#show(rec, 'reload');
        else {
          this.currentId = rec.id;
          this.#rec = rec;
          this.dirty = true;
        }
        await this.refresh();
        this.#watch();
        this.#listen();
        this.ready = true;
        return;
      }
      const pending = rec ? this.#takePending(rec.id) : null;
      if (rec && pending && pending.id === rec.id) {
        const merged = { ...rec, ...pending.content };
        if (JSON.stringify(merged) !== JSON.stringify(rec)) {
          rec = { ...merged, updated: Date.now() };
          await store.put(rec);
        }
      }
      if (rec && untouched) await this.#show(rec, 'reload');
      else {
        rec ??= await store.create(this.#pg.content());
        if (this.#lock?.held !== rec.id) await this.#acquire(rec.id);
        // What is saved is what the editor holds now (it may have changed while the lock was asked for).
        const content = this.#pg.content();
        rec = { ...rec, ...content, updated: Date.now() };
        await store.put(rec);
        this.currentId = rec.id;
        this.#rec = rec;
        this.#lastContent = JSON.stringify(content);
      }
      await store.setCurrent(rec.id);
      this.#setTabSession(rec.id);
    }
    await this.refresh();
    this.#watch();
    this.#listen();
    this.ready = true;
  }

  #listen() {
    globalThis.addEventListener?.('pagehide', this.#onHide);
    globalThis.addEventListener?.('pageshow', this.#onHide);
    globalThis.document?.addEventListener('visibilitychange', this.#onHide);
  }

  #tabSession(): string | null {
    try {
      return globalThis.sessionStorage?.getItem(TAB_SESSION_KEY) ?? null;
    } catch {
      return null;
    }
  }

  #setTabSession(id: string) {
    try {
      globalThis.sessionStorage?.setItem(TAB_SESSION_KEY, id);
    } catch {
      // no sessionStorage: a reload opens the session opened last in any tab
    }
  }

  /** Asks for the lock of session `id` and sets `ownership` from the answer. */
  async #acquire(id: string, steal = false): Promise<'owner' | 'elsewhere'> {
    const lock = this.#lock;
    if (!lock) return 'owner';
    const got = await lock.acquire(id, steal);
    this.ownership = ownershipAfter(this.ownership, got === 'owner' ? { type: 'acquired', guard: lock.guard } : { type: 'held-elsewhere' });
    this.ownerGone = false;
    if (got === 'owner') this.dirty = false;
    else this.#watchFree(id);
    return got;
  }

  /** When the tab that saves session `id` lets it go (it closes), this tab takes it over (tab-lock.ts whenFree). */
  #watchFree(id: string) {
    const lock = this.#lock;
    if (!lock) return;
    void lock.whenFree(id).then((got) => {
      if (got) void this.#onFreed(id);
    });
  }

  /**
   * The session's owner closed and this tab holds its lock now: it takes the session over (showing what was saved
   * last; its own unsaved changes go to a new session, as Take over does). While a run is going on, or with unsaved
   * changes, it offers instead (the message says the other tab closed) and lets the lock go, so that an owner that
   * was only reloading slowly gets its session back.
   */
  async #onFreed(id: string) {
    if (id !== this.currentId || this.writes) {
      if (this.#lock?.held === id && !this.writes) this.#lock.release();
      return;
    }
    if (this.#client.busy || this.dirty) {
      this.#lock?.release();
      this.ownerGone = true;
      return;
    }
    await this.takeOver(true);
  }

  #announce(id: string) {
    try {
      this.#saved?.postMessage({ app: 'nn-playground', saved: id });
    } catch {
      // closed: nothing to tell
    }
  }

  /** Another tab saved a session: a tab showing it without saving (and without changes of its own) follows. */
  async #onSaved(m: unknown) {
    const id = (m as { saved?: unknown } | null)?.saved;
    if (id === this.currentId) this.ownerGone = false; // its owner is there after all (it was reloading)
    if (typeof id !== 'string' || id !== this.currentId || this.writes || this.dirty || this.#client.busy || !this.#store) return;
    const rec = await this.#store.get(id);
    if (rec && id === this.currentId && !this.writes && !this.dirty) await this.#show(rec, 'sync');
  }

  /** Another tab took over the session this tab saved. */
  #onLost(id: string) {
    if (id !== this.currentId) return;
    // Whatever was waiting to be saved is not written now (the other tab owns the session): say so.
    if (this.#contentTimer) {
      clearTimeout(this.#contentTimer);
      this.#contentTimer = null;
      this.dirty = true;
    }
    if (this.#historyTimer) clearTimeout(this.#historyTimer);
    this.#historyTimer = null;
    this.ownership = ownershipAfter(this.ownership, { type: 'stolen' });
    this.#watchFree(id);
  }

  /** Look at the session without saving it (another tab owns it). */
  readOnly() {
    this.ownership = ownershipAfter(this.ownership, { type: 'chose-readonly' });
  }

  /**
   * Makes this tab the one that saves the open session: the other tab becomes read-only and says so. This tab then
   * shows the latest saved version; its own unsaved changes, if any, are kept as a new session first.
   */
  async takeOver(freed = false) {
    const store = this.#store;
    const id = this.currentId;
    if (!store || !id || this.writes || this.#busyMessage()) return;
    let kept: SessionRecord | null = null;
    if (this.dirty) kept = await store.create(this.#pg.content(), `${this.#rec?.name ?? 'Session'} (unsaved edits)`);
    if (freed && this.#lock?.held === id) {
      // The owner closed and this tab holds the lock already (#onFreed): no steal.
      this.ownership = ownershipAfter(this.ownership, { type: 'acquired', guard: this.#lock.guard });
      this.ownerGone = false;
      this.dirty = false;
    } else await this.#acquire(id, true);
    const rec = await store.get(id);
    if (!rec) {
      this.notice = { kind: 'info', text: 'That session is no longer saved.' };
      await this.refresh();
      return;
    }
    await this.#show(rec, 'open');
    await this.#queue(() => store.setCurrent(id));
    this.#setTabSession(id);
    const parts = [freed ? `The other tab closed: this tab now saves “${rec.name}”.` : `This tab now saves “${rec.name}”; the other tab is read-only.`];
    if (kept) parts.push(`Your unsaved changes from this tab are in a new session, “${kept.name}”.`);
    this.notice = { kind: 'info', text: parts.join(' ') };
    await this.refresh();
  }

  /** A new session with what this tab shows (its unsaved changes included), saved by this tab. */
  async workOnCopy() {
    const store = this.#store;
    const from = this.#rec;
    if (!store || !from) return;
    const content = this.#pg.content();
    const weights = this.weights;
    const rec = await store.create(content, `${from.name} (copy)`, {
      history: $state.snapshot(this.#client.history) as EpochLog[],
      totalEpochs: this.#client.totalEpochs,
      runStatus: this.#client.busy ? 'stopped' : this.#client.status,
      ...(weights ? { weightsEpoch: weights.epoch } : {}),
      ...(this.#pg.csvTable ? { uploadName: this.#pg.csvTable.fileName } : {})
    });
    if (weights) await store.putWeights(rec.id, weights);
    if (this.#pg.csvTable) await store.putUpload(rec.id, this.#pg.csvTable);
    await this.#acquire(rec.id);
    this.currentId = rec.id;
    this.#rec = rec;
    this.#lastContent = JSON.stringify(content);
    this.dirty = false;
    await this.#queue(() => store.setCurrent(rec.id));
    this.#setTabSession(rec.id);
    this.notice = { kind: 'info', text: `Working on a copy, “${rec.name}”: this tab saves it; “${from.name}” stays with the other tab.` };
    await this.refresh();
  }

  dispose() {
    this.flush();
    this.#lock?.dispose();
    this.#saved?.close();
    this.#saved = null;
    this.#stopEffects?.();
    globalThis.removeEventListener?.('pagehide', this.#onHide);
    globalThis.removeEventListener?.('pageshow', this.#onHide);
    globalThis.document?.removeEventListener('visibilitychange', this.#onHide);
  }

  async refresh() {
    if (this.#store) this.sessions = await this.#store.list();
  }

  /** Writes run one after another (a later save never lands before an earlier one). */
  #queue<T>(f: () => Promise<T>): Promise<T> {
    const p = this.#writes.then(f, f);
    this.#writes = p.catch(() => undefined);
    return p;
  }

  #watch() {
    this.#stopEffects = $effect.root(() => {
      $effect(() => this.contentChanged());
      $effect(() => {
        // The uploaded CSV table is saved beside the session (it can be large: only when it changes).
        const table = this.#pg.csvTable;
        if (table === this.#lastUpload) return;
        this.#lastUpload = table;
        const id = this.currentId;
        const store = this.#store;
        if (!id || !store || !this.writes) return;
        void store.putUpload(id, table ?? undefined).then(() => this.#put({ uploadName: table?.fileName }, id));
      });
      $effect(() => {
        void [this.#client.history, this.#client.status, this.#client.totalEpochs];
        this.trainingChanged();
      });
    });
  }

  /**
   * Called (by an effect) when the training client's history or status may have changed: saves the history (at once
   * when a run starts, pauses or ends; paced while it runs) and the weights (every few epochs, and when a run ends).
   */
  trainingChanged() {
    const history = this.#client.history;
    const status = this.#client.status;
    if (history === this.#lastHistory && status === this.#lastStatus) return;
    const statusChanged = status !== this.#lastStatus;
    this.#lastStatus = status;
    if (statusChanged) this.#saveHistory(); // a run starting, pausing or ending is saved at once
    else if (!this.#historyTimer) this.#historyTimer = setTimeout(() => this.#saveHistory(), this.#pace.delay());
    const last = history.at(-1)?.epoch ?? 0;
    const ended = statusChanged && (status === 'paused' || status === 'stopped' || status === 'completed' || status === 'diverged');
    if (status === 'starting') this.#weightsAt = last;
    const due = status === 'running' && last - this.#weightsAt >= WEIGHTS_EVERY_EPOCHS && performance.now() - this.#weightsTime >= WEIGHTS_MIN_MS;
    if (ended || due) {
      this.#weightsAt = last;
      this.#weightsTime = performance.now();
      void this.#weightsSave();
    }
  }

  /** Called (by an effect) when the playground's content may have changed: saves it soon, if this tab saves. */
  contentChanged() {
    const json = JSON.stringify(this.#pg.content());
    if (json === this.#lastContent) return;
    if (!canWrite(this.ownership)) {
      this.dirty = true; // shown in the banner: nothing is saved from this tab
      return;
    }
    if (this.#contentTimer) clearTimeout(this.#contentTimer);
    this.#contentTimer = setTimeout(() => this.#saveContent(), CONTENT_DEBOUNCE_MS);
  }

  /** Saves whatever is pending now (before switching sessions, when the page is hidden or closed). */
  flush() {
    if (this.#contentTimer) this.#saveContent();
    if (this.#historyTimer) this.#saveHistory();
  }

  #saveContent() {
    if (this.#contentTimer) clearTimeout(this.#contentTimer);
    this.#contentTimer = null;
    const content = this.#pg.content();
    const json = JSON.stringify(content);
    if (json === this.#lastContent) return;
    this.#lastContent = json;
    void this.#put(content)?.then(() => this.refresh());
  }

  /** Writes changes to the open session (see `#rec`). */
  #put(changes: Partial<SessionRecord>, id = this.currentId): Promise<void> | undefined {
    const store = this.#store;
    if (!store || !id || !this.#rec || this.#rec.id !== id || !this.writes) return undefined;
    const rec = (this.#rec = { ...this.#rec, ...changes, id, updated: Date.now() });
    return this.#write(store, rec).then(() => this.#announce(id));
  }

  /** Writes `rec` (its session's newest record) through that session's writer: one put in flight at a time. */
  #write(store: SessionStore, rec: SessionRecord): Promise<void> {
    const writer = this.#writers.get(rec.id) ?? { rec, save: () => Promise.resolve() };
    if (!this.#writers.has(rec.id)) {
      writer.save = latestOnly(() => this.#pace.time(store.put(writer.rec)));
      this.#writers.set(rec.id, writer);
    }
    writer.rec = rec;
    const done = () => {
      // Landed, and nothing newer waits: the writer (and the record it holds) can go.
      if (writer.rec === rec && this.#writers.get(rec.id) === writer) this.#writers.delete(rec.id);
    };
    const p = writer.save();
    p.then(done, done);
    return p;
  }

  /** Puts in flight or waiting, one per session being written (for tests: never more than one each). */
  get writesInFlight(): number {
    return this.#writers.size;
  }

  #saveHistory() {
    if (this.#historyTimer) clearTimeout(this.#historyTimer);
    this.#historyTimer = null;
    const history = this.#client.history;
    this.#lastHistory = history;
    void this.#put({ history: $state.snapshot(history) as EpochLog[], totalEpochs: this.#client.totalEpochs, runStatus: this.#client.status });
  }

  async #writeWeights() {
    const id = this.currentId;
    const store = this.#store;
    if (!id || !store) return;
    const snapshot = await this.#client.getCheckpoint();
    if (!snapshot || id !== this.currentId || this.#rec?.id !== id || !this.writes) return;
    this.weights = snapshot;
    await store.putWeights(id, snapshot);
    await this.#put({ weightsEpoch: snapshot.epoch }, id);
  }

  /** Shows a saved session in the playground and the training panel. */
  async #show(rec: SessionRecord, why: 'reload' | 'open' | 'shared' | 'sync') {
    const store = this.#store!;
    // Read first, then show everything at once.
    const upload = rec.uploadName !== undefined ? await store.getUpload(rec.id) : undefined;
    const saved = rec.weightsEpoch !== undefined ? await store.getWeights(rec.id) : undefined;
    this.currentId = rec.id;
    this.#rec = rec;
    if (why !== 'sync') this.notice = null;
    this.#lastUpload = (upload as Playground['csvTable']) ?? null;
    this.#pg.csvTable = (upload as Playground['csvTable']) ?? null;
    const note = this.#pg.load(rec);
    this.#lastContent = JSON.stringify(this.#pg.content());
    this.#client.restore({ history: rec.history ?? [], totalEpochs: rec.totalEpochs ?? 0, status: rec.runStatus });
    this.#lastHistory = this.#client.history;
    this.#lastStatus = this.#client.status;
    this.weights = saved ?? null;
    this.restoredEngine = saved?.engine ?? null;
    const spec = this.#pg.lastGood?.spec;
    this.restored = saved && spec && this.#pg.upToDate && saved.specKey === specKey(spec) ? saved : null;
    const n = rec.history?.length ?? 0;
    const last = rec.history?.at(-1)?.epoch ?? 0;
    this.#weightsAt = last;
    const wasRunning = rec.runStatus === 'running' || rec.runStatus === 'starting' || rec.runStatus === 'paused';
    if (why === 'sync') return; // another tab's save, shown quietly
    const parts: string[] = [];
    if (why !== 'shared' && n > 0) {
      const epochs = `${last} ${last === 1 ? 'epoch' : 'epochs'}`;
      if (why === 'reload' && wasRunning) parts.push(`Restored: trained ${epochs} before the page was reloaded (the run does not go on by itself).`);
      else if (why === 'reload') parts.push(`Restored: trained ${epochs}.`);
      else parts.push(`Opened “${rec.name}”: trained ${epochs}.`);
      parts.push(this.canContinue ? `Press Continue to go on from epoch ${this.weights!.epoch}${resumeNote(this.weights!)}, or Train to start again.` : 'Press Train to train again.');
    } else if (why === 'open') parts.push(`Opened “${rec.name}”.`);
    if (note) parts.push(note);
    if (parts.length) this.notice = { kind: why === 'shared' ? 'shared' : 'restored', text: parts.join(' ') };
  }

  /** Whether the saved weights fit the current program and can continue the run shown. */
  get canContinue(): boolean {
    const w = this.weights;
    const spec = this.#pg.lastGood?.spec;
    if (!w || !spec || w.epoch <= 0) return false;
    const total = spec.fit?.epochs ?? 1;
    return w.specKey === specKey(spec) && w.epoch < total && !this.#client.busy;
  }

  /**
   * The weights to continue from (with the curves trimmed to their epoch), or null when they do not fit the
   * program any more. The caller trains with `initialWeights` + `startEpoch` and keeps the history.
   */
  prepareContinue(): WeightSnapshot | null {
    if (!this.canContinue) return null;
    const w = this.weights!;
    this.#client.history = this.#client.history.filter((h) => h.epoch <= w.epoch);
    this.notice = null;
    return w;
  }

  async #openShared(program: SharedProgram) {
    const store = this.#store!;
    const content: SessionContent = { code: program.code, mine: null, data: program.data, backend: program.backend, seed: program.seed };
    const rec = await store.create(content, await store.nextName('Shared program'));
    await this.#acquire(rec.id);
    await store.setCurrent(rec.id);
    this.#setTabSession(rec.id);
    await this.#show(rec, 'shared');
    const parts = [`Opened a shared program as a new session, “${rec.name}” (your other sessions are in the list). Nothing trains until you press Train.`];
    if (program.uploadedData) parts.push(`It was made with uploaded data (“${program.uploadedData}”), which links do not include: upload it again to train.`);
    if (this.notice?.text) parts.push(this.notice.text);
    this.notice = { kind: 'shared', text: parts.join(' ') };
  }

  /**
   * Opens a lesson (lessons/types.ts) as a new session named after it, with the lesson's program, data, backend and
   * seed; the user's own sessions stay as they are (the Sessions menu lists them). Returns the new session's id (null
   * while training runs, or without storage: then the lesson is shown in memory).
   */
  async openLesson(lesson: { number: number; title: string; setup: { code: string; data?: Partial<SessionContent['data']>; backend?: string; seed?: number } }): Promise<string | null> {
    const s = lesson.setup;
    const content: SessionContent = { code: s.code, mine: null, data: { ...DEFAULT_DATA, ...(s.data ?? {}) }, backend: s.backend ?? this.#pg.backend, seed: s.seed ?? 1 };
    if (this.#busyMessage()) return null;
    const store = this.#store;
    if (!store) {
      this.#pg.load(content);
      this.#client.reset();
      return null;
    }
    this.flush();
    await this.#writes;
    const taken = new Set((await store.list()).map((x) => x.name));
    const base = `Lesson ${lesson.number}: ${lesson.title}`;
    let name = base;
    for (let i = 2; taken.has(name); i++) name = `${base} (${i})`;
    const rec = await store.create(content, name);
    await this.#acquire(rec.id);
    await store.setCurrent(rec.id);
    this.#setTabSession(rec.id);
    await this.#show(rec, 'open');
    this.#client.reset();
    this.notice = { kind: 'info', text: `Opened the lesson as a new session, “${rec.name}”: your own sessions are in the Sessions list, unchanged.` };
    await this.refresh();
    return rec.id;
  }

  /** The link to the current program and settings (no weights, no uploaded data). */
  shareLink(base = `${location.origin}${location.pathname}`): { url: string; note: string | null } {
    const c = this.#pg.content();
    const uploaded = uploadedName(this.#pg);
    const url = shareUrl(base, { code: c.code, data: c.data, backend: c.backend, seed: c.seed, ...(uploaded ? { uploadedData: uploaded } : {}) });
    return { url, note: uploaded ? `The uploaded data (“${uploaded}”) is not included in the link: whoever opens it uploads their own.` : null };
  }

  #busyMessage(): boolean {
    if (!this.#client.busy) return false;
    this.notice = { kind: 'info', text: 'Stop the training first: a session opens when nothing is running.' };
    return true;
  }

  async open(id: string) {
    if (!this.#store || id === this.currentId || this.#busyMessage()) return;
    this.flush();
    await this.#writes;
    const rec = await this.#store.get(id);
    if (!rec) {
      const why = await this.#store.damaged(id);
      this.notice = { kind: 'info', text: why ? `That session cannot be opened: its saved record is damaged (${why}). You can delete it.` : 'That session is no longer saved.' };
      await this.refresh();
      return;
    }
    this.linkError = null;
    const got = await this.#acquire(id);
    await this.#show(rec, 'open');
    if (got === 'owner') await this.#queue(() => this.#store!.setCurrent(id));
    this.#setTabSession(id);
    await this.refresh();
  }

  async create() {
    if (!this.#store || this.#busyMessage()) return;
    this.flush();
    await this.#writes;
    const content: SessionContent = { code: DEFAULT_CODE, mine: null, data: { ...DEFAULT_DATA }, backend: this.#pg.backend, seed: 1 };
    const rec = await this.#store.create(content);
    await this.#acquire(rec.id);
    await this.#store.setCurrent(rec.id);
    this.#setTabSession(rec.id);
    await this.#show(rec, 'open');
    this.notice = { kind: 'info', text: `Started “${rec.name}”.` };
    await this.refresh();
  }

  async rename(id: string, name: string) {
    if (!this.#store) return;
    if (id === this.currentId && !this.writes) {
      this.notice = { kind: 'info', text: 'This session is saved by another tab: rename it there, or take it over here first.' };
      return;
    }
    if (id === this.currentId && this.#rec) await this.#put({ name: name.trim() || 'Untitled session' });
    else await this.#queue(() => this.#store!.rename(id, name));
    await this.refresh();
  }

  async remove(id: string) {
    const store = this.#store;
    if (!store) return;
    if (id === this.currentId && this.#busyMessage()) return;
    if (id === this.currentId && !this.writes) {
      this.notice = { kind: 'info', text: 'This session is saved by another tab: delete it there, or take it over here first.' };
      return;
    }
    if (id === this.currentId) {
      // Nothing pending may write the deleted session back.
      this.#rec = null;
      if (this.#contentTimer) clearTimeout(this.#contentTimer);
      if (this.#historyTimer) clearTimeout(this.#historyTimer);
      this.#contentTimer = this.#historyTimer = null;
    }
    await this.#queue(() => store.delete(id));
    await this.refresh();
    if (this.damagedNote && !this.sessions.some((s) => s.damaged)) this.damagedNote = null;
    if (id === this.currentId) {
      const next = this.sessions.find((s) => !s.damaged);
      if (next) {
        const rec = await store.get(next.id);
        if (rec) {
          const got = await this.#acquire(rec.id);
          await this.#show(rec, 'open');
          if (got === 'owner') await store.setCurrent(rec.id);
          this.#setTabSession(rec.id);
          return;
        }
      }
      this.currentId = null;
      this.#rec = null;
      await this.create();
    }
  }
}
