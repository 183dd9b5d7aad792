/**
 * Compiled (ORT wasm, one graph per K = 4 steps) vs eager (TF.js cpu, the app's own trainModel) on the examples:
 * same initial weights, same batches in order, same dropout masks; loss trajectories agree to 1e-3 relative over
 * 50 steps (the last a partial batch). The image models and the 512-wide MLP are in train-step-images.test.ts.
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { getLayer } from '$lib/layers';
import type { ModelSpec } from '$lib/spec/types';
import { compiledSupport } from './runner';
import { EXAMPLES, compareExample, load } from './test-helpers';
import { CompileError, compileTrainStep } from './train-step';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

const HEAVY = ['digits_cnn', 'bn_dropout_cnn', 'wide_mlp'];
/**
 * The text and sequence examples run at sequence length 12 (the Data panel's Sequence length; the model is the same
 * program with `seq_len` = 12) and at most 16 rows a batch: the eager side is TF.js' pure-JS cpu backend, which takes
 * seconds per step for a GRU(128) over 64 characters. Their recurrences are unrolled 12 times in the graph.
 */
const SEQUENCE_DATA = ['shakespeare', 'names', 'reverse', 'parity', 'sine_series'];
const SEQ_LEN = 12;

describe('compiled train step vs eager TF.js, 50 steps', () => {
  for (const id of EXAMPLES.filter((e) => !HEAVY.includes(e))) {
    const sequences = SEQUENCE_DATA.includes(load(id).data);
    it(`${id}: same losses to 1e-3${sequences ? ` (seq_len ${SEQ_LEN})` : ''}`, async () => {
      if (sequences) await compareExample(id, 50, Math.min(16, load(id).spec.fit?.batchSize ?? 32), 1e-3, SEQ_LEN);
      else await compareExample(id, 50, id === 'digits_mlp' ? 16 : undefined);
    }, 120_000);
  }
});

describe('graph size', () => {
  it('spiral (Adam): one flat update per step, no Identity, Gemm instead of Transpose + MatMul', () => {
    const { spec } = load('spiral');
    const model = buildModel(tf, spec, 1);
    const weights = readTfjsWeights(model, spec);
    model.dispose();
    for (const K of [1, 4]) {
      const s = compileTrainStep(spec, { batchSize: 32, steps: K, weights });
      const count = (op: string) => s.model.graph.nodes.filter((n) => n.op === op).length;
      console.log(`spiral K=${K}: ${s.nodeCount} nodes (was ${K === 1 ? 167 : 602} with one update per weight and Identity outputs, ${K === 1 ? 79 : 315} before fuse.ts)`);
      expect(s.nodeCount).toBeLessThanOrEqual(K === 1 ? 58 : 231);
      expect(count('Identity')).toBe(0);
      expect(count('Sqrt')).toBe(K); // Adam's update: once per step over the flat vector
      expect(count('Transpose')).toBe(0);
      expect(s.flat?.shape).toEqual([2 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3]);
      const outs = s.model.graph.outputs.map((o) => o.name);
      expect(outs).toEqual(expect.arrayContaining(['new:params', 'new:state:slot/m', 'new:state:slot/v', 'new:state:opt/beta1_power', 'loss', 'metric']));
      // Every graph output is produced by a node.
      for (const o of outs) expect(s.model.graph.nodes.some((n) => n.outputs.includes(o)), o).toBe(true);
    }
  });
});

describe('compiledSupport', () => {
  it('accepts every example', () => {
    for (const id of EXAMPLES) expect(compiledSupport(load(id).spec), id).toEqual({ ok: true });
  });

  const dense = getLayer('Dense')!;
  const lower = dense.toOnnx;
  afterEach(() => {
    dense.toOnnx = lower;
  });

  it('refuses an op without a gradient rule, naming the op, the layer and its line', () => {
    const { spec } = load('spiral');
    // A Dense lowering that emits an op the table lacks (HardSigmoid), as a future activation might.
    dense.toOnnx = (node, ctx) => ctx.g.node('HardSigmoid', [lower!(node, ctx)], {}, { name: `${node.id}/HardSigmoid` });
    const r = compiledSupport(spec);
    expect(r).toMatchObject({ ok: false, op: 'HardSigmoid', layer: spec.layers[0].id, line: spec.layers[0].span.line });
    if (!r.ok) expect(r.message).toMatch(/HardSigmoid/);
    const model = buildModel(tf, spec, 1);
    const weights = readTfjsWeights(model, spec);
    model.dispose();
    expect(() => compileTrainStep(spec, { batchSize: 4, weights })).toThrow(CompileError);
    expect(() => compileTrainStep(spec, { batchSize: 4, weights })).toThrow(/line \d+.*HardSigmoid/);
  });

  it('names the layer whose lowering fails', () => {
    const { spec } = load('spiral');
    const broken: ModelSpec = JSON.parse(JSON.stringify(spec));
    broken.layers[1].args.activation = 'no_such_activation';
    expect(compiledSupport(broken)).toMatchObject({ ok: false, layer: broken.layers[1].id, line: broken.layers[1].span.line });
  });

  it('throws CompileError from compileTrainStep for a layer without a lowering', () => {
    const { spec } = load('spiral');
    const broken: ModelSpec = JSON.parse(JSON.stringify(spec));
    broken.layers[0].kind = 'LSTM';
    expect(() => compileTrainStep(broken, { batchSize: 4, weights: {} })).toThrow(CompileError);
    const r = compiledSupport(broken);
    expect(r).toMatchObject({ ok: false, op: 'LSTM', layer: broken.layers[0].id, line: broken.layers[0].span.line });
  });
});
