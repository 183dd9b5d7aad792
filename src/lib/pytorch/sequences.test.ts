/**
 * The PyTorch lowering on sequences: the loss (`LossDef.toPytorch`) and the metrics (`MetricVariant.toPytorch`) on
 * outputs (batch, time, classes) against per-step class indices (batch, time), run by torch (float64) against TF.js'
 * values; and an int32 `keras.Input` exported as int64 token ids (INPUT_DTYPES, load_data, predict).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { parseProgram } from '$lib/keras/parse';
import { getLayer } from '$lib/layers';
import { getLoss } from '$lib/losses';
import { getMetric } from '$lib/metrics';
import { needPython } from '$lib/test-python';
import { exportPytorch } from './export';
import { encodeNpz } from './npy';
import { printPytorchScript } from './print';

const PYTHON = '/usr/bin/python3';
const py = needPython(['torch', 'numpy'], PYTHON);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 3;
const T = 5;
const V = 4;
const z = Float32Array.from({ length: B * T * V }, (_, i) => 2 * Math.sin(i * 1.37 + 0.2));
const y = Float32Array.from({ length: B * T }, (_, i) => (i * 5 + 1) % V);

/** The loss function TF.js' LayersModel.compile resolves for sparse_categorical_crossentropy (what the eager engine uses). */
function tfjsLoss(yTrue: tf.Tensor, yPred: tf.Tensor): tf.Tensor {
  const input = tf.input({ shape: [T, V] });
  const m = tf.model({ inputs: input, outputs: tf.layers.activation({ activation: 'linear' }).apply(input) as tf.SymbolicTensor });
  m.compile({ optimizer: 'sgd', loss: getLoss('sparse_categorical_crossentropy')!.tfjs });
  return (m.lossFunctions[0] as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor)(yTrue, yPred);
}

function python(script: string): string {
  const r = spawnSync(PYTHON, ['-c', script], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`python exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return r.stdout.trim().split('\n').pop()!;
}

describe('PyTorch: loss and metrics on (batch, time, classes)', () => {
  py.it(`sparse_categorical_crossentropy and accuracy in torch match TF.js (rel ≤ 1e-5)${py.note}`, () => {
    const loss = getLoss('sparse_categorical_crossentropy')!;
    const acc = getMetric('accuracy')!.resolve(loss.name, V);
    const named = getMetric('sparse_categorical_accuracy')!.resolve(loss.name, V);
    const pred = tf.softmax(tf.tensor3d(z, [B, T, V]));
    const yt = tf.tensor2d(y, [B, T]);
    const wantLoss = tf.mean(tfjsLoss(yt, pred)).dataSync()[0];
    const wantAcc = tf.mean(acc.toTfjs(tf)(yt, pred)).dataSync()[0];
    const script = [
      'import json, torch',
      'EPS = 1e-7',
      'def loss_fn(pred, y):',
      ...loss.toPytorch!.map((l) => `    ${l}`),
      `z = torch.tensor(${JSON.stringify(Array.from(z))}, dtype=torch.float64).reshape(${B}, ${T}, ${V})`,
      'pred = torch.softmax(z, dim=-1)',
      `y = torch.tensor(${JSON.stringify(Array.from(y))}).long().reshape(${B}, ${T})`,
      `acc = ${acc.toPytorch!('pred', 'y')}`,
      `named = ${named.toPytorch!('pred', 'y')}`,
      'print(json.dumps([float(loss_fn(pred, y)), float(acc), float(named)]))'
    ].join('\n');
    const [gotLoss, gotAcc, gotNamed] = JSON.parse(python(script)) as number[];
    expect(Math.abs(gotLoss - wantLoss) / wantLoss).toBeLessThan(1e-5);
    expect(wantAcc).toBeGreaterThan(0);
    expect(Math.abs(gotAcc - wantAcc)).toBeLessThan(1e-6);
    expect(Math.abs(gotNamed - wantAcc)).toBeLessThan(1e-6);
    // The comparison can fail: the loss of the first sequence only differs.
    const firstOnly = tf.mean(tfjsLoss(yt.slice([0, 0], [1, T]), pred.slice([0, 0, 0], [1, T, V]))).dataSync()[0];
    expect(Math.abs(firstOnly - wantLoss) / wantLoss).toBeGreaterThan(1e-3);
  });
});

const SEQ = 6;
const INT_PROGRAM = (body: string) => `import keras\nfrom keras import layers\n\nmodel = keras.Sequential([\n    keras.Input(shape=(seq_len,), dtype="int32"),\n${body}])\nmodel.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])\n`;

function intSpec(body: string) {
  const r = parseProgram(INT_PROGRAM(body), { constants: { seq_len: SEQ, vocab_size: 10 } });
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.spec;
}

describe('PyTorch: keras.Input(dtype="int32")', () => {
  it('feeds int64 token ids (INPUT_DTYPES) and float32 otherwise', () => {
    const code = printPytorchScript(intSpec('    layers.Flatten(),\n    layers.Dense(3, activation="softmax"),\n')).code;
    expect(code).toContain('INPUT_DTYPES = [np.int64]');
    expect(code).toContain('for x, t in zip(xs, INPUT_DTYPES)');
    const floats = parseProgram('import keras\nfrom keras import layers\n\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3)])\n').spec!;
    expect(printPytorchScript(floats).code).toContain('INPUT_DTYPES = [np.float32]');
  });
});

// With an Embedding in the registry: the whole path, TF.js → train.py + weights.npz → torch predict on int64 ids.
const embedding = getLayer('Embedding');
(embedding ? py.it : it.skip)(`Embedding on int ids: torch's predict (int64 ids) matches TF.js ≤ 1e-4${embedding ? '' : ' — SKIPPED: no Embedding layer in the registry yet'}`, () => {
  const spec = intSpec('    layers.Embedding(vocab_size, 4),\n    layers.Flatten(),\n    layers.Dense(3, activation="softmax"),\n');
  const model = buildModel(tf, spec, 3);
  randomizeWeights(tf, model, 4);
  const ids = Float32Array.from({ length: 8 * SEQ }, (_, i) => (i * 7 + 3) % 10);
  const want = tf.tidy(() => (model.predict(tf.tensor2d(ids, [8, SEQ])) as tf.Tensor).dataSync() as Float32Array);
  const dir = mkdtempSync(join(tmpdir(), 'pytorch-int-'));
  try {
    for (const f of exportPytorch(spec, readTfjsWeights(model, spec)).files) writeFileSync(join(dir, f.name), f.data);
    writeFileSync(join(dir, 'x.npz'), encodeNpz({ x: { shape: [8, SEQ], data: ids } }));
    const out = python(
      [
        'import importlib.util, json, sys, numpy as np, torch',
        `sys.argv = ["train.py"]`,
        `spec = importlib.util.spec_from_file_location("m", ${JSON.stringify(join(dir, 'train.py'))})`,
        'mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)',
        'model = mod.Model()',
        `mod.load_weights(model, ${JSON.stringify(join(dir, 'weights.npz'))})`,
        `(y,) = mod.predict(model, [np.load(${JSON.stringify(join(dir, 'x.npz'))})["x"]], torch.device("cpu"))`,
        'print(json.dumps(y.astype(np.float64).ravel().tolist()))'
      ].join('\n')
    );
    const got = JSON.parse(out) as number[];
    expect(got.length).toBe(want.length);
    expect(Math.max(...got.map((v, i) => Math.abs(v - want[i])))).toBeLessThanOrEqual(1e-4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});
