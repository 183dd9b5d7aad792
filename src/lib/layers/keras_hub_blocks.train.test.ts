/**
 * KerasHub's blocks in training: programs written with `keras_hub.layers` (a tiny GPT on shakespeare with dropout in
 * its decoders, a pre-norm encoder on reverse) trained both ways from the same initial weights over the same batches:
 * eager TF.js (the app's trainModel, seeded dropout masks) and the compiled train step (one ONNX graph, ORT wasm).
 * Losses agree to 1e-3 relative over 50 steps (the last a partial batch), and so do the trained weights.
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bind, compiled, dataset, eager, expectWeightsClose, maxRel } from '$lib/compile/test-helpers';
import { dataConstants } from '$lib/data/constants';
import { parseProgram } from '$lib/keras/parse';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

const STEPS = 50;
const BATCH = 8;
const SEQ_LEN = 12;

const PROGRAMS = [
  {
    name: 'tiny GPT (2 TransformerDecoder, dropout 0.1) on shakespeare',
    data: 'shakespeare',
    source: `import keras
from keras import layers
import keras_hub

d_model = 16
inputs = keras.Input(shape=(seq_len,), dtype="int32")
x = keras_hub.layers.TokenAndPositionEmbedding(vocab_size, seq_len, d_model)(inputs)
for i in range(2):
    x = keras_hub.layers.TransformerDecoder(2 * d_model, num_heads=4, dropout=0.1)(x)
outputs = layers.Dense(vocab_size, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1, batch_size=${BATCH})
`
  },
  {
    name: 'pre-norm TransformerEncoder (gelu) on reverse',
    data: 'reverse',
    source: `import keras
from keras import layers
import keras_hub

inputs = keras.Input(shape=(seq_len,), dtype="int32")
x = keras_hub.layers.TokenAndPositionEmbedding(vocab_size, seq_len, 16)(inputs)
x = keras_hub.layers.TransformerEncoder(32, 2, activation="gelu", normalize_first=True)(x)
outputs = layers.Dense(vocab_size, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1, batch_size=${BATCH})
`
  }
];

describe('KerasHub blocks: compiled train step vs eager TF.js, 50 steps', () => {
  for (const p of PROGRAMS) {
    it(`${p.name}: same losses to 1e-3, same trained weights`, async () => {
      const { spec, diagnostics } = parseProgram(p.source, { constants: dataConstants(p.data, { seqLen: SEQ_LEN }) });
      expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const rows = (STEPS - 1) * BATCH + BATCH / 2;
      const data = bind(dataset(p.data, rows, SEQ_LEN), spec!);
      const seed = 7;
      const t0 = performance.now();
      const e = await eager(spec!, data, BATCH, seed);
      const t1 = performance.now();
      const c = await compiled(spec!, data, BATCH, seed, e.weights, 4);
      const losses = c.res.map((r) => r.loss);
      expect(losses).toHaveLength(STEPS);
      expect(e.losses).toHaveLength(STEPS);
      const err = maxRel(losses, e.losses);
      console.log(
        `${p.name}: ${c.nodeCount} nodes (K=4), compile ${c.compileMs.toFixed(0)} ms, eager ${(t1 - t0).toFixed(0)} ms, compiled ${(performance.now() - t1).toFixed(0)} ms; ` +
          `loss ${e.losses[0].toFixed(4)} → ${e.losses[STEPS - 1].toFixed(4)}, max rel diff ${err.toExponential(2)}`
      );
      expect(e.losses[STEPS - 1]).toBeLessThan(e.losses[0]);
      expect(err).toBeLessThanOrEqual(1e-3);
      // Attention's key bias is left out: its true gradient is 0 (the softmax cancels a shift of every score row), so
      // both engines see only rounding noise there, which Adam scales up to full steps.
      const noKeyBias = Object.fromEntries(Object.entries(e.after).map(([id, ws]) => [id, Object.fromEntries(Object.entries(ws).filter(([n]) => n !== 'key/bias'))]));
      expectWeightsClose(noKeyBias, c.weights, 1e-2);
    }, 300_000);
  }
});
