/**
 * The recurrent layers in the compiled train step (the recurrence unrolled in time, `$lib/layers/rnn.ts`) vs eager
 * TF.js (the app's trainModel): same initial weights, same batches in order; loss trajectories agree to 1e-3
 * relative over 50 steps (the last a partial batch), and so do the trained weights. Data made here: float sequences
 * (n, T, F) with a target that needs memory (a running sum, the sign pattern of the first steps). Also the graph size
 * at seq_len 64.
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '$lib/data/rng';
import type { BoundData } from '$lib/data/types';
import { buildModel } from '$lib/engines/tfjs/build';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { sequentialSpec, withDefaults, type LayerSketch } from '$lib/spec/fixtures';
import type { LossName, ModelSpec } from '$lib/spec/types';
import { compiled, eager, expectWeightsClose, maxRel } from './test-helpers';
import { compileTrainStep } from './train-step';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

const T = 10;
const F = 2;
const BATCH = 16;
const STEPS = 50;

/** x uniform in [-1, 1); regression y = mean of the first feature over the first half (needs memory); or 3 classes. */
function data(n: number, classes: number, seed: number): BoundData {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n * T * F }, () => rng.next() * 2 - 1);
  const y = new Float32Array(n * Math.max(classes, 1));
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < T / 2; t++) s += x[(i * T + t) * F];
    if (classes) y[i * classes + (s < -0.5 ? 0 : s < 0.5 ? 1 : 2)] = 1;
    else y[i] = s / (T / 2);
  }
  return classes
    ? { x, xShape: [n, T, F], y, yShape: [n, classes], n, numClasses: classes, target: 'onehot' }
    : { x, xShape: [n, T, F], y, yShape: [n, 1], n, numClasses: 0, target: 'value' };
}

const bidi = (kind: string, args: Record<string, unknown>, merge = 'concat'): LayerSketch => ({
  kind: 'Bidirectional',
  args: { layer: { kind, args: withDefaults(kind, args as never) }, merge_mode: merge }
});

const MODELS: { name: string; layers: LayerSketch[]; loss: LossName; classes: number; lr: number }[] = [
  { name: 'SimpleRNN(8) → Dense(1), mse', layers: [{ kind: 'SimpleRNN', args: { units: 8 } }, { kind: 'Dense', args: { units: 1 } }], loss: 'mse', classes: 0, lr: 0.01 },
  {
    name: 'LSTM(8, return_sequences) → LSTM(6, go_backwards) → Dense(3, softmax)',
    layers: [{ kind: 'LSTM', args: { units: 8, return_sequences: true } }, { kind: 'LSTM', args: { units: 6, go_backwards: true } }, { kind: 'Dense', args: { units: 3, activation: 'softmax' } }],
    loss: 'categorical_crossentropy',
    classes: 3,
    lr: 0.01
  },
  { name: 'LSTM(8) → Dense(1), mse', layers: [{ kind: 'LSTM', args: { units: 8 } }, { kind: 'Dense', args: { units: 1 } }], loss: 'mse', classes: 0, lr: 0.01 },
  { name: 'LSTM(8, unit_forget_bias=False) → Dense(1), mse', layers: [{ kind: 'LSTM', args: { units: 8, unit_forget_bias: false } }, { kind: 'Dense', args: { units: 1 } }], loss: 'mse', classes: 0, lr: 0.01 },
  { name: 'LSTM(8, go_backwards) → Dense(1), mse', layers: [{ kind: 'LSTM', args: { units: 8, go_backwards: true } }, { kind: 'Dense', args: { units: 1 } }], loss: 'mse', classes: 0, lr: 0.01 },
  { name: 'LSTM(8, return_sequences) → LSTM(4) → Dense(1), mse', layers: [{ kind: 'LSTM', args: { units: 8, return_sequences: true } }, { kind: 'LSTM', args: { units: 4 } }, { kind: 'Dense', args: { units: 1 } }], loss: 'mse', classes: 0, lr: 0.01 },
  { name: 'SimpleRNN(8, go_backwards) → Dense(1), mse', layers: [{ kind: 'SimpleRNN', args: { units: 8, go_backwards: true } }, { kind: 'Dense', args: { units: 1 } }], loss: 'mse', classes: 0, lr: 0.01 },
  { name: 'GRU(8) → Dense(1), mse', layers: [{ kind: 'GRU', args: { units: 8 } }, { kind: 'Dense', args: { units: 1 } }], loss: 'mse', classes: 0, lr: 0.01 },
  {
    name: 'GRU(6, reset_after=False, return_sequences) → GRU(4) → Dense(3, softmax)',
    layers: [{ kind: 'GRU', args: { units: 6, reset_after: false, return_sequences: true } }, { kind: 'GRU', args: { units: 4 } }, { kind: 'Dense', args: { units: 3, activation: 'softmax' } }],
    loss: 'categorical_crossentropy',
    classes: 3,
    lr: 0.01
  },
  {
    name: 'Bidirectional(LSTM(5, return_sequences)) → Bidirectional(GRU(4), sum) → Dense(1), mse',
    layers: [bidi('LSTM', { units: 5, return_sequences: true }), bidi('GRU', { units: 4 }, 'sum'), { kind: 'Dense', args: { units: 1 } }],
    loss: 'mse',
    classes: 0,
    lr: 0.01
  }
];

function specOf(m: (typeof MODELS)[number]): ModelSpec {
  return sequentialSpec({ input: [T, F], layers: m.layers, optimizer: 'adam', learningRate: m.lr, loss: m.loss, metrics: [], batchSize: BATCH });
}

describe('recurrent layers: compiled train step vs eager TF.js, 50 steps', () => {
  MODELS.forEach((m, i) => {
    it(`${m.name}: same losses to 1e-3`, async () => {
      const spec = specOf(m);
      const d = data((STEPS - 1) * BATCH + BATCH / 2, m.classes, 30 + i);
      const seed = 7;
      const t0 = performance.now();
      const e = await eager(spec, d, BATCH, seed);
      const t1 = performance.now();
      const c = await compiled(spec, d, BATCH, seed, e.weights, 4);
      const losses = c.res.map((r) => r.loss);
      expect(losses).toHaveLength(STEPS);
      expect(e.losses).toHaveLength(STEPS);
      const err = maxRel(losses, e.losses);
      console.log(`${m.name}: ${c.nodeCount} nodes (K=4, T=${T}), eager ${(t1 - t0).toFixed(0)} ms, compiled ${(performance.now() - t1).toFixed(0)} ms; loss ${e.losses[0].toFixed(4)} → ${e.losses[STEPS - 1].toFixed(4)}, max rel diff ${err.toExponential(2)}`);
      expect(err).toBeLessThanOrEqual(1e-3);
      if (err > 1e-5) console.log(`${m.name} relative difference per step:`, losses.map((v, k) => (Math.abs(v - e.losses[k]) / Math.abs(e.losses[k])).toExponential(1)).join(' '));
      expectWeightsClose(e.after, c.weights, 1e-2);
    }, 120_000);
  });
});

describe('graph size at seq_len 64', () => {
  it('char-RNN-sized models compile (K=1, batch 32): node counts', () => {
    const rows: string[] = [];
    for (const [name, layers] of [
      ['GRU(64)', [{ kind: 'GRU', args: { units: 64 } }]],
      ['LSTM(64)', [{ kind: 'LSTM', args: { units: 64 } }]],
      ['SimpleRNN(64)', [{ kind: 'SimpleRNN', args: { units: 64 } }]],
      ['GRU(64, return_sequences) → Dense(8)', [{ kind: 'GRU', args: { units: 64, return_sequences: true } }]],
      ['Bidirectional(LSTM(32))', [bidi('LSTM', { units: 32 })]]
    ] as [string, LayerSketch[]][]) {
      const seqOut = name.includes('return_sequences');
      const spec = sequentialSpec({ input: [64, 8], layers: [...layers, { kind: 'Dense', args: { units: 8 } }], loss: 'mse', metrics: [], optimizer: 'adam' });
      const model = buildModel(tf, spec, 1);
      const weights = readTfjsWeights(model, spec);
      model.dispose();
      const t0 = performance.now();
      const s = compileTrainStep(spec, { batchSize: 32, steps: 1, weights });
      rows.push(`${name}${seqOut ? '' : ' → Dense(8)'}: ${s.nodeCount} nodes, built in ${(performance.now() - t0).toFixed(0)} ms`);
      expect(s.nodeCount).toBeLessThan(20_000);
    }
    console.log(`train-step graph at seq_len 64 (K=1): ${rows.join('; ')}`);
  });
});
