/**
 * THE definition of "ms per training step", used by the benchmark (bench/runner.ts, so /bench and `npm run bench`)
 * and the Eager vs compiled view (compile/compare.ts):
 *
 * - steady (the headline figure): wall time of a block of consecutive steps after the warm-up, ÷ the steps, with the
 *   losses read back the way the app's training loop does (engines/train-loop.ts): after every step when the engine
 *   reads back eagerly (`deferReadback` false: TF.js cpu/wasm), else at most every READBACK_MS (200 ms) and always at
 *   the block's end (flush + readSteps), so all device work of the block is inside the time.
 * - sync ("read back every step", labelled so): the same with flush + readSteps after every step.
 */
import type { TrainingEngine } from './engine';
import { READBACK_MS } from './train-loop';

export type StepTiming = 'steady' | 'sync';

/** Steps in one timed block of the benchmark (a multiple of K, at least 32: many steps, not one run). */
export const blockSteps = (stepsPerRun: number): number => Math.ceil(32 / stepsPerRun) * stepsPerRun;

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
