/**
 * The training loop, as a pure function over an injected TF.js: the worker calls it, vitest runs it
 * in-process on the cpu backend. A custom loop (not model.fit) so pause and stop act between batches.
 *
 * Keras semantics: the validation set is the LAST `validation_split` fraction of the rows (taken before
 * shuffling); the training rows are reshuffled every epoch (seeded: run seed + epoch); batches of
 * `batch_size` with a partial last batch; epoch loss/metrics are means over the epoch weighted by batch
 * size, computed on the training-mode forward pass (dropout on); validation runs at the end of the epoch
 * in inference mode. Regularisation penalties (when layers have them) are added to the loss, as in Keras.
 */
import { trainRows } from '$lib/data/bind';
import { mixSeed, Rng } from '$lib/data/rng';
import type { BoundData } from '$lib/data/types';
import type { Tfjs } from '$lib/layers/types';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { DEFAULT_LEARNING_RATE, outputUnits, resolveMetrics, type ResolvedMetric } from './build';

export interface EpochLog {
  /** 1-based, counted from the start of the run (includes `startEpoch`). */
  epoch: number;
  loss: number;
  acc?: number;
  valLoss?: number;
  valAcc?: number;
  mae?: number;
  valMae?: number;
  /** Wall ms of this epoch's training batches (validation excluded). */
  ms: number;
  /** Wall ms of this epoch's validation pass (0 when there is no validation set). */
  valMs: number;
}

export interface BatchLog {
  epoch: number;
  /** 1-based within the epoch. */
  batch: number;
  batches: number;
  loss: number;
}

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
   * after the optimizer applied them (so the weights are already updated) and awaited.
   */
  onGradients?(grads: GradientValues[], at: { epoch: number; batch: number }): void | Promise<void>;
}

export interface GradientValues {
  /** The TF.js variable name, e.g. "dense_1/kernel". */
  name: string;
  shape: number[];
  values: Float32Array;
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

/** Keys of the per-epoch metrics, for the UI. */
export const EPOCH_METRICS = [
  { key: 'loss', label: 'loss' },
  { key: 'valLoss', label: 'val_loss' },
  { key: 'acc', label: 'accuracy' },
  { key: 'valAcc', label: 'val_accuracy' },
  { key: 'mae', label: 'mae' },
  { key: 'valMae', label: 'val_mae' }
] as const satisfies readonly { key: keyof EpochLog; label: string }[];

const YIELD_MS = 30;
/** Rows per forward pass when validating. */
const EVAL_CHUNK = 2048;
/**
 * On GPU backends, batch results stay on the device and are read back together at most this often (and at each
 * epoch's end): one GPU→CPU sync per read-back instead of one per batch. A NaN is still located to its batch.
 */
const READBACK_MS = 200;

function rowSize(shape: number[]): number {
  return shape.slice(1).reduce((a, b) => a * b, 1);
}

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
 * epoch number, so the eager loop, the compiled loop and the comparison see the same batches.
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

export async function trainModel(
  tf: Tfjs,
  model: TF.LayersModel,
  spec: ModelSpec,
  data: BoundData,
  opts: TrainOptions,
  hooks: TrainHooks
): Promise<TrainResult> {
  if (!spec.compile) throw new Error('The model is not compiled — call model.compile(...) before model.fit(...)');
  const { epochs, batchSize, split, shuffle, startEpoch } = fitSettings(spec, opts);

  const optimizer = model.optimizer;
  const lossFn = model.lossFunctions?.[0];
  if (!optimizer || !lossFn) throw new Error('buildModel must compile the model before training');
  const metrics = resolveMetrics(tf, spec, outputUnits(model));
  const vars = model.trainableWeights.map((w) => w.read() as TF.Variable);

  const n = data.xShape[0];
  const nTrain = trainRows(n, split);
  const nVal = n - nTrain;
  if (nTrain <= 0) throw new Error(`validation_split=${split} leaves no rows to train on`);
  const rx = rowSize(data.xShape);
  const ry = rowSize(data.yShape);
  const xRest = data.xShape.slice(1);
  const yRest = data.yShape.slice(1);

  const xTrain = tf.tensor(data.x.subarray(0, nTrain * rx), [nTrain, ...xRest], 'float32');
  const yTrain = tf.tensor(data.y.subarray(0, nTrain * ry), [nTrain, ...yRest], 'float32');
  const xVal = nVal > 0 ? tf.tensor(data.x.subarray(nTrain * rx, n * rx), [nVal, ...xRest], 'float32') : null;
  const yVal = nVal > 0 ? tf.tensor(data.y.subarray(nTrain * ry, n * ry), [nVal, ...yRest], 'float32') : null;

  const batches = Math.ceil(nTrain / batchSize);
  // On GPU backends every read-back is a GPU→CPU sync: batch them. On cpu/wasm it is free: read each batch.
  const deferReadback = tf.getBackend() === 'webgl' || tf.getBackend() === 'webgpu';
  const history: EpochLog[] = [];
  let lastYield = performance.now();

  const regularization = (): TF.Scalar | null => {
    const losses = model.calculateLosses();
    return losses.length ? (tf.addN(losses) as TF.Scalar) : null;
  };

  /**
   * One optimizer step; returns [loss, ...metrics] for the batch. With `capture`, the gradients (flattened and
   * concatenated in `vars` order) are kept in `capture.grads` for the caller to read and dispose.
   */
  const step = (idx: Int32Array, capture?: { grads?: TF.Tensor }): TF.Tensor1D =>
    tf.tidy(() => {
      const it = tf.tensor1d(idx, 'int32');
      const xb = tf.gather(xTrain, it);
      const yb = tf.gather(yTrain, it);
      const metricValues: TF.Tensor[] = [];
      const f = () => {
        const pred = model.apply(xb, { training: true }) as TF.Tensor;
        let loss = tf.mean(lossFn(yb, pred)) as TF.Scalar;
        for (const m of metrics) metricValues.push(tf.keep(tf.mean(m.fn(yb, pred))));
        const reg = regularization();
        if (reg) loss = tf.add(loss, reg);
        return loss;
      };
      let cost: TF.Scalar;
      if (capture) {
        // What optimizer.minimize does, keeping the gradients for the histograms.
        const { value, grads } = optimizer.computeGradients(f, vars);
        optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] })));
        capture.grads = tf.keep(tf.concat(vars.map((v) => (grads[v.name] ? tf.reshape(grads[v.name], [-1]) : tf.zeros([v.size])))));
        cost = value;
      } else {
        cost = optimizer.minimize(f, true, vars) as TF.Scalar;
      }
      const out = tf.stack([cost, ...metricValues]) as TF.Tensor1D;
      tf.dispose(metricValues);
      return out;
    });

  const validate = () => evaluateLoss(tf, model, lossFn, metrics, xVal!, yVal!);

  const finish = (status: 'completed' | 'stopped'): TrainResult => ({
    status,
    epochs: history.length ? history[history.length - 1].epoch : startEpoch,
    history
  });

  try {
    for (let e = 1; e <= epochs; e++) {
      const epoch = startEpoch + e;
      const order = epochOrder(nTrain, opts.seed, epoch, shuffle);

      const sums = new Float64Array(1 + metrics.length);
      let trainMs = 0;
      // Batches whose [loss, ...metrics] are still on the device.
      let pending: { out: TF.Tensor1D; batch: number; size: number }[] = [];
      let lastReadback = performance.now();
      /** Reads pending batch results in one sync; returns the first non-finite batch, if any. */
      const drain = async (): Promise<{ batch: number; loss: number } | null> => {
        if (pending.length === 0) return null;
        const batch = pending;
        pending = [];
        const stacked = tf.stack(batch.map((p) => p.out));
        const values = await stacked.data();
        tf.dispose([stacked, ...batch.map((p) => p.out)]);
        const width = 1 + metrics.length;
        for (let i = 0; i < batch.length; i++) {
          const loss = values[i * width];
          if (!Number.isFinite(loss)) return { batch: batch[i].batch, loss };
          for (let k = 0; k < width; k++) sums[k] += values[i * width + k] * batch[i].size;
          hooks.onBatch?.({ epoch, batch: batch[i].batch, batches, loss });
        }
        lastReadback = performance.now();
        return null;
      };
      const diverged = (bad: { batch: number; loss: number }) => divergedResult(spec, bad, epoch, history);
      try {
        for (let b = 0; b < batches; b++) {
          if (hooks.shouldStop()) return finish('stopped');
          if (hooks.isPaused?.()) {
            const bad = await drain(); // a paused run shows its latest loss
            if (bad) return diverged(bad);
          }
          await hooks.waitIfPaused();
          if (hooks.shouldStop()) return finish('stopped');

          const t0 = performance.now();
          const start = b * batchSize;
          const size = Math.min(batchSize, nTrain - start);
          const capture = hooks.wantGradients?.() && hooks.onGradients ? {} as { grads?: TF.Tensor } : undefined;
          pending.push({ out: step(order.subarray(start, start + size), capture), batch: b + 1, size });
          if (capture?.grads) {
            const flat = (await capture.grads.data()) as Float32Array;
            capture.grads.dispose();
            let o = 0;
            const grads = vars.map((v) => {
              const values = flat.slice(o, o + v.size);
              o += v.size;
              return { name: v.name, shape: v.shape.slice(), values };
            });
            await hooks.onGradients!(grads, { epoch, batch: b + 1 });
          }
          if (!deferReadback || b === batches - 1 || performance.now() - lastReadback >= READBACK_MS) {
            const bad = await drain();
            if (bad) return diverged(bad);
          }
          trainMs += performance.now() - t0;

          if (hooks.yieldNow && performance.now() - lastYield >= YIELD_MS) {
            await hooks.yieldNow();
            lastYield = performance.now();
          }
        }
      } finally {
        tf.dispose(pending.map((p) => p.out));
      }

      const log: EpochLog = { epoch, loss: sums[0] / nTrain, ms: trainMs, valMs: 0 };
      metrics.forEach((m, k) => (log[m.key] = sums[k + 1] / nTrain));
      await closeEpoch(log, metrics, nVal > 0 ? validate : null, history, hooks);
    }
    return finish('completed');
  } finally {
    tf.dispose([xTrain, yTrain]);
    if (xVal) xVal.dispose();
    if (yVal) yVal.dispose();
  }
}

/**
 * Loss (plus the regularization penalties, as Keras reports it) and metrics of `model` in inference mode over
 * (x, y), in chunks, with one read-back: [loss, ...metrics]. Used for validation by the eager and compiled loops.
 */
export async function evaluateLoss(
  tf: Tfjs,
  model: TF.LayersModel,
  lossFn: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor,
  metrics: ResolvedMetric[],
  x: TF.Tensor,
  y: TF.Tensor
): Promise<number[]> {
  const n = x.shape[0];
  const sums = tf.tidy(() => {
    let acc: TF.Tensor = tf.zeros([1 + metrics.length]);
    for (let s = 0; s < n; s += EVAL_CHUNK) {
      const size = Math.min(EVAL_CHUNK, n - s);
      const xb = tf.slice(x, s, size);
      const yb = tf.slice(y, s, size);
      const pred = model.apply(xb, { training: false }) as TF.Tensor;
      const parts = [tf.mean(lossFn(yb, pred)), ...metrics.map((m) => tf.mean(m.fn(yb, pred)))];
      acc = tf.add(acc, tf.mul(tf.stack(parts), size));
    }
    const losses = model.calculateLosses();
    const mean = tf.div(acc, n);
    return losses.length ? tf.add(mean, tf.concat([tf.reshape(tf.addN(losses), [1]), tf.zeros([metrics.length])])) : mean;
  });
  const v = Array.from(await sums.data());
  sums.dispose();
  return v;
}

/** Ends an epoch whose training means are in `log`: validation (when there are validation rows), history, the hook. */
export async function closeEpoch(
  log: EpochLog,
  metrics: ResolvedMetric[],
  validate: (() => Promise<number[]>) | null,
  history: EpochLog[],
  hooks: Pick<TrainHooks, 'onEpoch'>
): Promise<void> {
  if (validate) {
    const t0 = performance.now();
    const v = await validate();
    log.valMs = performance.now() - t0;
    log.valLoss = v[0];
    metrics.forEach((m, k) => (log[m.key === 'acc' ? 'valAcc' : 'valMae'] = v[k + 1]));
  }
  history.push(log);
  await hooks.onEpoch(log);
}

export interface GridOptions {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  /** Cells per side. */
  resolution: number;
}

function gridTensor(tf: Tfjs, g: GridOptions): TF.Tensor2D {
  const r = Math.max(1, Math.floor(g.resolution));
  const pts = new Float32Array(r * r * 2);
  const dx = (g.xMax - g.xMin) / r;
  const dy = (g.yMax - g.yMin) / r;
  for (let row = 0; row < r; row++) {
    const y = g.yMin + (row + 0.5) * dy;
    for (let col = 0; col < r; col++) {
      const o = (row * r + col) * 2;
      pts[o] = g.xMin + (col + 0.5) * dx;
      pts[o + 1] = y;
    }
  }
  return tf.tensor2d(pts, [r * r, 2]);
}

function gridPredict(tf: Tfjs, model: TF.LayersModel, g: GridOptions): TF.Tensor {
  const inShape = model.inputs[0].shape;
  if (model.inputs.length !== 1 || inShape.length !== 2 || inShape[1] !== 2) {
    throw new Error('The decision boundary needs a model with one input of 2 features');
  }
  return tf.tidy(() => {
    const out = model.apply(gridTensor(tf, g), { training: false }) as TF.Tensor | TF.Tensor[];
    const t = Array.isArray(out) ? out[0] : out;
    return tf.reshape(t, [t.shape[0], -1]);
  });
}

/**
 * The model's outputs over a grid of cell centres, for the decision-boundary picture: row-major
 * `[row][col][class]` with row 0 at yMin and col 0 at xMin; `resolution² × units` values. For a
 * 1-unit sigmoid output that is p(class 1) per cell. One batched forward pass. Synchronous
 * (reads back with dataSync); prefer `predictGridAsync` on GPU backends.
 */
export function predictGrid(tf: Tfjs, model: TF.LayersModel, g: GridOptions): Float32Array {
  const t = gridPredict(tf, model, g);
  try {
    return new Float32Array(t.dataSync() as Float32Array);
  } finally {
    t.dispose();
  }
}

export async function predictGridAsync(tf: Tfjs, model: TF.LayersModel, g: GridOptions): Promise<Float32Array> {
  const t = gridPredict(tf, model, g);
  try {
    return new Float32Array((await t.data()) as Float32Array);
  } finally {
    t.dispose();
  }
}
