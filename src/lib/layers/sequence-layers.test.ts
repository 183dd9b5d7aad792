/**
 * The sequence layers (Embedding, Conv1D, the 1-D poolings) in TF.js vs an independent float64 reference: PyTorch
 * (torch.float64, Debian's /usr/bin/python3) computing each layer from Keras' definition with torch's own 1-D ops —
 * F.embedding, F.conv1d with explicit pads (causal: (k − 1) · dilation on the left; same: TF's split), F.max_pool1d
 * with -inf pads, an average that leaves the pads out — written here, not taken from the layers' PyTorch lowerings.
 * The ONNX lowerings are checked against TF.js by the conformance table; together: Keras ≈ TF.js ≈ ONNX.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { parseProgram } from '$lib/keras/parse';
import { seq } from './conformance';
import { needPython } from '$lib/test-python';
import { Rng } from '$lib/data/rng';

const PYTHON = '/usr/bin/python3';
const py = needPython(['torch', 'numpy'], PYTHON);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface RefCase {
  name: string;
  shape: number[];
  layer: string;
  /** What the Python reference computes, with its parameters (Keras' arguments, normalised). */
  ref: Record<string, unknown>;
  /** Whole ids in [0, ids) instead of floats. */
  ids?: number;
}

const conv = (name: string, shape: number[], filters: number, k: number, opts: { s?: number; d?: number; padding?: string; bias?: boolean } = {}): RefCase => {
  const args = [`${filters}`, `${k}`];
  if (opts.s) args.push(`strides=${opts.s}`);
  if (opts.padding) args.push(`padding="${opts.padding}"`);
  if (opts.d) args.push(`dilation_rate=${opts.d}`);
  if (opts.bias === false) args.push('use_bias=False');
  return { name, shape, layer: `Conv1D(${args.join(', ')})`, ref: { op: 'conv1d', k, s: opts.s ?? 1, d: opts.d ?? 1, padding: opts.padding ?? 'valid' } };
};

const CASES: RefCase[] = [
  { name: 'Embedding (steps,)', shape: [7], layer: 'Embedding(11, 4)', ref: { op: 'embedding' }, ids: 11 },
  { name: 'Embedding (a, b) grid', shape: [3, 4], layer: 'Embedding(5, 2)', ref: { op: 'embedding' }, ids: 5 },
  conv('Conv1D valid', [9, 3], 4, 3),
  conv('Conv1D same, even kernel (pads split 1 | 2)', [7, 2], 3, 4, { padding: 'same' }),
  conv('Conv1D same, strides 3', [11, 2], 2, 4, { padding: 'same', s: 3 }),
  conv('Conv1D causal', [8, 2], 3, 3, { padding: 'causal' }),
  conv('Conv1D causal, dilation 2', [11, 2], 3, 3, { padding: 'causal', d: 2 }),
  conv('Conv1D causal, dilation 4, no bias', [9, 3], 2, 2, { padding: 'causal', d: 4, bias: false }),
  conv('Conv1D causal, strides 2 (odd length)', [9, 2], 3, 3, { padding: 'causal', s: 2 }),
  conv('Conv1D valid, strides 2', [10, 3], 4, 3, { s: 2 }),
  conv('Conv1D valid, dilation 3', [13, 2], 2, 3, { d: 3 }),
  conv('Conv1D same, dilation 3', [8, 2], 3, 3, { padding: 'same', d: 3 }),
  { name: 'MaxPooling1D default, odd length', shape: [9, 3], layer: 'MaxPooling1D()', ref: { op: 'maxpool', k: 2, s: 2, padding: 'valid' } },
  { name: 'MaxPooling1D 3 strides 2 same', shape: [8, 2], layer: 'MaxPooling1D(3, strides=2, padding="same")', ref: { op: 'maxpool', k: 3, s: 2, padding: 'same' } },
  { name: 'MaxPooling1D 4 strides 3 same', shape: [10, 2], layer: 'MaxPooling1D(4, strides=3, padding="same")', ref: { op: 'maxpool', k: 4, s: 3, padding: 'same' } },
  { name: 'AveragePooling1D 2 same, odd length', shape: [9, 3], layer: 'AveragePooling1D(2, padding="same")', ref: { op: 'avgpool', k: 2, s: 2, padding: 'same' } },
  { name: 'AveragePooling1D 4 strides 3 same', shape: [10, 2], layer: 'AveragePooling1D(4, strides=3, padding="same")', ref: { op: 'avgpool', k: 4, s: 3, padding: 'same' } },
  { name: 'AveragePooling1D 3 strides 1 valid', shape: [7, 2], layer: 'AveragePooling1D(3, strides=1)', ref: { op: 'avgpool', k: 3, s: 1, padding: 'valid' } },
  { name: 'GlobalAveragePooling1D', shape: [7, 3], layer: 'GlobalAveragePooling1D()', ref: { op: 'gap' } },
  { name: 'GlobalMaxPooling1D keepdims', shape: [6, 4], layer: 'GlobalMaxPooling1D(keepdims=True)', ref: { op: 'gmp', keepdims: true } }
];

const BATCH = 3;

const SCRIPT = `
import json, math, sys
import torch
import torch.nn.functional as F
torch.set_default_dtype(torch.float64)

def same_pads(L, k, s, d=1):
    # TensorFlow's "same": output ceil(L / s); the total padding split with the smaller half first.
    out = -(-L // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - L, 0)
    return total // 2, total - total // 2

def pads(L, r):
    k, s, d = r["k"], r["s"], r.get("d", 1)
    if r["padding"] == "causal":
        return (k - 1) * d, 0
    if r["padding"] == "same":
        return same_pads(L, k, s, d)
    return 0, 0

def forward(r, x, w):
    if r["op"] == "embedding":
        return F.embedding(x.long(), w["embeddings"])
    if r["op"] == "conv1d":
        xt = x.permute(0, 2, 1)  # (N, C, L)
        l, rr = pads(xt.shape[2], r)
        kern = w["kernel"].permute(2, 1, 0)  # Keras (k, cin, cout) -> torch (cout, cin, k)
        return F.conv1d(F.pad(xt, (l, rr)), kern, w.get("bias"), stride=r["s"], dilation=r["d"]).permute(0, 2, 1)
    if r["op"] == "maxpool":
        xt = x.permute(0, 2, 1)
        l, rr = pads(xt.shape[2], r)
        return F.max_pool1d(F.pad(xt, (l, rr), value=-math.inf), r["k"], r["s"]).permute(0, 2, 1)
    if r["op"] == "avgpool":
        xt = x.permute(0, 2, 1)
        l, rr = pads(xt.shape[2], r)
        # Keras leaves the padding out of each average: window sum / number of real steps in the window.
        total = F.avg_pool1d(F.pad(xt, (l, rr)), r["k"], r["s"]) * r["k"]
        count = F.avg_pool1d(F.pad(torch.ones_like(xt), (l, rr)), r["k"], r["s"]) * r["k"]
        return (total / count).permute(0, 2, 1)
    if r["op"] == "gap":
        return x.mean(dim=1, keepdim=r.get("keepdims", False))
    if r["op"] == "gmp":
        return x.amax(dim=1, keepdim=r.get("keepdims", False))
    raise ValueError(r["op"])

out = {}
for c in json.load(open(sys.argv[1])):
    r = c["ref"]
    ids = r["op"] == "embedding"
    x = torch.tensor(c["x"]).reshape(c["xshape"]).requires_grad_(not ids)
    w = {k: torch.tensor(v["data"]).reshape(v["shape"]).requires_grad_() for k, v in c["w"].items()}
    y = forward(r, x, w)
    res = {"shape": list(y.shape), "data": y.flatten().tolist()}
    if "r" in c:
        # Gradients of sum(y * R) (R: the same random weights as TF.js used).
        (y * torch.tensor(c["r"]).reshape(y.shape)).sum().backward()
        res["grads"] = {k: v.grad.flatten().tolist() for k, v in w.items()}
        if not ids:
            res["grads"]["x"] = x.grad.flatten().tolist()
    out[c["name"]] = res
print(json.dumps(out))
`;

function tfjsCase(c: RefCase, seed: number, withGrads = false) {
  const { spec, diagnostics } = parseProgram(seq(c.name, c.shape, c.layer).source);
  if (!spec) throw new Error(diagnostics.map((d) => d.message).join('; '));
  const model = buildModel(tf, spec, seed);
  randomizeWeights(tf, model, seed + 1);
  const rng = new Rng(seed + 2);
  const n = BATCH * c.shape.reduce((a, b) => a * b, 1);
  const x = Float32Array.from({ length: n }, () => (c.ids ? Math.floor(rng.next() * c.ids) : rng.next() * 4 - 2));
  const xt = tf.tensor(x, [BATCH, ...c.shape]);
  const y = model.predict(xt) as tf.Tensor;
  const weights = readTfjsWeights(model, spec)[spec.layers[0].id];
  const out = { shape: y.shape, data: Array.from(y.dataSync()) };
  const w = Object.fromEntries(Object.entries(weights).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }]));
  let r: number[] | undefined;
  let grads: Record<string, number[]> | undefined;
  if (withGrads) {
    // Gradients of sum(y · R) through the layer as eager training runs it (its call, TF.js' gradients).
    r = Array.from({ length: y.size }, () => rng.next() * 2 - 1);
    const rt = tf.tensor(r, y.shape);
    const loss = (v: tf.Tensor) => tf.sum(tf.mul(model.apply(v) as tf.Tensor, rt)) as tf.Scalar;
    const g = model.trainableWeights.length ? tf.variableGrads(() => loss(xt)).grads : {};
    grads = Object.fromEntries(Object.entries(g).map(([k, v]) => [k.split('/').pop()!.replace(/_\d+$/, ''), Array.from(v.dataSync())]));
    if (!c.ids) grads.x = Array.from(tf.grad(loss)(xt).dataSync());
    tf.dispose([rt, ...Object.values(g)]);
  }
  tf.dispose([xt, y]);
  model.dispose();
  return { x: Array.from(x), w, out, r, grads };
}

/** Runs the float64 reference on `cases` (with their inputs and weights); returns its outputs by case name. */
function reference(cases: (RefCase & { x: number[]; w: Record<string, unknown>; r?: number[] })[]): Record<string, { shape: number[]; data: number[]; grads?: Record<string, number[]> }> {
  const input = JSON.stringify(cases.map((c) => ({ name: c.name, ref: c.ref, x: c.x, xshape: [BATCH, ...c.shape], w: c.w, ...(c.r ? { r: c.r } : {}) })));
  const path = `/tmp/seq-ref-${process.pid}.json`;
  writeFileSync(path, input);
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

describe('sequence layers: TF.js vs a float64 PyTorch reference written from Keras\' definitions', () => {
  py.it(`every case within 1e-5 (relative to the largest value)${py.note}`, () => {
    const runs = CASES.map((c, i) => ({ ...c, ...tfjsCase(c, 100 + 10 * i) }));
    const ref = reference(runs);
    const report: string[] = [];
    for (const c of runs) {
      const want = ref[c.name];
      expect(c.out.shape.slice(1), c.name).toEqual(want.shape.slice(1));
      const d = maxRelDiff(c.out.data, want.data);
      report.push(`${c.name}: ${d.toExponential(1)}`);
      expect(d, c.name).toBeLessThanOrEqual(1e-5);
    }
    console.log(report.join('\n'));
  }, 120_000);

  py.it(`gradients (input and weights) as eager training computes them, within 1e-5${py.note}`, () => {
    // The lowerings that replace TF.js' own gradients (dilated Conv1D by taps; AveragePooling1D "same" over the real
    // steps) and the plain ones (Embedding's scatter-add, TF.js' Conv1D, MaxPooling1D, global max with ties).
    const names = CASES.map((c) => c.name);
    const runs = CASES.map((c, i) => ({ ...c, ...tfjsCase(c, 300 + 10 * i, true) }));
    const ref = reference(runs);
    const report: string[] = [];
    for (const c of runs) {
      const want = ref[c.name].grads!;
      expect(Object.keys(c.grads!).sort(), c.name).toEqual(Object.keys(want).sort());
      for (const [k, g] of Object.entries(c.grads!)) {
        const d = maxRelDiff(g, want[k]);
        report.push(`${c.name} d/d${k}: ${d.toExponential(1)}`);
        expect(d, `${c.name} d/d${k}`).toBeLessThanOrEqual(1e-5);
      }
    }
    expect(names.length).toBeGreaterThan(10);
    console.log(report.join('\n'));
  }, 120_000);

  py.it(`the check can fail: a causal Conv1D compared as "same" (the pads on both sides) differs${py.note}`, () => {
    const c = CASES.find((x) => x.name === 'Conv1D causal, dilation 2')!;
    const run = { ...c, ...tfjsCase(c, 7) };
    const wrong = { ...run, ref: { ...run.ref, padding: 'same' } };
    const ref = reference([wrong]);
    expect(maxRelDiff(run.out.data, ref[c.name].data)).toBeGreaterThan(1e-2);
  }, 120_000);
});
