/**
 * The metric registry: every entry documented, its Keras strings, "accuracy" resolved like Keras, and every variant's
 * compiled lowering (ONNX) gives the value of its TF.js lowering on a small batch.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { relDiff, runGraph } from '$lib/optimizers/test-helpers';
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
