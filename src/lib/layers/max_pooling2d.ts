import { seq } from './conformance';
import { poolingLayer } from './pooling';

/** Keras `layers.MaxPooling2D`, channels-last. */
export const maxPooling2d = poolingLayer({
  kind: 'MaxPooling2D',
  doc:
    'Downsamples an image (height, width, channels) by taking the maximum over each pool_size window, channel by ' +
    'channel; it has no parameters. With the defaults (pool_size=(2, 2), strides=None → pool_size, padding="valid") ' +
    'it halves height and width, rounding down: (28, 28, 32) → (14, 14, 32).',
  lower: (tf, cfg) => tf.layers.maxPooling2d(cfg),
  tfjsGradKernel: 'MaxPoolGrad',
  conformance: [
    seq('MaxPooling2D default on 7x5', [7, 5, 3], 'MaxPooling2D()'),
    seq('MaxPooling2D 2 same on 7x5', [7, 5, 3], 'MaxPooling2D(2, padding="same")'),
    seq('MaxPooling2D 3 strides 2 same on 7x6', [7, 6, 2], 'MaxPooling2D(3, strides=2, padding="same")'),
    seq('MaxPooling2D 3 strides 1 valid on 6x5', [6, 5, 2], 'MaxPooling2D(3, strides=1)'),
    seq('MaxPooling2D (2, 3) strides (1, 2) same on 5x7', [5, 7, 2], 'MaxPooling2D((2, 3), strides=(1, 2), padding="same")')
  ]
});
