/** keras.losses.mean_squared_error ("mse"): mean((y_true − y_pred)²). */
import { meanAll, type LossDef } from './types';

export const meanSquaredError: LossDef<'mse'> = {
  name: 'mse',
  aliases: ['mean_squared_error'],
  className: 'MeanSquaredError',
  doc: 'Mean squared error: mean((y_true - y_pred)²). For regression.',
  tfjs: 'meanSquaredError',
  toPytorch: ['return ((pred - y) ** 2).mean()'],
  toOnnx({ g, pred, y }) {
    const d = g.node('Sub', [pred, y]);
    return meanAll(g, g.node('Mul', [d, d]));
  }
};
