/** The recorder on a stub client: in node Svelte's effects do not run, so `sync()` is called by hand as the effect would. */
import { describe, expect, it } from 'vitest';
import { parseProgram } from '$lib/keras/parse';
import { DEFAULT_CODE, DEFAULT_DATA } from '$lib/state/playground.svelte';
import type { RunStatus } from '$lib/worker/client.svelte';
import type { EpochLog } from '$lib/worker/protocol';
import { lessonEvents } from '$lib/lessons/events.svelte';
import { RunRecorder } from './recorder.svelte';
import { RunStore } from './store';

function stub() {
  return { history: [] as EpochLog[], status: 'idle' as RunStatus, message: null as string | null, backend: null as { actual: 'wasm' } | null, params: 0 };
}
const ep = (epoch: number, loss: number): EpochLog => ({ epoch, loss, ms: 1, valMs: 0 });
const source = (code = DEFAULT_CODE) => ({ code, spec: parseProgram(code).spec, data: { ...DEFAULT_DATA }, engine: 'eager' as const, backend: 'wasm' as const, seed: 1, params: 371 });
const wait = (ms = 20) => new Promise((r) => setTimeout(r, ms));

describe('RunRecorder', () => {
  it('records a run from Train to its end, and keeps it in the store', async () => {
    const store = RunStore.memory();
    const c = stub();
    const rec = new RunRecorder(c as never, store);
    await rec.load();
    const r = rec.begin(source(), { sessionId: 's-1' });
    expect(r.name).toBe('Run 1 · adam 0.01 · batch 32');
    expect(rec.activeId).toBe(r.id);
    // The client's previous state (before its train() runs) is not taken for the run's.
    c.status = 'completed';
    c.history = [ep(1, 9)];
    rec.sync();
    expect(rec.runs[0].history).toEqual([]);
    Object.assign(c, { status: 'starting', history: [] });
    rec.sync();
    Object.assign(c, { status: 'running', backend: { actual: 'wasm' }, history: [ep(1, 1)] });
    rec.sync();
    expect(rec.runs[0]).toMatchObject({ status: 'running', ranOn: 'wasm', history: [ep(1, 1)] });
    Object.assign(c, { status: 'diverged', message: 'The loss became NaN at epoch 2.', history: [ep(1, 1), ep(2, 0.5)] });
    rec.sync();
    expect(rec.activeId).toBeNull();
    expect(rec.runs[0]).toMatchObject({ status: 'diverged', message: 'The loss became NaN at epoch 2.', sessionId: 's-1' });
    await wait();
    const kept = (await store.list()).runs;
    expect(kept).toHaveLength(1);
    expect(kept[0]).toMatchObject({ status: 'diverged', history: [ep(1, 1), ep(2, 0.5)] });
    // A Reset after the end does not touch the finished run.
    Object.assign(c, { status: 'idle', history: [] });
    rec.sync();
    expect(rec.runs[0].history).toHaveLength(2);
  });

  it('two tabs open at once never give two runs the same number', async () => {
    const store = RunStore.memory();
    const tabA = new RunRecorder(stub() as never, store);
    const tabB = new RunRecorder(stub() as never, store);
    await Promise.all([tabA.load(), tabB.load()]);
    try {
      expect(tabA.begin(source(), { sessionId: 's-a' }).name).toBe('Run 1 · adam 0.01 · batch 32');
      await wait();
      // Tab B listed the runs before tab A's run started; it hears the name and numbers its own run after it.
      expect(tabB.begin(source(), { sessionId: 's-b' }).name).toBe('Run 2 · adam 0.01 · batch 32');
      await wait();
      expect(tabA.begin(source(), { sessionId: 's-a' }).name).toBe('Run 3 · adam 0.01 · batch 32');
    } finally {
      tabA.dispose();
      tabB.dispose();
    }
  });

  it('numbers runs, continues a run on Continue, marks a run cut off by a reload as stopped', async () => {
    const store = RunStore.memory();
    const c = stub();
    const a = new RunRecorder(c as never, store);
    await a.load();
    a.begin(source(), { sessionId: 's-1' });
    Object.assign(c, { status: 'running', history: [ep(1, 1), ep(2, 0.8)] });
    a.sync();
    Object.assign(c, { status: 'stopped' });
    a.sync();
    const second = a.begin(source(DEFAULT_CODE.replace('0.01', '0.1')), { sessionId: 's-2' });
    expect(second.name).toBe('Run 2 · adam 0.1 · batch 32');
    Object.assign(c, { status: 'running', history: [ep(1, 2)] });
    a.sync();
    await wait();

    // The page reloads while run 2 trains.
    const b = new RunRecorder(stub() as never, store);
    await b.load();
    expect(b.runs.map((r) => [r.name, r.status])).toEqual([
      ['Run 1 · adam 0.01 · batch 32', 'stopped'],
      ['Run 2 · adam 0.1 · batch 32', 'stopped']
    ]);
    expect(b.runs[1].message).toMatch(/closed or reloaded/);

    // Continue session s-1 from epoch 2: appends to its newest run, run 1 (run 2 is another session's).
    const c2 = stub();
    const d = new RunRecorder(c2 as never, store);
    await d.load();
    c2.history = [ep(1, 1), ep(2, 0.8)];
    const cont = d.begin(source(), { sessionId: 's-1', keepHistory: true, startEpoch: 2 });
    expect(cont.name).toBe('Run 1 · adam 0.01 · batch 32');
    Object.assign(c2, { status: 'running', history: [ep(1, 1), ep(2, 0.8), ep(3, 0.7)] });
    d.sync();
    Object.assign(c2, { status: 'completed' });
    d.sync();
    expect(d.runs).toHaveLength(2);
    expect(d.runs[0]).toMatchObject({ status: 'completed', history: [ep(1, 1), ep(2, 0.8), ep(3, 0.7)] });
    // A new run after a reload is numbered after the kept ones.
    expect(d.begin(source(), { sessionId: 's-1' }).name).toBe('Run 3 · adam 0.01 · batch 32');
  });

  it('renames, deletes (not the running run) and restores', async () => {
    const store = RunStore.memory();
    const c = stub();
    const rec = new RunRecorder(c as never, store);
    await rec.load();
    const one = rec.begin(source());
    Object.assign(c, { status: 'completed', history: [ep(1, 1)] });
    rec.sync();
    c.status = 'starting';
    const two = rec.begin(source());
    rec.sync();
    // Ticking two runs is the lesson event 'runs-overlaid'; a deleted run is unticked.
    lessonEvents.clear();
    rec.setOverlaid(one.id, true);
    expect(lessonEvents.list).toEqual([]);
    rec.setOverlaid(two.id, true);
    rec.setOverlaid('nope', true);
    expect(rec.overlaid).toEqual([one.id, two.id]);
    expect(lessonEvents.list.map((e) => [e.name, e.detail])).toEqual([['runs-overlaid', { runs: 2 }]]);
    await rec.rename(one.id, '  baseline ');
    expect(rec.runs[0].name).toBe('baseline');
    expect(await rec.delete([one.id, two.id])).toHaveLength(1);
    expect(rec.runs.map((r) => r.id)).toEqual([two.id]);
    expect(rec.overlaid).toEqual([two.id]);
    expect((await store.list()).runs.map((r) => r.id)).toEqual([two.id]);
    await rec.restore([{ ...one, name: 'baseline' }]);
    expect(rec.runs.map((r) => r.name)).toEqual(['baseline', two.name]);
    expect((await store.list()).runs).toHaveLength(2);
  });

  it('a store slower than the saves never has more than one put in flight, and the newest record lands', async () => {
    const store = RunStore.memory();
    const put = store.put.bind(store);
    let inFlight = 0;
    let most = 0;
    // 1.5 s a put (a long history on a loaded machine) while a running run is saved about once a second.
    store.put = async (r) => {
      most = Math.max(most, ++inFlight);
      try {
        await wait(1500);
        return await put(r);
      } finally {
        inFlight--;
      }
    };
    const c = stub();
    const rec = new RunRecorder(c as never, store);
    await rec.load();
    rec.begin(source(), { sessionId: 's-1' });
    for (let e = 1; e <= 16; e++) {
      Object.assign(c, { status: 'running', history: [...c.history, ep(e, 1 / e)] });
      rec.sync();
      await wait(200);
    }
    expect(most).toBe(1); // each put in flight holds its own record (with the whole history)
    Object.assign(c, { status: 'completed' });
    rec.sync(); // saved at once, after the put in flight (a running run's next save waits 4 × 1.5 s: see below)
    await wait(3500);
    expect((await store.list()).runs[0].history).toHaveLength(16);
    rec.dispose();
  }, 15_000);

  it('a running run is saved less often when its puts get slow (four times a put\'s time apart), and its end at once', async () => {
    const store = RunStore.memory();
    const put = store.put.bind(store);
    let puts = 0;
    store.put = async (r) => {
      if (r.status === 'running') {
        puts++;
        await wait(600); // a history of many thousand epochs
      }
      return put(r);
    };
    const c = stub();
    const rec = new RunRecorder(c as never, store);
    await rec.load();
    rec.begin(source(), { sessionId: 's-1' });
    await wait(700);
    puts = 0;
    for (let e = 1; e <= 50; e++) {
      Object.assign(c, { status: 'running', history: [...c.history, ep(e, 1 / e)] });
      rec.sync();
      await wait(100);
    }
    // 5 s of epochs. Unpaced: a put about every second (5 or more). Paced: 2.4 s apart.
    expect(puts).toBeLessThanOrEqual(3);
    Object.assign(c, { status: 'completed' });
    rec.sync();
    await wait(700);
    const saved = (await store.list()).runs[0];
    expect(saved.status).toBe('completed');
    expect(saved.history).toHaveLength(50);
    rec.dispose();
  }, 15_000);
});
