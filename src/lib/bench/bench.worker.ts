/// <reference lib="webworker" />
/**
 * The benchmark worker: one per TF.js backend (as the training client does), one cell at a time. Loads TF.js,
 * starts its backend with the app's resolve-with-fallback, and runs cells with runner.ts. Exposed with comlink.
 */
import * as tf from '@tensorflow/tfjs';
import * as Comlink from 'comlink';
import { createBackendLoaders } from '$lib/worker/backend-loaders';
import { describeBackend, resolveBackend, type BackendInfo, type BackendName } from '$lib/engines/backend';
import { explainError } from '$lib/worker/session';
import type { BoundData } from '$lib/data/types';
import type { ModelSpec } from '$lib/spec/types';
import { benchModel, registerBenchModel, type BenchModel } from './models';
import { fitEpochs, measureCell, measureEngineCell, toRow } from './runner';
import { buildTfjsEngine } from '$lib/engines/tfjs/engine';
import { emptyRow, type BenchRow, type Cell, type RepeatOptions } from './suite';
import { ortCellEngine } from './ort-cells';
import { loadedOrtThreads, loadOrt } from '$lib/onnx/load-ort';
import { describeOrtThreads } from '$lib/onnx/ort-threads';
import { fireTestFault } from '$lib/worker/faults';
import type { TestFault } from '$lib/worker/protocol';

const loaders = createBackendLoaders(tf);

let info: BackendInfo | null = null;
let initError: string | null = null;
let firstCell = true;
/** Tests only: the fault the next cell has (worker/faults.ts fireTestFault). */
let armed: TestFault | null = null;

export interface RunCellOptions {
  repeats: RepeatOptions;
  seed: number;
  /** CPU values to compare with (null: none yet). */
  reference: Float32Array | null;
  /** ONNX Runtime's WASM thread count (onnx/load-ort.ts; default when absent). Set once per worker. */
  ortThreads?: number;
  /** The size sweep's limit per step: a slower cell stops after its probe, as `unavailable` with the time (runner.ts). */
  maxStepMs?: number;
}

const api = {
  /** The orchestrator's watchdog: answers while the worker lives and its event loop turns. */
  ping(): true {
    return true;
  },

  /** Tests only: the next cell has this fault (a crash, no answer, out of memory, a lost GPU device). */
  testFault(kind: TestFault): void {
    armed = kind;
  },

  /** A custom model (the editor's program, a sweep MLP) for later cells: plain spec data from the page. */
  define(m: BenchModel): void {
    registerBenchModel(m);
  },

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
      if (armed) {
        const kind = armed;
        armed = null;
        await fireTestFault(kind);
      }
      // The cell's engine (engines/engine.ts), measured alike: ONNX Runtime cells (ort-cells.ts: TF.js only builds the
      // seeded weights) or the eager TF.js engine on this worker's backend.
      const ort = cell.engine === 'ort';
      const open = ort ? ortCellEngine(await loadOrt({ threads: opts.ortThreads }), tf, m, cell, opts.seed) : buildTfjsEngine(tf, m.spec, opts.seed, { backend: info, fenceUpdate: true });
      if (!ort && cell.mode === 'train-compiled') throw new Error('the compiled train step runs on ONNX Runtime, not TF.js');
      const r = await measureEngineCell(open, m, cell, { repeats: opts.repeats, seed: opts.seed, maxStepMs: opts.maxStepMs }, ort ? undefined : () => tf.memory());
      const row = toRow(cell, m, r, ort ? null : info, opts.reference);
      if (r.overLimitMs !== undefined) {
        row.status = 'unavailable';
        row.reason = `skipped: ${r.overLimitMs.toPrecision(3)} ms per ${cell.mode === 'infer' ? 'call' : 'step'} in its first runs, over the sweep's ${opts.maxStepMs} ms limit`;
      }
      if (ort) {
        row.actualBackend = r.provider;
        const t = loadedOrtThreads();
        row.threads = r.provider === 'wasm' ? (t?.threads ?? null) : null;
        row.backendDetail =
          r.dispatchesPerStep !== undefined
            ? `WebGPU, the playground's own kernels (compiled step: ${r.nodeCount} ONNX nodes for ${r.stepsPerRun} steps per run as ${r.dispatchesPerStep} dispatches per step, compiled in ${r.compileMs.toFixed(0)} ms)`
            : `ONNX Runtime ${r.provider === 'webgpu' ? 'WebGPU' : `WASM, ${t ? describeOrtThreads(t) : '? threads'}`}${cell.mode === 'train-compiled' ? ` (compiled step: ${r.nodeCount} nodes for ${r.stepsPerRun} steps per run, compiled in ${r.compileMs.toFixed(0)} ms)` : ` (session ${r.compileMs.toFixed(0)} ms)`}`;
      } else {
        // Backend start-up is paid once per worker, by its first cell; later rows leave it out.
        if (info.actual === 'wasm') row.threads = info.wasm?.threads ?? null;
        if (!firstCell) row.initMs = null;
        firstCell = false;
      }
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
      // The compiled step's reference is the eager step on TF.js CPU (same weights and batch: the same losses).
      const r = await measureCell(tf, benchModel(cell.model), cell.mode === 'train-compiled' ? { ...cell, mode: 'train-eager' } : cell, {
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
