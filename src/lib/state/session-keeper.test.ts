/**
 * Two tabs on one session: two SessionKeepers on the same (fake) IndexedDB and the same (fake) Web Locks.
 */
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import type { TrainingClient } from '$lib/worker/client.svelte';
import { fakeLocks } from './fake-locks';
import { Playground } from './playground.svelte';
import { PENDING_KEY, SessionKeeper } from './session-keeper.svelte';
import { SessionStore } from './sessions';
import type { LockManagerLike } from './tab-lock';

function stubClient(): TrainingClient {
  return {
    history: [],
    status: 'idle',
    totalEpochs: 0,
    busy: false,
    restore(r: { history: unknown[]; totalEpochs: number; status: string }) {
      Object.assign(this, { history: r.history, totalEpochs: r.totalEpochs, status: r.status === 'running' ? 'stopped' : r.status });
    },
    getWeights: async () => null,
    getCheckpoint: async () => null
  } as unknown as TrainingClient;
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function tab(indexedDB: IDBFactory, locks: LockManagerLike | null, graceMs?: number) {
  const pg = new Playground();
  const keeper = new SessionKeeper(pg, stubClient());
  await keeper.start({ indexedDB, legacyStorage: null, lock: { locks, ...(graceMs !== undefined ? { graceMs } : {}) } });
  return { pg, keeper };
}

/** An edit as the page makes it; in node Svelte's effects do not run, so the keeper's effect is called by hand. */
async function edit(t: { pg: Playground; keeper: SessionKeeper }, line: string) {
  t.pg.code += line;
  t.keeper.contentChanged();
  await wait(400); // the content debounce, and the write
}

describe('one writer per session', () => {
  it('a second tab writes nothing until asked; "work on a copy" keeps its edits in a new session', async () => {
    const indexedDB = new IDBFactory();
    const locks = fakeLocks();
    const a = await tab(indexedDB, locks);
    expect(a.keeper.ownership).toBe('owner');
    expect(a.keeper.ownershipText).toBeNull();
    const b = await tab(indexedDB, locks);
    expect(b.keeper.currentId).toBe(a.keeper.currentId);
    expect(b.keeper.ownership).toBe('elsewhere');
    expect(b.keeper.ownershipText).toMatch(/open in another tab/);

    await edit(a, '# from A\n');
    await edit(b, '# from B\n');
    expect(b.keeper.dirty).toBe(true);
    expect(b.keeper.ownershipText).toMatch(/not saved: work on a copy/);
    const store = await SessionStore.open({ indexedDB, legacyStorage: null });
    const id = a.keeper.currentId!;
    expect((await store.get(id))!.code).toContain('# from A');
    expect((await store.get(id))!.code).not.toContain('# from B');

    await b.keeper.workOnCopy();
    expect(b.keeper.ownership).toBe('owner');
    expect(b.keeper.currentId).not.toBe(id);
    await edit(b, '# more from B\n');
    const copy = await store.get(b.keeper.currentId!);
    expect(copy!.name).toBe('Session 1 (copy)');
    expect(copy!.code).toContain('# from B');
    expect(copy!.code).toContain('# more from B');
    expect((await store.get(id))!.code).not.toContain('# from B');
    a.keeper.dispose();
    b.keeper.dispose();
  });

  it('"take over" makes the first tab read-only, and it says so; its later edits are not written', async () => {
    const indexedDB = new IDBFactory();
    const locks = fakeLocks();
    const a = await tab(indexedDB, locks);
    await edit(a, '# A1\n');
    const b = await tab(indexedDB, locks);
    b.keeper.readOnly();
    expect(b.keeper.ownership).toBe('readonly');
    // A read-only tab follows the owner's saves.
    await edit(a, '# A1b\n');
    await wait(100);
    expect(b.pg.code).toContain('# A1b');
    expect(b.keeper.dirty).toBe(false);
    await b.keeper.takeOver();
    await wait(0);
    expect(b.keeper.ownership).toBe('owner');
    expect(b.pg.code).toContain('# A1');
    expect(a.keeper.ownership).toBe('lost');
    expect(a.keeper.ownershipText).toMatch(/Another tab took over/);

    await edit(a, '# A2 after losing\n');
    await edit(b, '# B1\n');
    const store = await SessionStore.open({ indexedDB, legacyStorage: null });
    const rec = await store.get(b.keeper.currentId!);
    expect(rec!.code).toContain('# B1');
    expect(rec!.code).not.toContain('# A2');
    expect(a.keeper.dirty).toBe(true);
    a.keeper.dispose();
    b.keeper.dispose();
  });

  it('when the owner tab closes, a read-only tab takes the session over by itself and saves it', async () => {
    const indexedDB = new IDBFactory();
    const locks = fakeLocks();
    const a = await tab(indexedDB, locks);
    await edit(a, '# A1\n');
    const b = await tab(indexedDB, locks, 50);
    b.keeper.readOnly();
    await wait(120);
    expect(b.keeper.ownership).toBe('readonly'); // the owner is still there
    a.keeper.dispose(); // the first tab closes
    await wait(300);
    expect(b.keeper.ownership).toBe('owner');
    expect(b.keeper.ownershipText).toBeNull();
    expect(b.keeper.notice?.text).toMatch(/^The other tab closed: this tab now saves “Session 1”/);
    expect(b.pg.code).toContain('# A1');
    await edit(b, '# B after the close\n');
    const store = await SessionStore.open({ indexedDB, legacyStorage: null });
    expect((await store.get(b.keeper.currentId!))!.code).toContain('# B after the close');
    b.keeper.dispose();
  });

  it('with unsaved changes it offers instead, and Take over then keeps them in a new session', async () => {
    const indexedDB = new IDBFactory();
    const locks = fakeLocks();
    const a = await tab(indexedDB, locks);
    await edit(a, '# A1\n');
    const b = await tab(indexedDB, locks, 50);
    await edit(b, '# B unsaved\n');
    expect(b.keeper.dirty).toBe(true);
    a.keeper.dispose();
    await wait(300);
    expect(b.keeper.ownership).toBe('elsewhere');
    expect(b.keeper.ownershipText).toMatch(/The other tab has closed: take over to save this session here\.$/);
    await b.keeper.takeOver();
    expect(b.keeper.ownership).toBe('owner');
    expect(b.keeper.notice?.text).toMatch(/unsaved changes from this tab are in a new session, “Session 1 \(unsaved edits\)”/);
    b.keeper.dispose();
  });

  it('without Web Locks or BroadcastChannel it saves as before and says it cannot tell', async () => {
    const pg = new Playground();
    const keeper = new SessionKeeper(pg, stubClient());
    await keeper.start({ indexedDB: new IDBFactory(), legacyStorage: null, lock: { locks: null, channel: null } });
    expect(keeper.ownership).toBe('unguarded');
    expect(keeper.writes).toBe(true);
    expect(keeper.ownershipText).toMatch(/cannot tell/);
    keeper.dispose();
  });
});

describe('a damaged saved session', () => {
  it('does not stop the app: it is named, listed as damaged, and an intact session opens instead', async () => {
    const indexedDB = new IDBFactory();
    const store = await SessionStore.open({ indexedDB, legacyStorage: null });
    const good = await store.create({ code: '# the good one\n', mine: null, data: { name: 'spiral' }, backend: 'cpu', seed: 1 }, 'Good');
    await store.put({ ...good, id: 's-bad', name: 'Broken', code: undefined as unknown as string, updated: good.updated + 1 });
    await store.setCurrent('s-bad');
    const t = await tab(indexedDB, fakeLocks());
    expect(t.keeper.damagedNote).toMatch(/could not be opened: its saved record is damaged \(its program is missing\)/);
    expect(t.keeper.currentId).toBe(good.id);
    expect(t.pg.code).toBe('# the good one\n');
    expect(t.keeper.sessions.find((s) => s.id === 's-bad')).toMatchObject({ name: 'Broken', damaged: 'its program is missing' });
    await t.keeper.remove('s-bad');
    expect(t.keeper.sessions.map((s) => s.name)).toEqual(['Good']);
    expect(t.keeper.damagedNote).toBeNull();
    t.keeper.dispose();
  });
});

describe('the copy kept when the page is hidden', () => {
  it('is kept per session: it is applied to its own session only', async () => {
    const indexedDB = new IDBFactory();
    const locks = fakeLocks();
    const a = await tab(indexedDB, locks);
    const id = a.keeper.currentId!;
    a.keeper.dispose();
    const m = new Map<string, string>();
    const ls = { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v), removeItem: (k: string) => void m.delete(k) };
    const had = Object.getOwnPropertyDescriptor(globalThis, 'localStorage');
    Object.defineProperty(globalThis, 'localStorage', { value: ls, configurable: true });
    try {
      const content = { ...a.pg.content() };
      m.set(`${PENDING_KEY}:s-other`, JSON.stringify({ id: 's-other', content: { ...content, code: '# not mine\n' } }));
      m.set(`${PENDING_KEY}:${id}`, JSON.stringify({ id, content: { ...content, code: '# typed just before the crash\n' } }));
      const b = await tab(indexedDB, locks);
      expect(b.keeper.currentId).toBe(id);
      expect(b.pg.code).toBe('# typed just before the crash\n');
      expect(m.has(`${PENDING_KEY}:${id}`)).toBe(false);
      expect(m.has(`${PENDING_KEY}:s-other`)).toBe(true);
      b.keeper.dispose();
    } finally {
      if (had) Object.defineProperty(globalThis, 'localStorage', had);
      else delete (globalThis as { localStorage?: unknown }).localStorage;
    }
  });
});

describe('typing while the app starts', () => {
  it('an edit made while the tabs are asked (a slow fallback probe) is what gets saved', async () => {
    const indexedDB = new IDBFactory();
    const pg = new Playground();
    const keeper = new SessionKeeper(pg, stubClient());
    const started = keeper.start({ indexedDB, legacyStorage: null, lock: { locks: null, probeMs: 400 } });
    await wait(150);
    pg.code += '# typed during start\n';
    await started;
    const store = await SessionStore.open({ indexedDB, legacyStorage: null });
    expect((await store.get(keeper.currentId!))!.code).toContain('# typed during start');
    keeper.dispose();
  });
});

describe('saves slower than they are made', () => {
  it('never pile up: one put in flight per session, and the newest record lands', async () => {
    const indexedDB = new IDBFactory();
    const put = SessionStore.prototype.put;
    let inFlight = 0;
    let most = 0;
    // A storage that takes 600 ms a put (a long history on a loaded machine), while saves come every ~250 ms.
    SessionStore.prototype.put = async function (this: SessionStore, rec) {
      most = Math.max(most, ++inFlight);
      try {
        await wait(600);
        return await put.call(this, rec);
      } finally {
        inFlight--;
      }
    };
    try {
      const t = await tab(indexedDB, null);
      most = 0;
      for (let i = 0; i < 8; i++) {
        t.pg.code += `# line ${i}\n`;
        t.keeper.contentChanged();
        await wait(250);
      }
      expect(most).toBe(1); // each pending put holds its own copy of the record (and its whole history)
      await wait(1500);
      expect(t.keeper.writesInFlight).toBe(0);
      const store = await SessionStore.open({ indexedDB, legacyStorage: null });
      expect((await store.get(t.keeper.currentId!))!.code).toContain('# line 7');
      t.keeper.dispose();
    } finally {
      SessionStore.prototype.put = put;
    }
  });

  /** A keeper whose client trains: `epoch()` adds an epoch and tells the keeper, as the page's effect would. */
  async function training(indexedDB: IDBFactory) {
    const client = stubClient() as unknown as { history: { epoch: number; loss: number }[]; status: string; getCheckpoint: () => Promise<unknown> };
    client.getCheckpoint = async () => ({ specKey: 'k', epoch: client.history.at(-1)?.epoch ?? 0, weights: [] });
    const keeper = new SessionKeeper(new Playground(), client as unknown as TrainingClient);
    await keeper.start({ indexedDB, legacyStorage: null, lock: { locks: null } });
    const set = (status: string) => {
      client.status = status;
      keeper.trainingChanged();
    };
    set('running');
    const epoch = () => {
      client.history = [...client.history, { epoch: client.history.length + 1, loss: 1 / (client.history.length + 1) }];
      keeper.trainingChanged();
    };
    return { keeper, set, epoch };
  }

  it('a long run: history saves are spaced by four times what a put takes, and the end lands whole', async () => {
    const indexedDB = new IDBFactory();
    const put = SessionStore.prototype.put;
    let puts = 0;
    SessionStore.prototype.put = async function (this: SessionStore, rec) {
      if (rec.runStatus === 'running') {
        puts++;
        await wait(300); // a history of many thousand epochs, on a loaded machine
      }
      return put.call(this, rec);
    };
    try {
      const t = await training(indexedDB);
      await wait(400);
      puts = 0;
      for (let i = 0; i < 150; i++) {
        t.epoch(); // an epoch every 20 ms for 3 s
        await wait(20);
      }
      // One put in flight at a time but unpaced: a put every ~300 ms, 10 or more in 3 s. Paced: one every ~1.2 s.
      expect(puts).toBeLessThanOrEqual(4);
      t.set('completed');
      await wait(1500);
      const rec = (await (await SessionStore.open({ indexedDB, legacyStorage: null })).get(t.keeper.currentId!))!;
      expect(rec.history).toHaveLength(150);
      expect(rec.runStatus).toBe('completed');
      t.keeper.dispose();
    } finally {
      SessionStore.prototype.put = put;
    }
  });

  it('weights saves never overlap, and the last one has the weights the run ended with', async () => {
    const indexedDB = new IDBFactory();
    const putWeights = SessionStore.prototype.putWeights;
    let inFlight = 0;
    let most = 0;
    const landed: number[] = [];
    SessionStore.prototype.putWeights = async function (this: SessionStore, id, snap) {
      most = Math.max(most, ++inFlight);
      try {
        await wait(1500); // slower than the pauses come
        await putWeights.call(this, id, snap);
        landed.push(snap.epoch);
      } finally {
        inFlight--;
      }
    };
    try {
      const t = await training(indexedDB);
      for (let i = 1; i <= 60; i++) {
        t.epoch();
        if (i % 10 === 0) {
          t.set('paused'); // each pause saves the weights at once
          t.set('running');
        }
        await wait(30);
      }
      t.set('completed');
      await wait(4000);
      expect(most).toBe(1); // each waiting save would hold its own copy of every weight
      expect(landed.at(-1)).toBe(60);
      const rec = (await (await SessionStore.open({ indexedDB, legacyStorage: null })).get(t.keeper.currentId!))!;
      expect(rec.weightsEpoch).toBe(60);
      t.keeper.dispose();
    } finally {
      SessionStore.prototype.putWeights = putWeights;
    }
  });
});
