import { describe, expect, it } from 'vitest';
import { FLOP_FACTOR, flopsPerCall, gflops, maxAbsDiff, median, percentile, quantile, repeatsFor, samplesPerSec, summarize } from './stats';

describe('quantiles (linear interpolation, numpy default)', () => {
  it('median of odd and even counts, unsorted input left as it was', () => {
    const xs = [5, 1, 3];
    expect(median(xs)).toBe(3);
    expect(xs).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
    expect(Number.isNaN(median([]))).toBe(true);
  });

  it('percentiles match numpy.percentile', () => {
    // numpy.percentile(range(1, 11), [10, 90]) == [1.9, 9.1]; [0, 100] are the extremes.
    const xs = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
    expect(percentile(xs, 10)).toBeCloseTo(1.9, 12);
    expect(percentile(xs, 90)).toBeCloseTo(9.1, 12);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(xs, 100)).toBe(10);
    // numpy.percentile([1, 2, 4, 8], 25) == 1.75
    expect(quantile([8, 4, 2, 1], 0.25)).toBeCloseTo(1.75, 12);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });

  it('summarize gives n, median, p10, p90, extremes and mean', () => {
    const s = summarize([3, 1, 2, 4, 100]);
    expect(s).toMatchObject({ n: 5, median: 3, min: 1, max: 100, mean: 22 });
    expect(s.p10).toBeCloseTo(1.4, 12);
    expect(s.p90).toBeCloseTo(61.6, 12);
    expect(summarize([]).n).toBe(0);
  });
});

describe('the FLOP convention', () => {
  it('counts a training step as 3× the forward FLOPs, inference as 1×, times the batch', () => {
    expect(FLOP_FACTOR).toEqual({ train: 3, infer: 1 });
    // The spiral MLP: Dense 2→16, 16→16, 16→3 = 2·(32 + 256 + 48) = 672 forward FLOPs per sample.
    expect(flopsPerCall(672, 32, 'train')).toBe(3 * 672 * 32);
    expect(flopsPerCall(672, 256, 'infer')).toBe(672 * 256);
  });

  it('achieved GFLOP/s = FLOPs of the call / median seconds / 1e9', () => {
    // 1e9 forward FLOPs per sample, batch 2, training: 6e9 FLOPs in 2 s = 3 GFLOP/s.
    expect(gflops(1e9, 2, 'train', 2000)).toBeCloseTo(3, 12);
    expect(gflops(1e6, 1000, 'infer', 1)).toBeCloseTo(1000, 9);
    expect(gflops(1e6, 1, 'infer', 0)).toBeNull();
    expect(gflops(1e6, 1, 'infer', Number.NaN)).toBeNull();
  });

  it('samples per second from the batch and ms per call', () => {
    expect(samplesPerSec(256, 2)).toBe(128_000);
    expect(samplesPerSec(1, 0.5)).toBe(2000);
    expect(samplesPerSec(1, 0)).toBeNull();
  });
});

describe('maxAbsDiff', () => {
  it('is the largest absolute difference; NaN on both sides matches, on one side does not', () => {
    expect(maxAbsDiff([1, 2, 3], [1.5, 2, 2])).toBe(1);
    expect(maxAbsDiff(new Float32Array([Number.NaN, 1]), [Number.NaN, 1])).toBe(0);
    expect(maxAbsDiff([Number.NaN], [0])).toBe(Infinity);
    expect(maxAbsDiff([1, 2], [1])).toBe(Infinity);
  });
});

describe('repeatsFor', () => {
  it('fits the time budget within [min, max]', () => {
    expect(repeatsFor(10, { min: 5, max: 100, budgetMs: 1000 })).toBe(100);
    expect(repeatsFor(50, { min: 5, max: 100, budgetMs: 1000 })).toBe(20);
    expect(repeatsFor(5000, { min: 5, max: 100, budgetMs: 1000 })).toBe(5);
    expect(repeatsFor(0, { min: 5, max: 100, budgetMs: 1000 })).toBe(100);
  });
});
