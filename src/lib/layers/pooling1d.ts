/** Shared definition of MaxPooling1D and AveragePooling1D (Keras' arguments and shape rules on (steps, channels)). */
import type { ArgValue } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { op, throughNc1w } from './onnx-ops';
import { LayerError, type ArgDef, type LayerConformanceCase, type LayerDef, type Tfjs } from './types';
import { channelsLastArg, checkChoice, checkDataFormat, requireSequence, toSingle, window1d, weightlessLayer, withArgDefaults } from './util';

const PADDINGS = ['valid', 'same'] as const;

function poolArgs(what: string): readonly ArgDef[] {
  return [
    { name: 'pool_size', type: 'int_or_tuple', default: 2, min: 1, doc: `Number of steps to take the ${what} over: 2 or (2,).` },
    { name: 'strides', type: 'int_or_tuple', default: null, min: 1, doc: 'Step of the window: an int; None (the default) means pool_size, i.e. windows do not overlap.' },
    { name: 'padding', type: 'string', default: 'valid', values: PADDINGS, doc: '"valid": windows that do not fit are dropped (floor); "same": the input is padded so that the output has ceil(steps / strides) steps.' },
    channelsLastArg('steps, channels')
  ];
}

export interface Pooling1dSpec {
  kind: 'MaxPooling1D' | 'AveragePooling1D';
  doc: string;
  /** The TF.js layer; `inputShape` (steps, channels) when the caller knows it. */
  lower: (tf: Tfjs, cfg: { name: string; poolSize: number; strides: number; padding: 'valid' | 'same' }, inputShape?: number[]) => TF.layers.Layer;
  tfjsGradKernel: string;
  conformance: readonly LayerConformanceCase[];
}

export function pooling1dLayer({ kind, doc, lower, tfjsGradKernel, conformance }: Pooling1dSpec): LayerDef {
  const max = kind === 'MaxPooling1D';
  const ARGS = poolArgs(max ? 'maximum' : 'average');
  const check = (raw: Record<string, ArgValue>) => {
    const a = withArgDefaults(ARGS, raw);
    const pool = toSingle(kind, 'pool_size', a.pool_size);
    const stride = a.strides === null ? pool : toSingle(kind, 'strides', a.strides);
    const padding = checkChoice(kind, 'padding', a.padding, PADDINGS);
    checkDataFormat(kind, a.data_format);
    return { pool, stride, padding };
  };
  const output = (input: number[], raw: Record<string, ArgValue>) => {
    const c = check(raw);
    const [steps, channels] = requireSequence(kind, input);
    const w = window1d(steps, c.pool, c.stride, c.padding);
    if (w.out < 1) throw new LayerError(`${kind}'s pool of ${c.pool} steps is longer than its input of ${steps} steps with padding="valid"`, 'use padding="same", a smaller pool_size, or less pooling before it');
    return { ...c, channels, pads: w.pads, shape: [w.out, channels] };
  };
  return {
    ...weightlessLayer(kind, doc, ARGS, check),
    outputShape: ([input], args) => output(input, args).shape,
    // p · C · steps_out: one compare (max) or add (average) per window element.
    flops([input], args) {
      const o = output(input, args);
      return o.pool * o.shape[0] * o.shape[1];
    },
    toTfjs(node, { tf, inputShapes }) {
      const c = check(node.args);
      return lower(tf, { name: node.id, poolSize: c.pool, strides: c.stride, padding: c.padding }, inputShapes?.[0]);
    },
    // ONNX: MaxPool / AveragePool on the sequence seen as an image of height 1 (throughNc1w), kernel (1, p), explicit
    // pads (TF's "same" split; padding left out of maxima and averages, count_include_pad=0, as Keras does).
    toOnnx(node, { g, inputs, inputShapes }) {
      const o = output(inputShapes[0], node.args);
      const attrs = { kernel_shape: [1, o.pool], strides: [1, o.stride], pads: [0, o.pads[0], 0, o.pads[1]] };
      return throughNc1w(g, node.id, inputs[0], (x) => (max ? op(g, node.id, 'MaxPool', [x], attrs) : op(g, node.id, 'AveragePool', [x], { ...attrs, count_include_pad: 0 })));
    },
    // PyTorch: F.max_pool1d on (batch, channels, steps) (padded with -inf first for "same"); an average pool with pads
    // leaves them out of each average as Keras does: the 2-D avg_pool_exclude_pad on a height-1 image.
    toPytorch(node, { inputs, inputShapes }) {
      const o = output(inputShapes[0], node.args);
      const [before, after] = o.pads;
      const x = `${inputs[0]}.transpose(1, 2)`;
      const padded = before || after;
      if (max) return { init: [], forward: `F.max_pool1d(${padded ? `F.pad(${x}, (${before}, ${after}), value=-math.inf)` : x}, ${o.pool}, ${o.stride}).transpose(1, 2)` };
      if (!padded) return { init: [], forward: `F.avg_pool1d(${x}, ${o.pool}, ${o.stride}).transpose(1, 2)` };
      return { init: [], forward: `avg_pool_exclude_pad(${x}.unsqueeze(2), (1, ${o.pool}), (1, ${o.stride}), (0, ${before}, 0, ${after})).squeeze(2).transpose(1, 2)` };
    },
    tfjsGradKernels: [tfjsGradKernel],
    conformance
  };
}
