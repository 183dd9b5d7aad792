import { seq } from './conformance';
import { op } from './onnx-ops';
import { LayerError, type LayerDef } from './types';
import { checkNumber, sizeOf } from './util';

/** Keras `layers.Dropout`: active in training only. */
export const dropout: LayerDef = {
  kind: 'Dropout',
  doc:
    'Randomly sets a fraction `rate` of its inputs to 0 during training and scales the rest by 1/(1 - rate), so ' +
    'the network cannot rely on any single unit (a regularizer against overfitting). Does nothing at inference. ' +
    'No parameters; the shape is unchanged.',
  arity: 1,
  args: [
    { name: 'rate', type: 'float', min: 0, max: 0.999, doc: 'Fraction of the input units to drop, in [0, 1).' },
    { name: 'seed', type: 'int', default: null, doc: 'Seed of the dropout mask.' }
  ],
  validate(args) {
    checkNumber('Dropout', 'rate', args.rate, 0, 0.999);
    if (args.seed !== null && args.seed !== undefined && !Number.isInteger(args.seed)) throw new LayerError(`Dropout's seed must be an integer or None`);
  },
  outputShape: ([input]) => input,
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  // 1 · elements (one multiply by the mask per value).
  flops: ([input]) => sizeOf(input),
  toTfjs(node, { tf }) {
    // No seed is passed on: TF.js reuses a seeded layer's mask for every batch, while Keras draws a new mask
    // per step. So eager dropout masks are random, not reproducible from the run seed.
    return tf.layers.dropout({ name: node.id, rate: node.args.rate as number });
  },
  // ONNX: none at inference (the input passes through); Mul by the train step's scaled keep-mask in training.
  toOnnx(node, ctx) {
    const rate = checkNumber('Dropout', 'rate', node.args.rate, 0, 0.999);
    if (!ctx.training || rate === 0) return ctx.inputs[0];
    if (!ctx.dropoutMask) throw new Error(`Dropout ${node.id}: the train-step graph must provide dropoutMask`);
    return op(ctx.g, node.id, 'Mul', [ctx.inputs[0], ctx.dropoutMask(rate)], {}, 'dropout');
  },
  // PyTorch: nn.Dropout(rate): zeroes with probability rate in training and scales the rest by 1 / (1 - rate), as
  // Keras; the identity in eval mode.
  toPytorch(node, { attr, inputs }) {
    const rate = checkNumber('Dropout', 'rate', node.args.rate, 0, 0.999);
    return { init: [`self.${attr} = nn.Dropout(${rate})`], forward: `self.${attr}(${inputs[0]})` };
  },
  // Keras: the identity at inference (what predict computes).
  reference: (x) => x,
  dropoutRate: (args) => (typeof args.rate === 'number' ? args.rate : 0),
  conformance: [seq('Dropout alone', [5], 'Dropout(0.5)'), seq('Dropout between Dense layers', [5], 'Dense(8, activation="relu")', 'Dropout(0.3)', 'Dense(2)')]
};
