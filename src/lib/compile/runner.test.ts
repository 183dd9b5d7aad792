/**
 * CompiledTrainer's contract: K batches per run, flush, readLosses since the last call, setLearningRate, partial
 * batches, and a fallback that says why (webgpu has no adapter in node).
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { CompiledTrainer } from './runner';
import { bind, dataset, load } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

function setup() {
  const { spec } = load('spiral');
  const data = bind(dataset('spiral', 200), spec);
  const model = buildModel(tf, spec, 2);
  const weights = readTfjsWeights(model, spec);
  model.dispose();
  const batch = (i: number, rows = 16) => [data.x.subarray(i * 32, i * 32 + rows * 2), data.y.subarray(i * 48, i * 48 + rows * 3)] as const;
  return { spec, weights, batch };
}

describe('CompiledTrainer', () => {
  it('runs every K batches, flushes the rest, reads each loss once, handles a partial batch', async () => {
    const { spec, weights, batch } = setup();
    const t = await CompiledTrainer.create(ort, { spec, batchSize: 16, provider: 'wasm', weights, seed: 1, stepsPerRun: 3 });
    expect(t.stepsPerRun).toBe(3);
    expect(t.provider).toBe('wasm');
    expect(t.nodeCount).toBeGreaterThan(100);
    expect(t.compileMs).toBeGreaterThan(0);
    await t.step(...batch(0));
    await t.step(...batch(1));
    expect(await t.readLosses()).toHaveLength(0); // still queued
    await t.step(...batch(2));
    const first = await t.readLosses();
    expect(first).toHaveLength(3);
    expect(first.every((r) => Number.isFinite(r.loss) && r.metric! >= 0 && r.metric! <= 1)).toBe(true);
    await t.step(...batch(3));
    await t.step(...batch(4, 5)); // partial: flushes batch 3, then runs alone
    const next = await t.readLosses();
    expect(next).toHaveLength(2);
    expect(await t.readLosses()).toHaveLength(0);
    await t.dispose();
  });

  it('setLearningRate(0) freezes the weights; K = 1 and K = 4 give the same trajectory', async () => {
    const { spec, weights, batch } = setup();
    const a = await CompiledTrainer.create(ort, { spec, batchSize: 16, provider: 'wasm', weights, seed: 1, stepsPerRun: 1 });
    const b = await CompiledTrainer.create(ort, { spec, batchSize: 16, provider: 'wasm', weights, seed: 1, stepsPerRun: 4 });
    for (let i = 0; i < 8; i++) {
      await a.step(...batch(i));
      await b.step(...batch(i));
    }
    const la = (await a.readLosses()).map((r) => r.loss);
    const lb = (await b.readLosses()).map((r) => r.loss);
    expect(la).toHaveLength(8);
    la.forEach((v, i) => expect(Math.abs(v - lb[i])).toBeLessThan(1e-6));
    b.setLearningRate(0);
    const before = await b.getWeights();
    for (let i = 0; i < 4; i++) await b.step(...batch(i));
    await b.flush();
    const after = await b.getWeights();
    expect(Array.from(after.dense.kernel.data)).toEqual(Array.from(before.dense.kernel.data));
    expect(Array.from(before.dense.kernel.data)).not.toEqual(Array.from(weights.dense.kernel.data));
    await a.dispose();
    await b.dispose();
  });

  it('reports the provider that runs and why when webgpu cannot start', async () => {
    const { spec, weights, batch } = setup();
    const t = await CompiledTrainer.create(ort, { spec, batchSize: 16, provider: 'webgpu', weights, seed: 1, stepsPerRun: 2 });
    expect(t.provider).toBe('wasm');
    expect(t.fallbackReason).toMatch(/webgpu/);
    expect(t.graphCapture).toEqual({ active: false, error: '' });
    await t.step(...batch(0));
    await t.step(...batch(1));
    expect(await t.readLosses()).toHaveLength(2);
    await t.dispose();
  });

  it('graphCapture (webgpu only; asked for explicitly here) is off where webgpu cannot start, and says why; training still runs', async () => {
    const { spec, weights, batch } = setup();
    const t = await CompiledTrainer.create(ort, { spec, batchSize: 16, provider: 'webgpu', weights, seed: 1, stepsPerRun: 2, graphCapture: true });
    expect(t.provider).toBe('wasm');
    expect(t.graphCapture.active).toBe(false);
    expect(t.graphCapture.error).toMatch(/webgpu/);
    await t.step(...batch(0));
    await t.step(...batch(1));
    expect(await t.readLosses()).toHaveLength(2);
    await t.dispose();
  });
});
