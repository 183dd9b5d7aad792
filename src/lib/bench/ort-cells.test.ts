import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { benchModel } from './models';
import { measureCell } from './runner';
import { measureOrtCell } from './ort-cells';

const repeats = { warmCalls: 1, minRepeats: 3, maxRepeats: 3, budgetMs: 10 };

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

describe('ONNX Runtime bench cells (wasm, in node)', () => {
  it('train-compiled: per-step samples, and the same first losses as the eager TF.js cell', async () => {
    const m = benchModel('tiny');
    const c = await measureOrtCell(ort, tf, m, { mode: 'train-compiled', batch: 32, backend: 'wasm' }, { repeats, seed: 4 });
    const e = await measureCell(tf, m, { mode: 'train-eager', batch: 32 }, { repeats, seed: 4 });
    expect(c.samples).toHaveLength(3);
    expect(c.stepsPerRun).toBe(8);
    expect(c.values.length).toBe(8);
    // Eager values: losses of the first 1 + warm calls steps (same batch every step).
    for (let i = 0; i < e.values.length; i++) expect(Math.abs(c.values[i] - e.values[i]) / e.values[i]).toBeLessThan(1e-3);
  }, 60_000);

  it('infer: the exported forward graph gives TF.js outputs', async () => {
    const m = benchModel('tiny');
    const c = await measureOrtCell(ort, tf, m, { mode: 'infer', batch: 4, backend: 'wasm' }, { repeats, seed: 4 });
    const e = await measureCell(tf, m, { mode: 'infer', batch: 4 }, { repeats, seed: 4 });
    expect(c.values.length).toBe(e.values.length);
    c.values.forEach((v, i) => expect(Math.abs(v - e.values[i])).toBeLessThan(1e-5));
  }, 60_000);
});
