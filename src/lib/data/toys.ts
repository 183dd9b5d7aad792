/**
 * 2D classification toys in the spirit of TensorFlow Playground. Points lie roughly in [-1, 1]²,
 * classes are balanced (sizes differ by at most one) and rows come out SHUFFLED: Keras'
 * validation_split takes the last fraction of the rows, so class-sorted data would validate on one class.
 * Deterministic for a given seed.
 */
import { Rng, mixSeed } from './rng';
import type { ClassificationDataset } from './types';

export type ToyName = 'circle' | 'xor' | 'gaussians' | 'spiral' | 'moons';

export interface ToyParams {
  name: ToyName;
  /** Total number of points (default per toy, see TOYS). */
  samples?: number;
  /** 0..1; what it scales is described per toy in TOYS. */
  noise?: number;
  seed?: number;
  /** Number of classes, for toys that allow a choice (gaussians, spiral). */
  classes?: number;
}

export interface ToyParamRange {
  default: number;
  min: number;
  max: number;
  step: number;
}

export interface ToyInfo {
  name: ToyName;
  /** Display title. */
  title: string;
  /** One or two sentences for the data panel. */
  description: string;
  /** What the noise slider does for this toy. */
  noiseDoc: string;
  samples: ToyParamRange;
  noise: ToyParamRange;
  /** min === max when the number of classes is fixed. */
  classes: ToyParamRange;
  classNames?: (classes: number) => string[];
}

export const DEFAULT_SEED = 1;

const samples: ToyParamRange = { default: 600, min: 20, max: 5000, step: 10 };

export const TOYS: Record<ToyName, ToyInfo> = {
  circle: {
    name: 'circle',
    title: 'Circle',
    description: 'A disc of one class inside a ring of the other. Not linearly separable: a model needs a hidden layer (or x² features).',
    noiseDoc: 'Gaussian jitter of each point, σ = noise × 0.5.',
    samples,
    noise: { default: 0.1, min: 0, max: 1, step: 0.01 },
    classes: { default: 2, min: 2, max: 2, step: 1 },
    classNames: () => ['inside', 'outside']
  },
  xor: {
    name: 'xor',
    title: 'XOR',
    description: 'Quadrants: points where x and y have the same sign are one class, opposite signs the other.',
    noiseDoc: 'Gaussian jitter of each point, σ = noise × 0.5; labels keep the quadrant the point was drawn in.',
    samples,
    noise: { default: 0.1, min: 0, max: 1, step: 0.01 },
    classes: { default: 2, min: 2, max: 2, step: 1 },
    classNames: () => ['same sign', 'opposite sign']
  },
  gaussians: {
    name: 'gaussians',
    title: 'Gaussian blobs',
    description: 'One round blob per class, centred evenly on a circle. Nearly linearly separable at low noise.',
    noiseDoc: 'Spread of each blob, σ = 0.1 + noise × 0.4.',
    samples,
    noise: { default: 0.1, min: 0, max: 1, step: 0.01 },
    classes: { default: 3, min: 2, max: 8, step: 1 }
  },
  spiral: {
    name: 'spiral',
    title: 'Spiral',
    description: 'Interleaved spiral arms, one per class, each making about one turn. Clearly non-linear: needs a couple of hidden layers.',
    noiseDoc: 'Gaussian jitter of each point, σ = noise × 0.25.',
    samples,
    noise: { default: 0.1, min: 0, max: 1, step: 0.01 },
    classes: { default: 3, min: 2, max: 6, step: 1 }
  },
  moons: {
    name: 'moons',
    title: 'Moons',
    description: 'Two interleaving half circles (as scikit-learn\'s make_moons), scaled into [-1, 1]. Not linearly separable: a small hidden layer bends the boundary between them.',
    noiseDoc: 'Gaussian jitter of each point, σ = noise × 0.25.',
    samples,
    noise: { default: 0.1, min: 0, max: 1, step: 0.01 },
    classes: { default: 2, min: 2, max: 2, step: 1 },
    classNames: () => ['upper moon', 'lower moon']
  }
};

export const TOY_NAMES = Object.keys(TOYS) as ToyName[];

/** Spiral geometry (exported for tests and tuning). */
export const SPIRAL_GEOMETRY = {
  /** Turns per arm. */
  turns: 1.25,
  /** Radius where the arms start (the centre, where arms meet, is left out). */
  rMin: 0.15,
  rMax: 1,
  /** σ = noise × noiseScale. */
  noiseScale: 0.25
};

function clamp(v: number, r: ToyParamRange): number {
  return Math.min(r.max, Math.max(r.min, v));
}

/**
 * Moons geometry (exported for tests and the numpy port): scikit-learn's make_moons — class 0 is (cos t, sin t), class 1
 * is (1 − cos t, 0.5 − sin t), t uniform in [0, π] — shifted by −(0.5, 0.25) and scaled by 1/1.5, so x ∈ [−1, 1],
 * y ∈ [−0.5, 0.5].
 */
export const MOONS_GEOMETRY = { shiftX: 0.5, shiftY: 0.25, scale: 1 / 1.5, noiseScale: 0.25 };

/** Resolved parameters: defaults filled in, values clamped to the toy's ranges and rounded to integers where needed. */
export function resolveToyParams(p: ToyParams): Required<ToyParams> {
  const info = TOYS[p.name];
  if (!info) throw new Error(`unknown toy data set ${p.name}`);
  const classes = Math.round(clamp(p.classes ?? info.classes.default, info.classes));
  const n = Math.round(clamp(p.samples ?? info.samples.default, info.samples));
  return {
    name: p.name,
    samples: Math.max(n, classes),
    noise: clamp(Number.isFinite(p.noise) ? (p.noise as number) : info.noise.default, info.noise),
    seed: Number.isFinite(p.seed) ? (p.seed as number) : DEFAULT_SEED,
    classes
  };
}

/** Class sizes summing to n, differing by at most one. */
function classSizes(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, c) => Math.floor(n / k) + (c < n % k ? 1 : 0));
}

type PointFn = (rng: Rng, cls: number, p: Required<ToyParams>) => [number, number];

const generators: Record<ToyName, PointFn> = {
  circle(rng, cls, p) {
    // Like TF Playground: inner disc r ∈ [0, 0.5], outer ring r ∈ [0.7, 1] (radius uniform, not area).
    const r = cls === 0 ? rng.uniform(0, 0.5) : rng.uniform(0.7, 1);
    const a = rng.uniform(0, 2 * Math.PI);
    const s = p.noise * 0.5;
    return [r * Math.cos(a) + rng.normal(0, s), r * Math.sin(a) + rng.normal(0, s)];
  },
  xor(rng, cls, p) {
    const pad = 0.05;
    const sx = rng.next() < 0.5 ? -1 : 1;
    const sy = cls === 0 ? sx : -sx;
    const s = p.noise * 0.5;
    return [sx * rng.uniform(pad, 1) + rng.normal(0, s), sy * rng.uniform(pad, 1) + rng.normal(0, s)];
  },
  gaussians(rng, cls, p) {
    const a = Math.PI / 2 + (2 * Math.PI * cls) / p.classes;
    const c = 0.55;
    const s = 0.1 + p.noise * 0.4;
    return [c * Math.cos(a) + rng.normal(0, s), c * Math.sin(a) + rng.normal(0, s)];
  },
  spiral(rng, cls, p) {
    const g = SPIRAL_GEOMETRY;
    const t = rng.next();
    const r = g.rMin + (g.rMax - g.rMin) * t;
    const a = 2 * Math.PI * (g.turns * t + cls / p.classes);
    const s = p.noise * g.noiseScale;
    return [r * Math.cos(a) + rng.normal(0, s), r * Math.sin(a) + rng.normal(0, s)];
  },
  moons(rng, cls, p) {
    const g = MOONS_GEOMETRY;
    const t = rng.uniform(0, Math.PI);
    const [a, b] = cls === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    const s = p.noise * g.noiseScale;
    return [(a - g.shiftX) * g.scale + rng.normal(0, s), (b - g.shiftY) * g.scale + rng.normal(0, s)];
  }
};

/** Generates a toy data set: balanced classes, shuffled rows, deterministic for the seed. */
export function makeToy(params: ToyParams): ClassificationDataset {
  const p = resolveToyParams(params);
  const info = TOYS[p.name];
  const gen = generators[p.name];
  const rng = new Rng(mixSeed(p.seed, TOY_NAMES.indexOf(p.name)));
  const n = p.samples;
  const xs = new Float32Array(n * 2);
  const ys = new Int32Array(n);
  let i = 0;
  classSizes(n, p.classes).forEach((size, cls) => {
    for (let j = 0; j < size; j++, i++) {
      const [a, b] = gen(rng, cls, p);
      xs[2 * i] = a;
      xs[2 * i + 1] = b;
      ys[i] = cls;
    }
  });
  // Shuffle rows.
  const order = rng.permutation(n);
  const x = new Float32Array(n * 2);
  const labels = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const src = order[k];
    x[2 * k] = xs[2 * src];
    x[2 * k + 1] = xs[2 * src + 1];
    labels[k] = ys[src];
  }
  const ds: ClassificationDataset = { kind: 'classification', name: p.name, x, labels, n, features: 2, numClasses: p.classes };
  if (info.classNames) ds.classNames = info.classNames(p.classes);
  return ds;
}
