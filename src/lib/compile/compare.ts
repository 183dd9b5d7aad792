/**
 * Eager vs compiled, side by side, on one backend, through the engine interface (`compareEngines` knows engines only
 * by it; `runComparison` picks TF.js and ONNX Runtime): the same initial weights (the first engine's getWeights), the
 * same shuffled batches (seed + epoch, as the training loop), the same dropout masks
 * (dropout-masks.ts), per-step losses of both sides, ms per step, warm-up, kernels per step (TF.js, counted with
 * tf.profile over one step: opsPerCall) vs ONNX Runtime nodes per step (our graph, and after ORT's graph optimization
 * as ORT's own "Node placements" log reports it: stepGraph), and inference at batch 1 and 256.
 *
 * Timing (the definition in engines/step-timing.ts, the same as the benchmark's): per side, eager first (before the
 * compiled engine is built, as the benchmark's eager cells run before any ORT cell), `rounds` rounds of `roundSteps`
 * steps, each timed as blocks of `blockSteps(K)` steps (`timeSteps`, losses read back as the training loop does);
 * round 0 contains the warm-up and is left out; ms/step = `steadyMs` (the median) of the other rounds' blocks. Then
 * one block of `roundSteps` read back every step: the sync figure.
 */
import { trainRows } from '$lib/data/bind';
import type { BoundData } from '$lib/data/types';
import { resolveBackend, type BackendInfo, type BackendLoaders, type BackendName } from '$lib/engines/backend';
import { gatherRows, type EngineOpener, type EngineSetup, type LogCapture, type TrainingEngine } from '$lib/engines/engine';
import { buildTfjsEngine } from '$lib/engines/tfjs/engine';
import { epochOrder, fitSettings } from '$lib/engines/train-loop';
import type { Tfjs } from '$lib/layers/types';
import type { WeightMap } from '$lib/onnx/export';
import type { ModelInfo } from '$lib/onnx/inspect';
import { parsePlacements, type Placement } from '$lib/onnx/ort-run';
import type { ModelSpec } from '$lib/spec/types';
import { blockSteps, steadyMs, timeSteps } from '$lib/engines/step-timing';
import { compiledEngine } from './engine';
import { compiledProviderFor } from './providers';
import { compiledSupport, type OrtModule } from './runner';

export interface CompareRequest {
  spec: ModelSpec;
  data: BoundData;
  backend: BackendName;
  seed: number;
  /** Steps per timing round (default 64: a multiple of K on both providers). */
  roundSteps?: number;
  /** Timing rounds per side (default 5; the first includes warm-up). */
  rounds?: number;
  /** Steps whose losses are compared (default 50). */
  matchSteps?: number;
  /** Inference batch sizes (default [1, 256]). */
  inferBatches?: number[];
}

export interface InferenceRow {
  batch: number;
  eagerMs: number;
  compiledMs: number;
  speedup: number;
  eagerKernels: number;
  ortNodes: number;
  ortNodesOptimized: number | null;
}

export interface CompareResult {
  tfBackend: BackendInfo;
  /** ORT provider that ran, and a note when it is not the one asked for / mapped from the TF.js backend. */
  provider: string;
  providerNote: string | null;
  batchSize: number;
  steps: number;
  matchSteps: number;
  /** max over the first matchSteps of |eager − compiled| / max(|eager|, 1e-6). */
  maxRelDiff: number;
  /** ms per step as engines/step-timing.ts defines it (steady), and read back every step (sync). */
  eager: { msPerStep: number; msPerStepSync: number; rounds: number[]; blocks: number; blockSteps: number; warmupMs: number; kernelsPerStep: number; kernelNames: [string, number][] };
  compiled: {
    msPerStep: number;
    msPerStepSync: number;
    rounds: number[];
    /** Timed blocks (after round 0) whose median is msPerStep, and their steps (blockSteps(K), as the benchmark's). */
    blocks: number;
    blockSteps: number;
    /** First run (shader compilation / first dispatch), after compileMs. */
    warmupMs: number;
    compileMs: number;
    stepsPerRun: number;
    /** Nodes of one step in our graph (graph nodes / K). */
    nodesPerStep: number;
    /** After ORT's graph optimization (its placement log for a one-step session); null when ORT did not say. */
    optimizedNodesPerStep: number | null;
    /** ORT's node placements for that session (per provider; node lists only where ORT prints them). */
    placements: { provider: string; count: number; nodes: string[] }[];
    /** On WebGPU through the playground's own kernels (wgsl-plan.ts): dispatches per step; null when ORT runs the step. */
    dispatchesPerStep: number | null;
  };
  speedup: number;
  inference: InferenceRow[];
  /** The one-step training graph, and the nodes ORT fuses (estimated from its documented fusions). */
  graph: ModelInfo;
  fused: FusedGroup[];
}

export interface FusedGroup {
  /** Node names that become one kernel. */
  nodes: string[];
  into: string;
}

export type CompareEvent =
  | { type: 'status'; text: string }
  | { type: 'losses'; side: 'eager' | 'compiled'; from: number; losses: Float32Array }
  | { type: 'result'; result: CompareResult }
  | { type: 'error'; message: string };

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** Max relative difference of two loss sequences over their first `n` entries. */
export function maxRelativeDifference(a: ArrayLike<number>, b: ArrayLike<number>, n: number): number {
  let m = 0;
  const k = Math.min(n, a.length, b.length);
  for (let i = 0; i < k; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), 1e-6));
  return k ? m : NaN;
}

const ACTIVATIONS = new Set(['Relu', 'Sigmoid', 'Tanh', 'LeakyRelu', 'HardSigmoid', 'Clip']);

/**
 * Node groups ONNX Runtime fuses into one kernel, per its documented graph transformers (estimated: ORT web does not
 * expose the optimized graph). wasm (CPU EP): Gemm/Conv/MatMul + activation (GemmActivationFusion,
 * ConvActivationFusion → FusedGemm/FusedConv), MatMul + Add → Gemm (MatMulAddFusion). webgpu (JSEP): Conv +
 * activation (FusedConv), MatMul + Add → Gemm.
 */
export function estimateFusions(info: ModelInfo, provider: string): FusedGroup[] {
  const consumers = new Map<string, string[]>();
  for (const n of info.nodes) for (const f of n.from) consumers.set(f, [...(consumers.get(f) ?? []), n.name]);
  const byName = new Map(info.nodes.map((n) => [n.name, n]));
  const used = new Set<string>();
  const out: FusedGroup[] = [];
  for (const n of info.nodes) {
    if (used.has(n.name)) continue;
    const next = consumers.get(n.name) ?? [];
    if (next.length !== 1) continue;
    const m = byName.get(next[0]);
    if (!m || used.has(m.name)) continue;
    let into: string | null = null;
    if (n.op === 'MatMul' && m.op === 'Add') into = 'Gemm';
    else if (ACTIVATIONS.has(m.op) && (n.op === 'Conv' || (provider === 'wasm' && (n.op === 'Gemm' || n.op === 'MatMul')))) into = n.op === 'Conv' ? 'FusedConv' : n.op === 'Gemm' ? 'FusedGemm' : 'FusedMatMul';
    if (!into) continue;
    used.add(n.name);
    used.add(m.name);
    out.push({ nodes: [n.name, m.name], into });
  }
  return out;
}

interface Batch {
  idx: Int32Array;
  x: Float32Array;
  y: Float32Array;
}

/** The first `count` full batches of the training loop's order (shuffled per epoch with seed + epoch). */
export function planBatches(data: BoundData, spec: ModelSpec, seed: number, batchSize: number, count: number): Batch[] {
  const { split, shuffle } = fitSettings(spec);
  const nTrain = trainRows(data.xShape[0], split);
  const rx = data.xShape.slice(1).reduce((a, b) => a * b, 1);
  const ry = data.yShape.slice(1).reduce((a, b) => a * b, 1);
  const perEpoch = Math.floor(nTrain / batchSize);
  if (perEpoch < 1) throw new Error(`The comparison needs at least one full batch of ${batchSize} rows; the training set has ${nTrain}`);
  const out: Batch[] = [];
  for (let epoch = 1; out.length < count; epoch++) {
    const order = epochOrder(nTrain, seed, epoch, shuffle);
    for (let b = 0; b < perEpoch && out.length < count; b++) {
      const idx = order.slice(b * batchSize, (b + 1) * batchSize);
      out.push({ idx, x: gatherRows(data.x, rx, idx), y: gatherRows(data.y, ry, idx) });
    }
  }
  return out;
}

/** The two sides of a comparison: the reference engine, and the one compared with it (started from its weights). */
export interface CompareSides {
  eager: EngineOpener;
  compiled: (initialWeights: WeightMap) => EngineOpener;
  /** Status line while the second side is being built. */
  building?: string;
}

/** What compareEngines measures: the result less what only the caller knows (the TF.js backend, the provider note). */
export type EngineComparison = Omit<CompareResult, 'tfBackend' | 'providerNote'>;

/**
 * Eager vs compiled in the browser's TF.js and ONNX Runtime: resolves the TF.js backend, then compareEngines with the
 * eager engine (shared dropout masks) and the compiled one on the ORT provider mapped from the backend.
 */
export async function runComparison(tf: Tfjs, loaders: BackendLoaders, ort: OrtModule, req: CompareRequest, emit: (e: CompareEvent) => void, captureLog?: LogCapture): Promise<CompareResult> {
  const { spec, seed } = req;
  const support = compiledSupport(spec);
  if (!support.ok) throw new Error(support.message);
  if (!spec.compile) throw new Error('The model is not compiled');
  const { provider, note } = compiledProviderFor(req.backend);
  emit({ type: 'status', text: `Starting TF.js on ${req.backend}…` });
  const tfBackend = await resolveBackend(tf, req.backend, loaders);
  const sides: CompareSides = {
    // Eager: the training loop's step, with the shared dropout masks.
    // fenceUpdate, as the benchmark's eager cells: a block's last read-back also waits for its last weight update.
    eager: buildTfjsEngine(tf, spec, seed, { backend: tfBackend, dropoutMaskSeed: seed, fenceUpdate: true }),
    compiled: (weights) => compiledEngine({ ort, spec, provider, weights, maskSeed: seed, metrics: [] }),
    building: `Compiling the training step for ONNX Runtime (${provider})…`
  };
  const r = await compareEngines(sides, req, emit, captureLog);
  const result: CompareResult = {
    tfBackend,
    ...r,
    providerNote: note ?? (r.provider !== provider ? `ONNX Runtime could not start ${provider}; it runs on ${r.provider}.` : null)
  };
  emit({ type: 'result', result });
  return result;
}

/**
 * Two engines side by side through the engine interface (engines/engine.ts): both opened on the same data, the second
 * from the first one's initial weights, stepping the same rows (`planBatches`). Losses, ms per step (blocks of
 * `roundSteps` rounds, one side after the other), ops per step (`opsPerCall`), the step graph where the
 * second engine has one (`stepGraph`), and inference (`predict`). `captureLog` collects the runtime's log around the
 * calls that create sessions (ORT's node placements).
 */
export async function compareEngines(sides: CompareSides, req: Omit<CompareRequest, 'backend'>, emit: (e: CompareEvent) => void, captureLog?: LogCapture): Promise<EngineComparison> {
  const { spec, data, seed } = req;
  const roundSteps = req.roundSteps ?? 64;
  const rounds = Math.max(2, req.rounds ?? 5);
  const matchSteps = req.matchSteps ?? 50;
  const { batchSize, split } = fitSettings(spec);
  const capture: LogCapture = captureLog ?? (async <T>(f: () => Promise<T>) => ({ value: await f(), lines: [] as string[] }));
  const total = roundSteps * rounds;
  const batches = planBatches(data, spec, seed, batchSize, total);
  const setup: EngineSetup = { data, nTrain: trainRows(data.xShape[0], split), batchSize, seed, startEpoch: 0 };

  const eager: TrainingEngine = await sides.eager(setup);
  let compiled: TrainingEngine | null = null;
  try {
    const weights0 = await eager.getWeights();
    const eagerLosses = new Float32Array(total);
    const compiledLosses = new Float32Array(total);
    const more = planBatches(data, spec, seed + 1, batchSize, roundSteps);
    // (Rounds shorter than a block, as in quick tests, time whole rounds of K-step runs.)
    const blockOf = (k: number) => Math.min(blockSteps(k), Math.max(k, Math.floor(roundSteps / k) * k));
    /**
     * One side's rounds, timed as the benchmark times a cell: its warm-up (a step eager, K steps compiled), then
     * blocks of blockSteps(K) (`timeSteps`; round 0, the warm-up inside, is one block for the record only), then one
     * block read back every step (the sync figure, on other batches).
     */
    const timeSide = async (side: 'eager' | 'compiled', engine: TrainingEngine) => {
      const K = engine.report.stepsPerRun ?? 1;
      const block = blockOf(K);
      const losses = side === 'eager' ? eagerLosses : compiledLosses;
      const rounds_: number[] = [];
      const blocks: number[] = [];
      let warmupMs = 0;
      for (let r = 0; r < rounds; r++) {
        const from = r * roundSteps;
        const slice = batches.slice(from, from + roundSteps);
        emit({ type: 'status', text: `Round ${r + 1} of ${rounds}: ${side} (${engine.report.detail})…` });
        let first = 0;
        if (r === 0) {
          const t0 = performance.now();
          first = K;
          await steps(engine, slice, 0, first, losses, from);
          warmupMs = performance.now() - t0;
        }
        const size = r === 0 ? slice.length - first : block;
        let ms = 0;
        for (let at = first; at < slice.length; at += size) {
          const n = Math.min(size, slice.length - at);
          const timed = await timeSteps(engine, (i) => slice[at + i].idx, n);
          timed.losses.forEach((l, i) => (losses[from + at + i] = l));
          ms += timed.ms * n;
          if (r > 0 && n === block) blocks.push(timed.ms);
        }
        rounds_.push(ms / (slice.length - first));
        emit({ type: 'losses', side, from, losses: losses.slice(from, from + slice.length) });
      }
      const sync = (await timeSteps(engine, (i) => more[i].idx, roundSteps, 'sync')).ms;
      return { rounds: rounds_, blocks, block, warmupMs, ms: steadyMs(blocks), sync };
    };
    /** Runs steps `from…to` of the round on `engine`, then reads them back (flushing first); losses land in `into`. */
    const steps = async (engine: TrainingEngine, slice: Batch[], from: number, to: number, into: Float32Array, at: number) => {
      for (let i = from; i < to; i++) await engine.step(slice[i].idx);
      await engine.flush();
      (await engine.readSteps()).forEach((s, i) => (into[at + i] = s.loss));
    };
    // Eager first, timed before the compiled side is even built (then the compiled side from the same weights and
    // batches): building the compiled engine compiles ONNX Runtime's 28 MB wasm, and V8 keeps compiling it on
    // background threads for seconds (wasm tier-up) — interleaved rounds timed the eager side against that, which
    // the benchmark's eager cells never see (README "What we learned").
    const e = await timeSide('eager', eager);
    emit({ type: 'status', text: sides.building ?? 'Building the second engine…' });
    compiled = await sides.compiled(weights0)(setup);
    const ran = compiled.report.actual;
    const K = compiled.report.stepsPerRun ?? 1;
    // The runtime's node count after its graph optimizations (ORT: its own "Node placements" log).
    const stepGraph = compiled.stepGraph ? await compiled.stepGraph(capture) : null;
    const placements = stepGraph?.placements ?? [];
    const optimizedNodes = placements.length ? placements.reduce((a, p) => a + p.count, 0) : null;
    const c = await timeSide('compiled', compiled);
    const eagerRounds = e.rounds;
    const compiledRounds = c.rounds;
    const eagerWarmup = e.warmupMs;
    const compiledWarmup = c.warmupMs;
    const eagerSync = e.sync;
    const compiledSync = c.sync;

    // Ops dispatched by one eager step; graph nodes per compiled step.
    const none = { count: 0, names: [] as [string, number][] };
    const eagerOps = (await eager.opsPerCall?.({ step: batches[0].idx })) ?? none;
    const compiledOps = (await compiled.opsPerCall?.({ step: batches[0].idx })) ?? none;

    emit({ type: 'status', text: 'Inference at batch 1 and 256…' });
    const inference: InferenceRow[] = [];
    const rx = data.xShape.slice(1).reduce((a, b) => a * b, 1);
    let infPlacements: Placement[] = [];
    for (const nb of req.inferBatches ?? [1, 256]) {
      const x = new Float32Array(nb * rx);
      for (let i = 0; i < x.length; i++) x[i] = data.x[i % data.x.length];
      const shape = [nb, ...data.xShape.slice(1)];
      const reps = nb === 1 ? 30 : 10;
      const time = async (engine: TrainingEngine) => {
        const t: number[] = [];
        for (let i = 0; i < reps + 2; i++) {
          const t0 = performance.now();
          if (engine === compiled && i === 0 && !infPlacements.length) {
            // The compiled engine creates its inference session on the first predict: ORT logs its placements then.
            const c = await capture(() => engine.predict(x, shape));
            infPlacements = parsePlacements(c.lines);
          } else await engine.predict(x, shape);
          if (i >= 2) t.push(performance.now() - t0);
        }
        return median(t);
      };
      const e = await time(eager);
      const eagerKernels = (await eager.opsPerCall?.({ predict: { x, shape } }))?.count ?? 0;
      const c = await time(compiled);
      const ortNodes = (await compiled.opsPerCall?.({ predict: { x, shape } }))?.count ?? 0;
      inference.push({ batch: nb, eagerMs: e, compiledMs: c, speedup: e / c, eagerKernels, ortNodes, ortNodesOptimized: infPlacements.length ? infPlacements.reduce((a, p) => a + p.count, 0) : null });
    }

    const eagerMs = e.ms;
    const compiledMs = c.ms;
    const graph: ModelInfo = stepGraph?.graph ?? { nodes: [] } as unknown as ModelInfo;
    return {
      provider: ran,
      batchSize,
      steps: total,
      matchSteps,
      maxRelDiff: maxRelativeDifference(eagerLosses, compiledLosses, matchSteps),
      eager: { msPerStep: eagerMs, msPerStepSync: eagerSync, rounds: eagerRounds, blocks: e.blocks.length, blockSteps: e.block, warmupMs: eagerWarmup, kernelsPerStep: eagerOps.count, kernelNames: eagerOps.names },
      compiled: {
        msPerStep: compiledMs,
        msPerStepSync: compiledSync,
        rounds: compiledRounds,
        blocks: c.blocks.length,
        blockSteps: c.block,
        warmupMs: compiledWarmup,
        compileMs: compiled.report.buildMs,
        stepsPerRun: K,
        nodesPerStep: compiledOps.count,
        optimizedNodesPerStep: optimizedNodes,
        placements: placements.map((p) => ({ provider: p.provider, count: p.count, nodes: p.nodes })),
        dispatchesPerStep: compiled.report.dispatchesPerStep ?? null
      },
      speedup: eagerMs / compiledMs,
      inference,
      graph,
      fused: stepGraph ? estimateFusions(graph, ran) : []
    };
  } finally {
    await eager.dispose();
    await compiled?.dispose();
  }
}
