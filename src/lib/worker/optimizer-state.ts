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

export interface DeviceCheckpoint {
  epoch: number;
  engine: Engine;
  weights: { name: string; tensor: TF.Tensor }[];
  /** Null when the optimizer's state cannot be read (the compiled engine keeps it in ONNX Runtime). */
  optimizer: { className: string; slots: { name: string; tensor: TF.Tensor }[] } | null;
}

/** Clones the model's weights and (for the eager engine) its optimizer's state, on the device. */
export async function takeCheckpoint(tf: Tfjs, model: TF.LayersModel, epoch: number, engine: Engine): Promise<DeviceCheckpoint> {
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
  return { epoch, engine, weights, optimizer };
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
