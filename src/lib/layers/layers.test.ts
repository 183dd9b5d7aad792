import * as tf from '@tensorflow/tfjs';
import { readdirSync, readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { functionalSpec, withDefaults } from '$lib/spec/fixtures';
import { inferShapes } from '$lib/spec/shape';
import type { ArgValue, ModelSpec, Shape } from '$lib/spec/types';
import { parseProgram } from '$lib/keras/parse';
import { ACTIVATION_NAMES } from './activations';
import { getLayer, LAYER_KINDS, LAYERS } from './index';
import { LayerError, type LayerDef } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface Case {
  kind: string;
  args: Record<string, ArgValue>;
  inputs: Shape[];
  out: Shape;
  /** [trainable, non-trainable] */
  params: [number, number];
  flops?: number;
}

const L2 = { type: 'l2', l2: 0.01 };

const CASES: Case[] = [
  // Dense: on the last axis.
  { kind: 'Dense', args: { units: 8 }, inputs: [[4]], out: [8], params: [4 * 8 + 8, 0], flops: 2 * 4 * 8 },
  { kind: 'Dense', args: { units: 3, use_bias: false }, inputs: [[5, 6]], out: [5, 3], params: [18, 0], flops: 2 * 5 * 6 * 3 },
  { kind: 'Dense', args: { units: 2, activation: 'leaky_relu', kernel_regularizer: L2, bias_regularizer: { type: 'l1', l1: 0.1 } }, inputs: [[3]], out: [2], params: [8, 0] },
  { kind: 'Dense', args: { units: 4, activation: 'gelu', kernel_initializer: 'he_normal', kernel_regularizer: { type: 'l1_l2', l1: 0.01, l2: 0.02 } }, inputs: [[2, 3, 4]], out: [2, 3, 4], params: [20, 0], flops: 2 * 6 * 4 * 4 },
  // Conv2D: valid = floor((in - k) / s) + 1, same = ceil(in / s).
  { kind: 'Conv2D', args: { filters: 8, kernel_size: 3 }, inputs: [[28, 28, 1]], out: [26, 26, 8], params: [3 * 3 * 1 * 8 + 8, 0], flops: 2 * 9 * 1 * 8 * 26 * 26 },
  { kind: 'Conv2D', args: { filters: 16, kernel_size: [3, 3], strides: 2, padding: 'same', activation: 'relu' }, inputs: [[7, 7, 3]], out: [4, 4, 16], params: [9 * 3 * 16 + 16, 0], flops: 2 * 9 * 3 * 16 * 4 * 4 },
  { kind: 'Conv2D', args: { filters: 4, kernel_size: [5, 3], strides: [2, 1], use_bias: false, kernel_regularizer: L2 }, inputs: [[11, 9, 2]], out: [4, 7, 4], params: [5 * 3 * 2 * 4, 0], flops: 2 * 15 * 2 * 4 * 4 * 7 },
  { kind: 'Conv2D', args: { filters: 2, kernel_size: 3, dilation_rate: 2 }, inputs: [[7, 7, 1]], out: [3, 3, 2], params: [9 * 2 + 2, 0] },
  { kind: 'Conv2D', args: { filters: 4, kernel_size: 1, activation: 'leaky_relu', kernel_initializer: 'he_uniform' }, inputs: [[4, 4, 2]], out: [4, 4, 4], params: [12, 0] },
  { kind: 'Conv2D', args: { filters: 3, kernel_size: 2, strides: 3, padding: 'same', activation: 'swish' }, inputs: [[8, 5, 2]], out: [3, 2, 3], params: [2 * 2 * 2 * 3 + 3, 0] },
  // Pooling: strides=None means pool_size.
  { kind: 'MaxPooling2D', args: {}, inputs: [[28, 28, 32]], out: [14, 14, 32], params: [0, 0], flops: 4 * 14 * 14 * 32 },
  { kind: 'MaxPooling2D', args: { pool_size: 3, strides: 2 }, inputs: [[7, 7, 3]], out: [3, 3, 3], params: [0, 0], flops: 9 * 27 },
  { kind: 'MaxPooling2D', args: { pool_size: [3, 3], strides: [2, 2], padding: 'same' }, inputs: [[7, 7, 3]], out: [4, 4, 3], params: [0, 0] },
  { kind: 'MaxPooling2D', args: { pool_size: [2, 1] }, inputs: [[5, 5, 1]], out: [2, 5, 1], params: [0, 0] },
  { kind: 'AveragePooling2D', args: {}, inputs: [[5, 5, 2]], out: [2, 2, 2], params: [0, 0], flops: 4 * 8 },
  { kind: 'AveragePooling2D', args: { pool_size: 2, padding: 'same' }, inputs: [[5, 5, 2]], out: [3, 3, 2], params: [0, 0] },
  { kind: 'AveragePooling2D', args: { pool_size: 3, strides: 1 }, inputs: [[6, 4, 3]], out: [4, 2, 3], params: [0, 0] },
  { kind: 'GlobalAveragePooling2D', args: {}, inputs: [[7, 7, 64]], out: [64], params: [0, 0], flops: 7 * 7 * 64 },
  { kind: 'GlobalAveragePooling2D', args: { keepdims: true }, inputs: [[3, 5, 4]], out: [1, 1, 4], params: [0, 0] },
  { kind: 'Flatten', args: {}, inputs: [[7, 7, 64]], out: [3136], params: [0, 0], flops: 0 },
  { kind: 'Flatten', args: {}, inputs: [[3, 4]], out: [12], params: [0, 0] },
  { kind: 'Flatten', args: {}, inputs: [[10]], out: [10], params: [0, 0] },
  { kind: 'Dropout', args: { rate: 0.5 }, inputs: [[10]], out: [10], params: [0, 0] },
  { kind: 'Dropout', args: { rate: 0.2, seed: 3 }, inputs: [[4, 4, 2]], out: [4, 4, 2], params: [0, 0] },
  // BatchNormalization: gamma, beta trainable; moving mean, variance not.
  { kind: 'BatchNormalization', args: {}, inputs: [[16]], out: [16], params: [32, 32], flops: 32 },
  { kind: 'BatchNormalization', args: { momentum: 0.9, epsilon: 1e-5 }, inputs: [[8, 8, 3]], out: [8, 8, 3], params: [6, 6] },
  { kind: 'BatchNormalization', args: { center: false, gamma_regularizer: L2 }, inputs: [[4, 5]], out: [4, 5], params: [5, 10] },
  { kind: 'BatchNormalization', args: { center: false, scale: false }, inputs: [[6]], out: [6], params: [0, 12] },
  { kind: 'BatchNormalization', args: { axis: 1 }, inputs: [[3]], out: [3], params: [6, 6] },
  { kind: 'BatchNormalization', args: { axis: 3 }, inputs: [[2, 3, 5]], out: [2, 3, 5], params: [10, 10] },
  ...ACTIVATION_NAMES.map(
    (a): Case => ({ kind: 'Activation', args: { activation: a }, inputs: [[5]], out: [5], params: [0, 0], flops: 5 })
  ),
  { kind: 'Activation', args: { activation: 'leaky_relu' }, inputs: [[2, 3]], out: [2, 3], params: [0, 0] },
  { kind: 'Reshape', args: { target_shape: [28, 28, 1] }, inputs: [[784]], out: [28, 28, 1], params: [0, 0], flops: 0 },
  { kind: 'Reshape', args: { target_shape: [3, -1] }, inputs: [[12]], out: [3, 4], params: [0, 0] },
  { kind: 'Reshape', args: { target_shape: [-1] }, inputs: [[2, 3, 4]], out: [24], params: [0, 0] },
  { kind: 'Add', args: {}, inputs: [[16], [16]], out: [16], params: [0, 0], flops: 16 },
  { kind: 'Add', args: {}, inputs: [[4, 4, 8], [4, 4, 8], [4, 4, 8]], out: [4, 4, 8], params: [0, 0], flops: 2 * 128 },
  { kind: 'Add', args: {}, inputs: [[4, 4, 8], [1, 1, 8]], out: [4, 4, 8], params: [0, 0] },
  { kind: 'Add', args: {}, inputs: [[4, 4, 8], [8]], out: [4, 4, 8], params: [0, 0] },
  { kind: 'Concatenate', args: {}, inputs: [[8], [4]], out: [12], params: [0, 0], flops: 0 },
  { kind: 'Concatenate', args: {}, inputs: [[6, 6, 3], [6, 6, 5], [6, 6, 1]], out: [6, 6, 9], params: [0, 0] },
  { kind: 'Concatenate', args: { axis: 1 }, inputs: [[2, 3], [5, 3]], out: [7, 3], params: [0, 0] },
  { kind: 'Concatenate', args: { axis: -2 }, inputs: [[2, 3], [5, 3]], out: [7, 3], params: [0, 0] },
  // Embedding: any shape of ids → shape + (output_dim,); input_dim · output_dim parameters.
  { kind: 'Embedding', args: { input_dim: 65, output_dim: 16 }, inputs: [[40]], out: [40, 16], params: [65 * 16, 0], flops: 0 },
  { kind: 'Embedding', args: { input_dim: 10, output_dim: 3, embeddings_initializer: 'glorot_uniform', embeddings_regularizer: L2 }, inputs: [[4, 5]], out: [4, 5, 3], params: [30, 0] },
  // Conv1D: valid floor((L - k_eff) / s) + 1, same and causal ceil(L / s).
  { kind: 'Conv1D', args: { filters: 8, kernel_size: 3 }, inputs: [[20, 4]], out: [18, 8], params: [3 * 4 * 8 + 8, 0], flops: 2 * 3 * 4 * 8 * 18 },
  { kind: 'Conv1D', args: { filters: 4, kernel_size: [5], strides: 2, padding: 'same', activation: 'relu' }, inputs: [[11, 3]], out: [6, 4], params: [5 * 3 * 4 + 4, 0], flops: 2 * 5 * 3 * 4 * 6 },
  { kind: 'Conv1D', args: { filters: 2, kernel_size: 3, padding: 'causal', dilation_rate: 4, use_bias: false }, inputs: [[9, 2]], out: [9, 2], params: [12, 0] },
  { kind: 'Conv1D', args: { filters: 3, kernel_size: 2, strides: 3, padding: 'causal', activation: 'leaky_relu', kernel_regularizer: L2 }, inputs: [[10, 1]], out: [4, 3], params: [9, 0] },
  { kind: 'Conv1D', args: { filters: 2, kernel_size: 3, dilation_rate: 2 }, inputs: [[7, 1]], out: [3, 2], params: [8, 0] },
  // 1-D pooling: strides=None means pool_size.
  { kind: 'MaxPooling1D', args: {}, inputs: [[9, 4]], out: [4, 4], params: [0, 0], flops: 2 * 4 * 4 },
  { kind: 'MaxPooling1D', args: { pool_size: 3, strides: 2, padding: 'same' }, inputs: [[8, 2]], out: [4, 2], params: [0, 0] },
  { kind: 'AveragePooling1D', args: { pool_size: [2], padding: 'same' }, inputs: [[9, 3]], out: [5, 3], params: [0, 0] },
  { kind: 'AveragePooling1D', args: { pool_size: 3, strides: 1 }, inputs: [[6, 2]], out: [4, 2], params: [0, 0], flops: 3 * 4 * 2 },
  { kind: 'GlobalAveragePooling1D', args: {}, inputs: [[7, 5]], out: [5], params: [0, 0], flops: 35 },
  { kind: 'GlobalAveragePooling1D', args: { keepdims: true }, inputs: [[7, 5]], out: [1, 5], params: [0, 0] },
  { kind: 'GlobalMaxPooling1D', args: {}, inputs: [[6, 3]], out: [3], params: [0, 0], flops: 18 },
  { kind: 'GlobalMaxPooling1D', args: { keepdims: true }, inputs: [[6, 3]], out: [1, 3], params: [0, 0] },
  // Recurrent layers: G · (F·U + U·U + U), GRU reset_after=True two bias rows; FLOPs T · 2 · G · U · (F + U).
  { kind: 'SimpleRNN', args: { units: 4 }, inputs: [[6, 3]], out: [4], params: [12 + 16 + 4, 0], flops: 6 * 2 * 4 * 7 },
  { kind: 'SimpleRNN', args: { units: 2, return_sequences: true, use_bias: false }, inputs: [[5, 3]], out: [5, 2], params: [6 + 4, 0] },
  { kind: 'LSTM', args: { units: 4 }, inputs: [[6, 3]], out: [4], params: [4 * (12 + 16 + 4), 0], flops: 6 * 2 * 16 * 7 },
  { kind: 'LSTM', args: { units: 3, return_sequences: true, go_backwards: true }, inputs: [[5, 2]], out: [5, 3], params: [4 * (6 + 9 + 3), 0] },
  { kind: 'GRU', args: { units: 4 }, inputs: [[6, 3]], out: [4], params: [3 * (12 + 16 + 8), 0], flops: 6 * 2 * 12 * 7 },
  { kind: 'GRU', args: { units: 3, reset_after: false, return_sequences: true }, inputs: [[5, 2]], out: [5, 3], params: [3 * (6 + 9 + 3), 0] },
  { kind: 'Bidirectional', args: { layer: { kind: 'LSTM', args: withDefaults('LSTM', { units: 4 }) } }, inputs: [[6, 3]], out: [8], params: [2 * 4 * (12 + 16 + 4), 0], flops: 2 * 6 * 2 * 16 * 7 },
  { kind: 'Bidirectional', args: { layer: { kind: 'GRU', args: withDefaults('GRU', { units: 3, return_sequences: true }) }, merge_mode: 'sum' }, inputs: [[5, 2]], out: [5, 3], params: [2 * 3 * (6 + 9 + 6), 0] }
];

const label = (c: Case) => `${c.kind}(${JSON.stringify(c.args)}) on ${c.inputs.map((s) => `(${s.join(',')})`).join(' ')}`;

/** A one-layer model: inputs in0, in1, ... → layer `layer`. */
function oneLayerSpec(c: Case): ModelSpec {
  const inputs = c.inputs.map((shape, i) => ({ id: `in${i}`, shape }));
  const spec = functionalSpec(inputs, [{ id: 'layer', kind: c.kind, args: c.args, inputs: inputs.map((i) => i.id) }], ['layer']);
  spec.compile = null;
  return spec;
}

function sizes(vars: { shape: (number | null)[] }[]): number {
  return vars.reduce((a, v) => a + v.shape.reduce<number>((x, y) => x * (y ?? 0), 1), 0);
}

function randomInputs(c: Case, seed: number): tf.Tensor[] {
  // An Embedding takes ids: whole numbers in [0, input_dim).
  if (c.kind === 'Embedding') return c.inputs.map((s, i) => tf.floor(tf.randomUniform([3, ...s], 0, c.args.input_dim as number, 'float32', seed + i)));
  return c.inputs.map((s, i) => tf.randomNormal([3, ...s], 0, 1, 'float32', seed + i));
}

function predict(m: tf.LayersModel, xs: tf.Tensor[]): Float32Array {
  const y = m.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor;
  const out = y.dataSync() as Float32Array;
  y.dispose();
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

async function roundTrip(m: tf.LayersModel): Promise<tf.LayersModel> {
  let saved: tf.io.ModelArtifacts | undefined;
  await m.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    })
  );
  // Through JSON, as a real save would be.
  const topology = JSON.parse(JSON.stringify(saved!.modelTopology));
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: saved!.weightSpecs, weightData: saved!.weightData }));
}

describe('layer table: shapes, parameters and FLOPs match hand counts and TF.js', () => {
  for (const c of CASES) {
    it(label(c), () => {
      const def = getLayer(c.kind)!;
      const args = withDefaults(c.kind, c.args);
      expect(() => def.validate?.(args)).not.toThrow();
      expect(def.outputShape(c.inputs, args)).toEqual(c.out);
      const p = def.params(c.inputs, args);
      expect([p.trainable, p.nonTrainable]).toEqual(c.params);
      if (c.flops !== undefined) expect(def.flops(c.inputs, args)).toBe(c.flops);
      expect(Number.isFinite(def.flops(c.inputs, args))).toBe(true);

      const spec = oneLayerSpec(c);
      const { summary, diagnostics } = inferShapes(spec);
      expect(diagnostics).toEqual([]);
      expect(summary!.outputShapes).toEqual([c.out]);

      const m = buildModel(tf, spec, 42);
      expect(m.outputs[0].shape.slice(1)).toEqual(c.out);
      expect(m.countParams()).toBe(c.params[0] + c.params[1]);
      expect(sizes(m.trainableWeights)).toBe(c.params[0]);
      expect(sizes(m.nonTrainableWeights)).toBe(c.params[1]);
      // The weights the layer declares (names, trainable or not) are the ones TF.js creates.
      const declared = new Map((def.weights ?? []).map((w) => [w.name, w.trainable]));
      for (const v of m.getLayer('layer').weights) {
        const name = (v.originalName ?? v.name).replace(/^layer\//, ''); // Bidirectional's are forward_lstm/kernel, ...
        expect(declared.get(name), `${c.kind} weight ${name}`).toBe(v.trainable);
      }
      const xs = randomInputs(c, 1);
      const y = m.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor;
      expect(y.shape).toEqual([3, ...c.out]);
      tf.dispose([...xs, y]);
      m.dispose();
    });
  }
});

describe('round trip through TF.js serialization', () => {
  for (const c of CASES) {
    it(label(c), async () => {
      const m = buildModel(tf, oneLayerSpec(c), 7);
      // Non-default weights (positive, so BatchNormalization's variance stays valid) to see that they are restored.
      m.setWeights(m.getWeights().map((w, i) => tf.randomUniform(w.shape, 0.5, 1.5, 'float32', 100 + i)));
      const loaded = await roundTrip(m);
      expect(loaded.layers.map((l) => l.getClassName())).toEqual(m.layers.map((l) => l.getClassName()));
      const xs = randomInputs(c, 5);
      expect(maxAbsDiff(predict(m, xs), predict(loaded, xs))).toBeLessThan(1e-6);
      tf.dispose(xs);
      m.dispose();
      loaded.dispose();
    });
  }

  it('keeps the LeakyReLU (slope 0.2) that follows a Dense or Conv2D with activation="leaky_relu"', async () => {
    const spec = functionalSpec([{ id: 'x', shape: [4, 4, 2] }], [
      { id: 'conv', kind: 'Conv2D', args: { filters: 3, kernel_size: 3, activation: 'leaky_relu' }, inputs: ['x'] },
      { id: 'flat', kind: 'Flatten', args: {}, inputs: ['conv'] },
      { id: 'dense', kind: 'Dense', args: { units: 2, activation: 'leaky_relu' }, inputs: ['flat'] }
    ], ['dense']);
    spec.compile = null;
    const m = buildModel(tf, spec, 1);
    const loaded = await roundTrip(m);
    const leaky = loaded.layers.filter((l) => l.getClassName() === 'LeakyReLU');
    expect(leaky.map((l) => l.name)).toEqual(['conv__leaky_relu', 'dense__leaky_relu']);
    expect(leaky.map((l) => l.getConfig().alpha)).toEqual([0.2, 0.2]);
    // The weights stay under the node's own name, as in Keras.
    expect(loaded.getLayer('dense').getWeights().map((w) => w.shape)).toEqual([[12, 2], [2]]);
    m.dispose();
    loaded.dispose();
  });
});

describe('activations', () => {
  const xs = [-3, -1, -0.5, 0, 0.3, 1, 2.5];
  const erf = (x: number) => {
    // Maclaurin series, exact to double precision for |x| < 3.
    let sum = 0;
    let term = x;
    for (let n = 0; n < 80; n++) {
      sum += term / (2 * n + 1);
      term *= (-x * x) / (n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };
  const keras: Record<string, (x: number) => number> = {
    relu: (x) => Math.max(x, 0),
    sigmoid: (x) => 1 / (1 + Math.exp(-x)),
    tanh: Math.tanh,
    linear: (x) => x,
    leaky_relu: (x) => (x > 0 ? x : 0.2 * x),
    elu: (x) => (x > 0 ? x : Math.exp(x) - 1),
    gelu: (x) => 0.5 * x * (1 + erf(x / Math.SQRT2)), // Keras' default approximate=False
    swish: (x) => x / (1 + Math.exp(-x))
  };
  for (const [name, f] of Object.entries(keras)) {
    it(`${name} computes Keras' function`, () => {
      const c: Case = { kind: 'Activation', args: { activation: name }, inputs: [[xs.length]], out: [xs.length], params: [0, 0] };
      const m = buildModel(tf, oneLayerSpec(c), 1);
      const y = predict(m, [tf.tensor2d([xs])]);
      xs.forEach((x, i) => expect(y[i]).toBeCloseTo(f(x), 5));
      m.dispose();
    });
  }
  it('softmax sums to 1 over the last axis', () => {
    const c: Case = { kind: 'Dense', args: { units: 4, activation: 'softmax' }, inputs: [[2, 3]], out: [2, 4], params: [16, 0] };
    const m = buildModel(tf, oneLayerSpec(c), 1);
    const y = m.predict(tf.randomNormal([5, 2, 3])) as tf.Tensor;
    const s = y.sum(-1).dataSync();
    s.forEach((v) => expect(v).toBeCloseTo(1, 5));
    m.dispose();
  });
});

describe('elementwise layers match their float64 reference (written from the Keras docs)', () => {
  for (const def of LAYERS.filter((d) => d.reference)) {
    for (const c of def.conformance ?? []) {
      it(`${def.kind}: ${c.name}`, () => {
        const { spec } = parseProgram(c.source);
        const node = spec!.layers.find((l) => l.kind === def.kind)!;
        // A grid over [-4, 4] (0 included), plus each numeric argument (a threshold, a max_value) and its neighbours.
        const marks = Object.values(node.args).filter((v): v is number => typeof v === 'number');
        const xs = [...Array.from({ length: 65 }, (_, i) => -4 + i / 8), ...marks.flatMap((v) => [v - 1e-3, v, v + 1e-3])].map(Math.fround);
        const m = buildModel(tf, oneLayerSpec({ kind: def.kind, args: node.args, inputs: [[xs.length]], out: [xs.length], params: [0, 0] }), 1);
        const y = predict(m, [tf.tensor2d([xs])]);
        xs.forEach((x, i) => {
          const want = def.reference!(x, node.args);
          expect(Math.abs(y[i] - want), `f(${x}) = ${y[i]}, Keras ${want}`).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(want)));
        });
        m.dispose();
      });
    }
  }
});

describe('regularizers', () => {
  it('add l1 · Σ|w| + l2 · Σw² to the loss, with Keras defaults for missing factors', async () => {
    const { tfjsRegularizer } = await import('./regularizers');
    const w = tf.tensor1d([1, -2, 3]);
    const value = (v: ArgValue) => tfjsRegularizer(tf, v)!.apply(w).dataSync()[0];
    expect(value({ type: 'l1', l1: 0.1 })).toBeCloseTo(0.6, 6);
    expect(value({ type: 'l2', l2: 0.5 })).toBeCloseTo(7, 6);
    expect(value({ type: 'l1_l2', l1: 0.1, l2: 0.5 })).toBeCloseTo(7.6, 6);
    expect(value({ type: 'l2' })).toBeCloseTo(0.14, 6);
    expect(value('l1')).toBeCloseTo(0.06, 6);
    expect(tfjsRegularizer(tf, null)).toBeUndefined();
  });

  it('appear in the model losses', () => {
    const c: Case = { kind: 'Dense', args: { units: 3, kernel_regularizer: L2 }, inputs: [[2]], out: [3], params: [9, 0] };
    const m = buildModel(tf, oneLayerSpec(c), 1);
    expect(m.getLayer('layer').losses.length).toBe(1);
    m.dispose();
  });
});

describe('initial weights', () => {
  /** With the indices of the weights that have a random initializer. */
  const seeded: (Case & { random: number[] })[] = [
    { kind: 'Dense', args: { units: 5, activation: 'leaky_relu' }, inputs: [[3]], out: [5], params: [20, 0], random: [0] },
    { kind: 'Conv2D', args: { filters: 4, kernel_size: 3, kernel_initializer: 'he_normal', bias_initializer: 'glorot_uniform' }, inputs: [[5, 5, 2]], out: [3, 3, 4], params: [76, 0], random: [0, 1] },
    { kind: 'BatchNormalization', args: { gamma_initializer: 'he_uniform', beta_initializer: 'glorot_normal' }, inputs: [[4, 4, 3]], out: [4, 4, 3], params: [6, 6], random: [0, 1] },
    { kind: 'Embedding', args: { input_dim: 30, output_dim: 8 }, inputs: [[5]], out: [5, 8], params: [240, 0], random: [0] },
    { kind: 'Conv1D', args: { filters: 4, kernel_size: 3, padding: 'causal', bias_initializer: 'he_uniform' }, inputs: [[6, 2]], out: [6, 4], params: [28, 0], random: [0, 1] }
  ];
  const weights = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  for (const c of seeded) {
    it(`are the same for the same seed and differ for another (${c.kind})`, () => {
      const [a, b, d] = [3, 3, 4].map((s) => buildModel(tf, oneLayerSpec(c), s));
      expect(weights(a)).toEqual(weights(b));
      const [wa, wd] = [weights(a), weights(d)];
      for (const i of c.random) expect(wa[i]).not.toEqual(wd[i]);
      // Two initializers of the same layer do not repeat each other.
      if (c.random.length === 2) expect(wa[0].slice(0, 3)).not.toEqual(wa[1].slice(0, 3));
      [a, b, d].forEach((m) => m.dispose());
    });
  }
});

describe('Embedding initial weights', () => {
  it('are Keras\' "uniform": U(-0.05, 0.05), spread over the range', () => {
    const c: Case = { kind: 'Embedding', args: { input_dim: 200, output_dim: 10 }, inputs: [[3]], out: [3, 10], params: [2000, 0] };
    const m = buildModel(tf, oneLayerSpec(c), 5);
    const w = Array.from(m.getLayer('layer').getWeights()[0].dataSync());
    expect(Math.max(...w)).toBeLessThanOrEqual(0.05);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-0.05);
    expect(Math.max(...w)).toBeGreaterThan(0.045);
    expect(Math.min(...w)).toBeLessThan(-0.045);
    m.dispose();
  });
});

describe('errors', () => {
  const errors: { kind: string; args: Record<string, ArgValue>; inputs: Shape[]; message: string; hint?: string }[] = [
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 3 }, inputs: [[64]], message: 'Conv2D needs (height, width, channels) but gets (64,) here', hint: 'add layers.Reshape((8, 8, 1)) before it' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 3 }, inputs: [[28, 28]], message: 'Conv2D needs (height, width, channels) but gets (28, 28) here', hint: 'add layers.Reshape((28, 28, 1)) before it' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 3 }, inputs: [[3072]], message: 'Conv2D needs (height, width, channels) but gets (3072,) here', hint: 'add layers.Reshape((32, 32, 3)) before it' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 3 }, inputs: [[10]], message: 'Conv2D needs (height, width, channels) but gets (10,) here', hint: 'add layers.Reshape((height, width, channels)) before it' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 5 }, inputs: [[3, 3, 1]], message: 'Conv2D\'s kernel (5, 5) is larger than its input (3, 3) with padding="valid"', hint: 'use padding="same", a smaller kernel_size, or less pooling before it' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 3, dilation_rate: 3 }, inputs: [[6, 6, 1]], message: 'Conv2D\'s kernel (7, 7) (with its dilation) is larger than its input (6, 6) with padding="valid"' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: [3, 3, 3] }, inputs: [[8, 8, 1]], message: "Conv2D's kernel_size must be an integer or a tuple of 2 integers but gets (3, 3, 3)", hint: 'For example kernel_size=3 or kernel_size=(3, 3)' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 3, padding: 'full' }, inputs: [[8, 8, 1]], message: 'Conv2D\'s padding must be one of "valid", "same" but gets "full"' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 3, data_format: 'channels_first' }, inputs: [[8, 8, 1]], message: 'Conv2D supports only data_format="channels_last" here' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 3, groups: 2 }, inputs: [[8, 8, 2]], message: 'Conv2D supports only groups=1 here but gets groups=2' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 3, strides: 2, dilation_rate: 2 }, inputs: [[8, 8, 2]], message: 'Conv2D cannot combine strides > 1 with dilation_rate > 1' },
    { kind: 'Conv2D', args: { filters: 8, kernel_size: 3, kernel_regularizer: { type: 'l2', l2: -1 } }, inputs: [[8, 8, 2]], message: "Conv2D's kernel_regularizer needs a non-negative l2 factor but gets -1" },
    { kind: 'MaxPooling2D', args: { pool_size: 3 }, inputs: [[2, 2, 4]], message: 'MaxPooling2D\'s pool (3, 3) is larger than its input (2, 2) with padding="valid"' },
    { kind: 'AveragePooling2D', args: {}, inputs: [[16]], message: 'AveragePooling2D needs (height, width, channels) but gets (16,) here', hint: 'add layers.Reshape((4, 4, 1)) before it' },
    { kind: 'GlobalAveragePooling2D', args: {}, inputs: [[7, 7, 3, 2]], message: 'GlobalAveragePooling2D needs (height, width, channels) but gets (7, 7, 3, 2) here' },
    { kind: 'Dense', args: { units: 4, activation: 'relu6' }, inputs: [[3]], message: 'Dense has no activation "relu6" here' },
    { kind: 'Dense', args: { units: 0 }, inputs: [[3]], message: "Dense's units must be an integer of at least 1 but gets 0" },
    { kind: 'Add', args: {}, inputs: [[16], [32]], message: 'Add needs inputs of the same shape but gets (16,) and (32,)', hint: 'Give both branches 32 features, e.g. with layers.Dense(32) on the (16,) one' },
    { kind: 'Add', args: {}, inputs: [[4, 4, 8], [2, 2, 8]], message: 'Add needs inputs of the same shape but gets (4, 4, 8) and (2, 2, 8)' },
    { kind: 'Add', args: {}, inputs: [[16]], message: 'Add needs at least two inputs but gets 1', hint: 'Call it on a list: layers.Add()([a, b])' },
    { kind: 'Concatenate', args: {}, inputs: [[4, 4, 8], [2, 2, 8]], message: 'Concatenate needs inputs that match on every axis except the last but gets (4, 4, 8) and (2, 2, 8)' },
    { kind: 'Concatenate', args: { axis: 1 }, inputs: [[2, 3], [2, 4]], message: 'Concatenate needs inputs that match on every axis except axis=1 but gets (2, 3) and (2, 4)' },
    { kind: 'Concatenate', args: {}, inputs: [[8], [2, 4]], message: 'Concatenate needs inputs that match on every axis except the last but gets (8,) and (2, 4)' },
    { kind: 'Concatenate', args: { axis: 3 }, inputs: [[8], [4]], message: "Concatenate's axis=3 is out of range for an input of shape (8,)" },
    { kind: 'Concatenate', args: { axis: 0 }, inputs: [[8], [4]], message: 'Concatenate cannot work along the batch axis (axis=0)' },
    { kind: 'Reshape', args: { target_shape: [3, 3] }, inputs: [[10]], message: 'Reshape cannot turn (10,) (10 values) into (3, 3) (9 values)' },
    { kind: 'Reshape', args: { target_shape: [3, -1] }, inputs: [[10]], message: 'Reshape cannot turn (10,) (10 values) into (3, -1): 10 is not a multiple of 3' },
    { kind: 'Reshape', args: { target_shape: [-1, -1] }, inputs: [[10]], message: "Reshape's target_shape can contain -1 only once but gets (-1, -1)" },
    { kind: 'Reshape', args: { target_shape: [0, 4] }, inputs: [[10]], message: "Reshape's target_shape must hold positive sizes (or one -1) but gets (0, 4)" },
    { kind: 'Reshape', args: { target_shape: 64 }, inputs: [[64]], message: "Reshape's target_shape must be a tuple but gets 64", hint: 'Write (64,) with a comma: (64) is just a number' },
    { kind: 'BatchNormalization', args: { axis: 2 }, inputs: [[16]], message: "BatchNormalization's axis=2 is out of range for an input of shape (16,)" },
    { kind: 'BatchNormalization', args: {}, inputs: [[2, 2, 2, 3]], message: 'BatchNormalization supports inputs with up to 3 axes, like (height, width, channels), but gets (2, 2, 2, 3) here' },
    { kind: 'BatchNormalization', args: { axis: 1 }, inputs: [[4, 3]], message: 'BatchNormalization normalises only the last axis here (axis=-1, the channels), but axis=1 of (4, 3) is not the last' },
    { kind: 'BatchNormalization', args: { momentum: 1.5 }, inputs: [[4]], message: "BatchNormalization's momentum must be a number between 0 and 1 but gets 1.5" },
    { kind: 'Dropout', args: { rate: 1 }, inputs: [[4]], message: "Dropout's rate must be a number between 0 and 0.999 but gets 1" },
    { kind: 'Embedding', args: { input_dim: 10, output_dim: 4, mask_zero: true }, inputs: [[5]], message: 'Embedding does not support mask_zero=True here (masks are not propagated to the next layers)' },
    { kind: 'Embedding', args: { input_dim: 0, output_dim: 4 }, inputs: [[5]], message: "Embedding's input_dim must be an integer of at least 1 but gets 0" },
    {
      kind: 'Conv1D',
      args: { filters: 8, kernel_size: 3 },
      inputs: [[40]],
      message: 'Conv1D needs a sequence (steps, channels) but gets (40,) here',
      hint: '(40,) has no time axis: for token ids add layers.Embedding(vocab_size, dim) before it; for one value per step add layers.Reshape((40, 1)) before it'
    },
    { kind: 'Conv1D', args: { filters: 8, kernel_size: 3 }, inputs: [[8, 8, 1]], message: 'Conv1D needs a sequence (steps, channels) but gets (8, 8, 1) here', hint: 'an image (height, width, channels) wants the 2D layer; or add layers.Reshape((64, 1)) before it' },
    { kind: 'Conv1D', args: { filters: 8, kernel_size: 5, dilation_rate: 2 }, inputs: [[8, 1]], message: 'Conv1D\'s kernel of 9 steps (with its dilation) is longer than its input of 8 steps with padding="valid"' },
    { kind: 'Conv1D', args: { filters: 8, kernel_size: 3, strides: 2, dilation_rate: 2 }, inputs: [[8, 2]], message: 'Conv1D cannot combine strides > 1 with dilation_rate > 1' },
    { kind: 'Conv1D', args: { filters: 8, kernel_size: [3, 3] }, inputs: [[8, 2]], message: "Conv1D's kernel_size must be an integer or a tuple of 1 integer but gets (3, 3)", hint: 'For example kernel_size=3 or kernel_size=(3,)' },
    { kind: 'Conv1D', args: { filters: 8, kernel_size: 3, padding: 'full' }, inputs: [[8, 2]], message: 'Conv1D\'s padding must be one of "valid", "same", "causal" but gets "full"' },
    { kind: 'MaxPooling1D', args: { pool_size: 3 }, inputs: [[2, 4]], message: 'MaxPooling1D\'s pool of 3 steps is longer than its input of 2 steps with padding="valid"' },
    { kind: 'AveragePooling1D', args: { padding: 'causal' }, inputs: [[6, 4]], message: 'AveragePooling1D\'s padding must be one of "valid", "same" but gets "causal"' },
    { kind: 'GlobalMaxPooling1D', args: {}, inputs: [[16]], message: 'GlobalMaxPooling1D needs a sequence (steps, channels) but gets (16,) here' },
    { kind: 'GlobalAveragePooling1D', args: {}, inputs: [[4, 4, 3]], message: 'GlobalAveragePooling1D needs a sequence (steps, channels) but gets (4, 4, 3) here' }
  ];
  for (const e of errors) {
    it(`${e.kind}(${JSON.stringify(e.args)}) on ${e.inputs.map((s) => `(${s})`).join(' ')}`, () => {
      const def = getLayer(e.kind)!;
      const args = withDefaults(e.kind, e.args);
      let err: unknown;
      try {
        def.validate?.(args);
        def.outputShape(e.inputs, args);
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(LayerError);
      const le = err as LayerError;
      expect(le.message).toBe(e.message);
      if (e.hint !== undefined) expect(le.hint).toBe(e.hint);
      // Plain language: nothing about the engine or JavaScript.
      expect(`${le.message} ${le.hint ?? ''}`).not.toMatch(/tfjs|tf\.|tensor|undefined|NaN|null|\[object/i);
    });
  }

  it('are reported by shape inference at the layer', () => {
    const spec = functionalSpec([{ id: 'x', shape: [64] }], [{ id: 'conv', kind: 'Conv2D', args: { filters: 4, kernel_size: 3 }, inputs: ['x'] }], ['conv']);
    const { summary, diagnostics } = inferShapes(spec);
    expect(summary).toBeNull();
    expect(diagnostics).toEqual([expect.objectContaining({ severity: 'error', message: 'Conv2D needs (height, width, channels) but gets (64,) here', hint: 'add layers.Reshape((8, 8, 1)) before it' })]);
  });
});

describe('whole models', () => {
  function cnn(): ModelSpec {
    return functionalSpec(
      [{ id: 'x', shape: [64] }],
      [
        { id: 'reshape', kind: 'Reshape', args: { target_shape: [8, 8, 1] }, inputs: ['x'] },
        { id: 'conv2d', kind: 'Conv2D', args: { filters: 4, kernel_size: 3, padding: 'same', activation: 'leaky_relu', kernel_regularizer: L2 }, inputs: ['reshape'] },
        { id: 'bn', kind: 'BatchNormalization', args: { center: false }, inputs: ['conv2d'] },
        { id: 'conv2d_1', kind: 'Conv2D', args: { filters: 4, kernel_size: 1, activation: 'gelu' }, inputs: ['bn'] },
        { id: 'add', kind: 'Add', args: {}, inputs: ['bn', 'conv2d_1'] },
        { id: 'pool', kind: 'MaxPooling2D', args: {}, inputs: ['add'] },
        { id: 'avg', kind: 'AveragePooling2D', args: { padding: 'same' }, inputs: ['add'] },
        { id: 'cat', kind: 'Concatenate', args: {}, inputs: ['pool', 'avg'] },
        { id: 'bn_1', kind: 'BatchNormalization', args: { scale: false }, inputs: ['cat'] },
        { id: 'gap', kind: 'GlobalAveragePooling2D', args: {}, inputs: ['bn_1'] },
        { id: 'flat', kind: 'Flatten', args: {}, inputs: ['cat'] },
        { id: 'both', kind: 'Concatenate', args: {}, inputs: ['gap', 'flat'] },
        { id: 'drop', kind: 'Dropout', args: { rate: 0.3 }, inputs: ['both'] },
        { id: 'act', kind: 'Activation', args: { activation: 'elu' }, inputs: ['drop'] },
        { id: 'out', kind: 'Dense', args: { units: 3, activation: 'softmax' }, inputs: ['act'] }
      ],
      ['out']
    );
  }

  it('agree with TF.js on every shape and the parameter count', () => {
    const spec = cnn();
    const { summary, diagnostics } = inferShapes(spec);
    expect(diagnostics).toEqual([]);
    const m = buildModel(tf, spec, 1);
    expect(m.countParams()).toBe(summary!.trainable + summary!.nonTrainable);
    expect(sizes(m.nonTrainableWeights)).toBe(summary!.nonTrainable);
    for (const node of spec.layers) expect(m.getLayer(node.id).outputShape).toEqual([null, ...summary!.shapes[node.id]]);
    m.optimizer?.dispose();
    m.dispose();
  });

  it('train (gradients flow through every layer, BatchNormalization without center or scale included)', async () => {
    const m = buildModel(tf, cnn(), 1);
    const x = tf.randomNormal([16, 64], 0, 1, 'float32', 1);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0], 'int32'), 3).toFloat();
    const before = m.getWeights().map((w) => Array.from(w.dataSync()));
    const bnMean = () => Array.from(m.getLayer('bn').getWeights()[2].dataSync());
    const meanBefore = bnMean();
    const h = await m.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    const losses = h.history.loss as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    const after = m.getWeights().map((w) => Array.from(w.dataSync()));
    // Every trainable weight moved.
    const trainableNames = new Set(m.trainableWeights.map((w) => w.name));
    m.weights.forEach((w, i) => {
      if (trainableNames.has(w.name)) expect(after[i]).not.toEqual(before[i]);
    });
    expect(bnMean()).not.toEqual(meanBefore);
    tf.dispose([x, y]);
    m.optimizer?.dispose();
    m.dispose();
  });
});

describe('registry', () => {
  it('lists every layer file once, each file named after its Keras class (max_pooling2d.ts: MaxPooling2D)', () => {
    const modules = import.meta.glob<Record<string, unknown>>(['./*.ts', '!./*.test.ts'], { eager: true });
    const isLayerDef = (v: unknown): v is LayerDef => typeof v === 'object' && v !== null && typeof (v as LayerDef).kind === 'string' && typeof (v as LayerDef).outputShape === 'function';
    const defined = Object.entries(modules).flatMap(([file, m]) => Object.values(m).filter(isLayerDef).map((def) => ({ file, def })));
    expect(new Set(LAYER_KINDS).size).toBe(LAYER_KINDS.length);
    expect(defined.length).toBe(LAYERS.length);
    expect(new Set(defined.map((d) => d.def))).toEqual(new Set(LAYERS));
    for (const { file, def } of defined) expect(file.replace(/^\.\/|\.ts$/g, '').replace(/_/g, ''), def.kind).toBe(def.kind.toLowerCase());
  });

  it('has the layers of the milestone, each with docs for the layer and every argument', () => {
    expect(LAYER_KINDS).toEqual(
      expect.arrayContaining(['Activation', 'Add', 'AveragePooling2D', 'BatchNormalization', 'Concatenate', 'Conv2D', 'Dense', 'Dropout', 'Flatten', 'GlobalAveragePooling2D', 'MaxPooling2D', 'Reshape'])
    );
    for (const def of LAYERS) {
      expect(def.doc.length, def.kind).toBeGreaterThan(80);
      expect(new Set(def.args.map((a) => a.name)).size).toBe(def.args.length);
      for (const a of def.args) expect(a.doc.length, `${def.kind}.${a.name}`).toBeGreaterThan(10);
      // Defaults are valid values.
      for (const a of def.args) if (a.values && typeof a.default === 'string') expect(a.values).toContain(a.default);
    }
  });

  it('declares only TF.js kernels that exist (tfjsGradKernels), and only 4-D kernels to draw as filters', () => {
    for (const def of LAYERS) for (const k of def.tfjsGradKernels ?? []) expect(tf.getKernel(k, 'cpu'), `${def.kind}: ${k}`).toBeDefined();
    const c = CASES.find((x) => getLayer(x.kind)!.inspect === 'filters')!;
    const m = buildModel(tf, oneLayerSpec(c), 1);
    expect(m.getLayer('layer').getWeights()[0].shape).toHaveLength(4);
    m.dispose();
  });

  it('layer files never import TF.js at run time', () => {
    const dir = new URL('.', import.meta.url).pathname;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
      const src = readFileSync(dir + f, 'utf8');
      for (const line of src.split('\n').filter((l) => /from '@tensorflow\//.test(l))) expect(line, f).toMatch(/^import type /);
    }
  });
});
