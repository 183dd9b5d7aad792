import { describe, expect, it } from 'vitest';
import { binarySpec, sequentialSpec, spiralSpec } from '$lib/spec/fixtures';
import { bindData, trainRows } from './bind';
import { makeToy } from './toys';

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
