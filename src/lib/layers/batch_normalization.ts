import type { ArgValue, LayerNode, Shape } from '$lib/spec/types';
import { INITIALIZER_NAMES, tfjsInitializer } from './initializers';
import { seq } from './conformance';
import { f32, op } from './onnx-ops';
import { checkRegularizer, pytorchPenalty, REGULARIZER_NAMES, tfjsRegularizer } from './regularizers';
import { LayerError, type ArgDef, type LayerDef, type OnnxLowerContext, type Tfjs } from './types';
import { checkBool, checkInitializer, checkNumber, formatTuple, resolveAxis, sizeOf, withArgDefaults } from './util';
import type * as TF from '@tensorflow/tfjs';

const ARGS: readonly ArgDef[] = [
  { name: 'axis', type: 'int', default: -1, doc: 'The axis holding the features to normalise (the channels); -1, the default, is the last axis.' },
  { name: 'momentum', type: 'float', default: 0.99, min: 0, max: 1, doc: 'Momentum of the moving mean and variance used at inference: moving = momentum · moving + (1 - momentum) · batch.' },
  { name: 'epsilon', type: 'float', default: 0.001, min: 0, doc: 'Small constant added to the variance to avoid dividing by zero.' },
  { name: 'center', type: 'bool', default: true, doc: 'Learn an offset beta added after normalising.' },
  { name: 'scale', type: 'bool', default: true, doc: 'Learn a factor gamma applied after normalising (can be off when the next layer is linear or relu).' },
  { name: 'beta_initializer', type: 'initializer', default: 'zeros', values: INITIALIZER_NAMES, doc: 'Initializer of beta (the offset).' },
  { name: 'gamma_initializer', type: 'initializer', default: 'ones', values: INITIALIZER_NAMES, doc: 'Initializer of gamma (the factor).' },
  { name: 'moving_mean_initializer', type: 'initializer', default: 'zeros', values: INITIALIZER_NAMES, doc: 'Initializer of the moving mean.' },
  { name: 'moving_variance_initializer', type: 'initializer', default: 'ones', values: INITIALIZER_NAMES, doc: 'Initializer of the moving variance.' },
  { name: 'beta_regularizer', type: 'regularizer', default: null, values: REGULARIZER_NAMES, doc: 'Penalty on beta added to the loss; None for none.' },
  { name: 'gamma_regularizer', type: 'regularizer', default: null, values: REGULARIZER_NAMES, doc: 'Penalty on gamma added to the loss; None for none.' }
];

const K = 'BatchNormalization';

function check(raw: Record<string, ArgValue>) {
  const a = withArgDefaults(ARGS, raw);
  if (typeof a.axis !== 'number' || !Number.isInteger(a.axis)) throw new LayerError(`${K}'s axis must be an integer but gets ${String(a.axis)}`);
  const momentum = checkNumber(K, 'momentum', a.momentum, 0, 1);
  const epsilon = checkNumber(K, 'epsilon', a.epsilon, 0);
  const center = checkBool(K, 'center', a.center);
  const scale = checkBool(K, 'scale', a.scale);
  for (const n of ['beta_initializer', 'gamma_initializer', 'moving_mean_initializer', 'moving_variance_initializer']) checkInitializer(K, n, a[n]);
  checkRegularizer(K, 'beta_regularizer', a.beta_regularizer);
  checkRegularizer(K, 'gamma_regularizer', a.gamma_regularizer);
  return { a, axis: a.axis, momentum, epsilon, center, scale };
}

/** Number of features (channels) normalised for this input. */
function features(input: Shape, raw: Record<string, ArgValue>) {
  const c = check(raw);
  if (input.length === 0) throw new LayerError(`${K} needs an input with at least one axis`);
  // TF.js normalises tensors of rank 2 to 4 only (batch included).
  if (input.length > 3) throw new LayerError(`${K} supports inputs with up to 3 axes, like (height, width, channels), but gets ${formatTuple(input)} here`);
  const axis = resolveAxis(K, c.axis, input);
  // TF.js 4.22 applies the statistics of a non-last axis cyclically along the last axis (wrong values, no error), so
  // eager training would silently compute something else than Keras: refuse it here, at the layer's line.
  if (axis !== input.length - 1) {
    throw new LayerError(
      `${K} normalises only the last axis here (axis=-1, the channels), but axis=${c.axis} of ${formatTuple(input)} is not the last`,
      'Leave axis out (the default -1: the last axis, the channels of an image)'
    );
  }
  return { ...c, channels: input[axis] };
}

type BnInternals = { gamma?: { read(): TF.Tensor }; beta?: { read(): TF.Tensor }; movingMean?: { shape: number[] } };

/**
 * TF.js' BatchNormalization reads gamma and beta unconditionally when training, so center=False or scale=False
 * crashes in fit. This instance wraps `call` to stand in a constant 1 (gamma) or 0 (beta) during training calls; the
 * layer's weights, config and inference path are untouched, so it serialises as a plain BatchNormalization.
 */
function patchTrainingWithoutCenterOrScale(tf: Tfjs, layer: TF.layers.Layer): void {
  const base = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    const self = layer as unknown as BnInternals;
    if (!kwargs?.training || (self.gamma && self.beta)) return base(inputs, kwargs);
    const dim = self.movingMean!.shape[0];
    const saved = { gamma: self.gamma, beta: self.beta };
    if (!self.gamma) self.gamma = { read: () => tf.ones([dim]) };
    if (!self.beta) self.beta = { read: () => tf.zeros([dim]) };
    try {
      return base(inputs, kwargs);
    } finally {
      self.gamma = saved.gamma;
      self.beta = saved.beta;
    }
  };
}

/**
 * ONNX, inference: BatchNormalization (+ Transpose around it when the channel axis is not axis 1 of the batched
 * tensor) on the moving statistics, with Keras' epsilon; a missing gamma / beta (scale / center=False) is a constant
 * 1 / 0. TF.js computes (x - mean) · gamma / √(var + ε) + beta, as ONNX does.
 */
function onnxInference(node: LayerNode, ctx: OnnxLowerContext, c: ReturnType<typeof check>, channel: number, channels: number): string {
  const { g } = ctx;
  const rank = ctx.inputShapes[0].length + 1;
  const scale = c.scale ? ctx.weight('gamma') : g.constFloat(new Float32Array(channels).fill(1), [channels], `${node.id}/gamma_ones`);
  const bias = c.center ? ctx.weight('beta') : g.constFloat(new Float32Array(channels), [channels], `${node.id}/beta_zeros`);
  const bn = (x: string) => op(g, node.id, 'BatchNormalization', [x, scale, bias, ctx.weight('moving_mean'), ctx.weight('moving_variance')], { epsilon: f32(c.epsilon) });
  if (channel === 1) return bn(ctx.inputs[0]);
  // Move the channel axis to 1 (ONNX' layout), normalise, move it back.
  const perm = [0, channel, ...Array.from({ length: rank }, (_, i) => i).filter((i) => i !== 0 && i !== channel)];
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const moved = op(g, node.id, 'Transpose', [ctx.inputs[0]], { perm }, 'to_channels_first');
  return op(g, node.id, 'Transpose', [bn(moved)], { perm: inverse }, 'to_channels_last');
}

/**
 * ONNX, training (train-step graph): ReduceMean, Sub, Mul, Add, Sqrt, Div (+ Reshape of the per-channel vectors when
 * the channel axis is not the last). Normalises with the batch mean and the biased batch variance (mean of squared
 * deviations) over every axis but the channel axis, as TF.js 4.22 (`tf.moments`) and Keras do. The moving statistics
 * are updated as TF.js does, moving - (moving - batch) · (1 - momentum), and TF.js feeds the same biased variance
 * into moving_variance (no n/(n-1) correction; Keras 3 does the same), so this does too.
 */
function onnxTraining(node: LayerNode, ctx: OnnxLowerContext, c: ReturnType<typeof check>, channel: number, channels: number): string {
  const { g } = ctx;
  const id = node.id;
  const x = ctx.inputs[0];
  const rank = ctx.inputShapes[0].length + 1;
  const axes = Array.from({ length: rank }, (_, i) => i).filter((i) => i !== channel);
  const trailing = rank - 1 - channel;
  // A (C,) vector broadcast along the channel axis: as is when it is the last axis, else reshaped to (C, 1, ..., 1).
  const shapeConst = trailing > 0 ? g.constInt64([channels, ...Array(trailing).fill(1)], undefined, `${id}/channel_shape`) : '';
  const perChannel = (v: string, what: string) => (trailing > 0 ? op(g, id, 'Reshape', [v, shapeConst], {}, `${what}_bcast`) : v);
  const mean = op(g, id, 'ReduceMean', [x], { axes, keepdims: 0 }, 'batch_mean');
  const centered = op(g, id, 'Sub', [x, perChannel(mean, 'batch_mean')], {}, 'centered');
  const variance = op(g, id, 'ReduceMean', [op(g, id, 'Mul', [centered, centered], {}, 'squared')], { axes, keepdims: 0 }, 'batch_variance');
  const std = op(g, id, 'Sqrt', [op(g, id, 'Add', [perChannel(variance, 'batch_variance'), g.constFloat(c.epsilon, [], `${id}/epsilon`)], {}, 'variance_eps')], {}, 'std');
  let y = op(g, id, 'Div', [centered, std], {}, 'normalized');
  if (c.scale) y = op(g, id, 'Mul', [y, perChannel(ctx.weight('gamma'), 'gamma')], {}, 'scaled');
  if (c.center) y = op(g, id, 'Add', [y, perChannel(ctx.weight('beta'), 'beta')], {}, 'shifted');
  if (ctx.updateState) {
    const decay = g.constFloat(1 - c.momentum, [], `${id}/decay`);
    for (const [name, batch] of [
      ['moving_mean', mean],
      ['moving_variance', variance]
    ] as const) {
      const moving = ctx.weight(name);
      const delta = op(g, id, 'Mul', [op(g, id, 'Sub', [moving, batch], {}, `${name}_diff`), decay], {}, `${name}_delta`);
      ctx.updateState(name, op(g, id, 'Sub', [moving, delta], {}, `${name}_next`));
    }
  }
  return y;
}

/** Keras `layers.BatchNormalization`. */
export const batchNormalization: LayerDef = {
  kind: K,
  doc:
    'Normalises each feature (channel, by default the last axis) to mean 0 and variance 1, then scales by gamma ' +
    'and shifts by beta. In training it uses the statistics of the current batch and updates moving averages of ' +
    'them; at inference it uses the moving averages. Parameters per feature: gamma and beta (trainable) plus the ' +
    'moving mean and variance (non-trainable), i.e. 4 · C of which 2 · C are non-trainable. It often lets a deep ' +
    'network train faster and with higher learning rates.',
  arity: 1,
  args: ARGS,
  validate(args) {
    check(args);
  },
  outputShape([input], args) {
    features(input, args);
    return input;
  },
  params([input], args) {
    const f = features(input, args);
    return { trainable: f.channels * ((f.center ? 1 : 0) + (f.scale ? 1 : 0)), nonTrainable: 2 * f.channels };
  },
  // 2 · elements (the normalisation folded into one multiply-add per value).
  flops: ([input]) => 2 * sizeOf(input),
  toTfjs(node, { tf, seed }) {
    const c = check(node.args);
    const layer = tf.layers.batchNormalization({
      name: node.id,
      axis: c.axis,
      momentum: c.momentum,
      epsilon: c.epsilon,
      center: c.center,
      scale: c.scale,
      betaInitializer: tfjsInitializer(tf, c.a.beta_initializer as string, seed),
      gammaInitializer: tfjsInitializer(tf, c.a.gamma_initializer as string, seed + 1),
      movingMeanInitializer: tfjsInitializer(tf, c.a.moving_mean_initializer as string, seed + 2),
      movingVarianceInitializer: tfjsInitializer(tf, c.a.moving_variance_initializer as string, seed + 3),
      betaRegularizer: tfjsRegularizer(tf, c.a.beta_regularizer),
      gammaRegularizer: tfjsRegularizer(tf, c.a.gamma_regularizer)
    });
    if (!c.center || !c.scale) patchTrainingWithoutCenterOrScale(tf, layer);
    return layer;
  },
  // ONNX: inference BatchNormalization (+ Transpose unless the channel is axis 1); training ReduceMean, Sub, Mul, Add,
  // Sqrt, Div (+ Reshape when the channel axis is not the last). See onnxInference / onnxTraining above.
  toOnnx(node, ctx) {
    const input = ctx.inputShapes[0];
    const f = features(input, node.args);
    const channel = resolveAxis(K, f.axis, input) + 1;
    return ctx.training ? onnxTraining(node, ctx, f, channel, f.channels) : onnxInference(node, ctx, f, channel, f.channels);
  },
  // PyTorch: nn.BatchNorm1d / 2d over the channel axis (moved to axis 1 and back: BatchNorm1d takes (N, C) and
  // (N, C, L), BatchNorm2d (N, C, H, W)). gamma, beta, moving_mean, moving_variance are weight, bias, running_mean,
  // running_var; torch's momentum is 1 − Keras' (torch: running = (1 − m)·running + m·batch); same epsilon. A missing
  // gamma / beta (scale / center=False) is a frozen 1 / 0. Differs in training only: torch updates running_var with
  // the unbiased batch variance (n / (n − 1) times Keras' biased one).
  toPytorch(node, { attr, inputs, inputShapes }) {
    const input = inputShapes[0];
    const f = features(input, node.args);
    const dims = input.length === 3 ? '2d' : '1d';
    const init = [`self.${attr} = nn.BatchNorm${dims}(${f.channels}, eps=${f.epsilon}, momentum=${+(1 - f.momentum).toPrecision(12)})`];
    const x = inputs[0];
    const call = (v: string) => `self.${attr}(${v})`;
    const forward = input.length === 1 ? call(x) : input.length === 2 ? `${call(`${x}.transpose(1, 2)`)}.transpose(1, 2)` : `to_nhwc(${call(`to_nchw(${x})`)})`;
    const a = f.a;
    const w = (keras: string, torch: string, init: ArgValue) => ({ keras, torch: `${attr}.${torch}`, shape: [f.channels], init: init as string });
    const penalties = [
      f.scale ? pytorchPenalty(K, 'gamma_regularizer', a.gamma_regularizer, `self.${attr}.weight`) : null,
      f.center ? pytorchPenalty(K, 'beta_regularizer', a.beta_regularizer, `self.${attr}.bias`) : null
    ];
    return {
      init,
      forward,
      weights: [
        ...(f.scale ? [w('gamma', 'weight', a.gamma_initializer)] : []),
        ...(f.center ? [w('beta', 'bias', a.beta_initializer)] : []),
        w('moving_mean', 'running_mean', a.moving_mean_initializer),
        w('moving_variance', 'running_var', a.moving_variance_initializer)
      ],
      penalties: penalties.filter((p): p is string => p !== null),
      after: [...(f.scale ? [] : [`self.${attr}.weight.requires_grad_(False)  # scale=False: gamma stays 1`]), ...(f.center ? [] : [`self.${attr}.bias.requires_grad_(False)  # center=False: beta stays 0`])]
    };
  },
  weights: [
    { name: 'gamma', trainable: true },
    { name: 'beta', trainable: true },
    { name: 'moving_mean', trainable: false },
    { name: 'moving_variance', trainable: false, positive: true }
  ],
  conformance: [
    seq('BatchNormalization on Dense features', [6], 'Dense(5)', 'BatchNormalization()'),
    seq('BatchNormalization on a conv feature map', [7, 5, 2], 'Conv2D(4, 3, padding="same")', 'BatchNormalization(momentum=0.9, epsilon=0.01)'),
    seq('BatchNormalization center=False', [6], 'BatchNormalization(center=False)'),
    seq('BatchNormalization scale=False on an image', [4, 3, 2], 'BatchNormalization(scale=False)'),
    seq('BatchNormalization on (steps, features)', [3, 5], 'BatchNormalization(epsilon=0.1)')
    // No axis=1 case: TF.js 4.22's cpu batchNorm kernel applies the statistics cyclically along the last axis whatever
    // the axis, so TF.js itself is wrong there; tests/unit/onnx-export.test.ts checks the export against Keras' formula.
  ]
};
