import type { LayerDef } from './types';

/** Keras `layers.Dropout`: active in training only. */
export const dropout: LayerDef = {
  kind: 'Dropout',
  doc: 'Randomly sets a fraction `rate` of inputs to 0 during training and scales the rest by 1/(1 - rate). Does nothing at inference.',
  arity: 1,
  args: [
    { name: 'rate', type: 'float', min: 0, max: 0.999, doc: 'Fraction of the input units to drop, in [0, 1).' },
    { name: 'seed', type: 'int', default: null, doc: 'Seed of the dropout mask.' }
  ],
  outputShape: ([input]) => input,
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  flops: ([input]) => input.reduce((a, b) => a * b, 1),
  toTfjs(node, { tf, seed }) {
    return tf.layers.dropout({ name: node.id, rate: node.args.rate as number, seed: (node.args.seed as number | null) ?? seed });
  }
};
