/**
 * MultiHeadAttention: arguments, call and shape refusals (located, with hints), Keras' parameter counts, and the
 * lowerings against an independent float64 reference written here from Keras' definition (the docstring and
 * `multi_head_attention.py` / `softmax.py`: projections by einsum, the query scaled by 1/sqrt(key_dim), scores
 * where(mask, s, −1e9), softmax, where(mask, p, 0), the heads mixed and projected):
 *   TF.js output and attention probabilities vs the reference ≤ 1e-5; ONNX (ORT wasm) vs TF.js ≤ 1e-4; the PyTorch
 *   export (Debian's python3 torch) vs TF.js ≤ 1e-4. And, where its layout fits (value_dim = key_dim, query width =
 *   heads · key_dim), TF.js vs torch's own nn.MultiheadAttention in float64: an implementation not written here.
 * Specs are built directly (node.call set as the model builder sets it), so these tests do not need the parser.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '$lib/data/rng';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { exportOnnx, type WeightMap } from '$lib/onnx/export';
import { encodeModel } from '$lib/onnx/graph';
import { exportPytorch } from '$lib/pytorch/export';
import { encodeNpz } from '$lib/pytorch/npy';
import { functionalSpec, type LayerSketch } from '$lib/spec/fixtures';
import { inferShapes } from '$lib/spec/shape';
import type { ArgValue, ModelSpec } from '$lib/spec/types';
import { needPython } from '$lib/test-python';
import { attentionScoresTfjs, mhaConfig } from './attention';
import { getLayer } from './index';
import { LayerError } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

const MHA = getLayer('MultiHeadAttention')!;
const B = 3;

// ---------------------------------------------------------------------------------------------------------------
// Specs built directly

interface Case {
  name: string;
  inputs: { id: string; shape: number[] }[];
  args: Record<string, ArgValue>;
  /** The tensors the attention is called on (ids) and the call parameter of each. */
  on: string[];
  names: string[];
  causal?: boolean;
  /** Layers before the attention (e.g. a ReLU making a mask with zeros). */
  pre?: (LayerSketch & { id: string; inputs: string[] })[];
}

function specOf(c: Case): ModelSpec {
  const layers = [...(c.pre ?? []), { id: 'mha', kind: 'MultiHeadAttention', args: c.args, inputs: c.on }];
  const spec = functionalSpec(c.inputs, layers, ['mha']);
  spec.layers[spec.layers.length - 1].call = { inputNames: c.names, args: { return_attention_scores: false, training: null, use_causal_mask: c.causal ?? false } };
  return spec;
}

const relu = (id: string, input: string) => ({ id, kind: 'ReLU', args: {}, inputs: [input] });

const CASES: Case[] = [
  { name: 'self-attention', inputs: [{ id: 'x', shape: [5, 6] }], args: { num_heads: 2, key_dim: 3 }, on: ['x', 'x'], names: ['query', 'value'] },
  { name: 'cross-attention (T 4, S 6, widths 5 and 3)', inputs: [{ id: 'q', shape: [4, 5] }, { id: 'v', shape: [6, 3] }], args: { num_heads: 3, key_dim: 2 }, on: ['q', 'v'], names: ['query', 'value'] },
  {
    name: 'key given',
    inputs: [{ id: 'q', shape: [4, 5] }, { id: 'v', shape: [6, 3] }, { id: 'k', shape: [6, 2] }],
    args: { num_heads: 2, key_dim: 4 },
    on: ['q', 'v', 'k'],
    names: ['query', 'value', 'key']
  },
  { name: 'causal self-attention', inputs: [{ id: 'x', shape: [6, 4] }], args: { num_heads: 2, key_dim: 4 }, on: ['x', 'x'], names: ['query', 'value'], causal: true },
  { name: 'causal cross-attention (T 5, S 3)', inputs: [{ id: 'q', shape: [5, 4] }, { id: 'v', shape: [3, 4] }], args: { num_heads: 2, key_dim: 2 }, on: ['q', 'v'], names: ['query', 'value'], causal: true },
  { name: 'value_dim 5, key_dim 3', inputs: [{ id: 'x', shape: [5, 6] }], args: { num_heads: 2, key_dim: 3, value_dim: 5 }, on: ['x', 'x'], names: ['query', 'value'] },
  { name: 'output_shape=7', inputs: [{ id: 'x', shape: [4, 6] }], args: { num_heads: 2, key_dim: 3, output_shape: 7 }, on: ['x', 'x'], names: ['query', 'value'] },
  { name: 'output_shape=(2, 3)', inputs: [{ id: 'x', shape: [4, 6] }], args: { num_heads: 2, key_dim: 3, output_shape: [2, 3] }, on: ['x', 'x'], names: ['query', 'value'] },
  { name: 'use_bias=False', inputs: [{ id: 'x', shape: [5, 6] }], args: { num_heads: 3, key_dim: 2, use_bias: false }, on: ['x', 'x'], names: ['query', 'value'] },
  {
    name: 'attention_mask (key given by keyword, mask second)',
    inputs: [{ id: 'x', shape: [5, 4] }, { id: 'm', shape: [5, 5] }],
    pre: [relu('mask', 'm')],
    args: { num_heads: 2, key_dim: 3 },
    on: ['x', 'mask', 'x'],
    names: ['query', 'attention_mask', 'value']
  },
  {
    name: 'attention_mask and causal mask, cross-attention',
    inputs: [{ id: 'q', shape: [4, 4] }, { id: 'v', shape: [5, 3] }, { id: 'm', shape: [4, 5] }],
    pre: [relu('mask', 'm')],
    args: { num_heads: 2, key_dim: 2 },
    on: ['q', 'v', 'mask'],
    names: ['query', 'value', 'attention_mask'],
    causal: true
  },
  {
    name: 'attention_mask broadcast over the query steps (1, S)',
    inputs: [{ id: 'x', shape: [5, 4] }, { id: 'm', shape: [1, 5] }],
    pre: [relu('mask', 'm')],
    args: { num_heads: 1, key_dim: 4 },
    on: ['x', 'x', 'mask'],
    names: ['query', 'value', 'attention_mask']
  }
];

/**
 * Seeded inputs in [-2, 2): a mask input `m` then has about half zeros after its ReLU; its first row (of several) is
 * made negative in every sample, so that row is masked entirely (Keras gives it zero probabilities).
 */
function inputsOf(spec: ModelSpec, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return spec.inputs.map((i) => {
    const per = i.shape.reduce((a, b) => a * b, 1);
    const x = Float32Array.from({ length: B * per }, () => rng.next() * 4 - 2);
    if (i.id === 'm' && i.shape[0] > 1) for (let b = 0; b < B; b++) for (let s = 0; s < i.shape[1]; s++) x[b * per + s] = -1 - rng.next();
    return x;
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The float64 reference, from Keras' definition

type T3 = number[][][];

function tensor3(data: Float32Array | number[], shape: number[]): T3 {
  const [t, d] = shape;
  return Array.from({ length: B }, (_, b) => Array.from({ length: t }, (_, i) => Array.from({ length: d }, (_, j) => data[(b * t + i) * d + j])));
}

/**
 * Keras' MultiHeadAttention in float64: returns the output (B, T, o) flattened and the probabilities (B, H, T, S).
 * `w` holds the Keras weights (query/kernel (d, H, kd), ...); `mask` (B, T|1, S|1) or null.
 */
function reference(args: Record<string, ArgValue>, w: WeightMap[string], q: T3, v: T3, k: T3, mask: T3 | null, causal: boolean): { out: number[]; probs: number[] } {
  const H = args.num_heads as number;
  const kd = args.key_dim as number;
  const vd = (args.value_dim as number | null) ?? kd;
  const at = (name: string, idx: number[]) => {
    const t = w[name];
    let flat = 0;
    idx.forEach((x, i) => (flat = flat * t.shape[i] + x));
    return t.data[flat];
  };
  const has = (name: string) => name in w;
  // x (T, d) → (T, H, e): x·W + b
  const proj = (x: number[][], name: string, e: number) =>
    x.map((row) => Array.from({ length: H }, (_, h) => Array.from({ length: e }, (_, j) => row.reduce((s, xv, i) => s + xv * at(`${name}/kernel`, [i, h, j]), 0) + (has(`${name}/bias`) ? at(`${name}/bias`, [h, j]) : 0))));
  const outShape = w['attention_output/kernel'].shape.slice(2);
  const o = outShape.reduce((a, b) => a * b, 1);
  const out: number[] = [];
  const probsAll: number[] = [];
  for (let b = 0; b < q.length; b++) {
    const Q = proj(q[b], 'query', kd).map((r) => r.map((hv) => hv.map((x) => x / Math.sqrt(kd))));
    const K = proj(k[b], 'key', kd);
    const V = proj(v[b], 'value', vd);
    const T = Q.length;
    const S = K.length;
    const ctx = Array.from({ length: T }, () => Array.from({ length: H }, () => new Array(vd).fill(0)));
    for (let h = 0; h < H; h++) {
      for (let t = 0; t < T; t++) {
        const allowed = Array.from({ length: S }, (_, s) => {
          let ok = true;
          if (mask) ok = mask[b][mask[b].length === 1 ? 0 : t][mask[b][0].length === 1 ? 0 : s] !== 0;
          if (causal) ok = ok && s <= t;
          return ok;
        });
        const scores = Array.from({ length: S }, (_, s) => (allowed[s] ? Q[t][h].reduce((acc, x, j) => acc + x * K[s][h][j], 0) : -1e9));
        const m = Math.max(...scores);
        const e = scores.map((x) => Math.exp(x - m));
        const z = e.reduce((a, x) => a + x, 0);
        const p = e.map((x, s) => (allowed[s] ? x / z : 0));
        probsAll.push(...p);
        for (let s = 0; s < S; s++) for (let j = 0; j < vd; j++) ctx[t][h][j] += p[s] * V[s][h][j];
      }
    }
    for (let t = 0; t < T; t++) {
      for (let c = 0; c < o; c++) {
        let acc = has('attention_output/bias') ? w['attention_output/bias'].data[c] : 0;
        for (let h = 0; h < H; h++) for (let j = 0; j < vd; j++) acc += ctx[t][h][j] * w['attention_output/kernel'].data[(h * vd + j) * o + c];
        out.push(acc);
      }
    }
  }
  // probsAll was pushed (b, h, t) in that order: already (B, H, T, S).
  return { out, probs: probsAll };
}

function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Builds the case in TF.js with random weights, predicts, and computes the reference. */
function run(c: Case, seed = 5) {
  const spec = specOf(c);
  const model = buildModel(tf, spec, seed);
  randomizeWeights(tf, model, seed + 1);
  const data = inputsOf(spec, seed + 2);
  const xs = spec.inputs.map((inp, i) => tf.tensor(data[i], [B, ...inp.shape]));
  const y = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor;
  const weights = readTfjsWeights(model, spec);
  // The tensors the attention node was called on (the ReLU'd mask recomputed here), in node.inputs order.
  const byId = new Map<string, { data: Float32Array; shape: number[] }>(spec.inputs.map((inp, i) => [inp.id, { data: data[i], shape: inp.shape }]));
  for (const p of c.pre ?? []) {
    const src = byId.get(p.inputs[0])!;
    byId.set(p.id, { data: src.data.map((x) => Math.max(0, x)), shape: src.shape });
  }
  const node = spec.layers[spec.layers.length - 1];
  const called = node.inputs.map((id) => byId.get(id)!);
  const role = (n: string) => c.names.indexOf(n);
  const t3 = (i: number) => tensor3(called[i].data, called[i].shape);
  const ref = reference(node.args, weights.mha, t3(role('query')), t3(role('value')), t3(role('key') >= 0 ? role('key') : role('value')), role('attention_mask') >= 0 ? t3(role('attention_mask')) : null, c.causal ?? false);
  const scoreInputs = called.map((x) => tf.tensor(x.data, [B, ...x.shape]));
  const probs = attentionScoresTfjs(tf, model.getLayer('mha'), scoreInputs);
  const result = { spec, model, data, weights, y: { shape: y.shape, data: y.dataSync() as Float32Array }, probs: { shape: probs.shape, data: probs.dataSync() as Float32Array }, ref };
  tf.dispose([...xs, y, probs, ...scoreInputs]);
  return result;
}

// ---------------------------------------------------------------------------------------------------------------

describe('MultiHeadAttention: arguments, call, shapes and parameters', () => {
  const refuse = (f: () => unknown, message: string | RegExp, hint?: string | RegExp) => {
    let err: unknown;
    try {
      f();
    } catch (e) {
      err = e;
    }
    expect(err, String(message)).toBeInstanceOf(LayerError);
    expect((err as LayerError).message).toMatch(message);
    if (hint) expect((err as LayerError).hint ?? '').toMatch(hint);
  };
  const self = { inputNames: ['query', 'value'], args: {} };

  it('refuses bad arguments by name, with a hint', () => {
    refuse(() => MHA.validate!({ num_heads: 2 }), 'MultiHeadAttention needs key_dim', /key_dim=16/);
    refuse(() => MHA.validate!({ num_heads: 0, key_dim: 4 }), "num_heads must be a positive integer but gets 0");
    refuse(() => MHA.validate!({ num_heads: 2.5, key_dim: 4 }), "num_heads must be a positive integer but gets 2.5");
    refuse(() => MHA.validate!({ key_dim: 4 }), 'MultiHeadAttention needs num_heads');
    refuse(() => MHA.validate!({ num_heads: 2, key_dim: 4, value_dim: 0 }), 'value_dim must be a positive integer');
    refuse(() => MHA.validate!({ num_heads: 2, key_dim: 4, attention_axes: [1] }), 'attention_axes=(1,) is not supported here');
    refuse(() => MHA.validate!({ num_heads: 2, key_dim: 4, kernel_regularizer: { type: 'l2', l2: 0.01 } }), 'kernel_regularizer is not supported here');
    refuse(() => MHA.validate!({ num_heads: 2, key_dim: 4, output_shape: [0] }), 'output_shape must be a positive integer or a tuple');
    refuse(() => MHA.validate!({ num_heads: 2, key_dim: 4, dropout: 0.1, flash_attention: true }), 'dropout=0.1 is not supported with flash_attention=True');
    expect(() => MHA.validate!({ num_heads: 2, key_dim: 4, dropout: 0.1, output_shape: 8, flash_attention: false })).not.toThrow();
  });

  it('refuses call keywords it does not support, and a call without a value', () => {
    refuse(() => MHA.outputShape([[5, 4], [5, 4]], { num_heads: 1, key_dim: 2 }, { inputNames: ['query', 'value'], args: { return_attention_scores: true } }), 'return_attention_scores=True is not supported here', /Inspect/);
    refuse(() => MHA.outputShape([[5, 4], [5, 4]], { num_heads: 1, key_dim: 2 }, { inputNames: ['query', 'value'], args: { training: true } }), 'training=True is not supported here');
    refuse(() => MHA.outputShape([[5, 4]], { num_heads: 1, key_dim: 2 }, { inputNames: ['query'], args: {} }), 'needs a query and a value', /mha\(x, x\)/);
  });

  it('refuses shapes Keras refuses: key length != value length, a mask of the wrong shape, an input without a time axis', () => {
    const a = { num_heads: 2, key_dim: 3 };
    refuse(() => MHA.outputShape([[4, 5], [6, 3], [5, 3]], a, { inputNames: ['query', 'value', 'key'], args: {} }), "key has 5 steps but its value has 6", /same length/);
    refuse(() => MHA.outputShape([[4, 5], [6, 3], [6, 4]], a, { inputNames: ['query', 'value', 'attention_mask'], args: {} }), 'attention_mask must have the shape (query steps, value steps) = (4, 6) but gets (6, 4)');
    refuse(() => MHA.outputShape([[4, 5], [6, 3], [4]], a, { inputNames: ['query', 'value', 'attention_mask'], args: {} }), 'attention_mask must have the shape');
    refuse(() => MHA.outputShape([[16], [16]], a, self), 'needs a sequence (steps, features) as its query but gets (16,)', /layers.Embedding/);
    refuse(() => MHA.outputShape([[4, 4, 3], [4, 4, 3]], a, self), 'needs a sequence', /attention_axes/);
    // Keras accepts a query and a value of different widths (each has its own projection), and different lengths.
    expect(MHA.outputShape([[4, 5], [6, 3]], a, self)).toEqual([4, 5]);
  });

  it('outputs (T_q, output_shape or d_q)', () => {
    expect(MHA.outputShape([[7, 16], [7, 16]], { num_heads: 4, key_dim: 4 }, self)).toEqual([7, 16]);
    expect(MHA.outputShape([[7, 16], [3, 8]], { num_heads: 4, key_dim: 4, output_shape: 10 }, self)).toEqual([7, 10]);
    expect(MHA.outputShape([[7, 16], [3, 8]], { num_heads: 4, key_dim: 4, output_shape: [2, 5] }, self)).toEqual([7, 2, 5]);
    // Without call info the inputs are positional (query, value, key, attention_mask).
    expect(MHA.outputShape([[7, 16], [3, 8]], { num_heads: 4, key_dim: 4 })).toEqual([7, 16]);
  });

  it("counts parameters as Keras' summary does", () => {
    // Keras' docstring example: query (8, 16), value (4, 16), num_heads=2, key_dim=2:
    // query 16·2·2 + 4, key 16·2·2 + 4, value 16·2·2 + 4, output 2·2·16 + 16 = 284.
    expect(MHA.params([[8, 16], [4, 16]], { num_heads: 2, key_dim: 2 }, self)).toEqual({ trainable: 284, nonTrainable: 0 });
    // d_q 5, d_v 3, d_k 2, 2 heads, key_dim 4, value_dim 3, output 7, no biases: (5 + 2)·8 + 3·6 + 6·7.
    expect(MHA.params([[4, 5], [6, 3], [6, 2]], { num_heads: 2, key_dim: 4, value_dim: 3, output_shape: 7, use_bias: false }, { inputNames: ['query', 'value', 'key'], args: {} }).trainable).toBe(56 + 18 + 42);
    // FLOPs: projections 2·(8·16·4 + 4·16·4 + 4·16·4), scores and mixing 2·2·8·4·(2 + 2), output 2·8·4·16.
    expect(MHA.flops([[8, 16], [4, 16]], { num_heads: 2, key_dim: 2 }, self)).toBe(2 * (512 + 256 + 256) + 2 * 2 * 8 * 4 * 4 + 2 * 8 * 4 * 16);
  });

  it("names its weights as Keras does and gives them Keras' shapes, in Keras' order", () => {
    const r = run(CASES[2]);
    const w = r.weights.mha;
    expect(Object.keys(w)).toEqual(['query/kernel', 'query/bias', 'key/kernel', 'key/bias', 'value/kernel', 'value/bias', 'attention_output/kernel', 'attention_output/bias']);
    expect(w['query/kernel'].shape).toEqual([5, 2, 4]);
    expect(w['key/kernel'].shape).toEqual([2, 2, 4]);
    expect(w['value/kernel'].shape).toEqual([3, 2, 4]);
    expect(w['value/bias'].shape).toEqual([2, 4]);
    expect(w['attention_output/kernel'].shape).toEqual([2, 4, 5]);
    expect(w['attention_output/bias'].shape).toEqual([5]);
    expect(r.model.getLayer('mha').weights.map((v) => v.name)).toEqual(Object.keys(w).map((n) => `mha/${n}`));
    const sum = inferShapes(r.spec).summary!;
    expect(sum.rows.find((x) => x.id === 'mha')!.trainable).toBe(r.model.getLayer('mha').countParams());
    r.model.dispose();
  });

  it("initialises as Keras: glorot_uniform kernels with Keras' fans for (d, heads, key_dim), zero biases", () => {
    const spec = specOf({ ...CASES[0], inputs: [{ id: 'x', shape: [8, 32] }], args: { num_heads: 4, key_dim: 16 } });
    const model = buildModel(tf, spec, 3);
    const w = readTfjsWeights(model, spec).mha;
    // Keras' compute_fans for (32, 4, 16): receptive field 32, fan_in 4·32, fan_out 16·32.
    const limit = Math.sqrt(6 / (4 * 32 + 16 * 32));
    const k = w['query/kernel'].data;
    expect(Math.max(...k.map(Math.abs))).toBeLessThanOrEqual(limit);
    expect(Math.max(...k.map(Math.abs))).toBeGreaterThan(0.9 * limit);
    expect(w['query/bias'].data.every((x) => x === 0)).toBe(true);
    expect(Array.from(w['query/kernel'].data)).not.toEqual(Array.from(w['key/kernel'].data));
    model.dispose();
  });
});

describe('MultiHeadAttention: TF.js vs the float64 reference (≤ 1e-5), ONNX vs TF.js (≤ 1e-4)', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const r = run(c);
      try {
        const errOut = maxAbs(r.y.data, r.ref.out);
        const errProbs = maxAbs(r.probs.data, r.ref.probs);
        expect(errOut, 'TF.js output vs reference').toBeLessThanOrEqual(1e-5);
        expect(errProbs, 'attention probabilities vs reference').toBeLessThanOrEqual(1e-5);
        const H = c.args.num_heads as number;
        const Tq = r.y.shape[1]!;
        expect(r.probs.shape).toEqual([B, H, Tq, r.ref.probs.length / (B * H * Tq)]);
        if (c.inputs.some((x) => x.id === 'm' && x.shape[0] > 1)) {
          // Some rows are masked entirely: they come out as zeros, as Keras' Softmax with a mask gives them.
          const S = r.probs.shape[3]!;
          let zeroRows = 0;
          for (let i = 0; i < r.probs.data.length; i += S) if (r.probs.data.slice(i, i + S).every((x) => x === 0)) zeroRows++;
          expect(zeroRows, 'rows masked entirely').toBeGreaterThan(0);
        }

        const bytes = encodeModel(exportOnnx(r.spec, r.weights, { seed: 5 }));
        const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
        try {
          const feeds = Object.fromEntries(r.spec.inputs.map((inp, i) => [inp.name, new ort.Tensor('float32', r.data[i], [B, ...inp.shape])]));
          const got = (await session.run(feeds))[session.outputNames[0]];
          expect(got.dims).toEqual(r.y.shape);
          expect(maxAbs(got.data as Float32Array, r.y.data), 'ONNX vs TF.js').toBeLessThanOrEqual(1e-4);
        } finally {
          await session.release();
        }
      } finally {
        r.model.dispose();
      }
    });
  }

  it('self-attention on an intermediate tensor used again later (mha(h, h), then Add([h, a])) predicts in TF.js and ONNX', async () => {
    // tfjs-layers' predict freed h after the attention when the layer was applied to [h, h] ("Tensor is disposed").
    const spec = functionalSpec(
      [{ id: 'x', shape: [6, 8] }],
      [
        { id: 'h', kind: 'Dense', args: { units: 8 }, inputs: ['x'] },
        { id: 'mha', kind: 'MultiHeadAttention', args: { num_heads: 4, key_dim: 2, dropout: 0.1 }, inputs: ['h', 'h'] },
        { id: 'r', kind: 'Add', args: {}, inputs: ['h', 'mha'] }
      ],
      ['r']
    );
    spec.layers[1].call = { inputNames: ['query', 'value'], args: { use_causal_mask: true } };
    const model = buildModel(tf, spec, 2);
    randomizeWeights(tf, model, 3);
    const data = inputsOf(spec, 4);
    const x = tf.tensor(data[0], [B, 6, 8]);
    const y = model.predict(x) as tf.Tensor;
    const h = (model.getLayer('h').apply(x) as tf.Tensor);
    const probs = attentionScoresTfjs(tf, model.getLayer('mha'), [h, h]);
    expect(probs.shape).toEqual([B, 4, 6, 6]);
    // The layer's own input list ([h]: its distinct tensors) gives the same probabilities.
    const applied = model.getLayer('mha').input;
    expect(Array.isArray(applied) ? applied.length : 1).toBe(1);
    const again = attentionScoresTfjs(tf, model.getLayer('mha'), [h]);
    expect(maxAbs(again.dataSync(), probs.dataSync())).toBe(0);
    again.dispose();
    const session = await ort.InferenceSession.create(encodeModel(exportOnnx(spec, readTfjsWeights(model, spec))), { executionProviders: ['wasm'] });
    const got = (await session.run({ x: new ort.Tensor('float32', data[0], [B, 6, 8]) })).r;
    expect(maxAbs(got.data as Float32Array, y.dataSync())).toBeLessThanOrEqual(1e-4);
    await session.release();
    tf.dispose([x, y, h, probs]);
    model.dispose();
  });

  it('saves and loads back through TF.js serialization (model.json), with the same predictions', async () => {
    const c = CASES[10]; // mask and causal mask, cross-attention, three inputs
    const r = run(c);
    let saved: tf.io.ModelArtifacts | undefined;
    await r.model.save(
      tf.io.withSaveHandler(async (artifacts) => {
        saved = artifacts;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      })
    );
    const topology = JSON.parse(JSON.stringify(saved!.modelTopology));
    const back = await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: topology, weightSpecs: saved!.weightSpecs, weightData: saved!.weightData }));
    const xs = r.spec.inputs.map((inp, i) => tf.tensor(r.data[i], [B, ...inp.shape]));
    const y = back.predict(xs) as tf.Tensor;
    expect(maxAbs(y.dataSync(), r.y.data)).toBe(0);
    expect((back.getLayer('mha') as unknown as { kerasClassName: string }).kerasClassName).toBe('MultiHeadAttention');
    tf.dispose([...xs, y]);
    back.dispose();
    r.model.dispose();
  });

  it('the ONNX graph has few nodes, independent of the number of heads', () => {
    const count = (heads: number) => {
      const spec = specOf({ ...CASES[3], inputs: [{ id: 'x', shape: [16, 32] }], args: { num_heads: heads, key_dim: 32 / heads } });
      const model = buildModel(tf, spec, 1);
      const m = exportOnnx(spec, readTfjsWeights(model, spec));
      model.dispose();
      return m.graph.nodes.filter((n) => n.name.startsWith('mha/')).map((n) => n.op);
    };
    const ops = count(8);
    expect(count(1)).toEqual(ops);
    console.log(`MultiHeadAttention (causal) in ONNX: ${ops.length} nodes: ${ops.join(' ')}`);
    // 4 of them Reshape a kernel to (d, heads·dim): constants in the export (ORT folds them), one small op each in the step.
    expect(ops.length).toBeLessThanOrEqual(25);
    expect(ops.filter((o) => o === 'MatMul')).toHaveLength(6);
  });
});

const PYTHON = '/usr/bin/python3';
const py = needPython(['torch', 'numpy'], PYTHON);

describe('MultiHeadAttention: the PyTorch export vs TF.js (≤ 1e-4)', () => {
  let dir = '';
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));
  py.it(`every case in torch (einsum, Keras' weight layouts)${py.note}`, () => {
    dir = mkdtempSync(join(tmpdir(), 'mha-torch-'));
    const folders: Record<string, string> = {};
    const expected: Record<string, Float32Array> = {};
    CASES.forEach((c, i) => {
      const r = run(c);
      const exp = exportPytorch(r.spec, r.weights, undefined, { title: c.name });
      const folder = join(dir, `case${i}`);
      mkdirSync(folder);
      for (const f of exp.files) writeFileSync(join(folder, f.name), f.data);
      writeFileSync(join(folder, 'inputs.npz'), encodeNpz(Object.fromEntries(r.spec.inputs.map((inp, k) => [inp.name, { shape: [B, ...inp.shape], data: r.data[k] }]))));
      folders[c.name] = folder;
      expected[c.name] = r.y.data;
      r.model.dispose();
    });
    const driver = `
import importlib.util, json, sys, traceback
import numpy as np
import torch
results = {}
for name, folder in json.loads(sys.argv[1]).items():
    try:
        spec = importlib.util.spec_from_file_location("case_" + str(len(results)), folder + "/train.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        model = mod.Model()
        mod.load_weights(model, folder + "/weights.npz")
        inputs = np.load(folder + "/inputs.npz")
        ys = mod.predict(model, [inputs[n] for n in mod.INPUTS], torch.device("cpu"))
        results[name] = ys[0].astype(np.float64).ravel().tolist()
    except BaseException:
        results[name] = traceback.format_exc()[-1500:]
print(json.dumps(results))
`;
    const r = spawnSync(PYTHON, ['-c', driver, JSON.stringify(folders)], { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 * 1024 * 1024 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number[] | string>;
    for (const c of CASES) {
      const g = got[c.name];
      expect(typeof g === 'string' ? g : '', c.name).toBe('');
      expect(maxAbs(g as number[], expected[c.name]), c.name).toBeLessThanOrEqual(1e-4);
    }
  }, 180_000);
});

describe('MultiHeadAttention vs torch.nn.MultiheadAttention (float64), where its layout fits', () => {
  // torch's layer projects back to embed_dim = heads · head_dim, with value_dim = key_dim = head_dim: Keras'
  // defaults when the query is heads · key_dim wide. Its weights are Keras' kernels seen as (d, heads·dim), transposed;
  // its attn_mask is True where attention is NOT allowed; need_weights gives the per-head probabilities.
  py.it(`same outputs (≤ 1e-5) and attention probabilities (≤ 1e-6)${py.note}`, () => {
    const cases: { name: string; c: Case; mask?: (t: number, s: number) => number }[] = [
      { name: 'causal self-attention', c: { name: 'causal', inputs: [{ id: 'x', shape: [5, 6] }], args: { num_heads: 2, key_dim: 3 }, on: ['x', 'x'], names: ['query', 'value'], causal: true } },
      {
        name: 'cross-attention with key (kdim 2, vdim 3) and an attention_mask',
        c: {
          name: 'cross',
          inputs: [{ id: 'q', shape: [4, 6] }, { id: 'v', shape: [5, 3] }, { id: 'k', shape: [5, 2] }, { id: 'mk', shape: [4, 5] }],
          args: { num_heads: 3, key_dim: 2 },
          on: ['q', 'v', 'k', 'mk'],
          names: ['query', 'value', 'key', 'attention_mask']
        },
        mask: (t, s) => ((t + 2 * s) % 3 === 0 ? 0 : 1)
      }
    ];
    const jobs = cases.map(({ name, c, mask }) => {
      const spec = specOf(c);
      const model = buildModel(tf, spec, 9);
      randomizeWeights(tf, model, 10);
      const data = inputsOf(spec, 11);
      if (mask) {
        const m = data[3];
        for (let b = 0; b < B; b++) for (let t = 0; t < 4; t++) for (let s = 0; s < 5; s++) m[(b * 4 + t) * 5 + s] = mask(t, s);
      }
      const xs = spec.inputs.map((inp, i) => tf.tensor(data[i], [B, ...inp.shape]));
      const y = model.predict(xs.length === 1 ? xs[0] : xs) as tf.Tensor;
      const probs = attentionScoresTfjs(tf, model.getLayer('mha'), spec.layers[0].inputs.map((id) => xs[spec.inputs.findIndex((i) => i.id === id)]));
      const w = readTfjsWeights(model, spec).mha;
      const job = {
        name,
        heads: c.args.num_heads,
        causal: c.causal ?? false,
        inputs: spec.layers[0].inputs.map((id) => {
          const i = spec.inputs.findIndex((x) => x.id === id);
          return { shape: [B, ...spec.inputs[i].shape], data: Array.from(data[i]) };
        }),
        weights: Object.fromEntries(Object.entries(w).map(([k, v]) => [k, { shape: v.shape, data: Array.from(v.data) }])),
        y: Array.from(y.dataSync()),
        probs: Array.from(probs.dataSync())
      };
      tf.dispose([...xs, y, probs]);
      model.dispose();
      return job;
    });
    const script = `
import json, sys
import numpy as np
import torch
torch.set_default_dtype(torch.float64)
out = {}
for job in json.loads(sys.stdin.read()):
    t = lambda a: torch.tensor(np.array(a["data"], dtype=np.float64).reshape(a["shape"]))
    w = {k: t(v) for k, v in job["weights"].items()}
    xs = [t(a) for a in job["inputs"]]
    q, v = xs[0], xs[1]
    k = xs[2] if len(xs) > 2 else v
    H = job["heads"]
    d_q, E = w["query/kernel"].shape[0], w["query/kernel"].shape[1] * w["query/kernel"].shape[2]
    m = torch.nn.MultiheadAttention(E, H, batch_first=True, kdim=k.shape[-1], vdim=v.shape[-1])
    flat = lambda name: w[name].reshape(w[name].shape[0], -1).T  # Keras (d, H, dim) -> torch (H*dim, d)
    with torch.no_grad():
        if m._qkv_same_embed_dim:
            m.in_proj_weight.copy_(torch.cat([flat("query/kernel"), flat("key/kernel"), flat("value/kernel")]))
        else:
            m.q_proj_weight.copy_(flat("query/kernel")); m.k_proj_weight.copy_(flat("key/kernel")); m.v_proj_weight.copy_(flat("value/kernel"))
        m.in_proj_bias.copy_(torch.cat([w["query/bias"].flatten(), w["key/bias"].flatten(), w["value/bias"].flatten()]))
        m.out_proj.weight.copy_(w["attention_output/kernel"].reshape(E, -1).T)
        m.out_proj.bias.copy_(w["attention_output/bias"])
    T, S = q.shape[1], v.shape[1]
    blocked = torch.zeros(T, S, dtype=torch.bool)
    if job["causal"]:
        blocked |= ~torch.ones(T, S, dtype=torch.bool).tril()
    if len(xs) > 3:
        blocked = blocked[None] | (xs[3] == 0)  # (B, T, S) -> (B*H, T, S), batch-major as torch wants
        blocked = blocked.repeat_interleave(H, 0)
    y, p = m(q, k, v, attn_mask=blocked, need_weights=True, average_attn_weights=False)
    out[job["name"]] = {"y": float((y.flatten() - torch.tensor(job["y"])).abs().max()), "p": float((p.flatten() - torch.tensor(job["probs"])).abs().max())}
print(json.dumps(out))
`;
    const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(jobs), encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr.slice(-2000)).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, { y: number; p: number }>;
    console.log('TF.js vs torch.nn.MultiheadAttention (float64):', JSON.stringify(got));
    for (const { name } of cases) {
      expect(got[name].y, `${name}: output`).toBeLessThanOrEqual(1e-5);
      expect(got[name].p, `${name}: probabilities`).toBeLessThanOrEqual(1e-6);
    }
  }, 60_000);
});

describe('MultiHeadAttention: config', () => {
  it('mhaConfig resolves value_dim and output_shape as Keras', () => {
    expect(mhaConfig({ num_heads: 2, key_dim: 3 })).toMatchObject({ valueDim: 3, outputShape: null, dropout: 0, useBias: true });
    expect(mhaConfig({ num_heads: 2, key_dim: 3, value_dim: 5, output_shape: 4 })).toMatchObject({ valueDim: 5, outputShape: [4] });
  });
});
