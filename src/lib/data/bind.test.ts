import { describe, expect, it } from 'vitest';
import { binarySpec, sequentialSpec, spiralSpec } from '$lib/spec/fixtures';
import type { LossName } from '$lib/spec/types';
import { bindData, sampleShape, trainRows } from './bind';
import { makeRegression } from './regression';
import { makeToy } from './toys';
import type { ClassificationDataset } from './types';

const spiral = makeToy({ name: 'spiral', seed: 1, samples: 30 });
const circle = makeToy({ name: 'circle', seed: 1, samples: 30 });

function bound(r: ReturnType<typeof bindData>) {
  if (!r.ok) throw new Error(r.message);
  return r.data;
}

describe('bindData', () => {
  it('one-hot encodes for categorical_crossentropy', () => {
    const d = bound(bindData(spiral, spiralSpec(), [3]));
    expect(d.xShape).toEqual([30, 2]);
    expect(d.yShape).toEqual([30, 3]);
    expect(d.target).toBe('onehot');
    expect(d.numClasses).toBe(3);
    expect(d.x).toBe(spiral.x);
    for (let i = 0; i < 30; i++) {
      const row = Array.from(d.y.subarray(3 * i, 3 * i + 3));
      expect(row.reduce((a, b) => a + b)).toBe(1);
      expect(row[spiral.labels[i]]).toBe(1);
    }
  });

  it('gives a float label column for sparse_categorical_crossentropy', () => {
    const d = bound(bindData(spiral, spiralSpec({ loss: 'sparse_categorical_crossentropy' }), [3]));
    expect(d.yShape).toEqual([30]);
    expect(d.y).toBeInstanceOf(Float32Array);
    expect(Array.from(d.y)).toEqual(Array.from(spiral.labels));
  });

  it('gives a 0/1 column for binary_crossentropy', () => {
    const d = bound(bindData(circle, binarySpec(), [1]));
    expect(d.yShape).toEqual([30, 1]);
    expect(d.target).toBe('binary');
    expect(Array.from(d.y)).toEqual(Array.from(circle.labels));
  });

  it('gives one-hot or a column for mse/mae depending on the units', () => {
    expect(bound(bindData(spiral, spiralSpec({ loss: 'mse' }), [3])).yShape).toEqual([30, 3]);
    const col = bound(bindData(spiral, spiralSpec({ loss: 'mae' }), [1]));
    expect(col.yShape).toEqual([30, 1]);
    expect(col.target).toBe('index');
    const bad = bindData(spiral, spiralSpec({ loss: 'mse' }), [2]);
    expect(bad).toEqual({ ok: false, message: expect.stringContaining('has 3 classes but the last layer outputs 2 units') });
  });

  it('explains a class count / units mismatch', () => {
    expect(bindData(spiral, spiralSpec(), [2])).toEqual({
      ok: false,
      message: 'The spiral data has 3 classes but the last layer outputs 2 units — use layers.Dense(3, activation="softmax")'
    });
    expect(bindData(spiral, spiralSpec({ loss: 'sparse_categorical_crossentropy' }), [4])).toMatchObject({
      ok: false,
      message: expect.stringContaining('outputs 4 units — use layers.Dense(3, activation="softmax")')
    });
  });

  it('explains an input shape mismatch', () => {
    expect(bindData(spiral, spiralSpec({ input: [3] }), [3])).toEqual({
      ok: false,
      message: 'The model\'s input has shape (3,) but the spiral data has 2 features — use keras.Input(shape=(2,))'
    });
    expect(bindData(circle, spiralSpec({ input: [2, 1] }), [3])).toMatchObject({
      ok: false,
      message: expect.stringContaining('has shape (2, 1) but the circle data has 2 features')
    });
  });

  it('explains binary_crossentropy misuse', () => {
    expect(bindData(spiral, spiralSpec({ loss: 'binary_crossentropy' }), [3])).toMatchObject({
      ok: false,
      message: 'binary_crossentropy needs 2 classes but the spiral data has 3 — use loss="categorical_crossentropy" with layers.Dense(3, activation="softmax")'
    });
    expect(bindData(circle, binarySpec(), [2])).toMatchObject({
      ok: false,
      message: 'binary_crossentropy needs one output unit but the last layer outputs 2 — use layers.Dense(1, activation="sigmoid")'
    });
    expect(bindData(circle, spiralSpec(), [1])).toMatchObject({
      ok: false,
      message: expect.stringContaining('With one output unit use loss="binary_crossentropy"')
    });
  });

  it('needs a compiled model with one input and a flat output', () => {
    expect(bindData(spiral, spiralSpec({ noCompile: true }), [3])).toMatchObject({ ok: false, message: expect.stringContaining('model.compile') });
    expect(bindData(spiral, spiralSpec(), [4, 3])).toMatchObject({ ok: false, message: expect.stringContaining('outputs shape (4, 3)') });
    const two = sequentialSpec({ input: [2], layers: [{ kind: 'Dense', args: { units: 3 } }] });
    two.inputs.push({ ...two.inputs[0], id: 'in2', name: 'in2' });
    expect(bindData(spiral, two, [3])).toMatchObject({ ok: false, message: expect.stringContaining('has 2 inputs') });
  });

  it('splits like Keras', () => {
    expect(trainRows(600, 0.2)).toBe(480);
    expect(trainRows(600, 0)).toBe(600);
    expect(trainRows(10, 0.25)).toBe(7);
  });
});

describe('bindData on regression data', () => {
  const sine = makeRegression({ name: 'sine', samples: 40, seed: 1 });
  const plane = makeRegression({ name: 'plane', samples: 40, seed: 1 });
  const regSpec = (input: number[], units: number, loss: LossName = 'mse') =>
    sequentialSpec({ input, layers: [{ kind: 'Dense', args: { units: 8, activation: 'tanh' } }, { kind: 'Dense', args: { units } }], loss, metrics: ['mae'] });

  it('passes the targets through for mse and mae', () => {
    for (const loss of ['mse', 'mae'] as const) {
      const d = bound(bindData(sine, regSpec([1], 1, loss), [1]));
      expect(d).toMatchObject({ xShape: [40, 1], yShape: [40, 1], n: 40, numClasses: 0, target: 'value' });
      expect(d.x).toBe(sine.x);
      expect(d.y).toBe(sine.y);
    }
    expect(bound(bindData(plane, regSpec([2], 1), [1])).xShape).toEqual([40, 2]);
  });

  it('refuses classification losses, naming the loss and the data', () => {
    for (const loss of ['categorical_crossentropy', 'sparse_categorical_crossentropy', 'binary_crossentropy'] as const) {
      expect(bindData(sine, regSpec([1], 1, loss), [1])).toEqual({
        ok: false,
        message: `The loss ${loss} is for classification but the sine data is for regression (real-valued targets) — use loss="mse" or loss="mae"`
      });
    }
  });

  it('needs one output unit per target and the right input', () => {
    expect(bindData(sine, regSpec([1], 3), [3])).toEqual({
      ok: false,
      message: 'The sine data has 1 target per sample but the last layer outputs 3 units — end the model with layers.Dense(1)'
    });
    expect(bindData(sine, regSpec([1], 1), [4, 1])).toMatchObject({ ok: false, message: expect.stringContaining('outputs shape (4, 1) but the sine data has 1 target per sample') });
    expect(bindData(plane, regSpec([1], 1), [1])).toEqual({
      ok: false,
      message: "The model's input has shape (1,) but the plane data has 2 features — use keras.Input(shape=(2,))"
    });
    const two = regSpec([1], 1);
    two.outputs.push('dense');
    expect(bindData(sine, two, [1])).toMatchObject({ ok: false, message: expect.stringContaining('one array of targets (y_train)') });
  });
});

describe('bindData on image data', () => {
  const n = 6;
  const images: ClassificationDataset = {
    kind: 'classification',
    name: 'digits',
    x: Float32Array.from({ length: n * 784 }, (_, i) => (i % 7) / 7),
    labels: Int32Array.from({ length: n }, (_, i) => i),
    n,
    features: 784,
    sampleShape: [28, 28, 1],
    numClasses: 10
  };
  const cnn = (input: number[], loss: LossName = 'sparse_categorical_crossentropy') =>
    sequentialSpec({ input, layers: [{ kind: 'Flatten', args: {} }, { kind: 'Dense', args: { units: 10, activation: 'softmax' } }], loss });

  it('binds x as (n, 28, 28, 1) and encodes the labels for the loss', () => {
    expect(sampleShape(images)).toEqual([28, 28, 1]);
    expect(sampleShape(spiral)).toEqual([2]);
    const sparse = bound(bindData(images, cnn([28, 28, 1]), [10]));
    expect(sparse).toMatchObject({ xShape: [n, 28, 28, 1], yShape: [n], target: 'sparse', numClasses: 10 });
    expect(sparse.x).toBe(images.x);
    const onehot = bound(bindData(images, cnn([28, 28, 1], 'categorical_crossentropy'), [10]));
    expect(onehot).toMatchObject({ xShape: [n, 28, 28, 1], yShape: [n, 10], target: 'onehot' });
    expect(Array.from(onehot.y.subarray(30, 40))).toEqual([0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  });

  it('does not flatten images for a (784,) input: it says how to write the model', () => {
    const flat = sequentialSpec({ input: [784], layers: [{ kind: 'Dense', args: { units: 10, activation: 'softmax' } }], loss: 'sparse_categorical_crossentropy' });
    expect(bindData(images, flat, [10])).toEqual({
      ok: false,
      message:
        "The model's input has shape (784,) but the digits data holds images of shape (28, 28, 1) (x_train is (6, 28, 28, 1)) — use keras.Input(shape=(28, 28, 1)) followed by layers.Flatten() to feed Dense layers"
    });
    expect(bindData(images, cnn([28, 28]), [10])).toEqual({
      ok: false,
      message: "The model's input has shape (28, 28) but the digits data holds images of shape (28, 28, 1) (x_train is (6, 28, 28, 1)) — use keras.Input(shape=(28, 28, 1))"
    });
    const two = cnn([28, 28, 1]);
    two.inputs.push({ ...two.inputs[0], id: 'in2', name: 'in2' });
    expect(bindData(images, two, [10])).toMatchObject({ ok: false, message: expect.stringContaining('a single keras.Input(shape=(28, 28, 1))') });
  });

  it('checks the classes as for other classification data', () => {
    expect(bindData(images, cnn([28, 28, 1]), [3])).toMatchObject({ ok: false, message: 'The digits data has 10 classes but the last layer outputs 3 units — use layers.Dense(10, activation="softmax")' });
    expect(bindData(images, cnn([28, 28, 1], 'binary_crossentropy'), [10])).toMatchObject({ ok: false, message: expect.stringContaining('binary_crossentropy needs 2 classes but the digits data has 10') });
  });
});
