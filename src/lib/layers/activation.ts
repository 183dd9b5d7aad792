import { ACTIVATION_NAMES, tfjsActivation } from './activations';
import type { LayerDef } from './types';

/** Keras `layers.Activation`. */
export const activation: LayerDef = {
  kind: 'Activation',
  doc: 'Applies an activation function to its input; the shape is unchanged.',
  arity: 1,
  args: [{ name: 'activation', type: 'activation', values: ACTIVATION_NAMES, doc: 'Name of the activation function.' }],
  outputShape: ([input]) => input,
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  flops: ([input]) => input.reduce((a, b) => a * b, 1),
  toTfjs(node, { tf }) {
    return tf.layers.activation({ name: node.id, activation: tfjsActivation(node.args.activation as string) as never });
  }
};
