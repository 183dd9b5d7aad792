/**
 * Bidirectional: shapes and parameters, validation of the wrapped layer (contract: `{ kind, args }`), the TF.js
 * lowering against the float64 reference (forward copy = rnnStates of the layer; backward copy = rnnStates with
 * go_backwards flipped, its sequence flipped back as Keras does), and the ONNX export against TF.js in ORT. Specs are
 * built by hand (the parser side of layer-valued arguments is the parser's).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '$lib/data/rng';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { exportOnnx } from '$lib/onnx/export';
import { encodeModel } from '$lib/onnx/graph';
import { sequentialSpec, withDefaults } from '$lib/spec/fixtures';
import type { ArgValue, ModelSpec } from '$lib/spec/types';
import { getLayer } from './index';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportPytorch } from '$lib/pytorch/export';
import { encodeNpz } from '$lib/pytorch/npy';
import { needPython } from '$lib/test-python';
import { recurrentStates, rnnStates, type RnnKind } from './rnn-reference';
import { LayerError } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

const T = 5;
const F = 3;
const B = 2;

function bidiSpec(kind: RnnKind, inner: Record<string, ArgValue>, merge: string, input = [T, F], extra: { kind: string; args: Record<string, ArgValue> }[] = []): ModelSpec {
  return sequentialSpec({
    input,
    layers: [{ kind: 'Bidirectional', args: { layer: { kind, args: withDefaults(kind, inner) }, merge_mode: merge } }, ...extra],
    noFit: true
  });
}

const exported: Uint8Array[] = [];

const CASES: { kind: RnnKind; inner: Record<string, ArgValue>; merge: string }[] = [
  { kind: 'LSTM', inner: { units: 3 }, merge: 'concat' },
  { kind: 'LSTM', inner: { units: 3, return_sequences: true }, merge: 'concat' },
  { kind: 'GRU', inner: { units: 2, return_sequences: true }, merge: 'sum' },
  { kind: 'GRU', inner: { units: 2, reset_after: false, go_backwards: true, return_sequences: true }, merge: 'mul' },
  { kind: 'SimpleRNN', inner: { units: 4, return_sequences: true }, merge: 'ave' },
  { kind: 'SimpleRNN', inner: { units: 2, go_backwards: true }, merge: 'concat' }
];

describe('Bidirectional: arguments, shapes, parameters', () => {
  const def = getLayer('Bidirectional')!;
  const arg = (kind: string, inner: Record<string, ArgValue>, merge_mode: ArgValue = 'concat') => ({ layer: { kind, args: withDefaults(kind, inner) }, merge_mode });
  it('doubles the units with concat, keeps them otherwise; twice the parameters', () => {
    expect(def.outputShape([[7, 3]], arg('LSTM', { units: 4 }))).toEqual([8]);
    expect(def.outputShape([[7, 3]], arg('GRU', { units: 4, return_sequences: true }, 'sum'))).toEqual([7, 4]);
    expect(def.params([[7, 3]], arg('LSTM', { units: 4 })).trainable).toBe(2 * 4 * (12 + 16 + 4));
    expect(def.params([[7, 3]], arg('GRU', { units: 4 })).trainable).toBe(2 * 3 * (12 + 16 + 8));
  });
  it('refuses merge_mode=None, a non-recurrent layer, the inner layer\'s refusals and inputs without a time axis', () => {
    expect(() => def.validate!(arg('LSTM', { units: 2 }, null))).toThrow('merge_mode=None');
    expect(() => def.validate!({ layer: { kind: 'Dense', args: withDefaults('Dense', { units: 2 }) } })).toThrow('can wrap SimpleRNN, LSTM or GRU but gets Dense');
    expect(() => def.validate!({ layer: 3 })).toThrow(LayerError);
    expect(() => def.validate!(arg('LSTM', { units: 2, dropout: 0.5 }))).toThrow('dropout=0.5 is not supported');
    expect(() => def.outputShape([[12]], arg('GRU', { units: 2 }))).toThrow('no time axis');
  });
});

describe('Bidirectional TF.js = float64 reference; ONNX = TF.js', () => {
  CASES.forEach(({ kind, inner, merge }, n) => {
    it(`Bidirectional(${kind}(${JSON.stringify(inner)}), merge_mode=${merge})`, async () => {
      const spec = bidiSpec(kind, inner, merge);
      const model = buildModel(tf, spec, 1);
      randomizeWeights(tf, model, 40 + n);
      const rng = new Rng(60 + n);
      const x = Array.from({ length: B }, () => Array.from({ length: T }, () => Array.from({ length: F }, () => rng.next() * 4 - 2)));
      const y = model.predict(tf.tensor(x.flat(2), [B, T, F])) as tf.Tensor;
      const got = y.dataSync() as Float32Array;
      const weights = readTfjsWeights(model, spec);
      const w = weights[spec.layers[0].id];
      const inner_ = ({ LSTM: 'lstm', GRU: 'gru', SimpleRNN: 'simple_rnn' } as const)[kind];
      const pick = (dir: string) => ({ kernel: w[`${dir}_${inner_}/kernel`].data, recurrent_kernel: w[`${dir}_${inner_}/recurrent_kernel`].data, bias: w[`${dir}_${inner_}/bias`]?.data });
      expect(Object.keys(w).sort()).toEqual(['backward', 'forward'].flatMap((d) => ['bias', 'kernel', 'recurrent_kernel'].map((k) => `${d}_${inner_}/${k}`)).sort());
      const want: number[] = [];
      const u = inner.units as number;
      for (let b = 0; b < B; b++) {
        const fw = rnnStates(kind, inner, pick('forward'), x[b]).h;
        const bw = rnnStates(kind, { ...inner, go_backwards: !inner.go_backwards }, pick('backward'), x[b]).h;
        const rows = inner.return_sequences ? fw.map((h, t) => [h, bw[T - 1 - t]]) : [[fw[T - 1], bw[T - 1]]];
        for (const [a, c] of rows) {
          if (merge === 'concat') want.push(...a, ...c);
          else for (let j = 0; j < u; j++) want.push(merge === 'sum' ? a[j] + c[j] : merge === 'mul' ? a[j] * c[j] : (a[j] + c[j]) / 2);
        }
      }
      expect(got.length).toBe(want.length);
      let worst = 0;
      want.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - got[i]))));
      expect(worst).toBeLessThanOrEqual(1e-5);
      // The Inspect pictures: forward and backward states in input order; their last/first rows are the output's.
      const pics = recurrentStates('Bidirectional', spec.layers[0].args, w, x[0])!;
      expect(pics.map((p) => p.label)).toEqual(kind === 'LSTM' ? ['forward hidden state', 'forward cell state', 'backward hidden state', 'backward cell state'] : ['forward hidden state', 'backward hidden state']);
      const bwPic = pics.find((p) => p.label === 'backward hidden state')!.values;
      if (merge === 'concat' && !inner.return_sequences && !inner.go_backwards) {
        // Last state of the backward pass = after reading input step 0.
        bwPic[0].forEach((v, j) => expect(Math.abs(v - got[u + j])).toBeLessThan(1e-5));
      }

      const bytes = encodeModel(exportOnnx(spec, weights));
      exported.push(bytes);
      const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', Float32Array.from(x.flat(2)), [B, T, F]) };
      const out = (await session.run(feeds))[session.outputNames[0]];
      expect(out.dims).toEqual(y.shape);
      let worstOnnx = 0;
      (out.data as Float32Array).forEach((v, i) => (worstOnnx = Math.max(worstOnnx, Math.abs(v - got[i]))));
      expect(worstOnnx).toBeLessThanOrEqual(1e-4);
      await session.release();
      tf.dispose(y);
      model.dispose();
    });
  });
});

describe('exported Bidirectional models pass the ONNX checker', () => {
  const checker = needPython(['onnx'], '/usr/bin/python3');
  checker.it(`onnx.checker.check_model(full_check=True)${checker.note}`, () => {
    expect(exported.length).toBe(CASES.length);
    const dir = mkdtempSync(join(tmpdir(), 'bidi-onnx-'));
    try {
      exported.forEach((b, i) => writeFileSync(join(dir, `m${i}.onnx`), b));
      const script = `import onnx, sys, glob\nfor f in sorted(glob.glob(sys.argv[1] + "/*.onnx")): onnx.checker.check_model(onnx.load(f), full_check=True)\nprint("ok")`;
      const r = spawnSync(checker.python, ['-c', script, dir], { encoding: 'utf8' });
      expect(r.status, r.stderr.slice(-2000)).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Bidirectional PyTorch export = TF.js', () => {
  const py = needPython(['torch', 'numpy'], '/usr/bin/python3');
  py.it(`train.py (explicit loops, Keras-layout weights) predicts as TF.js ≤ 1e-4 for ${CASES.length} configurations${py.note}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'bidi-torch-'));
    try {
      const want: { shape: number[]; data: Float32Array }[] = [];
      CASES.forEach(({ kind, inner, merge }, n) => {
        const spec = bidiSpec(kind, inner, merge, [T, F], [{ kind: 'Dense', args: { units: 2 } }]);
        const model = buildModel(tf, spec, 1);
        randomizeWeights(tf, model, 80 + n);
        const rng = new Rng(90 + n);
        const x = Float32Array.from({ length: B * T * F }, () => rng.next() * 4 - 2);
        const y = model.predict(tf.tensor(x, [B, T, F])) as tf.Tensor;
        want.push({ shape: y.shape, data: y.dataSync() as Float32Array });
        const folder = join(dir, `case${n}`);
        mkdirSync(folder);
        for (const f of exportPytorch(spec, readTfjsWeights(model, spec), undefined, { title: `bidi ${n}` }).files) writeFileSync(join(folder, f.name), f.data);
        writeFileSync(join(folder, 'inputs.npz'), encodeNpz({ [spec.inputs[0].name]: { shape: [B, T, F], data: x } }));
        tf.dispose(y);
        model.dispose();
      });
      const script = `
import importlib.util, json, sys, numpy as np, torch
out = []
for i in range(${CASES.length}):
    folder = sys.argv[1] + "/case" + str(i)
    s = importlib.util.spec_from_file_location("case" + str(i), folder + "/train.py")
    mod = importlib.util.module_from_spec(s); s.loader.exec_module(mod)
    model = mod.Model(); mod.load_weights(model, folder + "/weights.npz")
    inputs = np.load(folder + "/inputs.npz")
    ys = mod.predict(model, [inputs[n] for n in mod.INPUTS], torch.device("cpu"))
    out.append({"shape": list(ys[0].shape), "data": ys[0].astype(np.float64).ravel().tolist()})
print(json.dumps(out))
`;
      const r = spawnSync(py.python, ['-c', script, dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
      expect(r.status, r.stderr.slice(-3000)).toBe(0);
      const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as { shape: number[]; data: number[] }[];
      const deltas = want.map((w, i) => {
        expect(got[i].shape).toEqual(w.shape);
        return Math.max(...Array.from(w.data, (v, j) => Math.abs(v - got[i].data[j])));
      });
      console.log(`Bidirectional torch vs TF.js: ${deltas.map((d) => d.toExponential(1)).join(', ')}`);
      for (const d of deltas) expect(d).toBeLessThanOrEqual(1e-4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
