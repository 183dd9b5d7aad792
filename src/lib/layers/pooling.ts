/** Shared definition of MaxPooling2D and AveragePooling2D (same arguments and shape rules as Keras). */
import type { ArgValue } from '$lib/spec/types';
import { op, pads2d, throughNchw } from './onnx-ops';
import { LayerError, type ArgDef, type LayerConformanceCase, type LayerDef, type Tfjs } from './types';
import { channelsLastArg, checkChoice, checkDataFormat, formatTuple, requireImage, toPair, windowOutputLength, weightlessLayer, withArgDefaults } from './util';
import type * as TF from '@tensorflow/tfjs';
import { pyTuple, throughNchw as pyThroughNchw } from '$lib/pytorch/ops';

const PADDINGS = ['valid', 'same'] as const;

function poolArgs(what: string): readonly ArgDef[] {
  return [
    { name: 'pool_size', type: 'int_or_tuple', default: [2, 2], min: 1, doc: `Height and width of the window to take the ${what} over: 2 or (2, 2).` },
    { name: 'strides', type: 'int_or_tuple', default: null, min: 1, doc: 'Step of the window: an int or a tuple; None (the default) means pool_size, i.e. windows do not overlap.' },
    { name: 'padding', type: 'string', default: 'valid', values: PADDINGS, doc: '"valid": windows that do not fit are dropped (floor); "same": the input is padded so that the output is ceil(input / strides).' },
    channelsLastArg('height, width, channels')
  ];
}

/** What differs between the pooling layers: the layer file passes it in. */
export interface PoolingSpec {
  kind: 'MaxPooling2D' | 'AveragePooling2D';
  doc: string;
  lower: (tf: Tfjs, cfg: { name: string; poolSize: [number, number]; strides: [number, number]; padding: 'valid' | 'same'; dataFormat: 'channelsLast' }) => TF.layers.Layer;
  /** TF.js' gradient kernel of the pooling (`LayerDef.tfjsGradKernels`). */
  tfjsGradKernel: string;
  conformance: readonly LayerConformanceCase[];
}

export function poolingLayer({ kind, doc, lower, tfjsGradKernel, conformance }: PoolingSpec): LayerDef {
  const ARGS = poolArgs(kind === 'MaxPooling2D' ? 'maximum' : 'average');
  const check = (raw: Record<string, ArgValue>) => {
    const a = withArgDefaults(ARGS, raw);
    const pool = toPair(kind, 'pool_size', a.pool_size);
    const strides = a.strides === null ? pool : toPair(kind, 'strides', a.strides);
    const padding = checkChoice(kind, 'padding', a.padding, PADDINGS);
    checkDataFormat(kind, a.data_format);
    return { pool, strides, padding };
  };
  const output = (input: number[], raw: Record<string, ArgValue>) => {
    const c = check(raw);
    const [h, w, channels] = requireImage(kind, input);
    const oh = windowOutputLength(h, c.pool[0], c.strides[0], c.padding);
    const ow = windowOutputLength(w, c.pool[1], c.strides[1], c.padding);
    if (oh < 1 || ow < 1) {
      throw new LayerError(`${kind}'s pool ${formatTuple(c.pool)} is larger than its input ${formatTuple([h, w])} with padding="valid"`, 'use padding="same", a smaller pool_size, or less pooling before it');
    }
    return { ...c, channels, shape: [oh, ow, channels] };
  };
  return {
    ...weightlessLayer(kind, doc, ARGS, check),
    outputShape: ([input], args) => output(input, args).shape,
    // p_h · p_w · C · H_out · W_out: one compare (max) or add (average) per window element.
    flops([input], args) {
      const o = output(input, args);
      return o.pool[0] * o.pool[1] * o.shape[0] * o.shape[1] * o.shape[2];
    },
    toTfjs(node, { tf }) {
      const c = check(node.args);
      return lower(tf, { name: node.id, poolSize: [...c.pool], strides: [...c.strides], padding: c.padding, dataFormat: 'channelsLast' });
    },
    // ONNX: Transpose NHWC→NCHW, MaxPool / AveragePool with explicit pads (TF's "same" split; the padding is left out
    // of maxima and of averages, count_include_pad=0, as TF does), Transpose back.
    toOnnx(node, { g, inputs, inputShapes }) {
      const o = output(inputShapes[0], node.args);
      const [h, w] = inputShapes[0];
      const attrs = { kernel_shape: [...o.pool], strides: [...o.strides], pads: pads2d([h, w], o.pool, o.strides, o.padding) };
      const onnxOp = kind === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool';
      return throughNchw(g, node.id, inputs[0], (x) => op(g, node.id, onnxOp, [x], onnxOp === 'AveragePool' ? { ...attrs, count_include_pad: 0 } : attrs));
    },
    // PyTorch: F.max_pool2d / F.avg_pool2d in NCHW between permutes. "same" pads as Keras (TF's split, the odd pixel
    // after): a max pool pads with -inf; an average pool leaves the padding out of each average as Keras does
    // (avg_pool_exclude_pad: the padded sum over the padded count of real pixels), which torch's
    // count_include_pad=False does only for symmetric pads.
    toPytorch(node, { inputs, inputShapes }) {
      const o = output(inputShapes[0], node.args);
      const [h, w] = inputShapes[0];
      const pads = pads2d([h, w], o.pool, o.strides, o.padding);
      const k = pyTuple(o.pool);
      const s = pyTuple(o.strides);
      if (kind === 'MaxPooling2D') return { init: [], forward: pyThroughNchw(inputs[0], (x) => `F.max_pool2d(${x}, ${k}, ${s})`, pads, '-math.inf') };
      if (pads.every((p) => p === 0)) return { init: [], forward: pyThroughNchw(inputs[0], (x) => `F.avg_pool2d(${x}, ${k}, ${s})`) };
      return { init: [], forward: pyThroughNchw(inputs[0], (x) => `avg_pool_exclude_pad(${x}, ${k}, ${s}, ${pyTuple(pads)})`) };
    },
    tfjsGradKernels: [tfjsGradKernel],
    conformance
  };
}
