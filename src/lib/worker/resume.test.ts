/**
 * Resume exactly: save → reload → Continue goes on with the curve an uninterrupted run draws. The worker's session
 * code on the real TF.js cpu backend; the checkpoint goes through a structured clone, as IndexedDB stores it.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindData } from '$lib/data/bind';
import { makeToy } from '$lib/data/toys';
import { inferShapes } from '$lib/spec/shape';
import { spiralSpec } from '$lib/spec/fixtures';
import { createSession } from './session';
import type { EpochLog, TrainEvent, TrainRequest, WeightSnapshot } from './protocol';

const loaders = { load: async () => undefined };

function request(epochs: number, optimizer: string, lr: number): TrainRequest {
  const spec = spiralSpec();
  spec.fit = { ...spec.fit!, epochs };
  spec.compile = { ...spec.compile!, optimizer: { ...spec.compile!.optimizer, name: optimizer as never, learningRate: lr } };
  const { summary } = inferShapes(spec);
  const bound = bindData(makeToy({ name: 'spiral', seed: 1 }), spec, summary!.outputShapes[0]);
  if (!bound.ok) throw new Error(bound.message);
  return { spec, data: bound.data, backend: 'cpu', seed: 7 };
}

async function train(req: TrainRequest, onEpoch?: (log: EpochLog, stop: () => void) => void) {
  const session = createSession({ tf, loaders, flushMs: 0 });
  const logs: EpochLog[] = [];
  const events: TrainEvent[] = [];
  await session.train(req, (batch) => {
    for (const e of batch) {
      events.push(e);
      if (e.type === 'epoch') {
        logs.push(e.log);
        onEpoch?.(e.log, () => session.stop());
      }
    }
  });
  const error = events.find((e) => e.type === 'error');
  if (error) throw new Error(error.type === 'error' ? error.message : '');
  return { session, logs };
}

/** As IndexedDB keeps it (a structured clone): nothing live survives. */
const stored = (w: WeightSnapshot): WeightSnapshot => structuredClone(w);

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * Math.max(1, Math.abs(b));

describe('resume exactly (weights, optimizer state, data order)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  for (const [optimizer, lr] of [
    ['adam', 0.01],
    ['rmsprop', 0.005],
    ['sgd', 0.1]
  ] as const) {
    it(`${optimizer}: continuing after a reload gives the uninterrupted run's next epochs`, async () => {
      const whole = await train(request(5, optimizer, lr));
      expect(whole.logs.map((l) => l.epoch)).toEqual([1, 2, 3, 4, 5]);

      // Saved after epoch 2 (the run planned 5 and was stopped, as a reload ends it), then continued in a new session.
      const first = await train(request(5, optimizer, lr), (log, stop) => log.epoch === 2 && stop());
      const saved = stored((await first.session.getCheckpoint())!);
      expect(saved.epoch).toBe(2);
      expect(saved.engine).toBe('eager');
      expect(saved.optimizer?.slots[0]).toMatchObject({ name: 'iter' });
      const rest = await train({ ...request(5, optimizer, lr), initialWeights: saved, startEpoch: saved.epoch });
      expect(rest.logs.map((l) => l.epoch)).toEqual([3, 4, 5]);
      for (const log of rest.logs) {
        const want = whole.logs.find((l) => l.epoch === log.epoch)!;
        expect(close(log.loss, want.loss), `epoch ${log.epoch}: ${log.loss} vs ${want.loss}`).toBe(true);
        expect(close(log.acc!, want.acc!)).toBe(true);
      }
    });
  }

  it('a run stopped in the middle of an epoch saves its last epoch end, and continuing from it is exact', async () => {
    const whole = await train(request(4, 'adam', 0.01));
    const session = createSession({ tf, loaders, flushMs: 0 });
    let epochs = 0;
    let batches = 0;
    const run = session.train(request(4, 'adam', 0.01), (batch) => {
      for (const e of batch) {
        if (e.type === 'epoch') epochs = e.log.epoch;
        // Stopped a few batches into epoch 2: those steps are not part of the checkpoint.
        if ((e.type === 'progress' || e.type === 'batches') && epochs === 1 && ++batches >= 2) session.stop();
      }
    });
    await run;
    const saved = stored((await session.getCheckpoint())!);
    expect(saved.epoch).toBe(1);
    const rest = await train({ ...request(4, 'adam', 0.01), initialWeights: saved, startEpoch: 1 });
    expect(rest.logs.map((l) => l.epoch)).toEqual([2, 3, 4]);
    for (const log of rest.logs) expect(close(log.loss, whole.logs[log.epoch - 1].loss)).toBe(true);
  });

  it("without the optimizer's state the continued curve is not the same (what the saved state buys)", async () => {
    const whole = await train(request(4, 'adam', 0.01));
    const first = await train(request(2, 'adam', 0.01));
    const saved = stored((await first.session.getCheckpoint())!);
    const { optimizer: _dropped, ...weightsOnly } = saved;
    void _dropped;
    const rest = await train({ ...request(4, 'adam', 0.01), initialWeights: weightsOnly, startEpoch: 2 });
    const diff = Math.abs(rest.logs[0].loss - whole.logs[2].loss);
    expect(diff).toBeGreaterThan(1e-3 * whole.logs[2].loss);
  });

  it('a saved optimizer state that does not fit the program is ignored (the optimizer restarts), the run goes on', async () => {
    const first = await train(request(2, 'adam', 0.01));
    const saved = stored((await first.session.getCheckpoint())!);
    // The program now uses RMSprop: Adam's moments do not apply.
    const rest = await train({ ...request(3, 'rmsprop', 0.005), initialWeights: saved, startEpoch: 2 });
    expect(rest.logs.map((l) => l.epoch)).toEqual([3]);
    expect(Number.isFinite(rest.logs[0].loss)).toBe(true);
  });
});

describe('what Continue says it goes on with', () => {
  it('names the optimizer state, or says the optimizer restarts (the compiled engine, old saves)', async () => {
    const { resumeNote } = await import('$lib/state/session-keeper.svelte');
    const w = { specKey: '', epoch: 3, weights: [] };
    expect(resumeNote({ ...w, engine: 'eager', optimizer: { className: 'Adam', slots: [{ name: 'iter', shape: [], values: Float32Array.of(24) }] } })).toBe(
      " (weights, Adam's state and step 24, the same batches)"
    );
    expect(resumeNote({ ...w, engine: 'compiled' })).toMatch(/compiled engine keeps its optimizer state in ONNX Runtime, which is not saved: the optimizer restarts/);
    expect(resumeNote(w)).toBe(' (the weights only: the optimizer restarts)');
  });
});
