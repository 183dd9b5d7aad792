/** Shared definition of GlobalAveragePooling1D and GlobalMaxPooling1D: (steps, channels) → (channels,). */
import type { ArgValue } from '$lib/spec/types';
import { op } from './onnx-ops';
import type { ArgDef, LayerConformanceCase, LayerDef } from './types';
import { checkBool, checkDataFormat, requireSequence, withArgDefaults } from './util';

const ARGS: readonly ArgDef[] = [
  { name: 'data_format', type: 'string', default: null, values: ['channels_last'], doc: 'Only "channels_last" (steps, channels), Keras\' default, is supported here.' },
  { name: 'keepdims', type: 'bool', default: false, doc: 'Keep the time axis with size 1: (1, channels) instead of (channels,).' }
];

export function globalPooling1dLayer(kind: 'GlobalAveragePooling1D' | 'GlobalMaxPooling1D', doc: string, conformance: readonly LayerConformanceCase[]): LayerDef {
  const max = kind === 'GlobalMaxPooling1D';
  const check = (raw: Record<string, ArgValue>) => {
    const a = withArgDefaults(ARGS, raw);
    checkDataFormat(kind, a.data_format);
    return { keepdims: checkBool(kind, 'keepdims', a.keepdims) };
  };
  return {
    kind,
    doc,
    arity: 1,
    args: ARGS,
    validate(args) {
      check(args);
    },
    outputShape([input], args) {
      const { keepdims } = check(args);
      const [, c] = requireSequence(kind, input);
      return keepdims ? [1, c] : [c];
    },
    params: () => ({ trainable: 0, nonTrainable: 0 }),
    // steps · C: one add (average) or compare (max) per input element.
    flops: ([input]) => input.reduce((a, b) => a * b, 1),
    toTfjs(node, { tf, inputShapes }) {
      const { keepdims } = check(node.args);
      if (!keepdims) return max ? tf.layers.globalMaxPooling1d({ name: node.id }) : tf.layers.globalAveragePooling1d({ name: node.id });
      // TF.js has no keepdims: a pool over all the steps computes the same (1, channels).
      const steps = inputShapes?.[0]?.[0];
      if (steps === undefined) throw new Error(`${kind}(keepdims=True) needs its input shape`);
      const cfg = { name: node.id, poolSize: steps, strides: steps, padding: 'valid' as const };
      return max ? tf.layers.maxPooling1d(cfg) : tf.layers.averagePooling1d(cfg);
    },
    // ONNX: ReduceMax / ReduceMean over the time axis (1) of (batch, steps, channels).
    toOnnx(node, { g, inputs }) {
      const { keepdims } = check(node.args);
      return op(g, node.id, max ? 'ReduceMax' : 'ReduceMean', [inputs[0]], { axes: [1], keepdims: keepdims ? 1 : 0 });
    },
    // PyTorch: the max / mean over the time axis (1) of the (batch, steps, channels) tensor.
    toPytorch(node, { inputs }) {
      const { keepdims } = check(node.args);
      return { init: [], forward: `${inputs[0]}.${max ? 'amax' : 'mean'}(dim=1${keepdims ? ', keepdim=True' : ''})` };
    },
    conformance
  };
}
