/**
 * Losses and metrics of the train-step graph, with Keras / TF.js semantics (see engines/tfjs/build.ts):
 * loss = mean over the batch of the per-sample loss; metric = the batch's accuracy (binary, sparse categorical or
 * categorical, resolved as `resolveMetrics` does) or MAE.
 *
 * Fused forms (what the gradient table differentiates):
 *   categorical cross-entropy after a Softmax:  logsumexp(z) − Σ y·z      (z: the Softmax's input)
 *   binary cross-entropy after a Sigmoid:       relu(z) − z·y + log(1 + exp(−|z|))
 * Without a final Softmax / Sigmoid the TF.js formula on probabilities is used (normalise, clip to [ε, 1−ε], log).
 */
import type { GraphBuilder, OnnxNode } from '$lib/onnx/graph';
import type { LossName, MetricName } from '$lib/spec/types';

/** Keras' epsilon() (TF.js layers). */
export const KERAS_EPSILON = 1e-7;

export interface LossValues {
  /** Scalar: mean over the batch (no regularization). */
  loss: string;
  /** Scalar metric, or null. */
  metric: string | null;
}

export type MetricKind = 'binary_accuracy' | 'sparse_categorical_accuracy' | 'categorical_accuracy' | 'mae';

/** The metric the eager loop reports first for this loss / output, like resolveMetrics (one only). */
export function resolveMetricKind(loss: LossName, metrics: MetricName[], outputUnits: number): MetricKind | null {
  const m = metrics[0];
  if (m === 'accuracy') {
    if (outputUnits === 1 || loss === 'binary_crossentropy') return 'binary_accuracy';
    if (loss === 'sparse_categorical_crossentropy') return 'sparse_categorical_accuracy';
    return 'categorical_accuracy';
  }
  if (m === 'mae') return 'mae';
  return null;
}

/** The shape y must have per sample (no batch axis) for this loss and output shape. */
export function targetShape(loss: LossName, outputShape: number[]): number[] {
  return loss === 'sparse_categorical_crossentropy' ? outputShape.slice(0, -1) : outputShape;
}

const meanAll = (g: GraphBuilder, v: string) => g.node('ReduceMean', [v], { keepdims: 0 }, { name: 'loss/mean' });

/**
 * Emit the loss and metric for prediction `pred` (shape [batch, ...out]) and targets `y`. `producer` is the node that
 * made `pred` (to fuse Softmax / Sigmoid with the cross-entropy).
 */
export function emitLoss(g: GraphBuilder, loss: LossName, metric: MetricKind | null, pred: string, producer: OnnxNode | undefined, y: string, outShape: number[]): LossValues {
  const units = outShape[outShape.length - 1] ?? 1;
  const c = (v: number) => g.constFloat(v);
  let onehot: string | null = null;
  const oneHotOf = () => {
    if (onehot) return onehot;
    const range = g.constFloat(Float32Array.from({ length: units }, (_, i) => i), [units]);
    onehot = g.node('Cast', [g.node('Equal', [g.node('Unsqueeze', [y, g.constInt64([-1])]), range])], { to: 1 }, { name: 'loss/onehot' });
    return onehot;
  };
  let value: string;
  switch (loss) {
    case 'categorical_crossentropy':
    case 'sparse_categorical_crossentropy': {
      const target = loss === 'categorical_crossentropy' ? y : oneHotOf();
      if (producer?.op === 'Softmax' && (producer.attrs.axis === undefined || producer.attrs.axis === -1 || producer.attrs.axis === outShape.length)) {
        const z = producer.inputs[0];
        const lse = g.node('ReduceLogSumExp', [z], { axes: [-1], keepdims: 0 }, { name: 'loss/logsumexp' });
        const yz = g.node('ReduceSum', [g.node('Mul', [target, z]), g.constInt64([-1])], { keepdims: 0 });
        value = meanAll(g, g.node('Sub', [lse, yz], {}, { name: 'loss/softmax_cross_entropy' }));
      } else {
        const p = g.node('Div', [pred, g.node('ReduceSum', [pred, g.constInt64([-1])], { keepdims: 1 })]);
        const logp = g.node('Log', [g.node('Clip', [p, c(KERAS_EPSILON), c(1 - KERAS_EPSILON)])]);
        value = meanAll(g, g.node('Neg', [g.node('ReduceSum', [g.node('Mul', [target, logp]), g.constInt64([-1])], { keepdims: 0 })]));
      }
      break;
    }
    case 'binary_crossentropy': {
      let z: string;
      if (producer?.op === 'Sigmoid') z = producer.inputs[0];
      else {
        const p = g.node('Clip', [pred, c(KERAS_EPSILON), c(1 - KERAS_EPSILON)]);
        z = g.node('Log', [g.node('Div', [p, g.node('Sub', [c(1), p])])]);
      }
      const softplus = g.node('Log', [g.node('Add', [c(1), g.node('Exp', [g.node('Neg', [g.node('Abs', [z])])])])]);
      value = meanAll(g, g.node('Add', [g.node('Sub', [g.node('Relu', [z]), g.node('Mul', [z, y])]), softplus], {}, { name: 'loss/sigmoid_cross_entropy' }));
      break;
    }
    case 'mse': {
      const d = g.node('Sub', [pred, y]);
      value = meanAll(g, g.node('Mul', [d, d]));
      break;
    }
    case 'mae':
      value = meanAll(g, g.node('Abs', [g.node('Sub', [pred, y])]));
      break;
    default:
      throw new Error(`unsupported loss ${String(loss)}`);
  }

  let m: string | null = null;
  const asFloat = (b: string) => g.node('Cast', [b], { to: 1 });
  switch (metric) {
    case 'binary_accuracy':
      m = g.node('ReduceMean', [asFloat(g.node('Equal', [y, asFloat(g.node('Greater', [pred, c(0.5)]))]))], { keepdims: 0 }, { name: 'metric/binary_accuracy' });
      break;
    case 'categorical_accuracy':
    {
      // argmax(pred) == argmax(y) for a one-hot y, in float32 only: the prediction's largest value is the one at the
      // true class. (WebGPU has no int64 Equal or Cast from int64: an ArgMax comparison runs on the CPU there, and
      // one node off the GPU keeps ORT from using graph capture.) Differs from argmax only on exact ties.
      const top = g.node('ReduceMax', [pred], { axes: [-1], keepdims: 0 });
      const atTrue = g.node('ReduceSum', [g.node('Mul', [pred, y]), g.constInt64([-1])], { keepdims: 0 });
      m = g.node('ReduceMean', [asFloat(g.node('Equal', [top, atTrue]))], { keepdims: 0 }, { name: 'metric/categorical_accuracy' });
      break;
    }
    case 'sparse_categorical_accuracy':
      m = g.node('ReduceMean', [asFloat(g.node('Equal', [y, asFloat(g.node('ArgMax', [pred], { axis: -1, keepdims: 0 }))]))], { keepdims: 0 }, { name: 'metric/sparse_categorical_accuracy' });
      break;
    case 'mae':
      m = g.node('ReduceMean', [g.node('Abs', [g.node('Sub', [pred, y])])], { keepdims: 0 }, { name: 'metric/mae' });
      break;
    case null:
      break;
  }
  return { loss: value, metric: m };
}
