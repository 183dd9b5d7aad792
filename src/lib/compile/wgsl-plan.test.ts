/**
 * The WebGPU kernel plan (wgsl-plan.ts), run in its JavaScript dialect, against ONNX Runtime (wasm) on the same
 * compiled step graph: the fusion, the arena layout and the index arithmetic give ORT's outputs. The WGSL dialect
 * is checked in Chromium (tests/e2e/graph-capture.spec.ts).
 */
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { encodeModel } from '$lib/onnx/graph';
import { buildModel } from '$lib/engines/tfjs/build';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { bind, dataset, load } from './test-helpers';
import { compileTrainStep, type CompiledStep } from './train-step';
import { legalizeForWebGpu } from './webgpu-legalize';
import { distinctKernels, planWgsl, runPlanInJs, UnsupportedGraph } from './wgsl-plan';

ort.env.wasm.numThreads = 1;

function stepFor(id: string, batch: number, steps: number): { step: CompiledStep; feeds: Map<string, Float32Array> } {
  const { spec, data } = load(id);
  const model = buildModel(tf, spec, 1);
  const weights = readTfjsWeights(model, spec);
  model.dispose();
  const step = compileTrainStep(spec, { batchSize: batch, steps, weights });
  step.model = legalizeForWebGpu(step.model).model;
  const bound = bind(dataset(data, batch * steps), spec);
  const feeds = new Map<string, Float32Array>();
  const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
  feeds.set(step.inputs.x, bound.x.slice(0, size(step.inputs.xShape)));
  feeds.set(step.inputs.y, bound.y.slice(0, size(step.inputs.yShape)));
  feeds.set(step.inputs.lr, Float32Array.of(0.05));
  if (step.flat) {
    const flat = new Float32Array(size(step.flat.shape));
    for (const p of step.params) flat.set(weights[p.node][p.weight].data.subarray(0, p.size), p.offset);
    feeds.set(step.flat.input, flat);
  }
  // Optimizer state away from its initial value, so that every term of the update counts.
  for (const s of step.state) feeds.set(s.input, typeof s.init === 'number' ? new Float32Array(size(s.shape)).fill(s.init === 0 ? 0.01 : s.init * 0.9) : Float32Array.from(s.init));
  for (const m of step.masks) feeds.set(m.input, Float32Array.from({ length: size(m.shape) }, (_, i) => (i % 3 === 1 ? 0 : 1 / (1 - m.rate))));
  return { step, feeds };
}

async function compare(id: string, batch: number, steps: number) {
  const { step, feeds } = stepFor(id, batch, steps);
  const plan = planWgsl(step.model);
  const arena = new Float32Array(plan.arenaSize);
  for (const [name, data] of feeds) arena.set(data, plan.inputs.get(name)!.offset);
  runPlanInJs(plan, arena);
  const session = await ort.InferenceSession.create(encodeModel(step.model), { executionProviders: ['wasm'] });
  const shapes = new Map(step.model.graph.inputs.map((v) => [v.name, v.dims as number[]]));
  const out = await session.run(Object.fromEntries([...feeds].map(([k, v]) => [k, new ort.Tensor('float32', v, shapes.get(k)!)])));
  await session.release();
  let worst = 0;
  for (const [name, o] of plan.outputs) {
    const want = out[name].data as Float32Array;
    const got = arena.subarray(o.offset, o.offset + want.length);
    let scale = 1e-3;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / scale);
  }
  return { worst, plan };
}

describe('the WebGPU kernel plan gives ONNX Runtime\'s results on the compiled step', () => {
  for (const [id, batch] of [
    ['spiral', 32],
    ['residual_mlp', 32],
    ['circle_l2', 16],
    ['xor', 4],
    ['sine_regression', 16],
    ['capped_relu', 16],
    ['digits_mlp', 8],
    ['plane_regression', 16],
    ['wide_mlp', 8],
    ['parity_simple_rnn', 8],
    ['parity_lstm', 8],
    ['names_gru', 8],
    ['reverse_bidirectional', 4],
    ['parity_attention', 8],
    ['reverse_transformer', 4],
    ['sine_lstm', 8],
    ['tiny_gpt_shakespeare', 2]
  ] as const) {
    it(`${id} (K = 1 and K = 3)`, async () => {
      for (const k of [1, 3]) {
        const { worst, plan } = await compare(id, batch, k);
        expect(worst, `${id}, K = ${k}: ${plan.kernels.length} kernels for ${plan.nodeCount} nodes`).toBeLessThan(2e-5);
      }
    });
  }

  it('the spiral step is 25 kernels for its 58 ONNX nodes, and K steps are K times as many (+2)', async () => {
    const one = planWgsl(stepFor('spiral', 32, 1).step.model);
    const four = planWgsl(stepFor('spiral', 32, 4).step.model);
    expect([one.nodeCount, one.kernels.length]).toEqual([58, 25]);
    // K steps: K times the step's kernels, plus the two that gather the K losses and metrics into one output each.
    expect(four.kernels.length).toBe(4 * one.kernels.length + 2);
  });

  it('kernels that differ only in where they read share one source (one pipeline on the GPU): the K steps, the time steps', () => {
    const spiral = [1, 4].map((k) => planWgsl(stepFor('spiral', 32, k).step.model));
    const gru = [1, 4].map((k) => planWgsl(stepFor('names_gru', 8, k).step.model));
    console.log(`distinct kernels: spiral ${spiral.map((p) => `${distinctKernels(p)}/${p.kernels.length}`)}, names_gru ${gru.map((p) => `${distinctKernels(p)}/${p.kernels.length}`)}`);
    expect(distinctKernels(spiral[1])).toBeLessThanOrEqual(distinctKernels(spiral[0]) + 2);
    expect(distinctKernels(gru[1])).toBeLessThanOrEqual(distinctKernels(gru[0]) + 2);
    expect(distinctKernels(gru[0])).toBeLessThan(gru[0].kernels.length / 2);
  });

  it('a graph with an op outside the table is refused with the op named (the CNN: ONNX Runtime runs it)', () => {
    const { step } = stepFor('digits_cnn', 8, 1);
    expect(() => planWgsl(step.model)).toThrow(UnsupportedGraph);
    try {
      planWgsl(step.model);
    } catch (e) {
      expect((e as UnsupportedGraph).op).toMatch(/Conv|MaxPool/);
      expect((e as Error).message).toMatch(/not in the playground's WebGPU kernels/);
    }
  });
});
