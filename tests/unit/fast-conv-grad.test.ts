import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useFastCpuGradients } from './fast-conv-grad';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const KERNELS = ['Conv2DBackpropFilter', 'MaxPoolGrad', 'AvgPoolGrad'];

/** The gradient `f` computes, with TF.js' kernels and then with the fast ones. */
function both(f: () => tf.Tensor): [number[], number[]] {
  const reference = Array.from(f().dataSync());
  const originals = KERNELS.map((k) => tf.getKernel(k, 'cpu'));
  const restore = useFastCpuGradients(tf);
  try {
    KERNELS.forEach((k, i) => expect(tf.getKernel(k, 'cpu')).not.toBe(originals[i]));
    return [reference, Array.from(f().dataSync())];
  } finally {
    restore();
    KERNELS.forEach((k, i) => expect(tf.getKernel(k, 'cpu')).toBe(originals[i]));
  }
}

function expectClose(a: number[], b: number[]) {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 3));
}

describe('the test-only fast cpu gradient kernels agree with TF.js', () => {
  const convCases: { x: [number, number, number, number]; k: [number, number]; out: number; strides: [number, number]; pad: 'valid' | 'same' }[] = [
    { x: [2, 7, 6, 3], k: [3, 3], out: 4, strides: [1, 1], pad: 'valid' },
    { x: [3, 8, 8, 2], k: [3, 2], out: 5, strides: [2, 1], pad: 'same' },
    { x: [1, 5, 5, 1], k: [1, 1], out: 10, strides: [1, 1], pad: 'same' },
    { x: [2, 9, 7, 4], k: [5, 5], out: 3, strides: [2, 2], pad: 'valid' }
  ];
  it.each(convCases)('Conv2DBackpropFilter for %o', ({ x, k, out, strides, pad }) => {
    const xs = tf.randomNormal(x, 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([k[0], k[1], x[3], out], 0, 1, 'float32', 2);
    const dy = tf.randomNormal(tf.conv2d(xs, w as tf.Tensor4D, strides, pad).shape, 0, 1, 'float32', 3);
    expectClose(...both(() => tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xs, ww as tf.Tensor4D, strides, pad), dy)))(w)));
  });

  const poolCases: { x: [number, number, number, number]; size: [number, number]; strides: [number, number]; pad: 'valid' | 'same' }[] = [
    { x: [2, 8, 8, 3], size: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [2, 7, 5, 2], size: [2, 2], strides: [2, 2], pad: 'valid' },
    { x: [1, 7, 7, 2], size: [3, 3], strides: [2, 2], pad: 'same' },
    { x: [2, 6, 6, 1], size: [3, 2], strides: [1, 1], pad: 'valid' }
  ];
  it.each(poolCases)('MaxPoolGrad and AvgPoolGrad for %o', ({ x, size, strides, pad }) => {
    // relu'd input, so windows have ties (zeros), as after a Conv2D with activation="relu".
    const xs = tf.relu(tf.randomNormal(x, 0, 1, 'float32', 4)) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.maxPool(xs, size, strides, pad).shape, 0, 1, 'float32', 5);
    expectClose(...both(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, size, strides, pad), dy)))(xs)));
    expectClose(...both(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(v as tf.Tensor4D, size, strides, pad), dy)))(xs)));
  });
});
