/**
 * The one training loop over a made-up third engine (no TF.js, no ORT): the loop needs nothing but the engine
 * interface. And the shared ORT provider fallback, which names every provider it could not start.
 */
import * as ort from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { spiralSpec } from '$lib/spec/fixtures';
import type { BoundData } from '$lib/data/types';
import { exportOnnxBytes } from '$lib/onnx/export';
import { createOrtSession } from '$lib/onnx/ort-run';
import type { EngineOpener, EngineSetup, StepValues, TrainingEngine } from './engine';
import { runTraining, type TrainHooks } from './train-loop';

const hooks = (over: Partial<TrainHooks> = {}): TrainHooks => ({ onEpoch: () => {}, shouldStop: () => false, waitIfPaused: async () => {}, ...over });

/** Loss = 1 / (1 + steps so far), accuracy = mean row index / n; NaN from step `nanAt` on. */
interface Log {
  rows: number[][];
  setup?: EngineSetup;
  disposed: boolean;
  syncs: number;
}

function fakeEngine(log: Log, nanAt = Infinity): EngineOpener {
  return async (setup) => {
    log.setup = setup;
    let steps = 0;
    let pending: StepValues[] = [];
    const engine: TrainingEngine = {
      report: { engine: 'eager', requested: 'fake', actual: 'fake', fallbacks: [], detail: 'a fake engine', buildMs: 0 },
      metrics: ['acc'],
      deferReadback: true,
      async step(rows) {
        log.rows.push([...rows]);
        steps++;
        const acc = rows.reduce((a, r) => a + r, 0) / rows.length / setup.nTrain;
        pending.push({ loss: steps >= nanAt ? NaN : 1 / (1 + steps), metrics: [acc] });
        return null;
      },
      async flush() {},
      async readSteps() {
        const out = pending;
        pending = [];
        return out;
      },
      async evaluate() {
        return [0.5, 0.25];
      },
      async sync() {
        log.syncs++;
      },
      async getWeights() {
        return {};
      },
      async setWeights() {},
      async predict() {
        return new Float32Array();
      },
      async dispose() {
        log.disposed = true;
      }
    };
    return engine;
  };
}

const data: BoundData = { x: new Float32Array(20 * 2), xShape: [20, 2], y: new Float32Array(20 * 3), yShape: [20, 3] } as BoundData;

describe('runTraining (any engine)', () => {
  it('drives a third engine: shuffled batches, partial last batch, epoch means, validation, dispose', async () => {
    const log: Log = { rows: [], disposed: false, syncs: 0 };
    const batches: number[] = [];
    const r = await runTraining(fakeEngine(log), spiralSpec(), data, { seed: 1, epochs: 2, batchSize: 4, validationSplit: 0.25 }, hooks({ onBatch: (b) => batches.push(b.batch) }));
    expect(r.status).toBe('completed');
    expect(log.setup).toMatchObject({ nTrain: 15, batchSize: 4, seed: 1, startEpoch: 0 });
    // 15 training rows: batches of 4, 4, 4, 3, each epoch a permutation of the rows.
    expect(log.rows.map((b) => b.length)).toEqual([4, 4, 4, 3, 4, 4, 4, 3]);
    expect(log.rows.slice(0, 4).flat().sort((a, b) => a - b)).toEqual([...Array(15).keys()]);
    expect(batches).toEqual([1, 2, 3, 4, 1, 2, 3, 4]);
    const first = r.history[0];
    expect(first.loss).toBeCloseTo((4 / 2 + 4 / 3 + 4 / 4 + 3 / 5) / 15, 9);
    expect(first.valLoss).toBe(0.5);
    expect(first.valAcc).toBe(0.25);
    expect(first.acc).toBeGreaterThan(0);
    expect(log.syncs).toBe(2);
    expect(log.disposed).toBe(true);
  });

  it('locates a non-finite loss to its batch and disposes the engine', async () => {
    const log: Log = { rows: [], disposed: false, syncs: 0 };
    const r = await runTraining(fakeEngine(log, 6), spiralSpec(), data, { seed: 1, epochs: 3, batchSize: 4, validationSplit: 0 }, hooks());
    expect(r).toMatchObject({ status: 'diverged', epoch: 2, batch: 1 });
    expect(log.disposed).toBe(true);
  });

  it('stops between batches, with the weights synced', async () => {
    const log: Log = { rows: [], disposed: false, syncs: 0 };
    const r = await runTraining(fakeEngine(log), spiralSpec(), data, { seed: 1, epochs: 3, batchSize: 4 }, hooks({ shouldStop: () => log.rows.length >= 2 }));
    expect(r.status).toBe('stopped');
    expect(log.syncs).toBe(1);
  });
});

describe('createOrtSession', () => {
  it('falls back from webgpu to wasm and says why (node has no WebGPU)', async () => {
    ort.env.wasm.numThreads = 1;
    const spec = spiralSpec();
    const bytes = exportOnnxBytes(spec, await initialWeights(spec));
    const r = await createOrtSession(ort, bytes, 'webgpu');
    expect(r.provider).toBe('wasm');
    expect(r.fallbacks).toEqual([{ tried: 'webgpu', reason: expect.stringMatching(/WebGPU/) }]);
    await r.session.release();
    await expect(createOrtSession(ort, new Uint8Array([1, 2, 3]), 'wasm')).rejects.toThrow(/^wasm: /);
  }, 30_000);
});

async function initialWeights(spec: ReturnType<typeof spiralSpec>) {
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const { buildModel } = await import('./tfjs/build');
  const { readTfjsWeights } = await import('./tfjs/weights');
  const model = buildModel(tf, spec, 1);
  try {
    return readTfjsWeights(model, spec);
  } finally {
    model.dispose();
  }
}
