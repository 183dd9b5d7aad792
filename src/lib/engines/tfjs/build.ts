/**
 * ModelSpec → compiled TF.js LayersModel. TF.js is passed in (never imported at run time outside the worker).
 * Always builds a functional graph (`tf.model({inputs, outputs})`), which covers Sequential specs too.
 */
import { mixSeed } from '$lib/data/rng';
import { getLayer } from '$lib/layers';
import type { Tfjs } from '$lib/layers/types';
import { lossDef } from '$lib/losses';
import { getMetric, type MetricFn, type MetricLogKey } from '$lib/metrics';
import { defaultLearningRate, OPTIMIZER_LIST, optimizerDef, type OptimizerName } from '$lib/optimizers';
import type { ModelSpec, OptimizerSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';

/** Per-layer initialiser seed: same run seed + same layer index → same weights. Kept below 2^31 (layers add small offsets). */
export function layerSeed(seed: number, index: number): number {
  return mixSeed(seed, index, 0x1a7e) % 0x7fff0000;
}

/** Keras' default learning rates (used in advice, e.g. after a divergence). */
export const DEFAULT_LEARNING_RATE = Object.fromEntries(OPTIMIZER_LIST.map((o) => [o.name, defaultLearningRate(o.name)])) as Record<OptimizerName, number>;

/** The TF.js optimizer for a Keras optimizer (the registry's TF.js lowering, with Keras' default hyper-parameters). */
export function makeOptimizer(tf: Tfjs, opt: OptimizerSpec): TF.Optimizer {
  return optimizerDef(opt).toTfjs(tf, opt.learningRate, opt.args ?? {});
}

export type { MetricFn } from '$lib/metrics';

export interface ResolvedMetric {
  /** Key in the epoch log: 'acc' or 'mae' (validation: 'valAcc', 'valMae'). */
  key: MetricLogKey;
  fn: MetricFn;
}

/**
 * The metric functions for the spec's metrics (one per log key), resolving "accuracy" the way Keras does:
 * binary accuracy for one output unit or binary_crossentropy, sparse categorical accuracy for
 * sparse_categorical_crossentropy, categorical accuracy otherwise (see the metric registry).
 */
export function resolveMetrics(tf: Tfjs, spec: ModelSpec, outputUnits: number): ResolvedMetric[] {
  const c = spec.compile;
  if (!c) return [];
  const out: ResolvedMetric[] = [];
  for (const m of c.metrics) {
    const def = getMetric(m);
    if (!def || out.some((r) => r.key === def.logKey)) continue;
    out.push({ key: def.logKey as MetricLogKey, fn: def.resolve(c.loss, outputUnits).toTfjs(tf) });
  }
  return out;
}

/** Size of the last axis of the model's (first) output. */
export function outputUnits(model: TF.LayersModel): number {
  const shape = model.outputs[0].shape;
  return shape[shape.length - 1] ?? 1;
}

/**
 * Builds the model's graph with seeded initialisers and compiles it with the spec's optimizer, loss and metrics
 * (left uncompiled when the spec has no `compile`).
 */
export function buildModel(tf: Tfjs, spec: ModelSpec, seed: number): TF.LayersModel {
  const tensors = new Map<string, TF.SymbolicTensor>();
  const inputs = spec.inputs.map((inp) => {
    // keras.Input(dtype="int32"): TF.js casts the (float) data fed to it, as Keras takes int token ids.
    const t = tf.input({ shape: inp.shape, name: inp.name || inp.id, dtype: inp.dtype ?? 'float32' });
    tensors.set(inp.id, t);
    return t;
  });
  spec.layers.forEach((node, index) => {
    const def = getLayer(node.kind);
    if (!def) throw new Error(`Unknown layer ${node.kind}`);
    const ins = node.inputs.map((id) => {
      const t = tensors.get(id);
      if (!t) throw new Error(`${node.id} takes ${id}, which is not defined before it`);
      return t;
    });
    const lowered = def.toTfjs(node, { tf, seed: layerSeed(seed, index), inputShapes: ins.map((t) => t.shape.slice(1) as number[]) });
    // A layer may lower to a chain (e.g. Dense + LeakyReLU for activation="leaky_relu"), applied in sequence.
    const chain = Array.isArray(lowered) ? lowered : [lowered];
    // A layer called with named tensors (LayerDef.call) is applied to its distinct inputs: tfjs-layers' executor
    // counts a consumer once per distinct input but releases an input once per occurrence, so `mha(h, h)` would free
    // h in predict before a later layer (the residual Add) reads it.
    const applied = def.arity === 1 ? ins[0] : def.call ? [...new Set(ins)] : ins;
    let out = chain[0].apply(applied) as TF.SymbolicTensor | TF.SymbolicTensor[];
    for (const next of chain.slice(1)) out = next.apply(Array.isArray(out) ? out[0] : out) as TF.SymbolicTensor | TF.SymbolicTensor[];
    tensors.set(node.id, Array.isArray(out) ? out[0] : out);
  });
  const outputs = spec.outputs.map((id) => {
    const t = tensors.get(id);
    if (!t) throw new Error(`The output ${id} is not defined`);
    return t;
  });
  const model = tf.model({ inputs, outputs, name: spec.modelName || 'model' });
  if (spec.compile) {
    model.compile({
      optimizer: makeOptimizer(tf, spec.compile.optimizer),
      loss: lossDef(spec.compile.loss).tfjs,
      metrics: resolveMetrics(tf, spec, outputUnits(model)).map((m) => m.fn)
    });
  }
  return model;
}
