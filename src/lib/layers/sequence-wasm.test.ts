/**
 * The sequence layers train eagerly on TF.js' wasm backend (the app's default on most machines): its gradient of
 * Gather (UnsortedSegmentSum) is missing there, so the Embedding's lowering differentiates its lookup as
 * onehot(ids)ᵀ · dy; dilated Conv1D and AveragePooling1D("same") differentiate their own sums (see their files). Same
 * gradients as on the cpu backend, and TF.js' plain Embedding shown failing on wasm (the check can fail).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { registerWasmTrainingKernels } from '$lib/engines/tfjs/kernels';
import { parseProgram } from '$lib/keras/parse';
import { Rng } from '$lib/data/rng';

const SOURCE = `import keras
from keras import layers
model = keras.Sequential([
    keras.Input(shape=(12,)),
    layers.Embedding(20, 6),
    layers.Conv1D(8, 3, padding="causal", dilation_rate=2, activation="relu"),
    layers.AveragePooling1D(3, strides=2, padding="same"),
    layers.Conv1D(5, 2, strides=2, padding="same"),
    layers.MaxPooling1D(2, padding="same"),
    layers.GlobalMaxPooling1D(),
    layers.Dense(3),
])
`;

function gradients(): number[][] {
  const { spec } = parseProgram(SOURCE);
  const model = buildModel(tf, spec!, 5);
  const rng = new Rng(9);
  const x = tf.tensor(Array.from({ length: 4 * 12 }, () => Math.floor(rng.next() * 20)), [4, 12]);
  const r = tf.tensor(Array.from({ length: 4 * 3 }, () => rng.next() - 0.5), [4, 3]);
  const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x) as tf.Tensor, r)) as tf.Scalar);
  const out = model.trainableWeights.map((w) => Array.from(grads[(w as unknown as { val: tf.Variable }).val.name].dataSync()));
  tf.dispose([x, r, ...Object.values(grads)]);
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

describe('sequence layers on the TF.js wasm backend', () => {
  it('give the cpu backend\'s gradients for every weight (Embedding, dilated causal Conv1D, AveragePooling1D same, ...)', async () => {
    const cpu = gradients();
    await tf.setBackend('wasm');
    unregister = registerWasmTrainingKernels(tf);
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeUndefined();
    const wasm = gradients();
    expect(wasm.length).toBe(cpu.length);
    wasm.forEach((g, i) => {
      const scale = Math.max(1e-3, ...cpu[i].map(Math.abs));
      const diff = Math.max(...g.map((v, k) => Math.abs(v - cpu[i][k])));
      expect(diff / scale, `weight ${i}`).toBeLessThan(1e-4);
      expect(cpu[i].some((v) => v !== 0), `weight ${i} gets a gradient`).toBe(true);
    });
  });

  it('TF.js\' own Embedding gradient (Gather → UnsortedSegmentSum) fails there: the reason for the lowering', async () => {
    await tf.setBackend('wasm');
    const w = tf.variable(tf.ones([5, 2]));
    const ids = tf.tensor1d([1, 3, 1], 'int32');
    expect(() => tf.variableGrads(() => tf.sum(tf.gather(w, ids)) as tf.Scalar, [w])).toThrow(/UnsortedSegmentSum/);
    tf.dispose([w, ids]);
  });
});
