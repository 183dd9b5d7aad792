import { seq } from './conformance';
import { makeRnnLayer } from './rnn';

/** Keras `layers.SimpleRNN` (lowerings in `./rnn.ts`). */
export const simpleRnn = makeRnnLayer(
  'SimpleRNN',
  'Fully-connected RNN where the output is fed back to the input: at every time step ' +
    '`h_t = activation(x_t · kernel + h_{t-1} · recurrent_kernel + bias)`, from h_0 = 0. Input (steps, features); ' +
    'output the last h (units,), or every h (steps, units) with return_sequences=True. ' +
    'Parameters: features · units + units · units + units.',
  [
    seq('SimpleRNN last state', [5, 3], 'SimpleRNN(4)'),
    seq('SimpleRNN return_sequences', [6, 2], 'SimpleRNN(3, return_sequences=True)'),
    seq('SimpleRNN go_backwards return_sequences relu', [5, 3], 'SimpleRNN(4, activation="relu", go_backwards=True, return_sequences=True)'),
    seq('SimpleRNN use_bias=False one step', [1, 3], 'SimpleRNN(2, use_bias=False)')
  ]
);
