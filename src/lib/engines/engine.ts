/**
 * ONE engine interface for eager (TF.js, engines/tfjs/engine.ts) and compiled (ONNX Runtime, compile/engine.ts)
 * training and inference. The training loop (engines/train-loop.ts), the comparison (compile/compare.ts) and the
 * benchmark drive engines only through it; a third engine implements `TrainingEngine` and an `EngineOpener`.
 *
 * Lifecycle: `open(setup)` builds the engine for one run (weights, sessions, the run's training rows) →
 * `step(rows)` K times (an engine may queue steps and run them together) → `flush()` → `readSteps()` → … →
 * `dispose()` (frees what `open` made; a model the caller passed in stays the caller's).
 */
import type { BoundData } from '$lib/data/types';
import type { WeightMap } from '$lib/onnx/export';
import type { ModelInfo } from '$lib/onnx/inspect';
import type { Placement } from '$lib/onnx/ort-run';
import type { GradientValues, OptimizerState } from '$lib/worker/protocol';

/** The engines the app knows ('eager' = TF.js op by op, 'compiled' = one ONNX graph per K steps). */
export type EngineKind = 'eager' | 'compiled';

/** What actually ran, for the UI and the reports: never the request when something else ran. */
export interface EngineReport {
  engine: EngineKind;
  /** What was asked for: the TF.js backend, or the ORT execution provider. */
  requested: string;
  /** What runs: `tf.getBackend()`, or the ORT provider that created the session. */
  actual: string;
  /** Everything tried before `actual` (and failed), with why. Empty when the request runs. */
  fallbacks: { tried: string; reason: string }[];
  /** One line: "TF.js cpu", "ONNX Runtime wasm (webgpu could not start: …)". */
  detail: string;
  /** Building the engine (graph build + session creation for the compiled engine), ms. */
  buildMs: number;
  /** Compiled engine: nodes of its K-step graph and K. */
  nodeCount?: number;
  stepsPerRun?: number;
  /** Compiled engine on WebGPU through ONNX Runtime: whether the K-step graph runs with graph capture (if not, `fallbacks` says why). */
  graphCapture?: boolean;
  /** Compiled engine on WebGPU through the playground's own kernels (compile/wgsl-plan.ts): dispatches per training step. */
  dispatchesPerStep?: number;
}

/** Per-step metric keys, as the epoch log names them. */
export type MetricKey = 'acc' | 'mae';

/** One step's results, read back from the engine. */
export interface StepValues {
  loss: number;
  /** In the order of `engine.metrics`; may be shorter (an engine that computes only the first metric per step). */
  metrics: number[];
}

/** What an engine is opened for: one run over `data` (training rows first, validation rows last). */
export interface EngineSetup {
  data: BoundData;
  /** Rows [0, nTrain) are the training rows (`step` indexes them); the rest are the validation rows. */
  nTrain: number;
  batchSize: number;
  /** The run seed (dropout masks; shuffling is the loop's). */
  seed: number;
  /** Epochs already done when this run starts (continuing a run). */
  startEpoch: number;
}

export interface TrainingEngine {
  readonly report: EngineReport;
  /** The metrics reported per step and by `evaluate`, in order (from the spec's compile(metrics=…)). */
  readonly metrics: readonly MetricKey[];
  /**
   * Whether step results stay on the device until `readSteps` (read them in batches: one GPU→CPU sync per read)
   * rather than being free to read after every step.
   */
  readonly deferReadback: boolean;
  /**
   * Queue one optimizer step on training rows `rows` (indices into [0, nTrain)). The engine may run it later (K at
   * a time); `flush` runs what is queued. With `gradients`, an engine that can returns this step's gradients, one
   * per trainable weight, after applying them (null otherwise).
   */
  step(rows: Int32Array, opts?: { gradients?: boolean }): Promise<GradientValues[] | null>;
  /** Runs the queued steps now. */
  flush(): Promise<void>;
  /** Loss and metrics of every step run since the last call, in order (the only device read-back of steps). */
  readSteps(): Promise<StepValues[]>;
  /** Inference-mode [loss (+ regularization), ...metrics] over the validation rows; null when there are none. */
  evaluate(): Promise<number[] | null>;
  /**
   * Makes the current weights visible outside the engine (the compiled engine copies them into the TF.js model that
   * pictures, inspection and export read; eager: nothing to do). The loop calls it at pauses, stops and epoch ends.
   */
  sync(): Promise<void>;
  getWeights(): Promise<WeightMap>;
  setWeights(weights: WeightMap): Promise<void>;
  /**
   * Optional: changes the optimizer's learning rate from the next step on (teaching mode's live learning rate). The
   * eager engine sets the TF.js optimizer's; the compiled engine feeds its `lr` graph input from the next ORT run on
   * (steps queued but not yet run included).
   */
  setLearningRate?(lr: number): void;
  /** Inference-mode outputs of the first output for rows `x` shaped `shape` (batch first), row-major. */
  predict(x: Float32Array, shape: number[]): Promise<Float32Array>;
  dispose(): Promise<void>;
  /**
   * Optional (the comparison shows it): the ops one call dispatches — TF.js kernels of a step or an inference, the
   * compiled engine's graph nodes per step — by op name where the engine knows them. Results of the call are dropped.
   */
  opsPerCall?(call: { step: Int32Array } | { predict: { x: Float32Array; shape: number[] } }): Promise<OpCount>;
  /**
   * Optional (the comparison shows it): one training step as a graph (ONNX nodes), and where the runtime placed its
   * nodes after optimizing it (read from the runtime's log through `capture`; empty when it did not say).
   */
  stepGraph?(capture: LogCapture): Promise<StepGraph>;
  /**
   * Optional: the optimizer's state now, in the saved layout (worker/optimizer-state.ts), for an engine that keeps it
   * outside the TF.js model (the compiled engine: in ONNX Runtime); null when it cannot be read.
   */
  optimizerState?(): Promise<OptimizerState | null>;
}

/** Runs `f`, collecting the runtime's log lines meanwhile (ORT's verbose log: onnx/load-ort.ts captureOrtLog). */
export type LogCapture = <T>(f: () => Promise<T>) => Promise<{ value: T; lines: string[] }>;

export interface StepGraph {
  graph: ModelInfo;
  placements: Placement[];
}

export interface OpCount {
  count: number;
  /** [op name, count], most frequent first (empty when the engine does not break it down). */
  names: [string, number][];
}

/** Builds an engine for one run. */
export type EngineOpener = (setup: EngineSetup) => Promise<TrainingEngine>;

/** Values per row of a (rows, ...) shape. */
export const rowSize = (shape: number[]) => shape.slice(1).reduce((a, b) => a * b, 1);

/** Gathers rows `idx` of a row-major array with `row` values per row. */
export function gatherRows(src: Float32Array, row: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * row);
  for (let i = 0; i < idx.length; i++) out.set(src.subarray(idx[i] * row, (idx[i] + 1) * row), i * row);
  return out;
}
