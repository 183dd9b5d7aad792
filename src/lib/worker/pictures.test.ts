import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindData } from '$lib/data/bind';
import { makeToy } from '$lib/data/toys';
import { inferShapes } from '$lib/spec/shape';
import { spiralSpec } from '$lib/spec/fixtures';
import { createSession } from './session';
import type { TrainEvent, TrainRequest } from './protocol';

const loaders = { load: async () => undefined };

function request(epochs: number): TrainRequest {
  const spec = spiralSpec();
  spec.fit = { ...spec.fit!, epochs, batchSize: 32 };
  const { summary } = inferShapes(spec);
  const ds = makeToy({ name: 'spiral', seed: 1 });
  const bound = bindData(ds, spec, summary!.outputShapes[0]);
  if (!bound.ok) throw new Error(bound.message);
  const test = makeToy({ name: 'spiral', seed: 2 });
  return { spec, data: bound.data, backend: 'cpu', seed: 1, test: { x: test.x, labels: (test as { labels: Int32Array }).labels, n: test.n } };
}

describe('pictures of a training run (in-process session)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('sends every batch loss with a smoothed one, histograms with gradients, and a final test evaluation', async () => {
    const session = createSession({ tf, loaders, flushMs: 20, histogramMs: 0 });
    const events: TrainEvent[] = [];
    const req = request(3);
    await session.train(req, (es) => events.push(...es));
    expect(events.at(-1)).toMatchObject({ type: 'done', outcome: 'completed' });

    const batches = events.flatMap((e) => (e.type === 'batches' ? Array.from(e.x) : []));
    const perEpoch = Math.ceil(req.data.n * (1 - (req.spec.fit!.validationSplit ?? 0)) / 32);
    expect(batches.length).toBe(3 * perEpoch);
    expect(batches.at(-1)).toBeCloseTo(3);
    const smooth = events.flatMap((e) => (e.type === 'batches' ? Array.from(e.smoothed) : []));
    const raw = events.flatMap((e) => (e.type === 'batches' ? Array.from(e.loss) : []));
    expect(smooth[0]).toBeCloseTo(raw[0]); // bias-corrected: the first smoothed loss is the first loss
    // Smoothing: the smoothed curve moves less from batch to batch than the raw one.
    const wiggle = (a: number[]) => a.slice(1).reduce((s, v, i) => s + Math.abs(v - a[i]), 0);
    expect(wiggle(smooth)).toBeLessThan(wiggle(raw));

    const hists = events.filter((e) => e.type === 'histograms');
    expect(hists[0]).toMatchObject({ epoch: 0, batch: 0 });
    expect(hists[0].type === 'histograms' && hists[0].layers.every((l) => !l.gradients)).toBe(true);
    const later = hists.at(-1)!;
    expect(later.type === 'histograms' && later.layers.map((l) => l.className)).toEqual(['Dense', 'Dense', 'Dense']);
    expect(later.type === 'histograms' && later.layers.every((l) => l.gradients && l.gradients.counts.some((c) => c > 0))).toBe(true);
    // The weights moved: the first and last histograms differ.
    expect(JSON.stringify(hists[0].type === 'histograms' && hists[0].layers[0].weights)).not.toBe(JSON.stringify(later.type === 'histograms' && later.layers[0].weights));

    const evals = events.filter((e) => e.type === 'evaluation');
    const final = evals.at(-1)!;
    expect(final).toMatchObject({ type: 'evaluation', final: true, epoch: 3, n: req.test!.n, classes: 3 });
    if (final.type === 'evaluation') {
      expect(final.confusion.reduce((a, b) => a + b)).toBe(req.test!.n);
      const diag = [0, 4, 8].reduce((s, i) => s + final.confusion[i], 0);
      expect(final.accuracy).toBeCloseTo(diag / req.test!.n);
      expect(final.predictions.length).toBe(req.test!.n);
    }
    // No conv layers: no filters.
    expect(events.some((e) => e.type === 'filters')).toBe(false);
  });

  it('inspects a sample before training (initial weights) and after (trained), every layer in order', async () => {
    const session = createSession({ tf, loaders });
    const req = request(2);
    const x = new Float32Array([0.3, -0.2]);
    const before = await session.inspect({ spec: req.spec, seed: 1, backend: 'cpu', x });
    expect(before.trained).toBe(false);
    expect(before.layers.map((l) => l.shape)).toEqual([[16], [16], [3]]);
    const sum = (a: Float32Array) => a.reduce((s, v) => s + v, 0);
    expect(sum(before.layers[2].values)).toBeCloseTo(1, 5);

    await session.train(req, () => undefined);
    const after = await session.inspect({ spec: req.spec, seed: 1, backend: 'cpu', x });
    expect(after).toMatchObject({ trained: true, epoch: 2 });
    expect(Array.from(after.layers[0].values)).not.toEqual(Array.from(before.layers[0].values));
    // ReLU layers: no negative activations.
    expect(Math.min(...after.layers[0].values)).toBeGreaterThanOrEqual(0);
  });
});
