/** Lesson 2: hidden units each draw a line; together they bend the boundary. Inspect a point to see them. */
import type { Lesson } from './types';

const code = `# Hidden layers — four tanh units, each a soft step across its own line, combined by one output unit
# data: circle
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(4, activation="tanh"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.2)
`;

const twoUnits = `# Hidden layers — only two hidden units: two lines
# data: circle
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(2, activation="tanh"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.2)
`;

const deeper = `# Hidden layers — two hidden layers of 8
# data: circle
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(8, activation="tanh"),
    layers.Dense(8, activation="tanh"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.05),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.2)
`;

export const lesson: Lesson = {
  id: 'hidden-layers',
  number: 2,
  title: 'Hidden layers bend the boundary',
  learn: 'What a hidden unit computes, seen on one point: each unit is a soft step across a line, and the output unit adds the steps up into a curved boundary.',
  minutes: 6,
  setup: {
    code,
    data: { name: 'circle', samples: 400, noise: 0.1, seed: 1, validationSplit: 0 },
    backend: 'cpu',
    engine: 'eager',
    seed: 1,
    hide: ['examples', 'export', 'eager-vs-compiled', 'engine', 'runs']
  },
  steps: [
    {
      id: 'train',
      title: 'Train four hidden units',
      task: 'One class sits inside a circle, the other around it: no straight line separates them. The program has one hidden layer, `Dense(4, activation="tanh")`. Press Train.',
      check: { name: 'best-val-accuracy-at-least', args: { value: 0.9 } },
      notice: 'The decision boundary in the Data panel is a closed curve made of a few straight-ish pieces: roughly one per hidden unit.',
      hints: ['Press Train and wait for the run to complete; if it stays below 0.9, press Train again.'],
      highlight: 'Train'
    },
    {
      id: 'inspect',
      title: 'Inspect one point',
      task: 'In the Pictures panel under “Inspect a sample”, type a point (for example x = `0`, y = `0`, the centre of the circle) and press Inspect point — or alt-click a point in the plot.',
      check: { name: 'event-seen', args: { name: 'inspected' } },
      notice:
        'The inspection lists every layer\'s output for that point: the 4 numbers of the hidden layer are tanh(w·x + b) of each unit — near +1 on one side of the unit\'s line, near −1 on the other. The output unit weighs these 4 numbers and squashes the sum to a probability.',
      hints: ['The Inspect point button is in the Pictures panel, below the training charts.'],
      highlight: 'Inspect point'
    },
    {
      id: 'units',
      title: 'Each unit, a line',
      task: 'Inspect a point outside the circle too (for example x = `1.2`, y = `0`) and compare the hidden values with the centre\'s: which units changed sign? Then press Next step.',
      notice: 'A unit that flips sign between two points has its line between them. The circle is cut out by several such lines; with more units the polygon gets rounder.'
    },
    {
      id: 'two-units',
      title: 'Only two units',
      task: 'Change the hidden layer to `layers.Dense(2, activation="tanh")` and train again.',
      check: { name: 'run-finished', args: { maxParams: 9 } },
      notice: 'Two lines cannot enclose a circle: the boundary becomes a band or a wedge and the accuracy drops. Capacity — how many units — limits which shapes a layer can draw.',
      hints: ['2·2 + 2 = 6 weights in the hidden layer and 2 + 1 in the output: 9 parameters.'],
      highlight: 'Train'
    }
  ],
  challenge: {
    goal: 'Reach 0.97 validation accuracy on the circle with two hidden layers.',
    check: { name: 'all-of', args: { checks: ['best-val-accuracy-at-least', 'hidden-layers-at-least'], value: 0.97, n: 2 } },
    hints: ['Stack two `Dense(8, activation="tanh")` layers before the output.']
  }
};

export const solutions: Record<string, string> = { 'two-units': twoUnits, challenge: deeper };
