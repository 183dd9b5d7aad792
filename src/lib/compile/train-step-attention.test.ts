/**
 * MultiHeadAttention in the compiled train step (its ONNX lowering with `training: true`, differentiated over the
 * gradient table: batched MatMul, Softmax, Transpose, Reshape, Add, Mul, Where) vs eager TF.js (the app's trainModel):
 * same initial weights, same batches in order, and — with dropout on the attention probabilities — the same seeded
 * keep-masks (`$lib/compile/dropout-masks`). Loss trajectories agree to 1e-3 relative over 50 steps (the last a
 * partial batch), and so do the trained weights. Specs are built directly (node.call set as the model builder sets it).
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '$lib/data/rng';
import type { BoundData } from '$lib/data/types';
import { buildModel } from '$lib/engines/tfjs/build';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { functionalSpec, type LayerSketch } from '$lib/spec/fixtures';
import type { ArgValue, LossName, ModelSpec } from '$lib/spec/types';
import { compiled, eager, expectWeightsClose, maxRel } from './test-helpers';
import { compileTrainStep } from './train-step';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

const T = 8;
const F = 3;
const BATCH = 16;
const STEPS = 50;

/** x uniform in [-1, 1); 3 classes by where the largest first feature sits (start, middle, end), or its value (mse). */
function data(n: number, classes: number, seed: number): BoundData {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * T * F }, () => rng.next() * 2 - 1);
  const y = new Float32Array(n * Math.max(classes, 1));
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let t = 1; t < T; t++) if (x[(i * T + t) * F] > x[(i * T + best) * F]) best = t;
    if (classes) y[i * classes + Math.min(2, Math.floor((best * 3) / T))] = 1;
    else y[i] = x[(i * T + best) * F] * (best / T);
  }
  return classes
    ? { x, xShape: [n, T, F], y, yShape: [n, classes], n, numClasses: classes, target: 'onehot' }
    : { x, xShape: [n, T, F], y, yShape: [n, 1], n, numClasses: 0, target: 'value' };
}

type Node = LayerSketch & { id: string; inputs: string[]; call?: { names: string[]; causal?: boolean } };

interface Model {
  name: string;
  layers: Node[];
  loss: LossName;
  classes: number;
  lr: number;
}

const mha = (id: string, args: Record<string, ArgValue>, inputs: string[], names: string[], causal = false): Node => ({ id, kind: 'MultiHeadAttention', args, inputs, call: { names, causal } });

const MODELS: Model[] = [
  {
    name: 'Dense(8) → causal self-attention (2 heads) → GlobalAveragePooling1D → Dense(3, softmax)',
    layers: [
      { id: 'h', kind: 'Dense', args: { units: 8 }, inputs: ['x'] },
      mha('mha', { num_heads: 2, key_dim: 4 }, ['h', 'h'], ['query', 'value'], true),
      { id: 'pool', kind: 'GlobalAveragePooling1D', args: {}, inputs: ['mha'] },
      { id: 'out', kind: 'Dense', args: { units: 3, activation: 'softmax' }, inputs: ['pool'] }
    ],
    loss: 'categorical_crossentropy',
    classes: 3,
    lr: 0.01
  },
  {
    name: 'self-attention on x (value_dim 3, output_shape 5, no biases) + residual Dense → Flatten → Dense(1), mse',
    layers: [
      mha('mha', { num_heads: 3, key_dim: 2, value_dim: 3, output_shape: 5, use_bias: false }, ['x', 'x'], ['query', 'value']),
      { id: 'flat', kind: 'Flatten', args: {}, inputs: ['mha'] },
      { id: 'out', kind: 'Dense', args: { units: 1 }, inputs: ['flat'] }
    ],
    loss: 'mse',
    classes: 0,
    lr: 0.01
  },
  {
    name: 'cross-attention: query x (8 steps), value MaxPooling1D(2)(x) (4 steps), key Dense(5) of it, causal → GAP → Dense(3)',
    layers: [
      { id: 'pooled', kind: 'MaxPooling1D', args: {}, inputs: ['x'] },
      { id: 'k', kind: 'Dense', args: { units: 5, activation: 'tanh' }, inputs: ['pooled'] },
      mha('mha', { num_heads: 2, key_dim: 3 }, ['x', 'pooled', 'k'], ['query', 'value', 'key'], true),
      { id: 'pool', kind: 'GlobalAveragePooling1D', args: {}, inputs: ['mha'] },
      { id: 'out', kind: 'Dense', args: { units: 3, activation: 'softmax' }, inputs: ['pool'] }
    ],
    loss: 'categorical_crossentropy',
    classes: 3,
    lr: 0.01
  },
  {
    name: 'two blocks with dropout=0.2 on the attention probabilities (seeded masks), residual Add → GAP → Dense(3)',
    layers: [
      { id: 'h', kind: 'Dense', args: { units: 8 }, inputs: ['x'] },
      mha('mha', { num_heads: 2, key_dim: 4, dropout: 0.2 }, ['h', 'h'], ['query', 'value'], true),
      { id: 'r', kind: 'Add', args: {}, inputs: ['h', 'mha'] },
      mha('mha_1', { num_heads: 4, key_dim: 2, dropout: 0.2 }, ['r', 'r'], ['query', 'value']),
      { id: 'pool', kind: 'GlobalAveragePooling1D', args: {}, inputs: ['mha_1'] },
      { id: 'out', kind: 'Dense', args: { units: 3, activation: 'softmax' }, inputs: ['pool'] }
    ],
    loss: 'categorical_crossentropy',
    classes: 3,
    lr: 0.01
  }
];

function specOf(m: Model): ModelSpec {
  const spec = functionalSpec([{ id: 'x', shape: [T, F] }], m.layers, ['out'], { loss: m.loss, metrics: [] });
  spec.compile!.optimizer.learningRate = m.lr;
  m.layers.forEach((l, i) => {
    if (l.call) spec.layers[i].call = { inputNames: l.call.names, args: { return_attention_scores: false, training: null, use_causal_mask: l.call.causal ?? false } };
  });
  spec.fit = { epochs: 1, batchSize: BATCH, validationSplit: 0, shuffle: false, x: 'x_train', y: 'y_train', span: spec.compile!.span };
  return spec;
}

describe('MultiHeadAttention: compiled train step vs eager TF.js, 50 steps', () => {
  MODELS.forEach((m, i) => {
    it(`${m.name}: same losses to 1e-3`, async () => {
      const spec = specOf(m);
      const d = data((STEPS - 1) * BATCH + BATCH / 2, m.classes, 40 + i);
      const seed = 7;
      const t0 = performance.now();
      const e = await eager(spec, d, BATCH, seed);
      const t1 = performance.now();
      const c = await compiled(spec, d, BATCH, seed, e.weights, 4);
      const losses = c.res.map((r) => r.loss);
      expect(losses).toHaveLength(STEPS);
      expect(e.losses).toHaveLength(STEPS);
      const err = maxRel(losses, e.losses);
      console.log(`${m.name}: ${c.nodeCount} nodes (K=4), eager ${(t1 - t0).toFixed(0)} ms, compiled ${(performance.now() - t1).toFixed(0)} ms; loss ${e.losses[0].toFixed(4)} → ${e.losses[STEPS - 1].toFixed(4)}, max rel diff ${err.toExponential(2)}`);
      expect(e.losses[STEPS - 1]).toBeLessThan(e.losses[0]);
      expect(err).toBeLessThanOrEqual(1e-3);
      // key/bias is left out: its true gradient is 0 (adding bk to every key shifts each row of scores by q·bk, which
      // the softmax cancels), so both engines see only rounding noise there, which Adam scales up to full steps.
      const noKeyBias = Object.fromEntries(Object.entries(e.after).map(([id, ws]) => [id, Object.fromEntries(Object.entries(ws).filter(([n]) => n !== 'key/bias'))]));
      expectWeightsClose(noKeyBias, c.weights, 1e-2);
    }, 120_000);
  });

  it('with dropout, the masks matter: the same compiled run without dropout ends elsewhere', async () => {
    // The check above could pass if dropout did nothing in either engine: without it the losses differ.
    const m = MODELS[3];
    const spec = specOf(m);
    const d = data(8 * BATCH, m.classes, 43);
    const e = await eager(spec, d, BATCH, 7);
    const model = buildModel(tf, spec, 7);
    const weights = readTfjsWeights(model, spec);
    model.dispose();
    const c = await compiled(spec, d, BATCH, 7, weights, 4);
    expect(maxRel(c.res.map((r) => r.loss), e.losses)).toBeLessThanOrEqual(1e-3);
    const noMask = { ...m, layers: m.layers.map((l) => (l.kind === 'MultiHeadAttention' ? { ...l, args: { ...l.args, dropout: 0 } } : l)) };
    const c0 = await compiled(specOf(noMask), d, BATCH, 7, weights, 4);
    expect(maxRel(c0.res.map((r) => r.loss), e.losses)).toBeGreaterThan(1e-3);
  }, 120_000);
});

describe('graph size', () => {
  it('a tiny-GPT-sized attention layer compiles (seq 64, d 64, 4 heads, K=1, batch 32): node count', () => {
    const spec = functionalSpec([{ id: 'x', shape: [64, 64] }], [mha('mha', { num_heads: 4, key_dim: 16 }, ['x', 'x'], ['query', 'value'], true), { id: 'out', kind: 'Dense', args: { units: 8 }, inputs: ['mha'] }], ['out'], { loss: 'mse', metrics: [] });
    spec.layers[0].call = { inputNames: ['query', 'value'], args: { return_attention_scores: false, training: null, use_causal_mask: true } };
    const model = buildModel(tf, spec, 1);
    const weights = readTfjsWeights(model, spec);
    model.dispose();
    const t0 = performance.now();
    const s = compileTrainStep(spec, { batchSize: 32, steps: 1, weights });
    console.log(`train-step graph, one causal MultiHeadAttention(4, 16) on (64, 64) + Dense(8), K=1: ${s.nodeCount} nodes, built in ${(performance.now() - t0).toFixed(0)} ms`);
    expect(s.nodeCount).toBeLessThan(300);
  });
});
