/**
 * One training session: backend resolution, model build, the training loop, pause/resume/stop,
 * decision-boundary snapshots, and event batching. Pure over an injected TF.js, so the worker
 * dispatches to it and vitest runs it in-process on the cpu backend.
 */
import { probeWebGpu, resolveBackend, type BackendInfo, type BackendLoaders } from '$lib/engines/backend';
import { buildModel } from '$lib/engines/tfjs/build';
import { predictGridAsync } from '$lib/engines/tfjs/train';
import { runTraining } from '$lib/engines/train-loop';
import type { EngineOpener, TrainingEngine } from '$lib/engines/engine';
import { exportTfjsModel } from '$lib/engines/tfjs/export';
import { LAYERS } from '$lib/layers';
import type { Tfjs } from '$lib/layers/types';
import type * as TF from '@tensorflow/tfjs';
import type { TrainEvent, TrainRequest, TrainingApi } from './protocol';
import { createAttentionPictures, createPictures, createSequencePictures, streamText, type Pictures } from './pictures';
import { attentionMaps, type AttentionScoresFn } from './attention';
import { attentionScoresTfjs } from '$lib/layers/multi_head_attention';
import { encodePrompt, nextTokenProbs, topK } from './sequences';
import { rnnLayerStates, type RnnStatesFn } from './rnn-states';
import { rnnStates as referenceRnnStates } from '$lib/layers/rnn-reference';
import type { GenerationSettings, ModelRef } from './protocol';
import { sampleActivations } from '$lib/engines/tfjs/inspect';
import type { BackendName } from '$lib/engines/backend';
import { readWeights, specKey, writeWeights } from './weights';
import { createOnnxMethods } from './onnx-methods';
import { createCompareMethods, type OrtAccess } from '$lib/compile/compiled-methods';
import { ENGINES } from './engines';
import { faultKindOf } from './faults';
import { disposeCheckpoint, readCheckpoint, restoreOptimizer, takeCheckpoint, type DeviceCheckpoint } from './optimizer-state';
import { Stepper } from '$lib/teaching/stepper';
import type { BatchLog } from './protocol';

/** `loadOrt` (optional): ONNX Runtime for the compiled engine and the eager-vs-compiled comparison. */
export interface SessionOptions extends OrtAccess {
  tf: Tfjs;
  loaders: BackendLoaders;
  /** How often batched events are flushed to the UI (ms). */
  flushMs?: number;
  /** Minimum ms between decision-boundary snapshots. */
  boundaryMs?: number;
  /** Minimum ms between weight/gradient histogram snapshots (default 500). */
  histogramMs?: number;
  /** The recurrent layers' float64 reference forward, for the hidden-state heatmaps of `inspect` (default: rnn-reference.ts). */
  rnnStates?: RnnStatesFn;
  /**
   * The MultiHeadAttention layer's attention probabilities, for the attention maps (default: the layer's own,
   * layers/multi_head_attention.ts).
   */
  attentionScores?: AttentionScoresFn;
  /** Makes a transferable list for postMessage; identity in-process. */
  transfer?: <T>(value: T, transferables: Transferable[]) => T;
}

/** Yields to the event loop with a macrotask, so messages (pause/stop) are processed mid-run. */
function macrotask(): Promise<void> {
  if (typeof MessageChannel !== 'undefined') {
    return new Promise((resolve) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        resolve();
      };
      ch.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}

export function createSession(opts: SessionOptions): TrainingApi {
  const { tf, loaders } = opts;
  const flushMs = opts.flushMs ?? 100;
  const boundaryMs = opts.boundaryMs ?? 250;
  let model: TF.LayersModel | null = null;
  let paused = false;
  let stopRequested = false;
  let wake: (() => void) | null = null;
  let running: Promise<void> | null = null;
  /** Inspect before any training: the spec built with the asked seed (kept while the same is asked for). */
  let preview: { key: string; model: TF.LayersModel } | null = null;
  let inspectBackend: BackendName | null = null;
  /** Architecture key of `model` and its last completed epoch (for getWeights). */
  let modelKey = '';
  let modelEpoch = 0;
  /** Generation settings changed while the run goes on (setGeneration). */
  let generation: Omit<GenerationSettings, 'seed'> | null = null;
  /** The attention maps' sample chosen while the run goes on (setAttentionSample). */
  let attentionSample: Float32Array | null = null;
  const attentionScores = opts.attentionScores ?? attentionScoresTfjs;
  /** Faults: a lost GPU device (its reason), an injected out-of-memory (tests). */
  let deviceLost: string | null = null;
  let injectOom = false;
  const watchedDevices = new WeakSet<object>();
  /** Notes when the TF.js WebGPU backend's device is lost (destroyed, reset by the driver): the run stops and says so. */
  const watchDevice = () => {
    const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ message?: string; reason?: string }> } }).device;
    if (!device?.lost || watchedDevices.has(device)) return;
    watchedDevices.add(device);
    void device.lost.then((info) => {
      deviceLost = `the GPU device was lost: ${(info?.message || info?.reason || 'no reason given').replace(/\.$/, '')}`;
      stopRequested = true;
      paused = false;
      wake?.();
      wake = null;
    });
  };
  /** The latest run's state at its last epoch end (weights, optimizer, engine), for getCheckpoint (optimizer-state.ts). */
  let checkpoint: DeviceCheckpoint | null = null;
  const setCheckpoint = (c: DeviceCheckpoint | null) => {
    disposeCheckpoint(tf, checkpoint);
    checkpoint = c;
  };
  /** Teaching mode: a Step asked for (pause after the next batch or at the epoch's end), and the live learning rate. */
  const stepper = new Stepper();
  let learningRate: number | null = null;

  /**
   * Backend switches one at a time: an on-demand picture (next-character bars on the initial weights) and Train can
   * both ask for one at once, and two interleaved `tf.setBackend` calls leave TF.js half-initialised.
   */
  let switching: Promise<unknown> = Promise.resolve();
  /**
   * Set once ONNX Runtime's WebGPU provider starts in this worker (a compiled WebGPU run, or the comparison on WebGPU):
   * the GPUDevice TF.js made here is then lost ("A valid external Instance reference no longer exists"), so from then
   * on TF.js (initial weights, validation, pictures, predictions) runs on WASM here. The client starts a fresh worker
   * for eager WebGPU (client.svelte.ts #ensureWorker).
   */
  let ortOwnsWebGpu = false;
  const tfBackendFor = (name: BackendName): BackendName => (ortOwnsWebGpu && name === 'webgpu' ? 'wasm' : name);
  const handOverWebGpu = () => {
    if (ortOwnsWebGpu) return;
    ortOwnsWebGpu = true;
    inspectBackend = null;
    preview?.model.optimizer?.dispose();
    preview?.model.dispose();
    preview = null;
  };
  const useBackend = (name: BackendName) => {
    const next = switching.then(() => resolveBackend(tf, tfBackendFor(name), loaders));
    switching = next.catch(() => undefined);
    return next;
  };

  const disposeModel = () => {
    setCheckpoint(null);
    if (model) {
      model.optimizer?.dispose();
      model.dispose();
      model = null;
    }
  };

  /** The model an on-demand picture is about: the trained one, unless the program has changed since (then `spec` with `seed`'s initial weights). */
  const modelFor = async (ref: ModelRef): Promise<{ target: TF.LayersModel; trained: boolean }> => {
    if (model && modelKey === specKey(ref.spec)) return { target: model, trained: true };
    if (inspectBackend !== ref.backend) {
      await useBackend(ref.backend);
      inspectBackend = ref.backend;
    }
    const key = `${ref.seed}:${JSON.stringify(ref.spec)}`;
    if (preview?.key !== key) {
      preview?.model.optimizer?.dispose();
      preview?.model.dispose();
      preview = { key, model: buildModel(tf, ref.spec, ref.seed) };
    }
    return { target: preview.model, trained: false };
  };

  const onnxMethods = createOnnxMethods(tf, () => model, loaders);
  const compareMethods = createCompareMethods(tf, loaders, opts);
  const api: TrainingApi = {
    // ONNX export, TF.js predictions and conformance cases (onnx-methods.ts), on the current model.
    ...onnxMethods,
    predict: (spec, seed, x, xShape, o) => onnxMethods.predict(spec, seed, x, xShape, o?.backend ? { ...o, backend: tfBackendFor(o.backend) } : o),
    conformanceCase: (spec, seed, rows, backend, ids) => onnxMethods.conformanceCase(spec, seed, rows, backend && tfBackendFor(backend), ids),
    // Eager vs compiled (compile/compare.ts), in its own models: the current model is untouched.
    compare(request, onEvents) {
      if (request.backend === 'webgpu') {
        if (ortOwnsWebGpu) {
          onEvents([{ type: 'error', message: 'ONNX Runtime already owns WebGPU in this worker: TF.js cannot run the eager side on WebGPU here.' }]);
          return Promise.resolve();
        }
        // Its eager side runs first on TF.js' WebGPU; its compiled side then starts ORT's, and TF.js' device is gone.
        const done = compareMethods.compare(request, onEvents);
        return done.finally(handOverWebGpu);
      }
      return compareMethods.compare(request, onEvents);
    },
    async train(request, onEvents) {
      if (running) {
        api.stop();
        await running.catch(() => undefined);
      }
      let release!: () => void;
      running = new Promise<void>((r) => (release = r));
      paused = false;
      stopRequested = false;
      generation = null;
      attentionSample = null;
      stepper.cancel();
      if (request.step) stepper.request(request.step);
      learningRate = validLearningRate(request.learningRate);
      /** The last batch read back (teaching mode: the pictures at a pause say where they are). */
      let lastBatch: BatchLog | null = null;

      let queue: TrainEvent[] = [];
      let lastFlush = performance.now();
      let pictures: Pictures | null = null;
      const flush = () => {
        if (pictures && (queue.length || performance.now() - lastFlush >= flushMs)) pictures.drainBatches(queue);
        if (queue.length === 0) return;
        const batch = queue;
        queue = [];
        lastFlush = performance.now();
        const transferables = batch.flatMap((e) =>
          e.type === 'boundary'
            ? [e.probs.buffer as ArrayBuffer]
            : e.type === 'curve'
              ? [e.xs.buffer as ArrayBuffer, e.ys.buffer as ArrayBuffer]
              : e.type === 'attention'
                ? e.maps.map((m) => m.probs.buffer as ArrayBuffer)
                : []
        );
        onEvents(opts.transfer ? opts.transfer(batch, transferables) : batch);
      };
      const emit = (e: TrainEvent, now = false) => {
        queue.push(e);
        if (now || performance.now() - lastFlush >= flushMs) flush();
      };

      try {
        // A compiled run on WebGPU: ORT's WebGPU provider owns the GPU in this worker; TF.js runs on WASM.
        const ortGpu = request.engine === 'compiled' && request.backend === 'webgpu';
        if (ortGpu) handOverWebGpu();
        const info = ortGpu ? await ortWebGpuInfo(await useBackend(request.backend)) : await useBackend(request.backend);
        if (deviceLost) throw new Error(deviceLost);
        if (info.actual === 'webgpu' && !ortGpu) watchDevice();
        emit({ type: 'backend', info }, true);
        disposeModel();
        const t0 = performance.now();
        model = buildModel(tf, request.spec, request.seed);
        modelKey = specKey(request.spec);
        modelEpoch = 0;
        if (request.initialWeights) {
          writeWeights(tf, model, request.initialWeights);
          modelEpoch = request.startEpoch ?? 0;
          // Resume exactly: the optimizer goes on with its saved moments and step count (the compiled engine restores
          // them into its graph's state when it opens, see ENGINES below).
          if ((request.engine ?? 'eager') === 'eager') await restoreOptimizer(tf, model, request.initialWeights.optimizer);
        }
        // The compiled engine's state until its first epoch end: the saved one it continues from.
        const savedOptimizer = request.engine === 'compiled' ? request.initialWeights?.optimizer : undefined;
        setCheckpoint(await takeCheckpoint(tf, model, modelEpoch, request.engine ?? 'eager', savedOptimizer));
        emit({ type: 'model', params: model.countParams(), buildMs: performance.now() - t0 }, true);

        let nextSnapshot = -Infinity;
        const snapshot = async (epoch: number, force = false, batch?: number) => {
          const { boundary: b, curve: c } = request;
          if ((!b && !c) || !model) return;
          const now = performance.now();
          if (!force && now < nextSnapshot) return;
          if (b) {
            const [xMin, xMax, yMin, yMax] = b.extent;
            const probs = await predictGridAsync(tf, model, { xMin, xMax, yMin, yMax, resolution: b.resolution });
            emit({ type: 'boundary', epoch, resolution: b.resolution, classes: probs.length / (b.resolution * b.resolution), probs, ...(batch ? { batch } : {}) });
          }
          if (c) {
            const xs = Float32Array.from({ length: c.points }, (_, i) => c.xMin + ((c.xMax - c.xMin) * i) / (c.points - 1));
            const out = tf.tidy(() => (model!.predict(tf.tensor2d(xs, [c.points, 1])) as TF.Tensor).reshape([-1]));
            const ys = new Float32Array((await out.data()) as Float32Array);
            out.dispose();
            emit({ type: 'curve', epoch, xs, ys, ...(batch ? { batch } : {}) });
          }
          // Pictures may take at most ~10% of the run: a slow predict (a software GPU) spaces them out.
          const cost = performance.now() - now;
          nextSnapshot = performance.now() + Math.max(boundaryMs, 9 * cost);
        };
        await snapshot(0, true);
        pictures = createPictures(tf, model, request, emit, { histogramMs: opts.histogramMs });
        await pictures.start();
        const sequencePictures = createSequencePictures(tf, model, request, emit, {
          generation: () => generation,
          shouldStop: () => stopRequested,
          yieldNow: async () => {
            flush();
            await macrotask();
          }
        });
        await sequencePictures.start();
        const attention = createAttentionPictures(tf, model, request, emit, { scores: attentionScores, sample: () => attentionSample });
        await attention.start();

        const startEpoch = request.initialWeights ? Math.max(0, Math.floor(request.startEpoch ?? 0)) : 0;
        const trainOpts = startEpoch > 0 ? { seed: request.seed, startEpoch, epochs: Math.max(0, (request.spec.fit?.epochs ?? 1) - startEpoch) } : { seed: request.seed };
        // The one training loop, driving the engine asked for (engines/engine.ts).
        const opener = await ENGINES[request.engine ?? 'eager']({
          tf,
          model,
          spec: request.spec,
          backend: info,
          access: opts,
          emit: (e) => emit(e, true),
          ...(savedOptimizer && startEpoch > 0 ? { optimizer: savedOptimizer } : {})
        });
        /** The run's engine (the compiled one keeps its optimizer state in ONNX Runtime: read at each epoch end). */
        let engine: TrainingEngine | null = null;
        const open: EngineOpener = async (setup) => (engine = await opener(setup));
        const result = await runTraining(open, request.spec, request.data, trainOpts, {
          onEpoch: async (log) => {
            modelEpoch = log.epoch;
            const host = request.engine === 'compiled' ? await (engine as TrainingEngine | null)?.optimizerState?.().catch(() => null) : undefined;
            if (model) setCheckpoint(await takeCheckpoint(tf, model, log.epoch, request.engine ?? 'eager', host));
            emit({ type: 'epoch', log });
            await snapshot(log.epoch);
            await pictures?.epoch(log.epoch);
            await attention.epoch(log.epoch);
            await sequencePictures.epoch(log.epoch);
          },
          onBatch: (log) => {
            if (injectOom) {
              injectOom = false;
              throw new RangeError('Array buffer allocation failed (injected by a test)');
            }
            lastBatch = log;
            pictures?.batch(log);
            if (performance.now() - lastFlush >= flushMs) emit({ type: 'progress', ...log });
          },
          shouldStop: () => stopRequested,
          // A stepped batch always brings its gradients (the histograms show that very step).
          wantGradients: () => stepper.pending === 'batch' || (pictures?.wantGradients() ?? false),
          onGradients: (grads, at) => pictures?.gradients(grads, at),
          isPaused: () => paused,
          afterBatch: (at) => {
            if (stepper.afterBatch(at)) paused = true;
          },
          learningRate: () => learningRate,
          waitIfPaused: async () => {
            if (!paused) return;
            // Every picture as it is now (the loop has synced the weights): a pause mid-epoch (a stepped batch) too.
            if (lastBatch && !stopRequested) {
              const at = lastBatch;
              const mid = at.batch < at.batches;
              if (mid) emit({ type: 'progress', ...at });
              await snapshot(at.epoch, true, mid ? at.batch : undefined);
              await pictures?.now(at.epoch, at.batch);
            }
            emit({ type: 'paused' }, true);
            while (paused && !stopRequested) await new Promise<void>((r) => (wake = r));
            if (!stopRequested) emit({ type: 'resumed' }, true);
          },
          yieldNow: async () => {
            flush();
            await macrotask();
          }
        });
        if (deviceLost) throw new Error(deviceLost);
        const epochs = result.history.length;
        if (epochs > 0) await snapshot(result.history[epochs - 1].epoch, true);
        if (epochs > 0 && result.status !== 'diverged') {
          await pictures.end(result.history[epochs - 1].epoch, 0);
          await sequencePictures.end(result.history[epochs - 1].epoch);
          await attention.end(result.history[epochs - 1].epoch);
        }
        if (result.status === 'diverged') {
          emit({ type: 'diverged', message: result.message, epoch: result.epoch, batch: result.batch });
        } else {
          emit({ type: 'done', outcome: result.status, epochs });
        }
      } catch (e) {
        // A destroyed GPU device first fails the pending read-back; its `lost` promise says why a moment later.
        const device = (tf.backend() as unknown as { device?: { lost?: Promise<unknown> } } | undefined)?.device;
        if (!deviceLost && device?.lost) await Promise.race([device.lost, new Promise((r) => setTimeout(r, 1000))]).then(() => macrotask());
        // (A lost device's own reason says it; the read-back that failed first is a consequence.)
        const message = deviceLost ?? explainError(e, tf.getBackend());
        const fault = deviceLost ? 'device-lost' : faultKindOf(message);
        emit({ type: 'error', message, ...(fault ? { fault } : {}) });
      } finally {
        flush();
        running = null;
        release();
      }
    },
    pause() {
      stepper.cancel();
      paused = true;
    },
    step(unit) {
      if (!running) return;
      stepper.request(unit);
      paused = false;
      wake?.();
      wake = null;
    },
    setLearningRate(lr) {
      const v = validLearningRate(lr);
      if (running && v !== null) learningRate = v;
    },
    setGeneration(settings) {
      if (running) generation = { prompt: settings.prompt, temperature: settings.temperature, length: settings.length };
    },
    setAttentionSample(x) {
      if (running) attentionSample = x;
    },
    resume() {
      stepper.cancel();
      paused = false;
      wake?.();
      wake = null;
    },
    stop() {
      stepper.cancel();
      stopRequested = true;
      paused = false;
      wake?.();
      wake = null;
    },
    reset() {
      api.stop();
      const done = running ?? Promise.resolve();
      void done.then(disposeModel);
    },
    async getWeights() {
      if (!model) return null;
      try {
        return await readWeights(tf, model, modelKey, modelEpoch);
      } catch {
        return null; // the model was reset or replaced while being read
      }
    },
    async ping() {
      return true as const;
    },
    testFault(kind) {
      if (kind === 'throw') {
        setTimeout(() => {
          throw new Error('injected crash (test)');
        });
      } else if (kind === 'close') (globalThis as unknown as { close?: () => void }).close?.();
      else if (kind === 'oom') injectOom = true;
      else (tf.backend() as unknown as { device?: { destroy(): void } }).device?.destroy();
    },
    async getCheckpoint() {
      if (!model) return null;
      const c = checkpoint;
      if (!c) return api.getWeights();
      try {
        return await readCheckpoint(tf, c, modelKey);
      } catch {
        return null; // replaced while being read
      }
    },
    async loadWeights(spec, weights, backend, boundary) {
      if (running) return { loaded: false, message: 'A run is going on.' };
      try {
        await useBackend(backend);
        const fresh = buildModel(tf, spec, 0);
        try {
          writeWeights(tf, fresh, weights);
        } catch (e) {
          fresh.optimizer?.dispose();
          fresh.dispose();
          throw e;
        }
        if (running) {
          fresh.optimizer?.dispose();
          fresh.dispose();
          return { loaded: false, message: 'A run started meanwhile.' };
        }
        disposeModel();
        model = fresh;
        modelKey = specKey(spec);
        modelEpoch = weights.epoch;
        if (!boundary) return { loaded: true };
        const [xMin, xMax, yMin, yMax] = boundary.extent;
        const probs = await predictGridAsync(tf, fresh, { xMin, xMax, yMin, yMax, resolution: boundary.resolution });
        const picture = { resolution: boundary.resolution, classes: probs.length / (boundary.resolution * boundary.resolution), probs };
        return { loaded: true, boundary: picture };
      } catch (e) {
        return { loaded: false, message: explainError(e, tf.getBackend()) };
      }
    },
    async inspect(req) {
      const { target, trained } = await modelFor(req);
      const shape = (target.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
      const layers = await sampleActivations(tf, target, req.x, shape);
      const result: Awaited<ReturnType<TrainingApi['inspect']>> = { trained, epoch: trained ? modelEpoch : 0, layers };
      const rnn = rnnLayerStates(target, req.spec, req.x, shape, layers, opts.rnnStates ?? referenceRnnStates);
      if (rnn.length) result.rnn = rnn;
      return result;
    },
    async attention(ref, x) {
      try {
        const { target, trained } = await modelFor(ref);
        const shape = (target.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
        if (x.length !== shape.reduce((a, b) => a * b, 1)) return { ok: false, message: `The sample has ${x.length} values; the model takes (${shape.join(', ')}).` };
        const maps = await attentionMaps(tf, target, ref.spec, x, shape, attentionScores);
        const result = { ok: true as const, trained, epoch: trained ? modelEpoch : 0, maps };
        return opts.transfer ? opts.transfer(result, maps.map((m) => m.probs.buffer as ArrayBuffer)) : result;
      } catch (e) {
        return { ok: false, message: explainError(e, tf.getBackend()) };
      }
    },
    async nextTokens(ref, vocab, prompt, k) {
      try {
        const { target, trained } = await modelFor(ref);
        const v = fitWindow(target, vocab);
        const enc = encodePrompt(prompt, v.tokens, v.seqLen, v.pad);
        if (!enc.ok) return enc;
        const probs = await nextTokenProbs(tf, target, enc.ids);
        const top = topK(probs, k).map(({ id, p }) => ({ id, p, token: vocab.tokens[id] ?? `#${id}` }));
        return { ok: true, trained, epoch: trained ? modelEpoch : 0, top };
      } catch (e) {
        return { ok: false, message: explainError(e, tf.getBackend()) };
      }
    },
    async generate(ref, request, onChunk) {
      try {
        const { target } = await modelFor(ref);
        return await streamText(tf, target, fitWindow(target, request), (chunk, done) => onChunk(chunk, done), { yieldNow: macrotask });
      } catch (e) {
        return explainError(e, tf.getBackend());
      }
    },
    async exportModel(spec, seed) {
      if (model) {
        const { files } = await exportTfjsModel(tf, model);
        return { files: files.map((f) => ({ name: f.name, data: toBytes(f.data) })), trained: true };
      }
      const fresh = buildModel(tf, spec, seed);
      try {
        const { files } = await exportTfjsModel(tf, fresh);
        return { files: files.map((f) => ({ name: f.name, data: toBytes(f.data) })), trained: false };
      } finally {
        fresh.optimizer?.dispose();
        fresh.dispose();
      }
    }
  };
  return api;
}

/**
 * What a compiled WebGPU run runs on: WebGPU (ONNX Runtime's provider, with the adapter) for the training step, TF.js
 * on `tfjs` (its own info) for the rest; when there is no WebGPU adapter, TF.js' info with why (ORT then falls back
 * to WASM and says so).
 */
async function ortWebGpuInfo(tfjs: BackendInfo): Promise<BackendInfo> {
  const gpu = await probeWebGpu();
  if ('unavailable' in gpu) return { ...tfjs, requested: 'webgpu', failures: [{ backend: 'webgpu', reason: gpu.unavailable }, ...tfjs.failures] };
  return { requested: 'webgpu', actual: 'webgpu', failures: [], adapter: gpu.adapter, initMs: tfjs.initMs, tfjs: tfjs.actual };
}

/** A learning rate the optimizers accept (finite, > 0), else null. */
function validLearningRate(lr: number | undefined): number | null {
  return typeof lr === 'number' && Number.isFinite(lr) && lr > 0 ? lr : null;
}

/** The window length the model takes (its input `(seq_len,)`), when the program fixes one other than the data's. */
function fitWindow<T extends { seqLen: number }>(model: TF.LayersModel, v: T): T {
  const shape = model.inputs[0].shape;
  const len = shape.length === 2 ? shape[1] : null;
  return typeof len === 'number' && len > 0 && len !== v.seqLen ? { ...v, seqLen: len } : v;
}

function toBytes(data: Uint8Array | string | ArrayBuffer): Uint8Array {
  if (typeof data === 'string') return new TextEncoder().encode(data);
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

/** TF.js gradient kernel → the layers whose backward pass needs it ("Conv2D or Conv1D") (each layer lists its own, `tfjsGradKernels`). */
const GRADIENT_KERNELS: Record<string, string> = {};
for (const def of LAYERS) for (const k of def.tfjsGradKernels ?? []) GRADIENT_KERNELS[k] = GRADIENT_KERNELS[k] ? `${GRADIENT_KERNELS[k]} or ${def.kind}` : def.kind;

/** Turns TF.js errors into messages a learner can act on. */
export function explainError(e: unknown, backend: string): string {
  const raw = e instanceof Error ? e.message : String(e);
  const missing = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(raw);
  if (missing) {
    const [, kernel, on] = missing;
    const layer = GRADIENT_KERNELS[kernel];
    const others = ['CPU', 'WebGL', 'WebGPU', 'WASM'].filter((b) => b.toLowerCase() !== on).join(', ');
    return layer
      ? `TF.js's ${on.toUpperCase()} backend cannot train ${layer} layers (it has no ${kernel} kernel for the backward pass). Train this model on ${others} instead.`
      : `TF.js's ${on} backend has no ${kernel} kernel, which this model needs. Try ${others} instead.`;
  }
  return raw || `Training failed on ${backend}`;
}
