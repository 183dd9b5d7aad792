import type { Lesson } from './types';

/** Lesson 15: the edge — float16 and int8 weights, size against accuracy. */
const code = `# The edge — a wider spiral network (67 000 weights) whose file size is worth shrinking
# data: spiral
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(256, activation="relu"),
    layers.Dense(256, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=15, batch_size=32, validation_split=0.2)
`;

export const lesson: Lesson = {
  id: 'quantization',
  number: 15,
  title: 'The edge: float16 and int8',
  learn: 'How storing weights in 16 or 8 bits instead of 32 shrinks a model for phones and microcontrollers, and what it costs in accuracy.',
  minutes: 10,
  setup: {
    code,
    data: { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3 },
    backend: 'cpu',
    seed: 1,
    hide: ['examples', 'eager-vs-compiled', 'pictures']
  },
  steps: [
    {
      id: 'train',
      title: 'Train',
      task: 'Press Train and let it finish.',
      check: { name: 'run-finished' },
      notice: '67 000 float32 weights are about 260 KiB. Small for a laptop; on a microcontroller with 256 KiB of flash, or for an app that downloads a hundred models, every byte counts.',
      hints: ['Train, and let at least one epoch finish.'],
      highlight: 'Train'
    },
    {
      id: 'compare',
      title: 'Three sizes side by side',
      task: 'In the ONNX section, press "Run in ONNX Runtime": it runs the float32, float16 and int8 files on the validation rows and lists them in the ONNX variants table.',
      check: { name: 'event-matches', args: { name: 'quantized-compared', key: 'variants', min: 3, label: 'float32, float16 and int8 compared' } },
      notice:
        'float16 halves the file: 16 bits keep about 3 decimal digits, far more than the weights need, and the outputs move by about 1e-4. int8 quarters it: the weights of each output channel become integers from −127 to 127 times one float scale (symmetric: the zero point is 0), and a DequantizeLinear node turns them back into float32 inside the graph. The outputs move more (around 1e-2), yet the predicted classes, and so the accuracy, barely change: a classifier only needs the largest output to stay the largest.',
      hints: ['"Run in ONNX Runtime" is in the ONNX section of the Model code panel; wait until every row of the table has its numbers.'],
      highlight: 'Run in ONNX Runtime'
    },
    {
      id: 'export-int8',
      title: 'Ship the small one',
      task: 'Choose "int8 weights (dynamic)" in the Weights menu of the ONNX section and press "Export ONNX".',
      check: { name: 'event-matches', args: { name: 'onnx-exported', key: 'variant', equals: 'int8', label: 'the int8 model exported' } },
      notice:
        'This file stores int8 weights and computes in float32 after DequantizeLinear: it saves space, not arithmetic. Full int8 inference (activations quantized too, integer matrix products) also saves time and energy on hardware with int8 units, but needs calibration data to choose the activations\' ranges: that is what TensorFlow Lite\'s and ONNX Runtime\'s quantization tools do.',
      hints: ['The Weights menu is next to the Export ONNX button.'],
      highlight: 'Export ONNX'
    }
  ]
};
