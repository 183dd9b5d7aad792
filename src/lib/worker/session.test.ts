import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindData } from '$lib/data/bind';
import { makeToy } from '$lib/data/toys';
import { inferShapes } from '$lib/spec/shape';
import { spiralSpec } from '$lib/spec/fixtures';
import { createSession, explainError } from './session';
import type { TrainEvent, TrainRequest } from './protocol';

const loaders = { load: async () => undefined };

function request(epochs: number, backend: TrainRequest['backend'] = 'cpu'): TrainRequest {
  const spec = spiralSpec({ epochs } as never);
  spec.fit = { ...spec.fit!, epochs };
  const { summary } = inferShapes(spec);
  const bound = bindData(makeToy({ name: 'spiral', seed: 1 }), spec, summary!.outputShapes[0]);
  if (!bound.ok) throw new Error(bound.message);
  return { spec, data: bound.data, backend, seed: 1, boundary: { resolution: 8, extent: [-1.2, 1.2, -1.2, 1.2] } };
}

describe('training session (the worker logic, in-process)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('reports the backend that ran, epochs in batches, a boundary and completion', async () => {
    const session = createSession({ tf, loaders, flushMs: 50 });
    const batches: TrainEvent[][] = [];
    await session.train(request(3), (events) => batches.push(events));
    const events = batches.flat();
    const backend = events.find((e) => e.type === 'backend');
    expect(backend).toMatchObject({ type: 'backend', info: { requested: 'cpu', actual: 'cpu', failures: [] } });
    expect(events.filter((e) => e.type === 'epoch').map((e) => (e.type === 'epoch' ? e.log.epoch : 0))).toEqual([1, 2, 3]);
    const boundary = events.findLast((e) => e.type === 'boundary');
    expect(boundary?.type === 'boundary' && boundary.probs.length).toBe(8 * 8 * 3);
    expect(events.at(-1)).toEqual({ type: 'done', outcome: 'completed', epochs: 3 });
    // Events travel batched, not one message per event.
    expect(batches.length).toBeLessThan(events.length);
  });

  it('falls back from an unavailable backend and says why', async () => {
    const session = createSession({ tf, loaders });
    const events: TrainEvent[] = [];
    await session.train(request(1, 'webgpu'), (e) => events.push(...e));
    const info = events.find((e) => e.type === 'backend');
    expect(info?.type === 'backend' && info.info.actual).toBe('cpu');
    expect(info?.type === 'backend' && info.info.failures.map((f) => f.backend)).toEqual(['webgpu', 'webgl', 'wasm']);
    expect(info?.type === 'backend' && info.info.failures[0].reason).toMatch(/WebGPU/);
  });

  it('pauses, resumes and stops between batches', async () => {
    const session = createSession({ tf, loaders, flushMs: 10 });
    const events: TrainEvent[] = [];
    const epochs = () => events.filter((e) => e.type === 'epoch').length;
    const run = session.train(request(10_000), (e) => events.push(...e));
    while (epochs() < 2) await new Promise((r) => setTimeout(r, 5));
    session.pause();
    await new Promise((r) => setTimeout(r, 100));
    const pausedAt = epochs();
    await new Promise((r) => setTimeout(r, 300));
    expect(epochs()).toBe(pausedAt);
    expect(events.some((e) => e.type === 'paused')).toBe(true);
    session.resume();
    while (epochs() < pausedAt + 2) await new Promise((r) => setTimeout(r, 5));
    session.stop();
    await run;
    const done = events.at(-1);
    expect(done?.type).toBe('done');
    expect(done?.type === 'done' && done.outcome).toBe('stopped');
    expect(done?.type === 'done' && done.epochs).toBeLessThan(10_000);
  });

  it('reports a diverging run with a plain message', async () => {
    const session = createSession({ tf, loaders });
    const req = request(5);
    // A linear output with mse and a huge learning rate explodes (cross-entropy is clipped and would not).
    req.spec.layers[2].args.activation = null;
    req.spec.compile = { ...req.spec.compile!, loss: 'mse', optimizer: { ...req.spec.compile!.optimizer, name: 'sgd', learningRate: 1e9 } };
    const events: TrainEvent[] = [];
    await session.train(req, (e) => events.push(...e));
    const last = events.at(-1);
    expect(last?.type).toBe('diverged');
    expect(last?.type === 'diverged' && last.message).toMatch(/NaN|infinite/i);
  });
});

describe('error messages', () => {
  it('explains a backend that cannot train a layer, and names the alternatives', () => {
    const msg = explainError(new Error("Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"), 'wasm');
    expect(msg).toBe(
      "TF.js's WASM backend cannot train Conv2D or Conv1D layers (it has no Conv2DBackpropFilter kernel for the backward pass). Train this model on CPU, WebGL, WebGPU instead."
    );
  });
});
