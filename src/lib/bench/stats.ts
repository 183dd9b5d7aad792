/**
 * Pure statistics of the benchmark: order statistics of timing samples and the FLOP-rate convention.
 * No TF.js, no DOM: shared by the /bench page, its worker, `npm run bench` and the unit tests.
 *
 * FLOP convention (the same one `inferShapes(spec).summary.flops` counts per sample: a multiply-add is 2 FLOPs,
 * Dense = 2·in·units, Conv2D = 2·kh·kw·C_in·filters·H_out·W_out, element-wise layers 1 per element, activations 0):
 *   - inference of a batch of B  = forwardFlops · B
 *   - one training step on B     = 3 · forwardFlops · B   (backward ≈ 2× forward: one product for the gradient of
 *     the inputs, one for the gradient of the weights; loss and optimizer updates are not counted)
 * Achieved GFLOP/s = those FLOPs / median seconds / 1e9. It is a yardstick for comparing backends on one model,
 * not a hardware roofline: small models are bound by per-op dispatch cost, not arithmetic.
 */

export type WorkKind = 'train' | 'infer';

/** Multiplier on forward FLOPs per sample: 3 for a training step (forward + ≈2× backward), 1 for inference. */
export const FLOP_FACTOR: Record<WorkKind, number> = { train: 3, infer: 1 };

/** FLOPs of one call (one training step or one inference) on a batch. */
export function flopsPerCall(forwardFlopsPerSample: number, batch: number, kind: WorkKind): number {
  return FLOP_FACTOR[kind] * forwardFlopsPerSample * batch;
}

/** Achieved GFLOP/s for one call taking `ms` milliseconds; null when the time is not positive. */
export function gflops(forwardFlopsPerSample: number, batch: number, kind: WorkKind, ms: number): number | null {
  if (!(ms > 0) || !Number.isFinite(ms)) return null;
  return flopsPerCall(forwardFlopsPerSample, batch, kind) / (ms / 1000) / 1e9;
}

/** Samples processed per second when one call on `batch` samples takes `ms`. */
export function samplesPerSec(batch: number, ms: number): number | null {
  if (!(ms > 0) || !Number.isFinite(ms)) return null;
  return (batch * 1000) / ms;
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of the samples with linear interpolation between closest ranks (numpy's default,
 * "type 7"): for sorted x of length n, position h = (n − 1)·q, value x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 * NaN for no samples. The input is not modified.
 */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  if (!(q >= 0 && q <= 1)) throw new RangeError(`quantile q must be in [0, 1], got ${q}`);
  const x = [...samples].sort((a, b) => a - b);
  const h = (x.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, x.length - 1);
  return x[lo] + (h - lo) * (x[hi] - x[lo]);
}

/** Percentile p in [0, 100]. */
export function percentile(samples: readonly number[], p: number): number {
  return quantile(samples, p / 100);
}

export function median(samples: readonly number[]): number {
  return quantile(samples, 0.5);
}

export interface Summary {
  n: number;
  median: number;
  p10: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
}

/** Median, 10th and 90th percentiles, extremes and mean of timing samples (ms). */
export function summarize(samples: readonly number[]): Summary {
  const n = samples.length;
  if (n === 0) return { n, median: Number.NaN, p10: Number.NaN, p90: Number.NaN, min: Number.NaN, max: Number.NaN, mean: Number.NaN };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const v of samples) {
    min = Math.min(min, v);
    max = Math.max(max, v);
    sum += v;
  }
  return { n, median: median(samples), p10: percentile(samples, 10), p90: percentile(samples, 90), min, max, mean: sum / n };
}

/** Largest |a[i] − b[i]|; Infinity when the lengths differ or a value is NaN on one side only. */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
      continue;
    }
    const d = Math.abs(x - y);
    if (d > m) m = d;
  }
  return m;
}

/**
 * How many timed repeats to run: at least `min`, at most `max`, and within that, as many as fit in `budgetMs`
 * given the time one call took during warm-up.
 */
export function repeatsFor(callMs: number, opts: { min: number; max: number; budgetMs: number }): number {
  const fit = callMs > 0 ? Math.floor(opts.budgetMs / callMs) : opts.max;
  return Math.max(opts.min, Math.min(opts.max, fit));
}
