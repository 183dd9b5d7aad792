/**
 * One definition of "ms per training step" (step-timing.ts): the benchmark's cells (bench/runner.ts) and the Eager vs
 * compiled view (compile/compare.ts) time the same blocks through the same `timeSteps`, and `timeSteps` reads losses
 * back exactly as the app's training loop (`runTraining`) does. No timing is asserted: only the code path.
 */
import { describe, expect, it, vi } from 'vitest';
import type { BoundData } from '$lib/data/types';
import type { EngineOpener, EngineSetup, StepValues, TrainingEngine } from './engine';

// Every call of timeSteps, from any module, is recorded (the real function still runs).
const calls = vi.hoisted(() => [] as { steps: number; mode: string; engine: string }[]);
vi.mock('./step-timing', async (importOriginal) => {
  const real = await importOriginal<typeof import('./step-timing')>();
  return {
    ...real,
    timeSteps: (engine: TrainingEngine, rows: (i: number) => Int32Array, steps: number, mode: 'steady' | 'sync' = 'steady') => {
      calls.push({ steps, mode, engine: engine.report.detail });
      return real.timeSteps(engine, rows, steps, mode);
    }
  };
});

const { blockSteps, timeSteps, warmUp } = await import('./step-timing');
const { runTraining } = await import('./train-loop');
const { compareEngines } = await import('$lib/compile/compare');
const { measureEngineCell } = await import('$lib/bench/runner');
const { benchModel } = await import('$lib/bench/models');

/** A stand-in engine: K steps per run, reading back eagerly or not; logs step / flush / read calls. */
function fakeEngine(name: string, K: number, deferReadback: boolean, log: string[] = []): { open: EngineOpener; log: string[] } {
  const open: EngineOpener = async (setup: EngineSetup) => {
    let unread = 0;
    let n = 0;
    const engine: TrainingEngine = {
      report: { engine: K > 1 ? 'compiled' : 'eager', requested: name, actual: name, fallbacks: [], detail: name, buildMs: 0, stepsPerRun: K },
      metrics: [],
      deferReadback,
      async step() {
        log.push('step');
        unread++;
        return null;
      },
      async flush() {
        log.push('flush');
      },
      async readSteps(): Promise<StepValues[]> {
        log.push('read');
        const out = Array.from({ length: unread }, () => ({ loss: 1 / ++n, metrics: [] }));
        unread = 0;
        return out;
      },
      async evaluate() {
        return null;
      },
      async sync() {},
      async getWeights() {
        return {};
      },
      async setWeights() {},
      async predict(x: Float32Array, shape: number[]) {
        return new Float32Array(shape[0] * 3);
      },
      async dispose() {}
    };
    void setup;
    return engine;
  };
  return { open, log };
}

const tiny = () => benchModel('tiny');
function spiralData(n: number): BoundData {
  const x = Float32Array.from({ length: n * 2 }, (_, i) => Math.sin(i));
  const y = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) y[i * 3 + (i % 3)] = 1;
  return { x, y, xShape: [n, 2], yShape: [n, 3], n, numClasses: 3 } as unknown as BoundData;
}

describe('ms per training step: one definition', () => {
  for (const defer of [false, true]) {
    it(`timeSteps reads back as the training loop does (${defer ? 'deferring engine: GPU backends, compiled' : 'eager cpu/wasm: every step'})`, async () => {
      const steps = 15;
      const loop = fakeEngine('loop', 1, defer);
      const base = tiny().spec;
      const spec = { ...base, fit: { ...base.fit!, epochs: 1, batchSize: 32, validationSplit: 0, shuffle: false } };
      await runTraining(loop.open, spec, spiralData(steps * 32), { seed: 1 }, { onEpoch: () => {}, shouldStop: () => false, waitIfPaused: async () => {} });
      const timed = fakeEngine('timed', 1, defer);
      const e = await timed.open({ data: spiralData(32), nTrain: 32, batchSize: 32, seed: 1, startEpoch: 0 });
      const r = await timeSteps(e, () => new Int32Array(32), steps);
      expect(r.losses).toHaveLength(steps);
      // The same steps, flushes and read-backs in the same order (the loop's epoch end also reads what is left).
      expect(timed.log).toEqual(loop.log);
      expect(loop.log.filter((c) => c === 'read').length).toBe(defer ? 1 : steps);
    });
  }

  it('the benchmark and the Eager vs compiled view time the same blocks (blockSteps(K) steps, steady) with timeSteps', async () => {
    const m = tiny();
    // The view: eager (1 step per run, reading back every step) vs a compiled engine of K = 8 (deferring).
    calls.length = 0;
    const eager = fakeEngine('eager', 1, false);
    const compiled = fakeEngine('compiled', 8, true);
    const r = await compareEngines({ eager: eager.open, compiled: () => compiled.open }, { spec: m.spec, data: spiralData(600), seed: 1, inferBatches: [] }, () => {});
    const view = calls.splice(0);
    // The benchmark: the same two engines, one cell each.
    const repeats = { warmCalls: 1, minRepeats: 3, maxRepeats: 3, budgetMs: 0 };
    await measureEngineCell(fakeEngine('eager', 1, false).open, m, { mode: 'train-eager', batch: 32 }, { repeats, seed: 1 });
    await measureEngineCell(fakeEngine('compiled', 8, true).open, m, { mode: 'train-compiled', batch: 32 }, { repeats, seed: 1 });
    const bench = calls.splice(0);

    for (const [engine, K] of [['eager', 1], ['compiled', 8]] as const) {
      const timedBlocks = (list: typeof view) => list.filter((c) => c.engine === engine && c.mode === 'steady').map((c) => c.steps);
      // The bench: its warm-up call (one run of K steps), then blocks; the view: round 0 (warm-up inside), then blocks.
      const b = timedBlocks(bench).slice(1);
      const v = timedBlocks(view).slice(1);
      expect(b.length).toBeGreaterThanOrEqual(3);
      expect(v.length).toBeGreaterThanOrEqual(4);
      expect(new Set(b)).toEqual(new Set([blockSteps(K)]));
      expect(new Set(v)).toEqual(new Set([blockSteps(K)]));
    }
    expect(r.eager.blockSteps).toBe(blockSteps(1));
    expect(r.compiled.blockSteps).toBe(blockSteps(8));
    expect(r.eager.blocks).toBe(view.filter((c) => c.engine === 'eager' && c.mode === 'steady').length - 1);
    // The sync figure is labelled as such: read back every step.
    expect(view.filter((c) => c.mode === 'sync').map((c) => c.engine)).toEqual(['eager', 'compiled']);
  });

  it('the warm-up runs blocks until one is within 10 % of the one before, within its bounds', async () => {
    const fake = (seq: number[]) => {
      let i = 0;
      return async () => seq[Math.min(i++, seq.length - 1)];
    };
    // Settling (JIT, tier-up, a software GPU's shaders): 10 → 6 → 3 → 2.9 ms per step: steady at the fourth block.
    expect(await warmUp(fake([10, 6, 3, 2.9, 2.9]), { min: 1, max: 10, budgetMs: 1e9 })).toEqual([10, 6, 3, 2.9]);
    // At least `min` blocks, even when steady sooner; at most `max`.
    expect(await warmUp(fake([3, 3, 3, 3]), { min: 3, max: 10, budgetMs: 1e9 })).toHaveLength(3);
    expect(await warmUp(fake([10, 5, 2.5, 1.2, 0.6]), { min: 1, max: 4, budgetMs: 1e9 })).toHaveLength(4);
    // Out of budget: no block after `min`.
    expect(await warmUp(fake([10, 5, 2.5]), { min: 1, max: 10, budgetMs: 0 })).toHaveLength(1);
  });
});
