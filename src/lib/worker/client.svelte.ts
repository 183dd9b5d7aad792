/**
 * The UI side of the training worker: owns the worker, turns its batched events into reactive state.
 * State as a class with runes (svelte.dev's Workspace style).
 */
import * as Comlink from 'comlink';
import type { BackendInfo, BackendName } from '$lib/engines/backend';
import type { EpochLog } from '$lib/engines/tfjs/train';
import type { ModelSpec } from '$lib/spec/types';
import type { TrainEvent, TrainRequest, TrainingApi } from './protocol';

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

  async train(request: TrainRequest, totalEpochs: number): Promise<void> {
    const runId = ++this.#runId;
    this.status = 'starting';
    this.history = [];
    this.progress = null;
    this.message = null;
    this.curve = null;
    this.totalEpochs = totalEpochs;
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
        case 'epoch':
          epochs.push(e.log);
          this.progress = null;
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
  }

  /** TF.js files of the trained model, or of a fresh one built from `spec` with `seed` when nothing was trained. */
  async exportModel(spec: ModelSpec, seed: number, backend: BackendName) {
    const api = this.#api ?? this.#ensureWorker(backend);
    return api.exportModel(spec, seed);
  }

  dispose() {
    this.#terminate();
  }
}
