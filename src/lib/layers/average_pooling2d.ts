import { seq } from './conformance';
import { poolingLayer } from './pooling';

/** Keras `layers.AveragePooling2D`, channels-last. */
export const averagePooling2d = poolingLayer({
  kind: 'AveragePooling2D',
  doc:
    'Downsamples an image (height, width, channels) by averaging each pool_size window, channel by channel; it has ' +
    'no parameters. With the defaults (pool_size=(2, 2), strides=None → pool_size, padding="valid") it halves ' +
    'height and width, rounding down. With padding="same" the padded border is left out of the averages, as in Keras.',
  lower: (tf, cfg) => tf.layers.averagePooling2d(cfg),
  tfjsGradKernel: 'AvgPoolGrad',
  conformance: [
    seq('AveragePooling2D default on 7x5', [7, 5, 3], 'AveragePooling2D()'),
    seq('AveragePooling2D 2 same on 7x5 (padding not counted)', [7, 5, 3], 'AveragePooling2D(2, padding="same")'),
    seq('AveragePooling2D 3 strides 2 same on 7x6', [7, 6, 2], 'AveragePooling2D(3, strides=2, padding="same")'),
    seq('AveragePooling2D 3 strides 1 valid on 6x5', [6, 5, 2], 'AveragePooling2D(3, strides=1)'),
    seq('AveragePooling2D (3, 2) strides (2, 1) same on 5x4', [5, 4, 2], 'AveragePooling2D((3, 2), strides=(2, 1), padding="same")')
  ]
});
