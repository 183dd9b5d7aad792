import type { ArgValue, Shape } from '$lib/spec/types';
import { requireSeveral } from './add';
import { merge } from './conformance';
import { op } from './onnx-ops';
import { LayerError, type ArgDef, type LayerDef } from './types';
import { formatTuple, resolveAxis } from './util';

const ARGS: readonly ArgDef[] = [
  { name: 'axis', type: 'int', default: -1, doc: 'The axis to join along; -1, the default, is the last (features or channels). It counts the batch axis, as in Keras: 1 is the first axis of a sample.' }
];

function axisOf(args: Record<string, ArgValue>): number {
  const axis = args.axis ?? -1;
  if (typeof axis !== 'number' || !Number.isInteger(axis)) throw new LayerError(`Concatenate's axis must be an integer but gets ${String(axis)}`);
  return axis;
}

function output(inputs: Shape[], args: Record<string, ArgValue>): Shape {
  const axis = axisOf(args);
  requireSeveral('Concatenate', inputs);
  const first = inputs[0];
  const k = resolveAxis('Concatenate', axis, first);
  const out = [...first];
  for (const s of inputs.slice(1)) {
    if (s.length !== first.length || s.some((d, i) => i !== k && d !== first[i])) {
      const which = axis === -1 ? 'the last' : `axis=${axis}`;
      throw new LayerError(
        `Concatenate needs inputs that match on every axis except ${which} but gets ${formatTuple(first)} and ${formatTuple(s)}`,
        s.length !== first.length ? 'The inputs must have the same number of axes; add a Reshape or Flatten to one of them' : undefined
      );
    }
    out[k] += s[k];
  }
  return out;
}

/** Keras `layers.Concatenate`. */
export const concatenate: LayerDef = {
  kind: 'Concatenate',
  doc:
    'Joins a list of inputs along one axis, by default the last: layers.Concatenate()([a, b]) turns (8,) and ' +
    '(4,) into (12,), or two (16, 16, 32) images into (16, 16, 64). All other axes must match. No parameters.',
  arity: 'many',
  args: ARGS,
  validate(args) {
    const axis = axisOf(args);
    if (axis === 0) throw new LayerError('Concatenate cannot work along the batch axis (axis=0)', 'axis=-1 is the last axis');
  },
  outputShape: (inputs, args) => output(inputs, args),
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  // 0: data movement only.
  flops: () => 0,
  toTfjs(node, { tf, inputShapes }) {
    // TF.js joins along the last axis for any negative axis, so a negative axis other than -1 is made positive.
    let axis = axisOf(node.args);
    const first = inputShapes?.[0];
    if (axis < -1 && first) axis = resolveAxis('Concatenate', axis, first) + 1;
    return tf.layers.concatenate({ name: node.id, axis });
  },
  // ONNX: Concat along the Keras axis made positive (Keras counts the batch axis, as ONNX does).
  toOnnx(node, { g, inputs, inputShapes }) {
    output(inputShapes, node.args);
    const axis = resolveAxis('Concatenate', axisOf(node.args), inputShapes[0]) + 1;
    return op(g, node.id, 'Concat', inputs, { axis });
  },
  // PyTorch: torch.cat along the same axis: tensors keep Keras' layout, and Keras' axis counts the batch axis as
  // torch's dim does.
  toPytorch(node, { inputs }) {
    return { init: [], forward: `torch.cat([${inputs.join(', ')}], dim=${axisOf(node.args)})` };
  },
  conformance: [
    merge('Concatenate axis=-1', [[3], [5]], 'Concatenate()'),
    merge('Concatenate axis=1 on (steps, features)', [[2, 4], [3, 4]], 'Concatenate(axis=1)'),
    merge('Concatenate axis=-2 on images', [[3, 2, 2], [3, 4, 2]], 'Concatenate(axis=-2)'),
    merge('Concatenate images on channels', [[3, 4, 1], [3, 4, 2], [3, 4, 3]], 'Concatenate(axis=-1)')
  ]
};
