/**
 * Runs a size sweep (sweep.ts) in the browser through the bench's own runner: the MLPs are registered as custom
 * models (so the bench workers build them), the cells run one at a time with the sweep's repeats and skip rule, and
 * the rows become a SweepResult with its crossovers. Used by /bench (button and `window.__bench.sweep`).
 */
import { registerBenchModel } from './models';
import type { BenchRunner, RunHooks } from './orchestrator';
import { planSweep, sweepModel, sweepResult, sweepSkip, type SweepOptions } from './sweep';
import type { SweepResult } from './suite';

export async function runSweep(runner: BenchRunner, o: SweepOptions, hooks: RunHooks, softwareGpu: () => boolean): Promise<SweepResult> {
  for (const w of o.widths) registerBenchModel(sweepModel(w));
  const cells = planSweep(o);
  const rows = await runner.run({}, hooks, {
    cells,
    repeats: o.repeats,
    noReference: true,
    maxStepMs: o.maxStepMs,
    skip: (cell, done, elapsed) => sweepSkip(cell, done, o, elapsed)
  });
  return sweepResult(rows, o, softwareGpu());
}
