/**
 * webgpu-legalize.ts: no node of the rewritten graph binds more than 8 storage buffers and none is a Sum, and the
 * rewritten graph computes what the original computes (ORT wasm, same feeds). Also the compiled char-GRU step at
 * seq_len 32 (whose unrolled recurrence has 32-way Splits and Concats) after the rewrite.
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { parseProgram } from '$lib/keras/parse';
import { encodeModel, GraphBuilder, makeModel, type OnnxModel } from '$lib/onnx/graph';
import { tinyGru } from './capture-parity';
import { compileTrainStep } from './train-step';
import { legalizeForWebGpu, WEBGPU_MAX_BUFFERS } from './webgpu-legalize';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

/** Storage buffers a node binds on ORT WebGPU: its float inputs and outputs (Split's sizes are read on the CPU). */
const buffers = (m: OnnxModel) => m.graph.nodes.map((n) => (n.op === 'Split' ? 1 : n.inputs.length) + n.outputs.length);

async function run(m: OnnxModel, feeds: Record<string, ort.Tensor>) {
  const s = await ort.InferenceSession.create(encodeModel(m), { executionProviders: ['wasm'] });
  const out = await s.run(feeds);
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
}

describe('legalizeForWebGpu', () => {
  it('splits wide Splits and Concats into trees and Sums into Adds, computing the same values', async () => {
    const g = new GraphBuilder('wide');
    g.input('x', 'float32', [3, 60]);
    const sizes = Array.from({ length: 60 }, (_, i) => (i % 3 === 0 ? 0 : 1)).map((s, i) => s + (i % 2)); // uneven, some 0
    const total = sizes.reduce((a, b) => a + b, 0);
    g.input('y', 'float32', [3, total]);
    const parts = g.nodeMulti('Split', ['y', g.constInt64(sizes)], { axis: 1 }, { outputs: sizes.length });
    const xs = g.nodeMulti('Split', ['x', g.constInt64(Array(60).fill(1))], { axis: 1 }, { outputs: 60 });
    g.output(g.node('Concat', [...parts].reverse(), { axis: 1 }, { outputNames: ['rev'] }), 'float32', [3, total]);
    g.output(g.node('Concat', xs.slice(0, 9), { axis: 0 }, { outputNames: ['stack'] }), 'float32', [27, 1]);
    g.output(g.node('Sum', xs.slice(10, 15), {}, { outputNames: ['sum'] }), 'float32', [3, 1]);
    g.output(g.node('Sum', xs.slice(20, 22), {}, { outputNames: ['sum2'] }), 'float32', [3, 1]);
    const model = makeModel(g.graph, { producerVersion: 'test' });
    const { model: legal, report } = legalizeForWebGpu(model);
    expect(Math.max(...buffers(model))).toBe(61);
    expect(Math.max(...buffers(legal))).toBeLessThanOrEqual(WEBGPU_MAX_BUFFERS);
    expect(legal.graph.nodes.some((n) => n.op === 'Sum')).toBe(false);
    expect(report.rewritten).toEqual({ Split: 2, Concat: 2, Sum: 2 });
    const feeds = {
      x: new ort.Tensor('float32', Float32Array.from({ length: 180 }, (_, i) => i * 0.5 - 7), [3, 60]),
      y: new ort.Tensor('float32', Float32Array.from({ length: 3 * total }, (_, i) => Math.sin(i)), [3, total])
    };
    const [a, b] = [await run(model, feeds), await run(legal, feeds)];
    expect(b.rev).toEqual(a.rev);
    expect(b.stack).toEqual(a.stack);
    for (const k of ['sum', 'sum2']) for (let i = 0; i < 3; i++) expect(b[k][i]).toBeCloseTo(a[k][i], 4);
  });

  it('leaves a narrow graph as it is', () => {
    const g = new GraphBuilder('narrow');
    g.input('x', 'float32', [2, 4]);
    g.output(g.node('Concat', g.nodeMulti('Split', ['x', g.constInt64([1, 3])], { axis: 1 }, { outputs: 2 }), { axis: 1 }, { outputNames: ['y'] }), 'float32', [2, 4]);
    const model = makeModel(g.graph, { producerVersion: 'test' });
    expect(legalizeForWebGpu(model).model).toBe(model);
  });

  it('fits the compiled char-GRU step (seq_len 32) within the limit, with no Sum or ArgMax left', async () => {
    const spec = parseProgram(tinyGru(32, 4)).spec!;
    const m = buildModel(tf, spec, 1);
    const weights = readTfjsWeights(m, spec);
    m.dispose();
    const step = compileTrainStep(spec, { batchSize: 8, steps: 2, weights });
    expect(Math.max(...buffers(step.model))).toBeGreaterThan(WEBGPU_MAX_BUFFERS); // the unrolled recurrence: 32-way
    const legal = legalizeForWebGpu(step.model).model;
    expect(Math.max(...buffers(legal))).toBeLessThanOrEqual(WEBGPU_MAX_BUFFERS);
    expect(legal.graph.nodes.some((n) => n.op === 'Sum' || n.op === 'ArgMax')).toBe(false);
    expect(legal.graph.outputs).toEqual(step.model.graph.outputs);
  });
});

describe('legalizeForWebGpu, ArgMax cast to float', () => {
  it('computes the first index of the largest value in float32, ties included', async () => {
    const g = new GraphBuilder('argmax');
    g.input('p', 'float32', [4, 3, 5]);
    g.output(g.node('Cast', [g.node('ArgMax', ['p'], { axis: -1, keepdims: 0 })], { to: 1 }, { outputNames: ['i'] }), 'float32', [4, 3]);
    g.output(g.node('Cast', [g.node('ArgMax', ['p'], { axis: 1, keepdims: 1 })], { to: 1 }, { outputNames: ['j'] }), 'float32', [4, 1, 5]);
    const model = makeModel(g.graph, { producerVersion: 'test' });
    const { model: legal, report } = legalizeForWebGpu(model);
    expect(report.rewritten).toEqual({ ArgMax: 2 });
    expect(legal.graph.nodes.some((n) => n.op === 'ArgMax' || n.op === 'Cast')).toBe(false);
    const data = Float32Array.from({ length: 60 }, (_, i) => Math.round(Math.sin(i * 1.7) * 3) / 3); // many ties
    const feeds = { p: new ort.Tensor('float32', data, [4, 3, 5]) };
    const [a, b] = [await run(model, feeds), await run(legal, feeds)];
    expect(b.i).toEqual(a.i);
    expect(b.j).toEqual(a.j);
  });
});
