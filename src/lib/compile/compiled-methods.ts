/**
 * The worker session's compiled-engine pieces, kept out of session.ts (which only forwards to them):
 * - `compiledOpener`: the compiled engine (engine.ts) for the session's training loop, reporting the provider;
 * - `createCompareMethods`: the eager-vs-compiled comparison (compare.ts) as a TrainingApi method.
 * ORT is loaded lazily through `loadOrt` (the worker passes onnx/load-ort.ts; tests pass onnxruntime-web).
 */
import type { BackendLoaders } from '$lib/engines/backend';
import type { EngineOpener } from '$lib/engines/engine';
import type { Tfjs } from '$lib/layers/types';
import type { ModelSpec } from '$lib/spec/types';
import { runComparison, type CompareEvent, type CompareRequest } from './compare';
import { compiledSupport, type OrtModule } from './runner';
import type * as TF from '@tensorflow/tfjs';
import type { OptimizerState } from '$lib/worker/protocol';
import { compiledEngine } from './engine';
import { ortThreadsOf } from '$lib/onnx/ort-threads';
import { compiledInfo, compiledProviderFor, type CompiledInfo } from './train-loop';

export type { EngineKind as Engine } from '$lib/engines/engine';

export interface OrtAccess {
  loadOrt?: () => Promise<OrtModule>;
  captureOrtLog?: <T>(ort: OrtModule, f: () => Promise<T>) => Promise<{ value: T; lines: string[] }>;
}

/** The TrainEvent the compiled engine adds (see protocol.ts). */
export interface CompiledEvent {
  type: 'compiled';
  info: CompiledInfo;
  /** Why the ORT provider differs from the TF.js backend chosen (cpu/webgl → wasm), or null. */
  note: string | null;
  /** ORT's provider and WASM thread count (onnx/ort-threads.ts), for the "Backend in use" line. */
  ort?: { provider: string; threads: number; reason: string | null; kernels?: boolean };
}

/** Why the compiled engine cannot train `spec` (op, layer and line), or null when it can. */
export function compiledRefusal(spec: ModelSpec): string | null {
  const s = compiledSupport(spec);
  return s.ok ? null : s.message;
}

/**
 * The compiled engine for a run of the session, on the ORT provider mapped from the TF.js `backend`, with the session's
 * TF.js model as its mirror; `emit` gets the 'compiled' event once the engine is built.
 */
export async function compiledOpener(
  access: OrtAccess,
  spec: ModelSpec,
  backend: string,
  mirror: { tf: Tfjs; model: TF.LayersModel },
  emit: (e: CompiledEvent) => void,
  /** A continued run's saved optimizer state (compile/engine.ts `optimizer`). */
  optimizer?: OptimizerState
): Promise<EngineOpener> {
  if (!access.loadOrt) throw new Error('The compiled engine is not available here (ONNX Runtime is not loaded in this worker)');
  const refusal = compiledRefusal(spec);
  if (refusal) throw new Error(refusal);
  const ort = await access.loadOrt();
  const { provider, note } = compiledProviderFor(backend);
  const open = compiledEngine({ ort, spec, provider, mirror, ...(optimizer ? { optimizer } : {}) });
  return async (setup) => {
    const engine = await open(setup);
    const info = compiledInfo(engine.report);
    // A provider that could not start is said, with ORT's error (the mapping note, when there is one, comes first).
    // The own kernels' refusal is a sentence of its own.
    const own = info.fallbacks.find((f) => f.tried === 'own WebGPU kernels');
    const ortFailed = info.fallbacks.filter((f) => f.tried !== 'own WebGPU kernels');
    const failed = ortFailed.length ? `ONNX Runtime could not start ${ortFailed.map((f) => `${f.tried} (${f.reason})`).join(', ')}; the compiled step runs on ${info.provider}.` : null;
    const kernels = own ? `The playground's own WebGPU kernels cannot run this step (${own.reason}): ONNX Runtime runs it.` : null;
    const t = ortThreadsOf(ort);
    emit({ type: 'compiled', info, note: [note, kernels, failed].filter(Boolean).join(' ') || null, ort: { provider: info.provider, threads: t.threads, reason: t.reason, kernels: info.dispatchesPerStep !== undefined } });
    return engine;
  };
}

export interface CompareMethods {
  /** Eager vs compiled on `request.backend`; events stream through `onEvents`; resolves when done (or failed). */
  compare(request: CompareRequest, onEvents: (events: CompareEvent[]) => void): Promise<void>;
}

export function createCompareMethods(tf: Tfjs, loaders: BackendLoaders, access: OrtAccess): CompareMethods {
  return {
    async compare(request, onEvents) {
      try {
        if (!access.loadOrt) throw new Error('ONNX Runtime is not loaded in this worker');
        const ort = await access.loadOrt();
        const capture = access.captureOrtLog ? <T>(f: () => Promise<T>) => access.captureOrtLog!(ort, f) : undefined;
        await runComparison(tf, loaders, ort, request, (e) => onEvents([e]), capture);
      } catch (e) {
        onEvents([{ type: 'error', message: e instanceof Error ? e.message : String(e) }]);
      }
    }
  };
}
