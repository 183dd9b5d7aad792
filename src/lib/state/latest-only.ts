/**
 * A save that keeps at most one write in flight. `write` reads the newest state when it starts; a call made while a
 * write is in flight does not start another one: it waits for that write and then runs `write` once more (calls made
 * meanwhile share that run). So a writer that saves faster than the storage answers (a long training history saved
 * every 250 ms, each record copying the whole history) never piles up pending writes, each holding its own copy;
 * the newest state still lands, last. When nothing is in flight, `write` starts at once (synchronously), so a save
 * made as the page is hidden is issued before the page goes.
 */
export function latestOnly(write: () => Promise<unknown>): () => Promise<void> {
  let inFlight: Promise<unknown> | null = null;
  let queued: Promise<void> | null = null;
  const start = (): Promise<void> => {
    let p: Promise<unknown>;
    try {
      p = write();
    } catch (e) {
      p = Promise.reject(e);
    }
    const mine = p;
    inFlight = mine;
    const settle = () => {
      if (inFlight === mine) inFlight = null;
    };
    mine.then(settle, settle);
    return mine.then(() => undefined);
  };
  const save = (): Promise<void> => {
    if (!inFlight) return start();
    queued ??= inFlight
      .then(
        () => undefined,
        () => undefined
      )
      .then(() => {
        queued = null;
        return save();
      });
    return queued;
  };
  return save;
}

/**
 * How long a periodic save waits: at least `minMs`, and `factor` times as long as the last write took. A save that
 * copies a growing record (the whole epoch history) takes longer as the run goes on; paced like this it is made less
 * often instead of keeping the storage busy all the time, and writing takes at most 1/(1 + factor) of the time.
 * Saves that must land now (a run ending, the page going) do not wait for it.
 */
export class WritePace {
  /** ms the last timed write took. */
  lastMs = 0;
  constructor(
    readonly minMs: number,
    readonly factor = 4
  ) {}

  delay(): number {
    return Math.max(this.minMs, this.factor * this.lastMs);
  }

  /** Times `write` (started now); its duration sets the next delay. */
  time<T>(write: Promise<T>): Promise<T> {
    const t0 = performance.now();
    const done = () => (this.lastMs = performance.now() - t0);
    write.then(done, done);
    return write;
  }
}
