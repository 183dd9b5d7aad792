/**
 * THE definition of "ms per training step", used by the benchmark (bench/runner.ts, so /bench and `npm run bench`)
 * and the Eager vs compiled view (compile/compare.ts):
 *
 * - steady (the headline figure): the MEDIAN over blocks of `blockSteps(K)` consecutive steps after the warm-up of
 *   each block's wall time ÷ its steps (`timeSteps`; `steadyMs` takes the median), with the losses read back the way
 *   the app's training loop does (engines/train-loop.ts): after every step when the engine reads back eagerly
 *   (`deferReadback` false: TF.js cpu/wasm), else at most every READBACK_MS and always at the block's end (flush +
 *   readSteps), so all device work of the block is inside the time.
 *   (READBACK_MS is 1 s: a block of 32 steps is read back once, at its end, unless a step takes over 30 ms.)
 * - sync ("read back every step", labelled so): the same with flush + readSteps after every step.
 * - warm-up (the bench's; `warmUp`): untimed blocks until one's ms per step is within 10 % of the one before, so a
 *   short (--quick) run does not time JIT or wasm tier-up, shader compilation or graph capture settling.
 *
 * (src/lib/engines/step-timing.test.ts checks that the bench and the view time the same blocks through `timeSteps`,
 * and that `timeSteps` reads back exactly as `runTraining` does.)
 */
import type { TrainingEngine } from './engine';
import { READBACK_MS } from './train-loop';

export type StepTiming = 'steady' | 'sync';

/** Steps in one timed block of the benchmark (a multiple of K, at least 32: many steps, not one run). */
export const blockSteps = (stepsPerRun: number): number => Math.ceil(32 / stepsPerRun) * stepsPerRun;

/** The steady figure from block samples (ms per step of each block): their median. */
export function steadyMs(blocks: number[]): number {
  const s = [...blocks].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
}

/** Runs `steps` steps (`rows(i)` the batch of step i) and returns ms per step and the losses, in order. */
export async function timeSteps(engine: TrainingEngine, rows: (i: number) => Int32Array, steps: number, mode: StepTiming = 'steady'): Promise<{ ms: number; losses: number[] }> {
  const losses: number[] = [];
  const read = async () => {
    await engine.flush();
    for (const s of await engine.readSteps()) losses.push(s.loss);
  };
  const t0 = performance.now();
  let last = t0;
  for (let i = 0; i < steps; i++) {
    await engine.step(rows(i));
    if (mode === 'sync' || !engine.deferReadback || i === steps - 1 || performance.now() - last >= READBACK_MS) {
      // Like the training loop: a deferring engine is flushed only at the end (its queued batches run K at a time).
      if (mode === 'sync' || i === steps - 1) await read();
      else for (const s of await engine.readSteps()) losses.push(s.loss);
      last = performance.now();
    }
  }
  return { ms: (performance.now() - t0) / steps, losses };
}

/** A block is steady when its ms per step is within this fraction of the block before. */
export const STEADY_TOLERANCE = 0.1;

/**
 * Untimed warm-up blocks: `block()` (returns its ms per step) at least `min` times, then on until a block is within
 * STEADY_TOLERANCE of the one before, at most `max` times, and no new block once `budgetMs` is spent (after `min`).
 * Returns the ms per step of each block run.
 */
export async function warmUp(block: () => Promise<number>, opts: { min: number; max: number; budgetMs: number }): Promise<number[]> {
  const t0 = performance.now();
  const ms: number[] = [];
  while (ms.length < opts.max) {
    const n = ms.length;
    if (n >= opts.min) {
      const steady = n >= 2 && Math.abs(ms[n - 1] - ms[n - 2]) <= STEADY_TOLERANCE * ms[n - 2];
      if (steady || performance.now() - t0 >= opts.budgetMs) break;
    }
    ms.push(await block());
  }
  return ms;
}
