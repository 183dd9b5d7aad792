/** The cell runner in-process on TF.js' cpu backend: a smoke test of every mode on the tiny MLP. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindData } from '$lib/data/bind';
import { makeToy } from '$lib/data/toys';
import { benchModel } from './models';
import { fitEpochs, measureCell, syntheticBatch, toRow } from './runner';

const repeats = { warmCalls: 1, minRepeats: 3, maxRepeats: 5, budgetMs: 50 };

describe('bench runner (TF.js cpu, in-process)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('parses the four benchmark models with their FLOPs', () => {
    // Forward FLOPs per sample = 2·(multiply-adds of the Dense layers) (+ 1 per element for Add).
    expect(benchModel('tiny').summary.flops).toBe(2 * (2 * 16 + 16 * 16 + 16 * 3));
    expect(benchModel('wide').summary.flops).toBe(2 * (2 * 512 + 3 * 512 * 512 + 512 * 3));
    expect(benchModel('cnn').trainBatch).toBe(64);
    expect(benchModel('residual').summary.trainable).toBe(4425);
  });

  it('makes seeded batches that fit the loss', () => {
    const m = benchModel('cnn');
    const b = syntheticBatch(m.spec, m.summary.outputShapes[0], 4, 1);
    expect(b.xShape).toEqual([4, 28, 28, 1]);
    expect(b.yShape).toEqual([4]);
    expect([...b.y].every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
    const t = benchModel('tiny');
    const c = syntheticBatch(t.spec, t.summary.outputShapes[0], 3, 1);
    expect(c.yShape).toEqual([3, 3]);
    expect([0, 1, 2].map((i) => c.y[i * 3] + c.y[i * 3 + 1] + c.y[i * 3 + 2])).toEqual([1, 1, 1]);
    expect(syntheticBatch(t.spec, [3], 3, 1)).toEqual(c);
  });

  it('times a training step and an inference, leaks no tensors, and repeats the same numbers for the same seed', async () => {
    const m = benchModel('tiny');
    const before = tf.memory().numTensors;
    const train = await measureCell(tf, m, { mode: 'train-eager', batch: 32 }, { repeats, seed: 1 });
    expect(train.samples.length).toBeGreaterThanOrEqual(3);
    expect(train.values).toHaveLength(2); // the losses of the first two steps
    expect(train.values[1]).not.toBe(train.values[0]); // the first step changed the weights
    expect(train.leakedTensors).toBe(0);
    const again = await measureCell(tf, m, { mode: 'train-eager', batch: 32 }, { repeats, seed: 1, referenceOnly: true });
    expect(again.samples).toEqual([]);
    expect([...again.values]).toEqual([...train.values]);

    const infer = await measureCell(tf, m, { mode: 'infer', batch: 256 }, { repeats, seed: 1 });
    expect(infer.values).toHaveLength(256 * 3);
    expect(tf.memory().numTensors).toBe(before);

    const row = toRow({ model: 'tiny', engine: 'tfjs', backend: 'cpu', mode: 'infer', batch: 256 }, m, infer, null, infer.values);
    expect(row.status).toBe('ok');
    expect(row.maxAbsDiff).toBe(0);
    expect(row.medianMs).toBeGreaterThan(0);
    expect(row.p10Ms!).toBeLessThanOrEqual(row.medianMs!);
    expect(row.p90Ms!).toBeGreaterThanOrEqual(row.medianMs!);
    expect(row.samplesPerSec).toBeCloseTo((256 * 1000) / row.medianMs!, 6);
    expect(row.gflops).toBeCloseTo((672 * 256) / (row.medianMs! / 1000) / 1e9, 9);
  });

  it('runs model.fit for the overhead baseline', async () => {
    const m = benchModel('tiny');
    const bound = bindData(makeToy({ name: 'spiral', samples: 100, seed: 1 }), m.spec, m.summary.outputShapes[0]);
    if (!bound.ok) throw new Error(bound.message);
    const before = tf.memory().numTensors;
    expect(await fitEpochs(tf, m.spec, bound.data, 1, 1)).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });
});
