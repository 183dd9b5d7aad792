/**
 * Eager vs compiled, side by side, on one backend: the same initial weights (read from the TF.js model with
 * readTfjsWeights), the same shuffled batches (seed + epoch, as the training loop), the same dropout masks
 * (dropout-masks.ts), per-step losses of both sides, ms per step, warm-up, kernels per step (TF.js, counted with
 * tf.profile over one step) vs ONNX Runtime nodes per step (our graph, and after ORT's graph optimization as ORT's own
 * "Node placements" log reports it), and inference at batch 1 and 256.
 *
 * Timing: rounds of `roundSteps` steps, eager and compiled alternately (E C E C …), each round read back once at
 * its end; round 0 contains the warm-up and is left out of ms/step (median of the other rounds).
 */
import { trainRows } from '$lib/data/bind';
import { buildModel } from '$lib/engines/tfjs/build';
import type { BoundData } from '$lib/data/types';
import { resolveBackend, type BackendInfo, type BackendLoaders, type BackendName } from '$lib/engines/backend';
import { epochOrder, fitSettings } from '$lib/engines/tfjs/train';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import type { Tfjs } from '$lib/layers/types';
import { exportOnnx } from '$lib/onnx/export';
import { encodeModel } from '$lib/onnx/graph';
import { inspectModel, type ModelInfo } from '$lib/onnx/inspect';
import { parsePlacements } from '$lib/onnx/ort-run';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { useDropoutMasks } from './dropout-masks';
import { CompiledTrainer, compiledSupport, type OrtModule } from './runner';
import { compiledProviderFor, gatherRows } from './train-loop';
import { compileTrainStep } from './train-step';

export interface CompareRequest {
  spec: ModelSpec;
  data: BoundData;
  backend: BackendName;
  seed: number;
  /** Steps per timing round (default 64: a multiple of K on both providers). */
  roundSteps?: number;
  /** Timing rounds per side (default 3; the first includes warm-up). */
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
  eager: { msPerStep: number; rounds: number[]; warmupMs: number; kernelsPerStep: number; kernelNames: [string, number][] };
  compiled: {
    msPerStep: number;
    rounds: number[];
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

export async function runComparison(tf: Tfjs, loaders: BackendLoaders, ort: OrtModule, req: CompareRequest, emit: (e: CompareEvent) => void, captureLog?: <T>(f: () => Promise<T>) => Promise<{ value: T; lines: string[] }>): Promise<CompareResult> {
  const { spec, data, seed } = req;
  const support = compiledSupport(spec);
  if (!support.ok) throw new Error(support.message);
  if (!spec.compile) throw new Error('The model is not compiled');
  const roundSteps = req.roundSteps ?? 64;
  const rounds = Math.max(2, req.rounds ?? 3);
  const matchSteps = req.matchSteps ?? 50;
  const { batchSize } = fitSettings(spec);
  const { provider, note } = compiledProviderFor(req.backend);
  const capture = captureLog ?? (async <T>(f: () => Promise<T>) => ({ value: await f(), lines: [] as string[] }));

  emit({ type: 'status', text: `Starting TF.js on ${req.backend}…` });
  const tfBackend = await resolveBackend(tf, req.backend, loaders);
  const model = buildModel(tf, spec, seed);
  const weights0 = readTfjsWeights(model, spec);
  const total = roundSteps * rounds;
  const batches = planBatches(data, spec, seed, batchSize, total);

  // Eager: the training loop's step (optimizer.minimize), with the shared dropout masks.
  let eagerStep = 0;
  useDropoutMasks(tf, model, spec, seed, () => eagerStep);
  const optimizer = model.optimizer!;
  const lossFn = model.lossFunctions[0];
  const vars = model.trainableWeights.map((w) => w.read() as TF.Variable);
  const xAll = tf.tensor(data.x, data.xShape, 'float32');
  const yAll = tf.tensor(data.y, data.yShape, 'float32');
  const oneEager = (b: Batch): TF.Scalar =>
    tf.tidy(() => {
      const it = tf.tensor1d(b.idx, 'int32');
      const xb = tf.gather(xAll, it);
      const yb = tf.gather(yAll, it);
      const cost = optimizer.minimize(() => {
        const pred = model.apply(xb, { training: true }) as TF.Tensor;
        let loss = tf.mean(lossFn(yb, pred)) as TF.Scalar;
        const reg = model.calculateLosses();
        if (reg.length) loss = tf.add(loss, tf.addN(reg));
        return loss;
      }, true, vars) as TF.Scalar;
      eagerStep++;
      return cost;
    });

  emit({ type: 'status', text: `Compiling the training step for ONNX Runtime (${provider})…` });
  const created = await capture(() => CompiledTrainer.create(ort, { spec, batchSize, provider, weights: weights0, seed }));
  const trainer = created.value;
  const K = trainer.stepsPerRun;
  // ORT's node count after its graph optimizations: from its own "Node placements" log (verbose), on a one-step
  // session of the same graph (the trainer's sessions log at warning level).
  const one = compileTrainStep(spec, { batchSize, steps: 1, weights: weights0 });
  const probe = await capture(() =>
    ort.InferenceSession.create(encodeModel(one.model), { executionProviders: [trainer.provider === 'webgpu' ? 'webgpu' : 'wasm'], graphOptimizationLevel: 'all', logSeverityLevel: 0, logVerbosityLevel: 0 })
  );
  await probe.value.release();
  const placements = parsePlacements(probe.lines);
  const optimizedNodes = placements.length ? placements.reduce((a, p) => a + p.count, 0) : null;

  const eagerLosses = new Float32Array(total);
  const compiledLosses = new Float32Array(total);
  const eagerRounds: number[] = [];
  const compiledRounds: number[] = [];
  let eagerWarmup = 0;
  let compiledWarmup = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      const from = r * roundSteps;
      const slice = batches.slice(from, from + roundSteps);
      emit({ type: 'status', text: `Round ${r + 1} of ${rounds}: TF.js eager…` });
      // Eager round.
      let t0 = performance.now();
      const outs: TF.Scalar[] = [];
      for (let i = 0; i < slice.length; i++) {
        outs.push(oneEager(slice[i]));
        if (r === 0 && i === 0) {
          await outs[0].data();
          eagerWarmup = performance.now() - t0;
          t0 = performance.now();
        }
      }
      const stacked = tf.stack(outs);
      const ev = (await stacked.data()) as Float32Array;
      const eagerMs = performance.now() - t0;
      tf.dispose([stacked, ...outs]);
      eagerLosses.set(ev, from);
      eagerRounds.push(eagerMs / (r === 0 ? slice.length - 1 : slice.length));
      emit({ type: 'losses', side: 'eager', from, losses: ev.slice() });

      emit({ type: 'status', text: `Round ${r + 1} of ${rounds}: compiled (ONNX Runtime ${trainer.provider})…` });
      let c0 = performance.now();
      let first = 0;
      if (r === 0) {
        for (let i = 0; i < K; i++) await trainer.step(slice[i].x, slice[i].y);
        await trainer.readLosses().then((l) => l.forEach((s, i) => (compiledLosses[i] = s.loss)));
        compiledWarmup = performance.now() - c0;
        first = K;
        c0 = performance.now();
      }
      for (let i = first; i < slice.length; i++) await trainer.step(slice[i].x, slice[i].y);
      await trainer.flush();
      const cl = await trainer.readLosses();
      const compiledMs = performance.now() - c0;
      cl.forEach((s, i) => (compiledLosses[from + first + i] = s.loss));
      compiledRounds.push(compiledMs / (slice.length - first));
      emit({ type: 'losses', side: 'compiled', from, losses: compiledLosses.slice(from, from + slice.length) });
    }

    // Kernels dispatched by one eager step.
    const prof = await tf.profile(() => {
      const c = oneEager(batches[0]);
      c.dispose();
    });
    // (TF.js reuses its profile object: read it before the next tf.profile.)
    const eagerKernels = prof.kernels.length;
    const names = new Map<string, number>();
    for (const k of prof.kernels) names.set(k.name, (names.get(k.name) ?? 0) + 1);

    emit({ type: 'status', text: 'Inference at batch 1 and 256…' });
    const trained = await trainer.getWeights();
    const inference: InferenceRow[] = [];
    const fwd = encodeModel(exportOnnx(spec, trained, {}));
    const ep = trainer.provider === 'webgpu' ? 'webgpu' : 'wasm';
    const inf = await capture(() => ort.InferenceSession.create(fwd, { executionProviders: [ep], graphOptimizationLevel: 'all', logSeverityLevel: 0, logVerbosityLevel: 0 }));
    const session = inf.value;
    const infPlacements = parsePlacements(inf.lines);
    const fwdNodes = inspectModel(exportOnnx(spec, trained, {})).nodes.length;
    const rx = data.xShape.slice(1).reduce((a, b) => a * b, 1);
    try {
      for (const nb of req.inferBatches ?? [1, 256]) {
        const x = new Float32Array(nb * rx);
        for (let i = 0; i < x.length; i++) x[i] = data.x[i % data.x.length];
        const shape = [nb, ...data.xShape.slice(1)];
        const reps = nb === 1 ? 30 : 10;
        const xt = tf.tensor(x, shape);
        const et: number[] = [];
        for (let i = 0; i < reps + 2; i++) {
          const t = performance.now();
          const y = model.apply(xt, { training: false }) as TF.Tensor;
          await y.data();
          y.dispose();
          if (i >= 2) et.push(performance.now() - t);
        }
        const ip = await tf.profile(() => (model.apply(xt, { training: false }) as TF.Tensor).dispose());
        xt.dispose();
        const ct: number[] = [];
        const feedName = session.inputNames[0];
        for (let i = 0; i < reps + 2; i++) {
          const t = performance.now();
          const out = await session.run({ [feedName]: new ort.Tensor('float32', x, shape) });
          for (const v of Object.values(out)) {
            await v.getData();
            v.dispose();
          }
          if (i >= 2) ct.push(performance.now() - t);
        }
        const e = median(et);
        const c = median(ct);
        inference.push({ batch: nb, eagerMs: e, compiledMs: c, speedup: e / c, eagerKernels: ip.kernels.length, ortNodes: fwdNodes, ortNodesOptimized: infPlacements.length ? infPlacements.reduce((a, p) => a + p.count, 0) : null });
      }
    } finally {
      await session.release();
    }

    const graph = inspectModel(one.model);
    const eagerMs = median(eagerRounds.slice(1));
    const compiledMs = median(compiledRounds.slice(1));
    const result: CompareResult = {
      tfBackend,
      provider: trainer.provider,
      providerNote: note ?? (trainer.provider !== provider ? `ONNX Runtime could not start ${provider}; it runs on ${trainer.provider}.` : null),
      batchSize,
      steps: total,
      matchSteps,
      maxRelDiff: maxRelativeDifference(eagerLosses, compiledLosses, matchSteps),
      eager: { msPerStep: eagerMs, rounds: eagerRounds, warmupMs: eagerWarmup, kernelsPerStep: eagerKernels, kernelNames: [...names].sort((a, b) => b[1] - a[1]) },
      compiled: {
        msPerStep: compiledMs,
        rounds: compiledRounds,
        warmupMs: compiledWarmup,
        compileMs: trainer.compileMs,
        stepsPerRun: K,
        nodesPerStep: trainer.nodeCount / K,
        optimizedNodesPerStep: optimizedNodes,
        placements: placements.map((p) => ({ provider: p.provider, count: p.count, nodes: p.nodes }))
      },
      speedup: eagerMs / compiledMs,
      inference,
      graph,
      fused: estimateFusions(graph, trainer.provider)
    };
    emit({ type: 'result', result });
    return result;
  } finally {
    tf.dispose([xAll, yAll]);
    model.optimizer?.dispose();
    model.dispose();
    await trainer.dispose();
  }
}
