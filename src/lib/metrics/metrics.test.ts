/**
 * The metric registry: every entry documented, its Keras strings, "accuracy" resolved like Keras, and every variant's
 * compiled lowering (ONNX) gives the value of its TF.js lowering on a small batch.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { relDiff, runGraph } from '$lib/optimizers/test-helpers';
import { emitLoss, resolveMetricKind } from '$lib/compile/loss';
import { getMetric, METRIC_LIST, METRIC_STRINGS, metricVariant, type MetricKind } from '.';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const BATCH = 4;
const UNITS = 3;

/** Predictions and targets for a variant: [pred, predDims, y, yDims]. */
function batch(kind: MetricKind): [Float32Array, number[], Float32Array, number[]] {
  const probs = Float32Array.from([0.2, 0.1, 0.7, 0.5, 0.3, 0.2, 0.1, 0.6, 0.3, 0.3, 0.3, 0.4]);
  const labels = [2, 1, 1, 2];
  switch (kind) {
    case 'binary_accuracy':
      return [Float32Array.from([0.2, 0.7, 0.51, 0.4]), [BATCH, 1], Float32Array.from([0, 1, 0, 1]), [BATCH, 1]];
    case 'sparse_categorical_accuracy':
      return [probs, [BATCH, UNITS], Float32Array.from(labels), [BATCH]];
    case 'categorical_accuracy':
      return [probs, [BATCH, UNITS], Float32Array.from(labels.flatMap((l) => [0, 1, 2].map((i) => (i === l ? 1 : 0)))), [BATCH, UNITS]];
    case 'mae':
      return [probs, [BATCH, UNITS], Float32Array.from(probs, (p, i) => p + Math.sin(i)), [BATCH, UNITS]];
  }
}

describe('metric registry', () => {
  it('documents every metric and maps each of its strings to it', () => {
    for (const m of METRIC_LIST) {
      expect(m.doc.length, m.name).toBeGreaterThan(10);
      for (const s of [m.name, ...m.aliases]) expect(METRIC_STRINGS[s]).toBe(m.name);
      expect(getMetric(m.name)).toBe(m);
      expect(m.variants.length).toBeGreaterThan(0);
    }
  });

  it('resolves "accuracy" like Keras', () => {
    const acc = getMetric('accuracy')!;
    expect(acc.resolve('categorical_crossentropy', 3).kind).toBe('categorical_accuracy');
    expect(acc.resolve('mse', 3).kind).toBe('categorical_accuracy');
    expect(acc.resolve('sparse_categorical_crossentropy', 3).kind).toBe('sparse_categorical_accuracy');
    expect(acc.resolve('binary_crossentropy', 3).kind).toBe('binary_accuracy');
    expect(acc.resolve('categorical_crossentropy', 1).kind).toBe('binary_accuracy');
    expect(getMetric('mae')!.resolve('mse', 3).kind).toBe('mae');
  });

  for (const kind of METRIC_LIST.flatMap((m) => m.variants.map((v) => v.kind as MetricKind))) {
    it(`compiled ${kind} matches TF.js`, async () => {
      const v = metricVariant(kind);
      const [p, pDims, y, yDims] = batch(kind);
      const expected = tf.mean(v.toTfjs(tf)(tf.tensor(y, yDims), tf.tensor(p, pDims))).dataSync();
      const [got] = await runGraph({ p: { data: p, dims: pDims }, y: { data: y, dims: yDims } }, (g, x) => [v.toOnnx(g, x.p, x.y)]);
      expect(relDiff(got, expected)).toBeLessThan(1e-6);
    });
  }
});

/**
 * Per-step targets: "accuracy" with sparse_categorical_crossentropy on outputs (batch, time, classes) is Keras'
 * sparse categorical accuracy over every position (batch × time); so is "sparse_categorical_accuracy" with any loss.
 * Reference: argmax per position compared with the label, counted in plain JavaScript.
 */
describe('accuracy on sequences (batch, time, classes)', () => {
  const B = 3;
  const T = 5;
  const V = 4;
  const p = Float32Array.from({ length: B * T * V }, (_, i) => 1 + Math.sin(i * 2.11 + 0.4));
  const y = Float32Array.from({ length: B * T }, (_, i) => (i * 3 + 2) % V);
  const reference = (labels: Float32Array) => {
    let right = 0;
    for (let r = 0; r < B * T; r++) {
      const row = Array.from(p.subarray(r * V, (r + 1) * V));
      if (row.indexOf(Math.max(...row)) === labels[r]) right++;
    }
    return right / (B * T);
  };

  it('resolves to sparse categorical accuracy (accuracy with the sparse loss, and by its own name)', () => {
    expect(getMetric('accuracy')!.resolve('sparse_categorical_crossentropy', V).kind).toBe('sparse_categorical_accuracy');
    const named = getMetric('sparse_categorical_accuracy')!;
    expect(METRIC_STRINGS.sparse_categorical_accuracy).toBe('sparse_categorical_accuracy');
    expect(named.logKey).toBe('acc');
    for (const loss of ['sparse_categorical_crossentropy', 'categorical_crossentropy', 'mse']) expect(named.resolve(loss, V).kind).toBe('sparse_categorical_accuracy');
    expect(resolveMetricKind('sparse_categorical_crossentropy', ['sparse_categorical_accuracy'], V)).toBe('sparse_categorical_accuracy');
  });

  it('counts every position: TF.js ≈ compiled ≈ reference', async () => {
    const ref = reference(y);
    expect(ref).toBeGreaterThan(0);
    expect(ref).toBeLessThan(1);
    const v = metricVariant(getMetric('accuracy')!.resolve('sparse_categorical_crossentropy', V).kind as MetricKind);
    const tfjs = tf.mean(v.toTfjs(tf)(tf.tensor2d(y, [B, T]), tf.tensor3d(p, [B, T, V]))).dataSync()[0];
    expect(Math.abs(tfjs - ref)).toBeLessThan(1e-6);
    const [got] = await runGraph({ p: { data: p, dims: [B, T, V] }, y: { data: y, dims: [B, T] } }, (g, x) => {
      const kind = resolveMetricKind('sparse_categorical_crossentropy', ['accuracy'], V)!;
      return [emitLoss(g, 'sparse_categorical_crossentropy', kind, x.p, undefined, x.y, [T, V]).metric!];
    });
    expect(Math.abs(got[0] - ref)).toBeLessThan(1e-6);
    // The check can fail: one label changed to the predicted class moves it by 1 / (B·T).
    const moved = Float32Array.from(y);
    const row0 = Array.from(p.subarray(0, V));
    moved[0] = row0.indexOf(Math.max(...row0)) === y[0] ? (y[0] + 1) % V : row0.indexOf(Math.max(...row0));
    expect(Math.abs(reference(moved) - ref)).toBeCloseTo(1 / (B * T), 9);
  });
});
