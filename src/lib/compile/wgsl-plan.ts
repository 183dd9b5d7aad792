/**
 * The compiled step graph (one ONNX graph, train-step.ts) lowered to the playground's own WebGPU kernels: a plan of
 * fused compute kernels over ONE storage buffer (the arena), written as WGSL for the GPU and as JavaScript for the
 * unit tests (node has no WebGPU; both dialects come from the same code, so the tests check the fusion, the layout and
 * the index arithmetic, and the e2e test in Chromium checks the WGSL).
 *
 * Why: on WebGPU every ONNX node is at least one dispatch, and ONNX Runtime's kernels (tiled, with workgroup barriers,
 * built for big tensors) cost 0.3–0.6 ms each on a software GPU even with graph capture; a plain dispatch costs ~55 µs
 * there (see README, "what we learned"). Here:
 * - **No kernel** for views: Reshape, Flatten, Squeeze, Unsqueeze, Identity, Cast to float/bool (every value is f32;
 *   booleans are 0/1), and a Split along its outermost non-trivial axis (the flat parameter vector's weights) are
 *   offsets into the arena.
 * - **Inlined** into their consumers, never stored: elementwise ops read once (Mul, Sub, Where, Greater, …), index
 *   remaps (Transpose, Expand, Split along an inner axis, Slice, Concat read once) and cheap unary ops (Relu, Neg, …)
 *   of a stored value, however often they are read.
 * - **One kernel** per stored value: one invocation per output element; reductions, Gemm/MatMul, Softmax and CumSum
 *   loop over their inputs inside the invocation (the models that run here are small; no tiling, no barriers).
 * Static shapes only (the step graph has them). An op outside the table throws `UnsupportedGraph` naming it: the
 * trainer then runs the step on ONNX Runtime's WebGPU provider instead, and says why.
 */
import type { AttrValue, OnnxModel, OnnxNode, OnnxTensor } from '$lib/onnx/graph';

export class UnsupportedGraph extends Error {
  constructor(
    public op: string,
    public node: string,
    message: string
  ) {
    super(message);
  }
}

/** One compute kernel: writes `size` elements of its output at `offset` in the arena. */
export interface Kernel {
  /** The value it stores (an ONNX value name), and the node that makes it. */
  output: string;
  node: string;
  op: string;
  size: number;
  /**
   * WGSL source (one entry point, `main`, workgroup size 64; binding 0 is the arena, binding 1 the kernel's arena
   * offsets `O`). Kernels that differ only in their offsets (the K unrolled steps, an RNN's time steps) have the
   * same source and share one pipeline.
   */
  wgsl: string;
  /** The arena offsets (elements) the kernel reads and writes at, as `O[j]`. */
  offsets: number[];
  /** Workgroups to dispatch (x, y). */
  groups: [number, number];
  /** The same kernel in JavaScript: `(A: Float32Array, O: number[]) => void`, run over every element. */
  js: string;
}

export interface WgslPlan {
  kernels: Kernel[];
  /** Arena size in elements (f32). */
  arenaSize: number;
  /** Where each graph input and output lies in the arena (element offset) and its shape. */
  inputs: Map<string, { offset: number; shape: number[] }>;
  outputs: Map<string, { offset: number; shape: number[] }>;
  /** Constant tensors to upload once (element offset → values). */
  constants: { offset: number; data: Float32Array }[];
  /** ONNX nodes in the graph. */
  nodeCount: number;
}

type Shape = number[];
const numel = (s: Shape) => s.reduce((a, b) => a * b, 1);
const stridesOf = (s: Shape) => {
  const r = new Array(s.length).fill(1);
  for (let k = s.length - 2; k >= 0; k--) r[k] = r[k + 1] * s[k + 1];
  return r;
};

// ---------------------------------------------------------------------------------------------------------------
// Dialects: integer index expressions are u32 in WGSL and numbers in JavaScript; values are f32 / numbers.

interface Dialect {
  u(n: number): string;
  f(v: number): string;
  idiv(a: string, n: number): string;
  imod(a: string, n: number): string;
  load(idx: string): string;
  call(fn: string, args: string[]): string;
  /** A comparison as 0/1. */
  cmp(op: string, a: string, b: string): string;
  sel(cond: string, t: string, f: string): string;
  /** cond is a boolean expression. */
  ite(cond: string, t: string, f: string): string;
  letU(name: string, e: string): string;
  varF(name: string, e: string): string;
  loop(v: string, n: number, body: string[]): string;
  ifChain(branches: [string, string[]][], otherwise: string[]): string;
  store(idx: string, e: string): string;
  /** Boolean: i < n in index space. */
  lt(a: string, b: string): string;
  /** A float value holding an index (a token id) as an index. */
  toU(e: string): string;
  /** The kernel's j-th arena offset (a parameter, so that kernels differing only in where they read share a pipeline). */
  off(j: number): string;
}

const F32_MAX = 3.4028234663852886e38;

function floatLiteral(v: number): string {
  if (Number.isNaN(v)) throw new UnsupportedGraph('NaN', '', 'a NaN constant');
  if (!Number.isFinite(v)) v = v > 0 ? F32_MAX : -F32_MAX;
  const s = String(Math.fround(v));
  return /[.e]/.test(s) ? s : `${s}.0`;
}

const WGSL: Dialect = {
  u: (n) => `${n}u`,
  f: (v) => {
    const s = floatLiteral(v);
    return s.startsWith('-') ? `(${s})` : s;
  },
  idiv: (a, n) => (n === 1 ? a : `((${a}) / ${n}u)`),
  imod: (a, n) => (n === 1 ? '0u' : `((${a}) % ${n}u)`),
  load: (idx) => `A[${idx}]`,
  call: (fn, args) => `${fn}(${args.join(', ')})`,
  cmp: (op, a, b) => `select(0.0, 1.0, (${a}) ${op} (${b}))`,
  sel: (c, t, f) => `select(${f}, ${t}, (${c}) != 0.0)`,
  ite: (c, t, f) => `select(${f}, ${t}, ${c})`,
  letU: (n, e) => `let ${n}: u32 = ${e};`,
  varF: (n, e) => `var ${n}: f32 = ${e};`,
  loop: (v, n, body) => `for (var ${v}: u32 = 0u; ${v} < ${n}u; ${v} = ${v} + 1u) {\n${body.join('\n')}\n}`,
  ifChain: (br, other) => br.map(([c, b], k) => `${k ? ' else ' : ''}if (${c}) {\n${b.join('\n')}\n}`).join('') + ` else {\n${other.join('\n')}\n}`,
  store: (idx, e) => `A[${idx}] = ${e};`,
  lt: (a, b) => `(${a}) < (${b})`,
  toU: (e) => `u32(${e})`,
  off: (j) => `O[${j}u]`
};

const JS_FN: Record<string, string> = { exp: 'Math.exp', log: 'Math.log', sqrt: 'Math.sqrt', abs: 'Math.abs', sign: 'Math.sign', tanh: 'Math.tanh', max: 'Math.max', min: 'Math.min', pow: 'Math.pow', clamp: 'clamp', sin: 'Math.sin', cos: 'Math.cos', floor: 'Math.floor', ceil: 'Math.ceil', trunc: 'Math.trunc' };

const JS: Dialect = {
  u: (n) => String(n),
  f: (v) => `(${floatLiteral(v)})`,
  idiv: (a, n) => (n === 1 ? a : `Math.floor((${a}) / ${n})`),
  imod: (a, n) => (n === 1 ? '0' : `((${a}) % ${n})`),
  load: (idx) => `A[${idx}]`,
  call: (fn, args) => `${JS_FN[fn] ?? fn}(${args.join(', ')})`,
  cmp: (op, a, b) => `((${a}) ${op === '==' ? '===' : op === '!=' ? '!==' : op} (${b}) ? 1 : 0)`,
  sel: (c, t, f) => `((${c}) !== 0 ? (${t}) : (${f}))`,
  ite: (c, t, f) => `((${c}) ? (${t}) : (${f}))`,
  letU: (n, e) => `const ${n} = ${e};`,
  varF: (n, e) => `let ${n} = ${e};`,
  loop: (v, n, body) => `for (let ${v} = 0; ${v} < ${n}; ${v}++) {\n${body.join('\n')}\n}`,
  ifChain: (br, other) => br.map(([c, b], k) => `${k ? ' else ' : ''}if (${c}) {\n${b.join('\n')}\n}`).join('') + ` else {\n${other.join('\n')}\n}`,
  store: (idx, e) => `A[${idx}] = ${e};`,
  lt: (a, b) => `(${a}) < (${b})`,
  toU: (e) => `Math.trunc(${e})`,
  off: (j) => `O[${j}]`
};

// ---------------------------------------------------------------------------------------------------------------
// Shapes and attributes

const attrInt = (n: OnnxNode, k: string, d: number): number => (typeof n.attrs[k] === 'number' ? (n.attrs[k] as number) : d);
const attrFloat = (n: OnnxNode, k: string, d: number): number => {
  const a = n.attrs[k] as AttrValue | undefined;
  if (a && typeof a === 'object' && 'float' in a) return a.float;
  return typeof a === 'number' ? a : d;
};
const attrInts = (n: OnnxNode, k: string): number[] | null => (Array.isArray(n.attrs[k]) ? (n.attrs[k] as number[]) : null);

function broadcast(a: Shape, b: Shape, node: OnnxNode): Shape {
  const r = Math.max(a.length, b.length);
  const out: Shape = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) throw new UnsupportedGraph(node.op, node.name, `${node.op} ${node.name}: shapes [${a}] and [${b}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

const ELEMENTWISE: Record<string, number> = {
  Add: 2, Sub: 2, Mul: 2, Div: 2, Pow: 2, Max: 2, Min: 2, Greater: 2, Less: 2, Equal: 2, GreaterOrEqual: 2, LessOrEqual: 2, And: 2, Or: 2,
  Where: 3, Clip: 3,
  Neg: 1, Abs: 1, Sign: 1, Relu: 1, LeakyRelu: 1, Sigmoid: 1, Tanh: 1, Exp: 1, Log: 1, Sqrt: 1, Reciprocal: 1, Not: 1, Softplus: 1, Elu: 1,
  HardSigmoid: 1, Floor: 1, Ceil: 1, Sin: 1, Cos: 1, Cast: 1, Erf: 1
};
/** Elementwise ops cheap enough to recompute in every consumer (when their input is stored). */
const CHEAP = new Set(['Relu', 'Neg', 'Abs', 'Sign', 'Cast', 'Not', 'LeakyRelu']);
/** Ops that only move elements (inlined as index arithmetic). */
const REMAP = new Set(['Transpose', 'Expand', 'Slice', 'Concat', 'Split', 'Gather']);
/** Ops whose output is its input's elements in the same flat order. */
const VIEW = new Set(['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Identity']);
const REDUCE = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceLogSumExp', 'ReduceSumSquare', 'ReduceProd']);
const KERNEL = new Set(['Gemm', 'MatMul', 'Softmax', 'LogSoftmax', 'CumSum', 'LayerNormalization', ...REDUCE]);
/**
 * ONNX TensorProto data types of Cast's `to` that a value can take here, every value being an f32: FLOAT, DOUBLE,
 * BOOL (0/1), and the integer types (truncated toward zero, exact below 2^24: token ids, class indices).
 */
const CAST_OK = new Set([1, 11, 9, 2, 3, 4, 5, 6, 7, 12, 13]);
const CAST_INT = new Set([2, 3, 4, 5, 6, 7, 12, 13]);

// ---------------------------------------------------------------------------------------------------------------

type Where =
  | { kind: 'stored'; offset: number }
  | { kind: 'scalar'; value: number }
  | { kind: 'view'; of: string; offset: number }
  | { kind: 'inline'; node: OnnxNode; index: number };

export function planWgsl(model: OnnxModel, opts: { maxArena?: number } = {}): WgslPlan {
  const g = model.graph;
  const shapes = new Map<string, Shape>();
  const ints = new Map<string, number[]>();
  const floats = new Map<string, OnnxTensor>();
  for (const t of g.initializers) {
    shapes.set(t.name, t.dims);
    if (t.dtype === 'float32') floats.set(t.name, t);
    else if (t.dtype === 'int64' || t.dtype === 'int32') ints.set(t.name, Array.from(t.data as ArrayLike<number | bigint>, Number));
    else if (t.dtype === 'bool' || t.dtype === 'uint8') floats.set(t.name, { ...t, data: Float32Array.from(t.data as Uint8Array) });
  }
  for (const v of g.inputs) {
    if (v.dims.some((d) => typeof d !== 'number')) throw new UnsupportedGraph('input', v.name, `input ${v.name} has a symbolic dimension`);
    shapes.set(v.name, v.dims as number[]);
  }
  const intsOf = (node: OnnxNode, i: number): number[] | null => {
    const name = node.inputs[i];
    if (!name) return null;
    const v = ints.get(name);
    if (!v) throw new UnsupportedGraph(node.op, node.name, `${node.op} ${node.name}: input ${i} must be a constant (it is ${name})`);
    return v;
  };
  const shapeOf = (v: string) => {
    const s = shapes.get(v);
    if (!s) throw new UnsupportedGraph('shape', v, `no shape for ${v}`);
    return s;
  };
  const axis = (a: number, rank: number) => (a < 0 ? a + rank : a);

  /**
   * Integer values known at plan time (shapes: Shape, and the arithmetic, Gather, Concat, … on them that attention's
   * reshapes do) are computed here, never on the GPU. Returns false when `n` is not such a node.
   */
  const folded = new Set<OnnxNode>();
  function foldInts(n: OnnxNode): boolean {
    const data = n.inputs.filter(Boolean);
    if (n.op === 'Shape') {
      const s = shapeOf(n.inputs[0]);
      const r = s.length;
      const start = axis(Math.max(-r, Math.min(r, attrInt(n, 'start', 0))), r);
      const end = n.attrs.end === undefined ? r : axis(Math.max(-r, Math.min(r, attrInt(n, 'end', r))), r);
      const v = s.slice(start, Math.max(start, end));
      ints.set(n.outputs[0], v);
      shapes.set(n.outputs[0], [v.length]);
      return true;
    }
    if (n.op === 'ConstantOfShape') {
      if (!ints.has(n.inputs[0])) return false;
      const dims = ints.get(n.inputs[0])!;
      const t = (n.attrs.value as { tensor: OnnxTensor } | undefined)?.tensor;
      const fill = t ? Number((t.data as ArrayLike<number | bigint>)[0]) : 0;
      const size = numel(dims);
      if (!t || t.dtype === 'float32') floats.set(n.outputs[0], { name: n.outputs[0], dtype: 'float32', dims, data: new Float32Array(size).fill(fill) });
      else ints.set(n.outputs[0], new Array(size).fill(fill));
      shapes.set(n.outputs[0], dims);
      return true;
    }
    if (!data.length || !data.every((i) => ints.has(i))) return false;
    const v = data.map((i) => ints.get(i)!);
    const sh = data.map((i) => shapeOf(i));
    let out: number[] | null = null;
    let shape: Shape = sh[0];
    const elementwise = (f: (a: number, b: number) => number) => {
      const len = Math.max(v[0].length, v[1].length);
      shape = v[0].length >= v[1].length ? sh[0] : sh[1];
      return Array.from({ length: len }, (_, i) => f(v[0][v[0].length === 1 ? 0 : i], v[1][v[1].length === 1 ? 0 : i]));
    };
    switch (n.op) {
      case 'Cast': {
        const to = attrInt(n, 'to', 7);
        if (to === 1 || to === 11) {
          floats.set(n.outputs[0], { name: n.outputs[0], dtype: 'float32', dims: sh[0], data: Float32Array.from(v[0]) });
          shapes.set(n.outputs[0], sh[0]);
          return true;
        }
        out = v[0];
        break;
      }
      case 'Add': out = elementwise((a, b) => a + b); break;
      case 'Sub': out = elementwise((a, b) => a - b); break;
      case 'Mul': out = elementwise((a, b) => a * b); break;
      case 'Div': out = elementwise((a, b) => Math.trunc(a / b)); break;
      case 'Concat':
        if (sh.some((x) => x.length !== 1)) return false;
        out = v.flat();
        shape = [out.length];
        break;
      case 'Gather': {
        if (sh[0].length !== 1 || attrInt(n, 'axis', 0) !== 0) return false;
        const d = v[0].length;
        out = v[1].map((i) => v[0][i < 0 ? i + d : i]);
        shape = sh[1];
        break;
      }
      case 'Slice': {
        if (sh[0].length !== 1) return false;
        const d = v[0].length;
        const c = (x: number) => Math.max(0, Math.min(d, x < 0 ? x + d : x));
        out = v[0].slice(c(v[1][0]), c(v[2][0]));
        shape = [out.length];
        break;
      }
      case 'Range': {
        const [start, limit, delta] = v.map((x) => x[0]);
        out = [];
        for (let x = start; delta > 0 ? x < limit : x > limit; x += delta) out.push(x);
        shape = [out.length];
        break;
      }
      default:
        return false;
    }
    ints.set(n.outputs[0], out);
    shapes.set(n.outputs[0], shape);
    return true;
  }

  // Shapes, node by node.
  const uses = new Map<string, number>();
  const producer = new Map<string, OnnxNode>();
  for (const n of g.nodes) {
    if (n.domain) throw new UnsupportedGraph(n.op, n.name, `${n.domain}.${n.op} is not in the playground's WebGPU kernels`);
    for (const i of n.inputs) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
    for (const o of n.outputs) producer.set(o, n);
    const ins = n.inputs.map((i) => (i ? shapes.get(i) ?? null : null));
    const s0 = ins[0] ?? [];
    if (foldInts(n)) {
      folded.add(n);
      continue;
    }
    let outs: Shape[];
    if (n.op in ELEMENTWISE) {
      if (n.op === 'Cast' && !CAST_OK.has(attrInt(n, 'to', 1))) throw new UnsupportedGraph('Cast', n.name, `Cast ${n.name} to an integer type is not in the playground's WebGPU kernels`);
      let s: Shape = [];
      for (const x of ins) if (x) s = broadcast(s, x, n);
      outs = [s];
    } else if (VIEW.has(n.op)) {
      const total = numel(s0);
      let s: Shape;
      if (n.op === 'Reshape') {
        const target = intsOf(n, 1)!;
        s = target.map((d, k) => (d === 0 && !attrInt(n, 'allowzero', 0) ? s0[k] : d));
        const known = s.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
        s = s.map((d) => (d === -1 ? total / known : d));
      } else if (n.op === 'Flatten') {
        const a = axis(attrInt(n, 'axis', 1), s0.length);
        s = [numel(s0.slice(0, a)), numel(s0.slice(a))];
      } else if (n.op === 'Squeeze') {
        const ax = (intsOf(n, 1) ?? s0.map((d, k) => (d === 1 ? k : -1)).filter((k) => k >= 0)).map((a) => axis(a, s0.length));
        s = s0.filter((_, k) => !ax.includes(k));
      } else if (n.op === 'Unsqueeze') {
        const ax = intsOf(n, 1)!;
        const r = s0.length + ax.length;
        const norm = ax.map((a) => axis(a, r));
        s = [];
        let j = 0;
        for (let k = 0; k < r; k++) s.push(norm.includes(k) ? 1 : s0[j++]);
      } else s = s0;
      if (numel(s) !== total) throw new UnsupportedGraph(n.op, n.name, `${n.op} ${n.name}: [${s0}] → [${s}]`);
      outs = [s];
    } else if (n.op === 'Transpose') {
      const perm = attrInts(n, 'perm') ?? s0.map((_, k) => s0.length - 1 - k);
      outs = [perm.map((p) => s0[p])];
    } else if (n.op === 'Expand') {
      outs = [broadcast(s0, intsOf(n, 1)!, n)];
    } else if (n.op === 'Concat') {
      const a = axis(attrInt(n, 'axis', 0), s0.length);
      const s = [...s0];
      s[a] = ins.reduce((t, x) => t + (x ? x[a] : 0), 0);
      outs = [s];
    } else if (n.op === 'Split') {
      const a = axis(attrInt(n, 'axis', 0), s0.length);
      const sizes = intsOf(n, 1) ?? attrInts(n, 'split') ?? n.outputs.map(() => s0[a] / n.outputs.length);
      outs = sizes.map((d) => s0.map((x, k) => (k === a ? d : x)));
    } else if (n.op === 'Slice') {
      const starts = intsOf(n, 1)!;
      const ends = intsOf(n, 2)!;
      const axes = (intsOf(n, 3) ?? starts.map((_, k) => k)).map((x) => axis(x, s0.length));
      const steps = intsOf(n, 4) ?? starts.map(() => 1);
      const s = [...s0];
      axes.forEach((ax, k) => {
        if (steps[k] !== 1) throw new UnsupportedGraph('Slice', n.name, `Slice ${n.name} with a step of ${steps[k]}`);
        const d = s0[ax];
        const clampI = (v: number) => Math.max(0, Math.min(d, v < 0 ? v + d : v));
        s[ax] = Math.max(0, clampI(ends[k]) - clampI(starts[k]));
      });
      outs = [s];
    } else if (REDUCE.has(n.op)) {
      const ax = reduceAxes(n, s0.length);
      outs = [attrInt(n, 'keepdims', 1) ? s0.map((d, k) => (ax.includes(k) ? 1 : d)) : s0.filter((_, k) => !ax.includes(k))];
    } else if (n.op === 'Gemm') {
      const [a, b] = [ins[0]!, ins[1]!];
      if (a.length !== 2 || b.length !== 2) throw new UnsupportedGraph('Gemm', n.name, `Gemm ${n.name} of rank ${a.length}, ${b.length}`);
      const M = attrInt(n, 'transA', 0) ? a[1] : a[0];
      const N = attrInt(n, 'transB', 0) ? b[0] : b[1];
      outs = [[M, N]];
    } else if (n.op === 'MatMul') {
      const [a, b] = [ins[0]!, ins[1]!];
      if (a.length < 2 || b.length < 2) throw new UnsupportedGraph('MatMul', n.name, `MatMul ${n.name} of a vector`);
      outs = [[...broadcast(a.slice(0, -2), b.slice(0, -2), n), a[a.length - 2], b[b.length - 1]]];
    } else if (n.op === 'Gather') {
      const indShape = shapeOf(n.inputs[1]);
      const a = axis(attrInt(n, 'axis', 0), s0.length);
      if (ints.has(n.inputs[1])) {
        const ind = ints.get(n.inputs[1])!;
        if (indShape.length !== 0) throw new UnsupportedGraph('Gather', n.name, `Gather ${n.name} of a constant list of indices`);
        if (ind[0] < -s0[a] || ind[0] >= s0[a]) throw new UnsupportedGraph('Gather', n.name, `Gather ${n.name}: index ${ind[0]} out of range`);
      }
      outs = [[...s0.slice(0, a), ...indShape, ...s0.slice(a + 1)]];
    } else if (n.op === 'LayerNormalization') {
      const a = axis(attrInt(n, 'axis', -1), s0.length);
      const stats = s0.map((d, k) => (k < a ? d : 1));
      outs = [s0, stats, stats];
    } else if (n.op === 'Softmax' || n.op === 'LogSoftmax' || n.op === 'CumSum') {
      outs = [s0];
    } else {
      throw new UnsupportedGraph(n.op, n.name, `${n.op} is not in the playground's WebGPU kernels`);
    }
    n.outputs.forEach((o, k) => shapes.set(o, outs[k] ?? outs[0]));
    // A view of plan-time integers (Unsqueeze of a dimension before a Concat): the same integers, in the new shape.
    if (VIEW.has(n.op) && ints.has(n.inputs[0])) {
      ints.set(n.outputs[0], ints.get(n.inputs[0])!);
      folded.add(n);
    }
  }
  const graphOutputs = new Set(g.outputs.map((o) => o.name));

  function reduceAxes(n: OnnxNode, rank: number): number[] {
    const given = n.inputs[1] ? intsOf(n, 1) : attrInts(n, 'axes');
    if (!given || !given.length) return attrInt(n, 'noop_with_empty_axes', 0) ? [] : [...Array(rank).keys()];
    return given.map((a) => axis(a, rank));
  }

  // Where each value lives.
  const where = new Map<string, Where>();
  let arena = 0;
  const alloc = (n: number) => {
    const at = arena;
    arena += Math.max(4, Math.ceil(n / 4) * 4); // 16-byte aligned regions
    return at;
  };
  const constants: WgslPlan['constants'] = [];
  const inputs = new Map<string, { offset: number; shape: number[] }>();
  for (const v of g.inputs) {
    const offset = alloc(numel(v.dims as number[]));
    where.set(v.name, { kind: 'stored', offset });
    inputs.set(v.name, { offset, shape: v.dims as number[] });
  }
  function placeConstant(name: string, t: OnnxTensor) {
    const data = Float32Array.from(t.data as Float32Array);
    if (data.length === 1) where.set(name, { kind: 'scalar', value: data[0] });
    else {
      const offset = alloc(data.length);
      where.set(name, { kind: 'stored', offset });
      constants.push({ offset, data });
    }
  }
  for (const t of g.initializers) if (floats.has(t.name)) placeConstant(t.name, floats.get(t.name)!);
  const isStored = (v: string): boolean => {
    const w = where.get(v);
    return !!w && (w.kind === 'stored' || w.kind === 'scalar' || (w.kind === 'view' && isStored(w.of)));
  };
  const kernelsOrder: { node: OnnxNode; out: string }[] = [];
  for (const n of g.nodes) {
    if (folded.has(n)) {
      // Plan-time integers (and float constants made from them): a float one is stored or inlined like an initializer.
      for (const o of n.outputs) if (floats.has(o) && !where.has(o)) placeConstant(o, floats.get(o)!);
      continue;
    }
    n.outputs.forEach((o, k) => {
      if (!o) return;
      const out = graphOutputs.has(o);
      const shape = shapeOf(o);
      const gatherView = n.op === 'Gather' && ints.has(n.inputs[1]) && contiguousSplit(n, shapeOf(n.inputs[0]));
      if (VIEW.has(n.op) || (n.op === 'Cast' && (attrInt(n, 'to', 1) === 1 || attrInt(n, 'to', 1) === 11) && !out) || gatherView || (n.op === 'Split' && contiguousSplit(n, shapeOf(n.inputs[0])))) {
        if (!out) {
          const offset = n.op === 'Split' ? splitOffset(n, k) : gatherView ? gatherIndex(n) * numel(shapeOf(n.inputs[0]).slice(axis(attrInt(n, 'axis', 0), shapeOf(n.inputs[0]).length) + 1)) : 0;
          where.set(o, { kind: 'view', of: n.inputs[0], offset });
          return;
        }
      }
      const single = (uses.get(o) ?? 0) <= 1;
      const inlinable = n.op in ELEMENTWISE || REMAP.has(n.op) || VIEW.has(n.op);
      const cheapOnStored = (CHEAP.has(n.op) || REMAP.has(n.op)) && n.inputs.every((i) => !i || isStored(i));
      if (!out && inlinable && (single || cheapOnStored)) {
        where.set(o, { kind: 'inline', node: n, index: k });
        return;
      }
      where.set(o, { kind: 'stored', offset: alloc(numel(shape)) });
      kernelsOrder.push({ node: n, out: o });
    });
  }

  function contiguousSplit(n: OnnxNode, s: Shape): boolean {
    const a = axis(attrInt(n, 'axis', 0), s.length);
    return s.slice(0, a).every((d) => d === 1);
  }
  function gatherIndex(n: OnnxNode): number {
    const s = shapeOf(n.inputs[0]);
    const i = intsOf(n, 1)![0];
    return i < 0 ? i + s[axis(attrInt(n, 'axis', 0), s.length)] : i;
  }
  function splitSizes(n: OnnxNode): number[] {
    const s = shapeOf(n.inputs[0]);
    const a = axis(attrInt(n, 'axis', 0), s.length);
    return n.outputs.map((o) => shapeOf(o)[a]);
  }
  function splitOffset(n: OnnxNode, k: number): number {
    const s = shapeOf(n.inputs[0]);
    const a = axis(attrInt(n, 'axis', 0), s.length);
    const inner = numel(s.slice(a + 1));
    return splitSizes(n).slice(0, k).reduce((t, d) => t + d, 0) * inner;
  }

  if (opts.maxArena && arena > opts.maxArena) throw new UnsupportedGraph('arena', '', `the step needs ${(arena * 4) / 2 ** 20} MB of GPU memory in one buffer, more than this device allows in one binding`);

  const outputs = new Map<string, { offset: number; shape: number[] }>();
  for (const o of g.outputs) {
    const w = where.get(o.name);
    if (!w || w.kind !== 'stored') throw new UnsupportedGraph('output', o.name, `graph output ${o.name} is not stored`);
    outputs.set(o.name, { offset: w.offset, shape: shapeOf(o.name) });
  }

  // Code generation (both dialects).
  /** The arena offsets of the kernel being written, in order of first use: `slot(offset)` is its index in `O`. */
  let slots: number[] = [];
  const slot = (offset: number) => {
    const j = slots.indexOf(offset);
    return j >= 0 ? j : slots.push(offset) - 1;
  };

  /** Flat index into `inShape` of the element of `outShape` at flat `idx`, numpy-broadcast. */
  function bcastIndex(D: Dialect, idx: string, outShape: Shape, inShape: Shape): string {
    if (numel(inShape) === 1) return D.u(0);
    const r = outShape.length;
    const ins = [...new Array(r - inShape.length).fill(1), ...inShape];
    if (ins.every((d, k) => d === outShape[k])) return idx;
    const os = stridesOf(outShape);
    const is = stridesOf(ins);
    const terms: string[] = [];
    for (let k = 0; k < r; k++) {
      if (ins[k] === 1) continue;
      const coord = D.imod(D.idiv(idx, os[k]), outShape[k]);
      terms.push(is[k] === 1 ? coord : `${coord} * ${D.u(is[k])}`);
    }
    return terms.length ? `(${terms.join(' + ')})` : D.u(0);
  }

  /** Coordinates of flat `idx` in `shape`, as expressions. */
  const coords = (D: Dialect, idx: string, shape: Shape) => {
    const st = stridesOf(shape);
    return shape.map((d, k) => D.imod(D.idiv(idx, st[k]), d));
  };
  const flat = (D: Dialect, cs: string[], shape: Shape) => {
    const st = stridesOf(shape);
    const t = cs.map((c, k) => (shape[k] === 1 ? '' : st[k] === 1 ? c : `${c} * ${D.u(st[k])}`)).filter(Boolean);
    return t.length ? `(${t.join(' + ')})` : D.u(0);
  };

  /** The value `v` at flat index `idx` (of v's own shape), as an expression. */
  function ex(D: Dialect, v: string, idx: string): string {
    const w = where.get(v);
    if (!w) throw new UnsupportedGraph('value', v, `no value ${v}`);
    if (w.kind === 'scalar') return D.f(w.value);
    if (w.kind === 'stored') return D.load(`${D.off(slot(w.offset))} + ${idx}`);
    if (w.kind === 'view') {
      // A view of a stored value is a stored value at another offset (a parameter: the K steps' x slices share kernels).
      let base: Where = w;
      let at = 0;
      while (base.kind === 'view') {
        at += base.offset;
        base = where.get(base.of)!;
      }
      if (base.kind === 'stored') return D.load(`${D.off(slot(base.offset + at))} + ${idx}`);
      return ex(D, w.of, w.offset ? `(${idx} + ${D.u(w.offset)})` : idx);
    }
    return nodeExpr(D, w.node, w.index, idx);
  }

  function nodeExpr(D: Dialect, n: OnnxNode, k: number, idx: string): string {
    const outShape = shapeOf(n.outputs[k]);
    const arg = (i: number) => ex(D, n.inputs[i], bcastIndex(D, idx, outShape, shapeOf(n.inputs[i])));
    const a = () => arg(0);
    const b = () => arg(1);
    switch (n.op) {
      case 'Add': return `(${a()} + ${b()})`;
      case 'Sub': return `(${a()} - ${b()})`;
      case 'Mul': return `(${a()} * ${b()})`;
      case 'Div': return `(${a()} / ${b()})`;
      case 'Pow': {
        const e = where.get(n.inputs[1]);
        if (e?.kind === 'scalar' && e.value === 2) return `(${a()} * ${a()})`;
        if (e?.kind === 'scalar' && e.value === 0.5) return D.call('sqrt', [a()]);
        if (e?.kind === 'scalar' && e.value === 1) return a();
        throw new UnsupportedGraph('Pow', n.name, `Pow ${n.name} with a non-constant or other exponent`);
      }
      case 'Max': return n.inputs.slice(1).reduce((acc, _, i) => D.call('max', [acc, arg(i + 1)]), a());
      case 'Min': return n.inputs.slice(1).reduce((acc, _, i) => D.call('min', [acc, arg(i + 1)]), a());
      case 'Greater': return D.cmp('>', a(), b());
      case 'Less': return D.cmp('<', a(), b());
      case 'Equal': return D.cmp('==', a(), b());
      case 'GreaterOrEqual': return D.cmp('>=', a(), b());
      case 'LessOrEqual': return D.cmp('<=', a(), b());
      case 'And': return D.cmp('!=', `${a()} * ${b()}`, D.f(0));
      case 'Or': return D.cmp('!=', `${D.call('abs', [a()])} + ${D.call('abs', [b()])}`, D.f(0));
      case 'Not': return D.cmp('==', a(), D.f(0));
      case 'Where': return D.sel(a(), b(), arg(2));
      case 'Clip': {
        const lo = n.inputs[1] ? arg(1) : D.f(-F32_MAX);
        const hi = n.inputs[2] ? arg(2) : D.f(F32_MAX);
        return D.call('min', [D.call('max', [a(), lo]), hi]);
      }
      case 'Neg': return `(-${a()})`;
      case 'Abs': return D.call('abs', [a()]);
      case 'Sign': return D.call('sign', [a()]);
      case 'Relu': return D.call('max', [a(), D.f(0)]);
      case 'LeakyRelu': {
        const x = a();
        return D.ite(`${x} < ${D.f(0)}`, `${D.f(attrFloat(n, 'alpha', 0.01))} * ${x}`, x);
      }
      case 'Sigmoid': return `(${D.f(1)} / (${D.f(1)} + ${D.call('exp', [`-${a()}`])}))`;
      // WGSL's tanh may give NaN past |x| ≈ 44 (exp overflow in some drivers); tanh(±20) is ±1 in f32.
      case 'Tanh': return D.call('tanh', [D.call('min', [D.call('max', [a(), D.f(-20)]), D.f(20)])]);
      case 'Exp': return D.call('exp', [a()]);
      case 'Log': return D.call('log', [a()]);
      case 'Sqrt': return D.call('sqrt', [a()]);
      case 'Reciprocal': return `(${D.f(1)} / ${a()})`;
      case 'Softplus': {
        const x = a();
        return `(${D.call('max', [x, D.f(0)])} + ${D.call('log', [`${D.f(1)} + ${D.call('exp', [`-${D.call('abs', [x])}`])}`])})`;
      }
      case 'Elu': {
        const x = a();
        return D.ite(`${x} < ${D.f(0)}`, `${D.f(attrFloat(n, 'alpha', 1))} * (${D.call('exp', [x])} - ${D.f(1)})`, x);
      }
      case 'HardSigmoid':
        return D.call('max', [D.f(0), D.call('min', [D.f(1), `${D.f(attrFloat(n, 'alpha', 0.2))} * ${a()} + ${D.f(attrFloat(n, 'beta', 0.5))}`])]);
      case 'Erf': {
        // WGSL has no erf: Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7 (gelu's erf in the transformer blocks).
        const x = a();
        const t = `(${D.f(1)} / (${D.f(1)} + ${D.f(0.3275911)} * ${D.call('abs', [x])}))`;
        const poly = [1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592].reduce((acc, c) => `(${acc} * ${t} + ${D.f(c)})`, D.f(0));
        return `(${D.call('sign', [x])} * (${D.f(1)} - ${poly} * ${t} * ${D.call('exp', [`-(${x} * ${x})`])}))`;
      }
      case 'Floor': return D.call('floor', [a()]);
      case 'Ceil': return D.call('ceil', [a()]);
      case 'Sin': return D.call('sin', [a()]);
      case 'Cos': return D.call('cos', [a()]);
      case 'Cast': {
        const to = attrInt(n, 'to', 1);
        return to === 9 ? D.cmp('!=', a(), D.f(0)) : CAST_INT.has(to) ? D.call('trunc', [a()]) : a();
      }
      case 'Reshape': case 'Flatten': case 'Squeeze': case 'Unsqueeze': case 'Identity':
        return ex(D, n.inputs[0], idx);
      case 'Expand': return ex(D, n.inputs[0], bcastIndex(D, idx, outShape, shapeOf(n.inputs[0])));
      case 'Transpose': {
        const s0 = shapeOf(n.inputs[0]);
        const perm = attrInts(n, 'perm') ?? s0.map((_, j) => s0.length - 1 - j);
        const oc = coords(D, idx, outShape);
        const ic = new Array(s0.length);
        perm.forEach((p, j) => (ic[p] = oc[j]));
        return ex(D, n.inputs[0], flat(D, ic, s0));
      }
      case 'Split': case 'Slice': {
        const s0 = shapeOf(n.inputs[0]);
        const oc = coords(D, idx, outShape);
        const start = new Array(s0.length).fill(0);
        if (n.op === 'Split') start[axis(attrInt(n, 'axis', 0), s0.length)] = splitSizes(n).slice(0, k).reduce((t, d) => t + d, 0);
        else {
          const starts = intsOf(n, 1)!;
          const axes = (intsOf(n, 3) ?? starts.map((_, j) => j)).map((x) => axis(x, s0.length));
          axes.forEach((ax, j) => (start[ax] = Math.max(0, Math.min(s0[ax], starts[j] < 0 ? starts[j] + s0[ax] : starts[j]))));
        }
        return ex(D, n.inputs[0], flat(D, oc.map((c, j) => (start[j] ? `(${c} + ${D.u(start[j])})` : c)), s0));
      }
      case 'Gather': {
        const s0 = shapeOf(n.inputs[0]);
        const ax = axis(attrInt(n, 'axis', 0), s0.length);
        const oc = coords(D, idx, outShape);
        if (ints.has(n.inputs[1])) return ex(D, n.inputs[0], flat(D, [...oc.slice(0, ax), D.u(gatherIndex(n)), ...oc.slice(ax)], s0));
        // Indices computed in the graph (token ids): read, as floats holding integers, at the output's coordinates.
        const indShape = shapeOf(n.inputs[1]);
        const r = indShape.length;
        const id = D.toU(ex(D, n.inputs[1], flat(D, oc.slice(ax, ax + r), indShape)));
        return ex(D, n.inputs[0], flat(D, [...oc.slice(0, ax), id, ...oc.slice(ax + r)], s0));
      }
      case 'Concat': {
        const ax = axis(attrInt(n, 'axis', 0), outShape.length);
        const inner = numel(outShape.slice(ax + 1));
        const c = D.imod(D.idiv(idx, inner), outShape[ax]);
        const outer = D.idiv(idx, inner * outShape[ax]);
        const rest = D.imod(idx, inner);
        let at = 0;
        const parts = n.inputs.map((v) => {
          const d = shapeOf(v)[ax];
          const sub = `${outer} * ${D.u(d * inner)} + (${c} - ${D.u(at)}) * ${D.u(inner)} + ${rest}`;
          const r = { end: (at += d), e: ex(D, v, sub) };
          return r;
        });
        let e = parts[parts.length - 1].e;
        for (let j = parts.length - 2; j >= 0; j--) e = D.ite(D.lt(c, D.u(parts[j].end)), parts[j].e, e);
        return e;
      }
    }
    throw new UnsupportedGraph(n.op, n.name, `${n.op} is not in the playground's WebGPU kernels`);
  }

  /** Statements computing the stored value `o` (made by n) at flat index `i`. */
  function body(D: Dialect, n: OnnxNode, o: string, off: number): string[] {
    const outShape = shapeOf(o);
    const at = `${D.off(slot(off))} + i`;
    if (n.op in ELEMENTWISE || REMAP.has(n.op) || VIEW.has(n.op)) return [D.store(at, nodeExpr(D, n, n.outputs.indexOf(o), 'i'))];
    if (REDUCE.has(n.op)) {
      const s0 = shapeOf(n.inputs[0]);
      const ax = reduceAxes(n, s0.length);
      const st = stridesOf(s0);
      const kept = s0.map((_, k) => k).filter((k) => !ax.includes(k));
      const keptShape = kept.map((k) => s0[k]);
      const kc = coords(D, 'i', keptShape);
      const base = kept.map((k, j) => (s0[k] === 1 ? '' : st[k] === 1 ? kc[j] : `${kc[j]} * ${D.u(st[k])}`)).filter(Boolean);
      const redShape = ax.map((k) => s0[k]);
      const R = numel(redShape);
      const rs = stridesOf(redShape);
      const red = ax.map((k, j) => (s0[k] === 1 ? '' : `${D.imod(D.idiv('r', rs[j]), s0[k])} * ${D.u(st[k])}`)).filter(Boolean);
      const index = [...base, ...red].join(' + ') || D.u(0);
      const x = ex(D, n.inputs[0], `(${index})`);
      const lines = [D.varF('acc', D.f(n.op === 'ReduceMax' || n.op === 'ReduceLogSumExp' ? -F32_MAX : n.op === 'ReduceMin' ? F32_MAX : n.op === 'ReduceProd' ? 1 : 0))];
      const upd: Record<string, string> = {
        ReduceSum: `acc = acc + ${x};`,
        ReduceMean: `acc = acc + ${x};`,
        ReduceSumSquare: `acc = acc + ${x} * ${x};`,
        ReduceProd: `acc = acc * ${x};`,
        ReduceMax: `acc = ${D.call('max', ['acc', x])};`,
        ReduceMin: `acc = ${D.call('min', ['acc', x])};`,
        ReduceLogSumExp: `acc = ${D.call('max', ['acc', x])};`
      };
      lines.push(D.loop('r', R, [upd[n.op]]));
      if (n.op === 'ReduceLogSumExp') {
        lines.push(D.varF('s', D.f(0)), D.loop('r', R, [`s = s + ${D.call('exp', [`${x} - acc`])};`]), `acc = acc + ${D.call('log', ['s'])};`);
      }
      if (n.op === 'ReduceMean') lines.push(`acc = acc / ${D.f(R)};`);
      lines.push(D.store(at, 'acc'));
      return lines;
    }
    if (n.op === 'Gemm' || n.op === 'MatMul') {
      const sa = shapeOf(n.inputs[0]);
      const sb = shapeOf(n.inputs[1]);
      const tA = n.op === 'Gemm' && attrInt(n, 'transA', 0) === 1;
      const tB = n.op === 'Gemm' && attrInt(n, 'transB', 0) === 1;
      const M = outShape[outShape.length - 2];
      const N = outShape[outShape.length - 1];
      const K = tA ? sa[sa.length - 2] : sa[sa.length - 1];
      const lines = [D.letU('m', D.imod(D.idiv('i', N), M)), D.letU('n', D.imod('i', N))];
      let aBase = D.u(0);
      let bBase = D.u(0);
      if (outShape.length > 2) {
        const batch = outShape.slice(0, -2);
        lines.push(D.letU('bt', D.idiv('i', M * N)));
        aBase = `${bcastIndex(D, 'bt', batch, sa.slice(0, -2))} * ${D.u(sa[sa.length - 2] * sa[sa.length - 1])}`;
        bBase = `${bcastIndex(D, 'bt', batch, sb.slice(0, -2))} * ${D.u(sb[sb.length - 2] * sb[sb.length - 1])}`;
      }
      const aIdx = tA ? `${aBase} + kk * ${D.u(M)} + m` : `${aBase} + m * ${D.u(K)} + kk`;
      const bIdx = tB ? `${bBase} + n * ${D.u(K)} + kk` : `${bBase} + kk * ${D.u(N)} + n`;
      lines.push(D.varF('acc', D.f(0)), D.loop('kk', K, [`acc = acc + ${ex(D, n.inputs[0], `(${aIdx})`)} * ${ex(D, n.inputs[1], `(${bIdx})`)};`]));
      let res = 'acc';
      if (n.op === 'Gemm') {
        const alpha = attrFloat(n, 'alpha', 1);
        const beta = attrFloat(n, 'beta', 1);
        if (alpha !== 1) res = `${D.f(alpha)} * acc`;
        if (n.inputs[2] && beta !== 0) res = `${res} + ${beta === 1 ? '' : `${D.f(beta)} * `}${ex(D, n.inputs[2], bcastIndex(D, 'i', outShape, shapeOf(n.inputs[2])))}`;
      }
      lines.push(D.store(at, res));
      return lines;
    }
    if (n.op === 'Softmax' || n.op === 'LogSoftmax') {
      const ax = axis(attrInt(n, 'axis', -1), outShape.length);
      const inner = numel(outShape.slice(ax + 1));
      const L = outShape[ax];
      const row = `${D.idiv('i', inner * L)} * ${D.u(inner * L)} + ${D.imod('i', inner)}`;
      const x = ex(D, n.inputs[0], `(rb + j * ${D.u(inner)})`);
      const lines = [
        D.letU('rb', row),
        D.varF('mx', D.f(-F32_MAX)),
        D.loop('j', L, [`mx = ${D.call('max', ['mx', x])};`]),
        D.varF('s', D.f(0)),
        D.loop('j', L, [`s = s + ${D.call('exp', [`${x} - mx`])};`])
      ];
      const xi = ex(D, n.inputs[0], 'i');
      lines.push(D.store(at, n.op === 'Softmax' ? `${D.call('exp', [`${xi} - mx`])} / s` : `${xi} - mx - ${D.call('log', ['s'])}`));
      return lines;
    }
    if (n.op === 'LayerNormalization') {
      // Y = (x − mean) / √(var + ε) · scale + B over the axes from `axis` on; outputs 1 and 2: Mean and InvStdDev.
      const s0 = shapeOf(n.inputs[0]);
      const ax = axis(attrInt(n, 'axis', -1), s0.length);
      const normShape = s0.slice(ax);
      const inner = numel(normShape);
      const k = n.outputs.indexOf(o);
      const x = ex(D, n.inputs[0], '(rb + j)');
      const lines = [
        D.letU('rb', `${k === 0 ? D.idiv('i', inner) : 'i'} * ${D.u(inner)}`),
        D.varF('mean', D.f(0)),
        D.loop('j', inner, [`mean = mean + ${x};`]),
        `mean = mean / ${D.f(inner)};`,
        D.varF('vr', D.f(0)),
        D.loop('j', inner, [`vr = vr + (${x} - mean) * (${x} - mean);`]),
        D.varF('inv', `${D.f(1)} / ${D.call('sqrt', [`vr / ${D.f(inner)} + ${D.f(attrFloat(n, 'epsilon', 1e-5))}`])}`)
      ];
      if (k === 1) lines.push(D.store(at, 'mean'));
      else if (k === 2) lines.push(D.store(at, 'inv'));
      else {
        const within = D.imod('i', inner);
        let y = `(${ex(D, n.inputs[0], 'i')} - mean) * inv * ${ex(D, n.inputs[1], bcastIndex(D, within, normShape, shapeOf(n.inputs[1])))}`;
        if (n.inputs[2]) y = `${y} + ${ex(D, n.inputs[2], bcastIndex(D, within, normShape, shapeOf(n.inputs[2])))}`;
        lines.push(D.store(at, y));
      }
      return lines;
    }
    if (n.op === 'CumSum') {
      const ax = axis(intsOf(n, 1)![0], outShape.length);
      const inner = numel(outShape.slice(ax + 1));
      const L = outShape[ax];
      const excl = attrInt(n, 'exclusive', 0) === 1;
      const rev = attrInt(n, 'reverse', 0) === 1;
      const c = D.imod(D.idiv('i', inner), L);
      const lines = [D.letU('c', c), D.letU('rb', `i - c * ${D.u(inner)}`), D.varF('acc', D.f(0))];
      const x = ex(D, n.inputs[0], `(rb + j * ${D.u(inner)})`);
      const cond = rev ? (excl ? 'j > c' : 'j >= c') : excl ? 'j < c' : 'j <= c';
      lines.push(D.loop('j', L, [`acc = acc + ${D.ite(cond, x, D.f(0))};`]), D.store(at, 'acc'));
      return lines;
    }
    throw new UnsupportedGraph(n.op, n.name, `${n.op} is not in the playground's WebGPU kernels`);
  }

  const kernels: Kernel[] = kernelsOrder.map(({ node, out }) => {
    const w = where.get(out) as { kind: 'stored'; offset: number };
    const size = numel(shapeOf(out));
    const wgs = Math.ceil(size / 64);
    const gx = Math.min(wgs, 65535);
    const gy = Math.ceil(wgs / gx);
    slots = [];
    const wgslBody = body(WGSL, node, out, w.offset);
    const offsets = slots;
    slots = [];
    const jsBody = body(JS, node, out, w.offset);
    if (slots.join() !== offsets.join()) throw new Error(`kernel ${out}: the two dialects read different offsets`);
    const wgsl = [
      '@group(0) @binding(0) var<storage, read_write> A: array<f32>;',
      '@group(0) @binding(1) var<storage, read> O: array<u32>;',
      '@compute @workgroup_size(64)',
      'fn main(@builtin(global_invocation_id) gid: vec3u) {',
      `let i: u32 = gid.x + gid.y * ${gx * 64}u;`,
      `if (i >= ${size}u) { return; }`,
      ...wgslBody,
      '}'
    ].join('\n');
    const js = ['(A, O) => {', 'const clamp = (x, lo, hi) => Math.min(Math.max(x, lo), hi);', `for (let i = 0; i < ${size}; i++) {`, ...jsBody, '}', '}'].join('\n');
    return { output: out, node: node.name, op: node.op, size, wgsl, offsets, groups: [gx, gy], js };
  });

  return { kernels, arenaSize: arena, inputs, outputs, constants, nodeCount: g.nodes.length };
}

/** Runs a plan in JavaScript on an arena (the unit tests' stand-in for the GPU). */
export function runPlanInJs(plan: WgslPlan, arena: Float32Array): void {
  for (const c of plan.constants) arena.set(c.data, c.offset);
  const made = new Map<string, (a: Float32Array, o: number[]) => void>();
  for (const k of plan.kernels) {
    let f = made.get(k.js);
    if (!f) made.set(k.js, (f = new Function(`return ${k.js}`)() as (a: Float32Array, o: number[]) => void));
    f(arena, k.offsets);
  }
}

/** Distinct kernel sources in a plan (each one shader module and pipeline on the GPU). */
export const distinctKernels = (plan: WgslPlan): number => new Set(plan.kernels.map((k) => k.wgsl)).size;
