import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { inferShapes } from '$lib/spec/shape';
import { binarySpec, functionalSpec, sequentialSpec, spiralSpec } from '$lib/spec/fixtures';
import type { ModelSpec } from '$lib/spec/types';
import { buildModel, layerSeed, makeOptimizer, resolveMetrics } from './build';
import { dummySpan } from '$lib/spec/fixtures';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function weights(m: tf.LayersModel): number[][] {
  return m.getWeights().map((w) => Array.from(w.dataSync()));
}

type Fn = (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** Same values on a sample batch (TF.js wraps its loss functions, so identity cannot be compared). */
function expectSameFn(actual: Fn, expected: Fn, units: number, sparse = false) {
  const pred = tf.softmax(tf.tensor2d([[0.1, 0.5, 2], [1, -1, 0.3], [0.2, 0.2, 0.1]]).slice([0, 0], [3, Math.max(units, 1)]));
  const p = units === 1 ? tf.sigmoid(pred) : pred;
  const y = sparse ? tf.tensor1d([2, 0, 1]) : units === 1 ? tf.tensor2d([[1], [0], [1]]) : tf.oneHot([2, 0, 1], units).toFloat();
  expect(Array.from(actual(y, p).dataSync())).toEqual(Array.from(expected(y, p).dataSync()));
  tf.dispose([pred, p, y]);
}

function dispose(m: tf.LayersModel) {
  m.optimizer?.dispose();
  m.dispose();
}

const branching = () =>
  functionalSpec(
    [{ id: 'inp', shape: [4] }],
    [
      { id: 'a', kind: 'Dense', args: { units: 8, activation: 'relu' }, inputs: ['inp'] },
      { id: 'drop', kind: 'Dropout', args: { rate: 0.2 }, inputs: ['a'] },
      { id: 'b', kind: 'Dense', args: { units: 3, activation: 'softmax' }, inputs: ['drop'] },
      { id: 'c', kind: 'Dense', args: { units: 5, use_bias: false }, inputs: ['inp'] },
      { id: 'act', kind: 'Activation', args: { activation: 'tanh' }, inputs: ['c'] }
    ],
    ['b', 'act']
  );

describe('buildModel', () => {
  const specs: [string, () => ModelSpec][] = [
    ['spiral', () => spiralSpec()],
    ['binary', () => binarySpec()],
    ['mlp with dropout', () => sequentialSpec({ input: [10], layers: [{ kind: 'Dense', args: { units: 32, activation: 'gelu' } }, { kind: 'Dropout', args: { rate: 0.5 } }, { kind: 'Dense', args: { units: 4, activation: 'softmax', kernel_initializer: 'he_normal' } }] })],
    ['functional, two outputs', branching]
  ];
  for (const [name, make] of specs) {
    it(`matches inferShapes' parameter count and shapes (${name})`, () => {
      const spec = make();
      const { summary } = inferShapes(spec);
      const m = buildModel(tf, spec, 1);
      expect(m.countParams()).toBe(summary!.trainable + summary!.nonTrainable);
      expect(m.outputs.map((o) => o.shape.slice(1))).toEqual(summary!.outputShapes);
      for (const node of spec.layers) expect(m.getLayer(node.id).outputShape).toEqual([null, ...summary!.shapes[node.id]]);
      dispose(m);
    });
  }

  it('gives the spiral model 371 parameters', () => {
    const m = buildModel(tf, spiralSpec(), 1);
    expect(m.countParams()).toBe(2 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3);
    dispose(m);
  });

  it('gives identical weights for the same seed and different ones for another seed', () => {
    const a = buildModel(tf, spiralSpec(), 123);
    const b = buildModel(tf, spiralSpec(), 123);
    const c = buildModel(tf, spiralSpec(), 124);
    expect(weights(a)).toEqual(weights(b));
    expect(weights(a)[0]).not.toEqual(weights(c)[0]);
    // Layers of the same shape get different initial weights.
    const wa = weights(a);
    expect(wa[2].slice(0, 16)).not.toEqual(wa[0].slice(0, 16));
    [a, b, c].forEach(dispose);
  });

  it('derives distinct, safe per-layer seeds', () => {
    const seeds = new Set([0, 1, 2, 3].flatMap((s) => [0, 1, 2, 3].map((i) => layerSeed(s, i))));
    expect(seeds.size).toBe(16);
    for (const s of seeds) expect(s + 10).toBeLessThan(2 ** 31);
  });

  it('compiles with the spec loss and Keras-default optimizer settings', () => {
    const m = buildModel(tf, spiralSpec(), 1);
    expect(m.optimizer.getConfig()).toEqual({ learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 });
    expectSameFn(m.lossFunctions[0], tf.metrics.categoricalCrossentropy, 3);
    dispose(m);
    const unc = buildModel(tf, spiralSpec({ noCompile: true }), 1);
    expect(unc.optimizer).toBeUndefined();
    unc.dispose();
  });

  it('maps every optimizer', () => {
    const opt = (name: 'sgd' | 'adam' | 'rmsprop' | 'adagrad', args = {}, learningRate = 0.05) =>
      makeOptimizer(tf, { name, learningRate, args, span: dummySpan() });
    expect(opt('sgd').getClassName()).toBe('SGD');
    const mom = opt('sgd', { momentum: 0.9, nesterov: true });
    expect(mom.getClassName()).toBe('Momentum');
    expect(mom.getConfig()).toEqual({ learningRate: 0.05, momentum: 0.9, useNesterov: true });
    expect(opt('rmsprop').getConfig()).toEqual({ learningRate: 0.05, decay: 0.9, momentum: 0, epsilon: 1e-7, centered: false });
    expect(opt('rmsprop', { rho: 0.8, momentum: 0.1, centered: true }).getConfig()).toMatchObject({ decay: 0.8, momentum: 0.1, centered: true });
    expect(opt('adagrad').getConfig()).toEqual({ learningRate: 0.05, initialAccumulatorValue: 0.1 });
    expect(opt('adam', { beta_1: 0.8, epsilon: 1e-5 }).getConfig()).toEqual({ learningRate: 0.05, beta1: 0.8, beta2: 0.999, epsilon: 1e-5 });
  });

  it('maps losses and resolves "accuracy" like Keras', () => {
    const cases: [ModelSpec, number, unknown, unknown][] = [
      [spiralSpec(), 3, tf.metrics.categoricalCrossentropy, tf.metrics.categoricalAccuracy],
      [spiralSpec({ loss: 'sparse_categorical_crossentropy' }), 3, ((y: tf.Tensor, p: tf.Tensor) => tf.metrics.categoricalCrossentropy(tf.oneHot(y.toInt(), 3).toFloat(), p)) as Fn, tf.metrics.sparseCategoricalAccuracy],
      [binarySpec(), 1, tf.metrics.binaryCrossentropy, tf.metrics.binaryAccuracy],
      [spiralSpec({ loss: 'mse' }), 3, tf.metrics.meanSquaredError, tf.metrics.categoricalAccuracy],
      [binarySpec({ loss: 'mae' }), 1, tf.metrics.meanAbsoluteError, tf.metrics.binaryAccuracy]
    ];
    for (const [spec, units, loss, acc] of cases) {
      const m = buildModel(tf, spec, 1);
      expectSameFn(m.lossFunctions[0], loss as Fn, units, spec.compile!.loss.startsWith('sparse'));
      expect(resolveMetrics(tf, spec, units)).toEqual([{ key: 'acc', fn: acc }]);
      dispose(m);
    }
    expect(resolveMetrics(tf, spiralSpec({ metrics: ['accuracy', 'mae'] }), 3).map((m) => m.key)).toEqual(['acc', 'mae']);
  });
});
