/** keras.losses.sparse_categorical_crossentropy: the categorical cross-entropy with class indices as targets. */
import { crossEntropyOnnx } from './categorical_crossentropy';
import type { LossDef } from './types';

export const sparseCategoricalCrossentropy: LossDef<'sparse_categorical_crossentropy'> = {
  name: 'sparse_categorical_crossentropy',
  aliases: [],
  className: 'SparseCategoricalCrossentropy',
  doc: 'Cross-entropy with integer class labels as targets (use with a softmax output).',
  sparseTargets: true,
  accuracy: 'sparse',
  tfjs: 'sparseCategoricalCrossentropy',
  // Keras: −log p[y], p renormalised and clipped as for the categorical cross-entropy.
  toPytorch: ['p = torch.clamp(pred / pred.sum(dim=-1, keepdim=True), EPS, 1 - EPS)', 'return -torch.log(p).gather(-1, y.unsqueeze(-1)).mean()'],
  toOnnx: ({ g, pred, producer, outShape, oneHot }) => crossEntropyOnnx(g, oneHot(), pred, producer, outShape)
};
