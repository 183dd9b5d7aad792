/**
 * Helpers shared by the layers' ONNX lowerings (`toOnnx`): node naming, the NHWC ⇄ NCHW transposes around the
 * image ops, and TensorFlow's "same" padding written as explicit pads.
 *
 * Only types come from `$lib/onnx/graph` here, so the layer files stay free of onnx-proto at run time.
 */
import type { AttrValue, GraphBuilder } from '$lib/onnx/graph';
import type { Pair } from './util';

/** A float attribute (ONNX wants FLOAT even where the value is whole, e.g. Elu's alpha=1). */
export const f32 = (v: number): AttrValue => ({ float: v });

/** Adds one node named `<node id>/<what>` (so the graph reads layer by layer) and returns its output. */
export function op(g: GraphBuilder, nodeId: string, opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, what = opType): string {
  return g.node(opType, inputs, attrs, { name: `${nodeId}/${what}` });
}

/** Keras (batch, H, W, C) → ONNX (batch, C, H, W). */
export const NHWC_TO_NCHW = [0, 3, 1, 2];
/** ONNX (batch, C, H, W) → Keras (batch, H, W, C). */
export const NCHW_TO_NHWC = [0, 2, 3, 1];

/**
 * Pads of one spatial axis as TensorFlow computes them: none for "valid"; for "same" the total
 * max((out - 1)·stride + (k - 1)·dilation + 1 - in, 0), split with the smaller half before (the extra one after).
 */
export function tfPads(input: number, kernel: number, stride: number, padding: string, dilation = 1): Pair {
  if (padding !== 'same') return [0, 0];
  const out = Math.ceil(input / stride);
  const total = Math.max((out - 1) * stride + (kernel - 1) * dilation + 1 - input, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

/** ONNX `pads` for a 2-D window op: [top, left, bottom, right]. */
export function pads2d(hw: [number, number], kernel: Pair, strides: Pair, padding: string, dilation: Pair = [1, 1]): number[] {
  const [t, b] = tfPads(hw[0], kernel[0], strides[0], padding, dilation[0]);
  const [l, r] = tfPads(hw[1], kernel[1], strides[1], padding, dilation[1]);
  return [t, l, b, r];
}

/**
 * Runs an NCHW image op on a Keras NHWC tensor: Transpose in, the op, Transpose back (ORT's optimizer cancels the
 * back-to-back transposes between consecutive image layers).
 */
export function throughNchw(g: GraphBuilder, nodeId: string, x: string, body: (nchw: string) => string): string {
  const nchw = op(g, nodeId, 'Transpose', [x], { perm: NHWC_TO_NCHW }, 'to_nchw');
  return op(g, nodeId, 'Transpose', [body(nchw)], { perm: NCHW_TO_NHWC }, 'to_nhwc');
}

/**
 * Runs a 2-D NCHW window op (Conv, MaxPool, AveragePool) on a Keras sequence (batch, steps, channels) as an image of
 * height 1: Transpose to (batch, channels, steps), Unsqueeze to (batch, channels, 1, steps), the op (kernel (1, k),
 * pads [0, before, 0, after]), Squeeze and Transpose back. The 2-D ops and their gradient rules then serve 1-D layers.
 */
export function throughNc1w(g: GraphBuilder, nodeId: string, x: string, body: (nc1w: string) => string): string {
  const ncw = op(g, nodeId, 'Transpose', [x], { perm: [0, 2, 1] }, 'to_ncw');
  const nc1w = op(g, nodeId, 'Unsqueeze', [ncw, g.constInt64([2])], {}, 'to_nc1w');
  const y = op(g, nodeId, 'Squeeze', [body(nc1w), g.constInt64([2])], {}, 'from_nc1w');
  return op(g, nodeId, 'Transpose', [y], { perm: [0, 2, 1] }, 'to_nwc');
}
