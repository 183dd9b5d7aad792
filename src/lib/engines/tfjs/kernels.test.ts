/**
 * The extra kernels of kernels.ts against TF.js' own: cpu gradients computed with the original kernels are the
 * reference for the fast cpu ones and for the new wasm Conv2DBackpropFilter (both its native and its JS path).
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conv2dFilterGrad, registerWasmTrainingKernels, useFastCpuGradients } from './kernels';

const KERNELS = ['Conv2DBackpropFilter', 'MaxPoolGrad', 'AvgPoolGrad'];

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, digits = 3) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], digits);
}

/** The gradient `f` computes, with TF.js' kernels and then with the fast ones (cpu). */
function both(f: () => tf.Tensor): [number[], number[]] {
  const reference = Array.from(f().dataSync());
  const originals = KERNELS.map((k) => tf.getKernel(k, 'cpu'));
  const restore = useFastCpuGradients(tf);
  try {
    KERNELS.forEach((k, i) => expect(tf.getKernel(k, 'cpu')).not.toBe(originals[i]));
    // Registering again changes nothing (the app may call it from several places).
    const again = KERNELS.map((k) => tf.getKernel(k, 'cpu'));
    useFastCpuGradients(tf)();
    KERNELS.forEach((k, i) => expect(tf.getKernel(k, 'cpu')).toBe(again[i]));
    return [reference, Array.from(f().dataSync())];
  } finally {
    restore();
    KERNELS.forEach((k, i) => expect(tf.getKernel(k, 'cpu')).toBe(originals[i]));
  }
}

type ConvCase = { x: [number, number, number, number]; k: [number, number]; out: number; strides: [number, number]; pad: 'valid' | 'same' | number };
const convCases: ConvCase[] = [
  { x: [2, 7, 6, 3], k: [3, 3], out: 4, strides: [1, 1], pad: 'valid' },
  { x: [3, 8, 8, 2], k: [3, 2], out: 5, strides: [2, 1], pad: 'same' },
  { x: [1, 5, 5, 1], k: [1, 1], out: 10, strides: [1, 1], pad: 'same' },
  { x: [2, 9, 7, 4], k: [5, 5], out: 3, strides: [2, 2], pad: 'valid' },
  { x: [2, 6, 6, 2], k: [3, 3], out: 3, strides: [1, 1], pad: 1 },
  // The shapes of examples/digits_cnn.py (stride 1: the wasm kernel's native path).
  { x: [4, 28, 28, 1], k: [3, 3], out: 16, strides: [1, 1], pad: 'valid' },
  { x: [4, 13, 13, 16], k: [3, 3], out: 32, strides: [1, 1], pad: 'valid' },
  { x: [3, 10, 9, 5], k: [3, 3], out: 6, strides: [1, 1], pad: 'same' }
];

function convGrad(c: ConvCase): () => tf.Tensor {
  const xs = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([c.k[0], c.k[1], c.x[3], c.out], 0, 1, 'float32', 2);
  const dy = tf.randomNormal(tf.conv2d(xs, w as tf.Tensor4D, c.strides, c.pad as 'valid').shape, 0, 1, 'float32', 3);
  return () => tf.grad((ww: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(xs, ww as tf.Tensor4D, c.strides, c.pad as 'valid'), dy)))(w);
}

function inputGrad(c: ConvCase): () => tf.Tensor {
  const xs = tf.randomNormal(c.x, 0, 1, 'float32', 1) as tf.Tensor4D;
  const w = tf.randomNormal([c.k[0], c.k[1], c.x[3], c.out], 0, 1, 'float32', 2) as tf.Tensor4D;
  const dy = tf.randomNormal(tf.conv2d(xs, w, c.strides, c.pad as 'valid').shape, 0, 1, 'float32', 3);
  return () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(v as tf.Tensor4D, w, c.strides, c.pad as 'valid'), dy)))(xs);
}

type PoolCase = { x: [number, number, number, number]; size: [number, number]; strides: [number, number]; pad: 'valid' | 'same' };
const poolCases: PoolCase[] = [
  { x: [2, 8, 8, 3], size: [2, 2], strides: [2, 2], pad: 'valid' },
  { x: [2, 7, 5, 2], size: [2, 2], strides: [2, 2], pad: 'valid' },
  { x: [1, 7, 7, 2], size: [3, 3], strides: [2, 2], pad: 'same' },
  { x: [2, 6, 6, 1], size: [3, 2], strides: [1, 1], pad: 'valid' }
];

function maxPoolGrad({ x, size, strides, pad }: PoolCase): () => tf.Tensor {
  // relu'd input, so windows have ties (zeros), as after a Conv2D with activation="relu".
  const xs = tf.relu(tf.randomNormal(x, 0, 1, 'float32', 4)) as tf.Tensor4D;
  const dy = tf.randomNormal(tf.maxPool(xs, size, strides, pad).shape, 0, 1, 'float32', 5);
  return () => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.maxPool(v as tf.Tensor4D, size, strides, pad), dy)))(xs);
}

describe('fast cpu gradient kernels agree with TF.js', () => {
  it.each(convCases)('Conv2DBackpropFilter for %o', (c) => {
    expectClose(...both(convGrad(c)));
  });

  it.each(poolCases)('MaxPoolGrad and AvgPoolGrad for %o', (c) => {
    const { x, size, strides, pad } = c;
    expectClose(...both(maxPoolGrad(c)));
    const xs = tf.relu(tf.randomNormal(x, 0, 1, 'float32', 4)) as tf.Tensor4D;
    const dy = tf.randomNormal(tf.maxPool(xs, size, strides, pad).shape, 0, 1, 'float32', 5);
    expectClose(...both(() => tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.avgPool(v as tf.Tensor4D, size, strides, pad), dy)))(xs)));
  });

  it('conv2dFilterGrad is the plain sum (a 1×1 case by hand)', () => {
    const info = tf.backend_util.computeConv2DInfo([1, 2, 1, 1], [1, 1, 1, 2], 1, 1, 'valid');
    // dW[0,0,0,k] = Σ x·dy[k]: x = [2, 3], dy = [[1, 10], [100, 1000]] → [2 + 300, 20 + 3000]
    expect(Array.from(conv2dFilterGrad([2, 3], [1, 10, 100, 1000], info))).toEqual([302, 3020]);
  });
});

describe('the wasm backend gains Conv2DBackpropFilter', () => {
  let unregister: () => void = () => undefined;
  afterAll(async () => {
    unregister();
    await tf.setBackend('cpu');
  });

  it('has none of its own, and trains a Conv2D kernel with ours to the cpu gradient', async () => {
    const references = convCases.map((c) => Array.from(convGrad(c)().dataSync()));
    const inputRefs = convCases.map((c) => Array.from(inputGrad(c)().dataSync()));
    const poolRefs = poolCases.map((c) => Array.from(maxPoolGrad(c)().dataSync()));
    await tf.setBackend('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeUndefined();
    const nativeMaxPoolGrad = tf.getKernel('MaxPoolGrad', 'wasm');
    const nativeInput = tf.getKernel('Conv2DBackpropInput', 'wasm');
    unregister = registerWasmTrainingKernels(tf);
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
    convCases.forEach((c, i) => {
      const g = convGrad(c)();
      expect(g.shape).toEqual([c.k[0], c.k[1], c.x[3], c.out]);
      expectClose(g.dataSync(), references[i]);
    });
    // The replaced Conv2DBackpropInput (gradient of the conv's input) and MaxPoolGrad agree with the cpu too.
    expect(tf.getKernel('MaxPoolGrad', 'wasm')).not.toBe(nativeMaxPoolGrad);
    expect(tf.getKernel('Conv2DBackpropInput', 'wasm')).not.toBe(nativeInput);
    convCases.forEach((c, i) => expectClose(inputGrad(c)().dataSync(), inputRefs[i]));
    poolCases.forEach((c, i) => expectClose(maxPoolGrad(c)().dataSync(), poolRefs[i]));
    // No leak: the gradient's memory is freed with it.
    const before = tf.memory().numTensors;
    tf.tidy(() => void convGrad(convCases[1])());
    expect(tf.memory().numTensors).toBe(before);
  });
});
