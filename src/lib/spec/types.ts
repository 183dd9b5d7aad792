/**
 * ModelSpec: the one contract shared by the parser, the UI, the worker, the exporters and the compiler.
 * Plain JSON (structured-clone, URL and IndexedDB safe). Every node keeps the source span it came from so
 * any diagnostic can be shown at its line.
 */
import type { LossName } from '$lib/losses';
import type { MetricName } from '$lib/metrics';
import type { OptimizerName } from '$lib/optimizers';

export const SPEC_VERSION = 1 as const;

/** A range in the editor text. Lines and columns are 1-based (Monaco's convention); from/to are offsets. */
export interface Span {
  from: number;
  to: number;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

/** A tensor shape without the batch axis, e.g. [2] or [28, 28, 1]. */
export type Shape = number[];

/** A literal argument value as it appears in Keras code, after parsing. */
export type ArgValue =
  | number
  | string
  | boolean
  | null
  | ArgValue[]
  | { [key: string]: ArgValue };

export interface InputNode {
  id: string;
  /** Keras name (`keras.Input(..., name=...)`) or a generated one. */
  name: string;
  shape: Shape;
  /**
   * `keras.Input(..., dtype="int32")` (token ids for an Embedding); absent = float32. The data stays a Float32Array
   * internally (ids as floats) and the compiled step's `x` stays float32; the ONNX export declares the graph input
   * INT32 and casts it to float for the layers.
   */
  dtype?: InputDtype;
  span: Span;
}

/** The dtypes `keras.Input(dtype=...)` accepts. */
export const INPUT_DTYPES = ['float32', 'int32'] as const;
export type InputDtype = (typeof INPUT_DTYPES)[number];

export interface LayerNode {
  /** Unique within the spec; also the layer's name (`dense`, `dense_1`, ... as Keras names them). */
  id: string;
  /** Keras class name: 'Dense', 'Dropout', ... (key of the layer registry). */
  kind: string;
  /** Arguments with defaults filled in and values normalised (see each layer's `args`). */
  args: Record<string, ArgValue>;
  /** Ids of the nodes (inputs or layers) feeding this layer, in call order. */
  inputs: string[];
  /** Span of the layer's constructor call, e.g. `layers.Dense(16, activation="relu")`. */
  span: Span;
}

/** Names of the optimizer, loss and metric registries (`$lib/optimizers`, `$lib/losses`, `$lib/metrics`), derived there. */
export type { OptimizerName } from '$lib/optimizers';
export type { LossName } from '$lib/losses';
export type { MetricName } from '$lib/metrics';

export interface OptimizerSpec {
  name: OptimizerName;
  learningRate: number;
  /** Optimizer-specific extras (momentum, nesterov, beta_1, ...), Keras argument names. */
  args: Record<string, ArgValue>;
  span: Span;
}

export interface CompileSpec {
  optimizer: OptimizerSpec;
  loss: LossName;
  metrics: MetricName[];
  span: Span;
}

export interface FitSpec {
  epochs: number;
  batchSize: number;
  validationSplit: number;
  shuffle: boolean;
  /** The names passed as x and y (normally x_train, y_train). */
  x: string;
  y: string;
  span: Span;
}

export interface ModelSpec {
  version: typeof SPEC_VERSION;
  /** 'sequential' or 'functional': how the user wrote it (the printer keeps the style). */
  style: 'sequential' | 'functional';
  /** The Python variable the model is bound to (`model`). */
  modelName: string;
  inputs: InputNode[];
  /** Topologically ordered. */
  layers: LayerNode[];
  /** Ids of the output nodes. */
  outputs: string[];
  compile: CompileSpec | null;
  fit: FitSpec | null;
}

export type Severity = 'error' | 'warning' | 'info';

/** A message located in the source. Never points at internals. */
export interface Diagnostic {
  severity: Severity;
  message: string;
  span: Span;
  /** Optional hint appended in the UI ("did you mean ...", "add layers.Reshape(...)"). */
  hint?: string;
}

export interface ParseResult {
  spec: ModelSpec | null;
  diagnostics: Diagnostic[];
}
