/**
 * The compiled training loop: the same contract as the eager `trainModel` (engines/tfjs/train.ts) — same hooks,
 * same EpochLog/BatchLog, same shuffling (seed + epoch), same batches (partial last batch included), same
 * divergence message — but every step runs in ONE ONNX Runtime graph (runner.ts `CompiledTrainer`).
 *
 * The TF.js model built from the spec stays the source of the initial weights and, at the end of every epoch,
 * receives the compiled weights, so validation, the decision boundary, histograms and export keep using it. Dropout
 * uses the seeded masks of dropout-masks.ts (the eager side can use the same through `useDropoutMasks`).
 */
import { trainRows } from '$lib/data/bind';
import { mixSeed } from '$lib/data/rng';
import type { BoundData } from '$lib/data/types';
import type { Tfjs } from '$lib/layers/types';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { outputUnits, resolveMetrics } from '$lib/engines/tfjs/build';
import { closeEpoch, divergedResult, epochOrder, evaluateLoss, fitSettings, type EpochLog, type TrainHooks, type TrainOptions, type TrainResult } from '$lib/engines/tfjs/train';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import type { WeightMap } from '$lib/onnx/export';
import { CompiledTrainer, type OrtModule, type StepResult } from './runner';

import { compiledProviderFor, type CompiledProvider } from './providers';
export { compiledProviderFor, type CompiledProvider };

/** What the compiled engine runs on, for the UI. */
export interface CompiledInfo {
  requested: CompiledProvider;
  /** The ORT execution provider that actually runs ('wasm' or 'webgpu'). */
  provider: string;
  compileMs: number;
  /** Nodes in the K-step graph, and K. */
  nodeCount: number;
  stepsPerRun: number;
}

export interface CompiledHooks extends TrainHooks {
  onCompiled?(info: CompiledInfo): void;
}

const READBACK_MS = 200;
const YIELD_MS = 30;

const rowSize = (shape: number[]) => shape.slice(1).reduce((a, b) => a * b, 1);

/** The Keras weight name of a TF.js variable (as engines/tfjs/weights.ts reads it). */
function kerasWeightName(layerName: string, v: TF.LayerVariable): string {
  const original = (v as unknown as { originalName?: string }).originalName ?? v.name;
  const prefix = `${layerName}/`;
  return original.startsWith(prefix) ? original.slice(prefix.length) : original.slice(original.lastIndexOf('/') + 1);
}

/** Writes a WeightMap (as `getWeights` returns it) into the TF.js model built from `spec`. */
export function writeWeightMap(tf: Tfjs, model: TF.LayersModel, spec: ModelSpec, weights: WeightMap): void {
  for (const node of spec.layers) {
    const w = weights[node.id];
    if (!w) continue;
    const layer = model.getLayer(node.id);
    if (layer.weights.length === 0) continue;
    const values = layer.weights.map((v) => {
      const t = w[kerasWeightName(layer.name, v)];
      return t ? tf.tensor(t.data, t.shape) : v.read().clone();
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/** Gathers rows `idx` of a row-major array with `row` values per row. */
export function gatherRows(src: Float32Array, row: number, idx: ArrayLike<number>): Float32Array {
  const out = new Float32Array(idx.length * row);
  for (let i = 0; i < idx.length; i++) out.set(src.subarray(idx[i] * row, (idx[i] + 1) * row), i * row);
  return out;
}

/**
 * Trains `model` (built from `spec` by buildModel) with the compiled step. Returns like `trainModel`. The trainer is
 * disposed at the end; the TF.js model holds the final weights.
 */
export async function trainCompiled(
  ort: OrtModule,
  tf: Tfjs,
  model: TF.LayersModel,
  spec: ModelSpec,
  data: BoundData,
  opts: TrainOptions & { provider: CompiledProvider; stepsPerRun?: number },
  hooks: CompiledHooks
): Promise<TrainResult> {
  if (!spec.compile) throw new Error('The model is not compiled — call model.compile(...) before model.fit(...)');
  const { epochs, batchSize, split, shuffle, startEpoch } = fitSettings(spec, opts);
  const lossFn = model.lossFunctions?.[0];
  if (!lossFn) throw new Error('buildModel must compile the model before training');
  const metrics = resolveMetrics(tf, spec, outputUnits(model));

  const n = data.xShape[0];
  const nTrain = trainRows(n, split);
  const nVal = n - nTrain;
  if (nTrain <= 0) throw new Error(`validation_split=${split} leaves no rows to train on`);
  const rx = rowSize(data.xShape);
  const ry = rowSize(data.yShape);
  const batches = Math.ceil(nTrain / batchSize);

  const trainer = await CompiledTrainer.create(ort, {
    spec,
    batchSize,
    provider: opts.provider,
    weights: readTfjsWeights(model, spec),
    stepsPerRun: opts.stepsPerRun,
    // Step numbering of the masks restarts with each run; the seed keeps a continued run distinct.
    seed: mixSeed(opts.seed, startEpoch)
  });
  hooks.onCompiled?.({ requested: opts.provider, provider: trainer.provider, compileMs: trainer.compileMs, nodeCount: trainer.nodeCount, stepsPerRun: trainer.stepsPerRun });

  const history: EpochLog[] = [];
  let lastYield = performance.now();
  const finish = (status: 'completed' | 'stopped'): TrainResult => ({ status, epochs: history.length ? history[history.length - 1].epoch : startEpoch, history });

  const validate = async (): Promise<number[]> => {
    const xVal = tf.tensor(data.x.subarray(nTrain * rx, n * rx), [nVal, ...data.xShape.slice(1)], 'float32');
    const yVal = tf.tensor(data.y.subarray(nTrain * ry, n * ry), [nVal, ...data.yShape.slice(1)], 'float32');
    try {
      return await evaluateLoss(tf, model, lossFn, metrics, xVal, yVal);
    } finally {
      tf.dispose([xVal, yVal]);
    }
  };

  try {
    for (let e = 1; e <= epochs; e++) {
      const epoch = startEpoch + e;
      const order = epochOrder(nTrain, opts.seed, epoch, shuffle);
      const sums = new Float64Array(2);
      let trainMs = 0;
      /** Batches queued or run whose losses have not been read yet: [batch number, size]. */
      const unread: [number, number][] = [];
      let lastReadback = performance.now();
      const drain = async (): Promise<{ batch: number; loss: number } | null> => {
        const results: StepResult[] = await trainer.readLosses();
        const done = unread.splice(0, results.length);
        lastReadback = performance.now();
        for (let i = 0; i < results.length; i++) {
          const [batch, size] = done[i];
          const { loss, metric } = results[i];
          if (!Number.isFinite(loss)) return { batch, loss };
          sums[0] += loss * size;
          sums[1] += (metric ?? 0) * size;
          hooks.onBatch?.({ epoch, batch, batches, loss });
        }
        return null;
      };
      const diverged = (bad: { batch: number; loss: number }) => divergedResult(spec, bad, epoch, history);
      const syncWeights = async () => writeWeightMap(tf, model, spec, await trainer.getWeights());
      for (let b = 0; b < batches; b++) {
        if (hooks.shouldStop()) {
          await syncWeights();
          return finish('stopped');
        }
        if (hooks.isPaused?.()) {
          await trainer.flush();
          const bad = await drain();
          if (bad) return diverged(bad);
          await syncWeights(); // inspection and export while paused see the current weights
        }
        await hooks.waitIfPaused();
        if (hooks.shouldStop()) {
          await syncWeights();
          return finish('stopped');
        }
        const t0 = performance.now();
        const start = b * batchSize;
        const idx = order.subarray(start, Math.min(nTrain, start + batchSize));
        await trainer.step(gatherRows(data.x, rx, idx), gatherRows(data.y, ry, idx));
        unread.push([b + 1, idx.length]);
        if (b === batches - 1) await trainer.flush();
        if (b === batches - 1 || performance.now() - lastReadback >= READBACK_MS) {
          const bad = await drain();
          if (bad) return diverged(bad);
        }
        trainMs += performance.now() - t0;
        if (hooks.yieldNow && performance.now() - lastYield >= YIELD_MS) {
          await hooks.yieldNow();
          lastYield = performance.now();
        }
      }
      await syncWeights();
      const log: EpochLog = { epoch, loss: sums[0] / nTrain, ms: trainMs, valMs: 0 };
      if (metrics[0]) log[metrics[0].key] = sums[1] / nTrain;
      await closeEpoch(log, metrics, nVal > 0 ? validate : null, history, hooks);
    }
    return finish('completed');
  } finally {
    await trainer.dispose();
  }
}
