/**
 * Smaller variants of an exported model for the edge (pure, on the `graph.ts` IR):
 *
 * - fp16: every large float32 initializer is stored as float16 and a `Cast(to=FLOAT)` node in front of its users
 *   turns it back, so the graph still computes (and takes and returns) float32. Halves the weights.
 * - int8: weight-only ("dynamic") quantization: each weight matrix / kernel becomes int8 values + a float32 scale
 *   (+ an int8 zero point of 0: symmetric) feeding `DequantizeLinear`, per output channel or per tensor. Biases and
 *   small constants stay float32. About a quarter of the weights' size.
 *
 * Both load in ONNX Runtime (opset ≥ 13 for per-channel DequantizeLinear); `maxAbsDiff` compares their outputs with
 * the float32 model's.
 */
import { encodeModel, type OnnxModel, type OnnxNode, type OnnxTensor } from './graph';

export type Variant = 'fp32' | 'fp16' | 'int8';
export const VARIANTS: Variant[] = ['fp32', 'fp16', 'int8'];
export const VARIANT_LABELS: Record<Variant, string> = { fp32: 'float32', fp16: 'float16 weights', int8: 'int8 weights (dynamic)' };

export interface QuantizeOptions {
  /** int8: one scale per output channel (default) or one per tensor. */
  perChannel?: boolean;
  /** Initializers with fewer elements stay float32 (default 16): scalars, epsilons, shapes. */
  minElements?: number;
}

export interface VariantInfo {
  variant: Variant;
  /** Size of the encoded .onnx file in bytes. */
  bytes: number;
  /** Initializers converted (names in the fp32 model). */
  converted: string[];
}

/** Float32 → IEEE half bits, round to nearest even (subnormals, overflow to ±Inf and NaN handled). */
export function toHalfBits(value: number): number {
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  f32[0] = value;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000; // implicit 1
    const shift = 14 - e;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rem > mid || (rem === mid && half & 1) ? 1 : 0));
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // may carry into the exponent: still right (or Inf)
  return sign | half;
}

/** IEEE half bits → number. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

const isFloatWeight = (t: OnnxTensor, min: number, graphInputs: Set<string>) =>
  t.dtype === 'float32' && t.data.length >= min && !graphInputs.has(t.name);

function cloneModel(m: OnnxModel): OnnxModel {
  return {
    ...m,
    metadata: { ...m.metadata },
    opsets: { ...m.opsets },
    graph: { ...m.graph, nodes: [...m.graph.nodes], initializers: [...m.graph.initializers], inputs: [...m.graph.inputs], outputs: [...m.graph.outputs], valueInfo: [...m.graph.valueInfo] }
  };
}

function freshNamer(m: OnnxModel) {
  const used = new Set<string>([
    ...m.graph.initializers.map((t) => t.name),
    ...m.graph.inputs.map((v) => v.name),
    ...m.graph.nodes.flatMap((n) => [n.name, ...n.outputs])
  ]);
  return (base: string) => {
    let name = base;
    for (let k = 1; used.has(name); k++) name = `${base}_${k}`;
    used.add(name);
    return name;
  };
}

/** Transposes `data` of shape `dims` by `perm` (row-major). */
function transpose(data: Float32Array, dims: number[], perm: number[]): { data: Float32Array; dims: number[] } {
  const outDims = perm.map((p) => dims[p]);
  const strides = dims.map((_, i) => dims.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const idx = new Array(outDims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k] * strides[perm[k]];
    out[o] = data[src];
    for (let k = outDims.length - 1; k >= 0; k--) {
      if (++idx[k] < outDims[k]) break;
      idx[k] = 0;
    }
  }
  return { data: out, dims: outDims };
}

/**
 * Folds `Transpose(initializer)` (the exporter's Keras → ONNX kernel layout change) into a transposed initializer,
 * so the quantized weight sits right before the Conv/MatMul that reads it: its output channels are then known, and
 * no Transpose of a Cast/DequantizeLinear output is left for the runtime to do on every run.
 */
export function foldWeightTransposes(model: OnnxModel): OnnxModel {
  const m = cloneModel(model);
  const uses = new Map<string, number>();
  for (const n of m.graph.nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  const graphIO = new Set([...m.graph.inputs, ...m.graph.outputs].map((v) => v.name));
  const inits = new Map(m.graph.initializers.map((t) => [t.name, t]));
  const folded = new Set<string>();
  m.graph.nodes = m.graph.nodes.filter((n) => {
    const t = inits.get(n.inputs[0]);
    const perm = n.attrs.perm;
    if (n.op !== 'Transpose' || !t || t.dtype !== 'float32' || uses.get(t.name) !== 1 || graphIO.has(t.name) || graphIO.has(n.outputs[0])) return true;
    const p = Array.isArray(perm) ? perm : t.dims.map((_, i) => t.dims.length - 1 - i);
    if (p.length !== t.dims.length) return true;
    const r = transpose(t.data as Float32Array, t.dims, p);
    inits.set(t.name, { name: n.outputs[0], dtype: 'float32', dims: r.dims, data: r.data });
    folded.add(t.name);
    return false;
  });
  m.graph.initializers = m.graph.initializers.map((t) => (folded.has(t.name) ? inits.get(t.name)! : t));
  return m;
}

/** float16 weights + Cast back to float32 in front of their users. */
export function toFp16(model: OnnxModel, opts: QuantizeOptions = {}): { model: OnnxModel; converted: string[] } {
  const min = opts.minElements ?? 16;
  const m = foldWeightTransposes(model);
  const fresh = freshNamer(m);
  const inputs = new Set(m.graph.inputs.map((v) => v.name));
  const casts: OnnxNode[] = [];
  const converted: string[] = [];
  m.graph.initializers = m.graph.initializers.map((t) => {
    if (!isFloatWeight(t, min, inputs)) return t;
    const src = t.data as Float32Array;
    const bits = new Uint16Array(src.length);
    for (let i = 0; i < src.length; i++) bits[i] = toHalfBits(src[i]);
    const stored = fresh(`${t.name}_fp16`);
    casts.push({ op: 'Cast', name: fresh(`${t.name}_cast`), inputs: [stored], outputs: [t.name], attrs: { to: 1 } });
    converted.push(t.name);
    return { name: stored, dtype: 'float16', dims: t.dims, data: bits };
  });
  m.graph.nodes = [...casts, ...m.graph.nodes];
  m.metadata.quantization = 'fp16 weights (Cast to float32)';
  return { model: m, converted };
}

/** Which axis of a weight holds its output channels, judged from the node that reads it; null: per tensor. */
function channelAxis(t: OnnxTensor, nodes: OnnxNode[]): number | null {
  const users = nodes.filter((n) => n.inputs.includes(t.name));
  if (users.length !== 1) return null;
  const [n] = users;
  const slot = n.inputs.indexOf(t.name);
  if ((n.op === 'Conv' || n.op === 'ConvTranspose') && slot === 1) return n.op === 'Conv' ? 0 : 1;
  if (n.op === 'MatMul' && slot === 1 && t.dims.length >= 2) return t.dims.length - 1;
  if (n.op === 'Gemm' && slot === 1 && t.dims.length === 2) return n.attrs.transB === 1 ? 0 : 1;
  return null;
}

/** int8 weight-only quantization: int8 + scale (+ zero point 0) → DequantizeLinear. */
export function toInt8(model: OnnxModel, opts: QuantizeOptions = {}): { model: OnnxModel; converted: string[] } {
  const min = opts.minElements ?? 16;
  const perChannel = opts.perChannel ?? true;
  const m = foldWeightTransposes(model);
  if ((m.opsets[''] ?? 0) < 13) m.opsets[''] = 13; // per-channel DequantizeLinear (axis) needs opset 13
  const fresh = freshNamer(m);
  const inputs = new Set(m.graph.inputs.map((v) => v.name));
  const dq: OnnxNode[] = [];
  const added: OnnxTensor[] = [];
  const converted: string[] = [];
  m.graph.initializers = m.graph.initializers.map((t) => {
    if (!isFloatWeight(t, min, inputs) || t.dims.length < 2) return t;
    const src = t.data as Float32Array;
    const axis = perChannel ? channelAxis(t, m.graph.nodes) : null;
    const channels = axis === null ? 1 : t.dims[axis];
    const inner = axis === null ? 1 : t.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
    const channelOf = (i: number) => (axis === null ? 0 : Math.floor(i / inner) % channels);
    const maxAbs = new Float32Array(channels);
    for (let i = 0; i < src.length; i++) {
      const c = channelOf(i);
      maxAbs[c] = Math.max(maxAbs[c], Math.abs(src[i]));
    }
    const scale = Float32Array.from(maxAbs, (v) => (v > 0 ? v / 127 : 1));
    const q = new Int8Array(src.length);
    for (let i = 0; i < src.length; i++) q[i] = Math.max(-127, Math.min(127, Math.round(src[i] / scale[channelOf(i)])));
    const qName = fresh(`${t.name}_quantized`);
    const sName = fresh(`${t.name}_scale`);
    const zName = fresh(`${t.name}_zero_point`);
    const dims = axis === null ? [] : [channels];
    added.push({ name: sName, dtype: 'float32', dims, data: scale }, { name: zName, dtype: 'int8', dims, data: new Int8Array(channels) });
    dq.push({ op: 'DequantizeLinear', name: fresh(`${t.name}_dequantize`), inputs: [qName, sName, zName], outputs: [t.name], attrs: axis === null ? {} : { axis } });
    converted.push(t.name);
    return { name: qName, dtype: 'int8', dims: t.dims, data: q };
  });
  m.graph.initializers.push(...added);
  m.graph.nodes = [...dq, ...m.graph.nodes];
  m.metadata.quantization = `int8 weights, symmetric, ${perChannel ? 'per channel where the layer has one' : 'per tensor'} (DequantizeLinear)`;
  return { model: m, converted };
}

/** The model of one variant, with its file size. */
export function makeVariant(model: OnnxModel, variant: Variant, opts: QuantizeOptions = {}): { model: OnnxModel; bytes: Uint8Array; info: VariantInfo } {
  const r = variant === 'fp32' ? { model, converted: [] } : variant === 'fp16' ? toFp16(model, opts) : toInt8(model, opts);
  const bytes = encodeModel(r.model);
  return { model: r.model, bytes, info: { variant, bytes: bytes.byteLength, converted: r.converted } };
}

/** Largest |a[i] − b[i]| (NaN anywhere gives NaN; different lengths throw). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cannot compare ${a.length} values with ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (Number.isNaN(d)) return NaN;
    if (d > m) m = d;
  }
  return m;
}

/** Index of the largest value of each row (a classifier's predicted class). */
export function argmaxRows(values: ArrayLike<number>, rows: number): Int32Array {
  const width = values.length / rows;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (values[r * width + c] > values[r * width + best]) best = c;
    out[r] = best;
  }
  return out;
}

/**
 * Predicted classes of two outputs: one column = a sigmoid (class 1 when > 0.5), several = argmax.
 * Returns the fraction of rows where they agree, and the accuracy against labels when given.
 */
export function classAgreement(ref: ArrayLike<number>, out: ArrayLike<number>, rows: number, labels?: ArrayLike<number>): { agreement: number; accuracy?: number; refAccuracy?: number } {
  const classes = (v: ArrayLike<number>) => (v.length === rows ? Int32Array.from({ length: rows }, (_, i) => (v[i] > 0.5 ? 1 : 0)) : argmaxRows(v, rows));
  const a = classes(ref);
  const b = classes(out);
  let same = 0;
  let right = 0;
  let refRight = 0;
  for (let i = 0; i < rows; i++) {
    if (a[i] === b[i]) same++;
    if (labels) {
      if (b[i] === labels[i]) right++;
      if (a[i] === labels[i]) refRight++;
    }
  }
  return { agreement: same / rows, ...(labels ? { accuracy: right / rows, refAccuracy: refRight / rows } : {}) };
}
