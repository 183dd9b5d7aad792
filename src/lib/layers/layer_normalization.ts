import type { ArgValue, LayerNode, Shape } from '$lib/spec/types';
import { INITIALIZER_NAMES, tfjsInitializer } from './initializers';
import { seq } from './conformance';
import { f32, op } from './onnx-ops';
import { checkRegularizer, pytorchPenalty, REGULARIZER_NAMES, tfjsRegularizer } from './regularizers';
import type * as TF from '@tensorflow/tfjs';
import { LayerError, type ArgDef, type LayerDef, type OnnxLowerContext, type Tfjs } from './types';
import { checkBool, checkInitializer, checkNumber, formatTuple, formatValue, sizeOf, withArgDefaults } from './util';

const ARGS: readonly ArgDef[] = [
  {
    name: 'axis',
    type: 'int_or_tuple',
    default: -1,
    doc: 'The axis or axes normalised within each sample: -1, the default, is the last axis (the features of a sequence); a list such as [1, 2] normalises over several. Axes count the batch axis as 0.'
  },
  { name: 'epsilon', type: 'float', default: 0.001, min: 0, doc: 'Small constant added to the variance to avoid dividing by zero.' },
  { name: 'center', type: 'bool', default: true, doc: 'Learn an offset beta added after normalising.' },
  { name: 'scale', type: 'bool', default: true, doc: 'Learn a factor gamma applied after normalising (can be off when the next layer is linear).' },
  { name: 'rms_scaling', type: 'bool', default: false, doc: 'Keras\' RMS variant (scale by gamma / root of the variance, no beta). Only False is supported here.' },
  { name: 'beta_initializer', type: 'initializer', default: 'zeros', values: INITIALIZER_NAMES, doc: 'Initializer of beta (the offset).' },
  { name: 'gamma_initializer', type: 'initializer', default: 'ones', values: INITIALIZER_NAMES, doc: 'Initializer of gamma (the factor).' },
  { name: 'beta_regularizer', type: 'regularizer', default: null, values: REGULARIZER_NAMES, doc: 'Penalty on beta added to the loss; None for none.' },
  { name: 'gamma_regularizer', type: 'regularizer', default: null, values: REGULARIZER_NAMES, doc: 'Penalty on gamma added to the loss; None for none.' }
];

const K = 'LayerNormalization';

function check(raw: Record<string, ArgValue>) {
  const a = withArgDefaults(ARGS, raw);
  const list = Array.isArray(a.axis) ? (a.axis as ArgValue[]) : [a.axis];
  if (list.length === 0 || !list.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    throw new LayerError(`${K}'s axis must be an integer or a list of integers but gets ${formatValue(a.axis)}`, 'For example axis=-1 (the last axis, the default) or axis=[1, 2]');
  }
  const epsilon = checkNumber(K, 'epsilon', a.epsilon, 0);
  const center = checkBool(K, 'center', a.center);
  const scale = checkBool(K, 'scale', a.scale);
  if (checkBool(K, 'rms_scaling', a.rms_scaling)) {
    throw new LayerError(`${K} does not support rms_scaling=True here`, 'Leave rms_scaling out: the layer subtracts the mean and divides by the standard deviation, then applies gamma and beta');
  }
  for (const n of ['beta_initializer', 'gamma_initializer']) checkInitializer(K, n, a[n]);
  checkRegularizer(K, 'beta_regularizer', a.beta_regularizer);
  checkRegularizer(K, 'gamma_regularizer', a.gamma_regularizer);
  return { a, axes: list as number[], epsilon, center, scale };
}

/**
 * The normalised axes of this input, as indices into the shape without the batch axis, in the order written (Keras
 * gives gamma and beta the sizes of these axes in that order); refuses an axis the input does not have.
 */
export function layerNormAxes(input: Shape, raw: Record<string, ArgValue>) {
  const c = check(raw);
  const rank = input.length + 1;
  const written = formatValue(raw.axis ?? -1);
  const dims = c.axes.map((axis) => {
    if (axis === 0 || axis === -rank) {
      throw new LayerError(`${K} cannot normalise along the batch axis (axis=${written})`, 'Axes count the batch axis as 0: use axis=-1 (the last axis, the default) to normalise each sample\'s features');
    }
    if (axis >= rank || axis < -rank) {
      throw new LayerError(
        `${K}'s axis=${written} names axis ${axis}, which an input of shape ${formatTuple(input)} does not have`,
        `Axes count the batch axis as 0: use ${rank > 2 ? `1 to ${rank - 1}` : '1'} here, or -1 for the last axis (the default)`
      );
    }
    return (axis < 0 ? rank + axis : axis) - 1;
  });
  const seen = new Set<number>();
  for (const d of dims) {
    if (seen.has(d)) throw new LayerError(`${K}'s axis=${written} names axis ${d + 1} twice`, 'List each axis once');
    seen.add(d);
  }
  const sorted = [...dims].sort((x, y) => x - y);
  /** The axes are the last ones of the input (ONNX' LayerNormalization and torch's nn.LayerNorm normalise those). */
  const trailing = sorted.every((d, i) => d === input.length - sorted.length + i);
  return {
    ...c,
    dims,
    sorted,
    trailing,
    /** Written in increasing order as well: gamma's shape is then the normalised shape itself. */
    ascending: trailing && dims.every((d, i) => d === sorted[i]),
    /** Shape of gamma and beta (Keras: the sizes of the axes as written). */
    paramShape: dims.map((d) => input[d]),
    /** gamma and beta as Keras broadcasts them (a reshape): 1 on every other axis of the sample. */
    broadcastShape: input.map((n, i) => (seen.has(i) ? n : 1))
  };
}

type Axes = ReturnType<typeof layerNormAxes>;

type LnInternals = { axis: number[]; epsilon: number; scale: boolean; center: boolean; gamma: { read(): TF.Tensor } | null; beta: { read(): TF.Tensor } | null };

/**
 * The layer's call, from ops that broadcast. TF.js' own tiles gamma and beta to the input's shape, and the gradient
 * of a Tile slices and adds once per copy: 2 × batch × steps kernels per LayerNormalization, ~11 000 per training step
 * of the tiny GPT at batch 64 × 16 steps (its eager step took 2.9 s on WASM). Here gamma and beta are reshaped to the
 * broadcast shape (as TF.js and Keras do) and multiplied / added, so their gradients are one Sum each. The same
 * formula: mean and biased variance over the axes, (x − mean) · 1/√(var + ε) · gamma + beta. With scale / center=False
 * the weight is left out (TF.js' own call cannot take a gradient then). The weights, config and serialization stay
 * TF.js' LayerNormalization.
 */
function broadcastingCall(tf: Tfjs, layer: TF.layers.Layer): void {
  layer.call = (inputs) =>
    tf.tidy(() => {
      const self = layer as unknown as LnInternals;
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor;
      const axes = self.axis.map((a) => (a < 0 ? a + x.rank : a));
      const shape = x.shape.map((d, i) => (axes.includes(i) ? d : 1));
      const { mean, variance } = tf.moments(x, axes, true);
      let y = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, self.epsilon)));
      if (self.scale && self.gamma) y = tf.mul(y, tf.reshape(self.gamma.read(), shape));
      if (self.center && self.beta) y = tf.add(y, tf.reshape(self.beta.read(), shape));
      return y;
    });
}

/**
 * ONNX, composed of ReduceMean, Sub, Mul, Add, Sqrt, Div (each with a gradient rule) for axes that are not the last
 * ones of the input: mean and biased variance over the axes, (x − mean) / √(var + ε) · gamma + beta, gamma and beta
 * reshaped to their broadcast shape as Keras does.
 */
function onnxComposed(node: LayerNode, ctx: OnnxLowerContext, f: Axes): string {
  const { g } = ctx;
  const id = node.id;
  const x = ctx.inputs[0];
  const axes = f.sorted.map((d) => d + 1);
  const mean = op(g, id, 'ReduceMean', [x], { axes, keepdims: 1 }, 'mean');
  const centered = op(g, id, 'Sub', [x, mean], {}, 'centered');
  const variance = op(g, id, 'ReduceMean', [op(g, id, 'Mul', [centered, centered], {}, 'squared')], { axes, keepdims: 1 }, 'variance');
  const std = op(g, id, 'Sqrt', [op(g, id, 'Add', [variance, g.constFloat(f.epsilon, [], `${id}/epsilon`)], {}, 'variance_eps')], {}, 'std');
  let y = op(g, id, 'Div', [centered, std], {}, 'normalized');
  const bshape = g.constInt64(f.broadcastShape, undefined, `${id}/broadcast_shape`);
  if (f.scale) y = op(g, id, 'Mul', [y, op(g, id, 'Reshape', [ctx.weight('gamma'), bshape], {}, 'gamma_bcast')], {}, 'scaled');
  if (f.center) y = op(g, id, 'Add', [y, op(g, id, 'Reshape', [ctx.weight('beta'), bshape], {}, 'beta_bcast')], {}, 'shifted');
  return y;
}

/**
 * ONNX for the last axes of the input: one LayerNormalization (opset 17; axis = the first normalised axis, Scale and
 * B of the normalised shape: gamma and beta reshaped to it when they were written in another order, as Keras
 * reshapes them). No gamma (scale=False) is a constant 1; no beta is left out (B is optional). In the train step the
 * node also outputs Mean and InvStdDev, which its gradient rule reuses.
 */
function onnxLayerNorm(node: LayerNode, ctx: OnnxLowerContext, f: Axes): string {
  const { g } = ctx;
  const id = node.id;
  const normShape = f.sorted.map((d) => ctx.inputShapes[0][d]);
  const param = (name: string) => {
    const w = ctx.weight(name);
    return f.ascending ? w : op(g, id, 'Reshape', [w, g.constInt64(normShape)], {}, `${name}_shape`);
  };
  const scale = f.scale ? param('gamma') : g.constFloat(new Float32Array(sizeOf(normShape)).fill(1), normShape, `${id}/gamma_ones`);
  const inputs = [ctx.inputs[0], scale, ...(f.center ? [param('beta')] : [])];
  const attrs = { axis: f.sorted[0] + 1, epsilon: f32(f.epsilon) };
  if (!ctx.training) return op(g, id, 'LayerNormalization', inputs, attrs);
  return g.nodeMulti('LayerNormalization', inputs, attrs, { name: `${id}/LayerNormalization`, outputs: 3 })[0];
}

/** Keras `layers.LayerNormalization`. */
export const layerNormalization: LayerDef = {
  kind: K,
  doc:
    'Normalises each sample on its own (unlike BatchNormalization, no batch statistics and nothing to track for ' +
    'inference): over the features (the last axis by default) it subtracts their mean and divides by their standard ' +
    'deviation, x̂ = (x - mean) / sqrt(var + epsilon), then outputs x̂ · gamma + beta. The standard normalisation of ' +
    'transformers, e.g. layers.LayerNormalization(epsilon=1e-6) after each attention and feed-forward block. Output ' +
    'shape = input shape. Parameters: gamma and beta, each with the size of the normalised axes (2 · features).',
  arity: 1,
  args: ARGS,
  validate(args) {
    check(args);
  },
  outputShape([input], args) {
    layerNormAxes(input, args);
    return input;
  },
  params([input], args) {
    const f = layerNormAxes(input, args);
    return { trainable: sizeOf(f.paramShape) * ((f.center ? 1 : 0) + (f.scale ? 1 : 0)), nonTrainable: 0 };
  },
  // Per value: 1 (sum for the mean) + 1 (subtract it) + 2 (square and sum for the variance) + 1 (divide by the
  // deviation) = 5, + 1 to scale by gamma, + 1 to add beta.
  flops([input], args) {
    const f = layerNormAxes(input, args);
    return sizeOf(input) * (5 + (f.scale ? 1 : 0) + (f.center ? 1 : 0));
  },
  // TF.js' LayerNormalization is Keras' formula (tf.moments: mean and biased variance over the axes; batchNorm with
  // them: (x - mean) / √(var + ε) · gamma + beta), with Keras' defaults, weights (gamma, beta with the sizes of the
  // axes in the order written) and their reshape to the broadcast shape; center / scale=False leave the weight out.
  // It serialises as itself. Its call is replaced by the same formula from broadcasting ops (see broadcastingCall).
  toTfjs(node, { tf, seed }) {
    const c = check(node.args);
    const layer = tf.layers.layerNormalization({
      name: node.id,
      axis: c.axes.length === 1 && !Array.isArray(node.args.axis) ? c.axes[0] : [...c.axes],
      epsilon: c.epsilon,
      center: c.center,
      scale: c.scale,
      betaInitializer: tfjsInitializer(tf, c.a.beta_initializer as string, seed),
      gammaInitializer: tfjsInitializer(tf, c.a.gamma_initializer as string, seed + 1),
      betaRegularizer: tfjsRegularizer(tf, c.a.beta_regularizer),
      gammaRegularizer: tfjsRegularizer(tf, c.a.gamma_regularizer)
    });
    broadcastingCall(tf, layer);
    return layer;
  },
  // ONNX: the last axes of the input (the usual axis=-1): one LayerNormalization node, inference and train step alike
  // (its gradient rule in grad-rules.ts); other axes: ReduceMean, Sub, Mul, Add, Sqrt, Div (+ Reshape of gamma/beta).
  toOnnx(node, ctx) {
    const f = layerNormAxes(ctx.inputShapes[0], node.args);
    return f.trailing ? onnxLayerNorm(node, ctx, f) : onnxComposed(node, ctx, f);
  },
  // PyTorch: nn.LayerNorm(normalised shape, eps) for the last axes written in increasing order (the usual axis=-1):
  // gamma, beta are its weight, bias (a missing one is a frozen 1 / 0: torch 1.13's LayerNorm has both or none).
  // Other axes: the formula written out (mean and biased variance over the axes, gamma and beta as Parameters of
  // Keras' shape, reshaped to the broadcast shape as Keras does).
  toPytorch(node, { attr, inputs, inputShapes }) {
    const f = layerNormAxes(inputShapes[0], node.args);
    const a = f.a;
    const eps = +f.epsilon.toPrecision(12);
    const init: string[] = [];
    let forward: string;
    let gammaT: string;
    let betaT: string;
    const after: string[] = [];
    if (f.ascending) {
      const affine = f.scale || f.center;
      init.push(`self.${attr} = nn.LayerNorm(${formatTuple(f.paramShape)}, eps=${eps}, elementwise_affine=${affine ? 'True' : 'False'})`);
      forward = `self.${attr}(${inputs[0]})`;
      gammaT = `${attr}.weight`;
      betaT = `${attr}.bias`;
      if (affine && !f.scale) after.push(`self.${attr}.weight.requires_grad_(False)  # scale=False: gamma stays 1`);
      if (affine && !f.center) after.push(`self.${attr}.bias.requires_grad_(False)  # center=False: beta stays 0`);
    } else {
      gammaT = `${attr}_gamma`;
      betaT = `${attr}_beta`;
      const dims = formatTuple(f.sorted.map((d) => d + 1));
      const bshape = formatTuple([1, ...f.broadcastShape]);
      if (f.scale) init.push(`self.${gammaT} = nn.Parameter(torch.empty(${f.paramShape.join(', ')}))`);
      if (f.center) init.push(`self.${betaT} = nn.Parameter(torch.empty(${f.paramShape.join(', ')}))`);
      init.push(
        '',
        `def ${attr}_run(x):`,
        `    """Keras' LayerNormalization over axes ${dims} of x (batch axis 0): each sample's mean and biased variance there."""`,
        `    mean = x.mean(dim=${dims}, keepdim=True)`,
        `    var = ((x - mean) ** 2).mean(dim=${dims}, keepdim=True)`,
        `    y = (x - mean) / torch.sqrt(var + ${eps})`,
        ...(f.scale ? [`    y = y * self.${gammaT}.reshape${bshape}`] : []),
        ...(f.center ? [`    y = y + self.${betaT}.reshape${bshape}`] : []),
        '    return y',
        `self.${attr}_run = ${attr}_run`
      );
      forward = `self.${attr}_run(${inputs[0]})`;
    }
    const w = (keras: string, torch: string, init: ArgValue) => ({ keras, torch, shape: f.paramShape, init: init as string });
    const penalties = [
      f.scale ? pytorchPenalty(K, 'gamma_regularizer', a.gamma_regularizer, `self.${gammaT}`) : null,
      f.center ? pytorchPenalty(K, 'beta_regularizer', a.beta_regularizer, `self.${betaT}`) : null
    ];
    return {
      init,
      forward,
      weights: [...(f.scale ? [w('gamma', gammaT, a.gamma_initializer)] : []), ...(f.center ? [w('beta', betaT, a.beta_initializer)] : [])],
      penalties: penalties.filter((p): p is string => p !== null),
      after
    };
  },
  weights: [
    { name: 'gamma', trainable: true },
    { name: 'beta', trainable: true }
  ],
  conformance: [
    seq('LayerNormalization on (steps, features)', [5, 6], 'LayerNormalization()'),
    seq('LayerNormalization epsilon=1e-6 after Dense', [4], 'Dense(6)', 'LayerNormalization(epsilon=1e-6)'),
    seq('LayerNormalization center=False on an image', [3, 4, 2], 'LayerNormalization(center=False)'),
    seq('LayerNormalization scale=False', [3, 5], 'LayerNormalization(scale=False)'),
    seq('LayerNormalization over the last two axes', [3, 4, 2], 'LayerNormalization(axis=[2, 3], epsilon=0.01)'),
    seq('LayerNormalization over the last two axes written backwards', [3, 4, 2], 'LayerNormalization(axis=[-1, -2])'),
    seq('LayerNormalization over the steps (axis=1)', [4, 3], 'LayerNormalization(axis=1)'),
    seq('LayerNormalization over height and width', [3, 4, 2], 'LayerNormalization(axis=(1, 2), center=False)')
  ]
};
