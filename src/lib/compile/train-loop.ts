/**
 * Compiled training of a TF.js-built model: the one training loop (engines/train-loop.ts) driving the compiled
 * engine (engine.ts), with the TF.js model as its mirror — the source of the initial weights, validated in
 * inference mode at the end of every epoch and receiving the compiled weights at pauses, stops and epoch ends, so
 * the decision boundary, histograms and export keep using it. Same hooks, logs, shuffling, batches and divergence
 * message as the eager `trainModel`.
 */
import type { BoundData } from '$lib/data/types';
import type { EngineReport } from '$lib/engines/engine';
import { runTraining, type TrainHooks, type TrainOptions, type TrainResult } from '$lib/engines/train-loop';
import type { Tfjs } from '$lib/layers/types';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { compiledEngine } from './engine';
import { compiledProviderFor, type CompiledProvider } from './providers';
import type { OrtModule } from './runner';

export { compiledProviderFor, type CompiledProvider };
export { gatherRows } from '$lib/engines/engine';
export { writeWeightMap } from '$lib/engines/tfjs/weights';

/** What the compiled engine runs on, for the UI. */
export interface CompiledInfo {
  requested: CompiledProvider;
  /** The ORT execution provider that actually runs ('wasm' or 'webgpu'). */
  provider: string;
  compileMs: number;
  /** Nodes in the K-step graph, and K. */
  nodeCount: number;
  stepsPerRun: number;
  /** Providers tried before `provider`, with the error each gave (empty when the requested one runs). */
  fallbacks: { tried: string; reason: string }[];
  /** On WebGPU through the playground's own kernels: dispatches per training step (absent when ORT runs the step). */
  dispatchesPerStep?: number;
}

/** The UI's CompiledInfo from the engine's report. */
export function compiledInfo(r: EngineReport): CompiledInfo {
  return { requested: r.requested as CompiledProvider, provider: r.actual, compileMs: r.buildMs, nodeCount: r.nodeCount ?? 0, stepsPerRun: r.stepsPerRun ?? 1, fallbacks: r.fallbacks.slice(), ...(r.dispatchesPerStep !== undefined ? { dispatchesPerStep: r.dispatchesPerStep } : {}) };
}

export interface CompiledHooks extends TrainHooks {
  onCompiled?(info: CompiledInfo): void;
}

/**
 * Trains `model` (built from `spec` by buildModel) with the compiled step. Returns like `trainModel`. The engine is
 * disposed at the end; the TF.js model holds the final weights.
 */
export function trainCompiled(
  ort: OrtModule,
  tf: Tfjs,
  model: TF.LayersModel,
  spec: ModelSpec,
  data: BoundData,
  opts: TrainOptions & { provider: CompiledProvider; stepsPerRun?: number },
  hooks: CompiledHooks
): Promise<TrainResult> {
  const open = compiledEngine({ ort, spec, provider: opts.provider, stepsPerRun: opts.stepsPerRun, mirror: { tf, model } });
  return runTraining(open, spec, data, opts, {
    ...hooks,
    onEngine: (r) => {
      hooks.onEngine?.(r);
      hooks.onCompiled?.(compiledInfo(r));
    }
  });
}
