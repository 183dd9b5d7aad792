import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sequentialSpec } from '$lib/spec/fixtures';
import { buildModel } from './build';
import { confusionMatrix, convFilters, evaluateClassifier, histogram, layerHistograms, sampleActivations } from './inspect';

const cnn = () =>
  sequentialSpec({
    input: [8, 8, 1],
    layers: [
      { kind: 'Conv2D', args: { filters: 4, kernel_size: 3, activation: 'relu' } },
      { kind: 'MaxPooling2D', args: { pool_size: 2 } },
      { kind: 'Flatten', args: {} },
      { kind: 'Dense', args: { units: 3, activation: 'softmax' } }
    ],
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy']
  });

describe('pictures of a model', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('bins values over their range, the maximum in the last bin', () => {
    const h = histogram([0, 1, 2, 3, 4, NaN], 4);
    expect(h).toEqual({ min: 0, max: 4, counts: [1, 1, 1, 2] });
    expect(histogram([2, 2, 2], 4).counts).toEqual([0, 0, 3, 0]);
    expect(histogram([], 3)).toEqual({ min: 0, max: 0, counts: [0, 0, 0] });
  });

  it('counts a confusion matrix with true classes as rows', () => {
    const m = confusionMatrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3);
    expect(Array.from(m.confusion)).toEqual([1, 1, 0, 0, 1, 0, 1, 0, 1]);
    expect(m.accuracy).toBeCloseTo(3 / 5);
  });

  it('histograms every layer with weights, with gradients when given', async () => {
    const model = buildModel(tf, cnn(), 1);
    const conv = model.layers.find((l) => l.getClassName() === 'Conv2D')!;
    const kernel = conv.trainableWeights[0];
    const grads = [{ name: (kernel.read() as tf.Variable).name, shape: kernel.shape as number[], values: new Float32Array(36).fill(0.5) }];
    const hs = await layerHistograms(tf, model, grads, 10);
    expect(hs.map((h) => [h.className, h.weight, h.shape])).toEqual([
      ['Conv2D', 'kernel', [3, 3, 1, 4]],
      ['Dense', 'kernel', [36, 3]]
    ]);
    expect(hs[0].weights.counts.reduce((a, b) => a + b)).toBe(36);
    expect(hs[0].gradients?.counts[5]).toBe(36);
    expect(hs[1].gradients).toBeUndefined();
    model.dispose();
  });

  it('gives each Conv2D filter as a kh × kw image (the kernel itself for one input channel)', async () => {
    const model = buildModel(tf, cnn(), 1);
    const [f] = await convFilters(tf, model);
    expect(f).toMatchObject({ kh: 3, kw: 3, inChannels: 1, filters: 4 });
    const k = (await model.layers.find((l) => l.getClassName() === 'Conv2D')!.trainableWeights[0].read().data()) as Float32Array;
    // values are filter-major: filter 2's pixel (1, 2) is kernel[1][2][0][2].
    expect(f.values[2 * 9 + 1 * 3 + 2]).toBeCloseTo(k[(1 * 3 + 2) * 4 + 2]);
    model.dispose();
  });

  it('evaluates a classifier: predictions, accuracy and confusion agree with predict', async () => {
    const model = buildModel(tf, cnn(), 2);
    const n = 1100; // more than one evaluation chunk
    const x = Float32Array.from({ length: n * 64 }, (_, i) => Math.sin(i * 0.37) * 0.5 + 0.5);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const ev = await evaluateClassifier(tf, model, { x, labels, n }, [8, 8, 1], 3);
    const ref = (model.predict(tf.tensor(x, [n, 8, 8, 1])) as tf.Tensor).argMax(-1).dataSync();
    expect(Array.from(ev.predictions)).toEqual(Array.from(ref));
    const right = Array.from(ref).filter((p, i) => p === labels[i]).length;
    expect(ev.accuracy).toBeCloseTo(right / n);
    expect(ev.confusion.reduce((a, b) => a + b)).toBe(n);
    model.dispose();
  });

  it("runs one sample through every layer; the last activation is the model's output", async () => {
    const model = buildModel(tf, cnn(), 3);
    const x = Float32Array.from({ length: 64 }, (_, i) => (i % 7) / 7);
    const acts = await sampleActivations(tf, model, x, [8, 8, 1]);
    expect(acts.map((a) => [a.className, a.shape])).toEqual([
      ['Conv2D', [6, 6, 4]],
      ['MaxPooling2D', [3, 3, 4]],
      ['Flatten', [36]],
      ['Dense', [3]]
    ]);
    expect(acts[0].channels).toBe(4);
    expect(acts[0].values.length).toBe(144);
    const out = (model.predict(tf.tensor(x, [1, 8, 8, 1])) as tf.Tensor).dataSync();
    Array.from(out).forEach((v, i) => expect(acts[3].values[i]).toBeCloseTo(v, 5));
    expect(Array.from(acts[2].values)).toEqual(Array.from(acts[1].values));
    model.dispose();
  });
});
