import { ACTIVATION_NAMES, tfjsActivation } from './activations';
import { INITIALIZER_NAMES, tfjsInitializer } from './initializers';
import { LayerError, type LayerDef } from './types';

/** Keras `layers.Dense`: acts on the last axis of its input, like Keras. */
export const dense: LayerDef = {
  kind: 'Dense',
  doc: 'Densely-connected layer: `activation(dot(input, kernel) + bias)`. On an N-D input it acts on the last axis.',
  arity: 1,
  args: [
    { name: 'units', type: 'int', min: 1, doc: 'Number of output units (size of the last axis of the output).' },
    { name: 'activation', type: 'activation', default: null, values: ACTIVATION_NAMES, doc: 'Activation applied to the output; None means linear.' },
    { name: 'use_bias', type: 'bool', default: true, doc: 'Whether the layer adds a bias vector.' },
    { name: 'kernel_initializer', type: 'initializer', default: 'glorot_uniform', values: INITIALIZER_NAMES, doc: 'Initializer of the kernel weights.' },
    { name: 'bias_initializer', type: 'initializer', default: 'zeros', values: INITIALIZER_NAMES, doc: 'Initializer of the bias vector.' }
  ],
  outputShape([input], args) {
    if (input.length === 0) throw new LayerError('Dense needs an input with at least one axis');
    return [...input.slice(0, -1), args.units as number];
  },
  params([input], args) {
    const inDim = input[input.length - 1];
    const units = args.units as number;
    return { trainable: inDim * units + (args.use_bias ? units : 0), nonTrainable: 0 };
  },
  flops([input], args) {
    const rows = input.slice(0, -1).reduce((a, b) => a * b, 1);
    return 2 * rows * input[input.length - 1] * (args.units as number);
  },
  toTfjs(node, { tf, seed }) {
    const a = node.args;
    if (a.units === undefined) throw new LayerError('Dense needs units');
    return tf.layers.dense({
      name: node.id,
      units: a.units as number,
      activation: (a.activation === null ? 'linear' : tfjsActivation(a.activation as string)) as never,
      useBias: a.use_bias as boolean,
      kernelInitializer: tfjsInitializer(tf, a.kernel_initializer as string, seed),
      biasInitializer: tfjsInitializer(tf, a.bias_initializer as string, seed + 1)
    });
  }
};
