import { seq } from './conformance';
import { globalPooling1dLayer } from './global_pooling1d';

/** Keras `layers.GlobalMaxPooling1D`, channels-last. */
export const globalMaxPooling1d = globalPooling1dLayer(
  'GlobalMaxPooling1D',
  'Takes the maximum of a sequence (steps, channels) over all its steps, giving one value per channel: ' +
    '(100, 64) → (64,). After a Conv1D it says, for each filter, how strongly its pattern appears anywhere in the ' +
    'sequence.',
  [
    seq('GlobalMaxPooling1D on 7 steps', [7, 3], 'GlobalMaxPooling1D()'),
    seq('GlobalMaxPooling1D keepdims=True', [5, 4], 'GlobalMaxPooling1D(keepdims=True)'),
    seq('GlobalMaxPooling1D after Conv1D', [9, 2], 'Conv1D(4, 3, activation="relu")', 'GlobalMaxPooling1D()', 'Dense(2)')
  ]
);
