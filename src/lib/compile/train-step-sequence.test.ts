/**
 * Compiled vs eager on models of token ids through the sequence layers (Embedding, Conv1D causal/dilated/strided,
 * the 1-D poolings, global max and average): 50 steps of the same batches from the same initial weights, the losses
 * within 1e-3 relative at every step and the trained weights (the embeddings included) close. This exercises the
 * Gather (scatter-add into the embedding matrix), ReduceMax (global max), Conv, MaxPool and AveragePool gradient
 * rules on 1-D data seen as height-1 images. The data: int ids as floats (contract: the compiled step's x is float32).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '$lib/data/rng';
import type { ClassificationDataset } from '$lib/data/types';
import { parseProgram } from '$lib/keras/parse';
import type { ModelSpec } from '$lib/spec/types';
import { bind, compiled, eager, expectWeightsClose, maxRel } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

const SEQ = 10;
const VOCAB = 12;

/** Token sequences; the class says which third of the vocabulary holds the sequence's largest id. */
function tokens(rows: number, seed: number): ClassificationDataset {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * SEQ);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let top = 0;
    for (let t = 0; t < SEQ; t++) {
      const id = Math.floor(rng.next() * VOCAB);
      x[r * SEQ + t] = id;
      top = Math.max(top, id);
    }
    labels[r] = Math.min(2, Math.floor((top * 3) / VOCAB));
  }
  return { kind: 'classification', name: 'tokens', x, labels, n: rows, features: SEQ, sampleShape: [SEQ], numClasses: 3 };
}

function program(layers: string[], compile: string): ModelSpec {
  const source = [
    'import keras',
    'from keras import layers',
    'model = keras.Sequential([',
    `    keras.Input(shape=(${SEQ},)),`,
    ...layers.map((l) => `    layers.${l},`),
    '])',
    `model.compile(${compile})`,
    ''
  ].join('\n');
  const r = parseProgram(source);
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.spec;
}

const MODELS: { name: string; spec: () => ModelSpec; batch: number }[] = [
  {
    name: 'Embedding → causal dilated Conv1D → MaxPooling1D same → strided Conv1D → GlobalMaxPooling1D → Dense',
    spec: () =>
      program(
        [
          `Embedding(${VOCAB}, 6)`,
          'Conv1D(8, 3, padding="causal", dilation_rate=2, activation="relu")',
          'MaxPooling1D(3, strides=2, padding="same")',
          'Conv1D(6, 3, strides=2, padding="same", activation="tanh")',
          'GlobalMaxPooling1D()',
          'Dense(3, activation="softmax")'
        ],
        'optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"]'
      ),
    batch: 8
  },
  {
    name: 'Embedding → AveragePooling1D same → Conv1D valid → GlobalAveragePooling1D → Dense',
    spec: () =>
      program(
        [`Embedding(${VOCAB}, 5, embeddings_initializer="glorot_uniform")`, 'AveragePooling1D(3, strides=2, padding="same")', 'Conv1D(4, 2, activation="relu")', 'GlobalAveragePooling1D()', 'Dense(3, activation="softmax")'],
        'optimizer=keras.optimizers.SGD(learning_rate=0.5, momentum=0.9), loss="sparse_categorical_crossentropy", metrics=["accuracy"]'
      ),
    batch: 16
  }
];

describe('compiled vs eager on token sequences (Embedding, Conv1D, 1-D pooling)', () => {
  for (const m of MODELS) {
    it(`${m.name}: 50 steps, losses within 1e-3 relative`, async () => {
      const spec = m.spec();
      const steps = 50;
      const rows = (steps - 1) * m.batch + Math.ceil(m.batch / 2);
      const data = bind(tokens(rows, 3), spec);
      const e = await eager(spec, data, m.batch, 11);
      const c = await compiled(spec, data, m.batch, 11, e.weights, 4);
      expect(c.res).toHaveLength(steps);
      const losses = c.res.map((r) => r.loss);
      const err = maxRel(losses, e.losses);
      console.log(`${m.name}: ${c.nodeCount} nodes, loss ${e.losses[0].toFixed(4)} → ${e.losses[steps - 1].toFixed(4)}, max rel diff ${err.toExponential(2)}`);
      expect(e.losses[steps - 1]).toBeLessThan(e.losses[0]);
      expect(err).toBeLessThanOrEqual(1e-3);
      expectWeightsClose(e.after, c.weights, 1e-2);
      // The embedding rows moved (the scatter-add reached them).
      const emb = spec.layers[0].id;
      expect(Array.from(c.weights[emb].embeddings.data)).not.toEqual(Array.from(e.weights[emb].embeddings.data));
    }, 300_000);
  }
});
