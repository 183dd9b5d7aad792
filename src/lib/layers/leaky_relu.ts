import type { ArgValue } from '$lib/spec/types';
import { seq } from './conformance';
import { f32, op } from './onnx-ops';
import type { ArgDef, LayerDef } from './types';
import { checkNumber, sizeOf, withArgDefaults } from './util';
import { pyNum } from '$lib/pytorch/ops';

const K = 'LeakyReLU';

const ARGS: readonly ArgDef[] = [
  { name: 'negative_slope', type: 'float', default: 0.3, min: 0, doc: 'Slope for negative inputs: the layer outputs negative_slope · x there. Must be non-negative; 0.3 by default (the leaky_relu activation string uses 0.2).' }
];

function slopeOf(raw: Record<string, ArgValue>): number {
  return checkNumber(K, 'negative_slope', withArgDefaults(ARGS, raw).negative_slope, 0);
}

/** Keras `layers.LeakyReLU`. */
export const leakyRelu: LayerDef = {
  kind: K,
  doc:
    'Leaky rectified linear unit: x for x ≥ 0 and negative_slope · x below 0, on each value, so negative inputs ' +
    'still pass a small gradient and units do not "die" as they can with ReLU. The default negative_slope is 0.3 ' +
    '(Keras\' layer default; activation="leaky_relu" uses 0.2). No parameters; the shape is unchanged.',
  arity: 1,
  args: ARGS,
  validate(args) {
    slopeOf(args);
  },
  outputShape([input], args) {
    slopeOf(args);
    return input;
  },
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  // 1 · elements (one compare per value; the multiply below 0 is not counted, as for fused activations).
  flops: ([input]) => sizeOf(input),
  toTfjs(node, { tf }) {
    // TF.js' LeakyReLU computes x < 0 ? alpha · x : x: Keras' formula with alpha = negative_slope.
    return tf.layers.leakyReLU({ name: node.id, alpha: slopeOf(node.args) });
  },
  // ONNX: LeakyRelu(alpha=negative_slope).
  toOnnx(node, { g, inputs }) {
    return op(g, node.id, 'LeakyRelu', [inputs[0]], { alpha: f32(slopeOf(node.args)) });
  },
  // PyTorch: F.leaky_relu with Keras' negative_slope (torch's own default is 0.01, Keras' layer 0.3).
  toPytorch(node, { inputs }) {
    return { init: [], forward: `F.leaky_relu(${inputs[0]}, ${pyNum(slopeOf(node.args))})` };
  },
  // Keras' formula, in float64.
  reference(x, args) {
    return x >= 0 ? x : (withArgDefaults(ARGS, args).negative_slope as number) * x;
  },
  conformance: [
    seq('LeakyReLU default negative_slope=0.3 on (3, 7)', [3, 7], 'LeakyReLU()'),
    seq('LeakyReLU negative_slope=0.01', [3, 7], 'LeakyReLU(negative_slope=0.01)'),
    seq('LeakyReLU negative_slope=0 (a plain ReLU)', [3, 7], 'LeakyReLU(negative_slope=0.0)'),
    seq('LeakyReLU 0.2 on an image after Conv2D', [5, 4, 2], 'Conv2D(3, 3, padding="same")', 'LeakyReLU(0.2)'),
    seq('LeakyReLU negative_slope=2 after Dense', [6], 'Dense(5)', 'LeakyReLU(negative_slope=2.0)')
  ]
};
