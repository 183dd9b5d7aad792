/**
 * The ONNX conformance table: small Keras programs, each layer alone in several configurations (plus the example
 * programs, added by the runners from examples/). A runner parses each, builds it in TF.js with seeded random
 * weights (every weight random, BatchNormalization's moving statistics included), predicts on seeded random
 * inputs, exports it to ONNX, runs it in ONNX Runtime and compares: max |TF.js - ORT| ≤ CONFORMANCE_TOLERANCE.
 *
 * Runners: tests/unit/onnx-conformance.test.ts (node, TF.js cpu, ORT wasm) and the app's conformance page.
 * Data only: no node or TF.js imports here.
 */
import { Rng } from '$lib/data/rng';

export interface ConformanceCase {
  /** Unique, readable: `Conv2D same stride 2 on 7x5`. */
  name: string;
  /** The Keras layer kind the case is about (the "ops per layer" table groups by it). */
  layer: string;
  /** A Keras program (the playground's subset): a model named `model`. */
  source: string;
}

/** Max abs difference allowed between TF.js and ONNX Runtime outputs (float32). */
export const CONFORMANCE_TOLERANCE = 1e-4;
/** Rows of random input per case. */
export const CONFORMANCE_BATCH = 3;

const HEADER = 'import keras\nfrom keras import layers\n';

const tuple = (s: number[]) => (s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`);

/** A Sequential program: one Input of `shape`, then the layers (Keras source of each constructor call). */
function seq(name: string, layer: string, shape: number[], ...calls: string[]): ConformanceCase {
  const body = [`    keras.Input(shape=${tuple(shape)}),`, ...calls.map((c) => `    layers.${c},`)].join('\n');
  return { name, layer, source: `${HEADER}model = keras.Sequential([\n${body}\n])\n` };
}

/** A functional program merging inputs of these shapes with `call` (e.g. `Add()`), after `pre` per input. */
function merge(name: string, layer: string, shapes: number[][], call: string, pre: (i: number) => string | null = () => null): ConformanceCase {
  const lines = shapes.map((s, i) => `in${i} = keras.Input(shape=${tuple(s)}, name="in${i}")`);
  const branches = shapes.map((_, i) => {
    const p = pre(i);
    if (!p) return `in${i}`;
    lines.push(`b${i} = layers.${p}(in${i})`);
    return `b${i}`;
  });
  lines.push(`out = layers.${call}([${branches.join(', ')}])`);
  lines.push(`model = keras.Model(inputs=[${shapes.map((_, i) => `in${i}`).join(', ')}], outputs=out)`);
  return { name, layer, source: `${HEADER}${lines.join('\n')}\n` };
}

const ACTS = ['relu', 'sigmoid', 'tanh', 'softmax', 'linear', 'leaky_relu', 'elu', 'gelu', 'swish'];

export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  // Dense
  ...ACTS.map((a) => seq(`Dense activation=${a}`, 'Dense', [5], `Dense(4, activation="${a}")`)),
  seq('Dense no activation, use_bias=False', 'Dense', [6], 'Dense(3, use_bias=False)'),
  seq('Dense on (steps, features) (rank-3 batch)', 'Dense', [4, 6], 'Dense(5, activation="relu")'),
  seq('Dense on rank-4 batch, softmax on the last axis', 'Dense', [2, 3, 4], 'Dense(3, activation="softmax")'),
  // Conv2D
  seq('Conv2D 3x3 valid stride 1 on 7x5', 'Conv2D', [7, 5, 3], 'Conv2D(4, 3)'),
  seq('Conv2D 3x3 same stride 1 on 7x5', 'Conv2D', [7, 5, 3], 'Conv2D(4, 3, padding="same")'),
  seq('Conv2D 3x3 valid stride 2 on 7x5', 'Conv2D', [7, 5, 3], 'Conv2D(4, 3, strides=2)'),
  seq('Conv2D 3x3 same stride 2 on 7x5', 'Conv2D', [7, 5, 3], 'Conv2D(4, 3, strides=2, padding="same")'),
  seq('Conv2D 2x2 same stride 2 on 8x6 (pads only after)', 'Conv2D', [8, 6, 2], 'Conv2D(3, 2, strides=2, padding="same")'),
  seq('Conv2D (2, 4) same stride 1 on 7x5 (asymmetric pads)', 'Conv2D', [7, 5, 2], 'Conv2D(3, (2, 4), padding="same")'),
  seq('Conv2D (3, 2) same strides (2, 3) on 9x7', 'Conv2D', [9, 7, 2], 'Conv2D(3, (3, 2), strides=(2, 3), padding="same")'),
  seq('Conv2D 3x3 dilation 2 valid on 9x8', 'Conv2D', [9, 8, 2], 'Conv2D(3, 3, dilation_rate=2)'),
  seq('Conv2D 3x3 dilation 2 same on 7x5', 'Conv2D', [7, 5, 2], 'Conv2D(3, 3, dilation_rate=2, padding="same")'),
  seq('Conv2D 4x4 dilation (2, 1) same on 7x6', 'Conv2D', [7, 6, 2], 'Conv2D(2, 4, dilation_rate=(2, 1), padding="same")'),
  seq('Conv2D use_bias=False relu', 'Conv2D', [6, 5, 3], 'Conv2D(4, 3, use_bias=False, activation="relu")'),
  seq('Conv2D 1x1 leaky_relu', 'Conv2D', [4, 3, 5], 'Conv2D(2, 1, activation="leaky_relu")'),
  seq('Conv2D softmax over channels', 'Conv2D', [5, 4, 2], 'Conv2D(3, 3, padding="same", activation="softmax")'),
  // Pooling
  seq('MaxPooling2D default on 7x5', 'MaxPooling2D', [7, 5, 3], 'MaxPooling2D()'),
  seq('MaxPooling2D 2 same on 7x5', 'MaxPooling2D', [7, 5, 3], 'MaxPooling2D(2, padding="same")'),
  seq('MaxPooling2D 3 strides 2 same on 7x6', 'MaxPooling2D', [7, 6, 2], 'MaxPooling2D(3, strides=2, padding="same")'),
  seq('MaxPooling2D 3 strides 1 valid on 6x5', 'MaxPooling2D', [6, 5, 2], 'MaxPooling2D(3, strides=1)'),
  seq('MaxPooling2D (2, 3) strides (1, 2) same on 5x7', 'MaxPooling2D', [5, 7, 2], 'MaxPooling2D((2, 3), strides=(1, 2), padding="same")'),
  seq('AveragePooling2D default on 7x5', 'AveragePooling2D', [7, 5, 3], 'AveragePooling2D()'),
  seq('AveragePooling2D 2 same on 7x5 (padding not counted)', 'AveragePooling2D', [7, 5, 3], 'AveragePooling2D(2, padding="same")'),
  seq('AveragePooling2D 3 strides 2 same on 7x6', 'AveragePooling2D', [7, 6, 2], 'AveragePooling2D(3, strides=2, padding="same")'),
  seq('AveragePooling2D 3 strides 1 valid on 6x5', 'AveragePooling2D', [6, 5, 2], 'AveragePooling2D(3, strides=1)'),
  seq('AveragePooling2D (3, 2) strides (2, 1) same on 5x4', 'AveragePooling2D', [5, 4, 2], 'AveragePooling2D((3, 2), strides=(2, 1), padding="same")'),
  seq('GlobalAveragePooling2D on 7x5', 'GlobalAveragePooling2D', [7, 5, 3], 'GlobalAveragePooling2D()'),
  seq('GlobalAveragePooling2D keepdims=True', 'GlobalAveragePooling2D', [5, 4, 3], 'GlobalAveragePooling2D(keepdims=True)'),
  // Flatten
  seq('Flatten after Conv2D on 7x5 (Keras order)', 'Flatten', [7, 5, 2], 'Conv2D(3, 3, padding="same")', 'Flatten()', 'Dense(4)'),
  seq('Flatten of (steps, features)', 'Flatten', [3, 4], 'Flatten()', 'Dense(2)'),
  seq('Flatten of a vector', 'Flatten', [6], 'Flatten()'),
  // Dropout
  seq('Dropout alone', 'Dropout', [5], 'Dropout(0.5)'),
  seq('Dropout between Dense layers', 'Dropout', [5], 'Dense(8, activation="relu")', 'Dropout(0.3)', 'Dense(2)'),
  // BatchNormalization
  seq('BatchNormalization on Dense features', 'BatchNormalization', [6], 'Dense(5)', 'BatchNormalization()'),
  seq('BatchNormalization on a conv feature map', 'BatchNormalization', [7, 5, 2], 'Conv2D(4, 3, padding="same")', 'BatchNormalization(momentum=0.9, epsilon=0.01)'),
  seq('BatchNormalization center=False', 'BatchNormalization', [6], 'BatchNormalization(center=False)'),
  seq('BatchNormalization scale=False on an image', 'BatchNormalization', [4, 3, 2], 'BatchNormalization(scale=False)'),
  seq('BatchNormalization on (steps, features)', 'BatchNormalization', [3, 5], 'BatchNormalization(epsilon=0.1)'),
  // No axis=1 case: TF.js 4.22's cpu batchNorm kernel applies the statistics cyclically along the last axis whatever
  // the axis, so TF.js itself is wrong there; tests/unit/onnx-export.test.ts checks the export against Keras' formula.
  // Activation
  ...ACTS.map((a) => seq(`Activation ${a} on (3, 7)`, 'Activation', [3, 7], `Activation("${a}")`)),
  // Reshape
  seq('Reshape (12,) to (3, 4)', 'Reshape', [12], 'Reshape((3, 4))'),
  seq('Reshape (784,)-style to an image for Conv2D', 'Reshape', [36], 'Reshape((6, 6, 1))', 'Conv2D(2, 3)'),
  seq('Reshape with -1', 'Reshape', [4, 6], 'Reshape((-1, 3))'),
  seq('Reshape of a conv map to a vector', 'Reshape', [3, 4, 2], 'Reshape((24,))', 'Dense(2)'),
  // Add
  merge('Add two inputs', 'Add', [[5], [5]], 'Add()'),
  merge('Add three images', 'Add', [[3, 4, 2], [3, 4, 2], [3, 4, 2]], 'Add()'),
  merge('Add with broadcast (4, 4, 3) + (3,)', 'Add', [[4, 4, 3], [3]], 'Add()'),
  merge('Add with broadcast (4, 3) + (1, 3)', 'Add', [[4, 3], [1, 3]], 'Add()'),
  merge('Add after Dense branches', 'Add', [[4], [6]], 'Add()', () => 'Dense(3, activation="tanh")'),
  // Concatenate
  merge('Concatenate axis=-1', 'Concatenate', [[3], [5]], 'Concatenate()'),
  merge('Concatenate axis=1 on (steps, features)', 'Concatenate', [[2, 4], [3, 4]], 'Concatenate(axis=1)'),
  merge('Concatenate axis=-2 on images', 'Concatenate', [[3, 2, 2], [3, 4, 2]], 'Concatenate(axis=-2)'),
  merge('Concatenate images on channels', 'Concatenate', [[3, 4, 1], [3, 4, 2], [3, 4, 3]], 'Concatenate(axis=-1)')
];

/** The example programs as cases (`example spiral`), after the table: pass `EXAMPLES` (app) or the files (node). */
export function exampleCases(examples: readonly { id: string; source: string }[]): ConformanceCase[] {
  return examples.map((e) => ({ name: `example ${e.id}`, layer: 'example', source: e.source }));
}

/**
 * The random inputs of a case: for each model input (shape without the batch axis), CONFORMANCE_BATCH rows of
 * values uniform in [-2, 2), seeded, so every runner feeds the same numbers.
 */
export function conformanceInputs(shapes: readonly number[][], seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return shapes.map((shape) => Float32Array.from({ length: CONFORMANCE_BATCH * shape.reduce((a, b) => a * b, 1) }, () => rng.next() * 4 - 2));
}
