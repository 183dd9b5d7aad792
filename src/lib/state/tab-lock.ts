/**
 * One writer per session: the tab that holds a session's lock is the only one that saves it.
 *
 * With the Web Locks API (`navigator.locks`) the lock is `nn-playground:session:<id>`, held for as long as this tab
 * owns the session (the browser releases it when the tab closes, reloads or crashes). A second tab asks with
 * `ifAvailable` and learns at once that another tab has it; "Take over" asks with `steal`, and the first tab's
 * request then rejects with AbortError: it becomes read-only and says so.
 *
 * Without `navigator.locks` (old browsers, some embedded views) the tabs ask each other over a BroadcastChannel: a
 * tab that owns the session answers a probe within a fraction of a second, and a take-over is a message. That is
 * less certain (a busy tab may answer late), and the app says so. With neither, the tab saves as before and says
 * that it cannot tell whether the session is open elsewhere.
 *
 * The decisions themselves (`ownershipAfter`, `canWrite`) are pure and unit-tested; the browser parts are injected.
 */

/** How this tab stands with the session it shows. */
export type Ownership =
  /** This tab saves the session (it holds the lock). */
  | 'owner'
  /** Another tab holds the session; this tab has not chosen yet (it does not save). */
  | 'elsewhere'
  /** The user chose to look without saving. */
  | 'readonly'
  /** Another tab took the session over; this tab no longer saves. */
  | 'lost'
  /** Nothing can tell whether other tabs have the session: this tab saves, and says so. */
  | 'unguarded';

/** How the lock was got. */
export type Guard = 'locks' | 'channel' | 'none';

export type LockEvent =
  | { type: 'acquired'; guard: Guard }
  | { type: 'held-elsewhere' }
  | { type: 'stolen' }
  | { type: 'chose-readonly' };

/** The next state after an event (pure). */
export function ownershipAfter(state: Ownership, e: LockEvent): Ownership {
  switch (e.type) {
    case 'acquired':
      return e.guard === 'none' ? 'unguarded' : 'owner';
    case 'held-elsewhere':
      return 'elsewhere';
    case 'stolen':
      return state === 'owner' || state === 'unguarded' ? 'lost' : state;
    case 'chose-readonly':
      return state === 'elsewhere' ? 'readonly' : state;
  }
}

/** Whether this tab may write the session (pure). */
export function canWrite(state: Ownership): boolean {
  return state === 'owner' || state === 'unguarded';
}

/** What the tab says about its session, in words for the user (pure). */
export function ownershipMessage(state: Ownership, guard: Guard, dirty: boolean): string | null {
  const unsaved = dirty ? ' Changes made in this tab since then are not saved: work on a copy to keep them.' : '';
  switch (state) {
    case 'owner':
      return guard === 'channel'
        ? 'This browser has no Web Locks: tabs check with each other by messages, which a very busy tab may answer late. Avoid editing one session in two tabs.'
        : null;
    case 'unguarded':
      return 'This browser cannot tell whether this session is also open in another tab (no Web Locks, no BroadcastChannel). If it is, the tab saved last wins: edit it in one tab only.';
    case 'elsewhere':
      return `This session is open in another tab, which saves it. To avoid overwriting each other's work, this tab saves nothing until you choose.${unsaved}`;
    case 'readonly':
      return `Read-only: this session is being edited in another tab. Nothing you change here is saved.${unsaved}`;
    case 'lost':
      return `Another tab took over this session: this tab is now read-only and saves nothing.${unsaved}`;
  }
}

/** The parts of `navigator.locks` used here. */
export interface LockManagerLike {
  request(name: string, options: { ifAvailable?: boolean; steal?: boolean; signal?: AbortSignal }, callback: (lock: unknown) => unknown): Promise<unknown>;
}

interface ChannelLike {
  postMessage(m: unknown): void;
  close(): void;
  onmessage: ((e: { data: unknown }) => void) | null;
}

export interface TabLockOptions {
  /** Default: `navigator.locks` when it exists. `null`: none. */
  locks?: LockManagerLike | null;
  /** Makes the fallback channel. Default: `new BroadcastChannel(name)` when it exists. `null`: none. */
  channel?: ((name: string) => ChannelLike) | null;
  /** How long a channel probe waits for an owner's answer. */
  probeMs?: number;
  /**
   * `whenFree`: how long the session's lock must stay free before this tab takes it (an owner that reloads takes it
   * back within this time and keeps it). Default 5 s.
   */
  graceMs?: number;
  /** This tab's id on the channel. */
  tabId?: string;
}

type Msg = { app: 'nn-playground'; type: 'probe' | 'held' | 'steal'; id: string; from: string };

export const LOCK_PREFIX = 'nn-playground:session:';
export const CHANNEL_NAME = 'nn-playground:sessions';

/** Holds at most one session lock for this tab. */
export class TabLock {
  guard: Guard;
  /** Called when another tab takes the session this tab holds. */
  onLost: ((id: string) => void) | null = null;
  #locks: LockManagerLike | null;
  #channel: ChannelLike | null = null;
  #probeMs: number;
  #tab: string;
  #id: string | null = null;
  #release: (() => void) | null = null;
  #answers = new Set<string>();
  #graceMs: number;
  /** Ends the wait of `whenFree`. */
  #waiting: AbortController | null = null;

  constructor(opts: TabLockOptions = {}) {
    const nav = (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator;
    this.#locks = opts.locks !== undefined ? opts.locks : (nav?.locks ?? null);
    const makeChannel =
      opts.channel !== undefined
        ? opts.channel
        : typeof BroadcastChannel === 'function'
          ? (name: string) => new BroadcastChannel(name) as unknown as ChannelLike
          : null;
    this.#probeMs = opts.probeMs ?? 1000; // a busy tab (a long task, a background tab) answers late
    this.#graceMs = opts.graceMs ?? 5000;
    this.#tab = opts.tabId ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    this.guard = this.#locks ? 'locks' : makeChannel ? 'channel' : 'none';
    if (this.guard === 'channel' && makeChannel) {
      try {
        this.#channel = makeChannel(CHANNEL_NAME);
        this.#channel.onmessage = (e) => this.#onMessage(e.data as Msg);
      } catch {
        this.guard = 'none';
      }
    }
  }

  /** The session this tab holds, if any. */
  get held(): string | null {
    return this.#id;
  }

  #onMessage(m: Msg) {
    if (!m || m.app !== 'nn-playground' || m.from === this.#tab) return;
    if (m.type === 'held') this.#answers.add(m.id);
    else if (m.id === this.#id && m.type === 'probe') this.#post('held', m.id);
    else if (m.id === this.#id && m.type === 'steal') {
      this.#id = null;
      this.onLost?.(m.id);
    }
  }

  #post(type: Msg['type'], id: string) {
    this.#channel?.postMessage({ app: 'nn-playground', type, id, from: this.#tab } satisfies Msg);
  }

  /**
   * Asks for the session `id` (releasing the one held before). 'owner': this tab holds it now; 'elsewhere':
   * another tab does. With `steal`, another tab's hold is broken and this tab always gets it.
   */
  async acquire(id: string, steal = false): Promise<'owner' | 'elsewhere'> {
    this.release();
    if (this.guard === 'none') {
      this.#id = id;
      return 'owner';
    }
    if (this.guard === 'channel') {
      if (steal) this.#post('steal', id);
      else {
        this.#answers.delete(id);
        this.#post('probe', id);
        await new Promise((r) => setTimeout(r, this.#probeMs));
        if (this.#answers.has(id)) return 'elsewhere';
      }
      this.#id = id;
      return 'owner';
    }
    const locks = this.#locks!;
    return new Promise((resolve) => {
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      const done = locks.request(LOCK_PREFIX + id, steal ? { steal: true } : { ifAvailable: true }, (lock) => {
        if (!lock) {
          resolve('elsewhere');
          return undefined;
        }
        this.#id = id;
        this.#release = release;
        resolve('owner');
        return held;
      });
      done.catch((e: unknown) => {
        // A steal by another tab rejects the holder's request with AbortError.
        if (this.#release === release) {
          this.#id = null;
          this.#release = null;
          if ((e as { name?: string })?.name === 'AbortError') this.onLost?.(id);
        }
        resolve('elsewhere');
      });
    });
  }

  /**
   * Web Locks only: waits until the tab that holds session `id` lets it go (closes, or its session changes) and the
   * lock stays free for the grace time, then holds it as `acquire` does and resolves true. Resolves false when the
   * wait ends first (`acquire`, `release`, another `whenFree`) or cannot be had (no Web Locks).
   */
  async whenFree(id: string): Promise<boolean> {
    this.#stopWaiting();
    if (this.guard !== 'locks' || this.#id === id) return false;
    const ac = new AbortController();
    this.#waiting = ac;
    const locks = this.#locks!;
    while (!ac.signal.aborted) {
      // Queued behind the holder: granted when it lets go, and let go at once (a reloading owner may want it back).
      const freed = await locks.request(LOCK_PREFIX + id, { signal: ac.signal }, () => true).catch(() => false);
      if (!freed || ac.signal.aborted) return false;
      await new Promise((r) => setTimeout(r, this.#graceMs));
      if (ac.signal.aborted) return false;
      this.#waiting = null;
      if ((await this.acquire(id)) === 'owner') return true;
      if (this.#waiting) return false; // a new wait started meanwhile
      this.#waiting = ac; // taken back in the grace time (a reload): wait again
    }
    return false;
  }

  #stopWaiting() {
    this.#waiting?.abort();
    this.#waiting = null;
  }

  /** Lets go of the session held (another tab may take it), and stops waiting for one (`whenFree`). */
  release() {
    this.#stopWaiting();
    this.#release?.();
    this.#release = null;
    this.#id = null;
  }

  dispose() {
    this.release();
    this.#channel?.close();
    this.#channel = null;
  }
}
