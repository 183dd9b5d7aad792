/**
 * Helpers to write a layer's ONNX conformance cases (`LayerDef.conformance`) as small Keras programs. The table they
 * form, its tolerance and inputs live in `$lib/onnx/conformance`.
 */
import type { LayerConformanceCase } from './types';

const HEADER = 'import keras\nfrom keras import layers\n';

const tuple = (s: number[]) => (s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`);

/** A Sequential program: one Input of `shape`, then the layers (Keras source of each constructor call). */
export function seq(name: string, shape: number[], ...calls: string[]): LayerConformanceCase {
  const body = [`    keras.Input(shape=${tuple(shape)}),`, ...calls.map((c) => `    layers.${c},`)].join('\n');
  return { name, source: `${HEADER}model = keras.Sequential([\n${body}\n])\n` };
}

/** A functional program merging inputs of these shapes with `call` (e.g. `Add()`), after `pre` per input. */
export function merge(name: string, shapes: number[][], call: string, pre: (i: number) => string | null = () => null): LayerConformanceCase {
  const lines = shapes.map((s, i) => `in${i} = keras.Input(shape=${tuple(s)}, name="in${i}")`);
  const branches = shapes.map((_, i) => {
    const p = pre(i);
    if (!p) return `in${i}`;
    lines.push(`b${i} = layers.${p}(in${i})`);
    return `b${i}`;
  });
  lines.push(`out = layers.${call}([${branches.join(', ')}])`);
  lines.push(`model = keras.Model(inputs=[${shapes.map((_, i) => `in${i}`).join(', ')}], outputs=out)`);
  return { name, source: `${HEADER}${lines.join('\n')}\n` };
}
