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
  toOnnx: ({ g, pred, producer, outShape, oneHot }) => crossEntropyOnnx(g, oneHot(), pred, producer, outShape)
};
