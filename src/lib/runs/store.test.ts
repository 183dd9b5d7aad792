// idb checks `instanceof IDBRequest` etc.: the globals come from fake-indexeddb; each test gets its own factory.
import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATA } from '$lib/state/playground.svelte';
import { RunStore, runProblem, RUNS_DB_NAME } from './store';
import type { RunRecord } from './types';

function run(i: number, extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id: `${1000 + i}-${String(i).padStart(4, '0')}`,
    sessionId: 's-1',
    name: `Run ${i}`,
    startedAt: 1000 + i,
    settings: { code: 'x = 1', data: { ...DEFAULT_DATA }, engine: 'eager', backend: 'wasm', seed: 1, optimizer: 'adam', learningRate: 0.01, batchSize: 32, epochs: 2, params: 10 },
    history: [{ epoch: 1, loss: 1, ms: 1, valMs: 0 }],
    status: 'completed',
    message: null,
    ranOn: 'wasm',
    ...extra
  };
}

describe('RunStore', () => {
  it('keeps runs in IndexedDB across openings: put, list (oldest first), rename, delete', async () => {
    const idb = new IDBFactory();
    const a = await RunStore.open({ indexedDB: idb });
    expect(a.persistent).toBe(true);
    expect(a.problem).toBeNull();
    await a.put(run(2));
    await a.put(run(1));
    const b = await RunStore.open({ indexedDB: idb });
    expect((await b.list()).runs.map((r) => r.name)).toEqual(['Run 1', 'Run 2']);
    expect((await b.rename(run(1).id, '  lr 0.1 '))?.name).toBe('lr 0.1');
    expect((await b.rename(run(2).id, '   '))?.name).toBe('Untitled run');
    expect(await b.rename('nope', 'x')).toBeUndefined();
    await b.delete(run(2).id);
    const { runs } = await (await RunStore.open({ indexedDB: idb })).list();
    expect(runs.map((r) => r.name)).toEqual(['lr 0.1']);
    expect(runs[0].history).toEqual([{ epoch: 1, loss: 1, ms: 1, valMs: 0 }]);
  });

  it('keeps only the newest `max` runs, never the one just saved', async () => {
    const s = await RunStore.open({ indexedDB: new IDBFactory(), max: 3 });
    for (const i of [1, 2, 3]) expect(await s.put(run(i))).toEqual([]);
    expect(await s.put(run(4))).toEqual([run(1).id]);
    expect(await s.put(run(0))).toEqual([run(2).id]); // an older start time, but just saved: kept
    expect((await s.list()).runs.map((r) => r.name)).toEqual(['Run 0', 'Run 3', 'Run 4']);
  });

  it('skips a damaged record with a message, and the list still comes', async () => {
    const idb = new IDBFactory();
    const s = await RunStore.open({ indexedDB: idb });
    await s.put(run(1));
    await s.put({ ...run(2), history: [{ epoch: 'x' }] } as unknown as RunRecord);
    await s.put({ ...run(3), settings: null } as unknown as RunRecord);
    const { runs, skipped } = await (await RunStore.open({ indexedDB: idb })).list();
    expect(runs.map((r) => r.name)).toEqual(['Run 1']);
    expect(skipped).toEqual([
      'A stored run (Run 2) could not be read and is skipped: its history is damaged.',
      'A stored run (Run 3) could not be read and is skipped: its settings are missing.'
    ]);
  });

  it('works in memory without IndexedDB, and says so', async () => {
    const s = await RunStore.open({ indexedDB: null });
    expect(s.persistent).toBe(false);
    expect(s.problem).toMatch(/^Runs can't be kept in this browser \(browser storage is unavailable: this browser has no IndexedDB\)/);
    await s.put(run(1));
    await s.put(run(2));
    await s.delete(run(1).id);
    expect((await s.list()).runs.map((r) => r.name)).toEqual(['Run 2']);
  });

  it('moves to memory when IndexedDB fails to open, or fails later, keeping what it had', async () => {
    const broken = { open: () => { throw Object.assign(new Error('denied'), { name: 'SecurityError' }); } } as unknown as IDBFactory;
    const s = await RunStore.open({ indexedDB: broken });
    expect(s.problem).toMatch(/private mode/);
    await s.put(run(1));
    expect((await s.list()).runs).toHaveLength(1);

    const idb = new IDBFactory();
    const t = await RunStore.open({ indexedDB: idb });
    await t.put(run(1));
    // The database is wanted by another version (here: deleted, as when site data is cleared): the store lets go
    // of it and carries on in memory, with what it had.
    idb.deleteDatabase(RUNS_DB_NAME);
    await new Promise((r) => setTimeout(r, 50));
    expect(t.persistent).toBe(false);
    expect(t.problem).toMatch(/^Runs can't be kept in this browser/);
    await t.put(run(2));
    expect((await t.list()).runs.map((r) => r.name)).toEqual(['Run 1', 'Run 2']);
  });

  it('runProblem names what is wrong', () => {
    expect(runProblem(run(1))).toBeNull();
    expect(runProblem(null)).toBe('it is not a run record');
    expect(runProblem({ ...run(1), id: '' })).toBe('it has no id');
    expect(runProblem({ ...run(1), status: 'exploded' })).toBe('its status is unknown');
    expect(runProblem({ ...run(1), settings: { ...run(1).settings, code: 3 } })).toBe('its program is missing');
  });
});
