/**
 * THE gradient table of the train-step compiler: one entry per ONNX op, with
 *   - `infer`: the op's output shapes from its input shapes (static: a session is compiled per batch size), and
 *   - `grad`:  given the gradients of the outputs, the nodes (added with GraphBuilder) that compute the gradients of
 *              the inputs the caller needs; 'none' for ops whose outputs carry no gradient (comparisons, ArgMax, ...).
 * `backprop` walks a forward graph in reverse over this table (reverse-mode AD, gradients of a scalar).
 *
 * Broadcasting (Add/Sub/Mul/Div/Where): the gradient of an input that was broadcast is ReduceSum'ed over the
 * broadcast axes and reshaped to the input's shape (`unbroadcast`).
 * Softmax + cross-entropy is fused in loss.ts as logsumexp(z) − Σ y·z; its rule here is ReduceLogSumExp's
 * (gz = g · softmax(z)), which never differentiates through the probabilities.
 * Every rule is checked against TF.js `tf.grads` in grad-rules.test.ts.
 */
import { type AttrValue, type GraphBuilder, type OnnxNode, type OnnxTensor } from '$lib/onnx/graph';

/** An op (or an op's variant: Conv with group > 1, ...) that has no shape or gradient rule here. */
export class MissingRuleError extends Error {
  constructor(
    public op: string,
    message: string
  ) {
    super(message);
  }
}

export type Shapes = Map<string, number[]>;

export interface RuleContext {
  g: GraphBuilder;
  node: OnnxNode;
  /** Static shape of a forward value (with the batch axis). */
  shape(v: string): number[];
  /** The value of a constant input (an initializer or Constant node), or null. */
  constant(v: string): number[] | null;
}

export interface OpRule {
  infer(ctx: RuleContext, inShapes: number[][]): number[][];
  /**
   * Gradients for the node's inputs (null where not needed or zero). `gys[i]` is the gradient of output i (null: zero).
   * `need[i]` says whether input i needs one.
   */
  grad: 'none' | ((ctx: RuleContext, gys: (string | null)[], need: boolean[]) => (string | null)[]);
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const attrInt = (n: OnnxNode, k: string, d: number): number => (typeof n.attrs[k] === 'number' ? (n.attrs[k] as number) : d);
const attrFloat = (n: OnnxNode, k: string, d: number): number => {
  const v = n.attrs[k];
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object' && 'float' in v) return v.float;
  return d;
};
const attrInts = (n: OnnxNode, k: string): number[] | null => (Array.isArray(n.attrs[k]) ? (n.attrs[k] as number[]) : null);
const attrStr = (n: OnnxNode, k: string, d: string): string => (typeof n.attrs[k] === 'string' ? (n.attrs[k] as string) : d);
const normAxis = (a: number, rank: number) => (a < 0 ? a + rank : a);

export function broadcastShapes(...shapes: number[][]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    let d = 1;
    for (const s of shapes) {
      const v = s[s.length - rank + i] ?? 1;
      if (v !== 1) {
        if (d !== 1 && d !== v) throw new Error(`shapes [${shapes.map((x) => x.join(',')).join('] [')}] do not broadcast`);
        d = v;
      }
    }
    out.push(d);
  }
  return out;
}

/** Sum `gy` (shape yShape) down to xShape (the shape of an input that was broadcast to yShape). */
export function unbroadcast(g: GraphBuilder, gy: string, yShape: number[], xShape: number[]): string {
  if (yShape.length === xShape.length && yShape.every((d, i) => d === xShape[i])) return gy;
  const lead = yShape.length - xShape.length;
  const axes: number[] = [];
  for (let i = 0; i < yShape.length; i++) {
    if (i < lead || (xShape[i - lead] === 1 && yShape[i] !== 1)) axes.push(i);
  }
  // Without the summed axes the shape is already xShape (a bias: [batch, units] → [units]): no Reshape.
  const dropped = yShape.filter((_, i) => !axes.includes(i));
  if (axes.length && dropped.length === xShape.length && dropped.every((d, i) => d === xShape[i])) return g.node('ReduceSum', [gy, g.constInt64(axes)], { keepdims: 0 });
  let r = gy;
  if (axes.length) r = g.node('ReduceSum', [gy, g.constInt64(axes)], { keepdims: 1 });
  return g.node('Reshape', [r, g.constInt64(xShape)]);
}

const mul = (g: GraphBuilder, a: string, b: string) => g.node('Mul', [a, b]);
const scalar = (g: GraphBuilder, v: number) => g.constFloat(v);

function reduceAxes(ctx: RuleContext, rank: number): { axes: number[]; keep: boolean } {
  const n = ctx.node;
  let axes = attrInts(n, 'axes');
  if (!axes && n.inputs[1]) {
    const c = ctx.constant(n.inputs[1]);
    if (!c) throw new MissingRuleError(n.op, `${n.op} with axes computed at run time is not supported`);
    axes = c;
  }
  const keep = attrInt(n, 'keepdims', 1) === 1;
  if (!axes || axes.length === 0) {
    if (attrInt(n, 'noop_with_empty_axes', 0) === 1) return { axes: [], keep };
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  return { axes: axes.map((a) => normAxis(a, rank)).sort((a, b) => a - b), keep };
}

function reducedShape(x: number[], axes: number[], keep: boolean): number[] {
  const out: number[] = [];
  x.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

/** Spatial geometry of Conv / pooling over NCHW input x: kernel, strides, dilations, explicit pads, output size. */
export function windowGeometry(node: OnnxNode, x: number[], kernel: number[]) {
  const sp = x.length - 2;
  const strides = attrInts(node, 'strides') ?? Array(sp).fill(1);
  const dil = attrInts(node, 'dilations') ?? Array(sp).fill(1);
  if (attrInt(node, 'ceil_mode', 0) !== 0) throw new MissingRuleError(node.op, `${node.op} with ceil_mode=1 has no gradient rule`);
  const autoPad = attrStr(node, 'auto_pad', 'NOTSET');
  let pads = attrInts(node, 'pads') ?? Array(2 * sp).fill(0);
  const out: number[] = [];
  if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    pads = Array(2 * sp).fill(0);
    for (let i = 0; i < sp; i++) {
      const o = Math.ceil(x[2 + i] / strides[i]);
      const eff = (kernel[i] - 1) * dil[i] + 1;
      const total = Math.max(0, (o - 1) * strides[i] + eff - x[2 + i]);
      const small = Math.floor(total / 2);
      pads[i] = autoPad === 'SAME_UPPER' ? small : total - small;
      pads[i + sp] = total - pads[i];
    }
  } else if (autoPad === 'VALID') {
    pads = Array(2 * sp).fill(0);
  }
  for (let i = 0; i < sp; i++) {
    const eff = (kernel[i] - 1) * dil[i] + 1;
    out.push(Math.floor((x[2 + i] + pads[i] + pads[i + sp] - eff) / strides[i]) + 1);
  }
  return { strides, dil, pads, out };
}

/** ConvTranspose attributes that map gy (N, M, out...) back to exactly the input's spatial size. */
function transposeAttrs(geo: ReturnType<typeof windowGeometry>, kernel: number[], inSpatial: number[]): Record<string, AttrValue> {
  const outputPadding = inSpatial.map((h, i) => {
    const eff = (kernel[i] - 1) * geo.dil[i] + 1;
    return h - ((geo.out[i] - 1) * geo.strides[i] + eff - geo.pads[i] - geo.pads[i + inSpatial.length]);
  });
  const attrs: Record<string, AttrValue> = { strides: geo.strides, pads: geo.pads, dilations: geo.dil, kernel_shape: kernel };
  if (outputPadding.some((p) => p !== 0)) attrs.output_padding = outputPadding;
  return attrs;
}

const same: OpRule['infer'] = (_c, s) => [s[0]];
const bcast: OpRule['infer'] = (_c, s) => [broadcastShapes(...s)];

/** A unary elementwise op whose gradient is gy · f'(x, y). */
function unary(deriv: (g: GraphBuilder, x: string, y: string) => string): OpRule {
  return {
    infer: same,
    grad: (ctx, [gy], need) => [need[0] && gy ? mul(ctx.g, gy, deriv(ctx.g, ctx.node.inputs[0], ctx.node.outputs[0])) : null]
  };
}

function matmulShape(a: number[], b: number[]): number[] {
  if (a.length < 2 || b.length < 2) throw new MissingRuleError('MatMul', 'MatMul of a 1-D operand has no gradient rule');
  if (a[a.length - 1] !== b[b.length - 2]) throw new Error(`MatMul of [${a}] by [${b}]`);
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2));
  return [...batch, a[a.length - 2], b[b.length - 1]];
}

/** Swap the last two axes. */
function swapLast(g: GraphBuilder, v: string, rank: number): string {
  const perm = Array.from({ length: rank }, (_, i) => i);
  [perm[rank - 2], perm[rank - 1]] = [perm[rank - 1], perm[rank - 2]];
  return g.node('Transpose', [v], { perm });
}

const ZERO = (g: GraphBuilder) => g.constFloat(0);

// ---------------------------------------------------------------------------------------------------------------
// THE table

export const RULES: Record<string, OpRule> = {
  Identity: { infer: same, grad: (_c, [gy]) => [gy] },
  Neg: { infer: same, grad: (c, [gy], need) => [need[0] && gy ? c.g.node('Neg', [gy]) : null] },

  Add: {
    infer: bcast,
    grad: (c, [gy], need) => {
      const y = c.shape(c.node.outputs[0]);
      return c.node.inputs.map((x, i) => (need[i] && gy ? unbroadcast(c.g, gy, y, c.shape(x)) : null));
    }
  },
  Sub: {
    infer: bcast,
    grad: (c, [gy], need) => {
      const y = c.shape(c.node.outputs[0]);
      const [a, b] = c.node.inputs;
      return [need[0] && gy ? unbroadcast(c.g, gy, y, c.shape(a)) : null, need[1] && gy ? unbroadcast(c.g, c.g.node('Neg', [gy]), y, c.shape(b)) : null];
    }
  },
  Mul: {
    infer: bcast,
    grad: (c, [gy], need) => {
      const y = c.shape(c.node.outputs[0]);
      const [a, b] = c.node.inputs;
      if (!gy) return [null, null];
      return [need[0] ? unbroadcast(c.g, mul(c.g, gy, b), y, c.shape(a)) : null, need[1] ? unbroadcast(c.g, mul(c.g, gy, a), y, c.shape(b)) : null];
    }
  },
  Div: {
    infer: bcast,
    grad: (c, [gy], need) => {
      const y = c.shape(c.node.outputs[0]);
      const [a, b] = c.node.inputs;
      if (!gy) return [null, null];
      const ga = need[0] ? unbroadcast(c.g, c.g.node('Div', [gy, b]), y, c.shape(a)) : null;
      // d(a/b)/db = -(a/b)/b
      const gb = need[1] ? unbroadcast(c.g, c.g.node('Neg', [c.g.node('Div', [mul(c.g, gy, c.node.outputs[0]), b])]), y, c.shape(b)) : null;
      return [ga, gb];
    }
  },

  Relu: { infer: same, grad: (c, [gy], need) => [need[0] && gy ? c.g.node('Where', [c.g.node('Greater', [c.node.inputs[0], ZERO(c.g)]), gy, ZERO(c.g)]) : null] },
  LeakyRelu: {
    infer: same,
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null];
      const alpha = attrFloat(c.node, 'alpha', 0.01);
      return [c.g.node('Where', [c.g.node('Greater', [c.node.inputs[0], ZERO(c.g)]), gy, mul(c.g, gy, scalar(c.g, alpha))])];
    }
  },
  Elu: {
    infer: same,
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null];
      const alpha = attrFloat(c.node, 'alpha', 1);
      // x > 0: 1; else alpha·exp(x) = y + alpha
      const neg = mul(c.g, gy, c.g.node('Add', [c.node.outputs[0], scalar(c.g, alpha)]));
      return [c.g.node('Where', [c.g.node('Greater', [c.node.inputs[0], ZERO(c.g)]), gy, neg])];
    }
  },
  Sigmoid: unary((g, _x, y) => mul(g, y, g.node('Sub', [scalar(g, 1), y]))),
  Tanh: unary((g, _x, y) => g.node('Sub', [scalar(g, 1), mul(g, y, y)])),
  Exp: unary((_g, _x, y) => y),
  Log: unary((g, x) => g.node('Reciprocal', [x])),
  Sqrt: unary((g, _x, y) => g.node('Div', [scalar(g, 0.5), y])),
  Reciprocal: unary((g, _x, y) => g.node('Neg', [mul(g, y, y)])),
  Abs: unary((g, x) => g.node('Sign', [x])),
  Erf: unary((g, x) => mul(g, scalar(g, 2 / Math.sqrt(Math.PI)), g.node('Exp', [g.node('Neg', [mul(g, x, x)])]))),
  Sign: { infer: same, grad: 'none' },

  Softmax: {
    infer: same,
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null];
      const y = c.node.outputs[0];
      const rank = c.shape(y).length;
      const axis = normAxis(attrInt(c.node, 'axis', -1), rank);
      const s = c.g.node('ReduceSum', [mul(c.g, gy, y), c.g.constInt64([axis])], { keepdims: 1 });
      return [mul(c.g, y, c.g.node('Sub', [gy, s]))];
    }
  },

  /** The softmax-cross-entropy half: d logsumexp(z) / dz = softmax(z). */
  ReduceLogSumExp: {
    infer: (c, [x]) => {
      const { axes, keep } = reduceAxes(c, x.length);
      return [reducedShape(x, axes, keep)];
    },
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null];
      const x = c.node.inputs[0];
      const xs = c.shape(x);
      const { axes } = reduceAxes(c, xs.length);
      const keptShape = reducedShape(xs, axes, true);
      const lse = c.g.node('Reshape', [c.node.outputs[0], c.g.constInt64(keptShape)]);
      const g = c.g.node('Reshape', [gy, c.g.constInt64(keptShape)]);
      return [mul(c.g, g, c.g.node('Exp', [c.g.node('Sub', [x, lse])]))];
    }
  },
  ReduceSum: {
    infer: (c, [x]) => {
      const { axes, keep } = reduceAxes(c, x.length);
      return [reducedShape(x, axes, keep)];
    },
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null, null];
      const xs = c.shape(c.node.inputs[0]);
      const { axes } = reduceAxes(c, xs.length);
      const r = c.g.node('Reshape', [gy, c.g.constInt64(reducedShape(xs, axes, true))]);
      return [c.g.node('Expand', [r, c.g.constInt64(xs)]), null];
    }
  },
  ReduceMean: {
    infer: (c, [x]) => {
      const { axes, keep } = reduceAxes(c, x.length);
      return [reducedShape(x, axes, keep)];
    },
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null, null];
      const xs = c.shape(c.node.inputs[0]);
      const { axes } = reduceAxes(c, xs.length);
      const count = axes.reduce((a, i) => a * xs[i], 1);
      const r = c.g.node('Reshape', [mul(c.g, gy, scalar(c.g, 1 / count)), c.g.constInt64(reducedShape(xs, axes, true))]);
      return [c.g.node('Expand', [r, c.g.constInt64(xs)]), null];
    }
  },

  MatMul: {
    infer: (_c, [a, b]) => [matmulShape(a, b)],
    grad: (c, [gy], need) => {
      if (!gy) return [null, null];
      const [a, b] = c.node.inputs;
      const as = c.shape(a);
      const bs = c.shape(b);
      const ys = c.shape(c.node.outputs[0]);
      // 2-D operands: Gemm with transA / transB instead of Transpose + MatMul (one node less each: on WebGPU every
      // node is a dispatch).
      const flat2 = as.length === 2 && bs.length === 2;
      const ga = !need[0]
        ? null
        : flat2
          ? c.g.node('Gemm', [gy, b], { transB: 1 })
          : unbroadcast(c.g, c.g.node('MatMul', [gy, swapLast(c.g, b, bs.length)]), [...ys.slice(0, -2), as[as.length - 2], as[as.length - 1]], as);
      let gb: string | null = null;
      if (need[1]) {
        if (flat2) {
          gb = c.g.node('Gemm', [a, gy], { transA: 1 });
        } else if (bs.length === 2 && as.length > 2) {
          // (…, m, k) × (k, n): fold the leading axes into rows.
          const k = as[as.length - 1];
          const a2 = c.g.node('Reshape', [a, c.g.constInt64([-1, k])]);
          const g2 = c.g.node('Reshape', [gy, c.g.constInt64([-1, bs[1]])]);
          gb = c.g.node('Gemm', [a2, g2], { transA: 1 });
        } else {
          gb = unbroadcast(c.g, c.g.node('MatMul', [swapLast(c.g, a, as.length), gy]), [...ys.slice(0, -2), bs[bs.length - 2], bs[bs.length - 1]], bs);
        }
      }
      return [ga, gb];
    }
  },
  Gemm: {
    infer: (c, [a, b]) => {
      const ta = attrInt(c.node, 'transA', 0);
      const tb = attrInt(c.node, 'transB', 0);
      return [[ta ? a[1] : a[0], tb ? b[0] : b[1]]];
    },
    grad: (c, [gy], need) => {
      if (!gy) return [null, null, null];
      const [a, b, cc] = c.node.inputs;
      const ta = attrInt(c.node, 'transA', 0);
      const tb = attrInt(c.node, 'transB', 0);
      const alpha = attrFloat(c.node, 'alpha', 1);
      const beta = attrFloat(c.node, 'beta', 1);
      const g = alpha === 1 ? gy : mul(c.g, gy, scalar(c.g, alpha));
      const T = (v: string) => c.g.node('Transpose', [v], { perm: [1, 0] });
      const A = ta ? T(a) : a;
      const B = tb ? T(b) : b;
      let ga: string | null = null;
      let gb: string | null = null;
      if (need[0]) {
        const gA = c.g.node('MatMul', [g, T(B)]);
        ga = ta ? T(gA) : gA;
      }
      if (need[1]) {
        const gB = c.g.node('MatMul', [T(A), g]);
        gb = tb ? T(gB) : gB;
      }
      const gc = cc && need[2] ? unbroadcast(c.g, beta === 1 ? gy : mul(c.g, gy, scalar(c.g, beta)), c.shape(c.node.outputs[0]), c.shape(cc)) : null;
      return [ga, gb, gc];
    }
  },

  Transpose: {
    infer: (c, [x]) => {
      const perm = attrInts(c.node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
      return [perm.map((p) => x[p])];
    },
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null];
      const x = c.shape(c.node.inputs[0]);
      const perm = attrInts(c.node, 'perm') ?? x.map((_, i) => x.length - 1 - i);
      const inv = Array(perm.length);
      perm.forEach((p, i) => (inv[p] = i));
      return [c.g.node('Transpose', [gy], { perm: inv })];
    }
  },
  Reshape: {
    infer: (c, [x]) => {
      const target = c.constant(c.node.inputs[1]);
      if (!target) throw new MissingRuleError('Reshape', 'Reshape to a shape computed at run time is not supported');
      const out = target.map((d, i) => (d === 0 && attrInt(c.node, 'allowzero', 0) === 0 ? x[i] : d));
      const known = out.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
      return [out.map((d) => (d === -1 ? size(x) / known : d))];
    },
    grad: (c, [gy], need) => [need[0] && gy ? c.g.node('Reshape', [gy, c.g.constInt64(c.shape(c.node.inputs[0]))]) : null, null]
  },
  Flatten: {
    infer: (c, [x]) => {
      const axis = normAxis(attrInt(c.node, 'axis', 1), x.length);
      return [[size(x.slice(0, axis)), size(x.slice(axis))]];
    },
    grad: (c, [gy], need) => [need[0] && gy ? c.g.node('Reshape', [gy, c.g.constInt64(c.shape(c.node.inputs[0]))]) : null]
  },
  Squeeze: {
    infer: (c, [x]) => {
      const axes = (attrInts(c.node, 'axes') ?? (c.node.inputs[1] ? c.constant(c.node.inputs[1]) : null) ?? x.map((d, i) => (d === 1 ? i : -99)).filter((i) => i >= 0)).map((a) => normAxis(a, x.length));
      return [x.filter((_, i) => !axes.includes(i))];
    },
    grad: (c, [gy], need) => [need[0] && gy ? c.g.node('Reshape', [gy, c.g.constInt64(c.shape(c.node.inputs[0]))]) : null, null]
  },
  Unsqueeze: {
    infer: (c, [x]) => {
      const ax = attrInts(c.node, 'axes') ?? (c.node.inputs[1] ? c.constant(c.node.inputs[1]) : null);
      if (!ax) throw new MissingRuleError('Unsqueeze', 'Unsqueeze without constant axes');
      const rank = x.length + ax.length;
      const axes = ax.map((a) => normAxis(a, rank));
      const out: number[] = [];
      let j = 0;
      for (let i = 0; i < rank; i++) out.push(axes.includes(i) ? 1 : x[j++]);
      return [out];
    },
    grad: (c, [gy], need) => [need[0] && gy ? c.g.node('Reshape', [gy, c.g.constInt64(c.shape(c.node.inputs[0]))]) : null, null]
  },
  // Expand to a constant shape, or to the Shape of a value (PositionEmbedding broadcasts its embeddings to its input's
  // shape, batch axis included): the static shape of that value.
  Expand: {
    infer: (c, [x]) => {
      const s = c.constant(c.node.inputs[1]) ?? shapeOfValue(c, c.node.inputs[1]);
      if (!s) throw new MissingRuleError('Expand', 'Expand to a shape computed at run time');
      return [broadcastShapes(x, s)];
    },
    grad: (c, [gy], need) => [need[0] && gy ? unbroadcast(c.g, gy, c.shape(c.node.outputs[0]), c.shape(c.node.inputs[0])) : null, null]
  },
  Concat: {
    infer: (c, s) => {
      const axis = normAxis(attrInt(c.node, 'axis', 0), s[0].length);
      const out = [...s[0]];
      out[axis] = s.reduce((a, x) => a + x[axis], 0);
      return [out];
    },
    grad: (c, [gy], need) => {
      if (!gy) return c.node.inputs.map(() => null);
      const shapes = c.node.inputs.map((x) => c.shape(x));
      const axis = normAxis(attrInt(c.node, 'axis', 0), shapes[0].length);
      const parts = c.g.nodeMulti('Split', [gy, c.g.constInt64(shapes.map((s) => s[axis]))], { axis }, { outputs: shapes.length });
      return parts.map((p, i) => (need[i] ? p : null));
    }
  },

  Conv: {
    infer: (c, [x, w]) => {
      const geo = windowGeometry(c.node, x, w.slice(2));
      return [[x[0], w[0], ...geo.out]];
    },
    grad: (c, [gy], need) => {
      if (!gy) return [null, null, null];
      const [x, w, b] = c.node.inputs;
      const xs = c.shape(x);
      const ws = c.shape(w);
      if (attrInt(c.node, 'group', 1) !== 1) throw new MissingRuleError('Conv', 'Conv with group > 1 has no gradient rule yet');
      if (xs.length !== 4) throw new MissingRuleError('Conv', `Conv over ${xs.length - 2} spatial axes has no gradient rule yet (2 only)`);
      const kernel = ws.slice(2);
      const geo = windowGeometry(c.node, xs, kernel);
      const gx = need[0] ? c.g.node('ConvTranspose', [gy, w], transposeAttrs(geo, kernel, xs.slice(2))) : null;
      let gw: string | null = null;
      if (need[1]) {
        // gW[m,c,i,j] = Σ_n,p,q gy[n,m,p,q] · xpad[n,c,p·s+i·d, q·s+j·d]: a convolution of x (channels as batch)
        // by gy (batch as input channels) with strides and dilations swapped.
        const xt = c.g.node('Transpose', [x], { perm: [1, 0, 2, 3] });
        const gt = c.g.node('Transpose', [gy], { perm: [1, 0, 2, 3] });
        const full = c.g.node('Conv', [xt, gt], { strides: geo.dil, dilations: geo.strides, pads: geo.pads, kernel_shape: geo.out });
        // The result can be larger than the kernel when the last window did not fit exactly: keep the kernel's extent.
        const full2 = needsCrop(xs, geo, kernel) ? c.g.node('Slice', [full, c.g.constInt64([0, 0]), c.g.constInt64(kernel), c.g.constInt64([2, 3])]) : full;
        gw = c.g.node('Transpose', [full2], { perm: [1, 0, 2, 3] });
      }
      const gb = b && need[2] ? c.g.node('ReduceSum', [gy, c.g.constInt64([0, 2, 3])], { keepdims: 0 }) : null;
      return [gx, gw, gb];
    }
  },

  MaxPool: {
    infer: (c, [x]) => {
      const k = attrInts(c.node, 'kernel_shape')!;
      const geo = windowGeometry(c.node, x, k);
      return c.node.outputs.map(() => [x[0], x[1], ...geo.out]);
    },
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null];
      if (attrInt(c.node, 'storage_order', 0) !== 0) throw new MissingRuleError('MaxPool', 'MaxPool with storage_order=1');
      if (attrInts(c.node, 'dilations')?.some((d) => d !== 1)) throw new MissingRuleError('MaxPool', 'MaxPool with dilations has no gradient rule');
      // For each window offset (i, j) in row-major order: the output cells whose maximum sits there (the first
      // such offset only, as TF.js picks the first maximum), then col2im — a grouped ConvTranspose with one-hot
      // kernels puts each offset's share back at its input cell. Ops the WebGPU EP has (no MaxPool Indices output).
      const g = c.g;
      const x = c.node.inputs[0];
      const xs = c.shape(x);
      if (xs.length !== 4) throw new MissingRuleError('MaxPool', 'MaxPool over other than 2 spatial axes');
      const k = attrInts(c.node, 'kernel_shape')!;
      const geo = windowGeometry(c.node, xs, k);
      const [pt, pl, pb, pr] = geo.pads;
      const xp = pt || pl || pb || pr ? g.node('Pad', [x, g.constInt64([0, 0, pt, pl, 0, 0, pb, pr]), g.constFloat(-Infinity)]) : x;
      const y = c.node.outputs[0];
      const [oh, ow] = geo.out;
      const [sh, sw] = geo.strides;
      const kk = k[0] * k[1];
      let notYet: string | null = null;
      const parts: string[] = [];
      for (let i = 0; i < k[0]; i++) {
        for (let j = 0; j < k[1]; j++) {
          const sl = g.node('Slice', [xp, g.constInt64([i, j]), g.constInt64([i + (oh - 1) * sh + 1, j + (ow - 1) * sw + 1]), g.constInt64([2, 3]), g.constInt64([sh, sw])]);
          const eq = g.node('Cast', [g.node('Equal', [sl, y])], { to: 1 });
          const m: string = notYet ? mul(g, eq, notYet) : eq;
          if (i * k[1] + j < kk - 1) notYet = notYet ? g.node('Sub', [notYet, m]) : g.node('Sub', [scalar(g, 1), eq]);
          parts.push(g.node('Unsqueeze', [mul(g, gy, m), g.constInt64([2])]));
        }
      }
      const stacked = g.node('Reshape', [parts.length > 1 ? g.node('Concat', parts, { axis: 2 }) : parts[0], g.constInt64([xs[0], xs[1] * kk, oh, ow])]);
      const w = new Float32Array(xs[1] * kk * kk);
      for (let ch = 0; ch < xs[1]; ch++) for (let t = 0; t < kk; t++) w[(ch * kk + t) * kk + t] = 1;
      const onehot = g.constFloat(w, [xs[1] * kk, 1, k[0], k[1]]);
      return [g.node('ConvTranspose', [stacked, onehot], { ...transposeAttrs(geo, k, xs.slice(2)), group: xs[1] })];
    }
  },
  AveragePool: {
    infer: (c, [x]) => {
      const k = attrInts(c.node, 'kernel_shape')!;
      const geo = windowGeometry(c.node, x, k);
      return [[x[0], x[1], ...geo.out]];
    },
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null];
      const xs = c.shape(c.node.inputs[0]);
      if (xs.length !== 4) throw new MissingRuleError('AveragePool', 'AveragePool over other than 2 spatial axes');
      const k = attrInts(c.node, 'kernel_shape')!;
      const geo = windowGeometry(c.node, xs, k);
      const includePad = attrInt(c.node, 'count_include_pad', 0) === 1;
      // Each output cell's divisor (the number of window cells inside the input unless count_include_pad).
      const [oh, ow] = geo.out;
      const counts = new Float32Array(oh * ow);
      for (let p = 0; p < oh; p++) {
        for (let q = 0; q < ow; q++) {
          if (includePad) counts[p * ow + q] = 1 / (k[0] * k[1]);
          else {
            const h0 = p * geo.strides[0] - geo.pads[0];
            const w0 = q * geo.strides[1] - geo.pads[1];
            const hn = Math.min(h0 + k[0], xs[2]) - Math.max(h0, 0);
            const wn = Math.min(w0 + k[1], xs[3]) - Math.max(w0, 0);
            counts[p * ow + q] = 1 / (hn * wn);
          }
        }
      }
      const scaled = mul(c.g, gy, c.g.constFloat(counts, [1, 1, oh, ow]));
      const ones = c.g.constFloat(new Float32Array(xs[1] * k[0] * k[1]).fill(1), [xs[1], 1, k[0], k[1]]);
      return [c.g.node('ConvTranspose', [scaled, ones], { ...transposeAttrs(geo, k, xs.slice(2)), group: xs[1] })];
    }
  },
  GlobalAveragePool: {
    infer: (_c, [x]) => [[x[0], x[1], ...x.slice(2).map(() => 1)]],
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null];
      const xs = c.shape(c.node.inputs[0]);
      return [c.g.node('Expand', [mul(c.g, gy, scalar(c.g, 1 / size(xs.slice(2)))), c.g.constInt64(xs)])];
    }
  },

  Where: {
    infer: bcast,
    grad: (c, [gy], need) => {
      if (!gy) return [null, null, null];
      const [cond, a, b] = c.node.inputs;
      const y = c.shape(c.node.outputs[0]);
      const z = ZERO(c.g);
      return [
        null,
        need[1] ? unbroadcast(c.g, c.g.node('Where', [cond, gy, z]), y, c.shape(a)) : null,
        need[2] ? unbroadcast(c.g, c.g.node('Where', [cond, z, gy]), y, c.shape(b)) : null
      ];
    }
  },
  Clip: {
    infer: (_c, [x]) => [x],
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null, null, null];
      const [x, lo, hi] = c.node.inputs;
      let keep = c.g.node('Cast', [c.g.node('Not', [lo ? c.g.node('Less', [x, lo]) : c.g.node('Less', [x, c.g.constFloat(-Infinity)])])], { to: 1 });
      if (hi) keep = mul(c.g, keep, c.g.node('Cast', [c.g.node('Not', [c.g.node('Greater', [x, hi])])], { to: 1 }));
      return [mul(c.g, gy, keep), null, null];
    }
  },

  /**
   * Picks step k's batch from a stack (constant index), and an Embedding's rows (ids cast to int32). The gradient of
   * the data along axis 0 is a scatter-add of gy's rows at the indices: onehot(indices)ᵀ · gy, with the one-hot
   * (V, M) = Equal(range(V) as a column, the M indices cast to float as a row): MatMul and Equal run on every ORT
   * backend (no ScatterND). Indices get no gradient.
   */
  Gather: {
    infer: (c, [x, i]) => {
      const axis = normAxis(attrInt(c.node, 'axis', 0), x.length);
      return [[...x.slice(0, axis), ...i, ...x.slice(axis + 1)]];
    },
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null, null];
      const [x, idx] = c.node.inputs;
      const xs = c.shape(x);
      if (normAxis(attrInt(c.node, 'axis', 0), xs.length) !== 0) throw new MissingRuleError('Gather', 'Gather along an axis other than 0 of a trained value has no gradient rule');
      const g = c.g;
      const m = size(c.shape(idx));
      const rest = size(xs.slice(1));
      const rows = g.node('Reshape', [g.node('Cast', [idx], { to: 1 }), g.constInt64([1, m])]);
      const range = g.constFloat(Float32Array.from({ length: xs[0] }, (_, k) => k), [xs[0], 1]);
      const onehot = g.node('Cast', [g.node('Equal', [range, rows])], { to: 1 });
      const gx = g.node('MatMul', [onehot, g.node('Reshape', [gy, g.constInt64([m, rest])])]);
      return [g.node('Reshape', [gx, g.constInt64(xs)]), null];
    }
  },

  /**
   * LayerNormalization (opset 17) over the axes from `axis` to the last: y = x̂ · Scale + B, x̂ = (x − mean) · invstd,
   * invstd = 1 / √(var + ε) (biased variance). The layer emits it in the train step with its Mean and InvStdDev
   * outputs, which the gradient reuses (recomputed when the node has only Y). With g = gy · Scale and means over the
   * normalised axes: gx = invstd · (g − mean(g) − x̂ · mean(g · x̂)); gScale = Σ gy · x̂ and gB = Σ gy over the other axes.
   */
  LayerNormalization: {
    infer: (c, [x]) => {
      const axis = normAxis(attrInt(c.node, 'axis', -1), x.length);
      const stat = x.map((d, i) => (i < axis ? d : 1));
      return [x, stat, stat];
    },
    grad: (c, [gy], need) => {
      if (!gy) return c.node.inputs.map(() => null);
      const g = c.g;
      const [x, scale, bias] = c.node.inputs;
      const xs = c.shape(x);
      const axis = normAxis(attrInt(c.node, 'axis', -1), xs.length);
      const axes = xs.map((_, i) => i).filter((i) => i >= axis);
      const mean_ = (v: string) => g.node('ReduceMean', [v], { axes, keepdims: 1 });
      let [, mean, invstd] = c.node.outputs;
      if (!mean || !invstd) {
        mean = mean_(x);
        const d = g.node('Sub', [x, mean]);
        const std = g.node('Sqrt', [g.node('Add', [mean_(mul(g, d, d)), scalar(g, attrFloat(c.node, 'epsilon', 1e-5))])]);
        invstd = g.node('Reciprocal', [std]);
      }
      const xhat = mul(g, g.node('Sub', [x, mean]), invstd);
      const out: (string | null)[] = c.node.inputs.map(() => null);
      if (need[0]) {
        const gs = mul(g, gy, scale);
        const inner = g.node('Sub', [g.node('Sub', [gs, mean_(gs)]), mul(g, xhat, mean_(mul(g, gs, xhat)))]);
        out[0] = mul(g, inner, invstd);
      }
      if (need[1]) out[1] = unbroadcast(g, mul(g, gy, xhat), xs, c.shape(scale));
      if (bias && need[2]) out[2] = unbroadcast(g, gy, xs, c.shape(bias));
      return out;
    }
  },

  // No gradient: comparisons, casts, index ops (metrics), a value's shape.
  Shape: { infer: (_c, [x]) => [[x.length]], grad: 'none' },
  Equal: { infer: bcast, grad: 'none' },
  Greater: { infer: bcast, grad: 'none' },
  Less: { infer: bcast, grad: 'none' },
  Not: { infer: same, grad: 'none' },
  Cast: { infer: same, grad: 'none' },
  // Used by the accuracy metric (a float32 compare with the largest prediction) and by GlobalMaxPooling1D. The
  // gradient goes to every position equal to the maximum, in full (ties included), as TF.js' Max gradient does:
  // gx = gy · (x == max).
  ReduceMax: {
    infer: (c, [x]) => {
      const { axes, keep } = reduceAxes(c, x.length);
      return [reducedShape(x, axes, keep)];
    },
    grad: (c, [gy], need) => {
      if (!need[0] || !gy) return [null, null];
      const x = c.node.inputs[0];
      const xs = c.shape(x);
      const { axes } = reduceAxes(c, xs.length);
      const kept = c.g.constInt64(reducedShape(xs, axes, true));
      const y = c.g.node('Reshape', [c.node.outputs[0], kept]);
      const at = c.g.node('Cast', [c.g.node('Equal', [x, y])], { to: 1 });
      return [mul(c.g, c.g.node('Reshape', [gy, kept]), at), null];
    }
  },
  ArgMax: {
    infer: (c, [x]) => {
      const axis = normAxis(attrInt(c.node, 'axis', 0), x.length);
      return [reducedShape(x, [axis], attrInt(c.node, 'keepdims', 1) === 1)];
    },
    grad: 'none'
  },
  ConstantOfShape: {
    infer: (c) => {
      const s = c.constant(c.node.inputs[0]);
      if (!s) throw new MissingRuleError('ConstantOfShape', 'ConstantOfShape with a run-time shape');
      return [s];
    },
    grad: 'none'
  },

  // The recurrent layers' unrolled lowering (SimpleRNN / LSTM / GRU / Bidirectional, `$lib/layers/rnn.ts`): Split
  // takes the time steps and the gates apart. Its gradient concatenates the outputs' gradients back along the axis,
  // with zeros for the outputs that carry none.
  Split: {
    infer: (c, [x]) => splitSizes(c, x).map((n) => {
      const s = [...x];
      s[splitAxis(c, x)] = n;
      return s;
    }),
    grad: (c, gys, need) => {
      if (!need[0] || gys.every((gy) => !gy)) return c.node.inputs.map(() => null);
      const x = c.shape(c.node.inputs[0]);
      const axis = splitAxis(c, x);
      const parts = splitSizes(c, x).map((n, i) => {
        if (gys[i]) return gys[i]!;
        const s = [...x];
        s[axis] = n;
        return c.g.constFloat(new Float32Array(size(s)), s);
      });
      return [parts.length === 1 ? parts[0] : c.g.node('Concat', parts, { axis }), ...c.node.inputs.slice(1).map(() => null)];
    }
  }
};

/** The static shape of `v` when it is the output of a Shape node (full shape: no start / end), else null. */
function shapeOfValue(c: RuleContext, v: string): number[] | null {
  const n = c.g.graph.nodes.find((k) => k.op === 'Shape' && k.outputs[0] === v);
  if (!n || n.attrs.start !== undefined || n.attrs.end !== undefined) return null;
  return c.shape(n.inputs[0]);
}

const splitAxis = (c: RuleContext, x: number[]) => normAxis(attrInt(c.node, 'axis', 0), x.length);

/** Sizes of a Split's outputs: its constant `split` input (opset 13+) or attribute, else equal parts. */
function splitSizes(c: RuleContext, x: number[]): number[] {
  const given = attrInts(c.node, 'split') ?? (c.node.inputs[1] ? c.constant(c.node.inputs[1]) : null);
  if (given) return given;
  if (c.node.inputs[1]) throw new MissingRuleError('Split', 'Split with sizes computed at run time');
  const n = c.node.outputs.length;
  return Array(n).fill(x[splitAxis(c, x)] / n);
}

function needsCrop(xs: number[], geo: ReturnType<typeof windowGeometry>, kernel: number[]): boolean {
  return [0, 1].some((i) => {
    const span = (geo.out[i] - 1) * geo.strides[i] + 1;
    return Math.floor((xs[2 + i] + geo.pads[i] + geo.pads[i + 2] - span) / geo.dil[i]) + 1 !== kernel[i];
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The engine

/** Constant values of initializers and Constant nodes, by name (for Reshape targets, axes...). */
export function constantLookup(g: GraphBuilder): (v: string) => number[] | null {
  return (v: string) => {
    const init = g.graph.initializers.find((t) => t.name === v);
    if (init) return Array.from(init.data as ArrayLike<number | bigint>, (x) => Number(x));
    const node = g.graph.nodes.find((n) => n.op === 'Constant' && n.outputs[0] === v);
    const t = node?.attrs.value as { tensor: OnnxTensor } | undefined;
    if (t?.tensor) return Array.from(t.tensor.data as ArrayLike<number | bigint>, (x) => Number(x));
    return null;
  };
}

function ruleContext(g: GraphBuilder, node: OnnxNode, shapes: Shapes, constant: (v: string) => number[] | null): RuleContext {
  return {
    g,
    node,
    constant,
    shape: (v) => {
      const s = shapes.get(v);
      if (!s) throw new Error(`no shape for ${v} (input of ${node.op} ${node.name})`);
      return s;
    }
  };
}

/**
 * Infer the static shapes of every value produced by `nodes` (in order), given the shapes of the graph inputs and
 * initializers in `shapes` (added to). Throws MissingRuleError (with `nodeIndex`) for an op not in the table.
 */
export function inferShapes(g: GraphBuilder, shapes: Shapes, from = 0, to = g.graph.nodes.length): void {
  for (const t of g.graph.initializers) if (!shapes.has(t.name)) shapes.set(t.name, t.dims);
  const constant = constantLookup(g);
  for (let i = from; i < to; i++) {
    const node = g.graph.nodes[i];
    if (node.op === 'Constant') {
      const t = (node.attrs.value as { tensor: OnnxTensor } | undefined)?.tensor;
      if (t) shapes.set(node.outputs[0], t.dims);
      continue;
    }
    const rule = RULES[node.op];
    if (!rule || (node.domain && node.domain !== '')) throw Object.assign(new MissingRuleError(node.op, `${node.op} has no gradient rule`), { nodeIndex: i });
    const ctx = ruleContext(g, node, shapes, constant);
    try {
      const outs = rule.infer(ctx, node.inputs.filter((v) => v !== '').map((v) => ctx.shape(v)));
      node.outputs.forEach((o, k) => shapes.set(o, outs[k] ?? outs[0]));
    } catch (e) {
      throw Object.assign(e as Error, { nodeIndex: i });
    }
  }
}

/**
 * Reverse-mode gradients of the scalar `loss` with respect to `wrt`, appended to `g`. Only nodes on a path from a
 * `wrt` value to the loss are differentiated. Returns the gradient value of each `wrt` (a zero constant of its
 * shape when the loss does not depend on it). `seed`: the gradient of the loss (default 1).
 */
export function backprop(g: GraphBuilder, loss: string, wrt: string[], shapes: Shapes, opts: { seed?: string; nodeLimit?: number } = {}): Map<string, string> {
  const nodes = g.graph.nodes.slice(0, opts.nodeLimit ?? g.graph.nodes.length);
  const constant = constantLookup(g);
  // Forward: which values depend on a wrt value.
  const live = new Set(wrt);
  const onPath: boolean[] = nodes.map((n) => {
    const rule = RULES[n.op];
    if (!rule || rule.grad === 'none') return false;
    const hit = n.inputs.some((v) => live.has(v));
    if (hit) n.outputs.forEach((o) => live.add(o));
    return hit;
  });
  // Backward: which values the loss depends on.
  const needed = new Set([loss]);
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (onPath[i] && nodes[i].outputs.some((o) => needed.has(o))) nodes[i].inputs.forEach((v) => needed.add(v));
    else onPath[i] = false;
  }
  const grads = new Map<string, string[]>();
  const addGrad = (v: string, gv: string) => {
    const l = grads.get(v);
    if (l) l.push(gv);
    else grads.set(v, [gv]);
  };
  const total = (v: string): string | null => {
    const l = grads.get(v);
    if (!l || l.length === 0) return null;
    if (l.length > 1) {
      const s = l.length === 2 ? g.node('Add', l) : g.node('Sum', l);
      grads.set(v, [s]);
      return s;
    }
    return l[0];
  };
  addGrad(loss, opts.seed ?? g.constFloat(1));
  for (let i = nodes.length - 1; i >= 0; i--) {
    if (!onPath[i]) continue;
    const node = nodes[i];
    const rule = RULES[node.op];
    const gys = node.outputs.map(total);
    if (gys.every((x) => x === null)) continue;
    const need = node.inputs.map((v) => v !== '' && live.has(v) && needed.has(v));
    try {
      const gxs = (rule.grad as Exclude<OpRule['grad'], 'none'>)(ruleContext(g, node, shapes, constant), gys, need);
      node.inputs.forEach((v, k) => {
        if (need[k] && gxs[k]) addGrad(v, gxs[k]!);
      });
    } catch (e) {
      throw Object.assign(e as Error, { nodeIndex: i });
    }
  }
  const out = new Map<string, string>();
  for (const w of wrt) {
    const gv = total(w);
    out.set(w, gv ?? g.node('ConstantOfShape', [g.constInt64(shapes.get(w) ?? [])], { value: { tensor: { name: 'value', dtype: 'float32', dims: [1], data: Float32Array.of(0) } } }));
  }
  return out;
}

