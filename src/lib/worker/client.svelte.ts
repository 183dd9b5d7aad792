/**
 * The UI side of the training worker: owns the worker, turns its batched events into reactive state.
 * State as a class with runes (svelte.dev's Workspace style).
 */
import * as Comlink from 'comlink';
import type { BackendInfo, BackendName } from '$lib/engines/backend';
import type { ModelSpec } from '$lib/spec/types';
import type { OnnxExportRequest } from './onnx-methods';
import type { BoundaryRequest, EpochLog, TrainEvent, TrainRequest, TrainingApi, WeightSnapshot } from './protocol';
import type { InspectRequest, InspectResult } from './protocol';
import type { ConvFilters, LayerHistogram } from '$lib/engines/tfjs/inspect';
import type { CompiledEvent } from '$lib/compile/compiled-methods';
import type { CompareEvent, CompareRequest } from '$lib/compile/compare';

/** Per-batch losses of the run: `x` is the fractional epoch. Thinned to at most MAX_BATCH_POINTS. */
export interface BatchLosses {
  x: number[];
  loss: number[];
  smoothed: number[];
}

export const MAX_BATCH_POINTS = 2000;

export interface Evaluation {
  epoch: number;
  final: boolean;
  accuracy: number;
  n: number;
  classes: number;
  /** classes × classes, row = true class. */
  confusion: Int32Array;
  predictions: Int32Array;
  ms: number;
}

export interface Inspection extends InspectResult {
  /** What was inspected, in words ("test image 12 (a 7)"). */
  label: string;
}

export type RunStatus = 'idle' | 'starting' | 'running' | 'paused' | 'stopped' | 'completed' | 'diverged' | 'failed';

export interface Curve {
  epoch: number;
  xs: Float32Array;
  ys: Float32Array;
}

export interface Boundary {
  epoch: number;
  resolution: number;
  classes: number;
  probs: Float32Array;
}

export class TrainingClient {
  status = $state<RunStatus>('idle');
  backend = $state<BackendInfo | null>(null);
  history = $state.raw<EpochLog[]>([]);
  progress = $state<{ epoch: number; batch: number; batches: number; loss: number } | null>(null);
  boundary = $state.raw<Boundary | null>(null);
  curve = $state.raw<Curve | null>(null);
  params = $state(0);
  /** A plain message for the last failure or divergence. */
  message = $state<string | null>(null);
  totalEpochs = $state(0);
  batchLosses = $state.raw<BatchLosses>({ x: [], loss: [], smoothed: [] });
  histograms = $state.raw<{ epoch: number; batch: number; layers: LayerHistogram[] } | null>(null);
  filters = $state.raw<{ epoch: number; batch: number; layers: ConvFilters[] } | null>(null);
  evaluation = $state.raw<Evaluation | null>(null);
  inspection = $state.raw<Inspection | null>(null);
  inspectError = $state<string | null>(null);
  /** The compiled engine of the current run (ORT provider, compile time, nodes), null for eager runs. */
  compiled = $state.raw<Omit<CompiledEvent, 'type'> | null>(null);
  /** When the current epoch started (performance.now()), for the epoch's elapsed time. */
  epochStartedAt = $state(0);

  readonly busy = $derived(this.status === 'starting' || this.status === 'running' || this.status === 'paused');

  #worker: Worker | null = null;
  #api: Comlink.Remote<TrainingApi> | null = null;
  #workerBackend: BackendName | null = null;
  #runId = 0;

  #ensureWorker(backend: BackendName): Comlink.Remote<TrainingApi> {
    // One worker per requested backend: switching TF.js backends inside one worker leaves GPU state behind.
    if (this.#api && this.#workerBackend === backend) return this.#api;
    this.#terminate();
    const worker = new Worker(new URL('./training.worker.ts', import.meta.url), { type: 'module', name: 'training' });
    worker.addEventListener('error', (e) => {
      this.#fail(`The training worker crashed: ${e.message || 'unknown error'}`);
      this.#terminate();
    });
    this.#worker = worker;
    this.#api = Comlink.wrap<TrainingApi>(worker);
    this.#workerBackend = backend;
    return this.#api;
  }

  #terminate() {
    this.#api?.[Comlink.releaseProxy]();
    this.#worker?.terminate();
    this.#worker = null;
    this.#api = null;
    this.#workerBackend = null;
  }

  #fail(message: string) {
    this.status = 'failed';
    this.message = message;
  }

  /** `keepHistory`: continuing a restored run (request.initialWeights + startEpoch): the curves so far stay. */
  async train(request: TrainRequest, totalEpochs: number, opts?: { keepHistory?: boolean }): Promise<void> {
    const runId = ++this.#runId;
    this.status = 'starting';
    if (!opts?.keepHistory) this.history = [];
    this.progress = null;
    this.message = null;
    this.curve = null;
    this.totalEpochs = totalEpochs;
    this.batchLosses = { x: [], loss: [], smoothed: [] };
    this.evaluation = null;
    this.compiled = null;
    this.epochStartedAt = performance.now();
    const api = this.#ensureWorker(request.backend);
    const onEvents = (events: TrainEvent[]) => {
      if (runId !== this.#runId) return; // events of a run the user has since replaced or reset
      this.#apply(events);
    };
    try {
      await api.train(request, Comlink.proxy(onEvents));
    } catch (e) {
      if (runId === this.#runId) this.#fail(e instanceof Error ? e.message : String(e));
    }
  }

  #apply(events: TrainEvent[]) {
    const epochs: EpochLog[] = [];
    for (const e of events) {
      switch (e.type) {
        case 'backend':
          this.backend = e.info;
          this.status = 'running';
          break;
        case 'model':
          this.params = e.params;
          break;
        case 'compiled':
          this.compiled = { info: e.info, note: e.note };
          break;
        case 'epoch':
          epochs.push(e.log);
          this.progress = null;
          this.epochStartedAt = performance.now();
          break;
        case 'progress':
          this.progress = { epoch: e.epoch, batch: e.batch, batches: e.batches, loss: e.loss };
          break;
        case 'boundary':
          this.boundary = { epoch: e.epoch, resolution: e.resolution, classes: e.classes, probs: e.probs };
          break;
        case 'curve':
          this.curve = { epoch: e.epoch, xs: e.xs, ys: e.ys };
          break;
        case 'paused':
          this.status = 'paused';
          break;
        case 'resumed':
          this.status = 'running';
          break;
        case 'done':
          this.status = e.outcome;
          break;
        case 'diverged':
          this.status = 'diverged';
          this.message = e.message;
          break;
        case 'batches':
          this.#addBatches(e.x, e.loss, e.smoothed);
          break;
        case 'histograms':
          this.histograms = { epoch: e.epoch, batch: e.batch, layers: e.layers };
          break;
        case 'filters':
          this.filters = { epoch: e.epoch, batch: e.batch, layers: e.layers };
          break;
        case 'evaluation':
          this.evaluation = { epoch: e.epoch, final: e.final, accuracy: e.accuracy, n: e.n, classes: e.classes, confusion: e.confusion, predictions: e.predictions, ms: e.ms };
          break;
        case 'error':
          this.#fail(e.message);
          break;
      }
    }
    if (epochs.length) this.history = [...this.history, ...epochs];
  }

  // Pause and resume take effect when the worker says so ('paused' / 'resumed' events): it sends every event
  // from before the pause first, so the epoch shown beside "Paused" does not move afterwards.
  pause() {
    if (this.status !== 'running') return;
    void this.#api?.pause();
  }

  resume() {
    if (this.status !== 'paused') return;
    void this.#api?.resume();
  }

  stop() {
    if (!this.busy) return;
    void this.#api?.stop();
  }

  reset() {
    this.#runId++;
    void this.#api?.reset();
    this.status = 'idle';
    this.backend = null;
    this.history = [];
    this.progress = null;
    this.boundary = null;
    this.curve = null;
    this.message = null;
    this.params = 0;
    this.batchLosses = { x: [], loss: [], smoothed: [] };
    this.histograms = null;
    this.filters = null;
    this.evaluation = null;
    this.inspection = null;
    this.inspectError = null;
  }

  /**
   * Shows a saved run (a restored session): its epoch history and how it ended. Nothing runs in the worker; a
   * run that was still going when it was saved shows as stopped.
   */
  restore(saved: { history: EpochLog[]; totalEpochs: number; status?: RunStatus }) {
    this.reset();
    this.history = saved.history;
    this.totalEpochs = saved.totalEpochs;
    const s = saved.status;
    this.status = !saved.history.length ? 'idle' : s === 'completed' || s === 'diverged' || s === 'failed' ? s : 'stopped';
  }

  /** The weights of the worker's current model (null when there is none or no worker). */
  async getWeights(): Promise<WeightSnapshot | null> {
    if (!this.#api) return null;
    try {
      return await this.#api.getWeights();
    } catch {
      return null;
    }
  }

  /**
   * Makes saved weights the worker's current model (a restored session) and shows their decision boundary when
   * `boundary` is given. Returns why not when they could not be loaded.
   */
  async loadWeights(spec: ModelSpec, weights: WeightSnapshot, backend: BackendName, boundary?: BoundaryRequest): Promise<string | null> {
    if (this.busy) return 'Training is running.';
    const runId = this.#runId;
    try {
      const api = this.#ensureWorker(backend);
      const r = await api.loadWeights(spec, weights, backend, boundary);
      if (r.boundary && runId === this.#runId && !this.busy) this.boundary = { epoch: weights.epoch, ...r.boundary };
      return r.loaded ? null : (r.message ?? 'The saved weights could not be loaded.');
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
  }

  /** TF.js files of the trained model, or of a fresh one built from `spec` with `seed` when nothing was trained. */
  async exportModel(spec: ModelSpec, seed: number, backend: BackendName) {
    const api = this.#api ?? this.#ensureWorker(backend);
    return api.exportModel(spec, seed);
  }

  /** The trained model (or `spec` with `seed`'s initial weights) as .onnx bytes; see onnx-methods.ts. */
  async exportOnnx(spec: ModelSpec, seed: number, backend: BackendName, opts?: OnnxExportRequest) {
    const api = this.#api ?? this.#ensureWorker(backend);
    return api.exportOnnx(spec, seed, opts);
  }

  /** TF.js predictions of the same model on `x` (for the comparison with ONNX Runtime). */
  async predict(spec: ModelSpec, seed: number, backend: BackendName, x: Float32Array, xShape: number[], batchSize?: number) {
    const api = this.#api ?? this.#ensureWorker(backend);
    return api.predict(spec, seed, x, xShape, { batchSize, backend });
  }

  /** One ONNX conformance case in TF.js (seeded random weights and inputs) and its exported file. */
  async conformanceCase(spec: ModelSpec, seed: number, rows: number, backend: BackendName) {
    return this.#ensureWorker(backend).conformanceCase(spec, seed, rows, backend);
  }

  #addBatches(x: Float32Array, loss: Float32Array, smoothed: Float32Array) {
    let b = this.batchLosses;
    b = { x: [...b.x, ...x], loss: [...b.loss, ...loss], smoothed: [...b.smoothed, ...smoothed] };
    // Long runs: keep every other point, so the chart stays cheap to draw.
    while (b.x.length > MAX_BATCH_POINTS) {
      const even = (_: number, i: number) => i % 2 === 1 || i === b.x.length - 1;
      b = { x: b.x.filter(even), loss: b.loss.filter(even), smoothed: b.smoothed.filter(even) };
    }
    this.batchLosses = b;
  }

  #inspectId = 0;
  #lastInspect: { request: InspectRequest; label: string } | null = null;

  /** Inspects the last inspected sample again (the weights have changed), if any. */
  reinspect(): Promise<void> {
    const last = this.#lastInspect;
    return last && this.inspection ? this.inspect(last.request, last.label) : Promise.resolve();
  }
  /**
   * Runs one sample through the model in the worker (the trained one, or the initial weights of `seed` before
   * training) and shows every layer's activations. Between batches while training.
   */
  async inspect(request: InspectRequest, label: string): Promise<void> {
    this.#lastInspect = { request, label };
    const id = ++this.#inspectId;
    this.inspectError = null;
    try {
      const api = this.#api ?? this.#ensureWorker(request.backend);
      const result = await api.inspect(request);
      if (id === this.#inspectId) this.inspection = { ...result, label };
    } catch (e) {
      if (id === this.#inspectId) this.inspectError = `Could not inspect ${label}: ${e instanceof Error ? e.message : e}`;
    }
  }

  /**
   * Eager vs compiled on `request.backend` (compile/compare.ts), in the training worker (not while training).
   * Events arrive through `onEvent`; resolves when the comparison ends.
   */
  async compare(request: CompareRequest, onEvent: (e: CompareEvent) => void): Promise<void> {
    if (this.busy) throw new Error('Training is running.');
    const api = this.#ensureWorker(request.backend);
    await api.compare(request, Comlink.proxy((events: CompareEvent[]) => events.forEach(onEvent)));
  }

  dispose() {
    this.#terminate();
  }
}
