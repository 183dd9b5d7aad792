/** Lesson 3: relu, tanh and sigmoid on the spiral; dead ReLUs in the histograms. */
import type { Lesson } from './types';

const program = (activation: string, lr = 0.01) => `# Activations — the same network on the spiral with ${activation} hidden units
# data: spiral
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(16, activation="${activation}"),
    layers.Dense(16, activation="${activation}"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=${lr}),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=40, batch_size=32, validation_split=0.2)
`;

export const lesson: Lesson = {
  id: 'activations',
  number: 3,
  title: 'Activations: relu, tanh, sigmoid',
  learn: 'How the choice of activation changes what a network learns and how fast: relu, tanh and sigmoid on the spiral, and dead ReLUs in the weight and gradient histograms.',
  minutes: 8,
  setup: {
    code: program('relu'),
    data: { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3, validationSplit: 0 },
    backend: 'cpu',
    engine: 'eager',
    seed: 1,
    hide: ['examples', 'export', 'eager-vs-compiled', 'engine', 'runs']
  },
  steps: [
    {
      id: 'relu',
      title: 'relu',
      task: 'Two hidden layers of 16 `relu` units: relu(z) = max(0, z). Press Train and watch the boundary.',
      check: { name: 'run-finished', args: { withActivation: 'relu' } },
      notice: 'relu makes the boundary out of straight pieces (the model is piecewise linear). Its gradient is 1 wherever a unit is active, so deep relu networks train quickly.',
      highlight: 'Train'
    },
    {
      id: 'tanh',
      title: 'tanh',
      task: 'Replace both `activation="relu"` with `activation="tanh"` and train again.',
      check: { name: 'run-finished', args: { withActivation: 'tanh' } },
      notice: 'tanh is smooth and centred on zero, so its boundaries are curved rather than made of straight pieces. But it saturates — for large |z| its gradient goes to 0 — and on this spiral it usually learns much more slowly than relu in the same 40 epochs: compare the accuracy curves.',
      hints: ['Both hidden `Dense(16, …)` lines need the change.'],
      highlight: 'Train'
    },
    {
      id: 'sigmoid',
      title: 'sigmoid',
      task: 'Now `activation="sigmoid"` in both hidden layers, and train again. Compare the accuracy curves with the earlier runs.',
      check: { name: 'run-finished', args: { withActivation: 'sigmoid' } },
      notice:
        'sigmoid hidden units learn more slowly: their outputs are all positive (not centred on zero) and their gradient is at most 0.25, so each layer shrinks the gradient that flows back. In 40 epochs the spiral is usually not learned — this is the vanishing gradient, and why relu replaced sigmoid in hidden layers.',
      highlight: 'Train'
    },
    {
      id: 'dead-relu',
      title: 'Dead ReLUs',
      task: 'Back to `activation="relu"`, but with `learning_rate=0.1`. Train, then scroll to the Pictures panel\'s “Weights and gradients” histograms while they show data.',
      check: { name: 'all-of', args: { checks: ['run-finished', 'event-seen'], withActivation: 'relu', name: 'histograms-seen' } },
      notice:
        'Big steps push some units\' inputs below zero for every sample: such a "dead" relu outputs 0 and gets a zero gradient, so it never recovers. In the gradient histogram (orange) they pile up as a spike at zero; a leaky relu or a smaller learning rate avoids them.',
      hints: ['The histograms are in the Pictures panel below the training charts; they update while it trains.'],
      highlight: 'Train'
    }
  ],
  challenge: {
    goal: 'Reach 0.9 validation accuracy on the spiral with at most 100 parameters.',
    check: { name: 'best-val-accuracy-at-least', args: { value: 0.9, maxParams: 100 } },
    hints: ['Two relu layers of 6 units have 2·6+6 + 6·6+6 + 6·3+3 = 81 parameters.', 'Give it more epochs and a learning rate around 0.02.']
  }
};

export const solutions: Record<string, string> = {
  relu: program('relu'),
  tanh: program('tanh'),
  sigmoid: program('sigmoid'),
  'dead-relu': program('relu', 0.1)
};
