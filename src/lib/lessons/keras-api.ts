/** Lesson 11: the same model written three ways — Sequential, functional, and functional with a residual connection. */
import type { Lesson } from './types';

const sequential = `# Keras in a few lines — a Sequential model: a list of layers
# data: moons
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.2)
`;

const functional = `# Keras in a few lines — the same model with the functional API
# data: moons
import keras
from keras import layers

inputs = keras.Input(shape=(2,))
x = layers.Dense(16, activation="relu")(inputs)
x = layers.Dense(16, activation="relu")(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.2)
`;

const residual = `# Keras in a few lines — a residual connection: the block's input added to its output
# data: moons
import keras
from keras import layers

inputs = keras.Input(shape=(2,))
x = layers.Dense(16, activation="relu")(inputs)
h = layers.Dense(16, activation="relu")(x)
x = layers.Add()([x, h])
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.2)
`;

export const lesson: Lesson = {
  id: 'keras-api',
  number: 11,
  title: 'Keras in a few lines',
  learn: 'Three ways to write a model in Keras — Sequential, the functional API, and a residual connection that only the functional API can express — and what model.compile and model.fit say.',
  minutes: 7,
  setup: {
    code: sequential,
    data: { name: 'moons', samples: 400, noise: 0.1, seed: 1, validationSplit: 0 },
    backend: 'cpu',
    engine: 'eager',
    seed: 1,
    hide: ['examples', 'export', 'eager-vs-compiled', 'engine', 'runs']
  },
  steps: [
    {
      id: 'sequential',
      title: 'Sequential',
      task: '`keras.Sequential([...])` is a list of layers, each feeding the next. `model.compile` chooses the optimizer, the loss and the metrics; `model.fit` the data, epochs and batch size. Press Train.',
      check: { name: 'run-finished', args: { style: 'sequential' } },
      notice: 'This program is plain Keras 3: Export → Keras script runs it unchanged in Python, where `x_train, y_train` are made by the same numpy code as the playground\'s data.',
      highlight: 'Train'
    },
    {
      id: 'functional',
      title: 'The functional API',
      task: 'Write the same model with the functional API: `inputs = keras.Input(shape=(2,))`, then `x = layers.Dense(16, activation="relu")(inputs)` — a layer called on a tensor gives a tensor — and finally `model = keras.Model(inputs=inputs, outputs=outputs)`. Train it.',
      check: { name: 'run-finished', args: { style: 'functional' } },
      notice: 'Same layers, same parameter count, the same training: the functional API only says how tensors flow, so it can also express models that are not a single chain.',
      hints: ['Keep the model.compile and model.fit lines as they are.']
    },
    {
      id: 'residual',
      title: 'A residual connection',
      task: 'Add a skip: keep the first layer\'s output in `x`, compute `h = layers.Dense(16, activation="relu")(x)`, then `x = layers.Add()([x, h])` before the output layer. Train it.',
      check: { name: 'best-val-accuracy-at-least', args: { value: 0.9, withLayer: 'Add' } },
      notice: 'The block learns a correction h added to its input: if h is near zero the block passes its input through, so very deep stacks of such blocks (ResNets, transformers) still train — the gradient has a direct path back.',
      hints: ['`layers.Add()` takes a list of tensors of the same shape: both are 16 wide here.']
    },
    {
      id: 'graph',
      title: 'The model graph',
      task: 'Look at the Model graph under the Model summary: the Add node has two inputs, the skip and the Dense layer. Press Next step.',
      notice: 'A Sequential model is always a chain; a functional model is a graph (any layer may take several inputs or feed several layers), which is how residual networks, U-Nets and transformers are written.'
    }
  ]
};

export const solutions: Record<string, string> = { functional, residual };
