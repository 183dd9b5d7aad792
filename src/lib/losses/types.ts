/**
 * The loss registry's contract (one `LossDef` per Keras loss), like the layer registry's `LayerDef`: the Keras
 * strings that name it, its doc (hover and completion), the TF.js lowering (eager engine) and the compiled lowering
 * (ONNX ops for the train-step graph). Semantics are Keras' / TF.js': the loss is the mean over the batch of the
 * per-sample loss.
 */
import type { GraphBuilder, OnnxNode } from '$lib/onnx/graph';

/** Keras' epsilon() (TF.js layers): probabilities are clipped to [ε, 1−ε] before a log. */
export const KERAS_EPSILON = 1e-7;

export interface LossOnnxContext {
  g: GraphBuilder;
  /** The prediction, shape [batch, ...outShape]. */
  pred: string;
  /** The node that made `pred` (to fuse a final Softmax / Sigmoid with the cross-entropy). */
  producer: OnnxNode | undefined;
  /** The targets, shaped as `targetShape` says. */
  y: string;
  /** The model output's shape, without the batch axis. */
  outShape: number[];
  /** `y` (class indices) one-hot encoded over the last output axis, as float; emitted once per graph. */
  oneHot(): string;
}

export interface LossDef<N extends string = string> {
  /** The spec's name: the string the printer writes (`loss="mse"`). */
  name: N;
  /** Other strings Keras accepts for it (`mean_squared_error`). */
  aliases: readonly string[];
  /** Keras class name (`keras.losses.MeanSquaredError`), for docs. */
  className: string;
  /** One-paragraph doc for hover. */
  doc: string;
  /** Targets are class indices (one fewer axis than the output) rather than values shaped like the output. */
  sparseTargets?: boolean;
  /**
   * The accuracy Keras pairs with this loss for metrics=["accuracy"]: 'binary' (0/1 targets), 'sparse' (class
   * indices); unset = categorical (one-hot), or binary when the output has one unit.
   */
  accuracy?: 'binary' | 'sparse';
  /**
   * The TF.js lowering: TF.js' name of the loss, which `LayersModel.compile({ loss })` resolves (a name, not a
   * function, so TF.js' own target checks and serialization see the loss they know).
   */
  tfjs: string;
  /** The compiled lowering: adds the loss's ops and returns the scalar mean over the batch. */
  toOnnx(ctx: LossOnnxContext): string;
  /**
   * The PyTorch lowering (`$lib/pytorch`): the body of `def loss_fn(pred, y)` returning the mean over the batch, with
   * Keras' formula (probabilities clipped to [EPS, 1 − EPS], EPS = KERAS_EPSILON). `y` is a float tensor shaped like
   * `pred`, or int64 class indices for `sparseTargets`. Absent: refused by the PyTorch export.
   */
  toPytorch?: readonly string[];
}

/** Mean over every axis (the batch and any left): the loss's reduction. */
export const meanAll = (g: GraphBuilder, v: string) => g.node('ReduceMean', [v], { keepdims: 0 }, { name: 'loss/mean' });
