/**
 * Runs one benchmark cell over an injected TF.js (already set to its backend): builds the seeded model, makes a
 * seeded batch, times the first call (warm-up), a few untimed warm calls, then timed repeats — each call ends with
 * `await data()` on its result, so work queued on a GPU is counted. Also the bare `model.fit` baseline of the
 * app-overhead measurement. Runs in the bench worker and, on the cpu backend, in-process under vitest.
 */
import { describeBackend, type BackendInfo } from '$lib/engines/backend';
import { buildModel } from '$lib/engines/tfjs/build';
import type { EngineOpener } from '$lib/engines/engine';
import { blockSteps, timeSteps, warmUp } from '$lib/engines/step-timing';
import { buildTfjsEngine } from '$lib/engines/tfjs/engine';
import { mixSeed, Rng } from '$lib/data/rng';
import type { BoundData } from '$lib/data/types';
import type { Tfjs } from '$lib/layers/types';
import type { ModelSpec, Shape } from '$lib/spec/types';
import type { BenchModel } from './models';
import { gflops, maxAbsDiff, samplesPerSec, summarize } from './stats';
import { emptyRow, type BenchRow, type Cell, type RepeatOptions } from './suite';

export interface SyntheticBatch {
  x: Float32Array;
  xShape: number[];
  y: Float32Array;
  yShape: number[];
}

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);

/**
 * A seeded batch shaped for the model: inputs ~ N(0, 1) (images: uniform in [0, 1]), targets valid for its loss
 * (one-hot rows, class indices, 0/1, or N(0, 1) values for regression).
 */
export function syntheticBatch(spec: ModelSpec, outputShape: Shape, batch: number, seed: number): SyntheticBatch {
  const rng = new Rng(mixSeed(seed, batch, 0xba7c));
  const inShape = spec.inputs[0].shape;
  const x = new Float32Array(batch * size(inShape));
  const image = inShape.length === 3;
  // Token ids for an int32 input: below the smallest `input_dim` of the layers reading it (an Embedding's vocabulary).
  const dims = spec.layers.filter((l) => l.inputs.includes(spec.inputs[0].id) && typeof l.args.input_dim === 'number').map((l) => l.args.input_dim as number);
  const vocab = spec.inputs[0].dtype === 'int32' ? (dims.length ? Math.min(...dims) : 2) : 0;
  for (let i = 0; i < x.length; i++) x[i] = vocab ? rng.int(vocab) : image ? rng.next() : rng.normal();
  const units = outputShape[outputShape.length - 1] ?? 1;
  const loss = spec.compile?.loss ?? 'mse';
  let y: Float32Array;
  let yShape: number[];
  switch (loss) {
    case 'categorical_crossentropy':
      y = new Float32Array(batch * units);
      for (let i = 0; i < batch; i++) y[i * units + rng.int(units)] = 1;
      yShape = [batch, units];
      break;
    case 'sparse_categorical_crossentropy': {
      // One class index per output position: (batch,) for a (units,) output, (batch, steps) for (steps, units).
      const positions = size(outputShape.slice(0, -1));
      y = Float32Array.from({ length: batch * positions }, () => rng.int(units));
      yShape = [batch, ...outputShape.slice(0, -1)];
      break;
    }
    case 'binary_crossentropy':
      y = Float32Array.from({ length: batch * units }, () => rng.int(2));
      yShape = [batch, ...outputShape];
      break;
    default:
      y = Float32Array.from({ length: batch * size(outputShape) }, () => rng.normal());
      yShape = [batch, ...outputShape];
  }
  return { x, xShape: [batch, ...inShape], y, yShape };
}

export interface CellOptions {
  repeats: RepeatOptions;
  seed: number;
  /** Stop timing early (cancel). */
  shouldStop?: () => boolean;
  /** Only the values compared across backends (no timed repeats). */
  referenceOnly?: boolean;
  /**
   * The size sweep's limit (bench/sweep.ts): after the warm-up, a probe of max(K, 4) steps is timed (without the
   * first call's compilation); when the faster of the two is over
   * this per step (per call for inference), the cell stops there, untimed, with `overLimitMs` set.
   */
  maxStepMs?: number;
}

export interface CellMeasurement {
  warmupMs: number;
  /** Timed repeats, ms per call. */
  samples: number[];
  /**
   * What is compared with the CPU reference: inference outputs of the first call, or the losses of the first
   * 1 + warmCalls training steps.
   */
  values: Float32Array;
  /** Tensors and bytes this cell holds after its timed calls (model, optimizer state, inputs): tf.memory() then minus before the build. */
  tensors: number;
  bytes: number;
  /** Tensors the timed calls left behind. */
  leakedTensors: number;
  /** ms per step of the probe when it was over `maxStepMs` (the cell was not timed). */
  overLimitMs?: number;
}

/**
 * The timed repeats of a cell (after its warm-up): at least minRepeats, then until the budget is spent; never past
 * 4× the budget once there are 3 samples. `sample` runs one call and returns its time in ms.
 */
export async function timedRepeats(sample: () => Promise<number>, opts: Pick<CellOptions, 'repeats' | 'shouldStop'>): Promise<number[]> {
  const { minRepeats, maxRepeats, budgetMs } = opts.repeats;
  const samples: number[] = [];
  const start = performance.now();
  for (;;) {
    const spent = performance.now() - start;
    if (samples.length >= maxRepeats || opts.shouldStop?.()) break;
    if (samples.length >= minRepeats && spent >= budgetMs) break;
    if (samples.length >= 3 && spent >= 4 * budgetMs) break;
    samples.push(await sample());
  }
  return samples;
}

/** What the engine of a cell reports (ORT rows show it in their backend detail). */
export interface EngineCellExtra {
  /** The backend or ORT provider that ran. */
  provider: string;
  /** Building the engine (the compiled step: graph + sessions; ORT inference: the session), ms. */
  compileMs: number;
  nodeCount: number;
  /** Steps per call (the compiled engine runs K per run). */
  stepsPerRun: number;
  /** The compiled step on the playground's own WebGPU kernels: dispatches per step (absent when ORT runs it). */
  dispatchesPerStep?: number;
}

/**
 * Measures one cell on any engine (engines/engine.ts), opened on a seeded synthetic batch. A training call is one
 * block of `blockSteps(K)` steps (K = the engine's steps per run, 1 eager) timed as engines/step-timing.ts defines
 * "ms per training step" (steady; losses read back as the training loop does); its sample is ms per STEP. An inference call is one `predict`. The warm-up is the first call, timed from
 * before the engine was built; then a few untimed warm calls (fewer for slow cells), then the timed repeats. `values`:
 * the losses of the first max(K, 1 + warm calls) steps, or the first inference's outputs. `memory` (TF.js) counts
 * what the engine holds and leaks.
 */
export async function measureEngineCell(
  open: EngineOpener,
  m: BenchModel,
  cell: Pick<Cell, 'mode' | 'batch'>,
  opts: CellOptions,
  memory?: () => { numTensors: number; numBytes: number }
): Promise<CellMeasurement & EngineCellExtra> {
  const baseline = memory?.();
  const t0 = performance.now();
  const data = syntheticBatch(m.spec, m.summary.outputShapes[0], cell.batch, opts.seed);
  const engine = await open({ data: data as BoundData, nTrain: cell.batch, batchSize: cell.batch, seed: opts.seed, startEpoch: 0 });
  try {
    const train = cell.mode !== 'infer';
    const K = train ? (engine.report.stepsPerRun ?? 1) : 1;
    const block = train ? blockSteps(K) : 1;
    const rows = Int32Array.from({ length: cell.batch }, (_, i) => i);
    const call = async (steps = block): Promise<{ ms: number; values: number[] }> => {
      const s = performance.now();
      if (!train) {
        const out = await engine.predict(data.x, data.xShape);
        return { ms: performance.now() - s, values: Array.from(out) };
      }
      const t = await timeSteps(engine, () => rows, steps);
      return { ms: t.ms, values: t.losses };
    };
    const first = await call(K); // the warm-up: one run (K steps)
    const warmupMs = performance.now() - t0;
    const values = [...first.values];
    if (opts.maxStepMs !== undefined && !opts.referenceOnly) {
      // At least 4 steps: a deferring engine reads back once, at the end, as in a timed block. (The first call is no
      // guide alone: on a GPU it compiles the shaders, seconds per step.)
      const probe = await call(train ? Math.max(K, 4) : 1);
      if (train) values.push(...probe.values);
      const ms = Math.min(first.ms, probe.ms);
      if (ms > opts.maxStepMs) {
        const r = engine.report;
        return { warmupMs, samples: [], values: Float32Array.from(values), tensors: 0, bytes: 0, leakedTensors: 0, overLimitMs: ms, provider: r.actual, compileMs: r.buildMs, nodeCount: r.nodeCount ?? 0, stepsPerRun: K, dispatchesPerStep: r.dispatchesPerStep };
      }
    }
    const { warmCalls, budgetMs } = opts.repeats;
    // Slow cells (seconds per call on a software GPU) get fewer warm calls: at least one, as many as fit the budget.
    const warm = opts.referenceOnly ? warmCalls : Math.min(warmCalls, Math.max(1, Math.floor(budgetMs / Math.max(first.ms * block, 1e-3))));
    // Then on until two blocks agree (engines/step-timing.ts `warmUp`), within 4× the budget: a --quick run's slow cells
    // (a software GPU's first blocks settle over seconds) are timed in their steady state too.
    await warmUp(
      async () => {
        const v = await call();
        if (train) values.push(...v.values);
        return v.ms;
      },
      { min: warm, max: opts.referenceOnly ? warm : warm + 6, budgetMs: 4 * budgetMs }
    );
    const before = memory?.().numTensors ?? 0;
    const samples = opts.referenceOnly ? [] : await timedRepeats(async () => (await call()).ms, opts);
    const mem = memory?.();
    const r = engine.report;
    return {
      warmupMs,
      samples,
      values: Float32Array.from(train ? values.slice(0, Math.max(K, 1 + warm)) : values),
      tensors: mem && baseline ? mem.numTensors - baseline.numTensors : 0,
      bytes: mem && baseline ? mem.numBytes - baseline.numBytes : 0,
      leakedTensors: mem ? mem.numTensors - before : 0,
      provider: r.actual,
      compileMs: r.buildMs,
      nodeCount: r.nodeCount ?? 0,
      dispatchesPerStep: r.dispatchesPerStep,
      stepsPerRun: K
    };
  } finally {
    await engine.dispose();
  }
}

/** A TF.js cell (the eager engine on the current backend): see measureEngineCell. */
export async function measureCell(tf: Tfjs, m: BenchModel, cell: Pick<Cell, 'mode' | 'batch'>, opts: CellOptions, backend?: BackendInfo): Promise<CellMeasurement> {
  if (cell.mode === 'train-compiled') throw new Error('the compiled train step runs on ONNX Runtime, not TF.js');
  // fenceUpdate: each read-back also waits for the weight update, so a GPU finishes the whole step before it returns.
  return measureEngineCell(buildTfjsEngine(tf, m.spec, opts.seed, { backend, fenceUpdate: true }), m, cell, opts, () => tf.memory());
}

/** A result row from a measurement, the backend that ran it and the CPU reference values (if any). */
export function toRow(cell: Cell, m: BenchModel, r: CellMeasurement, info: BackendInfo | null, reference: Float32Array | null): BenchRow {
  const s = summarize(r.samples);
  const kind = cell.mode === 'infer' ? 'infer' : 'train';
  const flops = m.summary.flops;
  const ref = reference ? (cell.mode === 'infer' ? reference : reference.subarray(0, Math.min(reference.length, r.values.length))) : null;
  const mine = ref && cell.mode !== 'infer' ? r.values.subarray(0, ref.length) : r.values;
  return {
    ...emptyRow(cell, 'ok', null),
    actualBackend: info?.actual ?? null,
    backendDetail: info ? describeBackend(info) : null,
    initMs: info?.initMs ?? null,
    warmupMs: r.warmupMs,
    medianMs: r.samples.length ? s.median : null,
    p10Ms: r.samples.length ? s.p10 : null,
    p90Ms: r.samples.length ? s.p90 : null,
    repeats: r.samples.length,
    samplesPerSec: r.samples.length ? samplesPerSec(cell.batch, s.median) : null,
    gflops: r.samples.length ? gflops(flops, cell.batch, kind, s.median) : null,
    flopsPerSample: flops,
    tensors: r.tensors,
    bytes: r.bytes,
    leakedTensors: r.leakedTensors,
    maxAbsDiff: ref ? maxAbsDiff(mine, ref) : null
  };
}

/**
 * The bare-TF.js side of the app-overhead ratio: `model.fit` for `epochs` epochs with the spec's batch size and
 * validation split. Returns the wall ms from the model build to the end of the fit.
 */
export async function fitEpochs(tf: Tfjs, spec: ModelSpec, data: BoundData, seed: number, epochs: number): Promise<number> {
  // Timed from the model build, as the app's run is (its worker builds the model too).
  const t0 = performance.now();
  const model = buildModel(tf, spec, seed);
  const x = tf.tensor(data.x, data.xShape, 'float32');
  const y = tf.tensor(data.y, data.yShape, 'float32');
  try {
    await model.fit(x, y, {
      epochs,
      batchSize: spec.fit?.batchSize ?? 32,
      validationSplit: spec.fit?.validationSplit ?? 0,
      shuffle: spec.fit?.shuffle ?? true,
      verbose: 0
    });
    return performance.now() - t0;
  } finally {
    tf.dispose([x, y]);
    model.optimizer?.dispose();
    model.dispose();
  }
}
