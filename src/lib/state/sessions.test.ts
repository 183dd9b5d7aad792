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
    expect(store.problem).toBe(
      "Your work can't be saved in this browser (browser storage is full: delete sessions you no longer need or free disk space, then reload); it stays while this tab is open."
    );
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

/** Writes records straight into the stores, as a damaged disk, an old bug or a hand edit in devtools would leave them. */
async function writeRaw(indexedDB: IDBFactory, store: 'sessions' | 'weights', values: unknown[]) {
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open('nn-playground');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
  await new Promise<void>((resolve, reject) => {
    const tx = db.transaction(store, 'readwrite');
    for (const v of values) tx.objectStore(store).put(v);
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}

describe('storage faults', () => {
  it('a full disk while saving weights: a clear message, and every session (this one, the others) stays', async () => {
    const indexedDB = new IDBFactory();
    const store = await SessionStore.open({ indexedDB, legacyStorage: null });
    const other = await store.create({ ...content, code: 'other = 1\n' }, 'Other');
    const mine = await store.create(content, 'Mine');
    await store.putWeights(other.id, weights);
    const { IDBObjectStore } = await import('fake-indexeddb');
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (value: unknown, key?: IDBValidKey) {
      if ((value as { snapshot?: unknown })?.snapshot) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.call(this, value, key);
    };
    try {
      await store.putWeights(mine.id, { ...weights, epoch: 40 });
    } finally {
      IDBObjectStore.prototype.put = put;
    }
    expect(store.problem).toMatch(/browser storage is full: delete sessions you no longer need or free disk space/);
    expect((await store.getWeights(mine.id))!.epoch).toBe(40);
    expect((await store.getWeights(other.id))!.epoch).toBe(12);
    expect((await store.get(other.id))!.code).toBe('other = 1\n');
    const disk = await SessionStore.open({ indexedDB, legacyStorage: null });
    expect((await disk.list()).map((s) => s.name).sort()).toEqual(['Mine', 'Other']);
    expect((await disk.getWeights(other.id))!.epoch).toBe(12);
    // Deleting a session while full frees space on disk too (so the advice in the message works).
    await store.delete(other.id);
    expect((await store.list()).map((s) => s.name)).toEqual(['Mine']);
    const after = await SessionStore.open({ indexedDB, legacyStorage: null });
    expect((await after.list()).map((s) => s.name)).toEqual(['Mine']);
    expect(await after.getWeights(other.id)).toBeUndefined();
  });

  it('damaged records are listed as damaged (not opened) and can be deleted; the others are intact', async () => {
    const indexedDB = new IDBFactory();
    const store = await SessionStore.open({ indexedDB, legacyStorage: null });
    const good = await store.create(content, 'Good');
    await store.putWeights(good.id, weights);
    await writeRaw(indexedDB, 'sessions', [
      { id: 'bad-1', name: 'No code', created: 5, updated: 5, data: { name: 'spiral' }, backend: 'cpu', seed: 1 },
      { id: 'bad-2', name: 42, created: 'yesterday', updated: null, code: 'x = 1\n', data: null },
      { id: 'bad-3', code: 'x = 1\n', mine: null, data: { name: 'xor' }, backend: 'cpu', seed: 1, history: 'lots' },
      { id: 'bad-4' }
    ]);
    await writeRaw(indexedDB, 'weights', [{ id: good.id, snapshot: { specKey: 'k', epoch: 3, weights: [{ name: 'w', shape: [2, 2], values: 'nope' }] } }]);

    const list = await store.list();
    expect(list.length).toBe(5);
    expect(list.find((s) => s.id === good.id)!.damaged).toBeUndefined();
    expect(list.find((s) => s.id === 'bad-1')).toMatchObject({ name: 'No code', damaged: 'its program is missing' });
    expect(list.find((s) => s.id === 'bad-2')).toMatchObject({ name: 'Unnamed session', created: 0, updated: 0, damaged: 'its data settings are missing' });
    expect(list.find((s) => s.id === 'bad-3')!.damaged).toBe('its training history is not a list');
    expect(list.find((s) => s.id === 'bad-4')!.damaged).toBe('its program is missing');
    expect(await store.get('bad-1')).toBeUndefined();
    expect(await store.damaged('bad-1')).toBe('its program is missing');
    expect(await store.damaged(good.id)).toBeNull();
    // The good session opens; its damaged weights read as none.
    expect((await store.get(good.id))!.code).toBe(content.code);
    expect(await store.getWeights(good.id)).toBeUndefined();
    for (const id of ['bad-1', 'bad-2', 'bad-3', 'bad-4']) await store.delete(id);
    expect((await store.list()).map((s) => s.name)).toEqual(['Good']);
    expect(store.problem).toBeNull();
  });

  it('an old tab that keeps the database open (blocked upgrade): a clear message at once, and its data untouched', async () => {
    const indexedDB = new IDBFactory();
    const first = await SessionStore.open({ indexedDB, legacyStorage: null });
    const rec = await first.create(content, 'Kept');
    // An old tab's connection, which (unlike this version) ignores versionchange.
    const old = await new Promise<IDBDatabase>((resolve) => {
      const r = indexedDB.open('nn-playground', 1);
      r.onsuccess = () => resolve(r.result);
    });
    const t0 = Date.now();
    const store = await SessionStore.open({ indexedDB, legacyStorage: null, version: 2, timeoutMs: 4000, blockedGraceMs: 300 });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(store.persistent).toBe(false);
    expect(store.problem).toMatch(/another open tab of the playground, an older version, holds the storage: close or reload that tab/);
    // This tab keeps working in memory; the old tab still reads what was saved.
    await store.create(content, 'In memory');
    expect((await store.list()).map((s) => s.name)).toEqual(['In memory']);
    const names = await new Promise<string[]>((resolve) => {
      const r = old.transaction('sessions').objectStore('sessions').getAll();
      r.onsuccess = () => resolve(r.result.map((x: { name: string }) => x.name));
    });
    expect(names).toEqual(['Kept']);
    old.close();
    expect(rec.name).toBe('Kept');
  });

  it('a newer version opened in another tab: this tab lets it upgrade, keeps its sessions in memory and says so', async () => {
    const indexedDB = new IDBFactory();
    const store = await SessionStore.open({ indexedDB, legacyStorage: null });
    const a = await store.create(content, 'A');
    await store.putWeights(a.id, weights);
    const problems: (string | null)[] = [];
    store.onProblem = (m) => problems.push(m);
    const newer = await SessionStore.open({ indexedDB, legacyStorage: null, version: 2, timeoutMs: 4000 });
    expect(newer.persistent).toBe(true);
    expect((await newer.list()).map((s) => s.name)).toEqual(['A']);
    expect(store.persistent).toBe(false);
    expect(problems).toEqual([expect.stringMatching(/a newer version of the playground was opened in another tab and needs the storage: reload this tab/)]);
    expect((await store.get(a.id))!.name).toBe('A');
    expect((await store.getWeights(a.id))!.epoch).toBe(12);
    await store.update(a.id, { code: 'still = 1\n' });
    expect((await store.get(a.id))!.code).toBe('still = 1\n');
  });
});

describe('saved optimizer state (resume exactly)', () => {
  it('is kept with the weights; a damaged one is dropped and the weights still open', async () => {
    const store = await SessionStore.open({ indexedDB: new IDBFactory(), legacyStorage: null });
    const rec = await store.create(content);
    const optimizer = { className: 'Adam', slots: [{ name: 'iter', shape: [], values: Float32Array.of(30) }, { name: 'dense/kernel/m', shape: [2, 3], values: new Float32Array(6) }] };
    await store.putWeights(rec.id, { ...weights, optimizer, engine: 'eager' });
    const back = await store.getWeights(rec.id);
    expect(back?.optimizer?.className).toBe('Adam');
    expect(back?.optimizer?.slots[0].values[0]).toBe(30);
    expect(back?.engine).toBe('eager');
    // A slot whose values do not fit its shape (a damaged record): the optimizer restarts, the weights still count.
    await store.putWeights(rec.id, { ...weights, optimizer: { ...optimizer, slots: [optimizer.slots[0], { name: 'bad', shape: [4], values: new Float32Array(2) }] } });
    const damaged = await store.getWeights(rec.id);
    expect(damaged?.epoch).toBe(12);
    expect(damaged?.optimizer).toBeUndefined();
  });
});
