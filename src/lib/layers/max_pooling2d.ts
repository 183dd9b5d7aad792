import { poolingLayer } from './pooling';

/** Keras `layers.MaxPooling2D`, channels-last. */
export const maxPooling2d = poolingLayer({
  kind: 'MaxPooling2D',
  doc:
    'Downsamples an image (height, width, channels) by taking the maximum over each pool_size window, channel by ' +
    'channel; it has no parameters. With the defaults (pool_size=(2, 2), strides=None → pool_size, padding="valid") ' +
    'it halves height and width, rounding down: (28, 28, 32) → (14, 14, 32).',
  lower: (tf, cfg) => tf.layers.maxPooling2d(cfg),
  tfjsGradKernel: 'MaxPoolGrad'
});
