import { seq } from './conformance';
import { makeRnnLayer } from './rnn';

/** Keras `layers.LSTM` (lowerings in `./rnn.ts`). */
export const lstm = makeRnnLayer(
  'LSTM',
  'Long Short-Term Memory layer (Hochreiter & Schmidhuber, 1997). At every time step four gates are computed from ' +
    '`x_t · kernel + h_{t-1} · recurrent_kernel + bias`, in Keras\' order input i, forget f, candidate c, output o: ' +
    '`c_t = sigmoid(f) · c_{t-1} + sigmoid(i) · tanh(c̃)`, `h_t = sigmoid(o) · tanh(c_t)` (recurrent_activation ' +
    'and activation). Input (steps, features); output the last h (units,), or every h (steps, units) with ' +
    'return_sequences=True. Parameters: 4 · (features · units + units · units + units).',
  [
    seq('LSTM last state', [5, 3], 'LSTM(4)'),
    seq('LSTM return_sequences', [6, 2], 'LSTM(3, return_sequences=True)'),
    seq('LSTM go_backwards', [5, 3], 'LSTM(4, go_backwards=True)'),
    seq('LSTM go_backwards return_sequences', [4, 2], 'LSTM(3, go_backwards=True, return_sequences=True)'),
    seq('LSTM relu activation, use_bias=False', [5, 3], 'LSTM(4, activation="relu", use_bias=False)'),
    seq('LSTM stacked', [6, 2], 'LSTM(4, return_sequences=True)', 'LSTM(3)')
  ]
);
