/**
 * Generated sequence data sets, seeded with rng.ts (the Keras script makes the same numbers with a Python port of it):
 *
 *   reverse      x (n, seq_len) random digits 0–9          y (n, seq_len) the same digits reversed   vocab_size 10
 *   parity       x (n, seq_len) random bits 0/1            y (n, 1) 1 when the count of ones is odd  vocab_size 2
 *   sine_series  x (n, seq_len, 1) windows of a noisy sum  y (n, 1) the next value of the series
 *                of sines (one long series, window i starts at step i: rows in time order, so Keras'
 *                validation_split holds out the latest windows, as a forecast should)
 *
 * Each also has a held-out test set (`x_test, y_test`) of about a tenth of `samples` more rows: for reverse and parity
 * further draws from the same stream, for sine_series the windows that follow the training ones in time.
 */
import { Rng, mixSeed } from './rng';
import type { ToyParamRange } from './toys';
import type { SequenceDataset } from './types';

export type SequenceName = 'reverse' | 'parity' | 'sine_series';

export interface SequenceInfo {
  name: SequenceName;
  title: string;
  description: string;
  seqLen: ToyParamRange;
  samples: ToyParamRange;
  /** Only sine_series has noise (σ = noise × SERIES.noiseScale). */
  noise: ToyParamRange | null;
  /** Input vocabulary (0: real-valued x). */
  vocabSize: number;
}

const samples: ToyParamRange = { default: 2000, min: 20, max: 20000, step: 10 };

export const SEQUENCES: Record<SequenceName, SequenceInfo> = {
  reverse: {
    name: 'reverse',
    title: 'Reverse',
    description: 'x_train: random digit sequences (n, seq_len) of ids 0–9; y_train: the same sequence reversed (n, seq_len). A model must see the whole sequence before it can answer the first position — a job for a Bidirectional RNN.',
    seqLen: { default: 8, min: 2, max: 32, step: 1 },
    // 10⁸ sequences of 8 digits: with 2000 of them the Bidirectional example learns them by heart (80 % of held-out
    // positions right after 20 epochs, train loss 0.2 against 0.5); 10 000 make it generalise.
    samples: { ...samples, default: 10000 },
    noise: null,
    vocabSize: 10
  },
  parity: {
    name: 'parity',
    title: 'Parity',
    description: 'x_train: random bit sequences (n, seq_len); y_train (n, 1): 1 when the number of ones is odd. Every bit matters, so the model must carry one bit of memory along the whole sequence.',
    seqLen: { default: 12, min: 2, max: 64, step: 1 },
    samples,
    noise: null,
    vocabSize: 2
  },
  sine_series: {
    name: 'sine_series',
    title: 'Sine series',
    description: 'A noisy sum of two sines: x_train holds windows (n, seq_len, 1) of the series, y_train (n, 1) the value that follows each window. Rows are in time order, so validation_split holds out the latest windows.',
    seqLen: { default: 32, min: 2, max: 128, step: 1 },
    samples: { default: 1000, min: 20, max: 20000, step: 10 },
    noise: { default: 0.1, min: 0, max: 1, step: 0.01 },
    vocabSize: 0
  }
};

export const SEQUENCE_NAMES = Object.keys(SEQUENCES) as SequenceName[];

/** The series: sum of a(k) · sin(2π t / period(k) + phase(k)), phases drawn from the seed, plus N(0, σ = noise × noiseScale). */
export const SERIES = { amplitudes: [0.6, 0.3], periods: [25, 9], noiseScale: 0.5 };
/** The test set has about this fraction of `samples` rows (at least one). */
export const SEQUENCE_TEST_FRACTION = 0.1;

export interface SequenceParams {
  name: SequenceName;
  seqLen?: number;
  samples?: number;
  noise?: number;
  seed?: number;
}

function clamp(v: number | undefined, r: ToyParamRange): number {
  return Math.min(r.max, Math.max(r.min, Number.isFinite(v) ? (v as number) : r.default));
}

export function isSequenceName(name: string): name is SequenceName {
  return (SEQUENCE_NAMES as string[]).includes(name);
}

export function resolveSequenceParams(p: SequenceParams): Required<SequenceParams> {
  const info = SEQUENCES[p.name];
  if (!info) throw new Error(`unknown sequence data set ${p.name}`);
  return {
    name: p.name,
    seqLen: Math.round(clamp(p.seqLen, info.seqLen)),
    samples: Math.round(clamp(p.samples, info.samples)),
    noise: info.noise ? clamp(p.noise, info.noise) : 0,
    seed: Number.isFinite(p.seed) ? (p.seed as number) : 1
  };
}

/** Random stream of each sequence data set (mixed with the data seed). */
export function sequenceStream(name: SequenceName): number {
  return 300 + SEQUENCE_NAMES.indexOf(name);
}

export function testRows(samples: number): number {
  return Math.max(1, Math.round(samples * SEQUENCE_TEST_FRACTION));
}

/**
 * The whole sine series of `length` steps for these parameters (the pictures draw it; the windows are cut from it).
 * Draws the phases, then one noise value per step, from `rng`.
 */
export function sineSeries(length: number, noise: number, rng: Rng): Float64Array {
  const phases = SERIES.amplitudes.map(() => rng.uniform(0, 2 * Math.PI));
  const sigma = noise * SERIES.noiseScale;
  const s = new Float64Array(length);
  for (let t = 0; t < length; t++) {
    let v = 0;
    for (let k = 0; k < SERIES.amplitudes.length; k++) v += SERIES.amplitudes[k] * Math.sin((2 * Math.PI * t) / SERIES.periods[k] + phases[k]);
    s[t] = v + rng.normal(0, sigma);
  }
  return s;
}

/** Generates a sequence data set: deterministic for the seed (see the file's comment). */
export function makeSequence(params: SequenceParams): SequenceDataset {
  const p = resolveSequenceParams(params);
  const rng = new Rng(mixSeed(p.seed, sequenceStream(p.name)));
  const T = p.seqLen;
  const n = p.samples;
  const m = testRows(n);
  const rows = n + m;
  const base = { kind: 'sequence' as const, name: p.name, seqLen: T };
  switch (p.name) {
    case 'reverse': {
      const x = new Float32Array(rows * T);
      const y = new Float32Array(rows * T);
      for (let i = 0; i < rows; i++) for (let t = 0; t < T; t++) x[i * T + t] = rng.int(10);
      for (let i = 0; i < rows; i++) for (let t = 0; t < T; t++) y[i * T + t] = x[i * T + T - 1 - t];
      return {
        ...base,
        x: x.slice(0, n * T),
        y: y.slice(0, n * T),
        n,
        sampleShape: [T],
        features: T,
        targetShape: [T],
        task: 'classes',
        numClasses: 10,
        vocabSize: 10,
        tokens: Array.from({ length: 10 }, (_, d) => String(d)),
        test: { x: x.slice(n * T), y: y.slice(n * T), n: m }
      };
    }
    case 'parity': {
      const x = new Float32Array(rows * T);
      const y = new Float32Array(rows);
      for (let i = 0; i < rows; i++) {
        let ones = 0;
        for (let t = 0; t < T; t++) {
          const b = rng.next() < 0.5 ? 1 : 0;
          x[i * T + t] = b;
          ones += b;
        }
        y[i] = ones % 2;
      }
      return {
        ...base,
        x: x.slice(0, n * T),
        y: y.slice(0, n),
        n,
        sampleShape: [T],
        features: T,
        targetShape: [1],
        task: 'classes',
        numClasses: 2,
        vocabSize: 2,
        tokens: ['0', '1'],
        test: { x: x.slice(n * T), y: y.slice(n), n: m }
      };
    }
    case 'sine_series': {
      const s = sineSeries(rows + T, p.noise, rng);
      const x = new Float32Array(rows * T);
      const y = new Float32Array(rows);
      for (let i = 0; i < rows; i++) {
        for (let t = 0; t < T; t++) x[i * T + t] = s[i + t];
        y[i] = s[i + T];
      }
      return {
        ...base,
        x: x.slice(0, n * T),
        y: y.slice(0, n),
        n,
        sampleShape: [T, 1],
        features: T,
        targetShape: [1],
        task: 'value',
        numClasses: 0,
        vocabSize: 0,
        series: Float32Array.from(s),
        test: { x: x.slice(n * T), y: y.slice(n), n: m }
      };
    }
  }
}
