/**
 * Teaching mode's Step and live learning rate: the Stepper alone, the training loop over a fake engine (where a Step
 * pauses, which learning rate each step gets), and the worker session in-process on TF.js' cpu backend.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindData } from '$lib/data/bind';
import { makeToy } from '$lib/data/toys';
import type { BoundData } from '$lib/data/types';
import { inferShapes } from '$lib/spec/shape';
import { spiralSpec } from '$lib/spec/fixtures';
import type { EngineOpener, TrainingEngine } from '$lib/engines/engine';
import { runTraining, type TrainHooks } from '$lib/engines/train-loop';
import { createSession } from '$lib/worker/session';
import type { TrainEvent, TrainRequest } from '$lib/worker/protocol';
import { Stepper } from './stepper';

describe('Stepper', () => {
  it('pauses after one batch, or after the last batch of the epoch', () => {
    const s = new Stepper();
    expect(s.afterBatch({ batch: 1, batches: 4 })).toBe(false); // nothing asked: runs freely
    s.request('batch');
    expect(s.afterBatch({ batch: 2, batches: 4 })).toBe(true);
    expect(s.afterBatch({ batch: 3, batches: 4 })).toBe(false); // done: one batch only
    s.request('epoch');
    expect(s.afterBatch({ batch: 3, batches: 4 })).toBe(false);
    expect(s.afterBatch({ batch: 4, batches: 4 })).toBe(true);
    s.request('epoch');
    s.cancel();
    expect(s.afterBatch({ batch: 4, batches: 4 })).toBe(false);
  });
});

/** Records each step's learning rate; loss 1/(1+steps). */
function fakeEngine(steps: { lr: number }[], lr0: number): EngineOpener {
  return async () => {
    let lr = lr0;
    let pending: { loss: number; metrics: number[] }[] = [];
    const engine: TrainingEngine = {
      report: { engine: 'eager', requested: 'fake', actual: 'fake', fallbacks: [], detail: 'fake', buildMs: 0 },
      metrics: [],
      deferReadback: false,
      async step() {
        steps.push({ lr });
        pending.push({ loss: 1 / (1 + steps.length), metrics: [] });
        return null;
      },
      setLearningRate(v) {
        lr = v;
      },
      async flush() {},
      async readSteps() {
        const out = pending;
        pending = [];
        return out;
      },
      async evaluate() {
        return null;
      },
      async sync() {},
      async getWeights() {
        return {};
      },
      async setWeights() {},
      async predict() {
        return new Float32Array();
      },
      async dispose() {}
    };
    return engine;
  };
}

const data: BoundData = { x: new Float32Array(16 * 2), xShape: [16, 2], y: new Float32Array(16 * 3), yShape: [16, 3] } as BoundData;

describe('the training loop in teaching mode', () => {
  it('pauses where the Step says: one batch, then the rest of the epoch', async () => {
    const stepper = new Stepper();
    let paused = false;
    const waits: string[] = [];
    const steps: { lr: number }[] = [];
    const at = { epoch: 0, batch: 0 };
    const hooks: TrainHooks = {
      onEpoch: () => {},
      onBatch: (b) => Object.assign(at, b),
      shouldStop: () => false,
      isPaused: () => paused,
      afterBatch: (a) => {
        if (stepper.afterBatch(a)) paused = true;
      },
      async waitIfPaused() {
        if (!paused) return;
        waits.push(`${at.epoch}.${at.batch}`);
        // The teacher presses Step: a batch twice, then an epoch, then plays.
        const next = waits.length;
        if (next <= 2) stepper.request('batch');
        else if (next === 3) stepper.request('epoch');
        paused = false;
      }
    };
    stepper.request('batch'); // the run starts with a Step
    const spec = spiralSpec();
    const r = await runTraining(fakeEngine(steps, 0.01), spec, data, { seed: 1, epochs: 3, batchSize: 4, validationSplit: 0 }, hooks);
    expect(r.status).toBe('completed');
    // 4 batches an epoch: paused after 1.1, 1.2, 1.3, then at the end of epoch 1; then it ran freely.
    expect(waits).toEqual(['1.1', '1.2', '1.3', '1.4']);
    expect(steps).toHaveLength(12);
  });

  it('gives the engine a new learning rate from the next batch on', async () => {
    const steps: { lr: number }[] = [];
    let lr: number | null = null;
    let batches = 0;
    const hooks: TrainHooks = {
      onEpoch: () => {},
      shouldStop: () => false,
      waitIfPaused: async () => {},
      afterBatch: () => {
        if (++batches === 3) lr = 0.5; // changed while batch 3 ran
      },
      learningRate: () => lr
    };
    await runTraining(fakeEngine(steps, 0.01), spiralSpec(), data, { seed: 1, epochs: 2, batchSize: 4, validationSplit: 0 }, hooks);
    expect(steps.map((s) => s.lr)).toEqual([0.01, 0.01, 0.01, 0.5, 0.5, 0.5, 0.5, 0.5]);
  });
});

function request(epochs: number, extra: Partial<TrainRequest> = {}): TrainRequest {
  const spec = spiralSpec();
  spec.fit = { ...spec.fit!, epochs, batchSize: 32 };
  const { summary } = inferShapes(spec);
  const bound = bindData(makeToy({ name: 'spiral', seed: 1 }), spec, summary!.outputShapes[0]);
  if (!bound.ok) throw new Error(bound.message);
  return { spec, data: bound.data, backend: 'cpu', seed: 1, boundary: { resolution: 8, extent: [-1.2, 1.2, -1.2, 1.2] }, ...extra };
}

const until = async (f: () => boolean) => {
  while (!f()) await new Promise((r) => setTimeout(r, 5));
};

describe('the session in teaching mode (TF.js cpu, in-process)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('Step: a run started with a Step pauses after one batch and sends its pictures; Step epoch runs to the epoch end', async () => {
    const session = createSession({ tf, loaders: { load: async () => undefined }, flushMs: 10 });
    const events: TrainEvent[] = [];
    const run = session.train(request(5, { step: 'batch' }), (e) => events.push(...e));
    const pauses = () => events.filter((e) => e.type === 'paused').length;
    await until(() => pauses() === 1);
    const beforePause = events.slice(0, events.findIndex((e) => e.type === 'paused'));
    const boundary = beforePause.findLast((e) => e.type === 'boundary');
    expect(boundary).toMatchObject({ type: 'boundary', epoch: 1, batch: 1 });
    expect(beforePause.findLast((e) => e.type === 'progress')).toMatchObject({ epoch: 1, batch: 1 });
    // The stepped batch's histograms, with its gradients.
    const hist = beforePause.findLast((e) => e.type === 'histograms');
    expect(hist).toMatchObject({ epoch: 1, batch: 1 });
    expect(hist?.type === 'histograms' && hist.layers.some((l) => l.gradients)).toBe(true);
    expect(events.some((e) => e.type === 'epoch')).toBe(false);
    const batchLosses = beforePause.filter((e) => e.type === 'batches').reduce((n, e) => n + (e.type === 'batches' ? e.x.length : 0), 0);
    expect(batchLosses).toBe(1);

    session.step('epoch');
    await until(() => pauses() === 2);
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e.type === 'epoch' ? e.log.epoch : 0))).toEqual([1]);
    const last = events.slice(0, events.findLastIndex((e) => e.type === 'paused')).findLast((e) => e.type === 'boundary');
    expect(last).toMatchObject({ epoch: 1 });
    expect(last && 'batch' in last && last.batch).toBeFalsy();
    session.stop();
    await run;
    expect(events.at(-1)).toMatchObject({ type: 'done', outcome: 'stopped', epochs: 1 });
  });

  it.each(['adam', 'sgd', 'rmsprop'] as const)('a live learning rate reaches the TF.js optimizer (%s) from the next batch', async (optimizer) => {
    const session = createSession({ tf, loaders: { load: async () => undefined }, flushMs: 10 });
    const events: TrainEvent[] = [];
    const req = request(5, { step: 'batch' });
    req.spec = { ...req.spec, compile: { ...req.spec.compile!, optimizer: { ...req.spec.compile!.optimizer, name: optimizer } } };
    const run = session.train(req, (e) => events.push(...e));
    const pauses = () => events.filter((e) => e.type === 'paused').length;
    await until(() => pauses() === 1);
    const weights = async () => (await session.getWeights())!.weights.flatMap((w) => Array.from(w.values));
    const maxChange = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i])));
    const w1 = await weights();
    session.setLearningRate(1e-9);
    session.step('batch');
    await until(() => pauses() === 2);
    const w2 = await weights();
    expect(maxChange(w1, w2)).toBeLessThan(1e-6);
    session.setLearningRate(optimizer === 'sgd' ? 5 : 0.1);
    session.step('batch');
    await until(() => pauses() === 3);
    const w3 = await weights();
    expect(maxChange(w2, w3)).toBeGreaterThan(1e-3);
    session.stop();
    await run;
  });
});

describe('divergence after a live learning-rate change', () => {
  it('names the learning rate in use, not the program\'s', async () => {
    const steps: { lr: number }[] = [];
    const open: EngineOpener = async (setup) => {
      const e = await fakeEngine(steps, 0.01)(setup);
      const read = e.readSteps.bind(e);
      // NaN once the rate is huge.
      e.readSteps = async () => (await read()).map((r, i) => (steps[steps.length - 1 - i]?.lr > 1 ? { ...r, loss: NaN } : r));
      return e;
    };
    let n = 0;
    const r = await runTraining(open, spiralSpec(), data, { seed: 1, epochs: 1, batchSize: 4, validationSplit: 0 }, {
      onEpoch: () => {},
      shouldStop: () => false,
      waitIfPaused: async () => {},
      learningRate: () => (++n >= 2 ? 1000 : null)
    });
    expect(r.status).toBe('diverged');
    expect(r.status === 'diverged' && r.message).toMatch(/learning rate \(1000\)/);
  });
});
