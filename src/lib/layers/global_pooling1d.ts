/** Shared definition of GlobalAveragePooling1D and GlobalMaxPooling1D: (steps, channels) → (channels,). */
import type { ArgValue } from '$lib/spec/types';
import { op } from './onnx-ops';
import type { LayerConformanceCase, LayerDef } from './types';
import { checkGlobalPooling, globalPoolingArgs, requireSequence, weightlessLayer } from './util';

const ARGS = globalPoolingArgs('steps, channels', 'Keep the time axis with size 1: (1, channels) instead of (channels,).');

export function globalPooling1dLayer(kind: 'GlobalAveragePooling1D' | 'GlobalMaxPooling1D', doc: string, conformance: readonly LayerConformanceCase[]): LayerDef {
  const max = kind === 'GlobalMaxPooling1D';
  const check = (raw: Record<string, ArgValue>) => checkGlobalPooling(kind, ARGS, raw);
  return {
    ...weightlessLayer(kind, doc, ARGS, check),
    outputShape([input], args) {
      const { keepdims } = check(args);
      const [, c] = requireSequence(kind, input);
      return keepdims ? [1, c] : [c];
    },
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
