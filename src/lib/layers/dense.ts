import type { ArgValue } from '$lib/spec/types';
import { ACTIVATION_NAMES, fusedActivation, onnxActivation, pytorchActivation } from './activations';
import { INITIALIZER_NAMES, tfjsInitializer } from './initializers';
import { seq } from './conformance';
import { op } from './onnx-ops';
import { checkRegularizer, pytorchPenalty, REGULARIZER_NAMES, tfjsRegularizer } from './regularizers';
import { pyBool } from '$lib/pytorch/ops';
import { LayerError, type ArgDef, type LayerDef } from './types';
import { checkActivation, checkBool, checkInitializer, checkInt, withArgDefaults } from './util';

const ARGS: readonly ArgDef[] = [
  { name: 'units', type: 'int', min: 1, doc: 'Number of output units (size of the last axis of the output).' },
  { name: 'activation', type: 'activation', default: null, values: ACTIVATION_NAMES, doc: 'Activation applied to the output; None means linear.' },
  { name: 'use_bias', type: 'bool', default: true, doc: 'Whether the layer adds a bias vector.' },
  { name: 'kernel_initializer', type: 'initializer', default: 'glorot_uniform', values: INITIALIZER_NAMES, doc: 'Initializer of the kernel weights.' },
  { name: 'bias_initializer', type: 'initializer', default: 'zeros', values: INITIALIZER_NAMES, doc: 'Initializer of the bias vector.' },
  { name: 'kernel_regularizer', type: 'regularizer', default: null, values: REGULARIZER_NAMES, doc: 'Penalty on the kernel weights added to the loss, e.g. regularizers.l2(0.01); None for none.' },
  { name: 'bias_regularizer', type: 'regularizer', default: null, values: REGULARIZER_NAMES, doc: 'Penalty on the bias vector added to the loss; None for none.' }
];

function check(raw: Record<string, ArgValue>) {
  const a = withArgDefaults(ARGS, raw);
  const units = checkInt('Dense', 'units', a.units);
  checkActivation('Dense', a.activation, true);
  checkBool('Dense', 'use_bias', a.use_bias);
  checkInitializer('Dense', 'kernel_initializer', a.kernel_initializer);
  checkInitializer('Dense', 'bias_initializer', a.bias_initializer);
  checkRegularizer('Dense', 'kernel_regularizer', a.kernel_regularizer);
  checkRegularizer('Dense', 'bias_regularizer', a.bias_regularizer);
  return { a, units };
}

/** Keras `layers.Dense`: acts on the last axis of its input, like Keras. */
export const dense: LayerDef = {
  kind: 'Dense',
  doc:
    'Densely-connected layer: `activation(dot(input, kernel) + bias)`, with a kernel of shape (input features, units). ' +
    'On an input with several axes, e.g. (steps, features), it acts on the last axis only and keeps the others: ' +
    '(steps, features) → (steps, units). Parameters: features · units weights plus units biases.',
  arity: 1,
  args: ARGS,
  validate(args) {
    check(args);
  },
  outputShape([input], args) {
    const { units } = check(args);
    if (input.length === 0) throw new LayerError('Dense needs an input with at least one axis');
    return [...input.slice(0, -1), units];
  },
  params([input], args) {
    const { a, units } = check(args);
    const inDim = input[input.length - 1];
    return { trainable: inDim * units + (a.use_bias ? units : 0), nonTrainable: 0 };
  },
  // 2 · rows · in · units, rows = product of the leading axes (one multiply-add per kernel weight and row).
  flops([input], args) {
    const { units } = check(args);
    const rows = input.slice(0, -1).reduce((x, y) => x * y, 1);
    return 2 * rows * input[input.length - 1] * units;
  },
  toTfjs(node, { tf, seed }) {
    const { a, units } = check(node.args);
    const act = fusedActivation(tf, a.activation as string | null, node.id);
    const layer = tf.layers.dense({
      name: node.id,
      units,
      activation: act.activation as never,
      useBias: a.use_bias as boolean,
      kernelInitializer: tfjsInitializer(tf, a.kernel_initializer as string, seed),
      biasInitializer: tfjsInitializer(tf, a.bias_initializer as string, seed + 1),
      kernelRegularizer: tfjsRegularizer(tf, a.kernel_regularizer),
      biasRegularizer: tfjsRegularizer(tf, a.bias_regularizer)
    });
    return act.after.length ? [layer, ...act.after] : layer;
  },
  // ONNX: MatMul (+ Add for the bias) (+ the activation's ops, see onnxActivation). MatMul, not Gemm: it takes inputs
  // of any rank (Dense acts on the last axis) and keeps the train step's gradient table small.
  toOnnx(node, { g, inputs, weight }) {
    const { a } = check(node.args);
    let y = op(g, node.id, 'MatMul', [inputs[0], weight('kernel')]);
    if (a.use_bias) y = op(g, node.id, 'Add', [y, weight('bias')], {}, 'bias');
    return onnxActivation(g, a.activation as string | null, y, node.id);
  },
  // PyTorch: nn.Linear(in, units) (acts on the last axis, like Dense) + the activation. Keras' kernel (in, units) is
  // torch's weight (units, in): transposed.
  toPytorch(node, { attr, inputs, inputShapes }) {
    const { a, units } = check(node.args);
    const inDim = inputShapes[0][inputShapes[0].length - 1];
    const penalties = [pytorchPenalty('Dense', 'kernel_regularizer', a.kernel_regularizer, `self.${attr}.weight`), pytorchPenalty('Dense', 'bias_regularizer', a.bias_regularizer, `self.${attr}.bias`)];
    return {
      init: [`self.${attr} = nn.Linear(${inDim}, ${units}, bias=${pyBool(a.use_bias)})`],
      forward: pytorchActivation(a.activation as string | null, `self.${attr}(${inputs[0]})`),
      weights: [
        { keras: 'kernel', torch: `${attr}.weight`, shape: [inDim, units], perm: [1, 0], init: a.kernel_initializer as string },
        ...(a.use_bias ? [{ keras: 'bias', torch: `${attr}.bias`, shape: [units], init: a.bias_initializer as string }] : [])
      ],
      penalties: penalties.filter((p): p is string => p !== null)
    };
  },
  weights: [
    { name: 'kernel', trainable: true },
    { name: 'bias', trainable: true }
  ],
  conformance: [
    ...ACTIVATION_NAMES.map((a) => seq(`Dense activation=${a}`, [5], `Dense(4, activation="${a}")`)),
    seq('Dense no activation, use_bias=False', [6], 'Dense(3, use_bias=False)'),
    seq('Dense on (steps, features) (rank-3 batch)', [4, 6], 'Dense(5, activation="relu")'),
    seq('Dense on rank-4 batch, softmax on the last axis', [2, 3, 4], 'Dense(3, activation="softmax")')
  ]
};
