import { seq } from './conformance';
import type * as TF from '@tensorflow/tfjs';
import { pooling1dLayer } from './pooling1d';
import type { Tfjs } from './types';
import { window1d } from './util';

/**
 * TF.js' AvgPoolGrad divides by the whole window even where its forward pass left the padding out (Keras' and TF's
 * gradient divide by the real steps). With padding="same" and pads, the layer's call computes the same averages as
 * window sums (an average pool of the zero-padded input, padding "valid", times pool_size) over the number of real
 * steps per window, so TF.js differentiates Keras' function. Only the call changes (a saved model reloads with TF.js'
 * own, equal, forward pass).
 */
function excludePadsInGradient(tf: Tfjs, layer: TF.layers.Layer, steps: number, cfg: { poolSize: number; strides: number; padding: 'valid' | 'same' }): TF.layers.Layer {
  const { pads, out } = window1d(steps, cfg.poolSize, cfg.strides, cfg.padding);
  if (pads[0] === 0 && pads[1] === 0) return layer;
  const scale = Float32Array.from({ length: out }, (_, t) => {
    const start = t * cfg.strides - pads[0];
    return cfg.poolSize / (Math.min(start + cfg.poolSize, steps) - Math.max(start, 0));
  });
  layer.call = (inputs) =>
    tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor3D;
      const xp = tf.expandDims(tf.pad(x, [[0, 0], pads, [0, 0]]), 2) as TF.Tensor4D;
      const avg = tf.squeeze(tf.avgPool(xp, [cfg.poolSize, 1], [cfg.strides, 1], 'valid'), [2]);
      return tf.mul(avg, tf.tensor3d(scale, [1, out, 1]));
    });
  return layer;
}

/** Keras `layers.AveragePooling1D`, channels-last. */
export const averagePooling1d = pooling1dLayer({
  kind: 'AveragePooling1D',
  doc:
    'Downsamples a sequence (steps, channels) by averaging each window of pool_size steps, channel by channel; it has ' +
    'no parameters. With the defaults (pool_size=2, strides=None → pool_size, padding="valid") it halves the number ' +
    'of steps, rounding down: (100, 64) → (50, 64). With padding="same" the padded steps are left out of the averages.',
  lower: (tf, cfg, inputShape) => {
    const layer = tf.layers.averagePooling1d(cfg);
    return inputShape ? excludePadsInGradient(tf, layer, inputShape[0], cfg) : layer;
  },
  tfjsGradKernel: 'AvgPoolGrad',
  conformance: [
    seq('AveragePooling1D default on 9 steps', [9, 3], 'AveragePooling1D()'),
    seq('AveragePooling1D 2 same on 9 steps', [9, 3], 'AveragePooling1D(2, padding="same")'),
    seq('AveragePooling1D 3 strides 2 same on 8 steps', [8, 2], 'AveragePooling1D(3, strides=2, padding="same")'),
    seq('AveragePooling1D 3 strides 1 valid on 7 steps', [7, 2], 'AveragePooling1D(3, strides=1)'),
    seq('AveragePooling1D 4 strides 3 same on 10 steps', [10, 2], 'AveragePooling1D(pool_size=4, strides=3, padding="same")')
  ]
});
