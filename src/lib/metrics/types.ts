/**
 * The metric registry's contract (one `MetricDef` per Keras metric string), like the layer registry's `LayerDef`.
 * A metric string can stand for several functions ("accuracy" is binary, sparse categorical or categorical accuracy
 * depending on the loss and the output, as in Keras): `resolve` picks the `MetricVariant`, which carries the TF.js
 * lowering (eager engine) and the compiled lowering (ONNX ops for the train-step graph). Both report the batch's value.
 */
import type { GraphBuilder, OnnxNode } from '$lib/onnx/graph';
import type { Tfjs } from '$lib/layers/types';
import type * as TF from '@tensorflow/tfjs';

export type MetricFn = (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor;

export interface MetricVariant<K extends string = string> {
  /** Keras' function name (`categorical_accuracy`); the compiled step records it. */
  kind: K;
  /** The TF.js metric function. */
  toTfjs(tf: Tfjs): MetricFn;
  /** The compiled lowering: adds the metric's ops for prediction `pred` and targets `y`, returns the scalar. */
  /** `producer`: the node that made `pred`, when known (a metric may read a Softmax's logits instead). */
  toOnnx(g: GraphBuilder, pred: string, y: string, producer?: OnnxNode): string;
  /** The PyTorch lowering (`$lib/pytorch`): a Python expression of `pred` and `y` (as loss_fn gets them): the batch's mean. */
  toPytorch?(pred: string, y: string): string;
}

export interface MetricDef<N extends string = string, K extends string = string, V extends string = string> {
  /** The spec's name: the string the printer writes (`metrics=["accuracy"]`). */
  name: N;
  /** Other strings Keras accepts for it (`acc`). */
  aliases: readonly string[];
  /** One-paragraph doc for hover. */
  doc: string;
  /** Key of the metric in the epoch log ('acc' → 'acc' / 'valAcc'). */
  logKey: K;
  /** The function this metric is for a model with this loss and this many output units (last axis). */
  resolve(loss: string, outputUnits: number): MetricVariant<V>;
  /** Every variant `resolve` can return. */
  variants: readonly MetricVariant<V>[];
}

export const asFloat = (g: GraphBuilder, b: string) => g.node('Cast', [b], { to: 1 });
