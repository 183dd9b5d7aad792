/**
 * The compiled training loop and the eager-vs-compiled comparison, in-process: TF.js cpu + ONNX Runtime wasm (node).
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { trainModel } from '$lib/engines/tfjs/train';
import type { EpochLog } from '$lib/worker/protocol';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { createSession } from '$lib/worker/session';
import type { TrainEvent } from '$lib/worker/protocol';
import { estimateFusions, maxRelativeDifference, runComparison, type CompareEvent } from './compare';
import { bind, dataset, load } from './test-helpers';
import { compiledProviderFor, trainCompiled, writeWeightMap } from './train-loop';

const loaders = { load: async () => undefined };
const noHooks = { onEpoch: () => {}, shouldStop: () => false, waitIfPaused: async () => {} };

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

describe('trainCompiled', () => {
  it('gives the eager loop\'s epoch logs (loss, accuracy, validation) on spiral', async () => {
    const { spec } = load('spiral');
    const data = bind(dataset('spiral', 300), spec);
    const opts = { seed: 3, epochs: 3, batchSize: 32, validationSplit: 0.2 };
    const m1 = buildModel(tf, spec, 5);
    const eager = await trainModel(tf, m1, spec, data, opts, noHooks);
    const m2 = buildModel(tf, spec, 5);
    const batches: number[] = [];
    let info: unknown = null;
    const compiled = await trainCompiled(ort, tf, m2, spec, data, { ...opts, provider: 'wasm' }, {
      ...noHooks,
      onBatch: (b) => batches.push(b.batch),
      onCompiled: (i) => (info = i)
    });
    expect(info).toMatchObject({ requested: 'wasm', provider: 'wasm', stepsPerRun: 8 });
    expect(compiled.status).toBe('completed');
    // 240 training rows: 8 batches per epoch (the last partial), every one reported.
    expect(batches).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8]);
    const key = (h: EpochLog[], k: keyof EpochLog) => h.map((l) => l[k] as number);
    for (const k of ['loss', 'acc', 'valLoss', 'valAcc'] as const) {
      expect(maxRelativeDifference(key(eager.history, k), key(compiled.history, k), 3), k).toBeLessThan(1e-3);
    }
    // The TF.js model holds the compiled weights at the end.
    const a = readTfjsWeights(m1, spec);
    const b = readTfjsWeights(m2, spec);
    for (const [node, ws] of Object.entries(a)) for (const [w, t] of Object.entries(ws)) expect(maxRelativeDifference(t.data, b[node][w].data, t.data.length), `${node}/${w}`).toBeLessThan(1e-2);
    m1.dispose();
    m2.dispose();
  }, 60_000);

  it('stops between batches when asked', async () => {
    const { spec } = load('spiral');
    const data = bind(dataset('spiral', 300), spec);
    const model = buildModel(tf, spec, 1);
    let n = 0;
    const r = await trainCompiled(ort, tf, model, spec, data, { seed: 1, epochs: 5, provider: 'wasm' }, { ...noHooks, onBatch: () => n++, shouldStop: () => n >= 3 });
    expect(r.status).toBe('stopped');
    model.dispose();
  }, 60_000);

  it('writes a WeightMap back into the TF.js model', () => {
    const { spec } = load('spiral');
    const model = buildModel(tf, spec, 1);
    const w = readTfjsWeights(model, spec);
    const first = Object.keys(w)[0];
    w[first].kernel.data.fill(0.25);
    writeWeightMap(tf, model, spec, w);
    expect(readTfjsWeights(model, spec)[first].kernel.data.every((v) => v === 0.25)).toBe(true);
    model.dispose();
  });

  it('maps the TF.js backend to an ORT provider and says why when they differ', () => {
    expect(compiledProviderFor('webgpu')).toEqual({ provider: 'webgpu', note: null });
    expect(compiledProviderFor('wasm')).toEqual({ provider: 'wasm', note: null });
    expect(compiledProviderFor('webgl').provider).toBe('wasm');
    expect(compiledProviderFor('cpu').note).toMatch(/WASM/);
  });
});

describe('the session with engine: compiled', () => {
  it('trains with ORT and reports the compiled engine; a refused model fails with the op named', async () => {
    const session = createSession({ tf, loaders, flushMs: 50, loadOrt: async () => ort });
    const { spec } = load('spiral');
    spec.fit = { ...spec.fit!, epochs: 2 };
    const data = bind(dataset('spiral', 200), spec);
    const events: TrainEvent[] = [];
    await session.train({ spec, data, backend: 'wasm' as never, seed: 1, engine: 'compiled' }, (e) => events.push(...e));
    // (TF.js falls back from wasm to cpu in node; the compiled step runs on ORT wasm.)
    expect(events.find((e) => e.type === 'compiled')).toMatchObject({ info: { provider: 'wasm' } });
    expect(events.filter((e) => e.type === 'epoch')).toHaveLength(2);
    expect(events.at(-1)).toEqual({ type: 'done', outcome: 'completed', epochs: 2 });

    const two = JSON.parse(JSON.stringify(spec));
    two.inputs.push({ ...two.inputs[0], id: 'second' });
    const bad: TrainEvent[] = [];
    await session.train({ spec: two, data, backend: 'cpu', seed: 1, engine: 'compiled' }, (e) => bad.push(...e));
    expect(bad.at(-1)).toMatchObject({ type: 'error', message: expect.stringMatching(/one input and one output/) });
  }, 60_000);
});

describe('runComparison', () => {
  it('runs both sides from the same weights and batches: losses agree, timings and counts are reported', async () => {
    const { spec } = load('spiral');
    const data = bind(dataset('spiral', 600), spec);
    const events: CompareEvent[] = [];
    const r = await runComparison(tf, loaders, ort, { spec, data, backend: 'cpu', seed: 2, roundSteps: 16, rounds: 2, matchSteps: 32, inferBatches: [1, 8] }, (e) => events.push(e));
    expect(r.provider).toBe('wasm');
    expect(r.providerNote).toMatch(/WASM/);
    expect(r.steps).toBe(32);
    expect(r.maxRelDiff).toBeLessThan(1e-3);
    const eager = events.filter((e) => e.type === 'losses' && e.side === 'eager');
    expect(eager).toHaveLength(2);
    expect(r.eager.msPerStep).toBeGreaterThan(0);
    expect(r.compiled.msPerStep).toBeGreaterThan(0);
    expect(r.speedup).toBeCloseTo(r.eager.msPerStep / r.compiled.msPerStep, 6);
    expect(r.eager.kernelsPerStep).toBeGreaterThan(20);
    expect(r.compiled.nodesPerStep).toBeGreaterThan(20);
    expect(r.inference.map((i) => i.batch)).toEqual([1, 8]);
    expect(r.graph.nodes.length).toBeGreaterThan(20);
    // A different seed gives different curves: the agreement is not by construction.
    const otherEvents: CompareEvent[] = [];
    await runComparison(tf, loaders, ort, { spec, data, backend: 'cpu', seed: 3, roundSteps: 8, rounds: 2, matchSteps: 8, inferBatches: [1] }, (e) => otherEvents.push(e));
    const firstEager = (evs: CompareEvent[]) => (evs.find((e) => e.type === 'losses' && e.side === 'eager') as { losses: Float32Array }).losses;
    expect(maxRelativeDifference(firstEager(events), firstEager(otherEvents), 8)).toBeGreaterThan(1e-2);
    expect(events.at(-1)?.type).toBe('result');
  }, 120_000);

  it('marks Gemm + activation pairs as fused on wasm, not on webgpu', () => {
    const node = (name: string, op: string, from: string[]) => ({ name, op, domain: '', inputs: [], outputs: [], attrs: '', from });
    const info = { nodes: [node('g', 'Gemm', ['input:x']), node('r', 'Relu', ['g']), node('m', 'MatMul', ['r']), node('a', 'Add', ['m'])] } as never;
    expect(estimateFusions(info, 'wasm')).toEqual([{ nodes: ['g', 'r'], into: 'FusedGemm' }, { nodes: ['m', 'a'], into: 'Gemm' }]);
    expect(estimateFusions(info, 'webgpu')).toEqual([{ nodes: ['m', 'a'], into: 'Gemm' }]);
  });
});
