import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseProgram } from '$lib/keras/parse';
import { CONFORMANCE_CASES, CONFORMANCE_TOLERANCE } from '$lib/onnx/conformance';
import { decodeModel } from '$lib/onnx/graph';
import { makeVariant, maxAbsDiff } from '$lib/onnx/quantize';
import { median, parsePlacements, runBatched } from '$lib/onnx/ort-run';
import { createOnnxMethods } from './onnx-methods';
import { createSession } from './session';

const spec = (file: string) => {
  const r = parseProgram(readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8'));
  if (!r.spec) throw new Error(JSON.stringify(r.diagnostics));
  return r.spec;
};

describe('the training worker\'s ONNX methods, against ONNX Runtime (node, wasm)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('exports the initial spiral model; ORT and TF.js predictions agree within 1e-4, in batches', async () => {
    const s = spec('spiral.py');
    const session = createSession({ tf, loaders: { load: async () => undefined } });
    const { data, trained } = await session.exportOnnx(s, 3, { source: 'src' });
    expect(trained).toBe(false);
    const m = decodeModel(data);
    expect(m.metadata.source).toBe('src');
    const x = Float32Array.from({ length: 100 * 2 }, (_, i) => Math.sin(i * 1.7));
    const p = await session.predict(s, 3, x, [100, 2], { batchSize: 32 });
    expect(p.shape).toEqual([100, 3]);
    expect(p.batches).toBe(4);
    const sess = await ort.InferenceSession.create(data, { executionProviders: ['wasm'] });
    const r = await runBatched(ort, sess, { [sess.inputNames[0]]: { dims: [100, 2], data: x } }, { batchSize: 32 });
    expect(r.batches).toBe(4);
    expect(r.outputs[0].dims).toEqual([100, 3]);
    expect(maxAbsDiff(p.data, r.outputs[0].data)).toBeLessThanOrEqual(1e-4);
    expect(r.msPerBatch).toBeGreaterThan(0);
    // A different seed gives different weights: the comparison can fail.
    const other = await session.predict(s, 4, x, [100, 2]);
    expect(maxAbsDiff(other.data, r.outputs[0].data)).toBeGreaterThan(1e-3);
  });

  it('runs a conformance case and the fp16/int8 variants of digits_cnn stay close', async () => {
    const methods = createOnnxMethods(tf, () => null);
    const c = CONFORMANCE_CASES.find((k) => k.name.startsWith('Conv2D 3x3 same stride 2'))!;
    const cs = parseProgram(c.source).spec!;
    const run = await methods.conformanceCase(cs, 5, 3);
    const sess = await ort.InferenceSession.create(run.onnx, { executionProviders: ['wasm'] });
    const r = await runBatched(ort, sess, Object.fromEntries(run.inputs.map((t) => [t.name, t])));
    expect(maxAbsDiff(run.outputs[0].data, r.outputs[0].data)).toBeLessThanOrEqual(CONFORMANCE_TOLERANCE);

    const d = spec('digits_cnn.py');
    const { data } = await methods.exportOnnx(d, 1);
    const x = Float32Array.from({ length: 16 * 28 * 28 }, (_, i) => (i % 7) / 7);
    const ref = await methods.predict(d, 1, x, [16, 28, 28, 1]);
    const fp32 = decodeModel(data);
    for (const [v, tol] of [['fp16', 1e-2], ['int8', 5e-2]] as const) {
      const { bytes, info } = makeVariant(fp32, v);
      expect(info.bytes).toBeLessThan(data.byteLength * (v === 'fp16' ? 0.6 : 0.35));
      const s2 = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
      const out = await runBatched(ort, s2, { [s2.inputNames[0]]: { dims: [16, 28, 28, 1], data: x } });
      const diff = maxAbsDiff(ref.data, out.outputs[0].data);
      expect(diff).toBeGreaterThan(0);
      expect(diff).toBeLessThan(tol);
    }
  });

  it('reads ORT\'s node placements', () => {
    const log = [
      '2026-11-24 [V:onnxruntime:, session_state.cc:1377 VerifyEachNodeIsAssignedToAnEp] Node placements',
      '2026-11-24 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [JsExecutionProvider]. Number of nodes: 5',
      '2026-11-24 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]   MatMul (dense/matmul)',
      '2026-11-24 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 1',
      '2026-11-24 [V:onnxruntime:, session_state.cc:1380 VerifyEachNodeIsAssignedToAnEp]   Shape (shape)'
    ];
    expect(parsePlacements(log)).toEqual([
      { provider: 'JsExecutionProvider', count: 5, nodes: ['MatMul (dense/matmul)'] },
      { provider: 'CPUExecutionProvider', count: 1, nodes: ['Shape (shape)'] }
    ]);
    expect(parsePlacements(['x VerifyEachNodeIsAssignedToAnEp] Node placements', 'x VerifyEachNodeIsAssignedToAnEp]  All nodes placed on [CPUExecutionProvider]. Number of nodes: 2'])).toEqual([
      { provider: 'CPUExecutionProvider', count: 2, nodes: [] }
    ]);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
  });
});
