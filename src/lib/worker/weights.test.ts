import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindData } from '$lib/data/bind';
import { makeToy } from '$lib/data/toys';
import { inferShapes } from '$lib/spec/shape';
import { spiralSpec } from '$lib/spec/fixtures';
import { createSession } from './session';
import type { TrainEvent, TrainRequest, WeightSnapshot } from './protocol';
import { specKey } from './weights';

const loaders = { load: async () => undefined };

function request(epochs: number): TrainRequest {
  const spec = spiralSpec({ epochs } as never);
  spec.fit = { ...spec.fit!, epochs };
  const { summary } = inferShapes(spec);
  const bound = bindData(makeToy({ name: 'spiral', seed: 1 }), spec, summary!.outputShapes[0]);
  if (!bound.ok) throw new Error(bound.message);
  return { spec, data: bound.data, backend: 'cpu', seed: 1 };
}

const epochsOf = (events: TrainEvent[]) => events.flatMap((e) => (e.type === 'epoch' ? [e.log.epoch] : []));

describe('saving and restoring weights (session.getWeights, TrainRequest.initialWeights)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('has no weights before a model exists', async () => {
    expect(await createSession({ tf, loaders }).getWeights()).toBeNull();
  });

  it('reads the trained weights with their architecture and epoch, and a restored run continues from them', async () => {
    const session = createSession({ tf, loaders });
    await session.train(request(3), () => undefined);
    const saved = (await session.getWeights())!;
    expect(saved.epoch).toBe(3);
    expect(saved.specKey).toBe(specKey(request(3).spec));
    expect(saved.weights.map((w) => w.shape)).toEqual([[2, 16], [16], [16, 16], [16], [16, 3], [3]]);
    expect(saved.weights.every((w) => w.values instanceof Float32Array && w.values.some((v) => v !== 0))).toBe(true);
    // A structured clone (what IndexedDB stores) is what comes back after a reload.
    const stored: WeightSnapshot = structuredClone(saved);

    // A fresh worker (the page was reloaded): all epochs already done, so the model is exactly the saved one.
    const fresh = createSession({ tf, loaders });
    const events: TrainEvent[] = [];
    await fresh.train({ ...request(3), initialWeights: stored, startEpoch: 3 }, (e) => events.push(...e));
    expect(events.at(-1)).toEqual({ type: 'done', outcome: 'completed', epochs: 0 });
    const back = (await fresh.getWeights())!;
    expect(back.epoch).toBe(3);
    back.weights.forEach((w, i) => expect(Array.from(w.values)).toEqual(Array.from(saved.weights[i].values)));

    // Continuing to 5 epochs runs epochs 4 and 5 only, starting from the saved loss level, not from scratch.
    const cont: TrainEvent[] = [];
    await fresh.train({ ...request(5), initialWeights: stored, startEpoch: 3 }, (e) => cont.push(...e));
    expect(epochsOf(cont)).toEqual([4, 5]);
    const scratch: TrainEvent[] = [];
    await createSession({ tf, loaders }).train(request(1), (e) => scratch.push(...e));
    const firstLoss = (ev: TrainEvent[]) => ev.flatMap((e) => (e.type === 'epoch' ? [e.log.loss] : []))[0];
    expect(firstLoss(cont)).toBeLessThan(firstLoss(scratch));
  });

  it('refuses weights that do not fit the model, with a plain message', async () => {
    const session = createSession({ tf, loaders });
    await session.train(request(1), () => undefined);
    const saved = (await session.getWeights())!;
    const wrong: WeightSnapshot = { ...saved, weights: saved.weights.slice(0, 2) };
    const events: TrainEvent[] = [];
    await createSession({ tf, loaders }).train({ ...request(2), initialWeights: wrong, startEpoch: 1 }, (e) => events.push(...e));
    const err = events.find((e) => e.type === 'error');
    expect(err?.type === 'error' && err.message).toMatch(/^The saved weights do not fit this model: the saved weights have 2 tensors, the model has 6/);
  });
});
