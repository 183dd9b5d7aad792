/**
 * Compiled vs eager on the heavier examples (see train-step.test.ts), kept short for time: the image models on a
 * small slice of the digits (batch 4, 12 steps), the 512-wide MLP over 12 steps (its float32 drift grows past 1e-3
 * after ~20 steps: 512-term sums in a different order, amplified by Adam; the first steps agree to 1e-7).
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, it } from 'vitest';
import { compareExample } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

describe('compiled train step vs eager TF.js, heavier examples', () => {
  it('digits_cnn (Conv, MaxPool, Flatten, sparse CE): 12 steps', async () => {
    await compareExample('digits_cnn', 12, 4);
  }, 60_000);
  it('bn_dropout_cnn (BatchNorm, Dropout, AveragePool, GlobalAveragePool, Reshape): 12 steps', async () => {
    await compareExample('bn_dropout_cnn', 12, 4);
  }, 60_000);
  it('wide_mlp: 12 steps', async () => {
    await compareExample('wide_mlp', 12);
  }, 60_000);
});
