/**
 * The compiled trainer: a ModelSpec lowered once (`compileTrainStep`) to ONE ONNX graph holding K whole training
 * steps (forward + backward + optimizer update, unrolled over a stack of K batches), run by ONNX Runtime Web.
 *
 * - One ORT session per (model, batch size, K), built once in `create` (`compileMs` = graph build + session creation).
 * - Parameters and optimizer state are graph inputs and their new values graph outputs; the outputs of one run are
 *   fed as the inputs of the next. On webgpu they stay on the GPU (`preferredOutputLocation: 'gpu-buffer'`).
 * - `step()` queues a batch; the graph runs when K batches are queued (or on `flush()`, which runs the queued rest
 *   through a second session compiled for that count). A batch smaller than `batchSize` (the partial last batch
 *   of an epoch) flushes the queue and runs through its own session compiled for that size (cached), so an epoch's
 *   trajectory matches eager training, which also trains on the partial batch.
 * - Losses stay where they were computed until `readLosses()` (on webgpu: on the GPU; one read-back per call).
 *
 * ORT is passed in (`OrtModule`), never imported here: the app loads it lazily in the worker.
 */
import { encodeModel } from '$lib/onnx/graph';
import { createOrtSession, type ProviderFallback } from '$lib/onnx/ort-run';
import type { WeightMap } from '$lib/onnx/export';
import type { ModelSpec } from '$lib/spec/types';
import type * as OrtNs from 'onnxruntime-web';
import { dropoutMask } from './dropout-masks';
import { carried, GraphCapture, sizeOf } from './graph-capture';
import { legalizeForWebGpu } from './webgpu-legalize';
import { checkCompiledSupport, CompileError, compileTrainStep, type CompiledStep } from './train-step';
import { WgslStep } from './wgsl-runner';

export { CompileError };
export type { WeightMap };

export type OrtModule = typeof import('onnxruntime-web');

/**
 * Largest K-step graph run with WebGPU graph capture. Capture creates the graph's session twice more, each a long
 * blocking call in the worker: the char-GRU at seq_len 16 (3 403 nodes) then failed the client's 60 s watchdog on this
 * (loaded, software-WebGPU) machine, while seq_len 8 (~1 700 nodes) ran captured and seq_len 16 ran uncaptured.
 */
export const CAPTURE_NODE_LIMIT = 2500;


export interface CompiledTrainerOptions {
  spec: ModelSpec;
  batchSize: number;
  provider: 'wasm' | 'webgpu';
  /** Initial weights (from TF.js, so eager and compiled start equal). Trainable and non-trainable (moving stats). */
  weights: WeightMap;
  /** K batches per run() (amortises the per-call overhead). Default: 8 on wasm, 4 on webgpu. */
  stepsPerRun?: number;
  /** Seed of the dropout masks (mixed with the step number: step i always gets the same masks). */
  seed: number;
  /**
   * Run the K-step session with WebGPU graph capture (graph-capture.ts). Default: on when the provider is webgpu.
   * Any error while setting it up or running it falls back to the plain path; `graphCapture` on the trainer says
   * whether it is in use and why not.
   */
  graphCapture?: boolean;
  /**
   * On webgpu, run the step through the playground's own WebGPU kernels (wgsl-plan.ts, wgsl-runner.ts) instead of ONNX
   * Runtime. Default: on when the provider is webgpu. A step with an op outside the kernel table (Conv, pooling), or
   * one WebGPU rejects, or a browser without WebGPU, goes to ONNX Runtime as before; `kernels.error` says why.
   */
  kernels?: boolean;
  /**
   * The optimizer's state to start from (resume exactly, worker/optimizer-state.ts): default, the plan's initial
   * values. Also numbers the dropout masks from `step` on, as an uninterrupted run would.
   */
  optimizer?: CompiledOptimizerState;
}

/**
 * The compiled optimizer's state, keyed by weight rather than by offset in the flat vector: `step` optimizer steps
 * taken so far, per slot (the plan's names: Adam's `m`, `v`) the values per trainable weight (`node/weight`), and
 * the graph's scalars (Adam's `beta1_power`, `beta2_power`) as the graph carries them.
 */
export interface CompiledOptimizerState {
  step: number;
  slots: Record<string, Record<string, Float32Array>>;
  globals: Record<string, number>;
}

export interface StepResult {
  loss: number;
  /** The batch's accuracy or MAE (as resolveMetrics computes it), null when the model has no metric. */
  metric: number | null;
}

/** Why a model cannot be compiled: the op (or layer feature) it lacks, and where it is. */
export type CompiledSupport = { ok: true } | { ok: false; op: string; layer: string; line: number; message: string };

/**
 * Whether `compileTrainStep` can lower this spec (without building sessions; cheap enough to call on every edit).
 * A refusal names the op or feature that is missing, the layer id and its source line; eager training is unaffected.
 */
export function compiledSupport(spec: ModelSpec): CompiledSupport {
  return supportOf(spec);
}

/**
 * One compiled trainer per (model, batch size). Use:
 * ```ts
 * const t = await CompiledTrainer.create(ort, { spec, batchSize: 32, provider: 'wasm', weights, seed });
 * for (const [x, y] of batches) await t.step(x, y);   // runs every K batches
 * await t.flush();
 * const losses = await t.readLosses();                // one entry per step since the last call
 * ```
 */
export class CompiledTrainer {
  /** Graph build + session creation, ms (the first session; later ones for other sizes are not counted). */
  readonly compileMs: number;
  /** The execution provider that actually runs ('wasm' or 'webgpu'); differs from the request on a silent fallback. */
  readonly provider: string;
  /** Nodes in the K-step graph. */
  readonly nodeCount: number;
  /** K: batches per run(). */
  readonly stepsPerRun: number;
  /** Why the requested provider is not the one that runs ('' when it is). */
  get fallbackReason(): string {
    return this.core.fallbacks.map((f) => `${f.tried} could not start: ${f.reason}`).join('; ');
  }

  /** Every provider tried before the one that runs, with the error it gave. */
  get fallbacks(): readonly ProviderFallback[] {
    return this.core.fallbacks;
  }

  /**
   * Whether the step runs on the playground's own WebGPU kernels (the default on webgpu), with how many dispatches per
   * training step; `error` says why not ("Conv is not in the playground's WebGPU kernels") when WebGPU was asked for
   * and ONNX Runtime runs the step instead.
   */
  get kernels(): { active: boolean; dispatchesPerStep: number; error: string } {
    return { active: this.core.kernelsActive, dispatchesPerStep: this.core.dispatchesPerStep, error: this.core.kernelsError };
  }

  /** Whether WebGPU graph capture runs the K-step session (default on webgpu when ONNX Runtime runs the step), and why not if it is not. */
  get graphCapture(): { active: boolean; error: string } {
    return { active: this.core.capture !== null, error: this.core.captureError };
  }

  private constructor(private core: TrainerCore) {
    this.compileMs = core.compileMs;
    this.provider = core.provider;
    this.nodeCount = core.nodeCount;
    this.stepsPerRun = core.k;
  }

  /** Compile the spec and create the session. Throws `CompileError` (from train-step.ts) for an unsupported model. */
  static async create(ort: OrtModule, opts: CompiledTrainerOptions): Promise<CompiledTrainer> {
    return new CompiledTrainer(await TrainerCore.create(ort, opts));
  }

  /**
   * Queue one batch: x row-major (rows, ...inputShape), y encoded as the loss wants (like BoundData). rows is
   * `batchSize`, or fewer for a partial last batch (which flushes the queue and runs alone). Runs the graph when K
   * batches are queued. The arrays are copied.
   */
  step(x: Float32Array, y: Float32Array): Promise<void> {
    return this.core.step(x, y);
  }

  /** Run the queued batches now (fewer than K). */
  flush(): Promise<void> {
    return this.core.flush();
  }

  /** Loss and metric of every step run since the last call, in order (read back from the device only here). */
  readLosses(): Promise<StepResult[]> {
    return this.core.readLosses();
  }

  /** Takes effect from the next queued batch. */
  setLearningRate(lr: number): void {
    this.core.setLearningRate(lr);
  }

  /** Current weights (flushes first), in the same WeightMap layout as the initial ones. */
  getWeights(): Promise<WeightMap> {
    return this.core.getWeights();
  }

  /** The optimizer's current state (flushes first), keyed by weight: what `optimizer` restores. */
  getOptimizerState(): Promise<CompiledOptimizerState> {
    return this.core.getOptimizerState();
  }

  dispose(): Promise<void> {
    return this.core.dispose();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Implementation

type Tensor = OrtNs.Tensor;
type Session = OrtNs.InferenceSession;

interface Compiled {
  step: CompiledStep;
  session: Session;
}

const SLOT = 'state:slot/';
const GLOBAL = 'state:opt/';

/** The restored values of an optimizer state input of the graph (a flat slot or a scalar), or null to keep its initial value. */
function restoredState(o: CompiledOptimizerState, input: string, step: CompiledStep): Float32Array | null {
  if (input.startsWith(GLOBAL)) {
    const v = o.globals[input.slice(GLOBAL.length)];
    return Number.isFinite(v) ? Float32Array.of(v) : null;
  }
  if (!input.startsWith(SLOT) || !step.flat) return null;
  const per = o.slots[input.slice(SLOT.length)];
  if (!per) return null;
  const data = new Float32Array(sizeOf(step.flat.shape));
  for (const p of step.params) {
    const v = per[`${p.node}/${p.weight}`];
    if (!v || v.length !== p.size) throw new Error(`The optimizer state to restore has no ${input.slice(SLOT.length)} of the size of ${p.node}/${p.weight}`);
    data.set(v, p.offset);
  }
  return data;
}

function supportOf(spec: ModelSpec): CompiledSupport {
  return checkCompiledSupport(spec);
}



class TrainerCore {
  compileMs = 0;
  provider = 'wasm';
  nodeCount = 0;
  k = 1;
  /** Every provider tried and not used, with why (empty when the requested one runs). */
  fallbacks: ProviderFallback[] = [];
  private sessions = new Map<string, Promise<Compiled>>();
  private values = new Map<string, Tensor>();
  private queue: { x: Float32Array; y: Float32Array }[] = [];
  private pending: { loss: Tensor; metric: Tensor | null; count: number }[] = [];
  private lr: number;
  private stepIndex = 0;
  /** Optimizer steps taken before this trainer (a restored state): the step count and the masks go on from it. */
  private stepBase = 0;
  private rowX: number;
  private chain: Promise<void> = Promise.resolve();
  private gpu: boolean;
  /** The graph-capture path (default on webgpu), null when not in use. */
  capture: GraphCapture | null = null;
  captureError = '';
  private deadCaptures: GraphCapture[] = [];
  /** The own-kernel path (wgsl-runner.ts), one per (batch, K); `kernelsActive` when it runs the step. */
  private kernelSteps = new Map<string, Promise<WgslStep>>();
  kernelsActive = false;
  kernelsError = '';
  dispatchesPerStep = 0;
  private steps = new Map<string, CompiledStep>();

  private constructor(
    private ort: OrtModule,
    private opts: CompiledTrainerOptions
  ) {
    if (!opts.spec.compile) throw new CompileError('compile', '', 0, 'The model is not compiled — call model.compile(...) first');
    this.lr = opts.spec.compile.optimizer.learningRate;
    this.rowX = sizeOf(opts.spec.inputs[0]?.shape ?? []);
    this.gpu = opts.provider === 'webgpu';
    this.k = Math.max(1, Math.floor(opts.stepsPerRun ?? (opts.provider === 'webgpu' ? 4 : 8)));
    this.stepBase = Math.max(0, Math.floor(opts.optimizer?.step ?? 0));
  }

  static async create(ort: OrtModule, opts: CompiledTrainerOptions): Promise<TrainerCore> {
    const core = new TrainerCore(ort, opts);
    const t0 = performance.now();
    if (core.gpu && (opts.kernels ?? true)) {
      try {
        const ws = await core.kernelStep(opts.batchSize, core.k);
        core.kernelsActive = true;
        core.provider = 'webgpu';
        core.dispatchesPerStep = ws.dispatches / core.k;
      } catch (e) {
        core.kernelSteps.clear();
        core.kernelsError = (e as Error).message;
      }
    }
    const step = core.kernelsActive ? core.stepOf(opts.batchSize, core.k) : (await core.compiled(opts.batchSize, core.k)).step;
    core.compileMs = performance.now() - t0;
    core.nodeCount = step.nodeCount;
    // Initial values of parameters (one flat vector, see train-step.ts) and state.
    const flat = step.flat;
    if (flat) {
      const data = new Float32Array(sizeOf(flat.shape));
      for (const p of step.params) data.set(opts.weights[p.node][p.weight].data.subarray(0, p.size), p.offset);
      core.values.set(flat.input, new ort.Tensor('float32', data, flat.shape));
    }
    for (const s of step.state) {
      const data = typeof s.init === 'number' ? new Float32Array(sizeOf(s.shape)).fill(s.init) : Float32Array.from(s.init);
      const restored = opts.optimizer && !s.node && restoredState(opts.optimizer, s.input, step);
      if (restored) data.set(restored);
      core.values.set(s.input, new ort.Tensor('float32', data, s.shape));
    }
    if (core.kernelsActive) return core;
    const want = opts.graphCapture ?? opts.provider === 'webgpu';
    if (want && core.gpu && core.provider === 'webgpu' && step.nodeCount > CAPTURE_NODE_LIMIT) {
      core.captureError = `graph capture is off for graphs over ${CAPTURE_NODE_LIMIT} nodes (this one has ${step.nodeCount}): its two extra sessions of the graph kept the worker from answering for over 60 s (the char-GRU at seq_len 16)`;
    } else if (want && core.gpu && core.provider === 'webgpu') {
      try {
        core.capture = await GraphCapture.create(ort, step);
      } catch (e) {
        core.captureError = `graph capture could not start: ${(e as Error).message}`;
      }
    } else if (opts.graphCapture) {
      // Asked for explicitly (by default, a webgpu request that fell back to wasm says so in `fallbacks` already).
      core.captureError = 'graph capture needs the webgpu provider';
    }
    return core;
  }

  /** The step graph for (batch, K), built once (legalized for ORT WebGPU when the provider is webgpu). */
  private stepOf(batch: number, steps: number): CompiledStep {
    const key = `${batch}x${steps}`;
    let step = this.steps.get(key);
    if (!step) {
      step = compileTrainStep(this.opts.spec, { batchSize: batch, steps, weights: this.opts.weights });
      // WebGPU: no kernel may bind more than 8 storage buffers, and JSEP has no Sum (webgpu-legalize.ts).
      if (this.gpu) {
        const legal = legalizeForWebGpu(step.model);
        step.model = legal.model;
        step.nodeCount = legal.report.nodeCount;
      }
      this.steps.set(key, step);
    }
    return step;
  }

  /** The own-kernel runner for (batch, K), made once. */
  private kernelStep(batch: number, steps: number): Promise<WgslStep> {
    const key = `${batch}x${steps}`;
    let w = this.kernelSteps.get(key);
    if (!w) {
      w = (async () => WgslStep.create(this.ort, this.stepOf(batch, steps)))();
      this.kernelSteps.set(key, w);
    }
    return w;
  }

  private compiled(batch: number, steps: number): Promise<Compiled> {
    const key = `${batch}x${steps}`;
    let c = this.sessions.get(key);
    if (!c) {
      c = (async () => {
        const step = this.stepOf(batch, steps);
        const bytes = encodeModel(step.model);
        const stateOutputs = carried(step).map((t) => t.output);
        const base: OrtNs.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all' };
        const where: Record<string, 'gpu-buffer'> = {};
        for (const n of stateOutputs) where[n] = 'gpu-buffer';
        // The shared provider fallback (onnx/ort-run.ts): once webgpu failed, later sessions go straight to wasm.
        const created = await createOrtSession(this.ort, bytes, this.gpu ? 'webgpu' : 'wasm', base, { preferredOutputLocation: where });
        this.fallbacks.push(...created.fallbacks);
        if (created.provider !== 'webgpu') this.gpu = false;
        this.provider = created.provider;
        const session = created.session;
        return { step, session };
      })();
      this.sessions.set(key, c);
    }
    return c;
  }

  step(x: Float32Array, y: Float32Array): Promise<void> {
    const rows = x.length / this.rowX;
    if (!Number.isInteger(rows) || rows < 1 || rows > this.opts.batchSize) throw new Error(`x holds ${x.length} values: not a batch of rows of ${this.rowX}`);
    const item = { x: Float32Array.from(x), y: Float32Array.from(y) };
    if (rows !== this.opts.batchSize) {
      // A partial batch: run what is queued, then this one alone through a session for its size.
      return this.enqueue(async () => {
        await this.runQueued();
        await this.run(rows, 1, [item]);
      });
    }
    this.queue.push(item);
    if (this.queue.length < this.k) return Promise.resolve();
    const batches = this.queue.splice(0, this.k);
    return this.enqueue(async () => this.run(this.opts.batchSize, this.k, batches));
  }

  flush(): Promise<void> {
    return this.enqueue(() => this.runQueued());
  }

  /** Queued batches (fewer than K) go one by one through the K = 1 session. */
  private async runQueued(): Promise<void> {
    const batches = this.queue.splice(0);
    for (const b of batches) await this.run(this.opts.batchSize, 1, [b]);
  }

  private enqueue(f: () => Promise<void>): Promise<void> {
    const next = this.chain.then(f);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async run(batch: number, k: number, batches: { x: Float32Array; y: Float32Array }[]): Promise<void> {
    const { ort } = this;
    if (this.kernelsActive) {
      const s = this.stepOf(batch, k);
      const r = await (await this.kernelStep(batch, k)).run(this.values, this.hostFeeds(s, batches));
      this.stepIndex += k;
      this.pending.push({ ...r, count: k });
      return;
    }
    const c = await this.compiled(batch, k);
    const s = c.step;
    const K = s.steps;
    if (this.capture && s.batchSize === this.opts.batchSize && K === this.k) {
      try {
        const feeds = this.hostFeeds(s, batches);
        const r = await this.capture.run(this.values, feeds);
        this.stepIndex += K;
        this.pending.push({ ...r, count: K });
        return;
      } catch (e) {
        // Fall back to the plain path for good (the carried values are untouched until a captured run succeeds).
        this.captureError = `graph capture failed, running without it: ${(e as Error).message}`;
        this.deadCaptures.push(this.capture);
        await this.capture.leave().catch(() => undefined);
        this.capture = null;
      }
    }
    // A plain run right after a captured one (the epoch's last batches, a partial batch): see GraphCapture.leave.
    await this.capture?.leave();
    const shapes = new Map<string, number[]>([
      [s.inputs.x, s.inputs.xShape],
      [s.inputs.y, s.inputs.yShape],
      [s.inputs.lr, []],
      ...s.masks.map((m) => [m.input, m.shape] as [string, number[]])
    ]);
    const feeds: Record<string, Tensor> = {};
    for (const [name, data] of this.hostFeeds(s, batches)) feeds[name] = new ort.Tensor('float32', data, shapes.get(name)!);
    const state = carried(s);
    for (const t of state) feeds[t.input] = this.values.get(t.input)!;
    const out = await c.session.run(feeds);
    this.stepIndex += K;
    for (const t of state) {
      const old = this.values.get(t.input);
      this.values.set(t.input, out[t.output]);
      if (old && old.location === 'gpu-buffer') old.dispose();
    }
    this.pending.push({ loss: out[s.outputs.loss], metric: s.outputs.metric ? out[s.outputs.metric] : null, count: K });
  }

  async readLosses(): Promise<StepResult[]> {
    await this.chain;
    const pending = this.pending.splice(0);
    const res: StepResult[] = [];
    for (const p of pending) {
      const l = (await p.loss.getData()) as Float32Array;
      const m = p.metric ? ((await p.metric.getData()) as Float32Array) : null;
      for (let i = 0; i < p.count; i++) res.push({ loss: l[i], metric: m ? m[i] : null });
      if (p.loss.location === 'gpu-buffer') p.loss.dispose();
      if (p.metric?.location === 'gpu-buffer') p.metric.dispose();
    }
    return res;
  }

  setLearningRate(lr: number): void {
    this.lr = lr;
  }

  async getWeights(): Promise<WeightMap> {
    await this.flush();
    const c = { step: this.stepOf(this.opts.batchSize, this.k) };
    const out: WeightMap = {};
    const read = async (input: string) => (await this.values.get(input)!.getData()) as Float32Array;
    const put = (node: string, weight: string, shape: number[], data: Float32Array) => ((out[node] ??= {})[weight] = { shape: [...shape], data });
    if (c.step.flat) {
      const flat = await read(c.step.flat.input);
      for (const p of c.step.params) put(p.node, p.weight, p.shape, flat.slice(p.offset, p.offset + p.size));
    }
    for (const s of c.step.state) if (s.node && s.weight) put(s.node, s.weight, s.shape, Float32Array.from(await read(s.input)));
    return out;
  }

  async getOptimizerState(): Promise<CompiledOptimizerState> {
    await this.flush();
    const c = { step: this.stepOf(this.opts.batchSize, this.k) };
    const res: CompiledOptimizerState = { step: this.stepBase + this.stepIndex, slots: {}, globals: {} };
    for (const s of c.step.state) {
      if (s.node) continue; // a non-trainable weight (moving statistics), not the optimizer's
      const slot = s.input.startsWith(SLOT) ? s.input.slice(SLOT.length) : null;
      const global = s.input.startsWith(GLOBAL) ? s.input.slice(GLOBAL.length) : null;
      if (!slot && !global) continue;
      const data = Float32Array.from((await this.values.get(s.input)!.getData()) as Float32Array);
      if (global) res.globals[global] = data[0];
      else {
        const per: Record<string, Float32Array> = (res.slots[slot!] = {});
        for (const p of c.step.params) per[`${p.node}/${p.weight}`] = data.slice(p.offset, p.offset + p.size);
      }
    }
    return res;
  }

  /** x, y, lr and the dropout masks of one run, on the host (wrapped as ORT tensors, or uploaded by graph capture). */
  private hostFeeds(s: CompiledStep, batches: { x: Float32Array; y: Float32Array }[]): Map<string, Float32Array> {
    const K = s.steps;
    const xs = new Float32Array(sizeOf(s.inputs.xShape));
    const ys = new Float32Array(sizeOf(s.inputs.yShape));
    const rx = xs.length / K;
    const ry = ys.length / K;
    batches.forEach((b, k) => {
      if (b.y.length !== ry) throw new Error(`y holds ${b.y.length} values for a batch but the loss wants ${ry}`);
      xs.set(b.x, k * rx);
      ys.set(b.y, k * ry);
    });
    const feeds = new Map<string, Float32Array>([
      [s.inputs.x, xs],
      [s.inputs.y, ys],
      [s.inputs.lr, Float32Array.of(this.lr)]
    ]);
    for (const m of s.masks) {
      const data = new Float32Array(sizeOf(m.shape));
      const per = data.length / K;
      for (let k = 0; k < K; k++) dropoutMask(this.opts.seed, this.stepBase + this.stepIndex + k, m.layerIndex, per, m.rate, data.subarray(k * per, (k + 1) * per));
      feeds.set(m.input, data);
    }
    return feeds;
  }

  async dispose(): Promise<void> {
    await this.chain.catch(() => undefined);
    for (const c of this.sessions.values()) await (await c.catch(() => null))?.session.release();
    for (const w of this.kernelSteps.values()) (await w.catch(() => null))?.dispose();
    this.kernelSteps.clear();
    for (const t of this.values.values()) if (t.location === 'gpu-buffer') t.dispose();
    for (const cap of [this.capture, ...this.deadCaptures]) await cap?.dispose().catch(() => undefined);
    this.capture = null;
    this.deadCaptures = [];
    this.sessions.clear();
    this.values.clear();
  }
}
