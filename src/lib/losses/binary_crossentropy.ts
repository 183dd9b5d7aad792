/**
 * keras.losses.binary_crossentropy: 0/1 targets. Compiled fused form after a Sigmoid (what the gradient table
 * differentiates): relu(z) − z·y + log(1 + exp(−|z|)), z the Sigmoid's input; without a final Sigmoid, z is the
 * logit of the clipped probability.
 */
import { KERAS_EPSILON, meanAll, type LossDef } from './types';

export const binaryCrossentropy: LossDef<'binary_crossentropy'> = {
  name: 'binary_crossentropy',
  aliases: [],
  className: 'BinaryCrossentropy',
  doc: 'Cross-entropy for 0/1 targets (use with a sigmoid output).',
  accuracy: 'binary',
  tfjs: 'binaryCrossentropy',
  // Keras: p clipped to [ε, 1 − ε], −(y·log p + (1 − y)·log(1 − p)), mean over the last axis and the batch.
  toPytorch: ['p = torch.clamp(pred, EPS, 1 - EPS)', 'return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean()'],
  toOnnx({ g, pred, producer, y }) {
    const c = (v: number) => g.constFloat(v);
    let z: string;
    if (producer?.op === 'Sigmoid') z = producer.inputs[0];
    else {
      const p = g.node('Clip', [pred, c(KERAS_EPSILON), c(1 - KERAS_EPSILON)]);
      z = g.node('Log', [g.node('Div', [p, g.node('Sub', [c(1), p])])]);
    }
    const softplus = g.node('Log', [g.node('Add', [c(1), g.node('Exp', [g.node('Neg', [g.node('Abs', [z])])])])]);
    return meanAll(g, g.node('Add', [g.node('Sub', [g.node('Relu', [z]), g.node('Mul', [z, y])]), softplus], {}, { name: 'loss/sigmoid_cross_entropy' }));
  }
};
