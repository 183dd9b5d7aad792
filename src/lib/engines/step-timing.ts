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
