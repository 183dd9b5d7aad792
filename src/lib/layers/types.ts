/**
 * The layer registry's contract (one `LayerDef` per Keras layer class).
 *
 * Conventions:
 * - Shapes never include the batch axis; layers are channels-last like Keras (`(height, width, channels)`).
 *   `axis` arguments count the batch axis as Keras does (axis=-1 is the last axis, axis=1 the first non-batch one).
 * - Parameter counts follow Keras' `model.summary()`: `trainable` + `nonTrainable` (BatchNormalization's moving
 *   mean and variance are non-trainable) is what TF.js' `countParams()` reports for the lowered layer.
 * - FLOPs are per sample, for the forward (inference) pass, counting a multiply-add as 2. Each layer file writes its
 *   formula next to its `flops`. Biases and activations fused into Dense/Conv2D are not counted (as in most FLOP
 *   counters).
 */
import type { ArgValue, CallInfo, LayerNode, Shape } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import type { GraphBuilder } from '$lib/onnx/graph';
import type { PytorchLowerContext, PytorchLowering } from '$lib/pytorch/types';

/** The TF.js namespace, passed in so layer files never import TF.js at run time (it loads in the worker only). */
export type Tfjs = typeof TF;

export type ArgType =
  | 'int'
  | 'float'
  | 'bool'
  | 'string'
  | 'shape' // tuple of ints
  | 'int_or_tuple' // 3 or (3, 3)
  | 'activation'
  | 'initializer'
  | 'regularizer'
  /**
   * A layer object (Bidirectional's `layer`): `layers.LSTM(16, return_sequences=True)` in the code, the plain object
   * `{ kind: 'LSTM', args: { ...its args with defaults filled } }` in the spec, built and validated with that kind's
   * own LayerDef. `values` (if set) lists the kinds accepted.
   */
  | 'layer';

export interface ArgDef {
  /** Keras argument name. */
  name: string;
  type: ArgType;
  /** Default value; `undefined` means required. */
  default?: ArgValue;
  /** Allowed string values (for completion and validation). */
  values?: readonly string[];
  /** Inclusive bounds for numbers. */
  min?: number;
  max?: number;
  /** One-line doc shown in hover and completion. */
  doc: string;
}

/** A problem found by a layer's own validation, reported at the layer's span. */
export class LayerError extends Error {
  constructor(
    message: string,
    public hint?: string
  ) {
    super(message);
  }
}

export interface ParamCount {
  trainable: number;
  nonTrainable: number;
}

export interface TfjsLowerContext {
  tf: Tfjs;
  /** Seed for this layer's initialisers (derived from the run seed and the layer index). */
  seed: number;
  /**
   * Shapes (no batch axis) of the node's inputs, in call order, when the caller knows them. Layers use them where
   * TF.js needs concrete sizes that Keras infers (Reshape's -1, Flatten of a 1-D input); without them they fall
   * back to a plain lowering.
   */
  inputShapes?: Shape[];
}

/**
 * What `toTfjs` returns: one TF.js layer, or a chain of layers applied in sequence (the first takes the node's
 * inputs, each next one the previous output). The first layer of a chain is named after the node and holds its
 * weights; the others are weightless, keep the shape, and are named `${node.id}__<what>` (e.g. the LeakyReLU that
 * follows a Dense with activation="leaky_relu").
 */
export type TfjsLowering = TF.layers.Layer | TF.layers.Layer[];

/**
 * The Keras class name of a TF.js layer built by a lowering: its `kerasClassName` where a custom TF.js layer sets one
 * (the recurrent layers serialize as `KerasRecurrent` but are an LSTM to the learner), else TF.js' class name.
 */
export function kerasClassName(layer: TF.layers.Layer): string {
  return (layer as TF.layers.Layer & { kerasClassName?: string }).kerasClassName ?? layer.getClassName();
}

/**
 * What a layer's `toOnnx` gets. Values are ONNX value names; tensors are laid out as in Keras: batch axis first, then
 * the node's shape, channels last (a lowering that needs NCHW transposes in and out itself).
 */
export interface OnnxLowerContext {
  g: GraphBuilder;
  /** The node's input values, in call order. */
  inputs: string[];
  /** Shapes of the inputs and of the output, without the batch axis. */
  inputShapes: Shape[];
  outputShape: Shape;
  /**
   * The value holding one of this layer's weights, by Keras weight name ('kernel', 'bias', 'gamma', 'beta',
   * 'moving_mean', 'moving_variance'), in Keras' layout (Dense kernel (in, units); Conv2D kernel (kh, kw, cin, cout)).
   * The caller decides what it is: an initializer in an exported model, a graph input in the train-step graph.
   */
  weight(name: string): string;
  /**
   * False for inference (export): BatchNormalization uses its moving statistics, Dropout is the identity.
   * True in the train-step graph: BatchNormalization normalises with the batch's statistics and reports its new
   * moving statistics through `updateState`, Dropout multiplies by `dropoutMask`.
   */
  training: boolean;
  /** Train step only: the new value of a non-trainable weight (BatchNormalization's moving_mean / moving_variance). */
  updateState?(name: string, value: string): void;
  /**
   * Train step only: a keep-mask already scaled by 1 / (1 - rate), with the shape of the input (batch axis first), or
   * with the batch axis then `shape` where given (MultiHeadAttention drops attention probabilities (heads, T_q, T_k)).
   */
  dropoutMask?(rate: number, shape?: Shape): string;
}

/** One weight a layer can own, by its Keras name (e.g. `kernel`, `moving_mean`). */
export interface WeightDef {
  name: string;
  /**
   * False for a weight the optimizer never updates (BatchNormalization's moving statistics): Keras counts it as
   * non-trainable, and the compiled train step carries it as state that the layer itself updates (`updateState`).
   */
  trainable: boolean;
  /** True for a weight that must stay positive (a variance): random test weights for it are drawn from [0.5, 1.5]. */
  positive?: boolean;
}

/**
 * One ONNX conformance case of a layer (see `$lib/onnx/conformance`): a small Keras program using the layer, which
 * the runners build in TF.js, export to ONNX, run in ONNX Runtime and compare. The registry adds the layer's kind.
 */
export interface LayerConformanceCase {
  /** Unique across the table, readable: `Conv2D same stride 2 on 7x5`. */
  name: string;
  /** A Keras program (the playground's subset): a model named `model`. */
  source: string;
}

/** A tensor parameter of a layer's call (`query`, `value`, `key`, `attention_mask` of MultiHeadAttention). */
export interface CallTensorDef {
  name: string;
  required: boolean;
  doc: string;
}

/**
 * How a layer is called when it takes named tensors and call keywords (Keras `layer(query, value, key=None,
 * attention_mask=None, use_causal_mask=False)`), instead of one tensor or a list (`arity`). The model builder binds
 * the call like a Python call (positional then keyword; unknown keywords get "did you mean"), stores which parameter
 * each input tensor was given for and the call's other keywords in `LayerNode.call`, and the printer writes the call
 * back as written. Such a layer sets `arity: 'many'`: its TF.js layer is applied to the list of its distinct inputs,
 * in order of first use in `node.inputs` (`mha(h, h)`: to [h]; tfjs-layers' predict would free a tensor given twice to
 * one layer too early). An absent optional tensor is simply not in `node.inputs` (the layer resolves Keras' defaults,
 * e.g. key = value, from `call.inputNames`).
 */
export interface CallDef {
  /** Tensor parameters, in Keras' positional order. */
  tensors: readonly CallTensorDef[];
  /** The other keywords of the call (`use_causal_mask`), with defaults. */
  args: readonly ArgDef[];
}

/** Which Python module a layer class lives in: `keras.layers` (default) or KerasHub's `keras_hub.layers`. */
export type LayerModule = 'keras.layers' | 'keras_hub.layers';

export interface LayerDef {
  /** Keras class name (`Dense`). */
  kind: string;
  /** Where the class lives in Python; absent = `keras.layers`. */
  module?: LayerModule;
  /** Named-tensor calls with keywords (MultiHeadAttention); absent = called on one tensor or a list, per `arity`. */
  call?: CallDef;
  /** One-paragraph doc for hover. */
  doc: string;
  /** Arguments in Keras positional order. */
  args: readonly ArgDef[];
  /** How many inputs the layer takes: 1, or 'many' for merge layers (Add, Concatenate). */
  arity: 1 | 'many';
  /** Extra validation of argument values beyond types/bounds (throw LayerError). */
  validate?(args: Record<string, ArgValue>): void;
  /**
   * Output shape (no batch axis) for these input shapes; throw LayerError when the input cannot be accepted.
   * `call` is the node's `LayerNode.call` (layers with `LayerDef.call` only).
   */
  outputShape(inputs: Shape[], args: Record<string, ArgValue>, call?: CallInfo): Shape;
  /** Parameter count for these input shapes. */
  params(inputs: Shape[], args: Record<string, ArgValue>, call?: CallInfo): ParamCount;
  /** Forward FLOPs per sample (multiply-add = 2; see the top of this file). */
  flops(inputs: Shape[], args: Record<string, ArgValue>, call?: CallInfo): number;
  /** The TF.js layer (or chain of layers, see `TfjsLowering`) for this node. */
  toTfjs(node: LayerNode, ctx: TfjsLowerContext): TfjsLowering;
  /** The ONNX lowering: adds this node's ops to `ctx.g` and returns the value name of its output. */
  toOnnx?(node: LayerNode, ctx: OnnxLowerContext): string;
  /**
   * The PyTorch lowering (`$lib/pytorch`): the submodule(s) to build, the forward expression (tensors in Keras layout,
   * see `$lib/pytorch/types`), how its Keras weights map to torch tensors (transposes) and their Keras initializers.
   * A layer without one is refused by the PyTorch export, by name.
   */
  toPytorch?(node: LayerNode, ctx: PytorchLowerContext): PytorchLowering;
  /**
   * The weights the layer can own (which ones exist may depend on its arguments, e.g. `use_bias`); absent means
   * none. Only their names and trainability are read here (the shapes come from the TF.js model).
   */
  weights?: readonly WeightDef[];
  /**
   * For a layer that drops units in training (Dropout): its drop rate for these arguments. Both engines then train
   * with the seeded keep-masks of `$lib/compile/dropout-masks` (eager: the TF.js layer's call is patched; compiled:
   * the lowering multiplies by `ctx.dropoutMask(rate)`), so they drop the same units.
   */
  dropoutRate?(args: Record<string, ArgValue>): number;
  /**
   * How the Inspect panel pictures the layer beyond its weight histograms and activations: 'filters' draws its
   * kernel, laid out (k_h, k_w, C_in, C_out) as in Conv2D, as one small image per output filter.
   */
  inspect?: 'filters';
  /**
   * TF.js kernels that only this layer's backward pass needs (e.g. Conv2DBackpropFilter): when a backend lacks one,
   * the training error names this layer.
   */
  tfjsGradKernels?: readonly string[];
  /**
   * True for layers whose per-sample cost makes TF.js' cpu backend slow (convolutions over images): the CLI then
   * trains on a smaller default subset of the digits.
   */
  heavyOnCpu?: boolean;
  /**
   * For an elementwise layer (each output value a function of the input value at the same place): that function at
   * inference, in float64, written from the Keras docs rather than from either lowering. The layer tests check the TF.js lowering
   * against it for the arguments of each of the layer's conformance cases; the conformance table then checks the
   * ONNX lowering against TF.js.
   */
  reference?(x: number, args: Record<string, ArgValue>): number;
  /** The layer's ONNX conformance cases (see `LayerConformanceCase`); every layer has at least one. */
  conformance?: readonly LayerConformanceCase[];
}

/** A tensor inside a block being composed: the id of an input or of a node the block added. */
export type BlockTensor = string;

/** What a `BlockDef.compose` builds with (implemented by the model builder). */
export interface BlockBuilder {
  /**
   * Adds a registry layer to the block, named `${block id}_${part}` (made unique), called on `inputs`; `args` are
   * Keras arguments (defaults are filled in and the layer's `validate` runs, as for a written call); `call` gives the
   * tensor parameter names and call keywords of a layer with `LayerDef.call`. A LayerError from the layer (bad
   * argument, shape it cannot accept) is reported at the block's call. Returns the new node's output.
   */
  layer(kind: string, part: string, args: Record<string, ArgValue>, inputs: BlockTensor[], call?: { inputNames: string[]; args?: Record<string, ArgValue> }): BlockTensor;
  /** `a + b` (an Add node, printed nowhere: the block is printed as one call). */
  add(part: string, a: BlockTensor, b: BlockTensor): BlockTensor;
  /** The shape (no batch axis) of a tensor of the block (inputs and added nodes alike). */
  shape(t: BlockTensor): Shape;
}

/**
 * A composite layer (KerasHub's TransformerEncoder, TransformerDecoder, TokenAndPositionEmbedding): parsed like a
 * layer (arguments, docs, completion, hover), but the model builder expands its call into registry layers via
 * `compose`, so every lowering (TF.js, ONNX, compiled step, PyTorch) comes from those layers. The nodes carry a
 * `BlockRef`; the Keras printer writes the block call back and the summary groups its nodes.
 */
export interface BlockDef {
  kind: string;
  module: LayerModule;
  doc: string;
  /** Constructor arguments in Keras positional order. */
  args: readonly ArgDef[];
  /** Named tensors / call keywords (as for a layer); absent = called on one tensor. */
  call?: CallDef;
  validate?(args: Record<string, ArgValue>): void;
  /**
   * Builds the block: `inputs` are the tensors it was called on (in `call.tensors` order when `call` is set, given
   * ones only, with `callInputNames` naming them), `args` its arguments with defaults, `callArgs` its call keywords.
   * Returns the block's output tensor. Throws LayerError for what the block itself refuses.
   */
  compose(b: BlockBuilder, inputs: BlockTensor[], args: Record<string, ArgValue>, callArgs: Record<string, ArgValue>, callInputNames: string[]): BlockTensor;
}
