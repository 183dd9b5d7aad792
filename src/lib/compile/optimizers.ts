/**
 * Optimizer updates as ONNX ops, with the formulas of TF.js' optimizers (what the eager path runs, see
 * `makeOptimizer` in engines/tfjs/build.ts; same Keras defaults):
 *
 *   sgd               w ← w − lr·g
 *   sgd momentum      a ← m·a + g;  w ← w − lr·a                 (nesterov: w ← w − lr·(g + m·a))
 *   adam              m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  w ← w − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)
 *                     (β1ᵗ, β2ᵗ are state scalars starting at β1, β2, multiplied after each step)
 *   rmsprop           s ← ρ·s + (1−ρ)·g²;  mom ← μ·mom + lr·g/√(s + ε);  w ← w − mom
 *   rmsprop centered  mg ← ρ·mg + (1−ρ)·g;  mom ← μ·mom + lr·g/√(s − (mg² + ε))   (TF.js' formula, ε subtracted)
 *   adagrad           acc ← acc + g²;  w ← w − lr·g/√(acc + ε)    (acc starts at initial_accumulator_value, ε = 1e-7)
 *
 * State is per parameter ("slots", same shape as the parameter) plus a few scalars ("globals"); the train-step graph
 * takes them as inputs and returns their new values.
 */
import type { GraphBuilder } from '$lib/onnx/graph';
import type { ArgValue, OptimizerSpec } from '$lib/spec/types';

/** TF.js' backend epsilon (float32 backends). */
export const BACKEND_EPSILON = 1e-7;

export interface ParamUpdateInput {
  value: string;
  grad: string;
  /** Current slot values, in `slots` order. */
  slots: string[];
}

export interface OptimizerPlan {
  name: string;
  /** Per-parameter state tensors (same shape as the parameter) and their initial fill value. */
  slots: { name: string; init: number }[];
  /** Scalar state (Adam's β1ᵗ, β2ᵗ) and initial values. */
  globals: { name: string; init: number }[];
  /** Emit one update of every parameter. Returns the new parameter values, slots and globals. */
  emit(g: GraphBuilder, lr: string, params: ParamUpdateInput[], globals: string[]): { values: string[]; slots: string[][]; globals: string[] };
}

function num(args: Record<string, ArgValue>, name: string, dflt: number): number {
  const v = args[name];
  return typeof v === 'number' ? v : dflt;
}

const c = (g: GraphBuilder, v: number) => g.constFloat(v);
const mul = (g: GraphBuilder, a: string, b: string) => g.node('Mul', [a, b]);
const add = (g: GraphBuilder, a: string, b: string) => g.node('Add', [a, b]);
const sub = (g: GraphBuilder, a: string, b: string) => g.node('Sub', [a, b]);
const div = (g: GraphBuilder, a: string, b: string) => g.node('Div', [a, b]);
const sqrt = (g: GraphBuilder, a: string) => g.node('Sqrt', [a]);

/** −lr, emitted once per graph (the K unrolled steps share it: on WebGPU every node is a dispatch). */
const negated = new WeakMap<GraphBuilder, Map<string, string>>();
function negLearningRate(g: GraphBuilder, lr: string): string {
  let m = negated.get(g);
  if (!m) negated.set(g, (m = new Map()));
  let v = m.get(lr);
  if (!v) m.set(lr, (v = g.node('Neg', [lr])));
  return v;
}

/** The update plan for a spec's optimizer (Keras argument names and defaults, as makeOptimizer reads them). */
export function optimizerPlan(opt: OptimizerSpec): OptimizerPlan {
  const a = opt.args ?? {};
  switch (opt.name) {
    case 'sgd': {
      const m = num(a, 'momentum', 0);
      const nesterov = a.nesterov === true;
      if (m > 0 || nesterov) {
        return {
          name: nesterov ? 'sgd (nesterov)' : 'sgd (momentum)',
          slots: [{ name: 'accumulation', init: 0 }],
          globals: [],
          emit(g, lr, params) {
            const mc = c(g, m);
            const out = params.map((p) => {
              const acc = add(g, mul(g, mc, p.slots[0]), p.grad);
              const step = nesterov ? add(g, p.grad, mul(g, acc, mc)) : acc;
              return { value: sub(g, p.value, mul(g, lr, step)), slots: [acc] };
            });
            return { values: out.map((o) => o.value), slots: out.map((o) => o.slots), globals: [] };
          }
        };
      }
      return {
        name: 'sgd',
        slots: [],
        globals: [],
        emit(g, lr, params) {
          return { values: params.map((p) => sub(g, p.value, mul(g, lr, p.grad))), slots: params.map(() => []), globals: [] };
        }
      };
    }
    case 'adam': {
      const b1 = num(a, 'beta_1', 0.9);
      const b2 = num(a, 'beta_2', 0.999);
      const eps = num(a, 'epsilon', 1e-7);
      return {
        name: 'adam',
        slots: [
          { name: 'm', init: 0 },
          { name: 'v', init: 0 }
        ],
        globals: [
          { name: 'beta1_power', init: b1 },
          { name: 'beta2_power', init: b2 }
        ],
        emit(g, lr, params, [p1, p2]) {
          const one = c(g, 1);
          const b1c = c(g, b1);
          const b2c = c(g, b2);
          const nb1 = c(g, 1 - b1);
          const nb2 = c(g, 1 - b2);
          const epsc = c(g, eps);
          const corr1 = sub(g, one, p1);
          const corr2 = sub(g, one, p2);
          const negLr = negLearningRate(g, lr);
          const out = params.map((p) => {
            const m = add(g, mul(g, p.slots[0], b1c), mul(g, p.grad, nb1));
            const v = add(g, mul(g, p.slots[1], b2c), mul(g, mul(g, p.grad, p.grad), nb2));
            const mhat = div(g, m, corr1);
            const vhat = div(g, v, corr2);
            const value = add(g, mul(g, div(g, mhat, add(g, sqrt(g, vhat), epsc)), negLr), p.value);
            return { value, slots: [m, v] };
          });
          return { values: out.map((o) => o.value), slots: out.map((o) => o.slots), globals: [mul(g, p1, b1c), mul(g, p2, b2c)] };
        }
      };
    }
    case 'rmsprop': {
      const rho = num(a, 'rho', 0.9);
      const mom = num(a, 'momentum', 0);
      const eps = num(a, 'epsilon', 1e-7);
      const centered = a.centered === true;
      return {
        name: centered ? 'rmsprop (centered)' : 'rmsprop',
        slots: centered
          ? [
              { name: 'ms', init: 0 },
              { name: 'mom', init: 0 },
              { name: 'mg', init: 0 }
            ]
          : [
              { name: 'ms', init: 0 },
              { name: 'mom', init: 0 }
            ],
        globals: [],
        emit(g, lr, params) {
          const rhoC = c(g, rho);
          const nrho = c(g, 1 - rho);
          const momC = c(g, mom);
          const epsC = c(g, eps);
          const out = params.map((p) => {
            const ms = add(g, mul(g, p.slots[0], rhoC), mul(g, mul(g, p.grad, p.grad), nrho));
            let denom: string;
            let mg: string | null = null;
            if (centered) {
              mg = add(g, mul(g, p.slots[2], rhoC), mul(g, p.grad, nrho));
              denom = sqrt(g, sub(g, ms, add(g, mul(g, mg, mg), epsC)));
            } else {
              denom = sqrt(g, add(g, ms, epsC));
            }
            const m = add(g, mul(g, p.slots[1], momC), div(g, mul(g, p.grad, lr), denom));
            return { value: sub(g, p.value, m), slots: mg ? [ms, m, mg] : [ms, m] };
          });
          return { values: out.map((o) => o.value), slots: out.map((o) => o.slots), globals: [] };
        }
      };
    }
    case 'adagrad': {
      const init = num(a, 'initial_accumulator_value', 0.1);
      return {
        name: 'adagrad',
        slots: [{ name: 'accumulator', init }],
        globals: [],
        emit(g, lr, params) {
          const epsC = c(g, BACKEND_EPSILON);
          const negLr = negLearningRate(g, lr);
          const out = params.map((p) => {
            const acc = add(g, p.slots[0], mul(g, p.grad, p.grad));
            const value = add(g, mul(g, div(g, p.grad, sqrt(g, add(g, acc, epsC))), negLr), p.value);
            return { value, slots: [acc] };
          });
          return { values: out.map((o) => o.value), slots: out.map((o) => o.slots), globals: [] };
        }
      };
    }
    default:
      throw new Error(`unsupported optimizer ${String((opt as OptimizerSpec).name)}`);
  }
}
