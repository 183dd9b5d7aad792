/**
 * fuse.ts: each rewrite on a small graph gives the same outputs in ORT (wasm) with fewer nodes, and the spiral's
 * train step (Adam) is smaller and trains the same: 20 steps with and without the pass give the same losses.
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { encodeModel, GraphBuilder, makeModel, type OnnxModel } from '$lib/onnx/graph';
import { fuseGraph } from './fuse';
import { bind, dataset, load } from './test-helpers';
import { compileTrainStep, type CompiledStep, type WeightMap } from './train-step';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

type Feeds = Record<string, { dims: number[]; data: Float32Array }>;

async function run(model: OnnxModel, feeds: Feeds): Promise<Record<string, Float32Array>> {
  const s = await ort.InferenceSession.create(encodeModel(model), { executionProviders: ['wasm'], graphOptimizationLevel: 'disabled' });
  const out = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new ort.Tensor('float32', v.data, v.dims)])));
  await s.release();
  return Object.fromEntries(Object.entries(out).map(([k, t]) => [k, t.data as Float32Array]));
}

const rand = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed * 97.3 + i * 12.9898) * 2);
const ops = (m: OnnxModel) => m.graph.nodes.map((n) => n.op);

/** The model before and after the pass, and both run on `feeds`: same outputs to `tol` (relative to 1). */
async function same(build: (g: GraphBuilder) => void, feeds: Feeds, shapes = new Map<string, number[]>(), tol = 1e-6) {
  const make = () => {
    const g = new GraphBuilder('t');
    build(g);
    return makeModel(g.graph, { producerVersion: 'test' });
  };
  const before = make();
  const after = make();
  const report = fuseGraph(after.graph, shapes);
  const a = await run(before, feeds);
  const b = await run(after, feeds);
  for (const k of Object.keys(a)) {
    expect(b[k].length, k).toBe(a[k].length);
    a[k].forEach((v, i) => expect(Math.abs(v - b[k][i]), `${k}[${i}]`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(v))));
  }
  return { before, after, report };
}

describe('fuseGraph rewrites', () => {
  it('Reshape(ReduceMean(x), [1]) of a vector → ReduceMean with keepdims; Reshape of a Reshape reads its input', async () => {
    const { after, report } = await same(
      (g) => {
        const x = g.input('x', 'float32', [6]);
        g.output(g.node('Reshape', [g.node('ReduceMean', [x], { keepdims: 0 }), g.constInt64([1])], {}, { outputNames: ['m'] }), 'float32', [1]);
        g.output(g.node('Reshape', [g.node('Reshape', [x, g.constInt64([2, 3])]), g.constInt64([3, 2])], {}, { outputNames: ['r'] }), 'float32', [3, 2]);
      },
      { x: { dims: [6], data: rand(6, 8) } },
      new Map([['x', [6]]])
    );
    expect(ops(after)).toEqual(['ReduceMean', 'Reshape']);
    expect(after.graph.nodes[0]).toMatchObject({ outputs: ['m'], attrs: { keepdims: 1 } });
    expect(after.graph.nodes[1].inputs[0]).toBe('x');
    expect(report.rewritten).toMatchObject({ reduce: 1, reshape: 1 });
  });

  it('folds a constant subgraph (Mul, Reshape, Expand, Neg) into one initializer', async () => {
    const { after, report } = await same(
      (g) => {
        const x = g.input('x', 'float32', [4, 3]);
        const seed = g.node('Neg', [g.node('Expand', [g.node('Reshape', [g.node('Mul', [g.constFloat(1), g.constFloat(0.25)]), g.constInt64([1, 1])]), g.constInt64([4, 1])])]);
        g.output(g.node('Mul', [seed, x], {}, { outputNames: ['y'] }), 'float32', [4, 3]);
      },
      { x: { dims: [4, 3], data: rand(12, 1) } }
    );
    expect(ops(after)).toEqual(['Mul']);
    expect(report.rewritten.fold).toBe(4);
    const c = after.graph.initializers.find((t) => t.name === after.graph.nodes[0].inputs[0])!;
    expect(c.dims).toEqual([4, 1]);
    expect(Array.from(c.data as Float32Array)).toEqual([-0.25, -0.25, -0.25, -0.25]);
  });

  it("softmax cross-entropy's gradient: exp(z − lse(z)) is the forward Softmax, −y/N + p/N is (p − y)·(1/N)", async () => {
    const shapes = new Map([['z', [4, 3]]]);
    const { after, report } = await same(
      (g) => {
        const z = g.input('z', 'float32', [4, 3]);
        const y = g.input('y', 'float32', [4, 3]);
        g.output(g.node('Softmax', [z], { axis: -1 }, { outputNames: ['p'] }), 'float32', [4, 3]);
        const lse = g.node('ReduceLogSumExp', [z], { axes: [-1], keepdims: 0 });
        const e = g.node('Exp', [g.node('Sub', [z, g.node('Reshape', [lse, g.constInt64([4, 1])])])]);
        const gz = g.node('Add', [g.node('Mul', [g.constFloat(new Array(12).fill(-0.25), [4, 3]), y]), g.node('Mul', [g.constFloat([0.25, 0.25, 0.25, 0.25], [4, 1]), e])], {}, { outputNames: ['gz'] });
        g.output(gz, 'float32', [4, 3]);
      },
      { z: { dims: [4, 3], data: rand(12, 2) }, y: { dims: [4, 3], data: Float32Array.from({ length: 12 }, (_, i) => (i % 4 === 0 ? 1 : 0)) } },
      shapes
    );
    expect(ops(after)).toEqual(['Softmax', 'Sub', 'Mul']);
    expect(report.rewritten).toMatchObject({ softmax: 1, factor: 1 });
    const sub = after.graph.nodes[1];
    expect(sub.inputs).toEqual(['p', 'y']);
  });

  it('leaves c·a + d·b alone when d is not ±c, and Exp of another Sub', async () => {
    const { after } = await same(
      (g) => {
        const a = g.input('a', 'float32', [4, 3]);
        const b = g.input('b', 'float32', [4, 3]);
        g.output(g.node('Add', [g.node('Mul', [g.constFloat(0.5), a]), g.node('Exp', [g.node('Mul', [g.constFloat(0.25), b])])], {}, { outputNames: ['o'] }), 'float32', [4, 3]);
      },
      { a: { dims: [4, 3], data: rand(12, 3) }, b: { dims: [4, 3], data: rand(12, 4) } }
    );
    expect(ops(after)).toEqual(['Mul', 'Mul', 'Exp', 'Add']);
  });

  it('computes Mul(a, b) and Mul(b, a), or ReduceSums with equal axis constants, once; not a Mul by another constant', async () => {
    const { after, report } = await same(
      (g) => {
        const a = g.input('a', 'float32', [4, 3]);
        const b = g.input('b', 'float32', [4, 3]);
        const s1 = g.node('ReduceSum', [g.node('Mul', [a, b]), g.constInt64([-1])], { keepdims: 0 });
        const s2 = g.node('ReduceSum', [g.node('Mul', [b, a]), g.constInt64([-1])], { keepdims: 0 });
        g.output(g.node('Sub', [s1, s2], {}, { outputNames: ['d'] }), 'float32', [4]);
        g.output(g.node('Add', [g.node('Mul', [a, g.constFloat(2)]), g.node('Mul', [a, g.constFloat(3)])], {}, { outputNames: ['e'] }), 'float32', [4, 3]);
      },
      { a: { dims: [4, 3], data: rand(12, 9) }, b: { dims: [4, 3], data: rand(12, 10) } }
    );
    expect(ops(after)).toEqual(['Mul', 'ReduceSum', 'Sub', 'Mul', 'Mul', 'Add']);
    expect(report.rewritten.cse).toBe(2);
  });

  it('MatMul + Add(bias) of 2-D operands → Gemm; Gather(x, 0) of a leading axis of 1 → Reshape', async () => {
    const shapes = new Map([
      ['a', [5, 4]],
      ['w', [4, 3]],
      ['b', [3]]
    ]);
    const { after } = await same(
      (g) => {
        const x = g.input('x', 'float32', [1, 5, 4]);
        const w = g.input('w', 'float32', [4, 3]);
        const b = g.input('b', 'float32', [3]);
        const a = g.node('Gather', [x, g.constInt64(0)], { axis: 0 }, { outputNames: ['a'] });
        g.output(g.node('Add', [g.node('MatMul', [a, w]), b], {}, { outputNames: ['o'] }), 'float32', [5, 3]);
      },
      { x: { dims: [1, 5, 4], data: rand(20, 5) }, w: { dims: [4, 3], data: rand(12, 6) }, b: { dims: [3], data: rand(3, 7) } },
      shapes,
      1e-5
    );
    expect(ops(after)).toEqual(['Reshape', 'Gemm']);
  });
});

/** `steps` steps of the K = 1 graph on ORT wasm (state fed back), from the initial state; the losses and metrics. */
async function train(step: CompiledStep, weights: WeightMap, x: Float32Array, y: Float32Array, steps: number): Promise<{ losses: number[]; metrics: number[] }> {
  const s = await ort.InferenceSession.create(encodeModel(step.model), { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const vals = new Map<string, { dims: number[]; data: Float32Array }>();
  const flat = new Float32Array(step.flat!.shape[0]);
  for (const p of step.params) flat.set(weights[p.node][p.weight].data, p.offset);
  vals.set(step.flat!.input, { dims: step.flat!.shape, data: flat });
  for (const st of step.state) vals.set(st.input, { dims: st.shape, data: typeof st.init === 'number' ? new Float32Array(st.shape.reduce((a, b) => a * b, 1)).fill(st.init) : Float32Array.from(st.init) });
  const { xShape, yShape } = step.inputs;
  const rx = xShape.slice(1).reduce((a, b) => a * b, 1);
  const ry = yShape.slice(1).reduce((a, b) => a * b, 1);
  const losses: number[] = [];
  const metrics: number[] = [];
  for (let k = 0; k < steps; k++) {
    const feeds: Record<string, ort.Tensor> = {};
    for (const [n, v] of vals) feeds[n] = new ort.Tensor('float32', v.data, v.dims);
    feeds[step.inputs.x] = new ort.Tensor('float32', x.slice(k * rx, (k + 1) * rx), xShape);
    feeds[step.inputs.y] = new ort.Tensor('float32', y.slice(k * ry, (k + 1) * ry), yShape);
    feeds[step.inputs.lr] = new ort.Tensor('float32', Float32Array.of(0.01), []);
    const out = await s.run(feeds);
    losses.push((out.loss.data as Float32Array)[0]);
    metrics.push((out.metric.data as Float32Array)[0]);
    for (const t of [step.flat!, ...step.state]) vals.set(t.input, { dims: t.shape, data: out[t.output].data as Float32Array });
  }
  await s.release();
  return { losses, metrics };
}

describe('the spiral train step', () => {
  const { spec, data: dsName } = load('spiral');
  const model = buildModel(tf, spec, 3);
  const weights = readTfjsWeights(model, spec);
  model.dispose();

  it('has at most 58 nodes (K = 1; 79 before) and 20 steps give the losses of the unfused graph', async () => {
    const fused = compileTrainStep(spec, { batchSize: 32, steps: 1, weights });
    const plain = compileTrainStep(spec, { batchSize: 32, steps: 1, weights, fuse: false });
    const count = (s: CompiledStep, op: string) => s.model.graph.nodes.filter((n) => n.op === op).length;
    console.log(`spiral K=1: ${plain.nodeCount} nodes unfused, ${fused.nodeCount} fused`);
    expect(fused.nodeCount).toBeLessThanOrEqual(58);
    expect(fused.nodeCount).toBe(fused.model.graph.nodes.length);
    expect(count(fused, 'Exp')).toBe(0); // the gradient reads the forward Softmax
    expect(count(fused, 'Expand')).toBe(0); // the loss seed is a constant
    expect(count(fused, 'MatMul')).toBe(0); // Dense as Gemm
    expect(count(fused, 'Gather')).toBe(0); // x and y at K = 1: Reshape
    const data = bind(dataset(dsName, 20 * 32), spec);
    const { losses: a, metrics: ma } = await train(plain, weights, data.x, data.y, 20);
    const { losses: b, metrics: mb } = await train(fused, weights, data.x, data.y, 20);
    expect(mb).toEqual(ma);
    const rel = Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.abs(v)));
    console.log(`spiral, 20 Adam steps: loss ${a[0].toFixed(5)} → ${a[19].toFixed(5)}, fused vs unfused max rel diff ${rel.toExponential(2)}`);
    expect(a[19]).toBeLessThan(a[0]);
    expect(rel).toBeLessThan(1e-5);
  });

  it('K = 4 keeps one Gather per step for x and y and the same outputs', () => {
    const s = compileTrainStep(spec, { batchSize: 32, steps: 4, weights });
    expect(s.model.graph.nodes.filter((n) => n.op === 'Gather')).toHaveLength(8);
    expect(s.model.graph.outputs.map((o) => o.name)).toEqual(compileTrainStep(spec, { batchSize: 32, steps: 4, weights, fuse: false }).model.graph.outputs.map((o) => o.name));
    for (const o of s.model.graph.outputs) expect(s.model.graph.nodes.some((n) => n.outputs.includes(o.name)), o.name).toBe(true);
  });
});
