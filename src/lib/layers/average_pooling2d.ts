import { poolingLayer } from './pooling';

/** Keras `layers.AveragePooling2D`, channels-last. */
export const averagePooling2d = poolingLayer({
  kind: 'AveragePooling2D',
  doc:
    'Downsamples an image (height, width, channels) by averaging each pool_size window, channel by channel; it has ' +
    'no parameters. With the defaults (pool_size=(2, 2), strides=None → pool_size, padding="valid") it halves ' +
    'height and width, rounding down. With padding="same" the padded border is left out of the averages, as in Keras.',
  lower: (tf, cfg) => tf.layers.averagePooling2d(cfg),
  tfjsGradKernel: 'AvgPoolGrad'
});
