/**
 * The engines a training run can ask for (`TrainRequest.engine`), by name: each entry opens its engine
 * (engines/engine.ts) for the session's run. A new engine is one more `EngineKind` and one more entry here; the
 * session, the training loop, the comparison and the benchmark drive it through the interface.
 */
import { compiledOpener, type CompiledEvent, type OrtAccess } from '$lib/compile/compiled-methods';
import type { BackendInfo } from '$lib/engines/backend';
import type { EngineKind, EngineOpener } from '$lib/engines/engine';
import { tfjsEngine } from '$lib/engines/tfjs/engine';
import type { Tfjs } from '$lib/layers/types';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import type { OptimizerState } from './protocol';

export interface EngineContext {
  tf: Tfjs;
  /** The session's TF.js model built from `spec` (trained by the eager engine; the compiled engine's mirror). */
  model: TF.LayersModel;
  spec: ModelSpec;
  /** The TF.js backend resolved for the run (what was asked for, what runs). */
  backend: BackendInfo;
  access: OrtAccess;
  /** Engine-specific events for the UI (the compiled engine's 'compiled'). */
  emit(e: CompiledEvent): void;
  /** A continued run: the optimizer's saved state (the eager engine restores it into the model's optimizer first). */
  optimizer?: OptimizerState;
}

export const ENGINES: Record<EngineKind, (ctx: EngineContext) => Promise<EngineOpener>> = {
  eager: async (c) => tfjsEngine({ tf: c.tf, model: c.model, spec: c.spec, backend: c.backend }),
  compiled: (c) => compiledOpener(c.access, c.spec, c.backend.requested, { tf: c.tf, model: c.model }, c.emit, c.optimizer)
};
