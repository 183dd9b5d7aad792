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
