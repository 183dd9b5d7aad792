/**
 * THE training loop, for every engine (engine.ts): eager TF.js and compiled ONNX Runtime runs go through it alike.
 * A custom loop (not model.fit) so pause and stop act between batches.
 *
 * Keras semantics: the validation set is the LAST `validation_split` fraction of the rows (taken before
 * shuffling); the training rows are reshuffled every epoch (seeded: run seed + epoch); batches of
 * `batch_size` with a partial last batch; epoch loss/metrics are means over the epoch weighted by batch
 * size, computed on the training-mode forward pass (dropout on); validation runs at the end of the epoch
 * in inference mode. Regularisation penalties (when layers have them) are added to the loss, as in Keras
 * (inside the engines).
 */
import { trainRows } from '$lib/data/bind';
import { mixSeed, Rng } from '$lib/data/rng';
import type { BoundData } from '$lib/data/types';
import type { ModelSpec } from '$lib/spec/types';
import type { BatchLog, EpochLog, GradientValues } from '$lib/worker/protocol';
import { DEFAULT_LEARNING_RATE } from './tfjs/build';
import type { EngineOpener, EngineReport, MetricKey } from './engine';

export type { BatchLog, EpochLog, GradientValues };

export interface TrainHooks {
  onEpoch(log: EpochLog): void | Promise<void>;
  onBatch?(log: BatchLog): void;
  /** Checked between batches. */
  shouldStop(): boolean;
  /** Awaited between batches. */
  waitIfPaused(): Promise<void>;
  /** Whether a pause has been asked for (pending batch results are read back before waiting). */
  isPaused?(): boolean;
  /** Lets the worker process messages; called about every 30 ms of work. */
  yieldNow?(): Promise<void>;
  /** Asked before each batch: whether to hand this batch's gradients to `onGradients` (for histograms). */
  wantGradients?(): boolean;
  /**
   * The batch's gradients, one entry per trainable weight (TF.js variable name), read back to the CPU; called
   * after the optimizer applied them (so the weights are already updated) and awaited. Engines that cannot give
   * gradients (the compiled one) never call it.
   */
  onGradients?(grads: GradientValues[], at: { epoch: number; batch: number }): void | Promise<void>;
  /** The engine is built: what runs (called once per run, before the first batch). */
  onEngine?(report: EngineReport): void;
  /**
   * Called after each batch's step was queued (teaching mode's Step: the session asks for a pause after one batch or
   * at an epoch's end; the pause then reads the step back and syncs the weights before waiting).
   */
  afterBatch?(at: { epoch: number; batch: number; batches: number }): void;
  /**
   * The learning rate for the next batch, asked before each one (a live change from the UI). A value other than the
   * last one applied goes to the engine (`setLearningRate`); undefined/null: the program's.
   */
  learningRate?(): number | null | undefined;
}

export type TrainResult =
  | { status: 'completed' | 'stopped'; /** Number of the last completed epoch. */ epochs: number; history: EpochLog[] }
  | { status: 'diverged'; epoch: number; batch: number; message: string; history: EpochLog[] };

export interface TrainOptions {
  seed: number;
  /** Epochs to run in this call (default: the spec's fit epochs, else 1). */
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  shuffle?: boolean;
  /** Epochs already done (continuing a run): numbering and shuffling continue from there. Default 0. */
  startEpoch?: number;
}

const YIELD_MS = 30;
/**
 * When an engine keeps step results on the device, they are read back together at most this often (and at each
 * epoch's end, and at a pause): one GPU→CPU sync per read-back instead of one per batch. A NaN is still located to its
 * batch. Each sync stalls the GPU pipeline (TF.js WebGL then polls a fence); at 200 ms, WebGL training was 1.2–1.7×
 * bare `model.fit` (which reads back at the epoch's end), at 1 s it is on par (README "What we learned").
 */
export const READBACK_MS = 1000;

function fmtNumber(v: number): string {
  return String(Number(v.toPrecision(6)));
}

export function divergenceMessage(spec: ModelSpec, value: number, epoch: number, batch: number): string {
  const what = Number.isNaN(value) ? 'NaN' : value > 0 ? 'infinite' : '-Infinity';
  const opt = spec.compile?.optimizer;
  const where = `at epoch ${epoch}, batch ${batch}`;
  if (!opt) return `The loss became ${what} ${where}.`;
  const lr = opt.learningRate;
  const dflt = DEFAULT_LEARNING_RATE[opt.name] ?? 0.001;
  const suggestion = lr > dflt ? dflt : lr / 10;
  return `The loss became ${what} ${where} — the learning rate (${fmtNumber(lr)}) is probably too high; try ${fmtNumber(suggestion)}`;
}

/** What a run trains with: the call's options over the program's `fit(...)`, Keras' defaults otherwise. */
export function fitSettings(spec: ModelSpec, opts: Partial<TrainOptions> = {}) {
  const fit = spec.fit;
  return {
    epochs: Math.max(0, Math.floor(opts.epochs ?? fit?.epochs ?? 1)),
    batchSize: Math.max(1, Math.floor(opts.batchSize ?? fit?.batchSize ?? 32)),
    split: opts.validationSplit ?? fit?.validationSplit ?? 0,
    shuffle: opts.shuffle ?? fit?.shuffle ?? true,
    startEpoch: opts.startEpoch ?? 0
  };
}

/**
 * The order of the training rows in one epoch: reshuffled every epoch (as Keras does) from the run seed and the
 * epoch number, so every engine and the comparison see the same batches.
 */
export function epochOrder(nTrain: number, seed: number, epoch: number, shuffle: boolean): Int32Array {
  const order = new Int32Array(nTrain);
  for (let i = 0; i < nTrain; i++) order[i] = i;
  if (shuffle) new Rng(mixSeed(seed, epoch, 0x5eed)).shuffle(order);
  return order;
}

/** The result of a run stopped by a non-finite loss at (epoch, batch), with the history so far. */
export function divergedResult(spec: ModelSpec, bad: { batch: number; loss: number }, epoch: number, history: EpochLog[]): TrainResult {
  return { status: 'diverged', epoch, batch: bad.batch, message: divergenceMessage(spec, bad.loss, epoch, bad.batch), history };
}

/** Ends an epoch whose training means are in `log`: validation (when there are validation rows), history, the hook. */
export async function closeEpoch(
  log: EpochLog,
  metrics: readonly MetricKey[],
  validate: (() => Promise<number[] | null>) | null,
  history: EpochLog[],
  hooks: Pick<TrainHooks, 'onEpoch'>
): Promise<void> {
  if (validate) {
    const t0 = performance.now();
    const v = await validate();
    if (v) {
      log.valMs = performance.now() - t0;
      log.valLoss = v[0];
      metrics.forEach((m, k) => (log[m === 'acc' ? 'valAcc' : 'valMae'] = v[k + 1]));
    }
  }
  history.push(log);
  await hooks.onEpoch(log);
}

/**
 * Trains `spec` on `data` with the engine `open` builds for this run (eager, compiled, …), epochs × batches, with
 * the hooks (pause, stop, progress, gradients). The engine is disposed at the end.
 */
export async function runTraining(open: EngineOpener, spec: ModelSpec, data: BoundData, opts: TrainOptions, hooks: TrainHooks): Promise<TrainResult> {
  if (!spec.compile) throw new Error('The model is not compiled — call model.compile(...) before model.fit(...)');
  const { epochs, batchSize, split, shuffle, startEpoch } = fitSettings(spec, opts);
  const n = data.xShape[0];
  const nTrain = trainRows(n, split);
  const nVal = n - nTrain;
  if (nTrain <= 0) throw new Error(`validation_split=${split} leaves no rows to train on`);
  const batches = Math.ceil(nTrain / batchSize);

  const engine = await open({ data, nTrain, batchSize, seed: opts.seed, startEpoch });
  const metrics = engine.metrics;
  const history: EpochLog[] = [];
  /** The learning rate last given to the engine (live changes); the engine starts with the program's. */
  let appliedLr = spec.compile.optimizer?.learningRate;
  let lastYield = performance.now();
  const finish = async (status: 'completed' | 'stopped'): Promise<TrainResult> => {
    if (status === 'stopped') await engine.sync();
    return { status, epochs: history.length ? history[history.length - 1].epoch : startEpoch, history };
  };

  try {
    hooks.onEngine?.(engine.report);
    for (let e = 1; e <= epochs; e++) {
      const epoch = startEpoch + e;
      const order = epochOrder(nTrain, opts.seed, epoch, shuffle);
      const sums = new Float64Array(1 + metrics.length);
      /** How many metrics the engine reports per step (the compiled step: the first one only). */
      let reported = 0;
      let trainMs = 0;
      /** Steps queued or run whose results have not been read yet: [batch number, size]. */
      const unread: [number, number][] = [];
      let lastReadback = performance.now();
      /** Reads the results of the steps run so far in one read-back; returns the first non-finite batch, if any. */
      const drain = async (): Promise<{ batch: number; loss: number } | null> => {
        const results = await engine.readSteps();
        const done = unread.splice(0, results.length);
        lastReadback = performance.now();
        for (let i = 0; i < results.length; i++) {
          const [batch, size] = done[i];
          const { loss, metrics: values } = results[i];
          if (!Number.isFinite(loss)) return { batch, loss };
          sums[0] += loss * size;
          reported = Math.max(reported, values.length);
          for (let k = 0; k < values.length && k < metrics.length; k++) sums[k + 1] += values[k] * size;
          hooks.onBatch?.({ epoch, batch, batches, loss });
        }
        return null;
      };
      // The message names the learning rate in use (a live change in teaching mode), not only the program's.
      const diverged = (bad: { batch: number; loss: number }) => {
        const c = spec.compile!;
        const live = appliedLr !== undefined && appliedLr !== c.optimizer?.learningRate;
        return divergedResult(live ? { ...spec, compile: { ...c, optimizer: { ...c.optimizer, learningRate: appliedLr! } } } : spec, bad, epoch, history);
      };

      for (let b = 0; b < batches; b++) {
        if (hooks.shouldStop()) return await finish('stopped');
        if (hooks.isPaused?.()) {
          // A paused run shows its latest loss, and inspection and export see the current weights.
          await engine.flush();
          const bad = await drain();
          if (bad) return diverged(bad);
          await engine.sync();
        }
        await hooks.waitIfPaused();
        if (hooks.shouldStop()) return await finish('stopped');

        const t0 = performance.now();
        const start = b * batchSize;
        const rows = order.subarray(start, Math.min(nTrain, start + batchSize));
        const lr = hooks.learningRate?.();
        if (lr != null && Number.isFinite(lr) && lr > 0 && lr !== appliedLr) {
          engine.setLearningRate?.(lr);
          appliedLr = lr;
        }
        const wantGrads = Boolean(hooks.wantGradients?.() && hooks.onGradients);
        const grads = await engine.step(rows, wantGrads ? { gradients: true } : undefined);
        unread.push([b + 1, rows.length]);
        if (grads) await hooks.onGradients!(grads, { epoch, batch: b + 1 });
        hooks.afterBatch?.({ epoch, batch: b + 1, batches });
        const last = b === batches - 1;
        if (last) await engine.flush();
        if (!engine.deferReadback || last || performance.now() - lastReadback >= READBACK_MS) {
          const bad = await drain();
          if (bad) return diverged(bad);
        }
        trainMs += performance.now() - t0;

        if (hooks.yieldNow && performance.now() - lastYield >= YIELD_MS) {
          await hooks.yieldNow();
          lastYield = performance.now();
        }
      }

      await engine.sync();
      const log: EpochLog = { epoch, loss: sums[0] / nTrain, ms: trainMs, valMs: 0 };
      metrics.forEach((m, k) => {
        if (k < reported) log[m] = sums[k + 1] / nTrain;
      });
      await closeEpoch(log, metrics, nVal > 0 ? () => engine.evaluate() : null, history, hooks);
    }
    return await finish('completed');
  } finally {
    await engine.dispose();
  }
}
