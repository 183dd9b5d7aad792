/** Lesson 9: convolutions on the digits — filters, feature maps, the confusion matrix, Dense vs Conv2D parameters. */
import type { Lesson } from './types';

const dense = `# Digits with Dense layers — every pixel connected to every unit
# data: digits
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Flatten(),
    layers.Dense(32, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.002),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1, batch_size=64, validation_split=0.1)
`;

const conv = `# Digits with a convolution — eight 3×3 filters slide over the image
# data: digits
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, kernel_size=3, activation="relu"),
    layers.MaxPooling2D(pool_size=2),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.002),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1, batch_size=64, validation_split=0.1)
`;

export const lesson: Lesson = {
  id: 'convolutions',
  number: 9,
  title: 'Convolutions on digits',
  learn: 'Why images want convolutions: filters shared across the image, the feature maps they make, the confusion matrix of what is still mistaken, and how few parameters a Conv2D has next to a Dense layer.',
  minutes: 10,
  setup: {
    code: dense,
    data: { name: 'digits', validationSplit: 0 },
    backend: 'wasm',
    engine: 'eager',
    seed: 1,
    hide: ['examples', 'export', 'eager-vs-compiled', 'engine', 'runs', 'data-controls']
  },
  steps: [
    {
      id: 'dense',
      title: 'A Dense network',
      task: 'The program flattens each 28×28 image into 784 numbers and connects every one to 32 units: look at the Model summary (25 120 parameters in that layer alone). Press Train: one epoch over the 12 000 training images.',
      check: { name: 'best-val-accuracy-at-least', args: { value: 0.8 } },
      notice: 'Even this works well on MNIST, but it knows nothing about images: shift a digit by two pixels and every input changes. Each of the 32 units has its own weight for every pixel.',
      highlight: 'Train'
    },
    {
      id: 'conv',
      title: 'A convolution',
      task: 'Replace `layers.Flatten(), layers.Dense(32, …)` by `layers.Conv2D(8, kernel_size=3, activation="relu"), layers.MaxPooling2D(pool_size=2), layers.Flatten(),` before the output layer, and train.',
      check: { name: 'best-val-accuracy-at-least', args: { value: 0.85, withLayer: 'Conv2D' } },
      notice: 'Eight 3×3 filters — 80 parameters — slide over the whole image: the same stroke detector works everywhere. Max pooling keeps the strongest response in each 2×2 patch, so small shifts matter less. After one epoch the two models are close; the convolution gets there with half the weights (see the last step), and with more epochs and filters it pulls ahead.',
      hints: ['Keep `keras.Input(shape=(28, 28, 1))`: Conv2D wants height, width and channels.'],
      highlight: 'Train'
    },
    {
      id: 'feature-maps',
      title: 'Filters and feature maps',
      task: 'In the Pictures panel, look at the Learned filters, then choose a test image (or a training image in the Data panel) to inspect it: the Conv2D row shows its 8 feature maps.',
      check: { name: 'event-seen', args: { name: 'inspected' } },
      notice: 'Each feature map is one filter\'s response at every position: bright where the image has the filter\'s pattern (an edge at some angle, a stroke end). The Dense layer then reads the digit from where the patterns are.',
      hints: ['Test images are in the Pictures panel under “Test set”; training images in the Data panel.']
    },
    {
      id: 'confusion',
      title: 'The confusion matrix',
      task: 'Look at the confusion matrix under “Test set”: rows are the true digit, columns the predicted one. Which pairs are confused most? Then press Next step.',
      notice: 'The off-diagonal cells are the mistakes: 4↔9, 3↔5, 7↔9 are typical — digits whose strokes look alike. Accuracy hides which mistakes a model makes; the matrix shows them.'
    },
    {
      id: 'params',
      title: 'Parameters: Dense vs Conv2D',
      task: 'A Dense layer has inputs × units + units parameters; a Conv2D has kernel height × width × input channels × filters + filters, whatever the image size. Make a model with a Conv2D and at most 15 000 parameters (the convolution program has 13 610).',
      check: { name: 'all-of', args: { checks: ['uses-layer', 'params-at-most'], class: 'Conv2D', n: 15000 } },
      notice: 'Most of a small CNN\'s parameters sit in the last Dense layer (13·13·8 = 1352 inputs × 10). Sharing weights across positions is what lets convolutions scale to large images.'
    }
  ],
  challenge: {
    goal: 'Reach 0.96 validation accuracy on the digits with at most 20 000 parameters.',
    check: { name: 'best-val-accuracy-at-least', args: { value: 0.96, maxParams: 20000 } },
    hints: ['Two Conv2D + MaxPooling2D stages shrink the Dense layer\'s input.', 'Two or three epochs.']
  }
};

export const solutions: Record<string, string> = { conv };
