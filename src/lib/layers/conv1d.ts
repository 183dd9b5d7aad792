import type { ArgValue } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { fusedActivation, onnxActivation, pytorchActivation } from './activations';
import { seq } from './conformance';
import { op, throughNc1w } from './onnx-ops';
import { checkConvGroups, checkConvWeights, convWeightArgs, pytorchConvPenalties, tfjsConvWeightConfig } from './conv-args';
import { pyBool } from '$lib/pytorch/ops';
import { LayerError, type ArgDef, type LayerDef, type Tfjs } from './types';
import { channelsLastArg, checkChoice, checkDataFormat, checkInt, requireSequence, toSingle, window1d, withArgDefaults } from './util';

const PADDINGS = ['valid', 'same', 'causal'] as const;

const ARGS: readonly ArgDef[] = [
  { name: 'filters', type: 'int', min: 1, doc: 'Number of filters, i.e. of output channels.' },
  { name: 'kernel_size', type: 'int_or_tuple', min: 1, doc: 'Length of the convolution window (steps): 3 or (3,).' },
  { name: 'strides', type: 'int_or_tuple', default: 1, min: 1, doc: 'Step of the window along the time axis.' },
  {
    name: 'padding',
    type: 'string',
    default: 'valid',
    values: PADDINGS,
    doc: '"valid": no padding (the output is shorter); "same": zeros on both sides so the output has ceil(steps / strides) steps; "causal": zeros on the left only, so output t never sees inputs after t (for forecasting and generation).'
  },
  channelsLastArg('steps, channels'),
  { name: 'dilation_rate', type: 'int_or_tuple', default: 1, min: 1, doc: 'Spacing between the taps of the kernel: with 2 the window reads every other step (a wider view, same parameters).' },
  { name: 'groups', type: 'int', default: 1, min: 1, doc: 'Number of channel groups; only 1 is supported here.' },
  ...convWeightArgs('Whether the layer adds a bias per filter.')
];

function check(raw: Record<string, ArgValue>) {
  const a = withArgDefaults(ARGS, raw);
  const filters = checkInt('Conv1D', 'filters', a.filters);
  const kernel = toSingle('Conv1D', 'kernel_size', a.kernel_size);
  const stride = toSingle('Conv1D', 'strides', a.strides);
  const padding = checkChoice('Conv1D', 'padding', a.padding, PADDINGS);
  checkDataFormat('Conv1D', a.data_format);
  const dilation = toSingle('Conv1D', 'dilation_rate', a.dilation_rate);
  checkConvGroups('Conv1D', a.groups);
  // Keras refuses the combination too (base_conv: "strides > 1 not supported in conjunction with dilation_rate > 1").
  if (stride > 1 && dilation > 1) throw new LayerError('Conv1D cannot combine strides > 1 with dilation_rate > 1', 'Use strides=1 with a dilation_rate, or dilation_rate=1 with strides');
  checkConvWeights('Conv1D', a);
  return { a, filters, kernel, stride, padding, dilation };
}

function output(input: number[], raw: Record<string, ArgValue>) {
  const c = check(raw);
  const [steps, channels] = requireSequence('Conv1D', input);
  const w = window1d(steps, c.kernel, c.stride, c.padding, c.dilation);
  if (w.out < 1) {
    const eff = (c.kernel - 1) * c.dilation + 1;
    throw new LayerError(
      `Conv1D's kernel of ${eff} steps${c.dilation > 1 ? ' (with its dilation)' : ''} is longer than its input of ${steps} steps with padding="valid"`,
      'use padding="same" or "causal", a smaller kernel_size, or less pooling before it'
    );
  }
  return { ...c, steps, channels, pads: w.pads, shape: [w.out, c.filters] };
}

/**
 * TF.js' Conv1D has no "causal" padding: the (k − 1) · dilation zeros go on the left of the time axis first (what
 * Keras does), with built-in weightless layers so that a saved TF.js model reloads the same: Reshape to a height-1
 * image, ZeroPadding2D on the left, Reshape back; then the Conv1D with padding "valid" (named after the node, holding
 * its weights).
 */
function causalPad(tf: Tfjs, id: string, [steps, channels]: [number, number], left: number): TF.layers.Layer[] {
  return [
    tf.layers.reshape({ name: `${id}__causal_image`, targetShape: [1, steps, channels] }),
    tf.layers.zeroPadding2d({ name: `${id}__causal_pad`, padding: [[0, 0], [left, 0]], dataFormat: 'channelsLast' }),
    tf.layers.reshape({ name: `${id}__causal_steps`, targetShape: [steps + left, channels] })
  ];
}

/**
 * TF.js has no gradient for a dilated convolution ("dilation rates greater than 1 are not yet supported in
 * gradients"): with dilation_rate > 1 the Conv1D's call computes the same sum tap by tap,
 * y[t] = Σ_j x_padded[t + j·d] · kernel[j] (+ bias, activation) — slices and MatMuls, differentiable everywhere.
 * Only the call changes: the layer, its config and weights stay TF.js' Conv1D (a saved model reloads with TF.js'
 * own, equal, forward pass). Strides are 1 here (Keras refuses strides > 1 with dilation > 1).
 */
function dilatedByTaps(tf: Tfjs, layer: TF.layers.Layer, kernel: number, dilation: number, pads: [number, number]): TF.layers.Layer {
  const l = layer as unknown as { kernel: TF.LayerVariable; bias: TF.LayerVariable | null; activation: { apply(x: TF.Tensor): TF.Tensor } | null };
  layer.call = (inputs) =>
    tf.tidy(() => {
      const x0 = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor3D;
      const x = pads[0] || pads[1] ? tf.pad(x0, [[0, 0], pads, [0, 0]]) : x0;
      const [n, steps, cin] = x.shape;
      const out = steps - (kernel - 1) * dilation;
      const w = l.kernel.read();
      const cout = w.shape[2] as number;
      let y: TF.Tensor = tf.zeros([n * out, cout]);
      for (let j = 0; j < kernel; j++) {
        const xj = tf.reshape(tf.slice(x, [0, j * dilation, 0], [n, out, cin]), [n * out, cin]);
        y = tf.add(y, tf.matMul(xj, tf.reshape(tf.slice(w, [j, 0, 0], [1, cin, cout]), [cin, cout])));
      }
      y = tf.reshape(y, [n, out, cout]);
      if (l.bias) y = tf.add(y, l.bias.read());
      return l.activation ? l.activation.apply(y) : y;
    });
  return layer;
}

/** Keras `layers.Conv1D`, channels-last: (steps, channels) → (steps_out, filters). */
export const conv1d: LayerDef = {
  kind: 'Conv1D',
  doc:
    '1D convolution over a sequence (steps, channels), e.g. text embeddings or a time series: each of the `filters` ' +
    'filters slides a window of kernel_size steps along the time axis and outputs one channel, ' +
    '`activation(conv(input, kernel) + bias)`. padding="causal" pads only on the left, so the output at step t depends ' +
    'on inputs up to t (WaveNet-style models, with dilation_rate growing 1, 2, 4, ...). Output (steps_out, filters): ' +
    'steps_out = floor((steps - k_eff) / strides) + 1 for "valid", ceil(steps / strides) for "same" and "causal", ' +
    'k_eff = (kernel_size - 1) · dilation_rate + 1. Parameters: kernel_size · channels · filters weights plus filters biases.',
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
    return { trainable: o.kernel * o.channels * o.filters + (o.a.use_bias ? o.filters : 0), nonTrainable: 0 };
  },
  // 2 · k · C_in · C_out · steps_out (one multiply-add per kernel weight and output step).
  flops([input], args) {
    const o = output(input, args);
    return 2 * o.kernel * o.channels * o.filters * o.shape[0];
  },
  toTfjs(node, { tf, seed, inputShapes }) {
    const c = check(node.args);
    const act = fusedActivation(tf, c.a.activation as string | null, node.id);
    const layer = tf.layers.conv1d({
      name: node.id,
      filters: c.filters,
      kernelSize: c.kernel,
      strides: c.stride,
      padding: c.padding === 'causal' ? 'valid' : c.padding,
      dataFormat: 'channelsLast',
      dilationRate: c.dilation,
      ...tfjsConvWeightConfig(tf, c.a, act.activation, seed)
    });
    const shape = inputShapes?.[0];
    if (c.dilation > 1) {
      if (!shape) throw new Error('Conv1D(dilation_rate > 1) needs its input shape');
      dilatedByTaps(tf, layer, c.kernel, c.dilation, c.padding === 'same' ? window1d(shape[0], c.kernel, 1, 'same', c.dilation).pads : [0, 0]);
    }
    if (c.padding !== 'causal') return act.after.length ? [layer, ...act.after] : layer;
    if (!shape) throw new Error('Conv1D(padding="causal") needs its input shape');
    return [...causalPad(tf, node.id, requireSequence('Conv1D', shape), (c.kernel - 1) * c.dilation), layer, ...act.after];
  },
  // ONNX: the 2-D Conv on the sequence seen as an image of height 1 (throughNc1w), kernel (k, cin, cout) →
  // (cout, cin, 1, k), explicit pads [0, before, 0, after] ("same": TF's split; "causal": (k − 1) · dilation before), so
  // the compiled step's Conv gradient rule serves it; then Add for the bias (+ the activation's ops).
  toOnnx(node, { g, inputs, inputShapes, weight }) {
    const o = output(inputShapes[0], node.args);
    const w = op(g, node.id, 'Transpose', [weight('kernel')], { perm: [2, 1, 0] }, 'kernel_oiw');
    const kernel = op(g, node.id, 'Unsqueeze', [w, g.constInt64([2])], {}, 'kernel_oi1w');
    const attrs = { kernel_shape: [1, o.kernel], strides: [1, o.stride], dilations: [1, o.dilation], pads: [0, o.pads[0], 0, o.pads[1]] };
    let y = throughNc1w(g, node.id, inputs[0], (x) => op(g, node.id, 'Conv', [x, kernel], attrs));
    if (o.a.use_bias) y = op(g, node.id, 'Add', [y, weight('bias')], {}, 'bias');
    return onnxActivation(g, o.a.activation as string | null, y, node.id);
  },
  // PyTorch: nn.Conv1d on (batch, channels, steps) between transposes; symmetric pads as Conv1d's padding, others
  // ("same" with an odd total, "causal") with F.pad first. Keras' kernel (k, cin, cout) is torch's weight (cout, cin, k).
  toPytorch(node, { attr, inputs, inputShapes }) {
    const o = output(inputShapes[0], node.args);
    const [before, after] = o.pads;
    const symmetric = before === after;
    const opts = [`stride=${o.stride}`, ...(symmetric && before ? [`padding=${before}`] : []), ...(o.dilation > 1 ? [`dilation=${o.dilation}`] : []), `bias=${pyBool(o.a.use_bias)}`];
    const ncw = symmetric ? `${inputs[0]}.transpose(1, 2)` : `F.pad(${inputs[0]}.transpose(1, 2), (${before}, ${after}))`;
    const conv = `self.${attr}(${ncw}).transpose(1, 2)`;
    return {
      init: [`self.${attr} = nn.Conv1d(${o.channels}, ${o.filters}, ${o.kernel}, ${opts.join(', ')})`],
      forward: pytorchActivation(o.a.activation as string | null, conv),
      weights: [
        { keras: 'kernel', torch: `${attr}.weight`, shape: [o.kernel, o.channels, o.filters], perm: [2, 1, 0], init: o.a.kernel_initializer as string },
        ...(o.a.use_bias ? [{ keras: 'bias', torch: `${attr}.bias`, shape: [o.filters], init: o.a.bias_initializer as string }] : [])
      ],
      penalties: pytorchConvPenalties('Conv1D', attr, o.a)
    };
  },
  weights: [
    { name: 'kernel', trainable: true },
    { name: 'bias', trainable: true }
  ],
  tfjsGradKernels: ['Conv2DBackpropFilter', 'Conv2DBackpropInput'],
  conformance: [
    seq('Conv1D 3 valid on 9 steps', [9, 3], 'Conv1D(4, 3)'),
    seq('Conv1D 3 same on 9 steps', [9, 3], 'Conv1D(4, 3, padding="same")'),
    seq('Conv1D 4 same on 7 steps (asymmetric pads)', [7, 2], 'Conv1D(3, 4, padding="same")'),
    seq('Conv1D 3 causal on 8 steps', [8, 2], 'Conv1D(3, 3, padding="causal")'),
    seq('Conv1D 3 causal dilation 2 on 11 steps', [11, 2], 'Conv1D(3, 3, padding="causal", dilation_rate=2)'),
    seq('Conv1D 2 causal dilation 4 on 9 steps', [9, 3], 'Conv1D(2, 2, padding="causal", dilation_rate=4)'),
    seq('Conv1D 3 causal strides 2 on 9 steps', [9, 2], 'Conv1D(3, 3, strides=2, padding="causal")'),
    seq('Conv1D 3 valid strides 2 on 10 steps', [10, 3], 'Conv1D(4, 3, strides=2)'),
    seq('Conv1D 4 same strides 3 on 11 steps', [11, 2], 'Conv1D(2, 4, strides=3, padding="same")'),
    seq('Conv1D 3 dilation 2 valid on 9 steps', [9, 2], 'Conv1D(3, 3, dilation_rate=2)'),
    seq('Conv1D 3 dilation 3 same on 8 steps', [8, 2], 'Conv1D(3, 3, dilation_rate=3, padding="same")'),
    seq('Conv1D 1 use_bias=False relu', [5, 4], 'Conv1D(3, 1, use_bias=False, activation="relu")'),
    seq('Conv1D causal stack, then Dense per step', [10, 1], 'Conv1D(4, 2, padding="causal", activation="tanh")', 'Conv1D(4, 2, padding="causal", dilation_rate=2)', 'Dense(2)')
  ]
};
