/** "mae" / "mean_absolute_error" as a metric: the batch's mean |y_true − y_pred|. */
import type { MetricDef, MetricVariant } from './types';

const mae: MetricVariant<'mae'> = {
  kind: 'mae',
  toPytorch: (pred, y) => `(${pred} - ${y}).abs().mean()`,
  toTfjs: (tf) => tf.metrics.meanAbsoluteError,
  toOnnx: (g, pred, y) => g.node('ReduceMean', [g.node('Abs', [g.node('Sub', [pred, y])])], { keepdims: 0 }, { name: 'metric/mae' })
};

export const meanAbsoluteError: MetricDef<'mae', 'mae', 'mae'> = {
  name: 'mae',
  aliases: ['mean_absolute_error'],
  doc: 'Mean absolute error of the predictions.',
  logKey: 'mae',
  variants: [mae],
  resolve: () => mae
};
