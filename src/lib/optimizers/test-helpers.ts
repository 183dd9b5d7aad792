/**
 * Test-only: runs a small ONNX graph (a registry entry's compiled lowering) in onnxruntime-web (wasm) under node, so
 * the optimizer, loss and metric tests can compare it with the entry's TF.js lowering. Not used at run time.
 */
import * as ort from 'onnxruntime-web';
import { encodeModel, GraphBuilder, makeModel } from '$lib/onnx/graph';

export interface Feed {
  data: Float32Array;
  dims: number[];
}

/** Builds a graph with float32 inputs `feeds` (by name), calls `emit` for its outputs (shapes `outDims`, default scalars), runs it once. */
export async function runGraph(feeds: Record<string, Feed>, emit: (g: GraphBuilder, inputs: Record<string, string>) => string[], outDims: number[][] = []): Promise<Float32Array[]> {
  ort.env.wasm.numThreads = 1;
  const g = new GraphBuilder('test');
  const inputs: Record<string, string> = {};
  for (const [name, f] of Object.entries(feeds)) inputs[name] = g.input(name, 'float32', f.dims);
  const outs = emit(g, inputs).map((v, i) => g.node('Identity', [v], {}, { outputNames: [`out_${i}`] }));
  outs.forEach((o, i) => g.output(o, 'float32', outDims[i] ?? []));
  const bytes = encodeModel(makeModel(g.graph, { producerVersion: 'test' }));
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  const res = await session.run(Object.fromEntries(Object.entries(feeds).map(([k, f]) => [k, new ort.Tensor('float32', f.data, f.dims)])));
  await session.release();
  return outs.map((o) => res[o].data as Float32Array);
}

/** Largest |a − b| / max(|b|, floor). */
export function relDiff(a: ArrayLike<number>, b: ArrayLike<number>, floor = 1e-3): number {
  let worst = 0;
  for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor));
  return worst;
}
