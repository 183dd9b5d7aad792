/** Lesson 10: batch normalization lets a deep sigmoid network train. */
import type { Lesson } from './types';

const plain = `# Batch normalization — a deep sigmoid network, without it
# data: circle
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(16, activation="sigmoid"),
    layers.Dense(16, activation="sigmoid"),
    layers.Dense(16, activation="sigmoid"),
    layers.Dense(16, activation="sigmoid"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.2)
`;

const normed = (lr = 0.1) => `# Batch normalization — the same network, each layer's sums normalised before the sigmoid
# data: circle
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(16),
    layers.BatchNormalization(momentum=0.9),
    layers.Activation("sigmoid"),
    layers.Dense(16),
    layers.BatchNormalization(momentum=0.9),
    layers.Activation("sigmoid"),
    layers.Dense(16),
    layers.BatchNormalization(momentum=0.9),
    layers.Activation("sigmoid"),
    layers.Dense(16),
    layers.BatchNormalization(momentum=0.9),
    layers.Activation("sigmoid"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=${lr}),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.2)
`;

export const lesson: Lesson = {
  id: 'batch-norm',
  number: 10,
  title: 'Batch normalization',
  learn: 'Why a deep network can refuse to learn, and how normalising each layer\'s sums over the batch (BatchNormalization) gets it going — and lets it take bigger steps.',
  minutes: 8,
  setup: {
    code: plain,
    data: { name: 'circle', samples: 400, noise: 0.1, seed: 1, validationSplit: 0 },
    backend: 'cpu',
    engine: 'eager',
    seed: 1,
    hide: ['examples', 'export', 'eager-vs-compiled', 'engine', 'runs']
  },
  steps: [
    {
      id: 'plain',
      title: 'A deep sigmoid network',
      task: 'Four hidden layers of 16 sigmoid units, plain SGD. Press Train.',
      check: { name: 'val-accuracy-below', args: { value: 0.7 } },
      notice: 'It hardly learns: the accuracy stays near chance (about a half, with two classes) and the boundary does not close around the circle. Each sigmoid passes back at most a quarter of the gradient, and the layers\' sums drift where sigmoid is flat.',
      highlight: 'Train'
    },
    {
      id: 'bn',
      title: 'Add BatchNormalization',
      task: 'Split each hidden layer into `layers.Dense(16)`, `layers.BatchNormalization(momentum=0.9)`, `layers.Activation("sigmoid")`, and train again.',
      check: { name: 'best-val-accuracy-at-least', args: { value: 0.9, withLayer: 'BatchNormalization' } },
      notice: 'BatchNormalization rescales each unit\'s sums to mean 0 and variance 1 over the batch (then a learned scale γ and shift β): the sigmoid works in its steep middle, gradients flow, and the same network learns.',
      hints: ['Dense without an activation, then BatchNormalization, then the activation as its own layer.'],
      highlight: 'Train'
    },
    {
      id: 'inference',
      title: 'Training vs inference',
      task: 'Look at the Model summary: each BatchNormalization has 4 × 16 parameters, 2 × 16 of them non-trainable. Press Next step when you have found them.',
      notice: 'While training it normalises with the batch\'s own mean and variance; for predictions it uses moving averages (the non-trainable moving_mean and moving_variance), updated as `moving = momentum·moving + (1 − momentum)·batch`. Keras\' default momentum 0.99 needs hundreds of steps to settle, so this short run uses 0.9.'
    },
    {
      id: 'bigger-steps',
      title: 'Bigger steps',
      task: 'With BatchNormalization, try another learning rate, e.g. `learning_rate=0.5`, and train again.',
      check: { name: 'runs-finished-at-least', args: { n: 2, differing: 'learningRate', withLayer: 'BatchNormalization' } },
      notice: 'Normalised layers tolerate larger learning rates: the scale of a layer\'s weights no longer changes the scale of its output, so a big step cannot blow the next layer up.',
      highlight: 'Train'
    }
  ],
  challenge: {
    goal: 'Reach 0.95 validation accuracy on the circle with the four sigmoid hidden layers in at most 5 epochs.',
    check: { name: 'best-val-accuracy-at-least', args: { value: 0.95, withActivation: 'sigmoid', withLayer: 'BatchNormalization', maxEpochs: 5 } },
    hints: ['With BatchNormalization, a larger learning rate (0.5 or 1.0) gets there sooner.']
  }
};

export const solutions: Record<string, string> = { bn: normed(), 'bigger-steps': normed(0.5) };
