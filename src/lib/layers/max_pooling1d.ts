import { seq } from './conformance';
import { pooling1dLayer } from './pooling1d';

/** Keras `layers.MaxPooling1D`, channels-last. */
export const maxPooling1d = pooling1dLayer({
  kind: 'MaxPooling1D',
  doc:
    'Downsamples a sequence (steps, channels) by taking the maximum over each window of pool_size steps, channel by ' +
    'channel; it has no parameters. With the defaults (pool_size=2, strides=None → pool_size, padding="valid") it ' +
    'halves the number of steps, rounding down: (100, 64) → (50, 64).',
  lower: (tf, cfg) => tf.layers.maxPooling1d(cfg),
  tfjsGradKernel: 'MaxPoolGrad',
  conformance: [
    seq('MaxPooling1D default on 9 steps', [9, 3], 'MaxPooling1D()'),
    seq('MaxPooling1D 2 same on 9 steps', [9, 3], 'MaxPooling1D(2, padding="same")'),
    seq('MaxPooling1D 3 strides 2 same on 8 steps', [8, 2], 'MaxPooling1D(3, strides=2, padding="same")'),
    seq('MaxPooling1D 3 strides 1 valid on 7 steps', [7, 2], 'MaxPooling1D(3, strides=1)'),
    seq('MaxPooling1D 4 strides 3 same on 10 steps', [10, 2], 'MaxPooling1D(pool_size=4, strides=3, padding="same")')
  ]
});
