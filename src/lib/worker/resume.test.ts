/**
 * Resume exactly: save → reload → Continue goes on with the curve an uninterrupted run draws. The worker's session
 * code on the real TF.js cpu backend; the checkpoint goes through a structured clone, as IndexedDB stores it.
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { bindData } from '$lib/data/bind';
import { makeToy } from '$lib/data/toys';
import { inferShapes } from '$lib/spec/shape';
import { spiralSpec } from '$lib/spec/fixtures';
import { createSession } from './session';
import type { EpochLog, TrainEvent, TrainRequest, WeightSnapshot } from './protocol';

const loaders = { load: async () => undefined };
const loadOrt = async () => ort;

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
  const session = createSession({ tf, loaders, flushMs: 0, loadOrt });
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

describe('resume exactly on the compiled engine (ONNX Runtime wasm: the moments are graph inputs and outputs)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    ort.env.wasm.numThreads = 1;
  });
  const compiled = (epochs: number, optimizer: string, lr: number): TrainRequest => ({ ...request(epochs, optimizer, lr), engine: 'compiled' });

  for (const [optimizer, lr] of [
    ['adam', 0.01],
    ['rmsprop', 0.005]
  ] as const) {
    it(`${optimizer}: a compiled run continued after a reload gives the uninterrupted compiled run's next epochs`, async () => {
      const whole = await train(compiled(5, optimizer, lr));
      const first = await train(compiled(5, optimizer, lr), (log, stop) => log.epoch === 2 && stop());
      const saved = stored((await first.session.getCheckpoint())!);
      expect(saved).toMatchObject({ epoch: 2, engine: 'compiled' });
      // The same layout as the eager engine's save: TF.js' class name, `iter` (the steps taken), then the slots.
      expect(saved.optimizer?.slots[0]).toMatchObject({ name: 'iter', values: Float32Array.of(saved.optimizer!.slots[0].values[0]) });
      expect(saved.optimizer!.slots[0].values[0]).toBeGreaterThan(0);
      const rest = await train({ ...compiled(5, optimizer, lr), initialWeights: saved, startEpoch: saved.epoch });
      expect(rest.logs.map((l) => l.epoch)).toEqual([3, 4, 5]);
      for (const log of rest.logs) {
        const want = whole.logs.find((l) => l.epoch === log.epoch)!;
        expect(close(log.loss, want.loss), `epoch ${log.epoch}: ${log.loss} vs ${want.loss}`).toBe(true);
        expect(close(log.acc!, want.acc!)).toBe(true);
      }
    }, 120_000);
  }

  it("without the compiled optimizer's state the continued compiled curve is not the same (what the saved state buys)", async () => {
    const whole = await train(compiled(4, 'adam', 0.01));
    const first = await train(compiled(2, 'adam', 0.01));
    const saved = stored((await first.session.getCheckpoint())!);
    expect(saved.optimizer?.className).toBe('Adam');
    const { optimizer: _dropped, ...weightsOnly } = saved;
    void _dropped;
    const rest = await train({ ...compiled(4, 'adam', 0.01), initialWeights: weightsOnly, startEpoch: 2 });
    expect(Math.abs(rest.logs[0].loss - whole.logs[2].loss)).toBeGreaterThan(1e-3 * whole.logs[2].loss);
  }, 120_000);

  it('a compiled run stopped before its first epoch end keeps the state it continued from', async () => {
    const first = await train(compiled(2, 'adam', 0.01));
    const saved = stored((await first.session.getCheckpoint())!);
    const session = createSession({ tf, loaders, flushMs: 0, loadOrt });
    await session.train({ ...compiled(4, 'adam', 0.01), initialWeights: saved, startEpoch: 2 }, (batch) => {
      // Stopped as soon as the engine is built: no epoch of this run ends.
      if (batch.some((e) => e.type === 'compiled')) session.stop();
    });
    const again = stored((await session.getCheckpoint())!);
    expect(again.epoch).toBe(2);
    expect(again.optimizer?.slots.map((s) => s.values)).toEqual(saved.optimizer?.slots.map((s) => s.values));
  }, 120_000);

  // Across engines the steps are the same formulas in other kernels (TF.js vs ORT): the curves agree to float noise
  // (the engines' own agreement, train-loop.test.ts), not bit for bit; what matters is that the moments carry over.
  for (const [from, to] of [
    ['eager', 'compiled'],
    ['compiled', 'eager']
  ] as const) {
    it(`a run saved by the ${from} engine continues on the ${to} engine with its optimizer state`, async () => {
      const as = (e: 'eager' | 'compiled', epochs: number) => ({ ...request(epochs, 'adam', 0.01), engine: e });
      const whole = await train(as(from, 4));
      const first = await train(as(from, 2));
      const saved = stored((await first.session.getCheckpoint())!);
      const rest = await train({ ...as(to, 4), initialWeights: saved, startEpoch: 2 });
      const { optimizer: _dropped, ...weightsOnly } = saved;
      void _dropped;
      const restart = await train({ ...as(to, 4), initialWeights: weightsOnly, startEpoch: 2 });
      const off = (r: typeof rest) => Math.abs(r.logs[0].loss - whole.logs[2].loss) / whole.logs[2].loss;
      expect(off(rest)).toBeLessThan(1e-3);
      // Carrying the moments over is what keeps it on the curve: a restarted optimizer is much further off.
      expect(off(restart)).toBeGreaterThan(10 * off(rest));
    }, 120_000);
  }
});

describe('what Continue says it goes on with', () => {
  it('names the optimizer state (either engine), or says the optimizer restarts (old saves)', async () => {
    const { resumeNote } = await import('$lib/state/session-keeper.svelte');
    const w = { specKey: '', epoch: 3, weights: [] };
    expect(resumeNote({ ...w, engine: 'eager', optimizer: { className: 'Adam', slots: [{ name: 'iter', shape: [], values: Float32Array.of(24) }] } })).toBe(
      " (weights, Adam's state and step 24, the same batches)"
    );
    expect(resumeNote({ ...w, engine: 'compiled', optimizer: { className: 'RMSProp', slots: [{ name: 'iter', shape: [], values: Float32Array.of(16) }] } })).toBe(
      " (weights, RMSProp's state and step 16, the same batches)"
    );
    expect(resumeNote({ ...w, engine: 'compiled' })).toBe(' (the weights only: the optimizer restarts)');
    expect(resumeNote(w)).toBe(' (the weights only: the optimizer restarts)');
  });
});
