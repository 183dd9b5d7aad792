/**
 * Seeded dropout keep-masks shared by the compiled step and the eager loop, so both train with the same masks.
 *
 * mask = 1/(1−rate) where u ≥ rate, else 0 (u uniform in [0, 1) from Rng(mixSeed(seed, step, layerIndex))): the
 * same rule as tf.dropout (floor(u + keep) / keep). `step` counts optimizer steps from 0 over the whole run.
 *
 * Eager side: `useDropoutMasks(tf, model, spec, seed, () => step)` makes the model's dropping layers (those whose
 * registry entry has `dropoutRate`, e.g. Dropout) multiply by these masks in training (call it once after
 * buildModel; the loop must advance the step counter after every batch).
 */
import { mixSeed, Rng } from '$lib/data/rng';
import { getLayer } from '$lib/layers';
import type { Tfjs } from '$lib/layers/types';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';

export function dropoutMask(seed: number, step: number, layerIndex: number, count: number, rate: number, out = new Float32Array(count)): Float32Array {
  const r = new Rng(mixSeed(seed, step, layerIndex, 0xd20f));
  const scale = 1 / (1 - rate);
  for (let i = 0; i < count; i++) out[i] = r.next() >= rate ? scale : 0;
  return out;
}

/** Patch the TF.js dropping layers (`LayerDef.dropoutRate`) of `model` (built from `spec`) to use `dropoutMask` for the step `step()`. */
export function useDropoutMasks(tf: Tfjs, model: TF.LayersModel, spec: ModelSpec, seed: number, step: () => number): void {
  spec.layers.forEach((node, layerIndex) => {
    const rate = getLayer(node.kind)?.dropoutRate?.(node.args);
    if (rate === undefined) return;
    const layer = model.getLayer(node.id) as unknown as {
      call: (inputs: TF.Tensor | TF.Tensor[], kwargs: Record<string, unknown>) => TF.Tensor;
      useDropoutMask?: (mask: (shape: number[]) => TF.Tensor) => void;
    };
    // A layer that drops inside its computation (MultiHeadAttention: the attention probabilities) takes the masks itself.
    if (layer.useDropoutMask) {
      layer.useDropoutMask((shape) => tf.tensor(dropoutMask(seed, step(), layerIndex, shape.reduce((a, b) => a * b, 1), rate), shape));
      return;
    }
    layer.call = (inputs, kwargs) => {
      const x = Array.isArray(inputs) ? inputs[0] : inputs;
      if (!kwargs?.training || rate === 0) return x;
      const mask = tf.tensor(dropoutMask(seed, step(), layerIndex, x.size, rate), x.shape);
      return tf.mul(x, mask);
    };
  });
}
