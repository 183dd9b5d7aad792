import type { ArgValue } from '$lib/spec/types';
import { fusedActivation, onnxActivation, pytorchActivation } from './activations';
import { seq } from './conformance';
import { op, pads2d, throughNchw } from './onnx-ops';
import { checkConvGroups, checkConvWeights, convWeightArgs, pytorchConvPenalties, tfjsConvWeightConfig } from './conv-args';
import { pyBool, pyTuple, throughNchw as pyThroughNchw } from '$lib/pytorch/ops';
import { LayerError, type ArgDef, type LayerDef } from './types';
import {
  channelsLastArg,
  checkChoice,
  checkDataFormat,
  checkInt,
  formatTuple,
  requireImage,
  toPair,
  windowOutputLength,
  withArgDefaults
} from './util';

const PADDINGS = ['valid', 'same'] as const;

const ARGS: readonly ArgDef[] = [
  { name: 'filters', type: 'int', min: 1, doc: 'Number of filters, i.e. channels of the output.' },
  { name: 'kernel_size', type: 'int_or_tuple', min: 1, doc: 'Height and width of the convolution window: 3 or (3, 3).' },
  { name: 'strides', type: 'int_or_tuple', default: [1, 1], min: 1, doc: 'Step of the window along height and width: 1 or (2, 2).' },
  { name: 'padding', type: 'string', default: 'valid', values: PADDINGS, doc: '"valid": no padding, the output shrinks by kernel_size - 1; "same": zero-pads so that the output is ceil(input / strides).' },
  channelsLastArg('height, width, channels'),
  { name: 'dilation_rate', type: 'int_or_tuple', default: [1, 1], min: 1, doc: 'Spacing between the window\'s taps (atrous convolution); cannot be combined with strides > 1.' },
  { name: 'groups', type: 'int', default: 1, min: 1, doc: 'Grouped convolution; only 1 is supported here.' },
  ...convWeightArgs('Whether the layer adds one bias per filter.')
];

function check(raw: Record<string, ArgValue>) {
  const a = withArgDefaults(ARGS, raw);
  const filters = checkInt('Conv2D', 'filters', a.filters);
  const kernel = toPair('Conv2D', 'kernel_size', a.kernel_size);
  const strides = toPair('Conv2D', 'strides', a.strides);
  const padding = checkChoice('Conv2D', 'padding', a.padding, PADDINGS);
  checkDataFormat('Conv2D', a.data_format);
  const dilation = toPair('Conv2D', 'dilation_rate', a.dilation_rate);
  checkConvGroups('Conv2D', a.groups);
  if (strides.some((s) => s > 1) && dilation.some((d) => d > 1)) {
    throw new LayerError('Conv2D cannot combine strides > 1 with dilation_rate > 1', 'Use strides=1 with a dilation_rate, or dilation_rate=1 with strides');
  }
  checkConvWeights('Conv2D', a);
  return { a, filters, kernel, strides, padding, dilation };
}

function output(input: number[], raw: Record<string, ArgValue>) {
  const c = check(raw);
  const [h, w, channels] = requireImage('Conv2D', input);
  const oh = windowOutputLength(h, c.kernel[0], c.strides[0], c.padding, c.dilation[0]);
  const ow = windowOutputLength(w, c.kernel[1], c.strides[1], c.padding, c.dilation[1]);
  if (oh < 1 || ow < 1) {
    const dilated = c.dilation.some((d) => d > 1);
    const eff = c.kernel.map((k, i) => (k - 1) * c.dilation[i] + 1);
    throw new LayerError(
      `Conv2D's kernel ${formatTuple(dilated ? eff : c.kernel)}${dilated ? ' (with its dilation)' : ''} is larger than its input ${formatTuple([h, w])} with padding="valid"`,
      'use padding="same", a smaller kernel_size, or less pooling before it'
    );
  }
  return { ...c, channels, shape: [oh, ow, c.filters] };
}

/** Keras `layers.Conv2D`, channels-last. */
export const conv2d: LayerDef = {
  kind: 'Conv2D',
  doc:
    '2D convolution over an image (height, width, channels): each of the `filters` filters slides a ' +
    'kernel_size window over the input and outputs one channel, `activation(conv(input, kernel) + bias)`. ' +
    'The output is (H_out, W_out, filters) with H_out = floor((H - k) / s) + 1 for padding="valid" and ' +
    'ceil(H / s) for padding="same". Parameters: k_h · k_w · C_in · filters weights plus filters biases.',
  arity: 1,
  args: ARGS,
  validate(args) {
    check(args);
  },
  outputShape([input], args) {
    return output(input, args).shape;
  },
  params([input], args) {
    const o = output(input, args);
    return { trainable: o.kernel[0] * o.kernel[1] * o.channels * o.filters + (o.a.use_bias ? o.filters : 0), nonTrainable: 0 };
  },
  // 2 · k_h · k_w · C_in · C_out · H_out · W_out (one multiply-add per kernel weight and output position).
  flops([input], args) {
    const o = output(input, args);
    return 2 * o.kernel[0] * o.kernel[1] * o.channels * o.filters * o.shape[0] * o.shape[1];
  },
  toTfjs(node, { tf, seed }) {
    const c = check(node.args);
    const act = fusedActivation(tf, c.a.activation as string | null, node.id);
    const layer = tf.layers.conv2d({
      name: node.id,
      filters: c.filters,
      kernelSize: c.kernel,
      strides: c.strides,
      padding: c.padding,
      dataFormat: 'channelsLast',
      dilationRate: c.dilation,
      ...tfjsConvWeightConfig(tf, c.a, act.activation, seed)
    });
    return act.after.length ? [layer, ...act.after] : layer;
  },
  // ONNX: Transpose (kernel (kh, kw, cin, cout) → (cout, cin, kh, kw)), Transpose NHWC→NCHW, Conv with explicit pads
  // (TF's "same" split), Transpose back, Add for the bias (in NHWC, along the last axis) (+ the activation's ops).
  toOnnx(node, { g, inputs, inputShapes, weight }) {
    const o = output(inputShapes[0], node.args);
    const [h, w] = inputShapes[0];
    const kernel = op(g, node.id, 'Transpose', [weight('kernel')], { perm: [3, 2, 0, 1] }, 'kernel_oihw');
    const attrs = {
      kernel_shape: [...o.kernel],
      strides: [...o.strides],
      dilations: [...o.dilation],
      pads: pads2d([h, w], o.kernel, o.strides, o.padding, o.dilation)
    };
    let y = throughNchw(g, node.id, inputs[0], (x) => op(g, node.id, 'Conv', [x, kernel], attrs));
    if (o.a.use_bias) y = op(g, node.id, 'Add', [y, weight('bias')], {}, 'bias');
    return onnxActivation(g, o.a.activation as string | null, y, node.id);
  },
  // PyTorch: nn.Conv2d in NCHW between permutes (to_nchw / to_nhwc), with Keras' "same" pads: symmetric ones as
  // Conv2d's padding, asymmetric ones (TF puts the odd pixel after) with F.pad first. Keras' kernel (kh, kw, cin,
  // cout) is torch's weight (cout, cin, kh, kw).
  toPytorch(node, { attr, inputs, inputShapes }) {
    const o = output(inputShapes[0], node.args);
    const [h, w, cin] = inputShapes[0];
    const [t, l, b, r] = pads2d([h, w], o.kernel, o.strides, o.padding, o.dilation);
    const symmetric = t === b && l === r;
    const opts = [`stride=${pyTuple(o.strides)}`, ...(symmetric && (t || l) ? [`padding=${pyTuple([t, l])}`] : []), ...(o.dilation.some((d) => d > 1) ? [`dilation=${pyTuple(o.dilation)}`] : []), `bias=${pyBool(o.a.use_bias)}`];
    const conv = pyThroughNchw(inputs[0], (x) => `self.${attr}(${x})`, symmetric ? undefined : [t, l, b, r]);
    return {
      init: [`self.${attr} = nn.Conv2d(${cin}, ${o.filters}, ${pyTuple(o.kernel)}, ${opts.join(', ')})`],
      forward: pytorchActivation(o.a.activation as string | null, conv),
      weights: [
        { keras: 'kernel', torch: `${attr}.weight`, shape: [...o.kernel, cin, o.filters], perm: [3, 2, 0, 1], init: o.a.kernel_initializer as string },
        ...(o.a.use_bias ? [{ keras: 'bias', torch: `${attr}.bias`, shape: [o.filters], init: o.a.bias_initializer as string }] : [])
      ],
      penalties: pytorchConvPenalties('Conv2D', attr, o.a)
    };
  },
  weights: [
    { name: 'kernel', trainable: true },
    { name: 'bias', trainable: true }
  ],
  inspect: 'filters',
  tfjsGradKernels: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'],
  heavyOnCpu: true,
  conformance: [
    seq('Conv2D 3x3 valid stride 1 on 7x5', [7, 5, 3], 'Conv2D(4, 3)'),
    seq('Conv2D 3x3 same stride 1 on 7x5', [7, 5, 3], 'Conv2D(4, 3, padding="same")'),
    seq('Conv2D 3x3 valid stride 2 on 7x5', [7, 5, 3], 'Conv2D(4, 3, strides=2)'),
    seq('Conv2D 3x3 same stride 2 on 7x5', [7, 5, 3], 'Conv2D(4, 3, strides=2, padding="same")'),
    seq('Conv2D 2x2 same stride 2 on 8x6 (pads only after)', [8, 6, 2], 'Conv2D(3, 2, strides=2, padding="same")'),
    seq('Conv2D (2, 4) same stride 1 on 7x5 (asymmetric pads)', [7, 5, 2], 'Conv2D(3, (2, 4), padding="same")'),
    seq('Conv2D (3, 2) same strides (2, 3) on 9x7', [9, 7, 2], 'Conv2D(3, (3, 2), strides=(2, 3), padding="same")'),
    seq('Conv2D 3x3 dilation 2 valid on 9x8', [9, 8, 2], 'Conv2D(3, 3, dilation_rate=2)'),
    seq('Conv2D 3x3 dilation 2 same on 7x5', [7, 5, 2], 'Conv2D(3, 3, dilation_rate=2, padding="same")'),
    seq('Conv2D 4x4 dilation (2, 1) same on 7x6', [7, 6, 2], 'Conv2D(2, 4, dilation_rate=(2, 1), padding="same")'),
    seq('Conv2D use_bias=False relu', [6, 5, 3], 'Conv2D(4, 3, use_bias=False, activation="relu")'),
    seq('Conv2D 1x1 leaky_relu', [4, 3, 5], 'Conv2D(2, 1, activation="leaky_relu")'),
    seq('Conv2D softmax over channels', [5, 4, 2], 'Conv2D(3, 3, padding="same", activation="softmax")')
  ]
};
