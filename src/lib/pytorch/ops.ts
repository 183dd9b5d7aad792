/**
 * Small helpers the PyTorch lowerings share (Python literals, the NCHW round trip, Keras' "same" padding). The
 * Python functions they name (`to_nchw`, `to_nhwc`, `avg_pool_exclude_pad`, ...) are defined once at the top of the
 * generated train.py (see PRELUDE in ./print.ts).
 */

/** A Python float literal: `0.2`, `1e-07`, `3.0`. */
export function pyNum(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? 'math.inf' : v < 0 ? '-math.inf' : 'math.nan';
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? `${v}.0` : String(v);
}

export const pyBool = (b: unknown): string => (b ? 'True' : 'False');

/** A Python tuple of ints: `(3, 3)`, `(4,)`. */
export function pyTuple(xs: readonly number[]): string {
  return xs.length === 1 ? `(${xs[0]},)` : `(${xs.join(', ')})`;
}

/**
 * A channels-last image op run in NCHW: `to_nhwc(body(to_nchw(x)))`, padded first with F.pad when the pads (ONNX order
 * [top, left, bottom, right], see `pads2d`) are not zero. `value` fills the padding (-inf for a max pool).
 */
export function throughNchw(x: string, body: (nchw: string) => string, pads?: readonly number[], value?: string): string {
  let inner = `to_nchw(${x})`;
  if (pads && pads.some((p) => p !== 0)) {
    const [t, l, b, r] = pads;
    // F.pad's pairs run from the last axis backwards: (left, right, top, bottom) for NCHW.
    inner = `F.pad(${inner}, (${l}, ${r}, ${t}, ${b})${value ? `, value=${value}` : ''})`;
  }
  return `to_nhwc(${body(inner)})`;
}
