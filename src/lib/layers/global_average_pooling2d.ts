import type { ArgValue } from '$lib/spec/types';
import { seq } from './conformance';
import { op } from './onnx-ops';
import type { LayerDef } from './types';
import { checkGlobalPooling, globalPoolingArgs, requireImage, weightlessLayer } from './util';

const ARGS = globalPoolingArgs('height, width, channels', 'Keep the spatial axes with size 1: (1, 1, channels) instead of (channels,).');

function check(raw: Record<string, ArgValue>) {
  return checkGlobalPooling('GlobalAveragePooling2D', ARGS, raw);
}

/** Keras `layers.GlobalAveragePooling2D`, channels-last. */
export const globalAveragePooling2d: LayerDef = {
  ...weightlessLayer(
    'GlobalAveragePooling2D',
    'Averages an image (height, width, channels) over all its positions, giving one value per channel: ' +
      '(7, 7, 64) → (64,). A parameter-free alternative to Flatten before the classifier of a CNN; it makes the ' +
      'model independent of the image size.',
    ARGS,
    check
  ),
  outputShape([input], args) {
    const { keepdims } = check(args);
    const [, , c] = requireImage('GlobalAveragePooling2D', input);
    return keepdims ? [1, 1, c] : [c];
  },
  // H · W · C: one add per input element.
  flops: ([input]) => input.reduce((a, b) => a * b, 1),
  toTfjs(node, { tf, inputShapes }) {
    const { keepdims } = check(node.args);
    if (!keepdims) return tf.layers.globalAveragePooling2d({ name: node.id, dataFormat: 'channelsLast' });
    // TF.js has no keepdims: an average pool over the whole image computes the same (1, 1, channels).
    const shape = inputShapes?.[0];
    if (!shape || shape.length !== 3) throw new Error('GlobalAveragePooling2D(keepdims=True) needs its input shape');
    return tf.layers.averagePooling2d({ name: node.id, poolSize: [shape[0], shape[1]], strides: [shape[0], shape[1]], padding: 'valid', dataFormat: 'channelsLast' });
  },
  // ONNX: ReduceMean over axes 1, 2 of the NHWC tensor (no transposes needed; GlobalAveragePool would want NCHW).
  toOnnx(node, { g, inputs }) {
    const { keepdims } = check(node.args);
    return op(g, node.id, 'ReduceMean', [inputs[0]], { axes: [1, 2], keepdims: keepdims ? 1 : 0 });
  },
  // PyTorch: the mean over axes 1, 2 of the channels-last tensor.
  toPytorch(node, { inputs }) {
    const { keepdims } = check(node.args);
    return { init: [], forward: `${inputs[0]}.mean(dim=(1, 2)${keepdims ? ', keepdim=True' : ''})` };
  },
  conformance: [seq('GlobalAveragePooling2D on 7x5', [7, 5, 3], 'GlobalAveragePooling2D()'), seq('GlobalAveragePooling2D keepdims=True', [5, 4, 3], 'GlobalAveragePooling2D(keepdims=True)')]
};
