/**
 * The UI side of the benchmark: plans the cells, runs them one at a time in bench workers (one worker per TF.js
 * backend, as the training client does), fetches CPU reference values, and can be canceled at any point
 * (workers are terminated). Also the app-overhead measurement: the spiral trained through the playground's own
 * TrainingClient → training worker → session path, against bare `model.fit` in a bench worker.
 */
import { exposeFaultHooks, faultKindOf, watchWorker, WorkerFault, workerFaultMessage } from '$lib/worker/faults';
import type { TestFault } from '$lib/worker/protocol';
import * as Comlink from 'comlink';
import { bindData } from '$lib/data/bind';
import { makeToy } from '$lib/data/toys';
import { probeWebGpu, type BackendName } from '$lib/engines/backend';
import { DEFAULT_DATA } from '$lib/state/playground.svelte';
import type { ModelSpec } from '$lib/spec/types';
import { TrainingClient } from '$lib/worker/client.svelte';
import type { BenchWorkerApi } from './bench.worker';
import { benchModel, customBenchModels } from './models';
import { median } from './stats';
import {
  emptyRow,
  isSoftwareGpu,
  planCells,
  referenceKey,
  REPEATS_FULL,
  REPEATS_QUICK,
  staticUnavailable,
  type BackendId,
  type BenchRow,
  type Cell,
  type DeviceInfo,
  type Filters,
  type OverheadRow,
  type RepeatOptions
} from './suite';

/** A run of given cells (the size sweep) instead of the filters' plan: its repeats, and a skip rule asked before each cell. */
export interface RunPlan {
  cells: Cell[];
  repeats: RepeatOptions;
  /** Why to skip a cell (a row `unavailable` with this reason), from the rows so far and the ms since the start; null runs it. */
  skip?(cell: Cell, rows: readonly BenchRow[], elapsedMs: number): string | null;
  /** No TF.js CPU reference values are fetched (a CPU row that ran is still the reference for its group). */
  noReference?: boolean;
  /** A cell slower than this per step (a probe run after the warm-up) stops there, `unavailable` with its time. */
  maxStepMs?: number;
}

/** Seed of the weights and of the synthetic batches: the same on every backend. */
export const BENCH_SEED = 1;
/** A cell that has not answered after this long is failed and its worker replaced (a hung GPU, say). */
const CELL_TIMEOUT_MS = 180_000;

/**
 * Faults of a bench worker (worker/faults.ts): a crash, no answer to the watchdog's ping (after `faultWatch.ms`), out
 * of memory, a lost GPU device. The cell's row names it, its worker is replaced, and the run goes on with the next cell.
 * Tests arm one fault for the next cell (`window.__nnFaults.bench`, tests/e2e/worker-faults.spec.ts).
 */
const faultWatch: { ms: number; armed: TestFault | null } = { ms: CELL_TIMEOUT_MS, armed: null }; // a live but busy worker is never cut off before the cell limit
exposeFaultHooks('bench', { fault: (k) => (faultWatch.armed = k), watchdog: (ms) => (faultWatch.ms = ms) });

/** A cell's error in words: a fault of the worker is named as such (the row's reason), anything else as it is. */
function namedReason(message: string, backend: string): string {
  if (/^The bench worker /.test(message) || /in the bench worker/.test(message)) return message;
  const kind = faultKindOf(message);
  return kind ? workerFaultMessage('bench', kind, backend, message) : message;
}

export class Canceled extends Error {
  constructor() {
    super('canceled');
  }
}

interface WorkerHandle {
  worker: Worker;
  api: Comlink.Remote<BenchWorkerApi>;
  /** Rejects the call in flight when the worker dies. */
  crashed: Promise<never>;
}

export interface RunHooks {
  onStart?(cell: Cell, index: number, total: number): void;
  onRow(row: BenchRow, index: number, total: number): void;
  /** The WebGL renderer string, once the WebGL worker reports it. */
  onWebglRenderer?(renderer: string): void;
}

export class BenchRunner {
  #workers = new Map<BackendId, WorkerHandle>();
  #cancel: (() => void) | null = null;
  #canceled = false;
  #cancelPromise: Promise<never> = new Promise(() => {});

  #handle(backend: BackendId): WorkerHandle {
    const existing = this.#workers.get(backend);
    if (existing) return existing;
    const worker = new Worker(new URL('./bench.worker.ts', import.meta.url), { type: 'module', name: `bench-${backend}` });
    const crashed = new Promise<never>((_, reject) =>
      worker.addEventListener('error', (e) => {
        this.#drop(backend);
        const kind = faultKindOf(e.message || '') ?? 'crash';
        reject(new WorkerFault(kind, 'bench', workerFaultMessage('bench', kind, backend, e.message || 'unknown error')));
      })
    );
    crashed.catch(() => undefined);
    const handle = { worker, api: Comlink.wrap<BenchWorkerApi>(worker), crashed };
    // Custom models (the editor's program, the sweep's MLPs) are plain specs: every new worker gets them first.
    for (const m of customBenchModels()) void handle.api.define(m).catch(() => undefined);
    this.#workers.set(backend, handle);
    return handle;
  }

  #drop(backend: BackendId) {
    const h = this.#workers.get(backend);
    if (!h) return;
    h.api[Comlink.releaseProxy]();
    h.worker.terminate();
    this.#workers.delete(backend);
  }

  /** Awaits a worker call, unless the run is canceled, the worker dies, or it takes too long. */
  async #call<T>(backend: BackendId, f: (api: Comlink.Remote<BenchWorkerApi>) => Promise<T>): Promise<T> {
    const h = this.#handle(backend);
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopWatch = () => {};
    const timeout = new Promise<never>((_, reject) => {
      // No answer to a ping (a worker that closed itself or hangs); its crash is `h.crashed`.
      stopWatch = watchWorker(h.worker, () => h.api.ping(), { timeoutMs: () => faultWatch.ms }, (kind, detail) => {
        if (kind === 'crash') return;
        this.#drop(backend);
        reject(new WorkerFault(kind, 'bench', workerFaultMessage('bench', kind, backend, detail)));
      });
      timer = setTimeout(() => {
        this.#drop(backend);
        reject(new Error(`no answer from the ${backend} worker after ${CELL_TIMEOUT_MS / 1000} s; it was stopped`));
      }, CELL_TIMEOUT_MS);
    });
    try {
      return await Promise.race([f(h.api), h.crashed, timeout, this.#cancelPromise]);
    } finally {
      clearTimeout(timer);
      stopWatch();
    }
  }

  /** Runs every selected cell, one at a time, in order; resolves with the rows done (all of them unless canceled). */
  async run(filters: Filters, hooks: RunHooks, plan?: RunPlan): Promise<BenchRow[]> {
    this.#canceled = false;
    this.#cancelPromise = new Promise<never>((_, reject) => (this.#cancel = () => reject(new Canceled())));
    this.#cancelPromise.catch(() => undefined);
    const repeats = plan?.repeats ?? (filters.quick ? REPEATS_QUICK : REPEATS_FULL);
    const cells = plan?.cells ?? planCells(filters, (m) => benchModel(m).trainBatch);
    const started = performance.now();
    const refs = new Map<string, Float32Array | null>();
    const rows: BenchRow[] = [];
    try {
      for (const [i, cell] of cells.entries()) {
        if (this.#canceled) break;
        hooks.onStart?.(cell, i, cells.length);
        let row: BenchRow;
        const why = staticUnavailable(cell) ?? plan?.skip?.(cell, rows, performance.now() - started) ?? null;
        if (why) {
          row = emptyRow(cell, 'unavailable', why);
        } else {
          try {
            const key = referenceKey(cell);
            if (!refs.has(key) && cell.backend !== 'cpu' && !plan?.noReference) {
              refs.set(key, await this.#call('cpu', (api) => api.reference({ ...cell, backend: 'cpu' }, BENCH_SEED, repeats.warmCalls)));
            }
            if (faultWatch.armed) {
              const kind = faultWatch.armed;
              faultWatch.armed = null;
              await this.#call(cell.backend, (api) => api.testFault(kind));
            }
            const res = await this.#call(cell.backend, (api) => api.run(cell, { repeats, seed: BENCH_SEED, reference: refs.get(key) ?? null, ortThreads: filters.ortThreads, ...(plan?.maxStepMs !== undefined ? { maxStepMs: plan.maxStepMs } : {}) }));
            row = res.row;
            if (row.status === 'error' && row.reason) row.reason = namedReason(row.reason, cell.backend);
            // A failed step can leave TF.js state behind (tensors saved for a backward pass that never ran):
            // the next cell on this backend gets a fresh worker.
            if (row.status !== 'ok' && !row.reason?.startsWith('skipped:')) this.#drop(cell.backend);
            if (cell.backend === 'cpu' && row.status === 'ok') {
              refs.set(key, res.values);
              row.maxAbsDiff = 0;
            }
            if (row.actualBackend === 'webgl' && row.backendDetail) hooks.onWebglRenderer?.(row.backendDetail.replace(/^WebGL \((.*)\)$/, '$1'));
          } catch (e) {
            if (e instanceof Canceled) break;
            row = emptyRow(cell, 'error', namedReason(e instanceof Error ? e.message : String(e), cell.backend));
          }
        }
        rows.push(row);
        hooks.onRow(row, i, cells.length);
      }
    } finally {
      this.dispose();
    }
    return rows;
  }

  cancel() {
    this.#canceled = true;
    this.#cancel?.();
    this.dispose();
  }

  /**
   * The app-overhead ratio on each backend: `epochs` epochs of the spiral (examples/spiral.py, the playground's
   * default data) through TrainingClient, vs `model.fit` on the same spec, data, seed and backend in a bench
   * worker. Both are timed as wall ms per epoch from the request to the end (model build included), after one
   * untimed 1-epoch run each (worker start, backend init, kernel compilation), alternating, `rounds` times; the
   * medians are compared. The app run draws no decision boundary (that is drawing, not training).
   */
  async overhead(backends: BackendId[], opts: { epochs: number; rounds: number; onRow?(row: OverheadRow): void }): Promise<OverheadRow[]> {
    this.#canceled = false;
    this.#cancelPromise = new Promise<never>((_, reject) => (this.#cancel = () => reject(new Canceled())));
    this.#cancelPromise.catch(() => undefined);
    const base = benchModel('tiny');
    const withEpochs = (n: number): ModelSpec => ({ ...base.spec, fit: { ...base.spec.fit!, epochs: n } });
    const bound = bindData(makeToy({ ...DEFAULT_DATA, name: 'spiral' }), base.spec, base.summary.outputShapes[0]);
    if (!bound.ok) throw new Error(bound.message);
    const data = bound.data;
    const out: OverheadRow[] = [];
    for (const backend of backends) {
      if (this.#canceled) break;
      const client = new TrainingClient();
      const row: OverheadRow = { backend, actualBackend: null, appEpochMs: null, fitEpochMs: null, ratio: null, epochs: opts.epochs, reason: null };
      try {
        const app = async (n: number) => {
          const t0 = performance.now();
          await Promise.race([client.train({ spec: withEpochs(n), data, backend: backend as BackendName, seed: BENCH_SEED }, n), this.#cancelPromise]);
          // The run's last events travel on the callback's own channel and may land just after train() resolves:
          // the app's run ends when the page has applied them (as the playground's status line shows it).
          const deadline = performance.now() + 10_000;
          while (client.busy && performance.now() < deadline) await new Promise((r) => setTimeout(r, 1));
          if (client.status !== 'completed') throw new Error(client.message ?? `the app's run ended ${client.status}`);
          return (performance.now() - t0) / n;
        };
        const fit = async (n: number) => (await this.#call(backend, (api) => api.fit(backend as BackendName, withEpochs(n), data, BENCH_SEED, n))) / n;
        await app(1);
        await fit(1);
        const appMs: number[] = [];
        const fitMs: number[] = [];
        for (let r = 0; r < opts.rounds; r++) {
          appMs.push(await app(opts.epochs));
          fitMs.push(await fit(opts.epochs));
        }
        row.actualBackend = client.backend?.actual ?? null;
        row.appEpochMs = median(appMs);
        row.fitEpochMs = median(fitMs);
        row.ratio = row.appEpochMs / row.fitEpochMs;
      } catch (e) {
        if (e instanceof Canceled) break;
        row.reason = e instanceof Error ? e.message : String(e);
      } finally {
        client.dispose();
        this.#drop(backend);
      }
      out.push(row);
      opts.onRow?.(row);
    }
    return out;
  }

  dispose() {
    for (const b of [...this.#workers.keys()]) this.#drop(b);
  }
}

/** What the page can tell about the device: user agent, cores, isolation and the WebGPU adapter. */
export async function collectDevice(webglRenderer?: string): Promise<DeviceInfo> {
  const gpu = await probeWebGpu();
  const webgpu: DeviceInfo['webgpu'] = 'adapter' in gpu ? gpu.adapter : { unavailable: gpu.noApi ? 'navigator.gpu is missing' : 'no adapter was found' };
  const d: DeviceInfo = {
    userAgent: navigator.userAgent,
    hardwareConcurrency: navigator.hardwareConcurrency || 1,
    crossOriginIsolated: Boolean(globalThis.crossOriginIsolated),
    webgpu,
    webglRenderer,
    softwareGpu: false,
    date: new Date().toISOString()
  };
  d.softwareGpu = isSoftwareGpu(d);
  return d;
}
