// idb checks `instanceof IDBRequest` etc.: the globals come from fake-indexeddb; each test gets its own factory.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { WeightSnapshot } from '$lib/worker/protocol';
import { LEGACY_KEY, SessionStore, type SessionContent } from './sessions';

const content: SessionContent = {
  code: 'model = keras.Sequential([])\n',
  mine: null,
  data: { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3 } as { name: string },
  backend: 'wasm',
  seed: 1
};

const weights: WeightSnapshot = {
  specKey: '{"layers":[]}',
  epoch: 12,
  weights: [
    { name: 'dense/kernel', shape: [2, 3], values: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    { name: 'dense/bias', shape: [3], values: Float32Array.from([0.5, -0.5, 0]) }
  ]
};

function memoryStorage(init: Record<string, string> = {}) {
  const m = new Map(Object.entries(init));
  return { getItem: (k: string) => m.get(k) ?? null, removeItem: (k: string) => void m.delete(k), has: (k: string) => m.has(k) };
}

/** A factory whose open() fails the way a private window's does. */
function failingFactory(name = 'InvalidStateError'): IDBFactory {
  return {
    open() {
      const req: { error?: DOMException; onerror?: () => void } = {};
      setTimeout(() => {
        req.error = new DOMException('A mutation operation was attempted on a database that did not allow mutations.', name);
        req.onerror?.();
      }, 0);
      return req as unknown as IDBOpenDBRequest;
    }
  } as unknown as IDBFactory;
}

describe('SessionStore on IndexedDB (fake-indexeddb)', () => {
  it('saves a session with its history, weights and uploaded data, and reads it back after reopening', async () => {
    const indexedDB = new IDBFactory();
    const store = await SessionStore.open({ indexedDB, legacyStorage: null });
    expect(store.persistent).toBe(true);
    expect(store.problem).toBeNull();
    const rec = await store.create(content);
    expect(rec.name).toBe('Session 1');
    await store.update(rec.id, { history: [{ epoch: 1, loss: 1.1, ms: 3, valMs: 0 }, { epoch: 2, loss: 0.9, ms: 3, valMs: 0 }], totalEpochs: 100, runStatus: 'running' });
    await store.putWeights(rec.id, weights);
    await store.putUpload(rec.id, { name: 'points.csv', columns: ['a', 'b'], rows: Float64Array.from([1, 2, 3, 4]) });
    await store.setCurrent(rec.id);

    // A reload: a new connection to the same database.
    const again = await SessionStore.open({ indexedDB, legacyStorage: null });
    expect(await again.getCurrent()).toBe(rec.id);
    const back = await again.get(rec.id);
    expect(back).toMatchObject({ ...content, name: 'Session 1', totalEpochs: 100, runStatus: 'running' });
    expect(back!.history.map((h) => h.loss)).toEqual([1.1, 0.9]);
    const w = await again.getWeights(rec.id);
    expect(w!.weights[0].values).toBeInstanceOf(Float32Array);
    expect(Array.from(w!.weights[0].values)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(w!.weights[1].shape).toEqual([3]);
    expect(w!.specKey).toBe(weights.specKey);
    const up = (await again.getUpload(rec.id)) as { rows: Float64Array };
    expect(Array.from(up.rows)).toEqual([1, 2, 3, 4]);
  });

  it('lists newest first, renames and deletes (with weights)', async () => {
    const store = await SessionStore.open({ indexedDB: new IDBFactory(), legacyStorage: null });
    const a = await store.create(content);
    const b = await store.create(content);
    expect(b.name).toBe('Session 2');
    await store.update(a.id, { code: 'x = 1\n', updated: Date.now() + 1000 });
    expect((await store.list()).map((s) => s.name)).toEqual(['Session 1', 'Session 2']);
    await store.rename(b.id, '  My spiral  ');
    expect((await store.get(b.id))!.name).toBe('My spiral');
    await store.rename(b.id, '   ');
    expect((await store.get(b.id))!.name).toBe('Untitled session');
    await store.putWeights(a.id, weights);
    await store.delete(a.id);
    expect(await store.get(a.id)).toBeUndefined();
    expect(await store.getWeights(a.id)).toBeUndefined();
    expect((await store.list()).map((s) => s.id)).toEqual([b.id]);
  });

  it('moves the old localStorage save into the first session, once', async () => {
    const legacy = memoryStorage({ [LEGACY_KEY]: JSON.stringify({ code: 'old = 1\n', mine: 'mine = 2\n', data: { name: 'xor', samples: 200 }, backend: 'cpu', seed: 9 }) });
    const indexedDB = new IDBFactory();
    const store = await SessionStore.open({ indexedDB, legacyStorage: legacy });
    const rec = await store.migrateLegacy(content);
    expect(rec).toMatchObject({ code: 'old = 1\n', mine: 'mine = 2\n', backend: 'cpu', seed: 9, data: { name: 'xor', samples: 200, noise: 0.1 } });
    expect(await store.getCurrent()).toBe(rec!.id);
    expect(legacy.has(LEGACY_KEY)).toBe(false);
    // Nothing left to migrate.
    expect(await store.migrateLegacy(content)).toBeNull();
    expect((await store.list()).length).toBe(1);
  });

  it('ignores a damaged old save', async () => {
    const store = await SessionStore.open({ indexedDB: new IDBFactory(), legacyStorage: memoryStorage({ [LEGACY_KEY]: '{oops' }) });
    expect(await store.migrateLegacy(content)).toBeNull();
  });
});

describe('SessionStore when storage fails', () => {
  it('keeps working in memory, and says so, when IndexedDB cannot be opened (private mode)', async () => {
    const store = await SessionStore.open({ indexedDB: failingFactory(), legacyStorage: null, timeoutMs: 1000 });
    expect(store.persistent).toBe(false);
    expect(store.problem).toBe("Your work can't be saved in this browser (this browser does not allow storage here, as in private mode); it stays while this tab is open.");
    const rec = await store.create(content);
    await store.putWeights(rec.id, weights);
    await store.setCurrent(rec.id);
    expect(await store.getCurrent()).toBe(rec.id);
    expect((await store.get(rec.id))!.code).toBe(content.code);
    expect((await store.getWeights(rec.id))!.epoch).toBe(12);
  });

  it('gives up on an open that never answers', async () => {
    const hanging = { open: () => ({}) as IDBOpenDBRequest } as unknown as IDBFactory;
    const store = await SessionStore.open({ indexedDB: hanging, legacyStorage: null, timeoutMs: 50 });
    expect(store.problem).toMatch(/did not answer/);
  });

  it('with no IndexedDB at all', async () => {
    const store = await SessionStore.open({ indexedDB: null, legacyStorage: null });
    expect(store.problem).toMatch(/can't be saved/);
  });

  it('moves to memory with what it had when a write hits QuotaExceededError', async () => {
    const indexedDB = new IDBFactory();
    const store = await SessionStore.open({ indexedDB, legacyStorage: null });
    const a = await store.create(content, 'Kept');
    await store.putWeights(a.id, weights);
    const problems: (string | null)[] = [];
    store.onProblem = (m) => problems.push(m);

    // The disk fills up: every put now fails like a browser's quota error.
    const { IDBObjectStore } = await import('fake-indexeddb');
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function () {
      throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    };
    try {
      await store.update(a.id, { code: 'newer = 1\n' });
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect(store.persistent).toBe(false);
    expect(store.problem).toBe("Your work can't be saved in this browser (browser storage is full); it stays while this tab is open.");
    expect(problems).toEqual([store.problem]);
    // Nothing the user made is lost in this tab: the change and the earlier weights are there.
    expect((await store.get(a.id))!.code).toBe('newer = 1\n');
    expect((await store.getWeights(a.id))!.epoch).toBe(12);
    expect((await store.list()).map((s) => s.name)).toEqual(['Kept']);
    const b = await store.create(content);
    expect((await store.list()).length).toBe(2);
    expect(b.name).toBe('Session 1');
    // The database itself still has the last version that could be written.
    const disk = await SessionStore.open({ indexedDB, legacyStorage: null });
    expect((await disk.get(a.id))!.code).toBe(content.code);
  });
});
