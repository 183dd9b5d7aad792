import type { ArgValue, Shape } from '$lib/spec/types';
import { seq } from './conformance';
import { op } from './onnx-ops';
import { LayerError, type ArgDef, type LayerDef } from './types';
import { formatTuple, formatValue, sizeOf } from './util';

const ARGS: readonly ArgDef[] = [
  { name: 'target_shape', type: 'shape', doc: 'The output shape, without the batch axis, e.g. (28, 28, 1); one entry may be -1 to infer it from the input size.' }
];

function checkTarget(v: ArgValue | undefined): number[] {
  if (v === undefined) throw new LayerError('Reshape needs target_shape', 'For example layers.Reshape((28, 28, 1))');
  if (typeof v === 'number') throw new LayerError(`Reshape's target_shape must be a tuple but gets ${v}`, `Write (${v},) with a comma: (${v}) is just a number`);
  if (!Array.isArray(v) || v.length === 0 || !v.every((d) => typeof d === 'number' && Number.isInteger(d))) {
    throw new LayerError(`Reshape's target_shape must be a tuple of sizes such as (28, 28, 1) but gets ${formatValue(v)}`);
  }
  const dims = v as number[];
  if (dims.some((d) => d === 0 || d < -1)) throw new LayerError(`Reshape's target_shape must hold positive sizes (or one -1) but gets ${formatTuple(dims)}`);
  if (dims.filter((d) => d === -1).length > 1) throw new LayerError(`Reshape's target_shape can contain -1 only once but gets ${formatTuple(dims)}`, 'Give every other axis its size');
  return dims;
}

/** The target shape with its -1 resolved for this input, or throws. */
function resolve(input: Shape, raw: ArgValue | undefined): Shape {
  const dims = checkTarget(raw);
  const n = sizeOf(input);
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const unknown = dims.indexOf(-1);
  if (unknown >= 0) {
    if (n % known !== 0) {
      throw new LayerError(`Reshape cannot turn ${formatTuple(input)} (${n} values) into ${formatTuple(dims)}: ${n} is not a multiple of ${known}`, 'The known sizes of target_shape must divide the input size');
    }
    return dims.map((d) => (d === -1 ? n / known : d));
  }
  if (known !== n) {
    throw new LayerError(`Reshape cannot turn ${formatTuple(input)} (${n} values) into ${formatTuple(dims)} (${known} values)`, 'The target shape must hold the same number of values; use -1 for one axis to infer it');
  }
  return dims;
}

/** Keras `layers.Reshape`. */
export const reshape: LayerDef = {
  kind: 'Reshape',
  doc:
    'Rearranges its input into target_shape (without the batch axis), keeping the values in order; the number ' +
    'of values must stay the same. One axis may be -1 to infer it: Reshape((28, 28, 1)) turns (784,) into an ' +
    'image for Conv2D, Reshape((-1,)) flattens. No parameters.',
  arity: 1,
  args: ARGS,
  validate(args) {
    checkTarget(args.target_shape);
  },
  outputShape: ([input], args) => resolve(input, args.target_shape),
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  // 0: data movement only.
  flops: () => 0,
  toTfjs(node, { tf, inputShapes }) {
    // TF.js leaves a -1 unknown in the output shape, so it gets the resolved size where the input shape is known.
    const target = inputShapes?.[0] ? resolve(inputShapes[0], node.args.target_shape) : checkTarget(node.args.target_shape);
    return tf.layers.reshape({ name: node.id, targetShape: [...target] });
  },
  // ONNX: Reshape to (0, ...target) with the -1 resolved: 0 copies the batch size (Keras' target shape has no batch).
  toOnnx(node, { g, inputs, inputShapes }) {
    const target = resolve(inputShapes[0], node.args.target_shape);
    return op(g, node.id, 'Reshape', [inputs[0], g.constInt64([0, ...target], undefined, `${node.id}/shape`)]);
  },
  // PyTorch: x.reshape(batch, *target) with the -1 resolved; the layout is Keras' (channels-last), so the values keep
  // Keras' order.
  toPytorch(node, { inputs, inputShapes }) {
    const target = resolve(inputShapes[0], node.args.target_shape);
    return { init: [], forward: `${inputs[0]}.reshape(${inputs[0]}.shape[0], ${target.join(', ')})` };
  },
  conformance: [
    seq('Reshape (12,) to (3, 4)', [12], 'Reshape((3, 4))'),
    seq('Reshape (784,)-style to an image for Conv2D', [36], 'Reshape((6, 6, 1))', 'Conv2D(2, 3)'),
    seq('Reshape with -1', [4, 6], 'Reshape((-1, 3))'),
    seq('Reshape of a conv map to a vector', [3, 4, 2], 'Reshape((24,))', 'Dense(2)')
  ]
};
