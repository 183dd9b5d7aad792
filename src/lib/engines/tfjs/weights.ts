/**
 * Reading (and writing) a TF.js model's weights as a `WeightMap` (node id → Keras weight name → shape + data), the form the ONNX
 * exporter and the train-step compiler take; and seeded random weights for conformance checks.
 * TF.js is passed in or used through the model (never imported here at run time).
 */
import { Rng } from '$lib/data/rng';
import { getLayer } from '$lib/layers';
import { kerasClassName, type Tfjs } from '$lib/layers/types';
import type { WeightMap } from '$lib/onnx/export';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';

/** The Keras weight name of a TF.js variable: `dense_1/kernel` (or `dense_1/kernel_1` when TF.js made it unique) → `kernel`. */
export function kerasWeightName(layerName: string, v: TF.LayerVariable): string {
  const original = (v as unknown as { originalName?: string }).originalName ?? v.name;
  const prefix = `${layerName}/`;
  return original.startsWith(prefix) ? original.slice(prefix.length) : original.slice(original.lastIndexOf('/') + 1);
}

/**
 * Every weight of the spec's layers, read from the TF.js model built from it (`buildModel`). The layers of a chain
 * (`dense__leaky_relu`) have no weights and are skipped. Throws when a layer of the spec is missing from the model.
 */
export function readTfjsWeights(model: TF.LayersModel, spec: ModelSpec): WeightMap {
  const out: WeightMap = {};
  for (const node of spec.layers) {
    let layer: TF.layers.Layer;
    try {
      layer = model.getLayer(node.id);
    } catch {
      throw new Error(`The TF.js model has no layer ${node.id} (${node.kind}, line ${node.span.line}): was it built from this program?`);
    }
    const weights: WeightMap[string] = {};
    for (const v of layer.weights) {
      weights[kerasWeightName(layer.name, v)] = { shape: [...v.shape] as number[], data: Float32Array.from(v.read().dataSync() as Float32Array) };
    }
    out[node.id] = weights;
  }
  return out;
}

/** Writes a WeightMap (as `readTfjsWeights` or the compiled engine's `getWeights` returns it) into the TF.js model built from `spec`. */
export function writeWeightMap(tf: Tfjs, model: TF.LayersModel, spec: ModelSpec, weights: WeightMap): void {
  for (const node of spec.layers) {
    const w = weights[node.id];
    if (!w) continue;
    const layer = model.getLayer(node.id);
    if (layer.weights.length === 0) continue;
    const values = layer.weights.map((v) => {
      const t = w[kerasWeightName(layer.name, v)];
      return t ? tf.tensor(t.data, t.shape) : v.read().clone();
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}

/**
 * Replaces every weight of the model with seeded random values, so a comparison cannot pass by luck of the
 * initialisers (zero biases, unit gamma, zero moving mean, unit moving variance): uniform in [-0.5, 0.5] for
 * kernels, biases, gamma and beta, moving means in [-0.5, 0.5]; in [0.5, 1.5] for the weights a layer declares
 * `positive` (moving variances). A layer's TF.js class name is its Keras class name for the layers with weights.
 */
export function randomizeWeights(tf: Tfjs, model: TF.LayersModel, seed: number): void {
  const rng = new Rng(seed);
  for (const layer of model.layers) {
    const ws = layer.weights;
    if (ws.length === 0) continue;
    const positive = new Set((getLayer(kerasClassName(layer))?.weights ?? []).filter((w) => w.positive).map((w) => w.name));
    const values = ws.map((v) => {
      const name = kerasWeightName(layer.name, v);
      const n = v.shape.reduce((a: number, b) => a * (b ?? 1), 1);
      const data = new Float32Array(n);
      for (let i = 0; i < n; i++) data[i] = positive.has(name) ? 0.5 + rng.next() : rng.next() - 0.5;
      return tf.tensor(data, v.shape as number[]);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
}
