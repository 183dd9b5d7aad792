/**
 * Regression data sets: real-valued targets for `loss="mse"` / `loss="mae"`.
 *
 *   sine   x ∈ [-1, 1], shape (n, 1)        →  y = 0.8 · sin(πx) + noise,        shape (n, 1)
 *   plane  (x1, x2) ∈ [-1, 1]², shape (n, 2) →  y = 0.6 · x1 − 0.4 · x2 + noise,  shape (n, 1)
 *
 * Noise is Gaussian with σ = noise × 0.5 (NOISE_SCALE). Rows come out SHUFFLED (Keras' validation_split takes the
 * last fraction of the rows, so x-sorted data would validate on one end of the curve) and are deterministic for a
 * given seed. The sine's x values are stratified (one jittered point per slice of [-1, 1]) so small samples still
 * cover the whole curve evenly.
 */
import { Rng, mixSeed } from './rng';
import { DEFAULT_SEED, type ToyParamRange } from './toys';
import type { RegressionDataset } from './types';

export type RegressionName = 'sine' | 'plane';

export interface RegressionParams {
  name: RegressionName;
  /** Number of rows (default per data set, see REGRESSIONS). */
  samples?: number;
  /** 0..1: σ of the Gaussian noise added to y is noise × NOISE_SCALE. */
  noise?: number;
  seed?: number;
}

export interface RegressionInfo {
  name: RegressionName;
  /** Display title. */
  title: string;
  /** One or two sentences for the data panel. */
  description: string;
  /** What the noise slider does. */
  noiseDoc: string;
  samples: ToyParamRange;
  noise: ToyParamRange;
  /** Columns of x. */
  features: number;
  /** Columns of y. */
  targets: number;
  /** The formula, for the data panel. */
  formula: string;
}

/** σ of the noise = noise × NOISE_SCALE. */
export const NOISE_SCALE = 0.5;

const noise: ToyParamRange = { default: 0.1, min: 0, max: 1, step: 0.01 };
const noiseDoc = `Gaussian noise added to y, σ = noise × ${NOISE_SCALE}.`;

export const REGRESSIONS: Record<RegressionName, RegressionInfo> = {
  sine: {
    name: 'sine',
    title: 'Sine',
    description: 'One input x in [-1, 1] and one target y = 0.8·sin(πx) plus noise: a curve that a linear model cannot follow; a small tanh or relu network can.',
    noiseDoc,
    samples: { default: 400, min: 20, max: 5000, step: 10 },
    noise,
    features: 1,
    targets: 1,
    formula: 'y = 0.8·sin(πx) + noise'
  },
  plane: {
    name: 'plane',
    title: 'Plane',
    description: 'Two inputs in [-1, 1] and one target y = 0.6·x1 − 0.4·x2 plus noise: a linear model (layers.Dense(1)) fits it exactly.',
    noiseDoc,
    samples: { default: 400, min: 20, max: 5000, step: 10 },
    noise,
    features: 2,
    targets: 1,
    formula: 'y = 0.6·x1 − 0.4·x2 + noise'
  }
};

export const REGRESSION_NAMES = Object.keys(REGRESSIONS) as RegressionName[];

/** Coefficients of the plane (exported for tests). */
export const PLANE = { a: 0.6, b: -0.4 };
/** Amplitude of the sine (exported for tests). */
export const SINE_AMPLITUDE = 0.8;

function clamp(v: number, r: ToyParamRange): number {
  return Math.min(r.max, Math.max(r.min, v));
}

/** Resolved parameters: defaults filled in, values clamped to the ranges in REGRESSIONS, samples rounded. */
export function resolveRegressionParams(p: RegressionParams): Required<RegressionParams> {
  const info = REGRESSIONS[p.name];
  if (!info) throw new Error(`unknown regression data set ${p.name}`);
  return {
    name: p.name,
    samples: Math.round(clamp(Number.isFinite(p.samples) ? (p.samples as number) : info.samples.default, info.samples)),
    noise: clamp(Number.isFinite(p.noise) ? (p.noise as number) : info.noise.default, info.noise),
    seed: Number.isFinite(p.seed) ? (p.seed as number) : DEFAULT_SEED
  };
}

/** Generates a regression data set: shuffled rows, deterministic for the seed. */
export function makeRegression(params: RegressionParams): RegressionDataset {
  const p = resolveRegressionParams(params);
  const info = REGRESSIONS[p.name];
  // Offset the stream index so a regression set never shares a stream with a toy of the same seed.
  const rng = new Rng(mixSeed(p.seed, 100 + REGRESSION_NAMES.indexOf(p.name)));
  const n = p.samples;
  const sigma = p.noise * NOISE_SCALE;
  const f = info.features;
  const x = new Float32Array(n * f);
  const y = new Float32Array(n);
  if (p.name === 'sine') {
    // Stratified x: one jittered point per slice, then the rows are shuffled.
    const order = rng.permutation(n);
    for (let i = 0; i < n; i++) {
      const xi = -1 + (2 * (i + rng.next())) / n;
      const row = order[i];
      x[row] = xi;
      y[row] = SINE_AMPLITUDE * Math.sin(Math.PI * xi) + rng.normal(0, sigma);
    }
  } else {
    // Independent uniform points: already in random order.
    for (let i = 0; i < n; i++) {
      const x1 = rng.uniform(-1, 1);
      const x2 = rng.uniform(-1, 1);
      x[2 * i] = x1;
      x[2 * i + 1] = x2;
      y[i] = PLANE.a * x1 + PLANE.b * x2 + rng.normal(0, sigma);
    }
  }
  return { kind: 'regression', name: p.name, x, y, n, features: f, targets: info.targets };
}
