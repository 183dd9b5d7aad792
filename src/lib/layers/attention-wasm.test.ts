/**
 * MultiHeadAttention trains eagerly on TF.js' wasm backend (the app's default on most machines): every kernel its
 * forward and backward passes use (BatchMatMul, Transpose, Softmax, Select, NotEqual, BroadcastTo, ...) exists there,
 * and the gradients of every weight equal the cpu backend's; a training call with dropout (random masks: Step,
 * RandomUniform) runs too.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { registerWasmTrainingKernels } from '$lib/engines/tfjs/kernels';
import { kerasWeightName } from '$lib/engines/tfjs/weights';
import { Rng } from '$lib/data/rng';
import { functionalSpec } from '$lib/spec/fixtures';
import type { ModelSpec } from '$lib/spec/types';

/** q (5, 4) and v (6, 3) through Dense layers, a mask input through a ReLU, causal cross-attention, then Dense(2). */
function spec(dropout: number): ModelSpec {
  const s = functionalSpec(
    [
      { id: 'q', shape: [5, 4] },
      { id: 'v', shape: [6, 3] },
      { id: 'm', shape: [5, 6] }
    ],
    [
      { id: 'hq', kind: 'Dense', args: { units: 4 }, inputs: ['q'] },
      { id: 'mask', kind: 'ReLU', args: {}, inputs: ['m'] },
      { id: 'mha', kind: 'MultiHeadAttention', args: { num_heads: 2, key_dim: 3, value_dim: 2, dropout }, inputs: ['hq', 'v', 'mask'] },
      { id: 'out', kind: 'Dense', args: { units: 2 }, inputs: ['mha'] }
    ],
    ['out']
  );
  s.layers[2].call = { inputNames: ['query', 'value', 'attention_mask'], args: { use_causal_mask: true } };
  return s;
}

function inputs(): tf.Tensor[] {
  const rng = new Rng(4);
  return [
    [3, 5, 4],
    [3, 6, 3],
    [3, 5, 6]
  ].map((shape) => tf.tensor(Array.from({ length: shape[0] * shape[1] * shape[2] }, () => rng.next() * 4 - 2), shape));
}

function gradients(): Record<string, number[]> {
  const model = buildModel(tf, spec(0), 5);
  const xs = inputs();
  const r = tf.tensor(Array.from({ length: 3 * 5 * 2 }, (_, i) => Math.sin(i)), [3, 5, 2]);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(xs) as tf.Tensor, r)) as tf.Scalar);
  const out = Object.fromEntries(
    model.layers.flatMap((l) => l.trainableWeights.map((w) => [`${l.name}/${kerasWeightName(l.name, w)}`, Array.from(grads[(w as unknown as { val: tf.Variable }).val.name].dataSync())]))
  );
  tf.dispose([...xs, r, ...Object.values(grads)]);
  model.dispose();
  return out;
}

let unregister: () => void = () => undefined;
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(async () => {
  unregister();
  await tf.setBackend('cpu');
});

describe('MultiHeadAttention on the TF.js wasm backend', () => {
  it("gives the cpu backend's gradients for every weight (mask, causal mask, cross-attention)", async () => {
    const cpu = gradients();
    await tf.setBackend('wasm');
    unregister = registerWasmTrainingKernels(tf);
    expect(tf.getBackend()).toBe('wasm');
    const wasm = gradients();
    expect(Object.keys(wasm)).toEqual(Object.keys(cpu));
    expect(Object.keys(cpu)).toContain('mha/key/bias');
    for (const [name, g] of Object.entries(wasm)) {
      const c = cpu[name];
      const diff = Math.max(...g.map((v, k) => Math.abs(v - c[k])));
      // key/bias: its true gradient is 0 (it shifts every score of a row alike, which the softmax cancels): both
      // backends give rounding noise only.
      if (name === 'mha/key/bias') {
        expect(Math.max(...g.map(Math.abs), ...c.map(Math.abs)), name).toBeLessThan(1e-5);
        continue;
      }
      const scale = Math.max(1e-3, ...c.map(Math.abs));
      expect(diff / scale, name).toBeLessThan(1e-4);
      expect(c.some((v) => v !== 0), `${name} gets a gradient`).toBe(true);
    }
  });

  it('runs a training call with dropout on the attention probabilities', async () => {
    await tf.setBackend('wasm');
    const model = buildModel(tf, spec(0.3), 5);
    const xs = inputs();
    const out = tf.tidy(() => (model.apply(xs, { training: true }) as tf.Tensor).clone());
    expect(out.shape).toEqual([3, 5, 2]);
    expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([...xs, out]);
    model.dispose();
  });
});
