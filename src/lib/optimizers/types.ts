/**
 * The optimizer registry's contract (one `OptimizerDef` per Keras optimizer class), like the layer registry's
 * `LayerDef`: Keras names and arguments (Keras 3 defaults, docs for hover and completion), the TF.js lowering (eager
 * engine) and the compiled lowering (ONNX ops of one update, for the train-step graph).
 *
 * A spec keeps only the arguments the program wrote (`OptimizerSpec.args`); both lowerings read the rest from the
 * `args` table through `optimizerArg`, so each default is written once.
 */
import type { GraphBuilder } from '$lib/onnx/graph';
import type { ArgDef, Tfjs } from '$lib/layers/types';
import type { ArgValue } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';

export interface ParamUpdateInput {
  value: string;
  grad: string;
  /** Current slot values, in `slots` order. */
  slots: string[];
}

/** The compiled lowering of an optimizer with given arguments: its state and the ONNX ops of one update. */
export interface OptimizerPlan {
  name: string;
  /** Per-parameter state tensors (same shape as the parameter) and their initial fill value. */
  slots: { name: string; init: number }[];
  /** Scalar state (Adam's β1ᵗ, β2ᵗ) and initial values. */
  globals: { name: string; init: number }[];
  /** Emit one update of every parameter. Returns the new parameter values, slots and globals. */
  emit(g: GraphBuilder, lr: string, params: ParamUpdateInput[], globals: string[]): { values: string[]; slots: string[][]; globals: string[] };
}

export interface OptimizerDef<N extends string = string> {
  /** The spec's name: Keras' snake-case string (`compile(optimizer="adam")`). */
  name: N;
  /** Keras class name (`keras.optimizers.Adam`); also accepted as a string. */
  className: string;
  /** One-paragraph doc for hover. */
  doc: string;
  /** Constructor arguments in Keras positional order, with Keras 3 defaults; `learning_rate` first. */
  args: readonly ArgDef[];
  /** The TF.js optimizer (eager engine), with `args` as the program wrote them (defaults from `args` above). */
  toTfjs(tf: Tfjs, learningRate: number, args: Record<string, ArgValue>): TF.Optimizer;
  /** The compiled lowering (train-step graph), with the formulas of the TF.js optimizer. */
  toOnnx(args: Record<string, ArgValue>): OptimizerPlan;
  /**
   * The PyTorch lowering (`$lib/pytorch`): a Python expression building the torch.optim optimizer over `params`, and
   * notes (Python comments) on where torch's formula differs from Keras 3's. Absent: refused by the PyTorch export.
   */
  toPytorch?(learningRate: number, args: Record<string, ArgValue>): { code: string; notes: string[] };
}

/** The value of a numeric argument: what the program wrote, else the def's Keras default. */
export function optimizerArg(def: Pick<OptimizerDef, 'name' | 'args'>, args: Record<string, ArgValue>, name: string): number {
  const v = args[name];
  if (typeof v === 'number') return v;
  const d = def.args.find((a) => a.name === name);
  if (!d || typeof d.default !== 'number') throw new Error(`${def.name} has no numeric argument ${name}`);
  return d.default;
}

/** The value of a boolean argument: what the program wrote, else the def's Keras default. */
export function optimizerFlag(def: Pick<OptimizerDef, 'name' | 'args'>, args: Record<string, ArgValue>, name: string): boolean {
  const v = args[name];
  if (typeof v === 'boolean') return v;
  const d = def.args.find((a) => a.name === name);
  if (!d || typeof d.default !== 'boolean') throw new Error(`${def.name} has no boolean argument ${name}`);
  return d.default;
}

/** Keras' own `learning_rate` argument (every optimizer's first). */
export function learningRateArg(dflt: number): ArgDef {
  return { name: 'learning_rate', type: 'float', default: dflt, doc: 'Step size (greater than 0).' };
}
