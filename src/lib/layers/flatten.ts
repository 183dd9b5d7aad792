import { seq } from './conformance';
import { op } from './onnx-ops';
import type { ArgDef, LayerDef } from './types';
import { checkDataFormat, sizeOf } from './util';

const ARGS: readonly ArgDef[] = [
  { name: 'data_format', type: 'string', default: null, values: ['channels_last'], doc: 'Only "channels_last", Keras\' default, is supported here (it only matters for the order of the values).' }
];

/** Keras `layers.Flatten`. */
export const flatten: LayerDef = {
  kind: 'Flatten',
  doc:
    'Flattens its input to one axis, keeping the batch: (7, 7, 64) → (3136,). No parameters. Typically used ' +
    'between the convolutional part of a model and its Dense classifier.',
  arity: 1,
  args: ARGS,
  validate(args) {
    checkDataFormat('Flatten', args.data_format);
  },
  outputShape([input], args) {
    checkDataFormat('Flatten', args.data_format);
    return [sizeOf(input)];
  },
  params: () => ({ trainable: 0, nonTrainable: 0 }),
  // 0: data movement only.
  flops: () => 0,
  toTfjs(node, { tf, inputShapes }) {
    const shape = inputShapes?.[0];
    // TF.js' Flatten refuses 1-D inputs, which Keras accepts (a no-op): lower those as a Reshape to the same size.
    if (shape && shape.length <= 1) return tf.layers.reshape({ name: node.id, targetShape: [sizeOf(shape)] });
    return tf.layers.flatten({ name: node.id });
  },
  // ONNX: Flatten(axis=1). Tensors are in Keras layout (NHWC) between layers, so this flattens in Keras' order.
  toOnnx(node, { g, inputs }) {
    return op(g, node.id, 'Flatten', [inputs[0]], { axis: 1 });
  },
  // PyTorch: torch.flatten(x, 1). Tensors stay channels-last between layers, so this flattens in Keras' order
  // (h, w, c); flattening torch's own NCHW would give (c, h, w) and scramble the next Dense's kernel rows.
  toPytorch(_node, { inputs }) {
    return { init: [], forward: `torch.flatten(${inputs[0]}, 1)` };
  },
  conformance: [
    seq('Flatten after Conv2D on 7x5 (Keras order)', [7, 5, 2], 'Conv2D(3, 3, padding="same")', 'Flatten()', 'Dense(4)'),
    seq('Flatten of (steps, features)', [3, 4], 'Flatten()', 'Dense(2)'),
    seq('Flatten of a vector', [6], 'Flatten()')
  ]
};
