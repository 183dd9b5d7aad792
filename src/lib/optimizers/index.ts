/**
 * The optimizer registry. Adding an optimizer = one file beside this one (an `OptimizerDef`) + one line here.
 * The parser (`keras.optimizers.X(...)`, `compile(optimizer="x")`), the printer, completion/hover and both engines
 * read this list; `OptimizerName` (the spec's optimizer names) is derived from it.
 */
import type { ArgValue } from '$lib/spec/types';
import { adagrad } from './adagrad';
import { adam } from './adam';
import { rmsprop } from './rmsprop';
import { sgd } from './sgd';
import type { OptimizerDef } from './types';

export const OPTIMIZER_LIST = [sgd, adam, rmsprop, adagrad] as const;

export type OptimizerName = (typeof OPTIMIZER_LIST)[number]['name'];

/** The optimizers by spec name. */
export const OPTIMIZERS = Object.fromEntries(OPTIMIZER_LIST.map((o) => [o.name, o])) as { readonly [N in OptimizerName]: OptimizerDef<N> };

/** The optimizer Keras' `compile()` uses when none is given. */
export const DEFAULT_OPTIMIZER: OptimizerName = 'rmsprop';

/** Strings accepted by `compile(optimizer=...)`: Keras accepts the snake name and the class name ("adam", "Adam"). */
export const OPTIMIZER_STRINGS: Readonly<Record<string, OptimizerName>> = Object.fromEntries(
  OPTIMIZER_LIST.flatMap((o) => [
    [o.name, o.name],
    [o.className, o.name]
  ])
);

export function getOptimizer(name: string): OptimizerDef | undefined {
  return (OPTIMIZERS as Record<string, OptimizerDef>)[name];
}

/** Keras' default learning rate of an optimizer. */
export function defaultLearningRate(name: OptimizerName): number {
  return OPTIMIZERS[name].args[0].default as number;
}

/** The def of a spec's optimizer; throws for a name not in the registry. */
export function optimizerDef(opt: { name: string; args?: Record<string, ArgValue> }): OptimizerDef {
  const def = getOptimizer(opt.name);
  if (!def) throw new Error(`unsupported optimizer ${String(opt.name)}`);
  return def;
}

export { optimizerArg, optimizerFlag, type OptimizerDef, type OptimizerPlan, type ParamUpdateInput } from './types';
