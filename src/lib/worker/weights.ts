/**
 * Reading and restoring a model's weights as plain typed arrays (for saving a session in IndexedDB), and the key
 * that says which architecture a set of weights belongs to. TF.js is passed in, so this runs in the worker and
 * under vitest alike.
 */
import type { Tfjs } from '$lib/layers/types';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import type { WeightSnapshot } from './protocol';

/** The architecture of a spec as a string: inputs, layers and outputs without source spans (fit settings excluded). */
export function specKey(spec: ModelSpec): string {
  return JSON.stringify({ inputs: spec.inputs, layers: spec.layers, outputs: spec.outputs }, (key, value) =>
    key === 'span' ? undefined : value
  );
}

/**
 * Copies the model's weights. Safe between training steps: the values are cloned first, so an optimizer step that
 * replaces a variable while the copy is read back does not free it.
 */
export async function readWeights(tf: Tfjs, model: TF.LayersModel, key: string, epoch: number): Promise<WeightSnapshot> {
  const vars = model.weights;
  const clones = tf.tidy(() => vars.map((w) => w.read().clone()));
  try {
    const values = await Promise.all(clones.map((c) => c.data()));
    return {
      specKey: key,
      epoch,
      weights: vars.map((w, i) => ({ name: w.originalName ?? w.name, shape: [...w.shape] as number[], values: new Float32Array(values[i]) }))
    };
  } finally {
    tf.dispose(clones);
  }
}

/** Why `snapshot` cannot be loaded into `model`, or null when it fits. */
export function weightsMismatch(model: TF.LayersModel, snapshot: WeightSnapshot): string | null {
  const vars = model.weights;
  if (vars.length !== snapshot.weights.length) {
    return `the saved weights have ${snapshot.weights.length} tensors, the model has ${vars.length}`;
  }
  for (let i = 0; i < vars.length; i++) {
    const want = vars[i].shape.join('×');
    const got = snapshot.weights[i].shape.join('×');
    if (want !== got) return `${vars[i].originalName ?? vars[i].name} is ${want} in the model but ${got} in the saved weights`;
    const size = vars[i].shape.reduce((a: number, b) => a * (b ?? 1), 1);
    if (snapshot.weights[i].values.length !== size) return `${vars[i].originalName ?? vars[i].name} has the wrong number of values`;
  }
  return null;
}

/** Loads `snapshot` into `model`; throws with a plain message when it does not fit. */
export function writeWeights(tf: Tfjs, model: TF.LayersModel, snapshot: WeightSnapshot): void {
  const why = weightsMismatch(model, snapshot);
  if (why) throw new Error(`The saved weights do not fit this model: ${why}. Press Train to start from fresh weights.`);
  const tensors = snapshot.weights.map((w) => tf.tensor(w.values, w.shape, 'float32'));
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}
