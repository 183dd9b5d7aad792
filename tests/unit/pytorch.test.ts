/**
 * PyTorch export: every layer conformance case (`LayerDef.conformance`) and every examples/*.py is built in TF.js (cpu)
 * with seeded random weights (all of them, as the ONNX conformance does), predicted on seeded random inputs, and
 * exported as train.py + weights.npz; one Debian python3 (torch) process then imports each train.py, builds the
 * model, loads the weights and predicts on the same inputs: max |TF.js − torch| ≤ 1e-4. Then the CLI flags of one
 * exported script (--predict, --compile) and a two-process torchrun (gloo, 127.0.0.1) training the spiral.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { parseProgram } from '$lib/keras/parse';
import { getLayer, LAYER_KINDS } from '$lib/layers';
import { CONFORMANCE_BATCH, CONFORMANCE_CASES, CONFORMANCE_TOLERANCE, conformanceInputs, exampleCases, inputVocabularies, type ConformanceCase } from '$lib/onnx/conformance';
import { exportTfjsModel } from '$lib/engines/tfjs/export';
import { exportPytorch } from '$lib/pytorch/export';
import { weightsFromTfjsFiles } from '$lib/pytorch/tfjs-weights';
import { encodeNpy, encodeNpz } from '$lib/pytorch/npy';
import { printPytorchScript } from '$lib/pytorch/print';
import { PytorchUnsupported } from '$lib/pytorch/types';
import type { ModelSpec } from '$lib/spec/types';
import { needPython } from '$lib/test-python';
import { EXAMPLES } from '$lib/examples';
import * as ort from 'onnxruntime-web';
import { compileTrainStep } from '$lib/compile/train-step';
import { encodeModel } from '$lib/onnx/graph';

const PYTHON = '/usr/bin/python3';
const SEED = 7;
const CASES = [...CONFORMANCE_CASES, ...exampleCases(EXAMPLES)];
/** The examples whose data set torch can make here (the digits download MNIST on their first run: no network in tests). */
const OFFLINE = EXAMPLES.filter((e) => e.data !== 'digits');

function parse(source: string, name: string, constants?: Record<string, number>): ModelSpec {
  const { spec, diagnostics } = parseProgram(source, { constants });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!spec || errors.length) throw new Error(`${name} does not parse: ${errors.map((d) => `line ${d.span.line}: ${d.message}`).join('; ')}`);
  return spec;
}

const py = needPython(['torch', 'numpy'], PYTHON);
let dir = '';
/** TF.js' outputs per case (flat), and torch's (filled by the one Python run). */
const expected = new Map<string, { shape: number[]; data: Float32Array }[]>();
let torchOut: Record<string, { shape: number[]; data: number[] }[] | { error: string }> = {};
let pythonError = '';

/** Runs every case's train.py in one Python process: builds, loads weights.npz, predicts on inputs.npz. */
const DRIVER = `
import importlib.util, json, sys, traceback
import numpy as np
import torch
torch.set_num_threads(1)
results = {}
for name, folder in json.loads(open(sys.argv[1]).read()).items():
    try:
        spec = importlib.util.spec_from_file_location("case_" + str(len(results)), folder + "/train.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        model = mod.Model()
        mod.load_weights(model, folder + "/weights.npz")
        inputs = np.load(folder + "/inputs.npz")
        ys = mod.predict(model, [inputs[n] for n in mod.INPUTS], torch.device("cpu"))
        results[name] = [{"shape": list(y.shape), "data": y.astype(np.float64).ravel().tolist()} for y in ys]
    except BaseException:  # SystemExit too (load_weights' shape check): report it for this case and go on
        results[name] = {"error": traceback.format_exc()[-1500:]}
print(json.dumps(results))
`;

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'pytorch-export-'));
  const folders: Record<string, string> = {};
  CASES.forEach((c: ConformanceCase, i) => {
    const spec = parse(c.source, c.name, c.constants);
    const model = buildModel(tf, spec, SEED);
    try {
      randomizeWeights(tf, model, SEED + 1);
      const data = conformanceInputs(spec.inputs.map((inp) => inp.shape), SEED + 2, inputVocabularies(spec.inputs, c));
      const tfIn = spec.inputs.map((inp, k) => tf.tensor(data[k], [CONFORMANCE_BATCH, ...inp.shape]));
      const tfOut = model.predict(tfIn.length === 1 ? tfIn[0] : tfIn) as tf.Tensor | tf.Tensor[];
      const outs = Array.isArray(tfOut) ? tfOut : [tfOut];
      expected.set(c.name, outs.map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array })));
      tf.dispose([...tfIn, ...outs]);
      const exp = exportPytorch(spec, readTfjsWeights(model, spec), undefined, { title: c.name });
      const folder = join(dir, `case${i}`);
      mkdirSync(folder);
      for (const f of exp.files) writeFileSync(join(folder, f.name), f.data);
      writeFileSync(join(folder, 'inputs.npz'), encodeNpz(Object.fromEntries(spec.inputs.map((inp, k) => [inp.name || inp.id, { shape: [CONFORMANCE_BATCH, ...inp.shape], data: data[k] }]))));
      folders[c.name] = folder;
    } finally {
      model.dispose();
    }
  });
  if (!py.ok) return;
  writeFileSync(join(dir, 'cases.json'), JSON.stringify(folders));
  const t0 = Date.now();
  const r = spawnSync(PYTHON, ['-c', DRIVER, join(dir, 'cases.json')], { encoding: 'utf8', timeout: 150_000, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) pythonError = `python exited ${r.status}: ${r.error?.message ?? ''} ${r.stderr.slice(-2000)}`;
  else torchOut = JSON.parse(r.stdout.trim().split('\n').pop()!);
  console.log(`PyTorch: ${Object.keys(folders).length} exported programs predicted in one Python process in ${Date.now() - t0} ms`);
}, 240_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the PyTorch export', () => {
  it('every layer of the registry has a PyTorch lowering and conformance cases', () => {
    expect(LAYER_KINDS.filter((k) => !getLayer(k)?.toPytorch)).toEqual([]);
    expect(new Set(CONFORMANCE_CASES.map((c) => c.layer))).toEqual(new Set(LAYER_KINDS));
    expect(EXAMPLES.length).toBeGreaterThan(5);
  });

  it('refuses a layer without a PyTorch lowering by name and line', () => {
    const spec = parse(CONFORMANCE_CASES.find((c) => c.layer === 'Flatten')!.source, 'Flatten');
    const def = getLayer('Flatten')! as { toPytorch?: unknown };
    const saved = def.toPytorch;
    delete def.toPytorch;
    try {
      expect(() => printPytorchScript(spec)).toThrow(PytorchUnsupported);
      expect(() => printPytorchScript(spec)).toThrow(/Flatten \(flatten, line \d+\) has no PyTorch lowering/);
    } finally {
      def.toPytorch = saved;
    }
  });

  it('records the spec node of each model line (for "Show in PyTorch")', () => {
    const spec = parse(readFileSync('examples/residual_mlp.py', 'utf8'), 'residual_mlp');
    const p = printPytorchScript(spec);
    const lines = p.code.split('\n');
    expect(p.origins.length).toBe(lines.length - 1);
    for (const l of spec.layers) {
      const mine = lines.filter((_, i) => p.origins[i] === l.id);
      expect(mine.some((t) => t.trimStart().startsWith(`${l.id} = `)), `${l.id}: a forward line`).toBe(true);
    }
    const add = spec.layers.find((l) => l.kind === 'Add')!;
    expect(lines.find((_, i) => p.origins[i] === add.id)).toMatch(/ \+ /);
  });

  it("reads the app's TF.js export (model.json + shard) as the same weights as the model's (the app's download path)", async () => {
    const spec = parse(readFileSync('examples/bn_dropout_cnn.py', 'utf8'), 'bn_dropout_cnn');
    const model = buildModel(tf, spec, SEED);
    try {
      const { files } = await exportTfjsModel(tf, model);
      const fromFiles = weightsFromTfjsFiles(files);
      const direct = readTfjsWeights(model, spec);
      expect(Object.keys(fromFiles).sort()).toEqual(Object.keys(direct).filter((k) => Object.keys(direct[k]).length).sort());
      for (const [node, ws] of Object.entries(fromFiles)) for (const [name, w] of Object.entries(ws)) expect([node, name, w.shape, Array.from(w.data)]).toEqual([node, name, direct[node][name].shape, Array.from(direct[node][name].data)]);
    } finally {
      model.dispose();
    }
  });

  it('writes .npy headers numpy reads (64-byte aligned, shape, dtype)', () => {
    const bytes = encodeNpy({ shape: [2, 3], data: new Float32Array(6) });
    const headerLen = bytes[8] + 256 * bytes[9];
    expect((10 + headerLen) % 64).toBe(0);
    expect(new TextDecoder().decode(bytes.slice(10, 10 + headerLen))).toMatch(/^\{'descr': '<f4', 'fortran_order': False, 'shape': \(2, 3\), \}\s+\n$/);
  });

  const worst: { name: string; delta: number }[] = [];
  for (const c of CASES) {
    py.it(`${c.name}: torch matches TF.js${py.note}`, () => {
      expect(pythonError).toBe('');
      const got = torchOut[c.name];
      expect(got, 'no result from Python').toBeDefined();
      if ('error' in got) throw new Error(`train.py failed in Python:\n${got.error}`);
      const want = expected.get(c.name)!;
      expect(got.length).toBe(want.length);
      want.forEach((w, k) => {
        expect(got[k].shape).toEqual(w.shape);
        let delta = 0;
        for (let j = 0; j < w.data.length; j++) delta = Math.max(delta, Math.abs(got[k].data[j] - w.data[j]));
        expect(Number.isFinite(delta)).toBe(true);
        worst.push({ name: c.name, delta });
        expect(delta, `max |TF.js - torch| of output ${k}`).toBeLessThanOrEqual(CONFORMANCE_TOLERANCE);
      });
    });
  }
  py.it(`prints the largest differences${py.note}`, () => {
    worst.sort((a, b) => b.delta - a.delta);
    console.log(`max |TF.js - torch| over ${worst.length} outputs: ${worst[0]?.delta.toExponential(2)}; worst: ${worst.slice(0, 5).map((w) => `${w.name} ${w.delta.toExponential(2)}`).join(', ')}`);
    expect(worst.length).toBeGreaterThan(0);
  });
});

/**
 * torch 1.13's torchrun on Python 3.11 (Debian's python3-torch) cannot parse its own default `--redirects 0 --tee 0`
 * (Std.from_str iterates an IntFlag, which no longer yields the 0 member, and crashes in `to_map`); any other value
 * works. 2 = stderr only, so stdout (rank 0's epoch lines) reaches us as it is.
 */
const TORCHRUN_PY311_FIX = ['--redirects', '2', '--tee', '2'];

/** A free TCP port on 127.0.0.1 (for torchrun's rendezvous). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

describe('an exported train.py runs as a program', () => {
  let work = '';
  let spec: ModelSpec;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pytorch-run-'));
    spec = parse(readFileSync('examples/spiral.py', 'utf8'), 'spiral');
    const model = buildModel(tf, spec, SEED);
    try {
      const exp = exportPytorch(spec, readTfjsWeights(model, spec), { name: 'spiral', samples: 300 }, { title: 'spiral.py' });
      for (const f of exp.files) writeFileSync(join(work, f.name), f.data);
      const x = tf.tensor2d([[0.1, -0.3], [1.2, 0.4], [-0.7, 0.9]]);
      const y = model.predict(x) as tf.Tensor;
      writeFileSync(join(work, 'x.npy'), encodeNpy({ shape: [3, 2], data: x.dataSync() as Float32Array }));
      writeFileSync(join(work, 'y_tfjs.json'), JSON.stringify(Array.from(y.dataSync())));
      tf.dispose([x, y]);
    } finally {
      model.dispose();
    }
  });
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  py.it(`--weights --predict --out writes TF.js' predictions and trains nothing${py.note}`, () => {
    const r = spawnSync(PYTHON, ['train.py', '--weights', 'weights.npz', '--predict', 'x.npy', '--out', 'y.npy'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/Epoch/);
    const check = spawnSync(PYTHON, ['-c', 'import json, numpy as np; a = np.load("y.npy"); b = np.array(json.load(open("y_tfjs.json"))).reshape(a.shape); print(float(abs(a - b).max()))'], { cwd: work, encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(Number(check.stdout.trim())).toBeLessThanOrEqual(CONFORMANCE_TOLERANCE);
  }, 60_000);

  py.it(`a fresh Model() starts as Keras would: glorot_uniform kernels within Keras' limit, zero biases${py.note}`, () => {
    const script = [
      'import math, importlib.util, torch',
      'spec = importlib.util.spec_from_file_location("fresh", "train.py"); mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)',
      'torch.manual_seed(0); m = mod.Model()',
      'for lin, (fi, fo) in [(m.dense, (2, 16)), (m.dense_1, (16, 16)), (m.dense_2, (16, 3))]:',
      '    limit = math.sqrt(6 / (fi + fo)); w = lin.weight',
      '    assert float(w.abs().max()) <= limit and float(w.abs().max()) > 0.7 * limit, (float(w.abs().max()), limit)',
      '    assert float(lin.bias.abs().max()) == 0.0',
      'print("ok")'
    ].join('\n');
    const r = spawnSync(PYTHON, ['-c', script], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('ok');
  }, 60_000);

  py.it(`--epochs 2 --compile trains (eagerly on torch 1.x, saying so) and saves trained.npz${py.note}`, () => {
    const r = spawnSync(PYTHON, ['train.py', '--weights', 'weights.npz', '--epochs', '2', '--compile', '--save', 'single.npz'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Epoch 1\/2 - \d+ms - loss: [\d.]+ - accuracy: [\d.]+ - val_loss: [\d.]+ - val_accuracy: [\d.]+/);
    expect(r.stdout).toMatch(/Epoch 2\/2/);
    const major = Number(spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__.split(".")[0])'], { encoding: 'utf8' }).stdout.trim());
    if (major < 2) expect(r.stdout).toMatch(/torch\.compile is unavailable in torch 1\.\d+/);
    expect(readdirSync(work)).toContain('single.npz');
  }, 60_000);

  const torchrun = needPython(['torch.distributed'], PYTHON);
  torchrun.it(`torchrun --nproc_per_node=2 (gloo on 127.0.0.1) trains 2 epochs, the loss falls, rank 0 alone prints${torchrun.note}`, async () => {
    const port = await freePort();
    const r = spawnSync(
      PYTHON,
      ['-m', 'torch.distributed.run', '--nproc_per_node=2', '--nnodes=1', '--master_addr=127.0.0.1', `--master_port=${port}`, ...TORCHRUN_PY311_FIX, 'train.py', '--weights', 'weights.npz', '--epochs', '2', '--seed', '3', '--save', 'ddp.npz'],
      { cwd: work, encoding: 'utf8', timeout: 120_000, env: { ...process.env, OMP_NUM_THREADS: '1', CUDA_VISIBLE_DEVICES: '' } }
    );
    expect(r.error, r.error?.message).toBeUndefined();
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toMatch(/on 2 processes \(gloo\)/);
    const losses = [...r.stdout.matchAll(/^Epoch \d\/2 - \d+ms - loss: ([\d.]+)/gm)].map((m) => Number(m[1]));
    expect(losses.length, r.stdout).toBe(2); // rank 0 only
    expect(losses[1]).toBeLessThan(losses[0]);
    expect(readdirSync(work)).toContain('ddp.npz');
    console.log(`torchrun 2 processes: ${r.stdout.trim().split('\n').join(' | ')}`);
  }, 150_000);
});

/** Runs each exported train.py's main() in one Python process: `--epochs 2`, its stdout per program. */
const TRAIN_DRIVER = `
import contextlib, importlib.util, io, json, sys, traceback
import torch
torch.set_num_threads(1)
out = {}
for name, folder in json.loads(open(sys.argv[1]).read()).items():
    buf = io.StringIO()
    try:
        spec = importlib.util.spec_from_file_location("train_" + str(len(out)), folder + "/train.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        sys.argv = ["train.py", "--weights", folder + "/weights.npz", "--epochs", "2", "--seed", "1", "--save", folder + "/trained.npz"]
        with contextlib.redirect_stdout(buf):
            mod.main()
        out[name] = buf.getvalue()
    except BaseException:
        out[name] = buf.getvalue() + "FAILED " + traceback.format_exc()[-1500:]
print(json.dumps(out))
`;

describe('cli export --format pytorch: every example trains in torch with its data, loss and optimizer', () => {
  let work = '';
  const logs: Record<string, string> = {};
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pytorch-cli-'));
    const { runCli } = await import('../../src/cli/run');
    const folders: Record<string, string> = {};
    for (const { id } of EXAMPLES) {
      const f = `${id}.py`;
      let stderr = '';
      const code = await runCli(['export', join('examples', f), '--format', 'pytorch', '--out', join(work, f)], { out: () => {}, err: (t) => (stderr += t) });
      if (code !== 0) throw new Error(`cli export ${f}: exit ${code}: ${stderr}`);
    }
    // The digits are only exported (checked below), not trained.
    for (const { id } of OFFLINE) folders[`${id}.py`] = join(work, `${id}.py`);
    if (!py.ok) return;
    writeFileSync(join(work, 'cases.json'), JSON.stringify(folders));
    const r = spawnSync(PYTHON, ['-c', TRAIN_DRIVER, join(work, 'cases.json')], { encoding: 'utf8', timeout: 360_000, maxBuffer: 16 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`python exited ${r.status}: ${r.stderr.slice(-2000)}`);
    Object.assign(logs, JSON.parse(r.stdout.trim().split('\n').pop()!));
    // Two epochs of every example in torch on one thread: the tiny GPT alone takes ~55 s here.
  }, 420_000);
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  it('the CLI refuses --format pytorch without --out', async () => {
    const { runCli } = await import('../../src/cli/run');
    let err = '';
    expect(await runCli(['export', 'examples/spiral.py', '--format', 'pytorch'], { out: () => {}, err: (t) => (err += t) })).toBe(2);
    expect(err).toMatch(/--format pytorch needs --out DIR/);
  });

  it('the digits programs read MNIST without Keras (the file Keras downloads, in its cache)', () => {
    const digits = EXAMPLES.filter((e) => e.data === 'digits');
    expect(digits.length).toBeGreaterThan(0);
    for (const f of digits.map((e) => `${e.id}.py`)) {
      const code = readFileSync(join(work, f, 'train.py'), 'utf8');
      expect(code, f).not.toMatch(/^\s*(import|from) keras/m);
      expect(code, f).toContain('(x_train, y_train), (x_test, y_test) = mnist_load_data()');
    }
  });

  for (const f of OFFLINE.map((e) => `${e.id}.py`)) {
    py.it(`${f}: python3 train.py --epochs 2 trains and prints Keras-style epochs${py.note}`, () => {
      const log = logs[f];
      expect(log, 'no output').toBeDefined();
      expect(log).not.toMatch(/FAILED/);
      const lines = log.split('\n').filter((l) => l.startsWith('Epoch '));
      expect(lines.length, log).toBe(2);
      for (const l of lines) expect(l).toMatch(/^Epoch \d\/2 - \d+ms - loss: \d+\.\d{4}( - \w+: \d+\.\d{4})*$/);
      expect(log).toContain('Saved the trained weights');
    });
  }
});

/** Gradients of loss_fn w.r.t. every trainable weight, by torch.autograd in float64, in Keras' layout. */
const GRAD_DRIVER = `
import importlib.util, json, sys, traceback
import numpy as np
import torch
torch.set_num_threads(1)
out = {}
for name, folder in json.loads(open(sys.argv[1]).read()).items():
    try:
        spec = importlib.util.spec_from_file_location("grad_" + str(len(out)), folder + "/train.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        model = mod.Model().double()
        mod.load_weights(model, folder + "/weights.npz")
        model.eval()
        data = np.load(folder + "/batch.npz")
        x = torch.from_numpy(data["x"].astype(np.float64))
        y = torch.from_numpy(data["y"])
        y = y.long() if mod.SPARSE_TARGETS else y.double()
        loss = mod.loss_fn(model(x), y)
        loss.backward()
        params = dict(model.named_parameters())
        grads = {}
        for key, tname, perm in mod.WEIGHTS:
            p = params.get(tname)
            if p is None or p.grad is None:
                continue
            g = p.grad.numpy()
            grads[key] = (g if perm is None else np.transpose(g, np.argsort(perm))).ravel().tolist()
        out[name] = {"loss": float(loss), "grads": grads}
    except BaseException:
        out[name] = {"error": traceback.format_exc()[-1500:]}
print(json.dumps(out))
`;

/**
 * Examples whose compiled step (training mode) computes the same function as torch's inference mode: no
 * BatchNormalization (batch statistics in training), no regularizer penalties (left out of the torch loss); Dropout is
 * fed all-ones masks.
 */
const COMPILED_IDS = ['spiral', 'xor', 'sine_regression', 'plane_regression', 'digits_cnn', 'residual_mlp', 'capped_relu'];

/**
 * The compiled training step's gradients: the step graph (forward, the gradient-rule table's backward, the update)
 * compiled for plain SGD and run once in ORT wasm at learning rate 1, so the new flat parameter vector is w − g.
 */
async function compiledGradients(spec: ModelSpec, weights: ReturnType<typeof readTfjsWeights>, x: Float32Array, y: Float32Array) {
  const sgd: ModelSpec = { ...spec, compile: { ...spec.compile!, optimizer: { ...spec.compile!.optimizer, name: 'sgd', args: {} } } };
  const rows = x.length / sizeOfShape(spec.inputs[0].shape);
  const s = compileTrainStep(sgd, { batchSize: rows, steps: 1, weights });
  const session = await ort.InferenceSession.create(encodeModel(s.model), { executionProviders: ['wasm'] });
  try {
    const feeds: Record<string, ort.Tensor> = {};
    const f32 = (data: Float32Array, shape: number[]) => new ort.Tensor('float32', data, shape);
    const w0 = new Float32Array(s.flat ? sizeOfShape(s.flat.shape) : 0);
    for (const p of s.params) w0.set(weights[p.node][p.weight].data, p.offset);
    if (s.flat) feeds[s.flat.input] = f32(w0, s.flat.shape);
    for (const st of s.state) feeds[st.input] = f32(typeof st.init === 'number' ? new Float32Array(sizeOfShape(st.shape)).fill(st.init) : st.init, st.shape);
    for (const m of s.masks) feeds[m.input] = f32(new Float32Array(sizeOfShape(m.shape)).fill(1), m.shape);
    feeds[s.inputs.x] = f32(x, s.inputs.xShape);
    feeds[s.inputs.y] = f32(y, s.inputs.yShape);
    feeds[s.inputs.lr] = f32(Float32Array.of(1), []);
    const out = await session.run(feeds);
    const w1 = out[s.flat!.output].data as Float32Array;
    const grads: Record<string, Float32Array> = {};
    for (const p of s.params) grads[`${p.node}/${p.weight}`] = Float32Array.from({ length: p.size }, (_, i) => w0[p.offset + i] - w1[p.offset + i]);
    return { loss: (out[s.outputs.loss].data as Float32Array)[0], grads };
  } finally {
    await session.release();
  }
}

const sizeOfShape = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

describe('gradients: TF.js and the compiled step (float32) against torch.autograd (float64) on the exported programs', () => {
  // Inference mode on both sides (Dropout off, BatchNormalization on its moving statistics), loss without penalties.
  const IDS = ['spiral', 'xor', 'sine_regression', 'plane_regression', 'digits_cnn', 'bn_dropout_cnn', 'residual_mlp', 'capped_relu'];
  const ROWS = 8;
  let work = '';
  const tfjs = new Map<string, { loss: number; grads: Record<string, Float32Array> }>();
  /** The compiled step's gradients (ORT wasm): one step of SGD at learning rate 1 from the same weights, g = w − w'. */
  const compiled = new Map<string, { loss: number; grads: Record<string, Float32Array> }>();
  let torchGrads: Record<string, { loss: number; grads: Record<string, number[]> } | { error: string }> = {};
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'pytorch-grad-'));
    const folders: Record<string, string> = {};
    for (const id of IDS) {
      const spec = parse(EXAMPLES.find((e) => e.id === id)!.source, id);
      const model = buildModel(tf, spec, SEED);
      try {
        randomizeWeights(tf, model, SEED + 3);
        const inShape = spec.inputs[0].shape;
        const [xData] = conformanceInputs([[ROWS / CONFORMANCE_BATCH, ...inShape].map((d, i) => (i === 0 ? 1 : d))], SEED);
        const n = inShape.reduce((a, b) => a * b, 1);
        // Small pixels for the images: random weights on 28×28 inputs saturate the softmax, whose clipped
        // probabilities then have a zero gradient on both sides (a test that passes by luck).
        const gain = inShape.length === 3 ? 0.02 : 1;
        const x = Float32Array.from({ length: ROWS * n }, (_, i) => gain * xData[i % xData.length] * Math.cos(i));
        const outShape = model.outputs[0].shape.slice(1) as number[];
        const units = outShape[outShape.length - 1];
        const loss = spec.compile!.loss;
        const classes = Array.from({ length: ROWS }, (_, i) => (i * 7 + 3) % units);
        const yTorch =
          loss === 'sparse_categorical_crossentropy'
            ? { shape: [ROWS], data: Int32Array.from(classes) }
            : loss === 'categorical_crossentropy'
              ? { shape: [ROWS, units], data: Float32Array.from({ length: ROWS * units }, (_, i) => (classes[Math.floor(i / units)] === i % units ? 1 : 0)) }
              : loss === 'binary_crossentropy'
                ? { shape: [ROWS, units], data: Float32Array.from({ length: ROWS * units }, (_, i) => (i * 5) % 3 === 0 ? 1 : 0) }
                : { shape: [ROWS, units], data: Float32Array.from({ length: ROWS * units }, (_, i) => Math.sin(i)) };
        // TF.js' own Keras losses (tf.metrics has them; the sparse one as the categorical one on one-hot targets).
        const yTf = loss === 'sparse_categorical_crossentropy' ? tf.oneHot(tf.tensor1d(classes, 'int32'), units) : tf.tensor(yTorch.data as Float32Array, yTorch.shape);
        const fn = {
          categorical_crossentropy: tf.metrics.categoricalCrossentropy,
          sparse_categorical_crossentropy: tf.metrics.categoricalCrossentropy,
          binary_crossentropy: tf.metrics.binaryCrossentropy,
          mse: tf.metrics.meanSquaredError,
          mae: tf.metrics.meanAbsoluteError
        }[loss as string]!;
        const xt = tf.tensor(x, [ROWS, ...inShape]);
        const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
        const { value, grads } = tf.variableGrads(() => tf.mean(fn(yTf, model.apply(xt, { training: false }) as tf.Tensor)) as tf.Scalar, vars);
        const named: Record<string, Float32Array> = {};
        model.trainableWeights.forEach((w, i) => {
          const original = (w as unknown as { originalName?: string }).originalName ?? w.name;
          named[original] = grads[vars[i].name].dataSync() as Float32Array;
        });
        tfjs.set(id, { loss: value.dataSync()[0], grads: named });
        tf.dispose([xt, yTf, value, ...Object.values(grads)]);
        const weights = readTfjsWeights(model, spec);
        if (COMPILED_IDS.includes(id)) compiled.set(id, await compiledGradients(spec, weights, x, Float32Array.from(yTorch.data)));
        const exp = exportPytorch(spec, weights);
        const folder = join(work, id);
        mkdirSync(folder);
        for (const f of exp.files) writeFileSync(join(folder, f.name), f.data);
        writeFileSync(join(folder, 'batch.npz'), encodeNpz({ x: { shape: [ROWS, ...inShape], data: x }, y: yTorch }));
        folders[id] = folder;
      } finally {
        model.dispose();
      }
    }
    if (!py.ok) return;
    writeFileSync(join(work, 'cases.json'), JSON.stringify(folders));
    const r = spawnSync(PYTHON, ['-c', GRAD_DRIVER, join(work, 'cases.json')], { encoding: 'utf8', timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`python exited ${r.status}: ${r.stderr.slice(-2000)}`);
    torchGrads = JSON.parse(r.stdout.trim().split('\n').pop()!);
  }, 200_000);
  afterAll(() => work && rmSync(work, { recursive: true, force: true }));

  for (const [engine, id] of [...IDS.map((id) => ['TF.js', id] as const), ...COMPILED_IDS.map((id) => ['compiled step', id] as const)]) {
    py.it(`${engine} ${id}: the loss and every weight's gradient agree with torch.autograd (relative to the largest, ≤ 1e-3)${py.note}`, () => {
      const got = torchGrads[id];
      expect(got).toBeDefined();
      if ('error' in got) throw new Error(got.error);
      const want = (engine === 'TF.js' ? tfjs : compiled).get(id)!;
      expect(Math.abs(got.loss - want.loss) / Math.max(1, Math.abs(got.loss))).toBeLessThan(1e-5);
      expect(Object.keys(got.grads).sort()).toEqual(Object.keys(want.grads).sort());
      let worst = 0;
      expect(Math.max(...Object.values(got.grads).flatMap((g) => g.map(Math.abs))), 'all gradients are ~0').toBeGreaterThan(1e-4);
      for (const [key, g] of Object.entries(got.grads)) {
        const w = want.grads[key];
        const scale = Math.max(1e-6, ...g.map(Math.abs));
        for (let i = 0; i < g.length; i++) worst = Math.max(worst, Math.abs(g[i] - w[i]) / scale);
      }
      console.log(`gradient ${id}: loss ${got.loss.toFixed(6)}, max relative |${engine} - torch| ${worst.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-3);
    });
  }
});
