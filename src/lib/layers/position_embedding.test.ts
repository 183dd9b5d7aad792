/**
 * KerasHub's PositionEmbedding: its table (shapes, parameters vs TF.js, weight `embeddings` (sequence_length,
 * features)), its refusals (an input longer than sequence_length), the TF.js layer vs a float64 reference written
 * from KerasHub's `call` (the first `steps` rows of the embeddings broadcast to the input's shape; the gradient of
 * sum(y · R) is R summed over the batch in those rows, 0 in the others), the ONNX export vs TF.js in ONNX Runtime
 * (wasm), the PyTorch export vs TF.js (Debian's torch), and the compiled train step vs eager training.
 *
 * The models are built as ModelSpecs here (`functionalSpec`): the layer's conformance cases (Keras programs with
 * `import keras_hub`) run in the ONNX and PyTorch conformance tables once the parser reads keras_hub.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import '@tensorflow/tfjs-backend-wasm';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '$lib/engines/tfjs/kernels';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { functionalSpec, withDefaults } from '$lib/spec/fixtures';
import { inferShapes } from '$lib/spec/shape';
import { Rng } from '$lib/data/rng';
import type { ClassificationDataset } from '$lib/data/types';
import type { ArgValue, ModelSpec, Shape } from '$lib/spec/types';
import { exportOnnx } from '$lib/onnx/export';
import { decodeModel, encodeModel } from '$lib/onnx/graph';
import { exportPytorch } from '$lib/pytorch/export';
import { encodeNpz } from '$lib/pytorch/npy';
import { needPython } from '$lib/test-python';
import { bind, compiled, eager, expectWeightsClose, maxRel } from '$lib/compile/test-helpers';
import { getLayer } from './index';
import { LayerError } from './types';

const PYTHON = '/usr/bin/python3';
const py = needPython(['torch', 'numpy'], PYTHON);
const BATCH = 3;

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

interface Case {
  name: string;
  /** The model's input (steps, features) or more axes. */
  shape: Shape;
  args: Record<string, ArgValue>;
  /** 'alone': the layer is the model's output; 'added': Dense, then dense + PositionEmbedding(dense) (KerasHub's docs). */
  use: 'alone' | 'added';
}

const CASES: Case[] = [
  { name: 'as long as the input', shape: [5, 4], args: { sequence_length: 5 }, use: 'alone' },
  { name: 'longer than the input (the first 4 of 7 rows), he_normal', shape: [4, 3], args: { sequence_length: 7, initializer: 'he_normal' }, use: 'alone' },
  { name: 'added to a Dense of the input', shape: [6, 4], args: { sequence_length: 8 }, use: 'added' },
  { name: 'on (groups, steps, features): broadcast over the groups too', shape: [2, 3, 4], args: { sequence_length: 3 }, use: 'alone' }
];

function specOf(c: Case): ModelSpec {
  const spec =
    c.use === 'alone'
      ? functionalSpec([{ id: 'x', shape: c.shape }], [{ id: 'position_embedding', kind: 'PositionEmbedding', args: c.args, inputs: ['x'] }], ['position_embedding'])
      : functionalSpec(
          [{ id: 'x', shape: c.shape }],
          [
            { id: 'dense', kind: 'Dense', args: { units: c.shape[c.shape.length - 1] }, inputs: ['x'] },
            { id: 'position_embedding', kind: 'PositionEmbedding', args: c.args, inputs: ['dense'] },
            { id: 'add', kind: 'Add', args: {}, inputs: ['dense', 'position_embedding'] }
          ],
          ['add']
        );
  spec.compile = null;
  return spec;
}

/** The model in TF.js with seeded random weights, its inputs and outputs. */
function tfjsRun(c: Case, seed: number) {
  const spec = specOf(c);
  const model = buildModel(tf, spec, seed);
  randomizeWeights(tf, model, seed + 1);
  const rng = new Rng(seed + 2);
  const x = Float32Array.from({ length: BATCH * c.shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 4 - 2);
  const xt = tf.tensor(x, [BATCH, ...c.shape]);
  const yt = model.predict(xt) as tf.Tensor;
  const out = { spec, model, x, y: yt.dataSync() as Float32Array, yShape: yt.shape, weights: readTfjsWeights(model, spec) };
  tf.dispose([xt, yt]);
  return out;
}

describe('PositionEmbedding: shapes, parameters, weights', () => {
  const def = getLayer('PositionEmbedding')!;
  for (const c of CASES) {
    it(c.name, async () => {
      const args = withDefaults('PositionEmbedding', c.args);
      const length = args.sequence_length as number;
      const features = c.shape[c.shape.length - 1];
      expect(def.module).toBe('keras_hub.layers');
      expect(def.outputShape([c.shape], args)).toEqual(c.shape);
      expect(def.params([c.shape], args)).toEqual({ trainable: length * features, nonTrainable: 0 });
      expect(def.flops([c.shape], args)).toBe(0);
      const spec = specOf(c);
      expect(inferShapes(spec).diagnostics).toEqual([]);
      const m = buildModel(tf, spec, 3);
      const layer = m.getLayer('position_embedding');
      expect(layer.countParams()).toBe(length * features);
      expect(Object.fromEntries(Object.entries(readTfjsWeights(m, spec).position_embedding).map(([k, w]) => [k, w.shape]))).toEqual({ embeddings: [length, features] });
      // Survives TF.js serialization (registered as PositionEmbedding) with its weights.
      let saved: tf.io.ModelArtifacts | undefined;
      await m.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
      const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: JSON.parse(JSON.stringify(saved!.modelTopology)), weightSpecs: saved!.weightSpecs, weightData: saved!.weightData }));
      expect(loaded.getLayer('position_embedding').getClassName()).toBe('PositionEmbedding');
      const x = tf.randomNormal([BATCH, ...c.shape], 0, 1, 'float32', 9);
      const [a, b] = [m, loaded].map((k) => (k.predict(x) as tf.Tensor).dataSync());
      expect(Array.from(b)).toEqual(Array.from(a));
      tf.dispose(x);
      m.dispose();
      loaded.dispose();
    });
  }

  it('initial embeddings are seeded and glorot_uniform by default: U(-l, l), l = sqrt(6 / (sequence_length + features))', () => {
    const spec = specOf({ name: '', shape: [40, 24], args: { sequence_length: 60 }, use: 'alone' });
    const [a, b, d] = [3, 3, 4].map((s) => buildModel(tf, spec, s));
    const w = (m: tf.LayersModel) => Array.from(m.getLayer('position_embedding').getWeights()[0].dataSync());
    expect(w(a)).toEqual(w(b));
    expect(w(a)).not.toEqual(w(d));
    const l = Math.sqrt(6 / (60 + 24));
    expect(Math.max(...w(a))).toBeLessThanOrEqual(l);
    expect(Math.min(...w(a))).toBeGreaterThanOrEqual(-l);
    expect(Math.max(...w(a))).toBeGreaterThan(0.9 * l);
    [a, b, d].forEach((m) => m.dispose());
  });
});

describe('PositionEmbedding refuses, at its line', () => {
  const def = getLayer('PositionEmbedding')!;
  const errors: { args: Record<string, ArgValue>; input: Shape; message: string; hint?: string }[] = [
    { args: { sequence_length: 8 }, input: [10, 16], message: 'PositionEmbedding learns 8 positions (sequence_length=8) but its input has 10 steps', hint: 'Use sequence_length=10 (or seq_len), at least the number of steps of the input' },
    {
      args: { sequence_length: 10 },
      input: [10],
      message: 'PositionEmbedding needs a sequence of vectors (steps, features) but gets (10,) here',
      hint: 'Call it on the token embeddings, not on the ids: x = layers.Embedding(vocab_size, dim)(inputs), then x + keras_hub.layers.PositionEmbedding(10)(x)'
    },
    { args: { sequence_length: 0 }, input: [4, 2], message: "PositionEmbedding's sequence_length must be an integer of at least 1 but gets 0" }
  ];
  for (const e of errors) {
    it(`${JSON.stringify(e.args)} on (${e.input})`, () => {
      let err: unknown;
      try {
        const args = withDefaults('PositionEmbedding', e.args);
        def.validate?.(args);
        def.outputShape([e.input], args);
      } catch (x) {
        err = x;
      }
      expect(err).toBeInstanceOf(LayerError);
      expect((err as LayerError).message).toBe(e.message);
      if (e.hint) expect((err as LayerError).hint).toBe(e.hint);
    });
  }

  it('an input longer than sequence_length is reported by shape inference at the layer', () => {
    const { summary, diagnostics } = inferShapes(specOf({ name: '', shape: [12, 4], args: { sequence_length: 10 }, use: 'added' }));
    expect(summary).toBeNull();
    expect(diagnostics).toEqual([expect.objectContaining({ severity: 'error', message: 'PositionEmbedding learns 10 positions (sequence_length=10) but its input has 12 steps' })]);
  });
});

describe('PositionEmbedding in TF.js vs a float64 reference written from KerasHub\'s call', () => {
  /** y[..., t, f] = embeddings[t, f] for t < steps; d sum(y · R) / d embeddings[t, f] = Σ R[..., t, f] (t < steps), else 0. */
  function reference(w: { shape: number[]; data: Float32Array }, shape: Shape, r: number[]) {
    const [length, features] = w.shape;
    const steps = shape[shape.length - 2];
    const y: number[] = [];
    const gw = new Float64Array(length * features);
    const per = steps * features;
    for (let i = 0; i < BATCH * shape.reduce((a, b) => a * b, 1); i++) {
      const k = i % per;
      y.push(w.data[k]);
      gw[k] += r[i];
    }
    return { y, gw: Array.from(gw) };
  }

  for (const c of CASES.filter((x) => x.use === 'alone')) {
    it(`${c.name}: values exact, gradient of the embeddings within 1e-6 (0 for rows past the input)`, () => {
      const run = tfjsRun(c, 21);
      const w = run.weights.position_embedding.embeddings;
      const rng = new Rng(5);
      const r = Array.from({ length: run.y.length }, () => rng.next() * 2 - 1);
      const want = reference(w, c.shape, r);
      expect(Array.from(run.y)).toEqual(want.y);
      const xt = tf.tensor(run.x, [BATCH, ...c.shape]);
      const rt = tf.tensor(r, run.yShape);
      const { grads } = tf.variableGrads(() => tf.sum(tf.mul(run.model.apply(xt) as tf.Tensor, rt)) as tf.Scalar);
      const got = Array.from(Object.values(grads)[0].dataSync());
      expect(Math.max(...got.map((v, i) => Math.abs(v - want.gw[i])))).toBeLessThanOrEqual(1e-6);
      // The rows past the input get exactly no gradient.
      const steps = c.shape[c.shape.length - 2];
      expect(got.slice(steps * w.shape[1]).every((v) => v === 0)).toBe(true);
      tf.dispose([xt, rt, ...Object.values(grads)]);
      run.model.dispose();
    });
  }
});

describe('PositionEmbedding exported to ONNX matches TF.js (ONNX Runtime wasm, ≤ 1e-4)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const run = tfjsRun(c, 31);
      const bytes = encodeModel(exportOnnx(run.spec, run.weights, { seed: 31 }));
      const ops = decodeModel(bytes)
        .graph.nodes.filter((n) => n.name.startsWith('position_embedding/'))
        .map((n) => n.op);
      const steps = c.shape[c.shape.length - 2];
      expect(ops).toEqual(steps < (c.args.sequence_length as number) ? ['Split', 'Shape', 'Expand'] : ['Shape', 'Expand']);
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const out = await session.run({ x: new ort.Tensor('float32', run.x, [BATCH, ...c.shape]) });
      await session.release();
      const got = out[run.spec.outputs[0]];
      expect(got.dims).toEqual(run.yShape);
      const a = got.data as Float32Array;
      expect(Math.max(...Array.from(run.y, (v, i) => Math.abs(v - a[i])))).toBeLessThanOrEqual(1e-4);
      run.model.dispose();
    });
  }
});

const DRIVER = `
import importlib.util, json, sys
import numpy as np
import torch
out = {}
for name, folder in json.loads(open(sys.argv[1]).read()).items():
    spec = importlib.util.spec_from_file_location("case" + str(len(out)), folder + "/train.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model = mod.Model()
    mod.load_weights(model, folder + "/weights.npz")
    inputs = np.load(folder + "/inputs.npz")
    ys = mod.predict(model, [inputs[n] for n in mod.INPUTS], torch.device("cpu"))
    out[name] = {"shape": list(ys[0].shape), "data": ys[0].astype(np.float64).ravel().tolist()}
print(json.dumps(out))
`;

describe('PositionEmbedding exported to PyTorch matches TF.js (≤ 1e-4)', () => {
  py.it(`every case, in one Python process${py.note}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'pe-torch-'));
    try {
      const folders: Record<string, string> = {};
      const runs = CASES.map((c, i) => {
        const run = tfjsRun(c, 41 + i);
        const folder = join(dir, `case${i}`);
        mkdirSync(folder);
        for (const f of exportPytorch(run.spec, run.weights, undefined, { title: c.name }).files) writeFileSync(join(folder, f.name), f.data);
        writeFileSync(join(folder, 'inputs.npz'), encodeNpz({ x: { shape: [BATCH, ...c.shape], data: run.x } }));
        folders[c.name] = folder;
        run.model.dispose();
        return run;
      });
      writeFileSync(join(dir, 'cases.json'), JSON.stringify(folders));
      const r = spawnSync(PYTHON, ['-c', DRIVER, join(dir, 'cases.json')], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
      const torchOut = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, { shape: number[]; data: number[] }>;
      CASES.forEach((c, i) => {
        const got = torchOut[c.name];
        expect(got.shape, c.name).toEqual(runs[i].yShape);
        expect(Math.max(...Array.from(runs[i].y, (v, k) => Math.abs(v - got.data[k]))), c.name).toBeLessThanOrEqual(1e-4);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

const SEQ = 8;
const VOCAB = 10;

/** Token sequences; the class is where the largest id sits (first, middle or last third): it needs the positions. */
function tokens(rows: number, seed: number): ClassificationDataset {
  const rng = new Rng(seed);
  const x = new Float32Array(rows * SEQ);
  const labels = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let at = 0;
    for (let t = 0; t < SEQ; t++) {
      x[r * SEQ + t] = Math.floor(rng.next() * VOCAB);
      if (x[r * SEQ + t] > x[r * SEQ + at]) at = t;
    }
    labels[r] = Math.min(2, Math.floor((at * 3) / SEQ));
  }
  return { kind: 'classification', name: 'tokens', x, labels, n: rows, features: SEQ, sampleShape: [SEQ], numClasses: 3 };
}

describe('PositionEmbedding in the compiled train step vs eager training', () => {
  it('Embedding + PositionEmbedding(sequence_length=10) → LayerNormalization → Dense: 30 steps, losses within 1e-3, the embeddings trained alike', async () => {
    const spec = functionalSpec(
      [{ id: 'ids', shape: [SEQ] }],
      [
        { id: 'embedding', kind: 'Embedding', args: { input_dim: VOCAB, output_dim: 6 }, inputs: ['ids'] },
        { id: 'position_embedding', kind: 'PositionEmbedding', args: { sequence_length: SEQ + 2 }, inputs: ['embedding'] },
        { id: 'add', kind: 'Add', args: {}, inputs: ['embedding', 'position_embedding'] },
        { id: 'layer_normalization', kind: 'LayerNormalization', args: {}, inputs: ['add'] },
        { id: 'flatten', kind: 'Flatten', args: {}, inputs: ['layer_normalization'] },
        { id: 'dense', kind: 'Dense', args: { units: 3, activation: 'softmax' }, inputs: ['flatten'] }
      ],
      ['dense'],
      { optimizer: { name: 'adam', learningRate: 0.02, args: {}, span: { from: 0, to: 0, line: 20, col: 1, endLine: 20, endCol: 1 } }, loss: 'sparse_categorical_crossentropy' }
    );
    const steps = 30;
    const batch = 8;
    const data = bind(tokens((steps - 1) * batch + 5, 6), spec);
    const e = await eager(spec, data, batch, 9);
    const c = await compiled(spec, data, batch, 9, e.weights, 3);
    expect(c.res).toHaveLength(steps);
    const err = maxRel(
      c.res.map((r) => r.loss),
      e.losses
    );
    console.log(`PositionEmbedding model: ${c.nodeCount} nodes, loss ${e.losses[0].toFixed(4)} → ${e.losses[steps - 1].toFixed(4)}, max rel diff ${err.toExponential(2)}`);
    expect(e.losses[steps - 1]).toBeLessThan(e.losses[0]);
    expect(err).toBeLessThanOrEqual(1e-3);
    expectWeightsClose(e.after, c.weights, 1e-2);
    // The first SEQ rows of the position embeddings moved (the gradient reached them through Expand and Split); the
    // two rows past the input did not (zero gradient, Adam leaves them).
    const before = e.weights.position_embedding.embeddings.data;
    const after = c.weights.position_embedding.embeddings.data;
    const f = 6;
    for (let t = 0; t < SEQ + 2; t++) {
      const moved = Array.from(after.slice(t * f, (t + 1) * f)).some((v, k) => v !== before[t * f + k]);
      expect(moved, `row ${t}`).toBe(t < SEQ);
    }
  }, 300_000);
});

describe('PositionEmbedding and LayerNormalization train on the TF.js wasm backend (the app\'s default on most machines)', () => {
  let unregister: () => void = () => undefined;
  afterAll(async () => {
    unregister();
    await tf.setBackend('cpu');
  });

  function gradients(): number[][] {
    const spec = functionalSpec(
      [{ id: 'ids', shape: [SEQ] }],
      [
        { id: 'embedding', kind: 'Embedding', args: { input_dim: VOCAB, output_dim: 4 }, inputs: ['ids'] },
        { id: 'position_embedding', kind: 'PositionEmbedding', args: { sequence_length: SEQ + 1 }, inputs: ['embedding'] },
        { id: 'add', kind: 'Add', args: {}, inputs: ['embedding', 'position_embedding'] },
        // A Dense between the normalisations: an offset that the next one removes would get no gradient at all.
        { id: 'ln_steps', kind: 'LayerNormalization', args: { axis: 1, center: false }, inputs: ['add'] },
        { id: 'mix', kind: 'Dense', args: { units: 5 }, inputs: ['ln_steps'] },
        { id: 'ln', kind: 'LayerNormalization', args: {}, inputs: ['mix'] },
        { id: 'mix_1', kind: 'Dense', args: { units: 4 }, inputs: ['ln'] },
        { id: 'ln_none', kind: 'LayerNormalization', args: { axis: [-2, -1], scale: false }, inputs: ['mix_1'] },
        { id: 'dense', kind: 'Dense', args: { units: 3 }, inputs: ['ln_none'] }
      ],
      ['dense']
    );
    const model = buildModel(tf, spec, 5);
    randomizeWeights(tf, model, 6);
    const rng = new Rng(9);
    const x = tf.tensor(Array.from({ length: 4 * SEQ }, () => Math.floor(rng.next() * VOCAB)), [4, SEQ]);
    const r = tf.tensor(Array.from({ length: 4 * SEQ * 3 }, () => rng.next() - 0.5), [4, SEQ, 3]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(model.apply(x) as tf.Tensor, r)) as tf.Scalar);
    const out = model.trainableWeights.map((w) => Array.from(grads[(w as unknown as { val: tf.Variable }).val.name].dataSync()));
    tf.dispose([x, r, ...Object.values(grads)]);
    model.dispose();
    return out;
  }

  it('same gradients as on the cpu backend for every weight (embeddings, gamma, beta)', async () => {
    await tf.setBackend('cpu');
    const cpu = gradients();
    await tf.setBackend('wasm');
    unregister = registerWasmTrainingKernels(tf);
    expect(tf.getBackend()).toBe('wasm');
    const wasm = gradients();
    expect(wasm.length).toBe(cpu.length);
    wasm.forEach((g, i) => {
      const scale = Math.max(1e-3, ...cpu[i].map(Math.abs));
      expect(Math.max(...g.map((v, k) => Math.abs(v - cpu[i][k]))) / scale, `weight ${i}`).toBeLessThan(1e-4);
      expect(cpu[i].some((v) => v !== 0), `weight ${i} gets a gradient`).toBe(true);
    });
  });
});
