/**
 * "sparse_categorical_accuracy": the fraction of positions whose most probable class is the class-index target
 * (Keras' `sparse_categorical_accuracy`), whatever the loss. On per-step outputs (batch, time, classes) against
 * targets (batch, time) it counts every position, as Keras does. It is what "accuracy" resolves to with the
 * sparse_categorical_crossentropy loss, so it shares that variant and its log key ('acc': the accuracy chart).
 */
import { sparseCategoricalAccuracy as variant } from './accuracy';
import type { MetricDef } from './types';

export const sparseCategoricalAccuracy: MetricDef<'sparse_categorical_accuracy', 'acc', 'sparse_categorical_accuracy'> = {
  name: 'sparse_categorical_accuracy',
  aliases: [],
  doc: 'Fraction of predictions (every position of a sequence) whose most probable class is the integer target.',
  logKey: 'acc',
  variants: [variant],
  resolve: () => variant
};
