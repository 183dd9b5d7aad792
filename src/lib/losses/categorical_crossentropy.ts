/**
 * keras.losses.categorical_crossentropy: one-hot targets. Compiled fused form after a Softmax (what the gradient
 * table differentiates): logsumexp(z) − Σ y·z, z the Softmax's input; without a final Softmax the TF.js formula on
 * probabilities (normalise, clip to [ε, 1−ε], log).
 */
import type { GraphBuilder, OnnxNode } from '$lib/onnx/graph';
import { KERAS_EPSILON, meanAll, type LossDef } from './types';

/** The cross-entropy of `target` (one-hot, float) against `pred`; shared with the sparse form. */
export function crossEntropyOnnx(g: GraphBuilder, target: string, pred: string, producer: OnnxNode | undefined, outShape: number[]): string {
  const c = (v: number) => g.constFloat(v);
  if (producer?.op === 'Softmax' && (producer.attrs.axis === undefined || producer.attrs.axis === -1 || producer.attrs.axis === outShape.length)) {
    const z = producer.inputs[0];
    const lse = g.node('ReduceLogSumExp', [z], { axes: [-1], keepdims: 0 }, { name: 'loss/logsumexp' });
    const yz = g.node('ReduceSum', [g.node('Mul', [target, z]), g.constInt64([-1])], { keepdims: 0 });
    return meanAll(g, g.node('Sub', [lse, yz], {}, { name: 'loss/softmax_cross_entropy' }));
  }
  const p = g.node('Div', [pred, g.node('ReduceSum', [pred, g.constInt64([-1])], { keepdims: 1 })]);
  const logp = g.node('Log', [g.node('Clip', [p, c(KERAS_EPSILON), c(1 - KERAS_EPSILON)])]);
  return meanAll(g, g.node('Neg', [g.node('ReduceSum', [g.node('Mul', [target, logp]), g.constInt64([-1])], { keepdims: 0 })]));
}

export const categoricalCrossentropy: LossDef<'categorical_crossentropy'> = {
  name: 'categorical_crossentropy',
  aliases: [],
  className: 'CategoricalCrossentropy',
  doc: 'Cross-entropy between one-hot targets and predicted class probabilities (use with a softmax output).',
  tfjs: 'categoricalCrossentropy',
  // Keras: the probabilities renormalised to sum 1 over the last axis, clipped, then −Σ y·log p.
  toPytorch: ['p = torch.clamp(pred / pred.sum(dim=-1, keepdim=True), EPS, 1 - EPS)', 'return -(y * torch.log(p)).sum(dim=-1).mean()'],
  toOnnx: ({ g, y, pred, producer, outShape }) => crossEntropyOnnx(g, y, pred, producer, outShape)
};
