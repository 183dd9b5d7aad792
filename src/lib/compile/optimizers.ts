/**
 * Optimizer updates of the train-step graph. Each optimizer's compiled lowering lives in its registry file
 * (`$lib/optimizers/<name>.ts`, with the formulas of TF.js' optimizer that the eager path runs); this module only
 * looks it up for a spec.
 *
 * State is per parameter ("slots", same shape as the parameter) plus a few scalars ("globals"); the train-step graph
 * takes them as inputs and returns their new values.
 */
import { optimizerDef, type OptimizerPlan } from '$lib/optimizers';
import type { OptimizerSpec } from '$lib/spec/types';

export { BACKEND_EPSILON } from '$lib/optimizers/onnx-ops';
export type { OptimizerPlan, ParamUpdateInput } from '$lib/optimizers';

/** The update plan for a spec's optimizer (Keras argument names and defaults, as the TF.js lowering reads them). */
export function optimizerPlan(opt: OptimizerSpec): OptimizerPlan {
  return optimizerDef(opt).toOnnx(opt.args ?? {});
}
