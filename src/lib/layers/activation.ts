import { ACTIVATION_NAMES, activationLayer, onnxActivation, pytorchActivation } from './activations';
import { seq } from './conformance';
import type { LayerDef } from './types';
import { checkActivation, sizeOf } from './util';

/** Keras `layers.Activation`. */
export const activation: LayerDef = {
  kind: 'Activation',
  doc:
    'Applies an activation function to each value of its input; the shape is unchanged and it has no parameters. ' +
    'layers.Dense(16), layers.Activation("relu") is the same as layers.Dense(16, activation="relu").',
  arity: 1,
  args: [{ name: 'activation', type: 'activation', values: ACTIVATION_NAMES, doc: 'Name of the activation function, e.g. "relu" (None means linear).' }],
  validate(args) {
    checkActivation('Activation', args.activation, true);
  },
  outputShape([input], args) {
    checkActivation('Activation', args.activation, true);
    return input;
  },
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  // 1 · elements.
  flops: ([input]) => sizeOf(input),
  toTfjs(node, { tf }) {
    const name = checkActivation('Activation', node.args.activation, true) ?? 'linear';
    return activationLayer(tf, name, node.id);
  },
  // ONNX: the activation's ops (see onnxActivation; none for linear / None).
  toOnnx(node, { g, inputs }) {
    return onnxActivation(g, checkActivation('Activation', node.args.activation, true), inputs[0], node.id);
  },
  // PyTorch: the activation's function (see pytorchActivation; none for linear / None).
  toPytorch(node, { inputs }) {
    return { init: [], forward: pytorchActivation(checkActivation('Activation', node.args.activation, true), inputs[0]) };
  },
  conformance: ACTIVATION_NAMES.map((a) => seq(`Activation ${a} on (3, 7)`, [3, 7], `Activation("${a}")`))
};
