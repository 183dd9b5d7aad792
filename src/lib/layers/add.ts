import type { Shape } from '$lib/spec/types';
import { merge } from './conformance';
import { op } from './onnx-ops';
import { LayerError, type LayerDef, type OnnxLowerContext } from './types';
import { formatTuple, sizeOf } from './util';

/** At least two inputs (TF.js' merge layers refuse a single one, which Keras 3 passes through). */
export function requireSeveral(kind: string, inputs: Shape[]): void {
  if (inputs.length < 2) {
    throw new LayerError(`${kind} needs at least two inputs but gets ${inputs.length}`, `Call it on a list: layers.${kind}()([a, b])`);
  }
}

/**
 * Keras' elementwise merge shape: axes are aligned from the right and an axis of size 1 broadcasts (so
 * (4, 4, 8) + (8,) and (4, 4, 8) + (1, 1, 8) are accepted as in Keras); any other difference is an error.
 */
export function broadcastShapes(kind: string, inputs: Shape[]): Shape {
  let out = inputs[0];
  for (const s of inputs.slice(1)) {
    const [long, short] = out.length >= s.length ? [out, s] : [s, out];
    const lead = long.slice(0, long.length - short.length);
    const tail = long.slice(long.length - short.length).map((d, i) => {
      const e = short[i];
      if (d === e || e === 1) return d;
      if (d === 1) return e;
      return -1;
    });
    if (tail.includes(-1)) {
      const same = inputs[0].length === s.length && inputs[0].slice(0, -1).every((d, i) => d === s[i]);
      const hint = same ? `Give both branches ${s[s.length - 1]} features, e.g. with layers.Dense(${s[s.length - 1]}) on the ${formatTuple(inputs[0])} one` : undefined;
      throw new LayerError(`${kind} needs inputs of the same shape but gets ${formatTuple(inputs[0])} and ${formatTuple(s)}`, hint);
    }
    out = [...lead, ...tail];
  }
  return out;
}

/** Keras `layers.Add`. */
export const add: LayerDef = {
  kind: 'Add',
  doc:
    'Adds a list of inputs elementwise: layers.Add()([a, b]). The inputs must have the same shape (an axis of ' +
    'size 1 is broadcast, as in Keras). Used for residual (skip) connections, x + f(x). No parameters.',
  arity: 'many',
  args: [],
  outputShape(inputs) {
    requireSeveral('Add', inputs);
    return broadcastShapes('Add', inputs);
  },
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  // (inputs - 1) · output elements.
  flops(inputs) {
    return (inputs.length - 1) * sizeOf(broadcastShapes('Add', inputs));
  },
  toTfjs(node, { tf }) {
    return tf.layers.add({ name: node.id });
  },
  // ONNX: Add, one per extra input (+ Reshape of an input with fewer axes, see `alignRanks`).
  toOnnx(node, ctx) {
    const xs = alignRanks(node.id, ctx);
    return xs.slice(1).reduce((sum, x, i) => op(ctx.g, node.id, 'Add', [sum, x], {}, i === xs.length - 2 ? 'Add' : `add_${i}`), xs[0]);
  },
  // PyTorch: a + b (+ ...). Keras aligns the axes of a sample from the right, after the batch axis: an input with
  // fewer axes is reshaped to (batch, 1, ..., its shape) first (torch alone would align its batch axis with another).
  toPytorch(_node, { inputs, inputShapes }) {
    const rank = Math.max(...inputShapes.map((s) => s.length));
    const xs = inputs.map((x, i) => {
      const s = inputShapes[i];
      return s.length === rank ? x : `${x}.reshape(${x}.shape[0], ${[...Array(rank - s.length).fill(1), ...s].join(', ')})`;
    });
    return { init: [], forward: xs.join(' + ') };
  },
  conformance: [
    merge('Add two inputs', [[5], [5]], 'Add()'),
    merge('Add three images', [[3, 4, 2], [3, 4, 2], [3, 4, 2]], 'Add()'),
    merge('Add with broadcast (4, 4, 3) + (3,)', [[4, 4, 3], [3]], 'Add()'),
    merge('Add with broadcast (4, 3) + (1, 3)', [[4, 3], [1, 3]], 'Add()'),
    merge('Add after Dense branches', [[4], [6]], 'Add()', () => 'Dense(3, activation="tanh")')
  ]
};

/**
 * Keras and TF.js merge inputs of different ranks by inserting size-1 axes right after the batch axis, so (4, 4, 8)
 * + (8,) adds the (8,) to every position: a Reshape to (0, 1, 1, 8) before an ONNX Add, whose numpy broadcasting
 * would otherwise align the batch axis with an inner one.
 */
export function alignRanks(nodeId: string, { g, inputs, inputShapes }: OnnxLowerContext): string[] {
  const rank = Math.max(...inputShapes.map((s) => s.length));
  return inputs.map((x, i) => {
    const s = inputShapes[i];
    if (s.length === rank) return x;
    const shape = g.constInt64([0, ...Array(rank - s.length).fill(1), ...s], undefined, `${nodeId}/expand_shape`);
    return op(g, nodeId, 'Reshape', [x, shape], {}, `expand_${i}`);
  });
}
