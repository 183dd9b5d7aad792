import { describe, expect, it } from 'vitest';
import { latestOnly } from './latest-only';

/** A storage that answers only when told: its writes in flight, and the values that landed. */
function slowStore() {
  const pending: (() => void)[] = [];
  const landed: number[] = [];
  return {
    pending,
    landed,
    put(v: number) {
      return new Promise<void>((resolve) =>
        pending.push(() => {
          landed.push(v);
          resolve();
        })
      );
    },
    async answer() {
      pending.shift()?.();
      for (let i = 0; i < 5; i++) await Promise.resolve();
    }
  };
}

describe('latestOnly', () => {
  it('keeps one write in flight however often it is called, and the newest state lands last', async () => {
    const store = slowStore();
    let state = 0;
    const save = latestOnly(() => store.put(state));
    const done: Promise<void>[] = [];
    // 100 saves while the storage has not answered once (a long history saved every 250 ms, writes slower than that).
    for (let i = 1; i <= 100; i++) {
      state = i;
      done.push(save());
      expect(store.pending.length).toBe(1);
    }
    await store.answer(); // the first write lands; the next one starts with the newest state
    expect(store.landed).toEqual([1]);
    expect(store.pending.length).toBe(1);
    await store.answer();
    expect(store.landed).toEqual([1, 100]);
    expect(store.pending.length).toBe(0);
    await Promise.all(done); // every caller is answered once its state (or a newer one) has landed
  });

  it('starts at once when nothing is in flight, and goes on after a failed write', async () => {
    let calls = 0;
    const save = latestOnly(() => {
      calls++;
      return calls === 1 ? Promise.reject(new Error('quota')) : Promise.resolve();
    });
    const first = save();
    expect(calls).toBe(1); // issued synchronously (a save as the page is hidden)
    const second = save();
    await expect(first).rejects.toThrow('quota');
    await second;
    expect(calls).toBe(2);
    await save();
    expect(calls).toBe(3);
  });
});
