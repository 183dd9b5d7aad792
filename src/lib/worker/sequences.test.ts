import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '$lib/data/rng';
import { asProbabilities, continuation, encodePrompt, generateTokens, nextTokenProbs, sampleToken, sequenceTable, seriesPicture, topK } from './sequences';

const TOKENS = ['\n', ' ', 'a', 'b', 'c', 'd'];
const V = TOKENS.length;
const T = 5;
const D = 3;

/** Seeded weights in float64 (the reference) and the same in a TF.js model. */
function weights(seed: number) {
  const r = new Rng(seed);
  const E = Array.from({ length: V }, () => Array.from({ length: D }, () => r.uniform(-1, 1)));
  const W = Array.from({ length: D }, () => Array.from({ length: V }, () => r.uniform(-2, 2)));
  const b = Array.from({ length: V }, () => r.uniform(-0.5, 0.5));
  return { E, W, b };
}

/** Embedding → Dense(softmax): per-step probabilities (T, V). */
function perStepModel(w: ReturnType<typeof weights>) {
  const m = tf.sequential();
  m.add(tf.layers.embedding({ inputDim: V, outputDim: D, inputLength: T }));
  m.add(tf.layers.dense({ units: V, activation: 'softmax' }));
  m.layers[0].setWeights([tf.tensor2d(w.E)]);
  m.layers[1].setWeights([tf.tensor2d(w.W), tf.tensor1d(w.b)]);
  return m;
}

/** Embedding → Flatten → Dense (no activation: logits) of the last step only: (V). */
function lastStepLogitsModel(w: ReturnType<typeof weights>) {
  const m = tf.sequential();
  m.add(tf.layers.embedding({ inputDim: V, outputDim: D, inputLength: T }));
  m.add(tf.layers.flatten());
  m.add(tf.layers.dense({ units: V }));
  m.layers[0].setWeights([tf.tensor2d(w.E)]);
  // Only the last position's embedding counts: zero rows for the others.
  const big = Array.from({ length: T * D }, (_, i) => (i >= (T - 1) * D ? w.W[i - (T - 1) * D] : new Array(V).fill(0)));
  m.layers[2].setWeights([tf.tensor2d(big), tf.tensor1d(w.b)]);
  return m;
}

/** float64 reference: softmax(E[last] · W + b). */
function refProbs(w: ReturnType<typeof weights>, ids: ArrayLike<number>): number[] {
  const e = w.E[ids[ids.length - 1]];
  const z = w.b.map((bj, j) => bj + e.reduce((s, ei, i) => s + ei * w.W[i][j], 0));
  const m = Math.max(...z);
  const ex = z.map((v) => Math.exp(v - m));
  const s = ex.reduce((a, b) => a + b, 0);
  return ex.map((v) => v / s);
}

describe('language-model pictures', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('encodes a prompt right-aligned, left-padded, cut to seq_len; refuses characters outside the vocabulary', () => {
    const short = encodePrompt('ab', TOKENS, T, 0);
    expect(short).toEqual({ ok: true, ids: Float32Array.from([0, 0, 0, 2, 3]), used: 2 });
    const long = encodePrompt('abcd abcd', TOKENS, T, 1);
    expect(long.ok && Array.from(long.ids)).toEqual([1, 2, 3, 4, 5]);
    expect(encodePrompt('', TOKENS, T, 1)).toMatchObject({ ok: true, used: 0, ids: new Float32Array(T).fill(1) });
    const bad = encodePrompt('abé\tx', TOKENS, T);
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toBe('The characters "é", a tab, "x" are not in this text\'s vocabulary of 6 characters: leave them out of the prompt.');
  });

  it('next-token probabilities equal the float64 reference, per-step softmax output and last-step logits alike', async () => {
    const w = weights(3);
    const ids = Float32Array.from([0, 5, 2, 3, 4]);
    const ref = refProbs(w, ids);
    for (const model of [perStepModel(w), lastStepLogitsModel(w)]) {
      const p = await nextTokenProbs(tf, model, ids);
      expect(p.length).toBe(V);
      p.forEach((v, i) => expect(Math.abs(v - ref[i])).toBeLessThan(1e-6));
      model.dispose();
    }
  });

  it('samples: temperature 0 is argmax, temperature 1 follows the probabilities, low temperature sharpens', () => {
    const p = [0.1, 0.6, 0.3];
    expect(sampleToken(p, 0, 0.99)).toBe(1);
    const r = new Rng(7);
    const counts = [0, 0, 0];
    const N = 20000;
    for (let i = 0; i < N; i++) counts[sampleToken(p, 1, r.next())]++;
    counts.forEach((c, i) => expect(Math.abs(c / N - p[i])).toBeLessThan(0.015));
    // T = 0.5: p² renormalised = [0.01, 0.36, 0.09] / 0.46
    const sharp = [0, 0, 0];
    for (let i = 0; i < N; i++) sharp[sampleToken(p, 0.5, r.next())]++;
    [0.01, 0.36, 0.09].forEach((q, i) => expect(Math.abs(sharp[i] / N - q / 0.46)).toBeLessThan(0.015));
    expect(topK([0.1, 0.6, 0.3], 2)).toEqual([{ id: 1, p: 0.6 }, { id: 2, p: 0.3 }]);
    const q = asProbabilities([0, Math.log(3)]);
    expect(q[0]).toBeCloseTo(0.25, 12);
    expect(q[1]).toBeCloseTo(0.75, 12);
  });

  it('generates greedily like the float64 reference, and the same seed gives the same text', async () => {
    const w = weights(11);
    const model = perStepModel(w);
    const start = Float32Array.from([1, 2, 3, 4, 5]);
    const streamed: number[] = [];
    const got = await generateTokens(tf, model, { ids: start, length: 12, temperature: 0, seed: 1, onToken: (id) => void streamed.push(id) });
    const ref: number[] = [];
    const win = Array.from(start);
    for (let k = 0; k < 12; k++) {
      const p = refProbs(w, win);
      const id = p.indexOf(Math.max(...p));
      ref.push(id);
      win.shift();
      win.push(id);
    }
    expect(got).toEqual(ref);
    expect(streamed).toEqual(ref);
    const a = await generateTokens(tf, model, { ids: start, length: 30, temperature: 1, seed: 5 });
    const b = await generateTokens(tf, model, { ids: start, length: 30, temperature: 1, seed: 5 });
    const c = await generateTokens(tf, model, { ids: start, length: 30, temperature: 1, seed: 6 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // Stops when the callback says so.
    expect(await generateTokens(tf, model, { ids: start, length: 30, temperature: 1, seed: 5, onToken: (_, i) => i < 3 })).toHaveLength(4);
    model.dispose();
  });
});

describe('series pictures', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  /** Windows of one series slid by one (like consecutive sine windows), with next values. */
  function windows(series: number[], seqLen: number) {
    const n = series.length - seqLen;
    const x = new Float32Array(n * seqLen);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < seqLen; t++) x[i * seqLen + t] = series[i + t];
      y[i] = series[i + seqLen];
    }
    return { x, y, n, seqLen };
  }

  it('predictions, losses beside the repeat-last baseline, and the forecast rolled forward match a hand computation', async () => {
    const L = 4;
    const series = Array.from({ length: 30 }, (_, i) => Math.fround(Math.sin(i * 0.5)));
    const data = windows(series, L);
    // The model: the next value is 2·last − previous (a linear extrapolation), on input (L, 1).
    const m = tf.sequential();
    m.add(tf.layers.flatten({ inputShape: [L, 1] }));
    m.add(tf.layers.dense({ units: 1 }));
    m.layers[1].setWeights([tf.tensor2d([[0], [0], [-1], [2]]), tf.tensor1d([0])]);
    const pic = await seriesPicture(tf, m, data, { from: 3, horizon: 6 });
    let se = 0,
      bse = 0;
    for (let i = 0; i < data.n; i++) {
      const last = series[i + L - 1];
      const pred = 2 * last - series[i + L - 2];
      expect(pic.predicted[i]).toBeCloseTo(pred, 5);
      se += (pred - series[i + L]) ** 2;
      bse += (last - series[i + L]) ** 2;
    }
    expect(pic.mse).toBeCloseTo(se / data.n, 5);
    expect(pic.baselineMse).toBeCloseTo(bse / data.n, 6);
    expect(pic.mse).toBeLessThan(pic.baselineMse);
    // Rolled forward from window 3: predictions fed back.
    const win = series.slice(3, 3 + L);
    for (let k = 0; k < 6; k++) {
      const v = 2 * win[L - 1] - win[L - 2];
      expect(pic.forecast[k]).toBeCloseTo(v, 4);
      win.shift();
      win.push(v);
    }
    expect(Array.from(pic.start)).toEqual(series.slice(3, 3 + L));
    expect(Array.from(pic.actual)).toEqual(series.slice(3 + L, 3 + L + 6));
    m.dispose();
  });

  it('follows the truth only through consecutive windows', () => {
    const a = windows([1, 2, 3, 4, 5, 6], 2);
    expect(Array.from(continuation(a.x, a.y, a.n, 2, 1, 10))).toEqual([4, 5, 6]);
    // Shuffled windows: the continuation stops at the first window that does not follow.
    const x = Float32Array.from([1, 2, 4, 5, 2, 3]);
    const y = Float32Array.from([3, 6, 4]);
    expect(Array.from(continuation(x, y, 3, 2, 0, 10))).toEqual([3]);
  });
});

describe('sequence tables', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('a copy model on reversal data: wrong exactly where a sequence differs from its reverse', async () => {
    const L = 4;
    const K = 10;
    // Embedding one-hot + Dense identity: predicts its input token at every step.
    const m = tf.sequential();
    m.add(tf.layers.embedding({ inputDim: K, outputDim: K, inputLength: L }));
    m.add(tf.layers.dense({ units: K, activation: 'softmax' }));
    m.layers[0].setWeights([tf.eye(K)]);
    m.layers[1].setWeights([tf.mul(tf.eye(K), 10), tf.zeros([K])]);
    const seqs = [
      [1, 2, 2, 1],
      [3, 4, 5, 6],
      [7, 7, 7, 8]
    ];
    const x = Float32Array.from(seqs.flat());
    const y = Float32Array.from(seqs.flatMap((s) => [...s].reverse()));
    const t = await sequenceTable(tf, m, { x, y, n: 3, seqLen: L }, 10);
    expect(t).toMatchObject({ rows: 3, seqLen: L, outLen: L, evaluated: 3 });
    // Two rows shown, the accuracies still over all three.
    const two = await sequenceTable(tf, m, { x, y, n: 3, seqLen: L }, 2);
    expect(two).toMatchObject({ rows: 2, evaluated: 3, tokenAccuracy: t.tokenAccuracy, sequenceAccuracy: t.sequenceAccuracy });
    expect(Array.from(two.predicted)).toEqual(seqs.slice(0, 2).flat());
    expect(Array.from(two.inputs)).toEqual(seqs.slice(0, 2).flat());
    expect(Array.from(t.predicted)).toEqual(seqs.flat());
    expect(Array.from(t.truth)).toEqual(Array.from(y));
    expect(t.sequenceAccuracy).toBeCloseTo(1 / 3);
    expect(t.tokenAccuracy).toBeCloseTo((4 + 0 + 2) / 12);
    m.dispose();
  });

  it('a parity-like model with one sigmoid unit: p > 0.5 is 1', async () => {
    const L = 3;
    const m = tf.sequential();
    m.add(tf.layers.dense({ units: 1, activation: 'sigmoid', inputShape: [L] }));
    m.layers[0].setWeights([tf.tensor2d([[5], [5], [5]]), tf.tensor1d([-7.5])]); // 1 when two or more ones
    const x = Float32Array.from([1, 0, 0, 1, 1, 0, 1, 1, 1]);
    const y = Float32Array.from([1, 0, 1]);
    const t = await sequenceTable(tf, m, { x, y, n: 3, seqLen: L }, 3);
    expect(Array.from(t.predicted)).toEqual([0, 1, 1]);
    expect(t.outLen).toBe(1);
    expect(t.tokenAccuracy).toBeCloseTo(1 / 3);
    m.dispose();
  });
});
