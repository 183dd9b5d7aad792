/**
 * The loss registry: every entry documented, its Keras strings, and its compiled lowering (ONNX) gives the value of its
 * TF.js lowering (the loss TF.js' `compile({ loss })` resolves) on a small batch — plain, and fused with the final
 * Softmax / Sigmoid where the lowering fuses.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { relDiff, runGraph } from '$lib/optimizers/test-helpers';
import { emitLoss } from '$lib/compile/loss';
import { getLoss, KERAS_EPSILON, LOSS_LIST, LOSS_STRINGS, targetShape, type LossDef } from '.';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The loss function TF.js' LayersModel.compile resolves for `def.tfjs`. */
function tfjsLoss(def: LossDef, units: number): (y: tf.Tensor, p: tf.Tensor) => tf.Tensor {
  const input = tf.input({ shape: [units] });
  const m = tf.model({ inputs: input, outputs: tf.layers.activation({ activation: 'linear' }).apply(input) as tf.SymbolicTensor });
  m.compile({ optimizer: 'sgd', loss: def.tfjs });
  return m.lossFunctions[0] as (y: tf.Tensor, p: tf.Tensor) => tf.Tensor;
}

const BATCH = 4;
const UNITS = 3;
const logits = Float32Array.from([0.2, -1, 0.5, 1.5, 0.3, -0.7, -0.2, 0.1, 0.9, 2, -2, 0.4]);
const labels = [2, 0, 1, 0];

/** Targets for the loss: class indices, one-hot, 0/1 or real values. */
function targets(def: LossDef, units: number): Float32Array {
  if (def.sparseTargets) return Float32Array.from(labels);
  if (def.accuracy === 'binary') return Float32Array.from(labels.slice(0, BATCH).map((l) => l % 2));
  if (def.name.includes('crossentropy')) return Float32Array.from(labels.flatMap((l) => Array.from({ length: units }, (_, i) => (i === l ? 1 : 0))));
  return Float32Array.from({ length: BATCH * units }, (_, i) => Math.sin(i));
}

describe('loss registry', () => {
  it('documents every loss and maps each of its strings to it', () => {
    for (const l of LOSS_LIST) {
      expect(l.doc.length, l.name).toBeGreaterThan(10);
      expect(l.className).toMatch(/^[A-Z]/);
      for (const s of [l.name, ...l.aliases]) expect(LOSS_STRINGS[s]).toBe(l.name);
      expect(getLoss(l.name)).toBe(l);
      expect(targetShape(l.name, [UNITS])).toEqual(l.sparseTargets ? [] : [UNITS]);
    }
  });

  for (const def of LOSS_LIST) {
    const units = def.accuracy === 'binary' ? 1 : UNITS;
    const z = logits.slice(0, BATCH * units);
    const activation = def.accuracy === 'binary' ? 'Sigmoid' : def.name.includes('crossentropy') ? 'Softmax' : null;
    const activate = (t: tf.Tensor) => (activation === 'Sigmoid' ? tf.sigmoid(t) : activation === 'Softmax' ? tf.softmax(t) : t);

    for (const fused of activation ? [false, true] : [false]) {
      it(`compiled ${def.name}${fused ? ` (fused with ${activation})` : ''} matches TF.js`, async () => {
        const y = targets(def, units);
        const yDims = def.sparseTargets ? [BATCH] : [BATCH, units];
        const pred = activate(tf.tensor2d(z, [BATCH, units]));
        const expected = tf.mean(tfjsLoss(def, units)(tf.tensor(y, yDims), pred)).dataSync();
        const [got] = await runGraph(
          fused ? { z: { data: z, dims: [BATCH, units] }, y: { data: y, dims: yDims } } : { p: { data: pred.dataSync() as Float32Array, dims: [BATCH, units] }, y: { data: y, dims: yDims } },
          (g, x) => {
            const p = fused ? g.node(activation!, [x.z], activation === 'Softmax' ? { axis: -1 } : {}) : x.p;
            const producer = fused ? g.graph.nodes[g.graph.nodes.length - 1] : undefined;
            const oneHot = () => {
              const range = g.constFloat(Float32Array.from({ length: units }, (_, i) => i), [units]);
              return g.node('Cast', [g.node('Equal', [g.node('Unsqueeze', [x.y, g.constInt64([-1])]), range])], { to: 1 });
            };
            return [def.toOnnx({ g, pred: p, producer, y: x.y, outShape: [units], oneHot })];
          }
        );
        expect(relDiff(got, expected)).toBeLessThan(1e-5);
      });
    }
  }
});

/**
 * Per-step targets: outputs (batch, time, classes) against class indices (batch, time), as a character model trains.
 * Keras' value is the mean over the batch and the time steps of −log p[y]; a float64 implementation of that formula
 * (softmax of the logits, renormalised, clipped to [ε, 1−ε]) is the reference for TF.js and the compiled lowering.
 */
describe('sparse_categorical_crossentropy on sequences (batch, time, classes)', () => {
  const B = 3;
  const T = 5;
  const V = 4;
  const z = Float64Array.from({ length: B * T * V }, (_, i) => 2 * Math.sin(i * 1.37 + 0.2));
  const y = Float32Array.from({ length: B * T }, (_, i) => (i * 5 + 1) % V);

  /** Keras' formula in float64: mean over (b, t) of −log clip(p[y] / Σp, ε, 1−ε), p = softmax(z). */
  function reference(logits: Float64Array, labels: Float32Array): number {
    let total = 0;
    for (let r = 0; r < B * T; r++) {
      const row = Array.from(logits.subarray(r * V, (r + 1) * V));
      const m = Math.max(...row);
      const e = row.map((v) => Math.exp(v - m));
      const s = e.reduce((a, b) => a + b, 0);
      const p = Math.min(Math.max(e[labels[r]] / s, KERAS_EPSILON), 1 - KERAS_EPSILON);
      total -= Math.log(p);
    }
    return total / (B * T);
  }

  it('the mean over batch and time: TF.js ≈ compiled (plain and fused) ≈ float64 reference', async () => {
    const def = getLoss('sparse_categorical_crossentropy')!;
    expect(targetShape(def.name, [T, V])).toEqual([T]);
    const ref = reference(z, y);
    const z32 = Float32Array.from(z);
    const pred = tf.softmax(tf.tensor3d(z32, [B, T, V]));
    const tfjs = tf.mean(tfjsLoss(def, V)(tf.tensor2d(y, [B, T]), pred)).dataSync()[0];
    expect(Math.abs(tfjs - ref) / ref).toBeLessThan(1e-5);
    for (const fused of [false, true]) {
      const [got] = await runGraph(
        fused ? { z: { data: z32, dims: [B, T, V] }, y: { data: y, dims: [B, T] } } : { p: { data: pred.dataSync() as Float32Array, dims: [B, T, V] }, y: { data: y, dims: [B, T] } },
        (g, x) => {
          const p = fused ? g.node('Softmax', [x.z], { axis: -1 }) : x.p;
          const producer = fused ? g.graph.nodes[g.graph.nodes.length - 1] : undefined;
          return [emitLoss(g, 'sparse_categorical_crossentropy', null, p, producer, x.y, [T, V]).loss];
        }
      );
      expect(Math.abs(got[0] - ref) / ref, fused ? 'fused' : 'plain').toBeLessThan(1e-5);
    }
    // The check can fail: a label moved by one class changes the loss well beyond the tolerance.
    const moved = Float32Array.from(y, (l, i) => (i === 0 ? (l + 1) % V : l));
    expect(Math.abs(reference(z, moved) - ref) / ref).toBeGreaterThan(1e-3);
  });

  it('categorical_crossentropy with one-hot per-step targets gives the same value', async () => {
    const def = getLoss('categorical_crossentropy')!;
    const oneHot = Float32Array.from({ length: B * T * V }, (_, i) => (y[Math.floor(i / V)] === i % V ? 1 : 0));
    const pred = tf.softmax(tf.tensor3d(Float32Array.from(z), [B, T, V]));
    const tfjs = tf.mean(tfjsLoss(def, V)(tf.tensor3d(oneHot, [B, T, V]), pred)).dataSync()[0];
    const ref = reference(z, y);
    expect(Math.abs(tfjs - ref) / ref).toBeLessThan(1e-5);
    const [got] = await runGraph({ z: { data: Float32Array.from(z), dims: [B, T, V] }, y: { data: oneHot, dims: [B, T, V] } }, (g, x) => {
      const p = g.node('Softmax', [x.z], { axis: -1 });
      return [emitLoss(g, 'categorical_crossentropy', null, p, g.graph.nodes[g.graph.nodes.length - 1], x.y, [T, V]).loss];
    });
    expect(Math.abs(got[0] - ref) / ref).toBeLessThan(1e-5);
  });
});
