import type { ArgValue } from '$lib/spec/types';
import { seq } from './conformance';
import { f32, op } from './onnx-ops';
import { LayerError, type ArgDef, type LayerDef } from './types';
import { checkNumber, formatValue, sizeOf, withArgDefaults } from './util';
import { pyNum } from '$lib/pytorch/ops';

const K = 'ReLU';

const ARGS: readonly ArgDef[] = [
  { name: 'max_value', type: 'float', default: null, min: 0, doc: 'The largest value the layer outputs (saturation), e.g. 6.0 for ReLU6; None (the default) means no cap. Must be non-negative.' },
  { name: 'negative_slope', type: 'float', default: 0, min: 0, doc: 'Slope for inputs below the threshold: 0 (the default) outputs 0 there, 0.1 lets 10% through (a leaky ReLU). Must be non-negative.' },
  { name: 'threshold', type: 'float', default: 0, min: 0, doc: 'Inputs below this value are cut (or scaled by negative_slope). Only 0, the default, is supported here.' }
];

function check(raw: Record<string, ArgValue>) {
  const a = withArgDefaults(ARGS, raw);
  const maxValue = a.max_value === null ? null : checkNumber(K, 'max_value', a.max_value, 0);
  const slope = checkNumber(K, 'negative_slope', a.negative_slope, 0);
  const threshold = checkNumber(K, 'threshold', a.threshold, 0);
  // TF.js has no layer for a shifted threshold, nor for a leaky slope under a cap: refuse them here, at the layer's
  // line, rather than train something else than Keras.
  if (threshold !== 0) throw new LayerError(`${K} supports only threshold=0 here but gets threshold=${formatValue(threshold)}`, 'Leave threshold out (the default 0)');
  if (slope !== 0 && maxValue !== null) {
    throw new LayerError(`${K} cannot combine negative_slope with max_value here`, 'Use max_value alone (a capped ReLU), or negative_slope alone (or layers.LeakyReLU)');
  }
  return { maxValue, slope };
}

/** Keras `layers.ReLU`. */
export const relu: LayerDef = {
  kind: K,
  doc:
    'Rectified linear unit as a layer: max(x, 0) on each value, like Activation("relu"), with two options: ' +
    'max_value caps the output (ReLU(max_value=6.0) is ReLU6) and negative_slope lets a fraction of negative inputs ' +
    'through (a leaky ReLU). Keras: f(x) = max_value if x ≥ max_value, x if threshold ≤ x < max_value, ' +
    'negative_slope · (x - threshold) otherwise. No parameters; the shape is unchanged.',
  arity: 1,
  args: ARGS,
  validate(args) {
    check(args);
  },
  outputShape([input], args) {
    check(args);
    return input;
  },
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  // 1 · elements (one compare per value; the cap's is not counted, as for fused activations).
  flops: ([input]) => sizeOf(input),
  toTfjs(node, { tf }) {
    const { maxValue, slope } = check(node.args);
    // TF.js' LeakyReLU computes x < 0 ? alpha · x : x, Keras' negative_slope with threshold 0.
    if (slope !== 0) return tf.layers.leakyReLU({ name: node.id, alpha: slope });
    return tf.layers.reLU({ name: node.id, ...(maxValue !== null ? { maxValue } : {}) });
  },
  // ONNX: Relu (+ Clip(0, max_value) for the cap, as TF.js clips the relu's output), or LeakyRelu(alpha=negative_slope).
  toOnnx(node, { g, inputs }) {
    const { maxValue, slope } = check(node.args);
    if (slope !== 0) return op(g, node.id, 'LeakyRelu', [inputs[0]], { alpha: f32(slope) });
    const y = op(g, node.id, 'Relu', [inputs[0]]);
    if (maxValue === null) return y;
    return op(g, node.id, 'Clip', [y, g.constFloat(0, [], `${node.id}/zero`), g.constFloat(maxValue, [], `${node.id}/max_value`)]);
  },
  // PyTorch: F.relu (+ torch.clamp(max=max_value)), or F.leaky_relu(negative_slope).
  toPytorch(node, { inputs }) {
    const { maxValue, slope } = check(node.args);
    if (slope !== 0) return { init: [], forward: `F.leaky_relu(${inputs[0]}, ${pyNum(slope)})` };
    return { init: [], forward: maxValue === null ? `F.relu(${inputs[0]})` : `torch.clamp(F.relu(${inputs[0]}), max=${pyNum(maxValue)})` };
  },
  // Keras' formula, in float64.
  reference(x, args) {
    const a = withArgDefaults(ARGS, args);
    const max = a.max_value === null ? Infinity : (a.max_value as number);
    const threshold = a.threshold as number;
    if (x >= max) return max;
    if (x >= threshold) return x;
    return (a.negative_slope as number) * (x - threshold);
  },
  conformance: [
    seq('ReLU default on (3, 7)', [3, 7], 'ReLU()'),
    seq('ReLU max_value=1.5 (a capped ReLU)', [3, 7], 'ReLU(max_value=1.5)'),
    seq('ReLU max_value=0.5 on an image after Conv2D', [5, 4, 2], 'Conv2D(3, 3, padding="same")', 'ReLU(max_value=0.5)'),
    seq('ReLU negative_slope=0.1', [3, 7], 'ReLU(negative_slope=0.1)'),
    seq('ReLU negative_slope=1.5 after Dense', [6], 'Dense(5)', 'ReLU(negative_slope=1.5)')
  ]
};
