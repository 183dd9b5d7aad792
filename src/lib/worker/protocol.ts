/**
 * The typed contract between the UI thread and the training worker (exposed with comlink).
 * The UI never trains: it sends a ModelSpec + bound data, the worker sends events back in batches
 * (a few messages per second), tensors as transferable typed arrays.
 */
import type { BoundData } from '$lib/data/types';
import type { BackendInfo, BackendName } from '$lib/engines/backend';
import type { ConvFilters, LayerActivation, LayerHistogram } from '$lib/engines/tfjs/inspect';
import type { ModelSpec } from '$lib/spec/types';
import type { OnnxMethods } from './onnx-methods';
import type { CompareMethods, CompiledEvent, Engine } from '$lib/compile/compiled-methods';

/** One epoch of a run, as the loop reports it (and the UI plots it). */
export interface EpochLog {
  /** 1-based, counted from the start of the run (includes `startEpoch`). */
  epoch: number;
  loss: number;
  acc?: number;
  valLoss?: number;
  valAcc?: number;
  mae?: number;
  valMae?: number;
  /** Wall ms of this epoch's training batches (validation excluded). */
  ms: number;
  /** Wall ms of this epoch's validation pass (0 when there is no validation set). */
  valMs: number;
}

/** Keys of the per-epoch metrics, for the UI. */
export const EPOCH_METRICS = [
  { key: 'loss', label: 'loss' },
  { key: 'valLoss', label: 'val_loss' },
  { key: 'acc', label: 'accuracy' },
  { key: 'valAcc', label: 'val_accuracy' },
  { key: 'mae', label: 'mae' },
  { key: 'valMae', label: 'val_mae' }
] as const satisfies readonly { key: keyof EpochLog; label: string }[];

export interface BatchLog {
  epoch: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  loss: number;
}

/** One trainable weight's gradient of a batch, read back to the CPU (for the histograms). */
export interface GradientValues {
  /** The TF.js variable name, e.g. "dense_1/kernel". */
  name: string;
  shape: number[];
  values: Float32Array;
}

export interface BoundaryRequest {
  /** Grid cells per side. */
  resolution: number;
  /** [xMin, xMax, yMin, yMax] of the plotted plane. */
  extent: [number, number, number, number];
}

export interface CurveRequest {
  /** Inputs of a 1-feature regression are sampled evenly on [xMin, xMax]. */
  xMin: number;
  xMax: number;
  points: number;
}

export interface TrainRequest {
  spec: ModelSpec;
  data: BoundData;
  backend: BackendName;
  /** Seed of the weight initialisers and of the shuffling. */
  seed: number;
  /** Present when the data is 2D and the UI draws a decision boundary. */
  boundary?: BoundaryRequest;
  /** Present when the data is a 1-feature regression and the UI draws the fitted curve. */
  curve?: CurveRequest;
  /** A held-out labelled set (digits' x_test, y_test), evaluated after training and after epochs as time allows. */
  test?: TestSet;
  /** Continue a saved run: start from these weights (they must fit the model built from `spec`). */
  initialWeights?: WeightSnapshot;
  /** Epochs already done (with `initialWeights`): numbering continues and only the remaining fit epochs run. */
  startEpoch?: number;
  /** 'eager' (TF.js, default) or 'compiled' (the whole step as one ONNX Runtime graph; compile/train-loop.ts). */
  engine?: Engine;
}

/** One weight tensor of a model, in `model.weights` order. */
export interface WeightTensor {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A model's weights and the model they belong to (see `specKey` in weights.ts), structured-clone/IndexedDB safe. */
export interface WeightSnapshot {
  /** Identifies the architecture (inputs, layers, outputs; no source spans, no fit settings). */
  specKey: string;
  /** The last completed epoch when the weights were read (0: initial weights). */
  epoch: number;
  weights: WeightTensor[];
}

/** Rows shaped like the training rows (`data.xShape` without the batch axis), with their class labels. */
export interface TestSet {
  x: Float32Array;
  labels: Int32Array;
  n: number;
}

/** Inspect one sample: run it through the current model (or, before training, the spec built with `seed`). */
export interface InspectRequest {
  spec: ModelSpec;
  seed: number;
  /** Used only when no model exists yet in the worker. */
  backend: BackendName;
  /** One sample, shaped like the model's input (without the batch axis). */
  x: Float32Array;
}

export interface InspectResult {
  /** Whether the weights are trained ones (false: the initial weights of `seed`). */
  trained: boolean;
  /** Last completed epoch of the model inspected (0 before training). */
  epoch: number;
  /** Every layer's output for the sample, in order; the last is the model's output. */
  layers: LayerActivation[];
}

export interface ExportedFile {
  name: string;
  data: Uint8Array;
}

export type RunOutcome = 'completed' | 'stopped';

export type TrainEvent =
  /** The compiled engine's session is ready: ORT provider, compile time, node count (engine 'compiled' only). */
  | CompiledEvent
  | { type: 'backend'; info: BackendInfo }
  | { type: 'model'; params: number; buildMs: number }
  | { type: 'epoch'; log: EpochLog }
  | { type: 'progress'; epoch: number; batch: number; batches: number; loss: number }
  | { type: 'boundary'; epoch: number; resolution: number; classes: number; probs: Float32Array }
  | { type: 'curve'; epoch: number; xs: Float32Array; ys: Float32Array }
  | { type: 'paused' }
  | { type: 'resumed' }
  | { type: 'done'; outcome: RunOutcome; epochs: number }
  | { type: 'diverged'; message: string; epoch: number; batch: number }
  | { type: 'error'; message: string }
  /** Per-batch losses since the last message: `x` is the fractional epoch (epoch - 1 + batch / batches). */
  | { type: 'batches'; x: Float32Array; loss: Float32Array; smoothed: Float32Array }
  /** Weight (and, after the first captured step, gradient) histograms of every layer with weights. */
  | { type: 'histograms'; epoch: number; batch: number; layers: LayerHistogram[] }
  | { type: 'filters'; epoch: number; batch: number; layers: ConvFilters[] }
  /** The test set evaluated (`final`: after the run's last epoch). Confusion rows are true classes. */
  | { type: 'evaluation'; epoch: number; final: boolean; accuracy: number; n: number; classes: number; confusion: Int32Array; predictions: Int32Array; ms: number };

/** What the worker exposes through comlink. Every method also runs in-process (see session.ts). */
export interface TrainingApi extends OnnxMethods, CompareMethods {
  /** Resolves when the run ends (completed, stopped, diverged or failed); events arrive through `onEvents`. */
  train(request: TrainRequest, onEvents: (events: TrainEvent[]) => void): Promise<void>;
  pause(): void;
  resume(): void;
  stop(): void;
  /** Stops any run and frees the model and its tensors. */
  reset(): void;
  /**
   * The current model as TF.js files (model.json + weights). With no trained model, `spec` is built with `seed`
   * (its initial weights). `trained` says which.
   */
  exportModel(spec: ModelSpec, seed: number): Promise<{ files: ExportedFile[]; trained: boolean }>;
  /** One sample's activations through every layer; works before, during (between batches) and after training. */
  inspect(request: InspectRequest): Promise<InspectResult>;
  /** The current model's weights (read between batches while training), or null when there is no model. */
  getWeights(): Promise<WeightSnapshot | null>;
  /**
   * Makes `spec` with saved `weights` the current model without training (a restored session), on `backend` (with
   * fallback), so export and inspection use the trained weights; with `boundary`, returns its picture. Refused
   * (`loaded: false` and why) while a run is going or when the weights do not fit.
   */
  loadWeights(
    spec: ModelSpec,
    weights: WeightSnapshot,
    backend: BackendName,
    boundary?: BoundaryRequest
  ): Promise<{ loaded: boolean; message?: string; boundary?: { resolution: number; classes: number; probs: Float32Array } }>;
}
