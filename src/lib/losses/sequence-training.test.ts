/**
 * Training on per-step targets, both engines: a model whose output is (batch, time, classes), trained with
 * sparse_categorical_crossentropy against class indices (batch, time) and metrics=["accuracy"] (sparse categorical
 * accuracy over every position). The eager engine (the app's trainModel on TF.js cpu) and the compiled train step
 * (CompiledTrainer on ORT wasm, the loss and metric of `$lib/compile/loss`) start from the same weights and see the
 * same batches: their losses per step, the epoch's accuracy and the trained weights agree (≤ 1e-3 relative).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { compiled, eager, maxRel } from '$lib/compile/test-helpers';
import type { BoundData } from '$lib/data/types';
import { parseProgram } from '$lib/keras/parse';

beforeAll(async () => {
  await tf.setBackend('cpu');
  tf.env().set('PROD', true); // no "install tfjs-node" banner
});

const T = 5;
const F = 3;
const V = 4;
const BATCH = 8;
const STEPS = 12;

const SOURCE = (metric: string) => `import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(seq_len, 3)),
    layers.Dense(8, activation="tanh"),
    layers.Dense(vocab_size, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05), loss="sparse_categorical_crossentropy", metrics=["${metric}"])
model.fit(x_train, y_train, epochs=1, batch_size=${BATCH})
`;

/** Rows of (time, features) and, per step, the class of the largest of 4 sums of the features (learnable). */
function data(n: number): BoundData {
  const x = Float32Array.from({ length: n * T * F }, (_, i) => Math.sin(i * 0.731 + Math.cos(i * 0.17)));
  const y = new Float32Array(n * T);
  for (let r = 0; r < n * T; r++) {
    const [a, b, c] = x.subarray(r * F, r * F + F);
    const scores = [a + b, b - c, c - a, -a - b];
    y[r] = scores.indexOf(Math.max(...scores));
  }
  return { x, xShape: [n, T, F], y, yShape: [n, T], n, numClasses: V, target: 'sparse' };
}

describe('per-step targets: eager vs compiled training', () => {
  for (const metric of ['accuracy', 'sparse_categorical_accuracy']) {
    it(`(batch, ${T}, ${V}) outputs, (batch, ${T}) labels, metrics=["${metric}"]: ${STEPS} steps agree`, async () => {
      const r = parseProgram(SOURCE(metric), { constants: { seq_len: T, vocab_size: V } });
      if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
      const spec = r.spec;
      const n = (STEPS - 1) * BATCH + BATCH / 2;
      const d = data(n);
      const e = await eager(spec, d, BATCH, 3);
      const c = await compiled(spec, d, BATCH, 3, e.weights, 4);
      const losses = c.res.map((s) => s.loss);
      expect(losses).toHaveLength(STEPS);
      const err = maxRel(losses, e.losses);
      console.log(`per-step sparse CE (${metric}): loss ${e.losses[0].toFixed(4)} → ${e.losses[STEPS - 1].toFixed(4)}, max rel diff eager vs compiled ${err.toExponential(2)}`);
      expect(err).toBeLessThanOrEqual(1e-3);
      // It learns: the loss falls from about log(V).
      expect(e.losses[0]).toBeGreaterThan(0.8 * Math.log(V));
      expect(e.losses[STEPS - 1]).toBeLessThan(0.8 * e.losses[0]);
      // The epoch's accuracy (batches weighted by their rows) as the eager loop reports it.
      let sum = 0;
      c.res.forEach((s, i) => (sum += s.metric! * (i === STEPS - 1 ? n - (STEPS - 1) * BATCH : BATCH)));
      expect(e.log?.acc).toBeGreaterThan(0);
      expect(Math.abs(sum / n - e.log!.acc!)).toBeLessThan(1e-3);
      for (const [node, ws] of Object.entries(e.after)) {
        for (const [name, w] of Object.entries(ws)) {
          const got = c.weights[node][name].data;
          const scale = Math.max(...Array.from(w.data, Math.abs));
          expect(Math.max(...Array.from(w.data, (v, i) => Math.abs(v - got[i]))) / scale, `${node}/${name}`).toBeLessThan(1e-3);
        }
      }
    }, 60_000);
  }
});
