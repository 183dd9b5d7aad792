/**
 * ModelSpec → compiled TF.js LayersModel. TF.js is passed in (never imported at run time outside the worker).
 * Always builds a functional graph (`tf.model({inputs, outputs})`), which covers Sequential specs too.
 */
import { mixSeed } from '$lib/data/rng';
import { getLayer } from '$lib/layers';
import type { Tfjs } from '$lib/layers/types';
import type { ArgValue, LossName, ModelSpec, OptimizerSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';

/** Per-layer initialiser seed: same run seed + same layer index → same weights. Kept below 2^31 (layers add small offsets). */
export function layerSeed(seed: number, index: number): number {
  return mixSeed(seed, index, 0x1a7e) % 0x7fff0000;
}

export const TFJS_LOSS: Record<LossName, string> = {
  categorical_crossentropy: 'categoricalCrossentropy',
  sparse_categorical_crossentropy: 'sparseCategoricalCrossentropy',
  binary_crossentropy: 'binaryCrossentropy',
  mse: 'meanSquaredError',
  mae: 'meanAbsoluteError'
};

/** Keras' default learning rates (used in advice, e.g. after a divergence). */
export const DEFAULT_LEARNING_RATE: Record<OptimizerSpec['name'], number> = {
  adam: 0.001,
  sgd: 0.01,
  rmsprop: 0.001,
  adagrad: 0.001
};

function num(args: Record<string, ArgValue>, name: string, dflt: number): number {
  const v = args[name];
  return typeof v === 'number' ? v : dflt;
}

/** The TF.js optimizer for a Keras optimizer, with Keras' default hyper-parameters. */
export function makeOptimizer(tf: Tfjs, opt: OptimizerSpec): TF.Optimizer {
  const a = opt.args ?? {};
  const lr = opt.learningRate;
  switch (opt.name) {
    case 'adam':
      return tf.train.adam(lr, num(a, 'beta_1', 0.9), num(a, 'beta_2', 0.999), num(a, 'epsilon', 1e-7));
    case 'sgd': {
      const momentum = num(a, 'momentum', 0);
      const nesterov = a.nesterov === true;
      return momentum > 0 || nesterov ? tf.train.momentum(lr, momentum, nesterov) : tf.train.sgd(lr);
    }
    case 'rmsprop':
      return tf.train.rmsprop(lr, num(a, 'rho', 0.9), num(a, 'momentum', 0), num(a, 'epsilon', 1e-7), a.centered === true);
    case 'adagrad':
      return tf.train.adagrad(lr, num(a, 'initial_accumulator_value', 0.1));
    default:
      throw new Error(`unsupported optimizer ${String(opt.name)}`);
  }
}

export type MetricFn = (yTrue: TF.Tensor, yPred: TF.Tensor) => TF.Tensor;

export interface ResolvedMetric {
  /** Key in the epoch log: 'acc' or 'mae' (validation: 'valAcc', 'valMae'). */
  key: 'acc' | 'mae';
  fn: MetricFn;
}

/**
 * The metric functions for the spec's metrics, resolving "accuracy" the way Keras does:
 * binary accuracy for one output unit or binary_crossentropy, sparse categorical accuracy for
 * sparse_categorical_crossentropy, categorical accuracy otherwise.
 */
export function resolveMetrics(tf: Tfjs, spec: ModelSpec, outputUnits: number): ResolvedMetric[] {
  const c = spec.compile;
  if (!c) return [];
  const out: ResolvedMetric[] = [];
  for (const m of c.metrics) {
    if (m === 'accuracy' && !out.some((r) => r.key === 'acc')) {
      const fn =
        outputUnits === 1 || c.loss === 'binary_crossentropy'
          ? tf.metrics.binaryAccuracy
          : c.loss === 'sparse_categorical_crossentropy'
            ? tf.metrics.sparseCategoricalAccuracy
            : tf.metrics.categoricalAccuracy;
      out.push({ key: 'acc', fn });
    } else if (m === 'mae' && !out.some((r) => r.key === 'mae')) {
      out.push({ key: 'mae', fn: tf.metrics.meanAbsoluteError });
    }
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
    const t = tf.input({ shape: inp.shape, name: inp.name || inp.id });
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
    let out = chain[0].apply(def.arity === 1 ? ins[0] : ins) as TF.SymbolicTensor | TF.SymbolicTensor[];
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
      loss: TFJS_LOSS[spec.compile.loss],
      metrics: resolveMetrics(tf, spec, outputUnits(model)).map((m) => m.fn)
    });
  }
  return model;
}
