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
  /**
   * Layers called with named tensors and call keywords (`LayerDef.call`, e.g. MultiHeadAttention:
   * `mha(x, x, use_causal_mask=True)`): the call parameter each entry of `inputs` was given for (`['query', 'value']`),
   * and the call's other keywords with their defaults filled in (`{ use_causal_mask: true }`). Absent for other layers.
   */
  call?: CallInfo;
  /**
   * `a + b` on tensors: an `Add` node written with the operator (printed back the same way). Absent: a layer call.
   */
  operator?: '+';
  /** Set on every node a composite layer (`BlockDef`, e.g. KerasHub's TransformerEncoder) expanded into. */
  block?: BlockRef;
}

/** How a layer with `LayerDef.call` was called (see `LayerNode.call`). */
export interface CallInfo {
  /** The call parameter of each entry of the node's `inputs`, in the same order (`['query', 'value', 'key']`). */
  inputNames: string[];
  /** The call's non-tensor keywords, defaults filled in (`{ use_causal_mask: false }`). */
  args: Record<string, ArgValue>;
}

/**
 * The composite layer call a node came from (`keras_hub.layers.TransformerEncoder(64, 4)(x)` expands into
 * LayerNormalization, MultiHeadAttention, Dropout, Add and Dense nodes). Every node of one call holds an equal
 * BlockRef; the block's output is its last node (in `layers` order). The printer writes the block call back, the
 * summary shows the block with what it holds.
 */
export interface BlockRef {
  /** The block's layer name (`transformer_encoder`); its nodes are named `${id}_${part}`. */
  id: string;
  /** The BlockDef's kind (`TransformerEncoder`). */
  kind: string;
  /** The block's arguments, defaults filled in. */
  args: Record<string, ArgValue>;
  /** Ids of the tensors the block was called on. */
  inputs: string[];
  /** Its call keywords (defaults filled in), if its BlockDef has `call`. */
  callArgs?: Record<string, ArgValue>;
  /** The call parameter each entry of `inputs` was given for, if its BlockDef has `call` (as `CallInfo.inputNames`). */
  callInputNames?: string[];
  /** Span of the block's constructor call. */
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
