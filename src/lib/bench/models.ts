/**
 * The benchmark models as ModelSpecs, parsed from the bundled example programs (Vite / vitest only: it reads
 * `$lib/examples`, which uses import.meta.glob).
 */
import { dataConstants } from '$lib/data/constants';
import { EXAMPLES } from '$lib/examples';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes, type ModelSummary } from '$lib/spec/shape';
import type { ModelSpec } from '$lib/spec/types';
import { MODELS, type AnyModelId, type ModelId } from './suite';

export interface BenchModel {
  id: AnyModelId;
  spec: ModelSpec;
  summary: ModelSummary;
  /** The example's model.fit batch_size. */
  trainBatch: number;
}

const cache = new Map<AnyModelId, BenchModel>();
/** Models made at run time (the editor's program, the sweep's MLPs), by id; the bench workers get them too. */
const custom = new Map<AnyModelId, BenchModel>();

/** Registers (or replaces) a custom model, so `benchModel(id)` finds it. Plain data: it travels to the workers. */
export function registerBenchModel(m: BenchModel): void {
  custom.set(m.id, m);
}

export function customBenchModels(): BenchModel[] {
  return [...custom.values()];
}

export function benchModel(id: AnyModelId): BenchModel {
  const mine = custom.get(id);
  if (mine) return mine;
  const hit = cache.get(id);
  if (hit) return hit;
  if (!(id in MODELS)) throw new Error(`the model "${id}" is not known here (a custom model that was not registered)`);
  const info = MODELS[id as ModelId];
  const example = EXAMPLES.find((e) => e.id === info.example);
  if (!example) throw new Error(`examples/${info.example}.py is missing`);
  const { spec, diagnostics } = parseProgram(example.source, { constants: dataConstants(example.data) });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!spec || errors.length) throw new Error(`examples/${info.example}.py does not parse: ${errors.map((d) => d.message).join('; ')}`);
  const { summary } = inferShapes(spec);
  if (!summary) throw new Error(`examples/${info.example}.py has no valid shapes`);
  const model: BenchModel = { id, spec, summary, trainBatch: spec.fit?.batchSize ?? 32 };
  cache.set(id, model);
  return model;
}
