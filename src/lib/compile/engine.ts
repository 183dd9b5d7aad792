/**
 * The compiled engine: `TrainingEngine` (engines/engine.ts) over the compiled trainer (runner.ts: the ModelSpec
 * lowered to one ONNX graph of K whole training steps, run by ONNX Runtime Web). ORT is passed in.
 *
 * Steps gather their rows on the host and queue them in the trainer (it runs K at a time); results stay where ORT
 * computed them until `readSteps`. Dropout uses the seeded masks of dropout-masks.ts.
 *
 * What still needs TF.js, and only through the optional `mirror` (a TF.js model built from the same spec):
 * - the initial weights, when `weights` is not given (read from the mirror, so eager and compiled start equal);
 * - validation (`evaluate`: the mirror in inference mode, after `sync` copied the compiled weights into it), because
 *   the loss functions and metrics are not lowered to an inference graph yet;
 * - `sync` copies the weights into the mirror so the session's pictures, inspection and export see them.
 * `predict` runs on ORT (the exported forward graph with the current weights).
 */
import { inputTensor } from '$lib/onnx/export-feeds';
import type { Tfjs } from '$lib/layers/types';
import { exportOnnx, exportOnnxBytes, type WeightMap } from '$lib/onnx/export';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { mixSeed } from '$lib/data/rng';
import { gatherRows, rowSize, type EngineOpener, type EngineReport, type EngineSetup, type LogCapture, type MetricKey, type OpCount, type StepGraph, type StepValues, type TrainingEngine } from '$lib/engines/engine';
import { TfjsEngine } from '$lib/engines/tfjs/engine';
import { readTfjsWeights, writeWeightMap } from '$lib/engines/tfjs/weights';
import { encodeModel } from '$lib/onnx/graph';
import { inspectModel } from '$lib/onnx/inspect';
import { createOrtSession, parsePlacements } from '$lib/onnx/ort-run';
import { compileTrainStep } from './train-step';
import { legalizeForWebGpu } from './webgpu-legalize';
import type { CompiledProvider } from './providers';
import { CompiledTrainer, type CompiledOptimizerState, type OrtModule } from './runner';
import type { OptimizerState } from '$lib/worker/protocol';
import { compiledToSaved, savedToCompiled } from '$lib/worker/optimizer-state';

export interface CompiledEngineOptions {
  ort: OrtModule;
  spec: ModelSpec;
  /** The ORT provider asked for (the trainer falls back to wasm and says why). */
  provider: CompiledProvider;
  /** K batches per run (default: the trainer's, 8 on wasm, 4 on webgpu). */
  stepsPerRun?: number;
  /** Initial weights; default: read from `mirror`. */
  weights?: WeightMap;
  /** The TF.js model built from `spec` that validation reads and `sync` writes (see the file comment). */
  mirror?: { tf: Tfjs; model: TF.LayersModel };
  /** The metrics the step reports (default: the mirror's resolved metrics, else none). */
  metrics?: MetricKey[];
  /** Seed of the dropout masks (default: the run seed mixed with the start epoch). */
  maskSeed?: number;
  /**
   * Inference only (the benchmark's ORT inference cells): no training step is compiled; `predict` runs the exported
   * forward graph with `weights`, its session created at open (`report.buildMs`); `step` refuses.
   */
  inferOnly?: boolean;
  /**
   * The optimizer's saved state to continue from (resume exactly; either engine's save, read through the `mirror`'s
   * layout). A state that does not fit the program is dropped and `optimizerNote` says why: the optimizer restarts.
   */
  optimizer?: OptimizerState;
}

/** Opens the compiled engine for a run: compiles the step for the run's batch size and creates the ORT sessions. */
export function compiledEngine(opts: CompiledEngineOptions): EngineOpener {
  return (setup) => CompiledEngine.open(opts, setup);
}

export class CompiledEngine implements TrainingEngine {
  readonly deferReadback = true;
  private predictor: { session: Awaited<ReturnType<typeof createOrtSession>>['session']; input: string; output: string; provider: string } | null = null;
  private trained = false;
  /** Whether the mirror holds the current weights. */
  private synced = false;
  /** Why the saved optimizer state (`opts.optimizer`) was not restored; null when it was, or none was given. */
  optimizerNote: string | null = null;

  private constructor(
    private opts: CompiledEngineOptions,
    private setup: EngineSetup,
    /** Null for an inference-only engine. */
    private readonly trainer: CompiledTrainer | null,
    private initial: WeightMap,
    readonly report: EngineReport,
    readonly metrics: MetricKey[],
    /** The eager engine over the mirror, for validation (null without a mirror). */
    private validator: TfjsEngine | null
  ) {}

  static async open(opts: CompiledEngineOptions, setup: EngineSetup): Promise<CompiledEngine> {
    const { ort, spec, mirror } = opts;
    const weights = opts.weights ?? (mirror ? readTfjsWeights(mirror.model, spec) : null);
    if (!weights) throw new Error('The compiled engine needs initial weights (`weights`, or a TF.js `mirror` to read them from)');
    const evalEngine = mirror ? new TfjsEngine({ tf: mirror.tf, model: mirror.model, spec }, setup) : null;
    const metrics = opts.metrics ?? evalEngine?.metrics.slice() ?? [];
    if (opts.inferOnly) {
      const engine = new CompiledEngine(opts, setup, null, weights, { engine: 'compiled', requested: opts.provider, actual: opts.provider, fallbacks: [], detail: '', buildMs: 0 }, metrics, evalEngine);
      const t0 = performance.now();
      const fallbacks = await engine.predictSession();
      const actual = engine.predictor!.provider;
      Object.assign(engine.report, { actual, fallbacks, buildMs: performance.now() - t0, detail: describeOrt(actual, fallbacks) });
      return engine;
    }
    let restored: CompiledOptimizerState | undefined;
    let optimizerNote: string | null = null;
    if (opts.optimizer) {
      const r = mirror ? savedToCompiled(opts.optimizer, mirror.model, spec) : 'the compiled engine reads the saved layout through its TF.js mirror';
      if (typeof r === 'string') optimizerNote = r;
      else restored = r;
    }
    const trainer = await CompiledTrainer.create(ort, {
      spec,
      batchSize: setup.batchSize,
      provider: opts.provider,
      weights,
      stepsPerRun: opts.stepsPerRun,
      // Step numbering of the masks restarts with each run; the seed keeps a continued run distinct. A run continued
      // with its optimizer state numbers them on from its step count with the run's seed: the uninterrupted masks.
      seed: opts.maskSeed ?? mixSeed(setup.seed, restored ? 0 : setup.startEpoch),
      ...(restored ? { optimizer: restored } : {})
    });
    const fallbacks: EngineReport['fallbacks'] = trainer.fallbacks.slice();
    const capture = trainer.graphCapture;
    const kernels = trainer.kernels;
    if (kernels.error) fallbacks.push({ tried: 'own WebGPU kernels', reason: kernels.error });
    if (trainer.provider === 'webgpu' && !kernels.active && !capture.active) fallbacks.push({ tried: 'graph capture', reason: capture.error });
    const report: EngineReport = {
      engine: 'compiled',
      requested: opts.provider,
      actual: trainer.provider,
      fallbacks,
      detail: kernels.active
        ? `WebGPU, the playground's own kernels (${kernels.dispatchesPerStep} dispatches per step)`
        : describeOrt(trainer.provider, fallbacks) + (capture.active ? ', WebGPU graph capture' : ''),
      buildMs: trainer.compileMs,
      nodeCount: trainer.nodeCount,
      stepsPerRun: trainer.stepsPerRun,
      ...(kernels.active ? { dispatchesPerStep: kernels.dispatchesPerStep } : {}),
      ...(trainer.provider === 'webgpu' && !kernels.active ? { graphCapture: capture.active } : {})
    };
    const engine = new CompiledEngine(opts, setup, trainer, weights, report, metrics, evalEngine);
    engine.optimizerNote = optimizerNote;
    return engine;
  }

  /** The optimizer's state now, in the saved layout (null without a trainer or a mirror to name the weights). */
  async optimizerState(): Promise<OptimizerState | null> {
    const m = this.opts.mirror;
    if (!this.trainer || !m) return null;
    const s = compiledToSaved(await this.trainer.getOptimizerState(), m.model, this.opts.spec);
    return typeof s === 'string' ? null : s;
  }

  async step(rows: Int32Array): Promise<null> {
    const { data } = this.setup;
    if (!this.trainer) throw new Error('This compiled engine was opened for inference only');
    this.trained = true;
    this.synced = false;
    await this.trainer.step(gatherRows(data.x, rowSize(data.xShape), rows), gatherRows(data.y, rowSize(data.yShape), rows));
    return null;
  }

  async flush(): Promise<void> {
    await this.trainer?.flush();
  }

  /** `lr` is a graph input: the next ORT run (its K queued steps, or a flushed remainder) feeds the new value. */
  setLearningRate(lr: number): void {
    this.trainer?.setLearningRate(lr);
  }

  async readSteps(): Promise<StepValues[]> {
    const has = this.metrics.length > 0;
    if (!this.trainer) return [];
    const steps = await this.trainer.readLosses();
    // Graph capture that failed while running (the trainer went on without it): said once, in the report.
    if (this.report.graphCapture && !this.trainer.graphCapture.active) {
      this.report.graphCapture = false;
      this.report.fallbacks.push({ tried: 'graph capture', reason: this.trainer.graphCapture.error });
    }
    return steps.map((r) => ({ loss: r.loss, metrics: has ? [r.metric ?? 0] : [] }));
  }

  async evaluate(): Promise<number[] | null> {
    if (!this.validator) throw new Error('The compiled engine validates through a TF.js model: open it with a `mirror`');
    if (!this.synced) await this.sync();
    return this.validator.evaluate();
  }

  async sync(): Promise<void> {
    const m = this.opts.mirror;
    if (m) writeWeightMap(m.tf, m.model, this.opts.spec, await this.getWeights());
    this.synced = true;
  }

  async getWeights(): Promise<WeightMap> {
    return this.trainer ? this.trainer.getWeights() : this.initial;
  }

  async setWeights(weights: WeightMap): Promise<void> {
    // A new trainer would be needed to restart from other weights; not needed by any caller yet.
    void weights;
    throw new Error('The compiled engine cannot replace its weights mid-run; open a new one with `weights`');
  }

  /** (Re)creates the inference session from the current weights; returns the providers it fell back from. */
  private async predictSession() {
    await this.predictor?.session.release();
    this.predictor = null;
    const bytes = exportOnnxBytes(this.opts.spec, await this.getWeights());
    const requested = this.trainer ? (this.report.actual === 'webgpu' ? 'webgpu' : 'wasm') : this.opts.provider;
    // Verbose session log: ORT prints its node placements (the comparison captures them).
    const { session, provider, fallbacks } = await createOrtSession(this.opts.ort, bytes, requested, { graphOptimizationLevel: 'all', logSeverityLevel: 0, logVerbosityLevel: 0 });
    this.predictor = { session, input: session.inputNames[0], output: session.outputNames[0], provider };
    this.trained = false;
    return fallbacks;
  }

  async predict(x: Float32Array, shape: number[]): Promise<Float32Array> {
    const ort = this.opts.ort;
    if (!this.predictor || this.trained) await this.predictSession();
    const { session, input, output } = this.predictor!;
    const out = await session.run({ [input]: inputTensor(ort, session, input, x, shape) });
    try {
      return Float32Array.from((await out[output].getData()) as Float32Array);
    } finally {
      for (const t of Object.values(out)) t.dispose();
    }
  }

  /** Graph nodes per step (the K-step graph's nodes / K), or of the exported forward graph for an inference. */
  async opsPerCall(call: { step: Int32Array } | { predict: unknown }): Promise<OpCount> {
    if ('step' in call) return { count: this.trainer ? this.trainer.nodeCount / this.trainer.stepsPerRun : 0, names: [] };
    const nodes = exportOnnx(this.opts.spec, await this.getWeights(), {}).graph.nodes;
    const names = new Map<string, number>();
    for (const n of nodes) names.set(n.op, (names.get(n.op) ?? 0) + 1);
    return { count: nodes.length, names: [...names].sort((a, b) => b[1] - a[1]) };
  }

  /**
   * The one-step training graph (from the initial weights) and ORT's node placements for it: a session of that graph
   * on the provider that runs, created with ORT's verbose log on (the engine's own sessions log at warning level).
   */
  async stepGraph(capture: LogCapture): Promise<StepGraph> {
    const one = compileTrainStep(this.opts.spec, { batchSize: this.setup.batchSize, steps: 1, weights: this.initial });
    if (this.report.actual === 'webgpu') one.model = legalizeForWebGpu(one.model).model; // as the trainer runs it
    // On the own WebGPU kernels ORT places nothing: no probe session (it would also start ORT's WebGPU for nothing).
    if (this.report.dispatchesPerStep !== undefined) return { graph: inspectModel(one.model), placements: [] };
    const probe = await capture(() =>
      createOrtSession(this.opts.ort, encodeModel(one.model), this.report.actual === 'webgpu' ? 'webgpu' : 'wasm', { graphOptimizationLevel: 'all', logSeverityLevel: 0, logVerbosityLevel: 0 })
    );
    await probe.value.session.release();
    return { graph: inspectModel(one.model), placements: parsePlacements(probe.lines) };
  }

  async dispose(): Promise<void> {
    await this.predictor?.session.release().catch(() => undefined);
    this.predictor = null;
    await this.validator?.dispose();
    await this.trainer?.dispose();
  }
}

function describeOrt(provider: string, fallbacks: readonly { tried: string; reason: string }[]): string {
  return `ONNX Runtime ${provider}${fallbacks.length ? ` (${fallbacks.map((f) => `${f.tried}: ${f.reason}`).join('; ')})` : ''}`;
}
