import { seq } from './conformance';
import { pooling1dLayer } from './pooling1d';

/** Keras `layers.AveragePooling1D`, channels-last. */
export const averagePooling1d = pooling1dLayer({
  kind: 'AveragePooling1D',
  doc:
    'Downsamples a sequence (steps, channels) by averaging each window of pool_size steps, channel by channel; it has ' +
    'no parameters. With the defaults (pool_size=2, strides=None → pool_size, padding="valid") it halves the number ' +
    'of steps, rounding down: (100, 64) → (50, 64). With padding="same" the padded steps are left out of the averages.',
  lower: (tf, cfg) => tf.layers.averagePooling1d(cfg),
  tfjsGradKernel: 'AvgPoolGrad',
  conformance: [
    seq('AveragePooling1D default on 9 steps', [9, 3], 'AveragePooling1D()'),
    seq('AveragePooling1D 2 same on 9 steps', [9, 3], 'AveragePooling1D(2, padding="same")'),
    seq('AveragePooling1D 3 strides 2 same on 8 steps', [8, 2], 'AveragePooling1D(3, strides=2, padding="same")'),
    seq('AveragePooling1D 3 strides 1 valid on 7 steps', [7, 2], 'AveragePooling1D(3, strides=1)'),
    seq('AveragePooling1D 4 strides 3 same on 10 steps', [10, 2], 'AveragePooling1D(pool_size=4, strides=3, padding="same")')
  ]
});
