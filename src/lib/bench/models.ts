/**
 * The benchmark models as ModelSpecs, parsed from the bundled example programs (Vite / vitest only: it reads
 * `$lib/examples`, which uses import.meta.glob).
 */
import { dataConstants } from '$lib/data/constants';
import { EXAMPLES } from '$lib/examples';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes, type ModelSummary } from '$lib/spec/shape';
import type { ModelSpec } from '$lib/spec/types';
import { MODELS, type ModelId } from './suite';

export interface BenchModel {
  id: ModelId;
  spec: ModelSpec;
  summary: ModelSummary;
  /** The example's model.fit batch_size. */
  trainBatch: number;
}

const cache = new Map<ModelId, BenchModel>();

export function benchModel(id: ModelId): BenchModel {
  const hit = cache.get(id);
  if (hit) return hit;
  const info = MODELS[id];
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
