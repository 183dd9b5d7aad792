/**
 * The ONNX exporter's contract (names, dims, initializers, metadata, errors) and the lowerings that the conformance
 * table cannot reach through TF.js inference: BatchNormalization and Dropout in training mode (the train-step
 * compiler's forward pass), checked against TF.js' own training call, and BatchNormalization on a non-last axis,
 * checked against Keras' formula (TF.js is wrong there, see conformance.ts).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '$lib/data/rng';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { parseProgram } from '$lib/keras/parse';
import { getLayer } from '$lib/layers';
import { pads2d, tfPads } from '$lib/layers/onnx-ops';
import { exportOnnx, exportOnnxBytes, lowerModel, OnnxExportError, opHistogram, type WeightMap } from '$lib/onnx/export';
import { decodeModel, encodeModel, GraphBuilder, makeModel } from '$lib/onnx/graph';
import type { ModelSpec } from '$lib/spec/types';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

function parse(source: string): ModelSpec {
  const { spec, diagnostics } = parseProgram(source);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!spec || errors.length) throw new Error(errors.map((d) => d.message).join('; '));
  return spec;
}

const seqProgram = (shape: string, ...layers: string[]) =>
  `import keras\nfrom keras import layers\nmodel = keras.Sequential([\n    keras.Input(shape=${shape}),\n${layers.map((l) => `    layers.${l},\n`).join('')}])\n`;

function randomData(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.next() * 4 - 2);
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

const CNN = `import keras
from keras import layers
inputs = keras.Input(shape=(6, 5, 2), name="pixels")
x = layers.Conv2D(3, 3, padding="same", activation="relu")(inputs)
x = layers.Flatten()(x)
outputs = layers.Dense(4, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
`;

describe('exportOnnx', () => {
  it('names inputs, outputs and weights after the Keras model, with a symbolic batch and Keras layouts', () => {
    const spec = parse(CNN);
    const model = buildModel(tf, spec, 3);
    const weights = readTfjsWeights(model, spec);
    model.dispose();
    const m = decodeModel(exportOnnxBytes(spec, weights, { source: CNN, seed: 3, producerVersion: '9.9.9' }));
    expect(m.irVersion).toBe(8);
    expect(m.opsets['']).toBe(17);
    expect(m.producerName).toBe('nn-playground');
    expect(m.producerVersion).toBe('9.9.9');
    expect(m.graph.inputs).toEqual([expect.objectContaining({ name: 'pixels', dims: ['batch', 6, 5, 2] })]);
    const out = spec.outputs[0];
    expect(m.graph.outputs).toEqual([expect.objectContaining({ name: out, dims: ['batch', 4] })]);
    const inits = Object.fromEntries(m.graph.initializers.map((t) => [t.name, t.dims]));
    const [conv, , dense] = spec.layers.map((l) => l.id);
    expect(inits[`${conv}/kernel`]).toEqual([3, 3, 2, 3]); // Keras (kh, kw, cin, cout): transposed by a node
    expect(inits[`${conv}/bias`]).toEqual([3]);
    expect(inits[`${dense}/kernel`]).toEqual([90, 4]);
    expect(Array.from(m.graph.initializers.find((t) => t.name === `${dense}/kernel`)!.data as Float32Array)).toEqual(Array.from(weights[dense].kernel.data));
    expect(m.graph.nodes.some((n) => n.op === 'Transpose' && n.inputs[0] === `${conv}/kernel`)).toBe(true);
    // Every layer output but the model's is named after its layer, with its shape for viewers.
    expect(m.graph.valueInfo.map((v) => [v.name, v.dims])).toEqual([
      [conv, ['batch', 6, 5, 3]],
      [spec.layers[1].id, ['batch', 90]]
    ]);
    expect(m.metadata.source).toBe(CNN);
    expect(m.metadata.seed).toBe('3');
    expect(m.metadata.model_name).toBe('model');
    expect(JSON.parse(m.metadata.model_spec).layers).toHaveLength(3);
    expect(opHistogram(m)).toContainEqual(['Transpose', 3]);
  });

  it('writes "same" pads as TensorFlow splits them (the extra one after)', () => {
    expect(tfPads(7, 3, 2, 'same')).toEqual([1, 1]);
    expect(tfPads(8, 2, 2, 'same')).toEqual([0, 0]);
    expect(tfPads(7, 2, 1, 'same')).toEqual([0, 1]);
    expect(tfPads(5, 4, 1, 'same')).toEqual([1, 2]);
    expect(tfPads(7, 3, 1, 'same', 2)).toEqual([2, 2]);
    expect(tfPads(9, 3, 1, 'valid')).toEqual([0, 0]);
    expect(pads2d([7, 5], [2, 4], [1, 1], 'same')).toEqual([0, 1, 1, 2]);
    const spec = parse(seqProgram('(7, 5, 2)', 'Conv2D(3, (2, 4), padding="same")'));
    const model = buildModel(tf, spec, 1);
    const m = exportOnnx(spec, readTfjsWeights(model, spec));
    model.dispose();
    expect(m.graph.nodes.find((n) => n.op === 'Conv')!.attrs.pads).toEqual([0, 1, 1, 2]);
  });

  it('ends with an Identity named after the output when the last layer passes its input through', () => {
    const spec = parse(seqProgram('(3,)', 'Dense(2)', 'Dropout(0.5)'));
    const model = buildModel(tf, spec, 1);
    const m = exportOnnx(spec, readTfjsWeights(model, spec));
    model.dispose();
    expect(m.graph.nodes.map((n) => n.op)).toEqual(['MatMul', 'Add', 'Identity']);
    expect(m.graph.outputs[0].name).toBe(spec.layers[1].id);
  });

  it('names the layer and its line when a weight is missing or has the wrong size', () => {
    const spec = parse(seqProgram('(3,)', 'Dense(2)'));
    expect(() => exportOnnx(spec, {})).toThrow(/Dense "dense" \(line 5\): no weight "kernel"/);
    const bad: WeightMap = { dense: { kernel: { shape: [3, 2], data: new Float32Array(5) }, bias: { shape: [2], data: new Float32Array(2) } } };
    expect(() => exportOnnx(spec, bad)).toThrow(OnnxExportError);
    expect(() => exportOnnx(spec, bad)).toThrow(/weight "kernel" holds 5 values but its shape \[3, 2\] needs 6/);
  });

  it('names the layer and its line when a layer has no ONNX lowering', () => {
    const spec = parse(seqProgram('(3,)', 'Dense(2)', 'Flatten()'));
    const flatten = getLayer('Flatten')!;
    const saved = flatten.toOnnx;
    delete (flatten as { toOnnx?: unknown }).toOnnx;
    try {
      const weights = { dense: { kernel: { shape: [3, 2], data: new Float32Array(6) }, bias: { shape: [2], data: new Float32Array(2) } } };
      expect(() => exportOnnx(spec, weights)).toThrow(/Flatten "flatten" \(line 6\) cannot be exported to ONNX/);
      try {
        exportOnnx(spec, weights);
      } catch (e) {
        expect((e as OnnxExportError).layer).toEqual({ id: 'flatten', kind: 'Flatten', line: 6 });
      }
    } finally {
      flatten.toOnnx = saved;
    }
  });
});

describe('lowerModel', () => {
  it("passes the caller's own errors (from weight, updateState, dropoutMask) through unchanged", () => {
    class MyError extends Error {}
    const spec = parse(seqProgram('(3,)', 'Dense(2)'));
    const g = new GraphBuilder('t');
    expect(() =>
      lowerModel(g, spec, {
        training: true,
        weight: () => {
          throw new MyError('no weights here');
        }
      })
    ).toThrow(MyError);
  });
});

async function runOnnx(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  try {
    const r = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])));
    return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.data as Float32Array]));
  } finally {
    await s.release();
  }
}

/** The forward graph in training mode, with the weights as initializers and each state update as an output. */
function trainingGraph(spec: ModelSpec, weights: WeightMap, mask?: number[]) {
  const g = new GraphBuilder('train');
  const updates: string[] = [];
  const lowered = lowerModel(g, spec, {
    training: true,
    weight: (node, name) => {
      const key = `${node.id}/${name}`;
      if (!g.graph.initializers.some((t) => t.name === key)) g.initializer(key, 'float32', weights[node.id][name].shape, weights[node.id][name].data);
      return key;
    },
    updateState: (node, name, value) => {
      g.output(g.node('Identity', [value], {}, { outputNames: [`new:${node.id}/${name}`] }), 'float32', [weights[node.id][name].shape[0]]);
      updates.push(`new:${node.id}/${name}`);
    },
    dropoutMask: mask ? () => g.input('mask', 'float32', mask) : undefined,
    nameOutputs: false
  });
  g.output(g.node('Identity', [lowered.outputs[0]], {}, { outputNames: ['y'] }), 'float32', ['batch', ...lowered.shapes[spec.outputs[0]]]);
  return { bytes: encodeModel(makeModel(g.graph, { producerVersion: 'test' })), updates };
}

describe('training-mode lowerings (the train step)', () => {
  const cases: [string, string, number[]][] = [
    ['BatchNormalization on features', seqProgram('(5,)', 'BatchNormalization(momentum=0.8, epsilon=0.01)'), [6, 5]],
    ['BatchNormalization on an image', seqProgram('(4, 3, 2)', 'BatchNormalization(momentum=0.9)'), [5, 4, 3, 2]],
    ['BatchNormalization center=False on (steps, features)', seqProgram('(3, 4)', 'BatchNormalization(center=False, epsilon=0.1)'), [4, 3, 4]]
  ];
  for (const [name, source, dims] of cases) {
    it(`${name}: batch statistics and moving-statistics updates match TF.js training`, async () => {
      const spec = parse(source);
      const model = buildModel(tf, spec, 5);
      randomizeWeights(tf, model, 6);
      const weights = readTfjsWeights(model, spec);
      const data = randomData(dims.reduce((a, b) => a * b, 1), 8);
      const x = tf.tensor(data, dims);
      const y = model.apply(x, { training: true }) as tf.Tensor; // also updates the moving statistics, as a train step does
      const expected = y.dataSync() as Float32Array;
      const after = readTfjsWeights(model, spec);
      tf.dispose([x, y]);
      model.dispose();

      const { bytes, updates } = trainingGraph(spec, weights);
      const id = spec.layers[0].id;
      expect(updates).toEqual([`new:${id}/moving_mean`, `new:${id}/moving_variance`]);
      const got = await runOnnx(bytes, { [spec.inputs[0].name]: { data, dims } });
      expect(maxDiff(got.y, expected)).toBeLessThanOrEqual(1e-4);
      expect(maxDiff(got[`new:${id}/moving_mean`], after[id].moving_mean.data)).toBeLessThanOrEqual(1e-5);
      expect(maxDiff(got[`new:${id}/moving_variance`], after[id].moving_variance.data)).toBeLessThanOrEqual(1e-5);
      // and the statistics did move, so the comparison means something
      expect(maxDiff(after[id].moving_mean.data, weights[id].moving_mean.data)).toBeGreaterThan(1e-3);
    });
  }

  it('Dropout multiplies by the train step mask, and is gone at inference', async () => {
    const spec = parse(seqProgram('(4,)', 'Dropout(0.5)'));
    const mask = Float32Array.from([2, 0, 2, 0, 0, 2, 2, 0]);
    const { bytes } = trainingGraph(spec, {}, [2, 4]);
    const data = randomData(8, 1);
    const got = await runOnnx(bytes, { [spec.inputs[0].name]: { data, dims: [2, 4] }, mask: { data: mask, dims: [2, 4] } });
    expect(Array.from(got.y)).toEqual(Array.from(data).map((v, i) => v * mask[i]));
    expect(exportOnnx(spec, {}).graph.nodes.map((n) => n.op)).toEqual(['Identity']);
  });
});

describe('BatchNormalization on a non-last axis', () => {
  it('is refused at its line (TF.js 4.22 computes it wrongly, so neither engine would match Keras)', () => {
    const r = parseProgram(seqProgram('(4, 3, 2)', 'BatchNormalization(axis=1, epsilon=0.01)'));
    expect(r.spec).toBeNull();
    expect(r.diagnostics[0].message).toMatch(/normalises only the last axis/);
  });
});
