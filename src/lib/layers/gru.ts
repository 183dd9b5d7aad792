import { seq } from './conformance';
import { makeRnnLayer } from './rnn';

/** Keras `layers.GRU` (lowerings in `./rnn.ts`). */
export const gru = makeRnnLayer(
  'GRU',
  'Gated Recurrent Unit (Cho et al., 2014). Gates in Keras\' order update z, reset r, candidate h: ' +
    '`z = sigmoid(x·W_z + h·U_z + b_z)`, `r` likewise, `h̃ = tanh(x·W_h + r · (h·U_h + b\'_h))` with ' +
    'reset_after=True (Keras 3\'s default, two bias rows: bias (2, 3·units)), or `tanh(x·W_h + (r · h)·U_h + b_h)` ' +
    'with reset_after=False; `h_t = z · h_{t-1} + (1 - z) · h̃`. Input (steps, features); output the last h ' +
    '(units,), or every h (steps, units) with return_sequences=True. Parameters: 3 · (features · units + ' +
    'units · units + 2 · units) (one bias row less with reset_after=False).',
  [
    seq('GRU last state', [5, 3], 'GRU(4)'),
    seq('GRU return_sequences', [6, 2], 'GRU(3, return_sequences=True)'),
    seq('GRU reset_after=False', [5, 3], 'GRU(4, reset_after=False)'),
    seq('GRU reset_after=False go_backwards return_sequences', [4, 2], 'GRU(3, reset_after=False, go_backwards=True, return_sequences=True)'),
    seq('GRU go_backwards', [5, 3], 'GRU(4, go_backwards=True)'),
    seq('GRU activation relu', [5, 3], 'GRU(4, activation="relu")'),
    seq('GRU use_bias=False', [4, 3], 'GRU(2, use_bias=False)')
  ]
);
