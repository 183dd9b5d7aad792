/**
 * The typed contract between the UI thread and the training worker (exposed with comlink).
 * The UI never trains: it sends a ModelSpec + bound data, the worker sends events back in batches
 * (a few messages per second), tensors as transferable typed arrays.
 */
import type { BoundData } from '$lib/data/types';
import type { BackendInfo, BackendName } from '$lib/engines/backend';
import type { EpochLog } from '$lib/engines/tfjs/train';
import type { ModelSpec } from '$lib/spec/types';

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
}

export interface ExportedFile {
  name: string;
  data: Uint8Array;
}

export type RunOutcome = 'completed' | 'stopped';

export type TrainEvent =
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
  | { type: 'error'; message: string };

/** What the worker exposes through comlink. Every method also runs in-process (see session.ts). */
export interface TrainingApi {
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
}
