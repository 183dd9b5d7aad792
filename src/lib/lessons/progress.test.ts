import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { emptyProgress, ProgressStore } from './progress';

describe('lesson progress', () => {
  it('is kept in IndexedDB across store instances', async () => {
    const factory = new IDBFactory();
    const a = await ProgressStore.open(factory);
    expect(a.problem).toBeNull();
    expect(await a.get('one-neuron')).toEqual(emptyProgress('one-neuron'));
    await a.put({ ...emptyProgress('one-neuron'), passed: ['train-one'], step: 1, sessionId: 's1' });
    a.close();
    const b = await ProgressStore.open(factory);
    const p = await b.get('one-neuron');
    expect(p).toMatchObject({ id: 'one-neuron', passed: ['train-one'], step: 1, done: false, sessionId: 's1' });
    expect(p.updatedAt).toBeGreaterThan(0);
    expect((await b.all()).map((x) => x.id)).toEqual(['one-neuron']);
    await b.clear('one-neuron');
    expect((await b.get('one-neuron')).passed).toEqual([]);
  });

  it('falls back to memory without IndexedDB, and says so', async () => {
    const s = await ProgressStore.open(null);
    expect(s.problem).toMatch(/not available/);
    await s.put({ ...emptyProgress('x'), done: true });
    expect((await s.get('x')).done).toBe(true);
  });

  it('falls back to memory when opening fails', async () => {
    const failing = { open: () => { throw new DOMException('denied', 'SecurityError'); } } as unknown as IDBFactory;
    const s = await ProgressStore.open(failing);
    expect(s.problem).toMatch(/cannot be saved \(denied\)/);
    await s.put({ ...emptyProgress('x'), step: 2 });
    expect((await s.get('x')).step).toBe(2);
  });
});
