/// <reference lib="webworker" />
/**
 * The benchmark worker: one per TF.js backend (as the training client does), one cell at a time. Loads TF.js,
 * starts its backend with the app's resolve-with-fallback, and runs cells with runner.ts. Exposed with comlink.
 */
import * as tf from '@tensorflow/tfjs';
import * as Comlink from 'comlink';
import { describeBackend, resolveBackend, type BackendInfo, type BackendLoaders, type BackendName } from '$lib/engines/backend';
import { explainError } from '$lib/worker/session';
import type { BoundData } from '$lib/data/types';
import type { ModelSpec } from '$lib/spec/types';
import { benchModel } from './models';
import { fitEpochs, measureCell, toRow } from './runner';
import { emptyRow, type BenchRow, type Cell, type RepeatOptions } from './suite';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

let wasmModule: typeof import('@tensorflow/tfjs-backend-wasm') | null = null;

/** The same loaders as the training worker (src/lib/worker/training.worker.ts), so the race runs what the app runs. */
const loaders: BackendLoaders = {
  async load(name: BackendName) {
    if (name === 'wasm' && !wasmModule) {
      wasmModule = await import('@tensorflow/tfjs-backend-wasm');
      wasmModule.setWasmPaths({
        'tfjs-backend-wasm.wasm': wasmPlain,
        'tfjs-backend-wasm-simd.wasm': wasmSimd,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd
      });
      const cores = navigator.hardwareConcurrency || 1;
      if (Math.floor(cores / 2) <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      wasmModule.setThreadsCount(Math.min(8, Math.max(1, Math.floor(cores / 2))));
    }
    if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  },
  async adapterInfo() {
    type AdapterInfo = { vendor?: string; architecture?: string; device?: string; description?: string; isFallbackAdapter?: boolean };
    type Adapter = { info?: AdapterInfo; isFallbackAdapter?: boolean };
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<Adapter | null> } }).gpu;
    const adapter = await gpu?.requestAdapter();
    if (!adapter) return undefined;
    const info = adapter.info ?? {};
    return {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
      isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter)
    };
  },
  async wasmInfo() {
    return {
      simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
      threadsSupported: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      threads: wasmModule ? wasmModule.getThreadsCount() : 1,
      logicalCores: navigator.hardwareConcurrency || 1
    };
  }
};

let info: BackendInfo | null = null;
let initError: string | null = null;
let firstCell = true;

export interface RunCellOptions {
  repeats: RepeatOptions;
  seed: number;
  /** CPU values to compare with (null: none yet). */
  reference: Float32Array | null;
}

const api = {
  /** Starts the backend (once); returns what actually runs and its one-line description. */
  async init(backend: BackendName): Promise<{ info: BackendInfo | null; detail: string | null; error: string | null }> {
    if (!info && !initError) {
      try {
        info = await resolveBackend(tf, backend, loaders);
      } catch (e) {
        initError = e instanceof Error ? e.message : String(e);
      }
    }
    return { info, detail: info ? describeBackend(info) : null, error: initError };
  },

  /** Runs one cell; `values` are its outputs (or first losses), the reference for other backends when this is CPU. */
  async run(cell: Cell, opts: RunCellOptions): Promise<{ row: BenchRow; values: Float32Array | null }> {
    await api.init(cell.backend);
    if (!info) return { row: emptyRow(cell, 'unavailable', `unavailable: ${initError}`), values: null };
    const m = benchModel(cell.model);
    try {
      const r = await measureCell(tf, m, cell, { repeats: opts.repeats, seed: opts.seed });
      const row = toRow(cell, m, r, info, opts.reference);
      // Backend start-up is paid once per worker, by its first cell; later rows leave it out.
      if (!firstCell) row.initMs = null;
      firstCell = false;
      return Comlink.transfer({ row, values: r.values }, [r.values.buffer as ArrayBuffer]);
    } catch (e) {
      const message = explainError(e, tf.getBackend());
      const missingKernel = /not registered for backend/.test(e instanceof Error ? e.message : String(e));
      const row = emptyRow(cell, missingKernel ? 'unavailable' : 'error', missingKernel ? `unavailable: ${message}` : message);
      row.actualBackend = info.actual;
      row.backendDetail = describeBackend(info);
      return { row, values: null };
    }
  },

  /** The values of a cell without timing it (this worker should be the CPU one). */
  async reference(cell: Cell, seed: number, warmCalls: number): Promise<Float32Array | null> {
    await api.init(cell.backend);
    try {
      const r = await measureCell(tf, benchModel(cell.model), cell, {
        repeats: { warmCalls, minRepeats: 0, maxRepeats: 0, budgetMs: 0 },
        seed,
        referenceOnly: true
      });
      return Comlink.transfer(r.values, [r.values.buffer as ArrayBuffer]);
    } catch {
      return null;
    }
  },

  /** Bare model.fit on this backend (the baseline of the app-overhead ratio): wall ms for `epochs` epochs. */
  async fit(backend: BackendName, spec: ModelSpec, data: BoundData, seed: number, epochs: number): Promise<number> {
    await api.init(backend);
    if (!info) throw new Error(initError ?? `${backend} did not start`);
    return fitEpochs(tf, spec, data, seed, epochs);
  }
};

export type BenchWorkerApi = typeof api;

Comlink.expose(api);
