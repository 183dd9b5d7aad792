/**
 * The loss registry: every entry documented, its Keras strings, and its compiled lowering (ONNX) gives the value of its
 * TF.js lowering (the loss TF.js' `compile({ loss })` resolves) on a small batch — plain, and fused with the final
 * Softmax / Sigmoid where the lowering fuses.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { relDiff, runGraph } from '$lib/optimizers/test-helpers';
import { getLoss, LOSS_LIST, LOSS_STRINGS, targetShape, type LossDef } from '.';

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
