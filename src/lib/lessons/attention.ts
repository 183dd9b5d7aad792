import type { Lesson } from './types';

/** Lesson 17: attention — a small transformer encoder learns to reverse a sequence; the anti-diagonal in its maps. */
const code = `# Attention — every position looks at every other and learns to copy its mirror position
# data: reverse
import keras
from keras import layers
import keras_hub

inputs = keras.Input(shape=(seq_len,), dtype="int32")
x = keras_hub.layers.TokenAndPositionEmbedding(vocab_size, seq_len, 32)(inputs)
x = keras_hub.layers.TransformerEncoder(intermediate_dim=64, num_heads=2)(x)
outputs = layers.Dense(vocab_size, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8, batch_size=64, validation_split=0.1)
`;

/** Token embeddings only: no position information reaches the attention. */
const noPositions = code.replace(
  'x = keras_hub.layers.TokenAndPositionEmbedding(vocab_size, seq_len, 32)(inputs)',
  'x = layers.Embedding(vocab_size, 32)(inputs)'
);

/** Programs for the steps (step id → program): parsed by the tests, pasted by the e2e test. */
export const solutions: Record<string, string> = { train: code, 'no-positions': noPositions };

export const lesson: Lesson = {
  id: 'attention',
  number: 17,
  title: 'Attention',
  learn: 'How self-attention lets every position look at every other, what the attention maps show once a transformer has learned to reverse a sequence, and why it needs position embeddings.',
  minutes: 12,
  setup: {
    code,
    data: { name: 'reverse', samples: 2000, seqLen: 6, seed: 1 },
    backend: 'cpu',
    seed: 1,
    hide: ['examples', 'eager-vs-compiled']
  },
  steps: [
    {
      id: 'before',
      title: 'Before training',
      task: 'Each row of x_train is 6 digits; y_train is the same row reversed. Find the Attention maps under Pictures: one heatmap per head, queries down, keys across. Then go on with Next.',
      notice:
        'Before training the maps are nearly uniform: each position spreads its attention evenly over all six. Attention computes, for each position (the query), a softmax over its similarity with every position (the keys), and takes that weighted average of their values.'
    },
    {
      id: 'train',
      title: 'Learn to reverse',
      task: 'Press Train and watch the attention maps change after every epoch.',
      check: { name: 'run-matches', args: { layer: 'TokenAndPositionEmbedding', minValAcc: 0.5 } },
      notice:
        'The anti-diagonal appears: position 1 attends to position 6, position 2 to position 5, and so on. Reversing is copying from the mirror position, and attention learned to look exactly there, in one step, however long the sequence. An RNN would have to carry every digit across the whole sequence in its state; attention reads it directly.',
      hints: ['Train and let the epochs finish; the validation accuracy must reach 50 % (it is far above that after a few epochs).'],
      highlight: 'Train'
    },
    {
      id: 'no-positions',
      title: 'Without positions',
      task: 'Replace the `TokenAndPositionEmbedding(...)` line with `x = layers.Embedding(vocab_size, 32)(inputs)` (token embeddings only) and train again.',
      check: { name: 'run-matches', args: { layer: 'TransformerEncoder', withoutLayer: 'TokenAndPositionEmbedding' } },
      notice:
        'Stuck at a low accuracy. Attention on its own is blind to order: shuffle the input and every position gets the same weighted averages, shuffled. Without a position embedding a position cannot tell "the digit at my mirror position" from any other digit, so it cannot reverse. Transformers add the positions to the tokens (learned here; sines and cosines, or rotations in RoPE, elsewhere) for exactly this reason.',
      hints: ['Only the embedding line changes; the TransformerEncoder and the output layer stay.']
    }
  ]
};
