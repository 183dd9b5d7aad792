/**
 * LayerNormalization: its table (shapes, parameters, FLOPs vs TF.js), its refusals, the TF.js lowering's values and
 * gradients vs a float64 reference written from Keras' docstring (PyTorch float64 via Debian's /usr/bin/python3:
 * mean and biased variance over the axes, (x − mean) / √(var + ε) · gamma + beta, gamma and beta reshaped to their
 * broadcast shape as Keras' `_broadcast` does), and the compiled train step vs eager training (the LayerNormalization
 * gradient rule for the last axes, the composed ops for others). The ONNX and PyTorch lowerings are checked against
 * TF.js by the conformance tables (tests/unit/onnx-conformance.test.ts, tests/unit/pytorch.test.ts) on the layer's
 * conformance cases.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { functionalSpec, withDefaults } from '$lib/spec/fixtures';
import { inferShapes } from '$lib/spec/shape';
import { parseProgram } from '$lib/keras/parse';
import { Rng } from '$lib/data/rng';
import type { ClassificationDataset } from '$lib/data/types';
import type { ArgValue, ModelSpec, Shape } from '$lib/spec/types';
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
  shape: Shape;
  args: Record<string, ArgValue>;
  params: number;
  flops: number;
}

const CASES: Case[] = [
  { name: 'default, on (steps, features)', shape: [5, 6], args: {}, params: 12, flops: 30 * 7 },
  { name: 'epsilon=1e-6 on (features,)', shape: [7], args: { epsilon: 1e-6 }, params: 14, flops: 7 * 7 },
  { name: 'center=False on an image', shape: [3, 4, 2], args: { center: false }, params: 2, flops: 24 * 6 },
  { name: 'scale=False', shape: [3, 5], args: { scale: false }, params: 5, flops: 15 * 6 },
  { name: 'center=False, scale=False', shape: [6], args: { center: false, scale: false }, params: 0, flops: 6 * 5 },
  { name: 'axis=[2, 3] (the last two), epsilon=0.01', shape: [3, 4, 2], args: { axis: [2, 3], epsilon: 0.01 }, params: 16, flops: 24 * 7 },
  { name: 'axis=[-1, -2] (the last two, written backwards)', shape: [3, 4, 2], args: { axis: [-1, -2] }, params: 16, flops: 24 * 7 },
  { name: 'axis=1 (the steps)', shape: [4, 3], args: { axis: 1 }, params: 8, flops: 12 * 7 },
  { name: 'axis=(1, 2) (height and width), center=False', shape: [3, 4, 2], args: { axis: [1, 2], center: false }, params: 12, flops: 24 * 6 },
  { name: 'axis=[3, 1] (not adjacent), regularized', shape: [2, 3, 4], args: { axis: [3, 1], gamma_regularizer: { type: 'l2', l2: 0.01 } }, params: 16, flops: 24 * 7 }
];

function oneLayer(shape: Shape, args: Record<string, ArgValue>): ModelSpec {
  const spec = functionalSpec([{ id: 'x', shape }], [{ id: 'layer', kind: 'LayerNormalization', args, inputs: ['x'] }], ['layer']);
  spec.compile = null;
  return spec;
}

const sizes = (vars: { shape: (number | null)[] }[]) => vars.reduce((a, v) => a + v.shape.reduce<number>((x, y) => x * (y ?? 0), 1), 0);

describe('LayerNormalization: shapes, parameters and FLOPs match hand counts and TF.js', () => {
  const def = getLayer('LayerNormalization')!;
  for (const c of CASES) {
    it(c.name, async () => {
      const args = withDefaults('LayerNormalization', c.args);
      expect(def.outputShape([c.shape], args)).toEqual(c.shape);
      expect(def.params([c.shape], args)).toEqual({ trainable: c.params, nonTrainable: 0 });
      expect(def.flops([c.shape], args)).toBe(c.flops);
      const spec = oneLayer(c.shape, c.args);
      expect(inferShapes(spec).diagnostics).toEqual([]);
      const m = buildModel(tf, spec, 3);
      expect(m.countParams()).toBe(c.params);
      expect(sizes(m.trainableWeights)).toBe(c.params);
      // Keras' weights: gamma, beta with the sizes of the axes as written.
      const axes = (Array.isArray(args.axis) ? args.axis : [args.axis]) as number[];
      const paramShape = axes.map((a) => c.shape[a < 0 ? c.shape.length + a : a - 1]);
      const ws = readTfjsWeights(m, spec).layer;
      const want: Record<string, number[]> = {};
      if (args.scale) want.gamma = paramShape;
      if (args.center) want.beta = paramShape;
      expect(Object.fromEntries(Object.entries(ws).map(([k, w]) => [k, w.shape]))).toEqual(want);
      // Survives TF.js serialization (as tf.layers.layerNormalization) with its weights.
      m.setWeights(m.getWeights().map((w, i) => tf.randomUniform(w.shape, 0.5, 1.5, 'float32', 100 + i)));
      let saved: tf.io.ModelArtifacts | undefined;
      await m.save(tf.io.withSaveHandler(async (a) => ((saved = a), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })));
      const loaded = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: JSON.parse(JSON.stringify(saved!.modelTopology)), weightSpecs: saved!.weightSpecs, weightData: saved!.weightData }));
      const x = tf.randomNormal([BATCH, ...c.shape], 0, 1, 'float32', 9);
      const [a, b] = [m, loaded].map((k) => (k.predict(x) as tf.Tensor).dataSync());
      expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-6);
      tf.dispose(x);
      m.dispose();
      loaded.dispose();
    });
  }
});

describe('LayerNormalization refuses, at its line, what Keras would refuse', () => {
  const def = getLayer('LayerNormalization')!;
  const errors: { args: Record<string, ArgValue>; input: Shape; message: string; hint?: string }[] = [
    { args: { axis: 2 }, input: [16], message: "LayerNormalization's axis=2 names axis 2, which an input of shape (16,) does not have", hint: 'Axes count the batch axis as 0: use 1 here, or -1 for the last axis (the default)' },
    { args: { axis: [1, 3] }, input: [4, 5], message: "LayerNormalization's axis=(1, 3) names axis 3, which an input of shape (4, 5) does not have", hint: 'Axes count the batch axis as 0: use 1 to 2 here, or -1 for the last axis (the default)' },
    { args: { axis: -4 }, input: [4, 5], message: "LayerNormalization's axis=-4 names axis -4, which an input of shape (4, 5) does not have" },
    { args: { axis: 0 }, input: [4, 5], message: 'LayerNormalization cannot normalise along the batch axis (axis=0)' },
    { args: { axis: [2, -1] }, input: [4, 5], message: "LayerNormalization's axis=(2, -1) names axis 2 twice", hint: 'List each axis once' },
    { args: { rms_scaling: true }, input: [4], message: 'LayerNormalization does not support rms_scaling=True here' },
    { args: { epsilon: -1 }, input: [4], message: "LayerNormalization's epsilon must be a number at least 0 but gets -1" }
  ];
  for (const e of errors) {
    it(`${JSON.stringify(e.args)} on (${e.input})`, () => {
      let err: unknown;
      try {
        const args = withDefaults('LayerNormalization', e.args);
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

  it('is reported by shape inference at the layer', () => {
    const { summary, diagnostics } = inferShapes(oneLayer([4, 5], { axis: 3 }));
    expect(summary).toBeNull();
    expect(diagnostics).toEqual([expect.objectContaining({ severity: 'error', message: "LayerNormalization's axis=3 names axis 3, which an input of shape (4, 5) does not have" })]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// TF.js vs float64

const SCRIPT = `
import json, sys
import torch
torch.set_default_dtype(torch.float64)

def layer_norm(x, w, axes, eps):
    # Keras' docstring: mean_i and var_i (biased: / k) over the axes of each sample, (x - mean) / sqrt(var + eps),
    # then * gamma + beta, which span the axes (as written) and are reshaped to the broadcast shape.
    dims = sorted(axes)
    mean = x.mean(dim=dims, keepdim=True)
    var = ((x - mean) ** 2).mean(dim=dims, keepdim=True)
    y = (x - mean) / torch.sqrt(var + eps)
    shape = [1] * x.dim()
    for a in axes:
        shape[a] = x.shape[a]
    if "gamma" in w:
        y = y * w["gamma"].reshape(shape)
    if "beta" in w:
        y = y + w["beta"].reshape(shape)
    return y

out = {}
for c in json.load(open(sys.argv[1])):
    x = torch.tensor(c["x"]).reshape(c["xshape"]).requires_grad_()
    w = {k: torch.tensor(v["data"]).reshape(v["shape"]).requires_grad_() for k, v in c["w"].items()}
    y = layer_norm(x, w, c["axes"], c["eps"])
    (y * torch.tensor(c["r"]).reshape(y.shape)).sum().backward()
    grads = {k: v.grad.flatten().tolist() for k, v in w.items()}
    grads["x"] = x.grad.flatten().tolist()
    out[c["name"]] = {"data": y.flatten().tolist(), "grads": grads}
print(json.dumps(out))
`;

/** TF.js forward and gradients of sum(y · R), with random gamma / beta and inputs of mean ≠ 0 and spread ≠ 1. */
function tfjsRun(c: Case, seed: number) {
  const spec = oneLayer(c.shape, c.args);
  const model = buildModel(tf, spec, seed);
  randomizeWeights(tf, model, seed + 1);
  const rng = new Rng(seed + 2);
  const n = BATCH * c.shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, () => 1.5 + 3 * (rng.next() - 0.5));
  const xt = tf.tensor(x, [BATCH, ...c.shape]);
  const y = model.predict(xt) as tf.Tensor;
  const r = Array.from({ length: y.size }, () => rng.next() * 2 - 1);
  const rt = tf.tensor(r, y.shape);
  const loss = (v: tf.Tensor) => tf.sum(tf.mul(model.apply(v) as tf.Tensor, rt)) as tf.Scalar;
  const g = model.trainableWeights.length ? tf.variableGrads(() => loss(xt)).grads : {};
  const grads: Record<string, number[]> = Object.fromEntries(Object.entries(g).map(([k, v]) => [k.split('/').pop()!.replace(/_\d+$/, ''), Array.from(v.dataSync())]));
  grads.x = Array.from(tf.grad(loss)(xt).dataSync());
  const w = Object.fromEntries(Object.entries(readTfjsWeights(model, spec).layer).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }]));
  const args = withDefaults('LayerNormalization', c.args);
  const rank = c.shape.length + 1;
  const axes = ((Array.isArray(args.axis) ? args.axis : [args.axis]) as number[]).map((a) => (a < 0 ? a + rank : a));
  const out = { name: c.name, x: Array.from(x), xshape: [BATCH, ...c.shape], w, r, axes, eps: args.epsilon as number, y: Array.from(y.dataSync()), grads };
  tf.dispose([xt, y, rt, ...Object.values(g)]);
  model.dispose();
  return out;
}

function reference(runs: ReturnType<typeof tfjsRun>[]): Record<string, { data: number[]; grads: Record<string, number[]> }> {
  const path = `/tmp/ln-ref-${process.pid}.json`;
  writeFileSync(path, JSON.stringify(runs));
  const r = spawnSync(PYTHON, ['-c', SCRIPT, path], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python failed: ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout);
}

function maxRelDiff(a: number[], b: number[]): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-6);
}

describe('LayerNormalization in TF.js vs a float64 reference written from Keras\' docstring', () => {
  py.it(`values and gradients (input, gamma, beta) within 1e-5 for every case${py.note}`, () => {
    const runs = CASES.map((c, i) => tfjsRun(c, 50 + 10 * i));
    const ref = reference(runs);
    const report: string[] = [];
    for (const run of runs) {
      const want = ref[run.name];
      const d = maxRelDiff(run.y, want.data);
      report.push(`${run.name}: y ${d.toExponential(1)}`);
      expect(d, run.name).toBeLessThanOrEqual(1e-5);
      expect(Object.keys(run.grads).sort(), run.name).toEqual(Object.keys(want.grads).sort());
      for (const [k, gv] of Object.entries(run.grads)) {
        const dg = maxRelDiff(gv, want.grads[k]);
        report.push(`${run.name}: d/d${k} ${dg.toExponential(1)}`);
        expect(dg, `${run.name} d/d${k}`).toBeLessThanOrEqual(1e-5);
      }
    }
    console.log(report.join('\n'));
  }, 120_000);

  py.it(`the check can fail: the reference with another epsilon (1e-3 + 0.15) differs${py.note}`, () => {
    const run = tfjsRun(CASES[0], 7);
    expect(maxRelDiff(run.y, reference([run])[run.name].data)).toBeLessThanOrEqual(1e-5);
    const wrong = reference([{ ...run, eps: run.eps + 0.15 }]);
    expect(maxRelDiff(run.y, wrong[run.name].data)).toBeGreaterThan(1e-2);
  }, 120_000);
});

// ---------------------------------------------------------------------------------------------------------------
// Compiled train step vs eager

const SEQ = 8;
const VOCAB = 10;

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

describe('LayerNormalization in the compiled train step vs eager training', () => {
  it('Embedding → LayerNormalization → Dense → LayerNormalization(axis=1, center=False) → Dense(..., axis=[-1, -2]): 30 steps, losses within 1e-3', async () => {
    const source = [
      'import keras',
      'from keras import layers',
      'model = keras.Sequential([',
      `    keras.Input(shape=(${SEQ},)),`,
      `    layers.Embedding(${VOCAB}, 6),`,
      '    layers.LayerNormalization(),',
      '    layers.Dense(5, activation="tanh"),',
      '    layers.LayerNormalization(axis=1, center=False, gamma_initializer="glorot_uniform"),',
      '    layers.Dense(4),',
      '    layers.LayerNormalization(axis=[-1, -2], epsilon=0.01, beta_initializer="glorot_uniform"),',
      '    layers.GlobalAveragePooling1D(),',
      '    layers.Dense(3, activation="softmax"),',
      '])',
      'model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="sparse_categorical_crossentropy", metrics=["accuracy"])',
      ''
    ].join('\n');
    const { spec, diagnostics } = parseProgram(source);
    if (!spec) throw new Error(diagnostics.map((d) => d.message).join('; '));
    const steps = 30;
    const batch = 8;
    const data = bind(tokens((steps - 1) * batch + 5, 4), spec);
    const e = await eager(spec, data, batch, 5);
    const c = await compiled(spec, data, batch, 5, e.weights, 3);
    expect(c.res).toHaveLength(steps);
    const err = maxRel(
      c.res.map((r) => r.loss),
      e.losses
    );
    console.log(`LayerNormalization model: ${c.nodeCount} nodes, loss ${e.losses[0].toFixed(4)} → ${e.losses[steps - 1].toFixed(4)}, max rel diff ${err.toExponential(2)}`);
    expect(e.losses[steps - 1]).toBeLessThan(e.losses[0]);
    expect(err).toBeLessThanOrEqual(1e-3);
    expectWeightsClose(e.after, c.weights, 1e-2);
    // Every gamma and beta moved in both runs (the gradients reached them).
    for (const node of spec.layers.filter((l) => l.kind === 'LayerNormalization')) {
      for (const [name, w] of Object.entries(e.weights[node.id])) expect(Array.from(c.weights[node.id][name].data), `${node.id}/${name}`).not.toEqual(Array.from(w.data));
    }
  }, 300_000);
});
