/** Small ONNX helpers shared by the optimizers' compiled lowerings. */
import type { GraphBuilder } from '$lib/onnx/graph';

/** TF.js' backend epsilon (float32 backends), which its Adagrad adds without an argument for it. */
export const BACKEND_EPSILON = 1e-7;

export const c = (g: GraphBuilder, v: number) => g.constFloat(v);
export const mul = (g: GraphBuilder, a: string, b: string) => g.node('Mul', [a, b]);
export const add = (g: GraphBuilder, a: string, b: string) => g.node('Add', [a, b]);
export const sub = (g: GraphBuilder, a: string, b: string) => g.node('Sub', [a, b]);
export const div = (g: GraphBuilder, a: string, b: string) => g.node('Div', [a, b]);
export const sqrt = (g: GraphBuilder, a: string) => g.node('Sqrt', [a]);

/** −lr, emitted once per graph (the K unrolled steps share it: on WebGPU every node is a dispatch). */
const negated = new WeakMap<GraphBuilder, Map<string, string>>();
export function negLearningRate(g: GraphBuilder, lr: string): string {
  let m = negated.get(g);
  if (!m) negated.set(g, (m = new Map()));
  let v = m.get(lr);
  if (!v) m.set(lr, (v = g.node('Neg', [lr])));
  return v;
}
