/** keras.losses.mean_absolute_error ("mae"): mean(|y_true − y_pred|). */
import { meanAll, type LossDef } from './types';

export const meanAbsoluteError: LossDef<'mae'> = {
  name: 'mae',
  aliases: ['mean_absolute_error'],
  className: 'MeanAbsoluteError',
  doc: 'Mean absolute error: mean(|y_true - y_pred|). For regression, less sensitive to outliers.',
  tfjs: 'meanAbsoluteError',
  toPytorch: ['return (pred - y).abs().mean()'],
  toOnnx: ({ g, pred, y }) => meanAll(g, g.node('Abs', [g.node('Sub', [pred, y])]))
};
