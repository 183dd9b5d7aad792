import type { Lesson } from './types';

/** Lesson 8: initialisation and the weight seed. */
const code = `# Initialisation — a small tanh network on the spiral, started from seeded random weights
# data: spiral
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(8, activation="tanh"),
    layers.Dense(6, activation="tanh"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.03),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=40, batch_size=32, validation_split=0.2)
`;

/** Programs for the steps (step id → program): parsed by the tests, pasted by the e2e test. */
export const solutions: Record<string, string> = { repeat: code, seeds: code, zeros: code.replaceAll('activation="tanh")', 'activation="tanh", kernel_initializer="zeros")') };

export const lesson: Lesson = {
  id: 'initialization',
  number: 8,
  title: 'Initialisation and the weight seed',
  learn: 'Where a network starts: seeded random weights make a run reproducible, another seed makes another run, and weights that all start equal never learn.',
  minutes: 10,
  setup: {
    code,
    data: { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3 },
    backend: 'cpu',
    seed: 1,
    hide: ['examples', 'eager-vs-compiled']
  },
  steps: [
    {
      id: 'repeat',
      title: 'Same seed, same run',
      task: 'Press Train, let it finish, then press Train again without changing anything.',
      check: { name: 'runs-repeat' },
      notice:
        'Both runs ended at exactly the same loss. The initial weights are drawn from a random number generator started at the Weight seed, and the batches are shuffled from a seed too: the same seed, program and data give the same run, number for number. That is what makes an experiment repeatable (and a bug reproducible).',
      hints: ['Two finished runs of the same program, data and Weight seed. Do not stop either early.'],
      highlight: 'Train'
    },
    {
      id: 'seeds',
      title: 'Another seed, another run',
      task: 'Set the Weight seed (Training panel) to 2 and train; then to 3 and train.',
      check: { name: 'runs-finished-at-least', args: { n: 2, differing: 'seed' } },
      notice:
        'The same model on the same data, and yet the curves differ, sometimes a lot for a network this small: one seed finds the spiral early, another wanders on a plateau first. Tick the runs in the Runs panel to overlay them. A result that holds for one seed only is luck; papers report the mean over several seeds for this reason.',
      hints: ['The Weight seed field is next to the Backend menu in the Training panel.'],
      highlight: 'Weight seed'
    },
    {
      id: 'zeros',
      title: 'All equal',
      task: 'Add `kernel_initializer="zeros"` to both hidden Dense layers and train.',
      check: { name: 'run-matches', args: { initializer: 'zeros' } },
      notice:
        'Stuck: the loss stays at about ln 3 ≈ 1.10, a uniform guess among 3 classes. With every weight equal, every unit of a layer computes the same thing and gets the same gradient, so they stay identical forever. Here it is worse still: tanh(0) = 0, so the hidden layers pass on nothing and their kernels get exactly zero gradient; only the biases move, and the output cannot depend on the input at all. Random initial weights break that symmetry.',
      hints: ['`layers.Dense(8, activation="tanh", kernel_initializer="zeros"),` and the same for the Dense(6) layer.'],
      highlight: 'Train'
    },
    {
      id: 'scale',
      title: 'Random, but how big?',
      task: 'Read, then go on with Next.',
      notice:
        'The scale of the random weights matters as much as the randomness: too large and tanh units saturate, too small and the signal fades layer by layer. Keras\' default `glorot_uniform` draws from ±√(6 / (fan_in + fan_out)) so that the variance of the signal stays about the same through each layer; `he_uniform` (±√(6 / fan_in)) does the same for relu layers, which zero half their inputs.'
    }
  ]
};

