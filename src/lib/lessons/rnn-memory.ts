import type { Lesson } from './types';

/** Lesson 16: memory in RNNs — parity needs one bit carried along the whole sequence; SimpleRNN against LSTM/GRU. */
const code = `# Memory in RNNs — is the number of ones odd? The RNN must carry one bit through every step
# data: parity
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(seq_len,), dtype="int32"),
    layers.Embedding(vocab_size, 4),
    layers.SimpleRNN(16),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.03),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.1)
`;

/** Programs for the steps (step id → program): parsed by the tests, pasted by the e2e test. */
export const solutions: Record<string, string> = {
  'plain-long': code,
  'plain-short': code,
  gated: code.replace('layers.SimpleRNN(16)', 'layers.GRU(16)')
};

export const lesson: Lesson = {
  id: 'rnn-memory',
  number: 16,
  title: 'Memory in RNNs',
  learn: 'What a recurrent network remembers: its hidden state carries the past from step to step, a plain RNN loses it quickly, and gated cells (LSTM, GRU) are built to keep it.',
  minutes: 12,
  setup: {
    code,
    data: { name: 'parity', samples: 500, seqLen: 8, seed: 1 },
    backend: 'cpu',
    seed: 1,
    hide: ['examples', 'eager-vs-compiled']
  },
  steps: [
    {
      id: 'plain-long',
      title: 'Eight bits',
      task: 'Each row of x_train is 8 bits; y_train is 1 when the number of ones is odd. Press Train.',
      check: { name: 'run-matches', args: { layer: 'SimpleRNN', minSeqLen: 8 } },
      notice:
        'The validation accuracy stays near 50 %: a coin toss. The RNN reads one bit per step and must update one remembered bit (odd or even so far) at every step; nothing short of the whole answer helps, because parity gives no partial credit: knowing 7 of the 8 bits tells you nothing about the answer.',
      hints: ['Train as it is and let the 20 epochs finish.'],
      highlight: 'Train'
    },
    {
      id: 'plain-short',
      title: 'Two bits',
      task: 'Set Sequence length to 2 in the Data panel (parity of two bits is XOR) and train again.',
      check: { name: 'run-matches', args: { layer: 'SimpleRNN', maxSeqLen: 2, minValAcc: 0.9 } },
      notice:
        'Over two steps the same network learns it, but look at the curve: the loss sits at ln 2 ≈ 0.69 (a coin toss) for several epochs, then drops to almost 0 at once. That plateau is parity\'s signature: until the rule is found, no partial rule helps. Over two steps the plateau is short; over eight, the gradient that should shape the first steps passes through eight multiplications by the recurrent weights and the slopes of tanh, and fades: a plain RNN remembers, but not for long.',
      hints: ['The Sequence length field is in the Data panel, next to Samples.', 'The run must end with at least 90 % validation accuracy.'],
      highlight: 'Sequence length'
    },
    {
      id: 'gated',
      title: 'Gates',
      task: 'Set Sequence length back to 8, replace `layers.SimpleRNN(16)` with `layers.GRU(16)` (or `layers.LSTM(16)`) and train. Then tick both 8-bit runs in the Runs panel.',
      check: { name: 'run-matches', args: { layer: 'LSTM|GRU', minSeqLen: 8 } },
      notice:
        'An LSTM adds a cell state that is updated by addition, c = f·c + i·g, with a forget gate f that can stay at 1: a bit written once flows on unchanged, and so does its gradient. A GRU does the same with one update gate. That is what "long short-term memory" means. But gates make long memory possible, they do not make the plateau short: on 500 rows of 8 bits and 20 epochs the GRU most likely still sits at 50 % too (it did when we tried). More rows (Samples), more epochs and other weight seeds give it the chance; the Runs panel keeps every try. Inspect a row (Pictures → Inspect) to watch the hidden state step by step.',
      hints: ['`layers.GRU(16)` takes the same arguments as `layers.SimpleRNN(16)`.', 'The sequence length must be 8 again for this step.'],
      highlight: 'Train'
    }
  ]
};
