/**
 * Pictures of a model, computed in the worker and sent to the UI small: weight and gradient histograms as bin
 * counts, Conv2D filters as small grids, test-set evaluation as a confusion matrix + predicted labels, and one
 * sample's activations through every layer (the "eager" view: the network stepped through like a debugger).
 * Pure functions over an injected TF.js, so vitest runs them on the cpu backend.
 */
import { getLayer } from '$lib/layers';
import { kerasClassName, type Tfjs } from '$lib/layers/types';
import type * as TF from '@tensorflow/tfjs';

export interface Histogram {
  min: number;
  max: number;
  /** Bin counts over [min, max], equal widths; the last bin includes max. */
  counts: number[];
}

export const HISTOGRAM_BINS = 24;

/** Bin counts of `values` over their own range (NaN and ±Infinity are skipped). */
export function histogram(values: ArrayLike<number>, bins = HISTOGRAM_BINS): Histogram {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const counts = new Array<number>(bins).fill(0);
  if (min === Infinity) return { min: 0, max: 0, counts };
  const width = max - min;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    const k = width > 0 ? Math.min(bins - 1, Math.floor(((v - min) / width) * bins)) : Math.floor(bins / 2);
    counts[k]++;
  }
  return { min, max, counts };
}

export interface LayerHistogram {
  /** The layer's name (the variable name in the program, e.g. "conv2d_1"). */
  layer: string;
  /** TF.js class name, e.g. "Dense", "Conv2D". */
  className: string;
  /** Which weight: "kernel" (Dense/Conv2D), "gamma" (BatchNormalization)… */
  weight: string;
  shape: number[];
  weights: Histogram;
  /** Of the last captured batch's gradient; absent before the first captured step. */
  gradients?: Histogram;
}

/** One trainable weight's values (read back from the device). */
export interface WeightValues {
  /** The TF.js variable name, e.g. "dense_1/kernel". */
  name: string;
  shape: number[];
  values: Float32Array;
}

interface PictureWeight {
  layer: TF.layers.Layer;
  variable: TF.LayerVariable;
  weight: string;
}

/** The main weight of every layer that has trainable weights: its kernel (or its first weight, e.g. gamma). */
function mainWeights(model: TF.LayersModel): PictureWeight[] {
  const out: PictureWeight[] = [];
  for (const layer of model.layers) {
    const ws = layer.trainableWeights;
    if (!ws.length) continue;
    const variable = ws.find((w) => /kernel$/.test(w.originalName ?? w.name)) ?? ws[0];
    const name = variable.originalName ?? variable.name;
    out.push({ layer, variable, weight: name.slice(name.lastIndexOf('/') + 1) });
  }
  return out;
}

/** Reads several tensors back in one sync (one GPU→CPU transfer on GPU backends). */
async function readAll(tf: Tfjs, tensors: TF.Tensor[]): Promise<Float32Array[]> {
  if (tensors.length === 0) return [];
  const flat = tf.tidy(() => tf.concat(tensors.map((t) => tf.reshape(t, [-1]))));
  const all = (await flat.data()) as Float32Array;
  flat.dispose();
  const out: Float32Array[] = [];
  let o = 0;
  for (const t of tensors) {
    out.push(all.slice(o, o + t.size));
    o += t.size;
  }
  return out;
}

/**
 * Weight histograms of every layer with weights, and gradient histograms where `grads` (by TF.js variable name,
 * as `trainModel`'s `onGradients` hands them) has that weight.
 */
export async function layerHistograms(tf: Tfjs, model: TF.LayersModel, grads?: WeightValues[], bins = HISTOGRAM_BINS): Promise<LayerHistogram[]> {
  const ws = mainWeights(model);
  const values = await readAll(tf, ws.map((w) => w.variable.read()));
  const byName = new Map((grads ?? []).map((g) => [g.name, g]));
  return ws.map((w, i) => {
    const g = byName.get(w.variable.name);
    const h: LayerHistogram = {
      layer: w.layer.name,
      className: kerasClassName(w.layer),
      weight: w.weight,
      shape: w.variable.shape.map((d) => d ?? 0),
      weights: histogram(values[i], bins)
    };
    if (g) h.gradients = histogram(g.values, bins);
    return h;
  });
}

export interface ConvFilters {
  layer: string;
  kh: number;
  kw: number;
  inChannels: number;
  filters: number;
  /**
   * `filters × kh × kw` values, filter-major: each filter's kernel averaged over its input channels (exactly the
   * kernel when there is one input channel, as for the first layer on grey images).
   */
  values: Float32Array;
}

/** At most this many filters per layer are sent (the first ones). */
export const MAX_FILTERS = 64;

/**
 * The learned filters of every layer whose registry entry pictures them (`LayerDef.inspect === 'filters'`, e.g.
 * Conv2D), as small grey images. A layer's TF.js class name is its Keras class name for these layers.
 */
export async function convFilters(tf: Tfjs, model: TF.LayersModel): Promise<ConvFilters[]> {
  const convs = model.layers.filter((l) => getLayer(kerasClassName(l))?.inspect === 'filters' && l.trainableWeights.length > 0);
  if (!convs.length) return [];
  const kernels = convs.map((l) => (l.trainableWeights.find((w) => /kernel$/.test(w.originalName ?? w.name)) ?? l.trainableWeights[0]).read());
  const means = kernels.map((k) => {
    const [kh, kw, cin, cout] = k.shape as number[];
    const f = Math.min(cout, MAX_FILTERS);
    // [kh, kw, in, out] → mean over in → [kh, kw, out] → [out, kh, kw], first f filters.
    return tf.tidy(() => tf.transpose(tf.slice(tf.mean(k, 2), [0, 0, 0], [kh, kw, f]), [2, 0, 1]));
  });
  try {
    const values = await readAll(tf, means);
    return convs.map((l, i) => {
      const [kh, kw, cin, cout] = kernels[i].shape as number[];
      return { layer: l.name, kh, kw, inChannels: cin, filters: Math.min(cout, MAX_FILTERS), values: values[i] };
    });
  } finally {
    tf.dispose(means);
  }
}

export interface Evaluation {
  /** Fraction of rows whose predicted class is the true one. */
  accuracy: number;
  n: number;
  classes: number;
  /** `classes × classes` counts, row = true class, column = predicted class. */
  confusion: Int32Array;
  /** The predicted class of every row. */
  predictions: Int32Array;
}

/** Rows per forward pass when evaluating. */
const EVAL_CHUNK = 500;

/**
 * Predicted class of each row of `x` (shape `[n, ...sampleShape]`): argmax of the output, or p > 0.5 for a single
 * sigmoid unit. One read-back.
 */
export async function predictClasses(tf: Tfjs, model: TF.LayersModel, x: Float32Array, sampleShape: number[]): Promise<Int32Array> {
  const size = sampleShape.reduce((a, b) => a * b, 1);
  const n = Math.floor(x.length / size);
  const parts: TF.Tensor[] = [];
  try {
    for (let s = 0; s < n; s += EVAL_CHUNK) {
      const m = Math.min(EVAL_CHUNK, n - s);
      parts.push(
        tf.tidy(() => {
          const xb = tf.tensor(x.subarray(s * size, (s + m) * size), [m, ...sampleShape], 'float32');
          const out = model.apply(xb, { training: false }) as TF.Tensor;
          const flat = tf.reshape(out, [m, -1]);
          return flat.shape[1] === 1 ? tf.cast(tf.greater(tf.reshape(flat, [m]), 0.5), 'int32') : tf.argMax(flat, 1);
        })
      );
    }
    if (!parts.length) return new Int32Array(0);
    const all = tf.concat(parts);
    const values = await all.data();
    all.dispose();
    return Int32Array.from(values);
  } finally {
    tf.dispose(parts);
  }
}

/** Accuracy, confusion matrix and predictions of a classifier on a labelled set (e.g. x_test, y_test). */
export async function evaluateClassifier(
  tf: Tfjs,
  model: TF.LayersModel,
  set: { x: Float32Array; labels: Int32Array; n: number },
  sampleShape: number[],
  classes: number
): Promise<Evaluation> {
  const predictions = await predictClasses(tf, model, set.x, sampleShape);
  return { ...confusionMatrix(set.labels, predictions, classes), predictions };
}

export function confusionMatrix(labels: ArrayLike<number>, predictions: ArrayLike<number>, classes: number): Omit<Evaluation, 'predictions'> {
  const confusion = new Int32Array(classes * classes);
  const n = Math.min(labels.length, predictions.length);
  let right = 0;
  for (let i = 0; i < n; i++) {
    const t = labels[i];
    const p = predictions[i];
    if (t === p) right++;
    if (t >= 0 && t < classes && p >= 0 && p < classes) confusion[t * classes + p]++;
  }
  return { accuracy: n ? right / n : 0, n, classes, confusion };
}

export interface LayerActivation {
  layer: string;
  className: string;
  /** Without the batch axis, e.g. [26, 26, 16] or [10]. */
  shape: number[];
  /** Row-major (channels last), at most MAX_ACTIVATION_VALUES (the first channels of a large feature map). */
  values: Float32Array;
  /** For feature maps: how many channels `values` holds (fewer than shape's last axis when cut). */
  channels?: number;
}

export const MAX_ACTIVATION_VALUES = 32_768;

const probes = new WeakMap<TF.LayersModel, { model: TF.LayersModel; layers: TF.layers.Layer[] }>();

/** A model with the same inputs whose outputs are every layer's output (built once per model). */
function probeModel(tf: Tfjs, model: TF.LayersModel) {
  let p = probes.get(model);
  if (!p) {
    const layers = model.layers.filter((l) => l.getClassName() !== 'InputLayer' && !Array.isArray(l.output));
    const outputs = layers.map((l) => l.output as TF.SymbolicTensor);
    p = { model: tf.model({ inputs: model.inputs, outputs }), layers };
    probes.set(model, p);
  }
  return p;
}

/** One sample's activations through every layer, in order (inference mode: dropout off). */
export async function sampleActivations(tf: Tfjs, model: TF.LayersModel, x: Float32Array, sampleShape: number[]): Promise<LayerActivation[]> {
  const { model: probe, layers } = probeModel(tf, model);
  const outs = tf.tidy(() => {
    const out = probe.apply(tf.tensor(x, [1, ...sampleShape], 'float32'), { training: false }) as TF.Tensor | TF.Tensor[];
    const list = Array.isArray(out) ? out : [out];
    return list.map((t) => {
      const shape = t.shape.slice(1);
      const size = shape.reduce((a, b) => a * b, 1);
      if (shape.length === 3 && size > MAX_ACTIVATION_VALUES) {
        const c = Math.max(1, Math.floor(MAX_ACTIVATION_VALUES / (shape[0] * shape[1])));
        return tf.slice(t, [0, 0, 0, 0], [1, shape[0], shape[1], c]);
      }
      return size > MAX_ACTIVATION_VALUES ? tf.slice(tf.reshape(t, [1, -1]), [0, 0], [1, MAX_ACTIVATION_VALUES]) : t;
    });
  });
  try {
    const values = await readAll(tf, outs);
    return layers.map((l, i) => {
      const shape = (l.outputShape as (number | null)[]).slice(1).map((d) => d ?? 0);
      const a: LayerActivation = { layer: l.name, className: kerasClassName(l), shape, values: values[i] };
      if (shape.length === 3) a.channels = outs[i].shape[3];
      return a;
    });
  } finally {
    tf.dispose(outs);
  }
}
