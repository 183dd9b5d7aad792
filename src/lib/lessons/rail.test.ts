import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it } from 'vitest';
import { Playground } from '$lib/state/playground.svelte';
import type { TrainingClient } from '$lib/worker/client.svelte';
import type { EpochLog } from '$lib/worker/protocol';
import { reportLessonEvent } from './events.svelte';
import { FakeClient } from './fake-client.svelte';
import { lesson, solutions } from './one-neuron';
import { ProgressStore } from './progress';
import { LessonRunner } from './rail.svelte';

const log = (epoch: number, valAcc: number): EpochLog => ({ epoch, loss: 0.5, acc: valAcc, valLoss: 0.5, valAcc, ms: 1, valMs: 1 });
const tick = () => new Promise((r) => setTimeout(r, 5));

/** Drives the fake client through one run (under node Svelte's effects do not run: `observe` is what they call). */
async function run(rail: LessonRunner, client: FakeClient, accs: number[], end: 'completed' | 'diverged' = 'completed') {
  await tick(); // runs start after the step opened
  client.status = 'starting';
  rail.observe();
  client.status = 'running';
  rail.observe();
  for (const [i, a] of accs.entries()) {
    client.history = [...client.history, log(i + 1, a)];
    rail.observe();
  }
  client.status = end;
  rail.observe();
}

describe('LessonRunner', () => {
  it('records the runs it sees, evaluates the step on them, and saves passes', async () => {
    const pg = new Playground();
    pg.load({ code: lesson.setup.code, data: { name: 'xor' }, backend: 'cpu', seed: 1 });
    const client = new FakeClient();
    const rail = new LessonRunner({ pg, client: client as unknown as TrainingClient, engine: () => 'eager' });
    const store = await ProgressStore.open(new IDBFactory());
    await rail.start(lesson, store);
    expect(rail.current?.id).toBe('train-one');
    expect(rail.result).toEqual({ ok: false, detail: 'no finished run yet: press Train' });

    await run(rail, client, [0.55, 0.6]);
    expect(rail.seenRuns).toHaveLength(1);
    expect(rail.seenRuns[0]).toMatchObject({ status: 'completed', settings: { optimizer: 'adam', learningRate: 0.05, batchSize: 32, params: 3 } });
    expect(rail.result?.ok).toBe(true);
    await tick();
    expect((await store.get(lesson.id)).passed).toEqual(['train-one']);

    // A read step passes with Next; the next step only counts runs started after it opened.
    rail.next();
    expect(rail.current?.id).toBe('why');
    rail.next();
    expect(rail.current?.id).toBe('hidden');
    expect(rail.result?.ok).toBe(false);
    pg.load({ code: solutions.hidden, data: { name: 'xor' }, backend: 'cpu', seed: 1 });
    client.history = [];
    await run(rail, client, [0.8, 0.96]);
    expect(rail.result).toEqual({ ok: true, detail: 'best validation accuracy 0.96 ≥ 0.90' });
    await tick();
    const saved = await store.get(lesson.id);
    expect(saved).toMatchObject({ passed: ['train-one', 'why', 'hidden'], step: 2, done: true });
    expect(rail.progress.done).toBe(true);

    // Previous shows a passed step as passed, whatever happens after.
    rail.previous();
    expect(rail.passed).toBe(true);
    reportLessonEvent('inspected');
    rail.leave();
    expect(rail.lesson).toBeNull();
  });

  it('a diverged run is not a finished one', async () => {
    const pg = new Playground();
    pg.load({ code: lesson.setup.code, data: { name: 'xor' }, backend: 'cpu', seed: 1 });
    const client = new FakeClient();
    const rail = new LessonRunner({ pg, client: client as unknown as TrainingClient, engine: () => 'eager' });
    await rail.start(lesson, await ProgressStore.open(new IDBFactory()), 0);
    await run(rail, client, [0.5], 'diverged');
    expect(rail.result?.ok).toBe(false);
    expect(rail.result?.detail).toMatch(/ended diverged|diverged/);
    rail.dispose();
  });
});
