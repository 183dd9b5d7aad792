/** Lesson 1: a single neuron draws one straight line, so it cannot separate XOR; one hidden layer can. */
import type { Lesson } from './types';

const code = `# One neuron — a single Dense unit with a sigmoid: a perceptron, one straight line through the plane
# data: xor
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=15, batch_size=32, validation_split=0.2)
`;

/** What a learner might write at a step (step id → program): parsed by the tests, pasted by the e2e test. */
const hiddenLayerCode = `# XOR with one hidden layer — eight tanh units bend the boundary
# data: xor
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(8, activation="tanh"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=15, batch_size=32, validation_split=0.2)
`;

export const lesson: Lesson = {
  id: 'one-neuron',
  number: 1,
  title: 'One neuron and its limit',
  learn: 'What a single neuron can and cannot learn: it draws one straight line, so XOR defeats it, and one hidden layer fixes that.',
  minutes: 5,
  setup: {
    code,
    data: { name: 'xor', samples: 400, noise: 0.1, seed: 1, validationSplit: 0 },
    backend: 'cpu',
    engine: 'eager',
    seed: 1,
    hide: ['examples', 'export', 'eager-vs-compiled', 'engine', 'runs']
  },
  steps: [
    {
      id: 'train-one',
      title: 'Train one neuron on XOR',
      task: 'The program is one `Dense(1, activation="sigmoid")` unit: it computes `sigmoid(w1·x + w2·y + b)`. Press Train and watch the accuracy.',
      check: { name: 'val-accuracy-below', args: { value: 0.8 } },
      notice:
        'The accuracy stays far from 1: the neuron says "class 1" on one side of a straight line (where w1·x + w2·y + b > 0) and "class 0" on the other, and no line puts the two diagonal quadrants of XOR on the same side. At best it gets about three quadrants of four right.',
      hints: ['Press Train (or Ctrl+Enter) and wait until the run completes.'],
      highlight: 'Train'
    },
    {
      id: 'why',
      title: 'Why a line is not enough',
      task: 'Look at the decision boundary in the Data panel: it is one straight edge. In 1969 Minsky and Papert showed that a single-layer perceptron cannot compute XOR; the result helped bring on the first "AI winter". Press Next step when you have seen it.',
      notice: 'A single unit is a linear classifier: more epochs or another learning rate cannot fix a model that cannot express the answer.'
    },
    {
      id: 'hidden',
      title: 'Add a hidden layer',
      task: 'Add a hidden layer before the output, e.g. `layers.Dense(8, activation="tanh"),` after `keras.Input(shape=(2,)),`, then press Train again.',
      check: { name: 'best-val-accuracy-at-least', args: { value: 0.9 } },
      notice:
        'Each hidden unit draws its own line; the output unit combines them, so the boundary can bend around the quadrants. A network with one hidden layer of enough units can approximate any continuous function (the universal approximation theorem) — the way out of the winter was more layers and backpropagation to train them.',
      hints: ['Put `layers.Dense(8, activation="tanh"),` on its own line between `keras.Input(shape=(2,)),` and the output layer.', 'Train until the run completes; if it stalls near 0.75, press Train again (another start can do better).'],
      highlight: 'Train'
    }
  ],
  challenge: {
    goal: 'Reach 0.95 validation accuracy on XOR with at most 25 parameters.',
    check: { name: 'all-of', args: { checks: ['best-val-accuracy-at-least', 'params-at-most'], value: 0.95, n: 25 } },
    hints: ['Dense(4) hidden units: 2·4 + 4 = 12 parameters, plus 4 + 1 for the output.', 'tanh helps here; more epochs too.']
  }
};

export const solutions: Record<string, string> = { hidden: hiddenLayerCode };
