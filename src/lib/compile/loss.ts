/**
 * Loss and metric of the train-step graph, with Keras / TF.js semantics: loss = mean over the batch of the per-sample
 * loss; metric = the batch's value of the first metric, resolved as the eager engine's `resolveMetrics` does (one
 * only). Each loss's and metric's ONNX ops live in its registry file (`$lib/losses/`, `$lib/metrics/`); this module
 * wires them into the graph.
 */
import { lossDef } from '$lib/losses';
import { getMetric, metricVariant, type MetricKind } from '$lib/metrics';
import type { GraphBuilder, OnnxNode } from '$lib/onnx/graph';
import type { LossName, MetricName } from '$lib/spec/types';

export { KERAS_EPSILON, targetShape } from '$lib/losses';
export type { MetricKind } from '$lib/metrics';

export interface LossValues {
  /** Scalar: mean over the batch (no regularization). */
  loss: string;
  /** Scalar metric, or null. */
  metric: string | null;
}

/** The metric the eager loop reports first for this loss / output, like resolveMetrics (one only). */
export function resolveMetricKind(loss: LossName, metrics: MetricName[], outputUnits: number): MetricKind | null {
  const m = metrics[0];
  const def = m === undefined ? undefined : getMetric(m);
  return def ? (def.resolve(loss, outputUnits).kind as MetricKind) : null;
}

/**
 * Emit the loss and metric for prediction `pred` (shape [batch, ...out]) and targets `y`. `producer` is the node that
 * made `pred` (to fuse Softmax / Sigmoid with the cross-entropy).
 */
export function emitLoss(g: GraphBuilder, loss: LossName, metric: MetricKind | null, pred: string, producer: OnnxNode | undefined, y: string, outShape: number[]): LossValues {
  const units = outShape[outShape.length - 1] ?? 1;
  let onehot: string | null = null;
  const oneHot = () => {
    if (onehot) return onehot;
    const range = g.constFloat(Float32Array.from({ length: units }, (_, i) => i), [units]);
    onehot = g.node('Cast', [g.node('Equal', [g.node('Unsqueeze', [y, g.constInt64([-1])]), range])], { to: 1 }, { name: 'loss/onehot' });
    return onehot;
  };
  const value = lossDef(loss).toOnnx({ g, pred, producer, y, outShape, oneHot });
  return { loss: value, metric: metric === null ? null : metricVariant(metric).toOnnx(g, pred, y, producer) };
}
