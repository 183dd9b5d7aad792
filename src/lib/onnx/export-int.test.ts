/**
 * keras.Input(dtype="int32") through the lowerings: TF.js builds an int32 input (and takes the app's float ids), the
 * ONNX export declares the graph input INT32 (casting it to float for the layers), and the exported model runs in ONNX
 * Runtime (node, wasm) fed through `runBatched` / `inputTensor` (Int32Array) with TF.js' numbers.
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { needPython } from '$lib/test-python';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { buildModel } from '$lib/engines/tfjs/build';
import { getLayer } from '$lib/layers';
import { parseProgram } from '$lib/keras/parse';
import { maxAbsDiff } from '$lib/onnx/quantize';
import { runBatched } from '$lib/onnx/ort-run';
import { decodeModel } from './graph';
import { exportOnnxBytes } from './export';
import { inputTensor, sessionInputType } from './export-feeds';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

const SEQ = 6;

function spec(body: string) {
  const r = parseProgram(`import keras\nfrom keras import layers\n\nmodel = keras.Sequential([\n    keras.Input(shape=(seq_len,), dtype="int32"),\n${body}])\n`, { constants: { seq_len: SEQ, vocab_size: 10 } });
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.spec;
}

/** Token ids as the app holds them: floats. */
const ids = Float32Array.from({ length: 20 * SEQ }, (_, i) => (i * 7 + 3) % 10);

async function roundTrip(body: string, seed: number) {
  const s = spec(body);
  const model = buildModel(tf, s, seed);
  expect(model.inputs[0].dtype).toBe('int32');
  const want = tf.tidy(() => (model.predict(tf.tensor2d(ids, [20, SEQ])) as tf.Tensor).dataSync() as Float32Array);
  // The eager engine's training call (model.apply on the float ids it holds) takes them too, with the same numbers.
  const applied = tf.tidy(() => (model.apply(tf.tensor2d(ids, [20, SEQ], 'float32'), { training: true }) as tf.Tensor).dataSync() as Float32Array);
  expect(maxAbsDiff(applied, want)).toBe(0);
  const bytes = exportOnnxBytes(s, readTfjsWeights(model, s));
  const m = decodeModel(bytes);
  expect(m.graph.inputs.map((i) => [i.name, i.dtype])).toEqual([[s.inputs[0].name, 'int32']]);
  expect(JSON.parse(m.metadata.inputs)[0].dtype).toBe('int32');
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  expect(sessionInputType(session, session.inputNames[0])).toBe('int32');
  const r = await runBatched(ort, session, { [session.inputNames[0]]: { dims: [20, SEQ], data: ids } }, { batchSize: 8 });
  // A float32 tensor is refused by the INT32 input: the feed really is int32.
  await expect(session.run({ [session.inputNames[0]]: new ort.Tensor('float32', ids.slice(0, SEQ), [1, SEQ]) })).rejects.toThrow();
  const one = await session.run({ [session.inputNames[0]]: inputTensor(ort, session, session.inputNames[0], ids.slice(0, SEQ), [1, SEQ]) });
  model.dispose();
  await session.release();
  return { want, got: r.outputs[0].data, first: one[session.outputNames[0]].data as Float32Array, bytes };
}

describe('an int32 input, exported to ONNX and run in ONNX Runtime', () => {
  it('Dense on int ids: ORT (INT32 input) matches TF.js within 1e-5', async () => {
    const { want, got, first } = await roundTrip('    layers.Dense(3, activation="softmax"),\n', 11);
    expect(got.length).toBe(60);
    expect(maxAbsDiff(want, got)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(want.slice(0, 3), first)).toBeLessThanOrEqual(1e-5);
    // Another seed's model gives other numbers: the comparison can fail.
    const other = await roundTrip('    layers.Dense(3, activation="softmax"),\n', 12);
    expect(maxAbsDiff(want, other.got)).toBeGreaterThan(1e-3);
  });

  it.runIf(getLayer('Embedding'))('Embedding on int ids: ORT matches TF.js within 1e-5', async () => {
    const { want, got } = await roundTrip('    layers.Embedding(vocab_size, 4),\n    layers.Flatten(),\n    layers.Dense(3),\n', 5);
    expect(maxAbsDiff(want, got)).toBeLessThanOrEqual(1e-5);
  });
});

const checker = needPython(['onnx'], '/usr/bin/python3');
describe('an int32-input export and the ONNX checker', () => {
  checker.it(`onnx.checker.check_model(full_check=True) accepts it, with an INT32 graph input${checker.note}`, async () => {
    const { bytes } = await roundTrip('    layers.Dense(3, activation="softmax"),\n', 11);
    const dir = mkdtempSync(join(tmpdir(), 'onnx-int-'));
    try {
      const path = join(dir, 'int.onnx');
      writeFileSync(path, bytes);
      const script = ['import sys, onnx', 'm = onnx.load(sys.argv[1])', 'onnx.checker.check_model(m, full_check=True)', 'print(onnx.TensorProto.DataType.Name(m.graph.input[0].type.tensor_type.elem_type))'].join('\n');
      const r = spawnSync('/usr/bin/python3', ['-c', script, path], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout.trim()).toBe('INT32');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
