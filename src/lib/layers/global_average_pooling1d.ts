import { seq } from './conformance';
import { globalPooling1dLayer } from './global_pooling1d';

/** Keras `layers.GlobalAveragePooling1D`, channels-last. */
export const globalAveragePooling1d = globalPooling1dLayer(
  'GlobalAveragePooling1D',
  'Averages a sequence (steps, channels) over all its steps, giving one value per channel: (100, 64) → (64,). ' +
    'A parameter-free way to turn per-step features (after Embedding or Conv1D) into one vector per sequence, ' +
    'before a Dense classifier.',
  [
    seq('GlobalAveragePooling1D on 7 steps', [7, 3], 'GlobalAveragePooling1D()'),
    seq('GlobalAveragePooling1D keepdims=True', [5, 4], 'GlobalAveragePooling1D(keepdims=True)'),
    seq('GlobalAveragePooling1D after Embedding (bag of embeddings)', [6], 'ReLU()', 'Embedding(3, 4)', 'GlobalAveragePooling1D()', 'Dense(2)')
  ]
);
