/**
 * KerasHub's blocks end to end: small programs written with `keras_hub.layers` (a tiny GPT with a loop of decoders, a
 * pre-norm GELU encoder, a non-causal pre-norm decoder whose num_heads does not divide the width) are parsed (the
 * builder expands each block through its `compose`), summarised (parameters per block), built in TF.js with seeded
 * random weights, predicted on token ids, exported to ONNX and run in ONNX Runtime (wasm), and compared with
 *  - a float64 NumPy implementation of KerasHub's `call`s, written here from KerasHub's source (it finds each weight
 *    by KerasHub's sublayer names, so a wrong structure or name fails it), always (python3 + numpy);
 *  - the PyTorch export (`train.py --weights`), in torch (python3 + torch); the ONNX files pass onnx.checker;
 *  - KerasHub itself (Keras 3, JAX backend, float64), which runs the program as the Keras printer writes it back
 *    (checked to parse to the same spec), loads the weights by their Keras paths (every one, both ways) and checks
 *    the parameter count of every block, when KERAS_HUB_PYTHON names a Python that imports keras and keras_hub
 *    (opt-in: CI does not install them). E.g.
 *    KERAS_HUB_PYTHON=/path/venv/bin/python npx vitest run src/lib/layers/keras_hub_blocks.e2e.test.ts
 *    Checked with Keras 3.15.1 + jax 0.10 and KerasHub's source; `import keras_hub` loads its models and tokenizers
 *    too (tokenizers, tensorflow-text, kagglehub): a package `keras_hub` that only imports the four modeling layers
 *    from KerasHub's source (keras_hub/src/layers/modeling/*.py) is enough here.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { groupSummaryRows } from '$lib/components/summary-groups';
import { Rng } from '$lib/data/rng';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { parseProgram } from '$lib/keras/parse';
import { printKeras } from '$lib/keras/print';
import { exportOnnx, type WeightMap } from '$lib/onnx/export';
import { inputTensor } from '$lib/onnx/export-feeds';
import { encodeModel } from '$lib/onnx/graph';
import { exportPytorch } from '$lib/pytorch/export';
import { encodeNpz, type NpyArray } from '$lib/pytorch/npy';
import { inferShapes } from '$lib/spec/shape';
import type { ModelSpec } from '$lib/spec/types';
import { needPython } from '$lib/test-python';

const B = 3;

interface Case {
  name: string;
  source: string;
  vocab: number;
  /** The same model written with the NumPy reference below (`ids` are the token ids, `W(node, weight)` a weight). */
  reference: string;
  /** Parameters per block (and top-level layer) as KerasHub's model.summary() prints them (Keras 3.15, KerasHub). */
  params: Record<string, number>;
}

const HEADER = 'import keras\nfrom keras import layers\nimport keras_hub\n\n';

const CASES: Case[] = [
  {
    name: 'tiny GPT: TokenAndPositionEmbedding, a loop of 2 TransformerDecoder, Dense',
    vocab: 20,
    source:
      HEADER +
      'vocab_size = 20\nseq_len = 8\nd_model = 16\nn_heads = 4\n' +
      'inputs = keras.Input(shape=(seq_len,), dtype="int32")\n' +
      'x = keras_hub.layers.TokenAndPositionEmbedding(vocab_size, seq_len, d_model)(inputs)\n' +
      'for i in range(2):\n' +
      '    x = keras_hub.layers.TransformerDecoder(intermediate_dim=2 * d_model, num_heads=n_heads)(x)\n' +
      'outputs = layers.Dense(vocab_size)(x)\n' +
      'model = keras.Model(inputs=inputs, outputs=outputs)\n',
    reference: [
      'x = token_and_position(ids, "token_and_position_embedding")',
      'x = transformer(x, "transformer_decoder", "self_attention", heads=4, act="relu", eps=1e-5, norm_first=False, causal=True)',
      'x = transformer(x, "transformer_decoder_1", "self_attention", heads=4, act="relu", eps=1e-5, norm_first=False, causal=True)',
      'y = dense(x, "dense", None)'
    ].join('\n'),
    params: { token_and_position_embedding: 448, transformer_decoder: 2224, transformer_decoder_1: 2224, dense: 340 }
  },
  {
    name: 'TransformerEncoder pre-norm, gelu, dropout, epsilon 1e-3, on 6 of 10 positions',
    vocab: 12,
    source:
      HEADER +
      'inputs = keras.Input(shape=(6,), dtype="int32")\n' +
      'x = keras_hub.layers.TokenAndPositionEmbedding(12, 10, 12, embeddings_initializer="glorot_uniform")(inputs)\n' +
      'x = keras_hub.layers.TransformerEncoder(24, 3, dropout=0.1, activation="gelu", layer_norm_epsilon=1e-3, normalize_first=True)(x)\n' +
      'outputs = layers.Dense(4)(x)\n' +
      'model = keras.Model(inputs=inputs, outputs=outputs)\n',
    reference: [
      'x = token_and_position(ids, "token_and_position_embedding")',
      'x = transformer(x, "transformer_encoder", "self_attention_layer", heads=3, act="gelu", eps=1e-3, norm_first=True, causal=False)',
      'y = dense(x, "dense", None)'
    ].join('\n'),
    params: { token_and_position_embedding: 264, transformer_encoder: 1284, dense: 52 }
  },
  {
    name: 'TransformerDecoder pre-norm, use_causal_mask=False, 4 heads on width 10 (key_dim 2), then a post-norm encoder',
    vocab: 10,
    source:
      HEADER +
      'inputs = keras.Input(shape=(5,), dtype="int32")\n' +
      'x = keras_hub.layers.TokenAndPositionEmbedding(vocabulary_size=10, sequence_length=5, embedding_dim=10)(inputs)\n' +
      'x = keras_hub.layers.TransformerDecoder(16, 4, normalize_first=True)(x, use_causal_mask=False)\n' +
      'x = keras_hub.layers.TransformerEncoder(8, 2, activation="tanh")(x)\n' +
      'outputs = layers.Dense(3, activation="softmax")(x)\n' +
      'model = keras.Model(inputs=inputs, outputs=outputs)\n',
    reference: [
      'x = token_and_position(ids, "token_and_position_embedding")',
      'x = transformer(x, "transformer_decoder", "self_attention", heads=4, act="relu", eps=1e-5, norm_first=True, causal=False)',
      'x = transformer(x, "transformer_encoder", "self_attention_layer", heads=2, act="tanh", eps=1e-5, norm_first=False, causal=False)',
      'y = dense(x, "dense", "softmax")'
    ].join('\n'),
    params: { token_and_position_embedding: 150, transformer_decoder: 740, transformer_encoder: 658, dense: 33 }
  }
];

/** The float64 reference: KerasHub's `call`s (transformer_encoder.py / transformer_decoder.py) in NumPy. */
const NUMPY_REFERENCE = `
import json, math, sys
import numpy as np

def run_case(folder, code):
    w = np.load(folder + "/weights.npz")
    ids = np.load(folder + "/inputs.npz")["ids"].astype(np.int64)
    def W(node, name):
        return w[node + "/" + name].astype(np.float64)
    erf = np.vectorize(math.erf)
    acts = {None: lambda v: v, "relu": lambda v: np.maximum(v, 0), "tanh": np.tanh,
            "gelu": lambda v: 0.5 * v * (1 + erf(v / math.sqrt(2))),
            "softmax": lambda v: np.exp(v - v.max(-1, keepdims=True)) / np.exp(v - v.max(-1, keepdims=True)).sum(-1, keepdims=True)}
    def dense(x, node, act):
        return acts[act](x @ W(node, "kernel") + W(node, "bias"))
    def layer_norm(x, node, eps):
        m = x.mean(-1, keepdims=True)
        v = ((x - m) ** 2).mean(-1, keepdims=True)
        return (x - m) / np.sqrt(v + eps) * W(node, "gamma") + W(node, "beta")
    def attention(x, node, heads, causal):
        key_dim = x.shape[-1] // heads
        proj = lambda name: np.einsum("btd,dhk->bthk", x, W(node, name + "/kernel")) + W(node, name + "/bias")
        q, k, v = proj("query") / math.sqrt(key_dim), proj("key"), proj("value")
        s = np.einsum("bthk,bshk->bhts", q, k)
        if causal:
            t = x.shape[1]
            s = np.where(np.tril(np.ones((t, t), bool)), s, -np.inf)
        p = np.exp(s - s.max(-1, keepdims=True))
        p = p / p.sum(-1, keepdims=True)
        o = np.einsum("bhts,bshk->bthk", p, v)
        return np.einsum("bthk,hkd->btd", o, W(node, "attention_output/kernel")) + W(node, "attention_output/bias")
    def transformer(x, block, attn, heads, act, eps, norm_first, causal):
        # Dropout is the identity at inference.
        residual = x
        if norm_first: x = layer_norm(x, block + "_self_attention_layer_norm", eps)
        x = attention(x, block + "_" + attn, heads, causal)
        x = x + residual
        if not norm_first: x = layer_norm(x, block + "_self_attention_layer_norm", eps)
        residual = x
        if norm_first: x = layer_norm(x, block + "_feedforward_layer_norm", eps)
        x = dense(x, block + "_feedforward_intermediate_dense", act)
        x = dense(x, block + "_feedforward_output_dense", None)
        x = x + residual
        if not norm_first: x = layer_norm(x, block + "_feedforward_layer_norm", eps)
        return x
    def token_and_position(ids, block):
        tokens = W(block + "_token_embedding", "embeddings")[ids]
        return tokens + W(block + "_position_embedding", "embeddings")[: ids.shape[1]]
    scope = dict(ids=ids, dense=dense, transformer=transformer, token_and_position=token_and_position)
    exec(code, scope)
    return scope["y"]

cases = json.loads(sys.argv[2])
out = []
for i, code in enumerate(cases):
    y = run_case(sys.argv[1] + "/case" + str(i), code)
    out.append({"shape": list(y.shape), "data": y.ravel().tolist()})
print(json.dumps(out))
`;

/** KerasHub itself: runs each program (as printed back), loads the weights by Keras path, predicts in float64. */
const KERAS_HUB_REFERENCE = `
import json, os, sys
os.environ["KERAS_BACKEND"] = "jax"
import jax
jax.config.update("jax_enable_x64", True)
import numpy as np
import keras
keras.config.set_floatx("float64")

out = []
for i, src in enumerate(json.loads(sys.argv[2])):
    folder = sys.argv[1] + "/case" + str(i)
    w = np.load(folder + "/weights.npz")
    ids = np.load(folder + "/inputs.npz")["ids"]
    # A fresh session per program, so its layers get the names the playground gives them (no _1 suffixes).
    keras.backend.clear_session()
    keras.config.set_floatx("float64")
    scope = {}
    exec(src, scope)
    model = scope["model"]
    used = set()
    for v in model.weights:
        # Keras path block/sublayer/.../weight -> playground node block_sublayer, weight name .../weight.
        parts = v.path.split("/")
        keys = ["_".join(parts[:k]) + "/" + "/".join(parts[k:]) for k in range(1, len(parts))]
        key = next((k for k in keys if k in w.files), None)
        if key is None:
            raise SystemExit("no playground weight for Keras weight " + v.path + " (tried " + ", ".join(keys) + ")")
        assert tuple(w[key].shape) == tuple(v.shape), (v.path, w[key].shape, v.shape)
        v.assign(w[key].astype(np.float64))
        used.add(key)
    unused = sorted(set(w.files) - used)
    if unused:
        raise SystemExit("playground weights Keras does not have: " + ", ".join(unused))
    y = np.asarray(model.predict(ids, verbose=0), dtype=np.float64)
    params = {layer.name: int(layer.count_params()) for layer in model.layers if layer.count_params() > 0}
    out.append({"shape": list(y.shape), "data": y.ravel().tolist(), "params": params})
print(json.dumps(out))
`;

interface Built {
  spec: ModelSpec;
  /** The program as the Keras printer writes it back. */
  printed: string;
  ids: Int32Array;
  weights: WeightMap;
  tfjs: { shape: number[]; data: Float32Array };
}

const built: Built[] = [];
let dir = '';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
  dir = mkdtempSync(join(tmpdir(), 'keras-hub-e2e-'));
});
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

function parse(c: Case): ModelSpec {
  const { spec, diagnostics } = parseProgram(c.source, {});
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!spec || errors.length) throw new Error(`${c.name} does not parse: ${errors.map((d) => `line ${d.span.line}: ${d.message}`).join('; ')}`);
  return spec;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

/** Writes a case's weights (`node/weight` keys) and inputs for Python. */
function writeCase(i: number, b: Built) {
  const folder = join(dir, `case${i}`);
  mkdirSync(folder, { recursive: true });
  const arrays: Record<string, NpyArray> = {};
  for (const [node, ws] of Object.entries(b.weights)) for (const [name, t] of Object.entries(ws)) arrays[`${node}/${name}`] = { shape: t.shape, data: t.data };
  writeFileSync(join(folder, 'weights.npz'), encodeNpz(arrays));
  writeFileSync(join(folder, 'inputs.npz'), encodeNpz({ ids: { shape: [B, b.spec.inputs[0].shape[0]], data: b.ids } }));
}

describe('KerasHub blocks: parse, summary, TF.js, ONNX Runtime', () => {
  CASES.forEach((c, n) => {
    it(c.name, async () => {
      const spec = parse(c);
      // Parameters per block, as KerasHub counts them.
      const { summary } = inferShapes(spec);
      const perBlock = Object.fromEntries(groupSummaryRows(summary!.rows).flatMap((item) => (item.type === 'block' ? [[item.id, item.trainable]] : item.row.trainable ? [[item.row.id, item.row.trainable]] : [])));
      expect(perBlock).toEqual(c.params);

      const model = buildModel(tf, spec, 11 + n);
      try {
        randomizeWeights(tf, model, 21 + n);
        const rng = new Rng(31 + n);
        const T = spec.inputs[0].shape[0];
        const ids = Int32Array.from({ length: B * T }, () => rng.int(c.vocab));
        const x = tf.tensor(ids, [B, T], 'int32');
        const y = model.predict(x) as tf.Tensor;
        const tfjs = { shape: y.shape, data: y.dataSync() as Float32Array };
        tf.dispose([x, y]);
        expect(tfjs.data.every(Number.isFinite)).toBe(true);
        const weights = readTfjsWeights(model, spec);
        // The Keras printer writes each block back as one call; parsing that gives the same model.
        const printed = printKeras(spec);
        const noSpans = (s: ModelSpec): unknown => JSON.parse(JSON.stringify(s, (k, v) => (k === 'span' ? undefined : v)));
        expect(noSpans(parse({ ...c, source: printed })), printed).toEqual(noSpans(spec));
        expect(printed).toContain('keras_hub.layers.');
        built[n] = { spec, printed, ids, weights, tfjs };
        writeCase(n, built[n]);

        const bytes = encodeModel(exportOnnx(spec, weights, { source: c.source, seed: 1 }));
        writeFileSync(join(dir, `case${n}`, 'model.onnx'), bytes);
        const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
        try {
          const name = session.inputNames[0];
          const result = await session.run({ [name]: inputTensor(ort, session, name, Float32Array.from(ids), [B, T]) });
          const got = result[spec.outputs[0]];
          expect(got.dims).toEqual(tfjs.shape);
          const d = maxAbsDiff(got.data as Float32Array, tfjs.data);
          console.log(`${c.name}: max |ORT - TF.js| = ${d.toExponential(2)}`);
          expect(d).toBeLessThanOrEqual(1e-4);
        } finally {
          await session.release();
        }
      } finally {
        model.dispose();
      }
    }, 60_000);
  });

  const py = needPython(['numpy'], '/usr/bin/python3');
  py.it(`TF.js matches a float64 NumPy implementation of KerasHub's calls${py.note}`, () => {
    expect(built.filter(Boolean).length).toBe(CASES.length);
    const r = spawnSync(py.python, ['-c', NUMPY_REFERENCE, dir, JSON.stringify(CASES.map((c) => c.reference))], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as { shape: number[]; data: number[] }[];
    CASES.forEach((c, i) => {
      expect(got[i].shape).toEqual(built[i].tfjs.shape);
      const d = maxAbsDiff(got[i].data, built[i].tfjs.data);
      console.log(`${c.name}: max |TF.js - float64 NumPy| = ${d.toExponential(2)}`);
      expect(d).toBeLessThanOrEqual(1e-4);
    });
  }, 60_000);

  const checker = needPython(['onnx'], '/usr/bin/python3');
  checker.it(`the exported ONNX models pass onnx.checker (full_check)${checker.note}`, () => {
    expect(built.filter(Boolean).length).toBe(CASES.length);
    const script = 'import onnx, sys\nfor p in sys.argv[1:]:\n    onnx.checker.check_model(onnx.load(p), full_check=True)\nprint("ok")';
    const r = spawnSync(checker.python, ['-c', script, ...CASES.map((_, i) => join(dir, `case${i}`, 'model.onnx'))], { encoding: 'utf8' });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
  }, 60_000);

  const torch = needPython(['numpy', 'torch'], '/usr/bin/python3');
  torch.it(`the PyTorch export matches TF.js${torch.note}`, () => {
    expect(built.filter(Boolean).length).toBe(CASES.length);
    built.forEach((b, i) => {
      const folder = join(dir, `torch${i}`);
      mkdirSync(folder);
      for (const f of exportPytorch(b.spec, b.weights, undefined, { title: CASES[i].name }).files) writeFileSync(join(folder, f.name), f.data);
      writeFileSync(join(folder, 'inputs.npz'), encodeNpz({ [b.spec.inputs[0].name]: { shape: [B, b.spec.inputs[0].shape[0]], data: b.ids } }));
    });
    const script = `
import importlib.util, json, sys, numpy as np, torch
out = []
for i in range(${CASES.length}):
    folder = sys.argv[1] + "/torch" + str(i)
    s = importlib.util.spec_from_file_location("case" + str(i), folder + "/train.py")
    mod = importlib.util.module_from_spec(s); s.loader.exec_module(mod)
    model = mod.Model(); mod.load_weights(model, folder + "/weights.npz")
    inputs = np.load(folder + "/inputs.npz")
    ys = mod.predict(model, [inputs[n] for n in mod.INPUTS], torch.device("cpu"))
    out.append({"shape": list(ys[0].shape), "data": ys[0].astype(np.float64).ravel().tolist()})
print(json.dumps(out))
`;
    const r = spawnSync(torch.python, ['-c', script, dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as { shape: number[]; data: number[] }[];
    CASES.forEach((c, i) => {
      expect(got[i].shape).toEqual(built[i].tfjs.shape);
      const d = maxAbsDiff(got[i].data, built[i].tfjs.data);
      console.log(`${c.name}: max |torch - TF.js| = ${d.toExponential(2)}`);
      expect(d).toBeLessThanOrEqual(1e-4);
    });
  }, 120_000);

  const khPython = process.env.KERAS_HUB_PYTHON;
  (khPython ? it : it.skip)(`TF.js matches KerasHub itself (float64), and the parameters of every block${khPython ? '' : ' — SKIPPED: set KERAS_HUB_PYTHON'}`, () => {
    expect(built.filter(Boolean).length).toBe(CASES.length);
    const r = spawnSync(khPython!, ['-c', KERAS_HUB_REFERENCE, dir, JSON.stringify(built.map((b) => b.printed))], { encoding: 'utf8', maxBuffer: 1 << 26, timeout: 300_000 });
    expect(r.status, r.stderr.slice(-3000) + r.stdout.slice(-2000)).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as { shape: number[]; data: number[]; params: Record<string, number> }[];
    CASES.forEach((c, i) => {
      expect(got[i].params).toEqual(c.params);
      expect(got[i].shape).toEqual(built[i].tfjs.shape);
      const d = maxAbsDiff(got[i].data, built[i].tfjs.data);
      console.log(`${c.name}: max |TF.js - KerasHub float64| = ${d.toExponential(2)}`);
      expect(d).toBeLessThanOrEqual(1e-4);
    });
  }, 300_000);
});
