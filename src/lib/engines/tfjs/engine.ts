/**
 * The eager engine: TF.js, op by op, over a LayersModel built from the spec (`buildModel`). Implements
 * `TrainingEngine` (engines/engine.ts); TF.js is passed in, never imported here at run time.
 *
 * A step is `optimizer.minimize` on the batch's rows gathered on the device; its [loss, ...metrics] stay on the
 * device until `readSteps` (one read-back for all of them). Regularisation penalties are added to the loss, as in
 * Keras. With `gradients`, the step computes and applies the gradients itself (what minimize does) and reads them
 * back for the histograms.
 */
import type { Tfjs } from '$lib/layers/types';
import type { WeightMap } from '$lib/onnx/export';
import type { ModelSpec } from '$lib/spec/types';
import type { GradientValues } from '$lib/worker/protocol';
import type * as TF from '@tensorflow/tfjs';
import { describeBackend, type BackendInfo } from '../backend';
import type { EngineOpener, EngineReport, EngineSetup, OpCount, StepValues, TrainingEngine } from '../engine';
import { useDropoutMasks } from '$lib/compile/dropout-masks';
import { buildModel, outputUnits, resolveMetrics, type ResolvedMetric } from './build';
import { readTfjsWeights, writeWeightMap } from './weights';

/** Rows per forward pass when validating. */
const EVAL_CHUNK = 2048;

export interface TfjsEngineOptions {
  tf: Tfjs;
  /** The model to train (built from `spec` by buildModel, compiled); it stays the caller's (not disposed). */
  model: TF.LayersModel;
  spec: ModelSpec;
  /** How the backend was resolved (resolveBackend), for the report; without it the report says `tf.getBackend()`. */
  backend?: BackendInfo;
  /** Dispose `model` (and its optimizer) with the engine. */
  ownsModel?: boolean;
  /**
   * Dropout draws the seeded masks of compile/dropout-masks.ts (this seed, the engine's step count) instead of TF.js'
   * random ones, so the compiled engine's steps can match it step for step (the comparison).
   */
  dropoutMaskSeed?: number;
  /** Step results also depend on the last updated weight, so a read-back waits for the whole update (benchmark timing). */
  fenceUpdate?: boolean;
}

/** Opens the eager engine on an existing model (the session's, a test's). */
export function tfjsEngine(opts: TfjsEngineOptions): EngineOpener {
  return async (setup) => new TfjsEngine(opts, setup);
}

/** Builds the seeded model from `spec` on the current TF.js backend and opens the eager engine on it (owns it). */
export function buildTfjsEngine(tf: Tfjs, spec: ModelSpec, initSeed: number, more: Omit<TfjsEngineOptions, 'tf' | 'model' | 'spec' | 'ownsModel'> = {}): EngineOpener {
  return async (setup) => {
    const t0 = performance.now();
    const model = buildModel(tf, spec, initSeed);
    const engine = new TfjsEngine({ ...more, tf, model, spec, ownsModel: true }, setup);
    engine.report.buildMs = performance.now() - t0;
    return engine;
  };
}

export class TfjsEngine implements TrainingEngine {
  readonly report: EngineReport;
  readonly metrics: ResolvedMetric['key'][];
  readonly deferReadback: boolean;
  readonly model: TF.LayersModel;
  private tf: Tfjs;
  private resolved: ResolvedMetric[];
  private lossFn: (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor;
  private optimizer: TF.Optimizer;
  private vars: TF.Variable[];
  private train: { x: TF.Tensor; y: TF.Tensor } | null = null;
  private val: { x: TF.Tensor; y: TF.Tensor } | null = null;
  private pending: TF.Tensor1D[] = [];
  /** Steps run (the dropout masks' step number). */
  private steps = 0;

  constructor(
    private opts: TfjsEngineOptions,
    private setup: EngineSetup
  ) {
    const { tf, model, spec } = opts;
    this.tf = tf;
    this.model = model;
    const optimizer = model.optimizer;
    const lossFn = model.lossFunctions?.[0];
    if (!optimizer || !lossFn) throw new Error('buildModel must compile the model before training');
    this.optimizer = optimizer;
    this.lossFn = lossFn;
    this.resolved = resolveMetrics(tf, spec, outputUnits(model));
    this.metrics = this.resolved.map((m) => m.key);
    this.vars = model.trainableWeights.map((w) => w.read() as TF.Variable);
    if (opts.dropoutMaskSeed !== undefined) useDropoutMasks(tf, model, spec, opts.dropoutMaskSeed, () => this.steps);
    const backend = tf.getBackend();
    // On GPU backends every read-back is a GPU→CPU sync: batch them. On cpu/wasm it is free: read each step.
    this.deferReadback = backend === 'webgl' || backend === 'webgpu';
    const info = opts.backend;
    this.report = {
      engine: 'eager',
      requested: info?.requested ?? backend,
      actual: backend,
      fallbacks: (info?.failures ?? []).map((f) => ({ tried: f.backend, reason: f.reason })),
      detail: `TF.js ${info && info.actual === backend ? describeBackend(info) : backend}`,
      buildMs: 0
    };
  }

  /** The rows [from, to) of the run's data as tensors. */
  private rows(from: number, to: number): { x: TF.Tensor; y: TF.Tensor } {
    const { tf } = this;
    const { data } = this.setup;
    const rx = data.xShape.slice(1).reduce((a, b) => a * b, 1);
    const ry = data.yShape.slice(1).reduce((a, b) => a * b, 1);
    return {
      x: tf.tensor(data.x.subarray(from * rx, to * rx), [to - from, ...data.xShape.slice(1)], 'float32'),
      y: tf.tensor(data.y.subarray(from * ry, to * ry), [to - from, ...data.yShape.slice(1)], 'float32')
    };
  }

  private regularization(): TF.Scalar | null {
    const losses = this.model.calculateLosses();
    return losses.length ? (this.tf.addN(losses) as TF.Scalar) : null;
  }

  async step(rows: Int32Array, opts?: { gradients?: boolean }): Promise<GradientValues[] | null> {
    const { tf, model, optimizer, lossFn, vars } = this;
    this.train ??= this.rows(0, this.setup.nTrain);
    const { x, y } = this.train;
    const capture: { grads?: TF.Tensor } | undefined = opts?.gradients ? {} : undefined;
    const out = tf.tidy(() => {
      const it = tf.tensor1d(rows, 'int32');
      const xb = tf.gather(x, it);
      const yb = tf.gather(y, it);
      const metricValues: TF.Tensor[] = [];
      const f = () => {
        const pred = model.apply(xb, { training: true }) as TF.Tensor;
        let loss = tf.mean(lossFn(yb, pred)) as TF.Scalar;
        for (const m of this.resolved) metricValues.push(tf.keep(tf.mean(m.fn(yb, pred))));
        const reg = this.regularization();
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
      this.steps++;
      // (The fence is the last weight's first value: computed after the update, read back and dropped.)
      const last = vars[vars.length - 1];
      const fence = this.opts.fenceUpdate && last ? [tf.reshape(tf.slice(tf.reshape(last, [-1]), 0, 1), [])] : [];
      const stacked = tf.stack([cost, ...metricValues, ...fence]) as TF.Tensor1D;
      tf.dispose(metricValues);
      return stacked;
    });
    this.pending.push(out);
    if (!capture?.grads) return null;
    const flat = (await capture.grads.data()) as Float32Array;
    capture.grads.dispose();
    let o = 0;
    return vars.map((v) => {
      const values = flat.slice(o, o + v.size);
      o += v.size;
      return { name: v.name, shape: v.shape.slice(), values };
    });
  }

  async flush(): Promise<void> {}

  /**
   * TF.js' SGD and momentum keep −lr as a tensor (`setLearningRate` replaces it); Adam, RMSprop and Adagrad read their
   * `learningRate` field at every `applyGradients`. Either way the next step uses `lr`.
   */
  setLearningRate(lr: number): void {
    const opt = this.optimizer as TF.Optimizer & { learningRate?: number; setLearningRate?: (lr: number) => void };
    if (typeof opt.setLearningRate === 'function') opt.setLearningRate(lr);
    else opt.learningRate = lr;
  }

  async readSteps(): Promise<StepValues[]> {
    const { tf } = this;
    if (this.pending.length === 0) return [];
    const pending = this.pending;
    this.pending = [];
    const stacked = tf.stack(pending);
    const values = await stacked.data();
    tf.dispose([stacked, ...pending]);
    const width = values.length / pending.length;
    const out: StepValues[] = [];
    for (let i = 0; i < pending.length; i++) {
      const row = Array.from(values.subarray(i * width, (i + 1) * width));
      out.push({ loss: row[0], metrics: row.slice(1, 1 + this.resolved.length) });
    }
    return out;
  }

  async evaluate(): Promise<number[] | null> {
    const { nTrain, data } = this.setup;
    const n = data.xShape[0];
    if (n === nTrain) return null;
    this.val ??= this.rows(nTrain, n);
    return evaluateLoss(this.tf, this.model, this.lossFn, this.resolved, this.val.x, this.val.y);
  }

  async sync(): Promise<void> {}

  async getWeights(): Promise<WeightMap> {
    return readTfjsWeights(this.model, this.opts.spec);
  }

  async setWeights(weights: WeightMap): Promise<void> {
    writeWeightMap(this.tf, this.model, this.opts.spec, weights);
  }

  async predict(x: Float32Array, shape: number[]): Promise<Float32Array> {
    const { tf, model } = this;
    const out = tf.tidy(() => {
      const o = model.apply(tf.tensor(x, shape, 'float32'), { training: false }) as TF.Tensor | TF.Tensor[];
      return Array.isArray(o) ? o[0] : o;
    });
    try {
      return new Float32Array((await out.data()) as Float32Array);
    } finally {
      out.dispose();
    }
  }

  /** TF.js kernels one training step on `rows`, or one inference, dispatches (tf.profile). */
  async opsPerCall(call: { step: Int32Array } | { predict: { x: Float32Array; shape: number[] } }): Promise<OpCount> {
    const { tf, model } = this;
    const prof =
      'step' in call
        ? await tf.profile(async () => {
            await this.step(call.step);
            tf.dispose(this.pending.splice(-1));
          })
        : await (async () => {
            const xt = tf.tensor(call.predict.x, call.predict.shape, 'float32');
            try {
              return await tf.profile(() => (model.apply(xt, { training: false }) as TF.Tensor).dispose());
            } finally {
              xt.dispose();
            }
          })();
    // (TF.js reuses its profile object: read it before the next tf.profile.)
    const names = new Map<string, number>();
    for (const k of prof.kernels) names.set(k.name, (names.get(k.name) ?? 0) + 1);
    return { count: prof.kernels.length, names: [...names].sort((a, b) => b[1] - a[1]) };
  }

  async dispose(): Promise<void> {
    const { tf } = this;
    tf.dispose(this.pending);
    this.pending = [];
    for (const t of [this.train, this.val]) if (t) tf.dispose([t.x, t.y]);
    this.train = this.val = null;
    if (this.opts.ownsModel) {
      this.model.optimizer?.dispose();
      this.model.dispose();
    }
  }
}

/**
 * Loss (plus the regularization penalties, as Keras reports it) and metrics of `model` in inference mode over
 * (x, y), in chunks, with one read-back: [loss, ...metrics].
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
