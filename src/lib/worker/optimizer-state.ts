/**
 * The training state a session keeps to resume exactly: the weights and the TF.js optimizer's state (Adam's and
 * RMSprop's moments, SGD's momentum, the step count that drives Adam's bias correction) at the end of an epoch. The
 * data order needs no saving: the loop shuffles every epoch from (run seed, epoch number) (engines/train-loop.ts
 * `epochOrder`), so a run continued at epoch N + 1 draws the batches an uninterrupted run would have drawn.
 *
 * A checkpoint is taken on the device at each epoch end (clones: TF.js shares the buffers until the optimizer
 * replaces a variable's value, so this copies nothing) and read back only when the session is saved.
 */
import type { Tfjs } from '$lib/layers/types';
import type * as TF from '@tensorflow/tfjs';
import type { OptimizerState, WeightSnapshot, WeightTensor } from './protocol';
import type { Engine } from '$lib/compile/compiled-methods';
import type { CompiledOptimizerState } from '$lib/compile/runner';
import { optimizerPlan } from '$lib/compile/optimizers';
import { kerasWeightName } from '$lib/engines/tfjs/weights';
import type { ModelSpec } from '$lib/spec/types';

export interface DeviceCheckpoint {
  epoch: number;
  engine: Engine;
  weights: { name: string; tensor: TF.Tensor }[];
  /** The eager engine's optimizer state, on the device (null for the compiled engine, or when it cannot be read). */
  optimizer: { className: string; slots: { name: string; tensor: TF.Tensor }[] } | null;
  /** The compiled engine's optimizer state, read back from ONNX Runtime at the epoch end (already host data). */
  host?: OptimizerState | null;
}

/** Clones the model's weights and (for the eager engine) its optimizer's state, on the device. */
export async function takeCheckpoint(tf: Tfjs, model: TF.LayersModel, epoch: number, engine: Engine, host?: OptimizerState | null): Promise<DeviceCheckpoint> {
  const weights = tf.tidy(() => model.weights.map((w) => ({ name: w.originalName ?? w.name, tensor: tf.keep(w.read().clone()) })));
  let optimizer: DeviceCheckpoint['optimizer'] = null;
  const opt = model.optimizer;
  if (opt && engine === 'eager') {
    try {
      const named = await opt.getWeights();
      // The step count is a fresh tensor; the slots are the optimizer's own variables (cloned, they survive its updates).
      const slots = named.map((n, i) => ({ name: n.name, tensor: i === 0 ? n.tensor : tf.clone(n.tensor) }));
      optimizer = { className: opt.getClassName(), slots };
    } catch {
      optimizer = null; // an optimizer without getWeights: a continued run restarts it (said in the UI)
    }
  }
  return { epoch, engine, weights, optimizer, ...(engine === 'compiled' && host ? { host } : {}) };
}

export function disposeCheckpoint(tf: Tfjs, c: DeviceCheckpoint | null): void {
  if (!c) return;
  tf.dispose(c.weights.map((w) => w.tensor));
  if (c.optimizer) tf.dispose(c.optimizer.slots.map((s) => s.tensor));
}

/** Reads a device checkpoint back as a WeightSnapshot (structured-clone / IndexedDB safe). */
export async function readCheckpoint(tf: Tfjs, c: DeviceCheckpoint, key: string): Promise<WeightSnapshot> {
  // Cloned first: the next epoch end may replace (and free) the checkpoint while this reads it back.
  const own = (list: { name: string; tensor: TF.Tensor }[]) => list.map((t) => ({ name: t.name, tensor: tf.clone(t.tensor) }));
  const w = own(c.weights);
  const o = c.optimizer ? own(c.optimizer.slots) : null;
  const read = (list: { name: string; tensor: TF.Tensor }[]): Promise<WeightTensor[]> =>
    Promise.all(list.map(async (t) => ({ name: t.name, shape: [...t.tensor.shape], values: Float32Array.from((await t.tensor.data()) as ArrayLike<number>) })));
  try {
    const snapshot: WeightSnapshot = { specKey: key, epoch: c.epoch, weights: await read(w), engine: c.engine };
    if (c.optimizer && o) snapshot.optimizer = { className: c.optimizer.className, slots: await read(o) };
    else if (c.host) snapshot.optimizer = c.host;
    return snapshot;
  } finally {
    tf.dispose([...w, ...(o ?? [])].map((t) => t.tensor));
  }
}

/** Why `state` cannot be loaded into `optimizer`, or null when it fits. */
export function optimizerMismatch(optimizer: TF.Optimizer, state: OptimizerState, trainable: TF.LayerVariable[]): string | null {
  if (state.className !== optimizer.getClassName()) return `it was saved for ${state.className}, the program now uses ${optimizer.getClassName()}`;
  const slots = state.slots.slice(1);
  if (state.slots[0]?.name !== 'iter' || state.slots[0].values.length !== 1) return 'its step count is missing';
  if (trainable.length === 0) return slots.length ? 'the model has no trainable weights' : null;
  if (slots.length % trainable.length !== 0) return `it has ${slots.length} slots for ${trainable.length} weights`;
  for (let i = 0; i < slots.length; i++) {
    const w = trainable[i % trainable.length];
    if (slots[i].shape.join('×') !== w.shape.join('×')) return `slot ${slots[i].name} does not fit ${w.originalName ?? w.name}`;
  }
  return null;
}

/**
 * Restores the optimizer's state (step count and slots) before a continued run; returns why it could not (the run
 * then starts the optimizer afresh), or null.
 */
export async function restoreOptimizer(tf: Tfjs, model: TF.LayersModel, state: OptimizerState | undefined): Promise<string | null> {
  const opt = model.optimizer;
  if (!state) return 'no optimizer state was saved';
  if (!opt) return 'the model has no optimizer';
  const why = optimizerMismatch(opt, state, model.trainableWeights);
  if (why) return why;
  const tensors = state.slots.map((s, i) => ({ name: s.name, tensor: i === 0 ? tf.scalar(s.values[0], 'int32') : tf.tensor(s.values, s.shape, 'float32') }));
  try {
    await opt.setWeights(tensors);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    // setWeights made its own variables from these (they keep the buffers alive).
    tf.dispose(tensors.map((t) => t.tensor));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The compiled engine's state in the same saved layout (so a run saved by either engine continues on either).
//
// The compiled graph keeps each slot as one flat vector over all trainable weights and the step count implicitly in
// its scalars (Adam's β powers); TF.js keeps one variable per (slot, weight) and `iter`. Both use the same formulas
// (optimizers/*.ts), the same slot order (the plan's `slots` = TF.js' getWeights order) and the same weights.

/** The trainable weights in TF.js' order (`model.trainableWeights`, the optimizer's slot order) as `node/weight` keys. */
function trainableKeys(model: TF.LayersModel, spec: ModelSpec): { key: string; name: string; shape: number[] }[] | string {
  const byVariable = new Map<string, string>();
  for (const node of spec.layers) {
    let layer: TF.layers.Layer;
    try {
      layer = model.getLayer(node.id);
    } catch {
      return `the model has no layer ${node.id}`;
    }
    for (const v of layer.trainableWeights) byVariable.set(v.name, `${node.id}/${kerasWeightName(layer.name, v)}`);
  }
  const out: { key: string; name: string; shape: number[] }[] = [];
  for (const v of model.trainableWeights) {
    const key = byVariable.get(v.name);
    if (!key) return `the weight ${v.originalName ?? v.name} belongs to no layer of the program`;
    out.push({ key, name: v.originalName ?? v.name, shape: [...v.shape] as number[] });
  }
  return out;
}

/**
 * The compiled trainer's state (runner.ts `getOptimizerState`) in the saved layout of the eager engine: TF.js' class
 * name (of the mirror model's optimizer, the same program), `iter`, then every slot per trainable weight in TF.js'
 * order; `globals` keeps the graph's scalars as they are (TF.js recomputes its own from `iter`).
 */
export function compiledToSaved(state: CompiledOptimizerState, model: TF.LayersModel, spec: ModelSpec): OptimizerState | string {
  const opt = model.optimizer;
  if (!opt || !spec.compile) return 'the model has no optimizer';
  const keys = trainableKeys(model, spec);
  if (typeof keys === 'string') return keys;
  const plan = optimizerPlan(spec.compile.optimizer);
  const slots: WeightTensor[] = [{ name: 'iter', shape: [], values: Float32Array.of(state.step) }];
  for (const s of plan.slots) {
    const per = state.slots[s.name];
    if (!per && keys.length) return `the compiled state has no slot ${s.name}`;
    for (const k of keys) {
      const values = per[k.key];
      if (!values) return `the compiled state has no ${s.name} for ${k.key}`;
      slots.push({ name: `${k.name}/${s.name}`, shape: k.shape, values: Float32Array.from(values) });
    }
  }
  const globals = plan.globals.map((g) => ({ name: g.name, value: state.globals[g.name] }));
  return { className: opt.getClassName(), slots, ...(globals.length ? { globals } : {}) };
}

/**
 * A saved state (from either engine) as the compiled trainer restores it, or why it does not fit the program (the
 * run then starts the optimizer afresh). Scalars the save lacks (a save of the eager engine) come from the step
 * count: the β powers of Adam are βᵗ⁺¹ after t steps, as TF.js' `setWeights` computes them.
 */
export function savedToCompiled(state: OptimizerState | undefined, model: TF.LayersModel, spec: ModelSpec): CompiledOptimizerState | string {
  if (!state) return 'no optimizer state was saved';
  const opt = model.optimizer;
  if (!opt || !spec.compile) return 'the model has no optimizer';
  const why = optimizerMismatch(opt, state, model.trainableWeights);
  if (why) return why;
  const keys = trainableKeys(model, spec);
  if (typeof keys === 'string') return keys;
  const plan = optimizerPlan(spec.compile.optimizer);
  const per = state.slots.slice(1);
  if (per.length !== plan.slots.length * keys.length) return `it has ${per.length} slots, the compiled ${plan.name} wants ${plan.slots.length * keys.length}`;
  const step = state.slots[0].values[0];
  const out: CompiledOptimizerState = { step, slots: {}, globals: {} };
  plan.slots.forEach((s, i) => {
    const m: Record<string, Float32Array> = (out.slots[s.name] = {});
    keys.forEach((k, j) => (m[k.key] = Float32Array.from(per[i * keys.length + j].values)));
  });
  for (const g of plan.globals) {
    const saved = state.globals?.find((x) => x.name === g.name)?.value;
    if (saved !== undefined && Number.isFinite(saved)) out.globals[g.name] = saved;
    else if (g.name.endsWith('_power')) out.globals[g.name] = Math.fround(Math.pow(g.init, step + 1));
    else return `the compiled ${plan.name} needs its ${g.name}, which was not saved`;
  }
  return out;
}
