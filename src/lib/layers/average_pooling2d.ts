import { poolingLayer } from './pooling';

/** Keras `layers.AveragePooling2D`, channels-last. */
export const averagePooling2d = poolingLayer(
  'AveragePooling2D',
  'Downsamples an image (height, width, channels) by averaging each pool_size window, channel by channel; it has ' +
    'no parameters. With the defaults (pool_size=(2, 2), strides=None → pool_size, padding="valid") it halves ' +
    'height and width, rounding down. With padding="same" the padded border is left out of the averages, as in Keras.',
  (tf, cfg) => tf.layers.averagePooling2d(cfg)
);
