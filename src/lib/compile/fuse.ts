/**
 * A peephole pass over a finished train-step graph: fewer nodes for the same math. On WebGPU every node is a dispatch,
 * and on a software GPU each dispatch costs about the same, so the step time follows the node count.
 *
 * Rewrites (repeated until none applies), then dead nodes removed:
 * - **Constant folding.** Elementwise Mul / Add / Sub / Div / Neg, Reshape, Expand and Identity whose inputs are all
 *   initializers (the loss gradient's seed: `Mul(1, 1/N)`, Reshape, Expand, Neg) become initializers, computed in
 *   float32 (each result rounded with Math.fround, as ORT computes it). Expand results over 65 536 elements stay nodes.
 * - **exp(z − logsumexp(z)) = softmax(z).** The cross-entropy's gradient `Exp(Sub(z, Reshape(ReduceLogSumExp(z))))`
 *   (last axis) reads the forward pass' own `Softmax(z)` instead (saves Reshape, Sub, Exp).
 * - **c·a + (−c)·b = c·(a − b)** (and c·a + c·b = c·(a + b)) for uniform constants c: the cross-entropy's gradient
 *   `−y/N + softmax/N` becomes `(softmax − y)·(1/N)` (one node fewer). The constant keeps the broadcast shape of both.
 * - **MatMul + Add(bias) → Gemm** when both MatMul operands are 2-D, the bias is 1-D of the output's width and the
 *   product has no other reader (a Dense layer on a batch of vectors; ORT fuses the same itself).
 * - **Reshape of a Reshape** reads the first Reshape's input.
 * - **Gather of index 0 along an axis of length 1** of a graph input (x, y, masks at K = 1) is a Reshape (no copy).
 * - **Common subexpressions:** the same op with the same attributes on the same values (small constants compared by
 *   value, the inputs of Add / Mul / Equal / Max / Min in either order) is computed once.
 *
 * Value names of graph inputs and outputs never change, and no graph output is folded or removed.
 */
import { graphNames, type OnnxGraph, type OnnxNode, type OnnxTensor, type TensorData } from '$lib/onnx/graph';

export interface FuseReport {
  before: number;
  after: number;
  /** Rewrites applied, by kind. */
  rewritten: Record<string, number>;
}

/** Largest constant (elements) folding may create from an Expand. */
const MAX_FOLD = 65536;

const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);

function broadcastDims(a: number[], b: number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Flat index into a tensor of `dims` for the multi-index of `out` (broadcast). */
function broadcastIndex(dims: number[], outDims: number[]): (i: number) => number {
  const r = outDims.length;
  const d = [...Array(r - dims.length).fill(1), ...dims];
  const strides = new Array(r).fill(0);
  let s = 1;
  for (let k = r - 1; k >= 0; k--) {
    strides[k] = d[k] === 1 ? 0 : s;
    s *= d[k];
  }
  return (i: number) => {
    let idx = 0;
    for (let k = r - 1; k >= 0; k--) {
      const q = i % outDims[k];
      i = (i - q) / outDims[k];
      idx += q * strides[k];
    }
    return idx;
  };
}

const BINARY: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => a / b
};

function ints(t: OnnxTensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

/** Reshape's target dims (0 copies the input's dim, −1 the rest), or null when not resolvable. */
function reshapeDims(inDims: number[], target: number[]): number[] | null {
  const out = target.map((v, i) => (v === 0 ? inDims[i] : v));
  const known = out.filter((v) => v !== -1).reduce((a, b) => a * b, 1);
  const neg = out.filter((v) => v === -1).length;
  if (neg > 1 || out.some((v) => v === undefined)) return null;
  if (neg === 1) out[out.indexOf(-1)] = size(inDims) / known;
  return size(out) === size(inDims) ? out : null;
}

/** The folded value of a node whose inputs are all constants, or null when it is not folded. */
function fold(n: OnnxNode, c: (name: string) => OnnxTensor | undefined): { dims: number[]; data: TensorData; dtype: OnnxTensor['dtype'] } | null {
  const ins = n.inputs.map(c);
  if (ins.some((t) => !t)) return null;
  const [a, b] = ins as OnnxTensor[];
  if (BINARY[n.op] && ins.length === 2) {
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null;
    const dims = broadcastDims(a.dims, b.dims);
    if (!dims) return null;
    const ia = broadcastIndex(a.dims, dims);
    const ib = broadcastIndex(b.dims, dims);
    const f = BINARY[n.op];
    const A = a.data as Float32Array;
    const B = b.data as Float32Array;
    const data = new Float32Array(size(dims));
    for (let i = 0; i < data.length; i++) data[i] = Math.fround(f(A[ia(i)], B[ib(i)]));
    return { dims, data, dtype: 'float32' };
  }
  if (n.op === 'Neg' && a.dtype === 'float32') return { dims: a.dims, data: (a.data as Float32Array).map((v) => -v), dtype: 'float32' };
  if (n.op === 'Identity') return { dims: a.dims, data: a.data, dtype: a.dtype };
  if (n.op === 'Reshape' && b?.dtype === 'int64' && !n.attrs.allowzero) {
    const dims = reshapeDims(a.dims, ints(b));
    return dims ? { dims, data: a.data, dtype: a.dtype } : null;
  }
  if (n.op === 'Expand' && b?.dtype === 'int64' && a.dtype === 'float32') {
    const dims = broadcastDims(a.dims, ints(b));
    if (!dims || size(dims) > MAX_FOLD) return null;
    const ia = broadcastIndex(a.dims, dims);
    const A = a.data as Float32Array;
    return { dims, data: Float32Array.from({ length: size(dims) }, (_, i) => A[ia(i)]), dtype: 'float32' };
  }
  return null;
}

/** The value of a float32 constant when all its elements are equal (and it has any). */
function uniform(t: OnnxTensor | undefined): number | null {
  if (!t || t.dtype !== 'float32') return null;
  const d = t.data as Float32Array;
  if (!d.length) return null;
  for (let i = 1; i < d.length; i++) if (d[i] !== d[0]) return null;
  return d[0];
}

/**
 * Rewrite `graph` in place. `shapes` (value → dims, where known: the forward pass' values) enables the rewrites that
 * need a rank (softmax, Gemm).
 */
export function fuseGraph(graph: OnnxGraph, shapes: ReadonlyMap<string, number[]> = new Map()): FuseReport {
  const before = graph.nodes.length;
  const rewritten: Record<string, number> = {};
  const count = (kind: string) => (rewritten[kind] = (rewritten[kind] ?? 0) + 1);
  const { values: used, nodes: nodeNames, fresh } = graphNames(graph);
  const inits = new Map(graph.initializers.map((t) => [t.name, t]));
  const addInit = (t: OnnxTensor) => {
    graph.initializers.push(t);
    inits.set(t.name, t);
  };
  const int64 = (base: string, values: number[]) => {
    const name = fresh(base, used);
    addInit({ name, dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) });
    return name;
  };
  const outputs = new Set(graph.outputs.map((o) => o.name));
  const inputDims = new Map(graph.inputs.map((i) => [i.name, i.dims]));
  // A constant only when no graph input of the same name overrides it (an initializer may double as a default input).
  const constant = (name: string) => (inputDims.has(name) ? undefined : inits.get(name));

  let producer = new Map<string, OnnxNode>();
  let readers = new Map<string, OnnxNode[]>();
  const index = () => {
    producer = new Map();
    readers = new Map();
    for (const n of graph.nodes) {
      for (const o of n.outputs) producer.set(o, n);
      for (const i of n.inputs) if (i) (readers.get(i) ?? readers.set(i, []).get(i)!).push(n);
    }
  };
  const only = (value: string, reader: OnnxNode) => !outputs.has(value) && (readers.get(value) ?? []).every((r) => r === reader);
  const replaceUses = (from: string, to: string) => {
    for (const r of readers.get(from) ?? []) r.inputs = r.inputs.map((v) => (v === from ? to : v));
  };

  for (let round = 0; round < 20; round++) {
    let changed = false;
    index();
    const next: OnnxNode[] = [];
    const seen = new Map<string, OnnxNode>();
    const valueKey = (v: string) => {
      const t = constant(v);
      return t && t.data.length <= 64 ? `#${t.dtype}[${t.dims.join()}]:${Array.from(t.data as ArrayLike<number | bigint>).join()}` : v;
    };
    for (const n of graph.nodes) {
      // The same op on the same values (constants by value; Add, Mul, Equal in either order) is computed once.
      if (!IMPURE.test(n.op) && !n.outputs.some((o) => outputs.has(o))) {
        const ins = n.inputs.map(valueKey);
        if (COMMUTATIVE.has(n.op) && !n.domain) ins.sort();
        const key = `${n.domain ?? ''}:${n.op}(${ins.join('|')})${JSON.stringify(n.attrs)}/${n.outputs.length}`;
        const first = seen.get(key);
        if (first) {
          n.outputs.forEach((o, i) => replaceUses(o, first.outputs[i]));
          count('cse');
          changed = true;
          continue;
        }
        seen.set(key, n);
      }
      // Constant folding.
      if (!n.domain && n.outputs.length === 1 && !outputs.has(n.outputs[0]) && n.inputs.length) {
        const f = fold(n, constant);
        if (f) {
          addInit({ name: n.outputs[0], dtype: f.dtype, dims: f.dims, data: f.data });
          count('fold');
          changed = true;
          continue;
        }
      }
      // exp(z − logsumexp(z)) → softmax(z).
      if (n.op === 'Exp' && !outputs.has(n.outputs[0])) {
        // Only a Softmax computed before this Exp (kept in `next`): its readers stay after it.
        const sm = softmaxOf(n, producer, readers, shapes, constant, (m) => next.includes(m));
        if (sm) {
          replaceUses(n.outputs[0], sm);
          count('softmax');
          changed = true;
          next.push(n); // dead now; removed below
          continue;
        }
      }
      // c·a ± c·b → c·(a ± b).
      if (n.op === 'Add') {
        const r = factorScale(n, producer, constant, only);
        if (r) {
          const sub = fresh(`${n.name}/${r.op.toLowerCase()}`, used);
          const c = fresh(`${n.name}/scale`, used);
          addInit({ name: c, dtype: 'float32', dims: r.dims, data: new Float32Array(size(r.dims)).fill(r.scale) });
          next.push({ op: r.op, name: fresh(`${n.name}/${r.op.toLowerCase()}`, nodeNames), inputs: [r.a, r.b], outputs: [sub], attrs: {} });
          next.push({ op: 'Mul', name: n.name, inputs: [sub, c], outputs: n.outputs, attrs: {} });
          count('factor');
          changed = true;
          continue;
        }
        const gemm = gemmOf(n, producer, shapes, only);
        if (gemm) {
          next.push({ op: 'Gemm', name: n.name, inputs: gemm, outputs: n.outputs, attrs: {} });
          count('gemm');
          changed = true;
          continue;
        }
      }
      // Reshape(Reshape(x, s1), s2) → Reshape(x, s2); Reshape(Reduce(x), the kept-dims shape) → Reduce with keepdims.
      if (n.op === 'Reshape' && !n.attrs.allowzero) {
        const p = producer.get(n.inputs[0]);
        const s2 = constant(n.inputs[1]);
        if (p && REDUCE.has(p.op) && !p.domain && p.attrs.keepdims === 0 && s2 && only(n.inputs[0], n)) {
          const kept = keptDims(p, shapes.get(p.inputs[0]), constant);
          if (kept && kept.join() === ints(s2).join()) {
            next.push({ ...p, name: p.name, outputs: n.outputs, attrs: { ...p.attrs, keepdims: 1 } });
            count('reduce');
            changed = true;
            continue;
          }
        }
        if (p?.op === 'Reshape' && !p.attrs.allowzero && s2 && ints(s2).every((v) => v !== 0)) {
          next.push({ ...n, inputs: [p.inputs[0], n.inputs[1]] });
          count('reshape');
          changed = true;
          continue;
        }
      }
      // Gather(v, 0) along an axis 0 of length 1 (a graph input) → Reshape.
      if (n.op === 'Gather' && ((n.attrs.axis as number | undefined) ?? 0) === 0) {
        const dims = inputDims.get(n.inputs[0]);
        const idx = constant(n.inputs[1]);
        if (dims && dims[0] === 1 && dims.every((d) => typeof d === 'number') && idx && idx.dims.length === 0 && [0, -1].includes(ints(idx)[0])) {
          next.push({ op: 'Reshape', name: n.name, inputs: [n.inputs[0], int64(`${n.name}/shape`, (dims as number[]).slice(1))], outputs: n.outputs, attrs: {} });
          count('gather');
          changed = true;
          continue;
        }
      }
      next.push(n);
    }
    graph.nodes = next;
    // Dead nodes (no reader, not a graph output), last to first.
    index();
    const live = new Set(outputs);
    const kept: OnnxNode[] = [];
    for (let i = graph.nodes.length - 1; i >= 0; i--) {
      const n = graph.nodes[i];
      if (n.outputs.some((o) => live.has(o))) {
        kept.push(n);
        for (const v of n.inputs) if (v) live.add(v);
      } else changed = true;
    }
    graph.nodes = kept.reverse();
    if (!changed) break;
  }
  // Initializers and value infos nothing refers to any more.
  const refs = new Set<string>(graph.outputs.map((o) => o.name));
  for (const n of graph.nodes) for (const v of [...n.inputs, ...n.outputs]) refs.add(v);
  graph.initializers = graph.initializers.filter((t) => refs.has(t.name) || inputDims.has(t.name));
  graph.valueInfo = graph.valueInfo.filter((v) => refs.has(v.name));
  return { before, after: graph.nodes.length, rewritten };
}

/** Ops whose value is not a function of their inputs (never merged). */
const IMPURE = /^(Random|Dropout|Multinomial|Bernoulli)/;
const COMMUTATIVE = new Set(['Add', 'Mul', 'Equal', 'Max', 'Min', 'Sum', 'And', 'Or', 'Xor']);

const REDUCE = new Set(['ReduceMean', 'ReduceSum', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceLogSumExp', 'ReduceL2']);

/** The output shape of reduce node `r` with keepdims = 1, for an input of shape `dims` (null when unknown). */
function keptDims(r: OnnxNode, dims: number[] | undefined, constant: (n: string) => OnnxTensor | undefined): number[] | null {
  if (!dims) return null;
  let axes: number[] | undefined;
  if (r.op === 'ReduceSum') {
    if (r.inputs[1]) {
      const t = constant(r.inputs[1]);
      if (!t) return null;
      axes = ints(t);
    }
    if (r.attrs.noop_with_empty_axes && !axes?.length) return null;
  } else axes = r.attrs.axes as number[] | undefined;
  const all = !axes || !axes.length;
  const norm = new Set((axes ?? []).map((a) => (a < 0 ? a + dims.length : a)));
  return dims.map((d, i) => (all || norm.has(i) ? 1 : d));
}

function lastAxis(axis: number | undefined, rank: number): boolean {
  return axis === -1 || axis === rank - 1;
}

/** The output of `Softmax(z)` (last axis) when `exp` is `Exp(Sub(z, logsumexp(z) with kept dims))`. */
function softmaxOf(exp: OnnxNode, producer: Map<string, OnnxNode>, readers: Map<string, OnnxNode[]>, shapes: ReadonlyMap<string, number[]>, constant: (n: string) => OnnxTensor | undefined, before: (n: OnnxNode) => boolean): string | null {
  const sub = producer.get(exp.inputs[0]);
  if (sub?.op !== 'Sub') return null;
  const [z, r] = sub.inputs;
  const zDims = shapes.get(z);
  if (!zDims || !zDims.length) return null;
  const kept = [...zDims.slice(0, -1), 1];
  let lse = producer.get(r);
  if (lse?.op === 'Reshape') {
    const target = constant(lse.inputs[1]);
    if (!target || ints(target).join() !== kept.join()) return null;
    lse = producer.get(lse.inputs[0]);
    if (lse?.op !== 'ReduceLogSumExp' || lse.attrs.keepdims !== 0) return null;
  } else if (lse?.op !== 'ReduceLogSumExp' || (lse.attrs.keepdims ?? 1) !== 1) return null;
  const axes = lse.attrs.axes as number[] | undefined;
  if (lse.inputs[0] !== z || lse.inputs.length !== 1 || !axes || axes.length !== 1 || !lastAxis(axes[0], zDims.length)) return null;
  const sm = (readers.get(z) ?? []).find((n) => n.op === 'Softmax' && !n.domain && lastAxis((n.attrs.axis as number | undefined) ?? -1, zDims.length) && before(n));
  return sm ? sm.outputs[0] : null;
}

/** `Add(Mul(p, x), Mul(q, y))` with uniform constants p = ±q: q·(y − x) as Sub(y, x), or q·(x + y) as Add(x, y). */
function factorScale(add: OnnxNode, producer: Map<string, OnnxNode>, constant: (n: string) => OnnxTensor | undefined, only: (v: string, r: OnnxNode) => boolean): { op: 'Add' | 'Sub'; a: string; b: string; scale: number; dims: number[] } | null {
  const split = (v: string) => {
    const m = producer.get(v);
    if (m?.op !== 'Mul' || m.domain || !only(v, add)) return null;
    for (const k of [0, 1]) {
      const c = constant(m.inputs[k]);
      const u = uniform(c);
      if (u !== null && !constant(m.inputs[1 - k])) return { c: u, dims: c!.dims, x: m.inputs[1 - k] };
    }
    return null;
  };
  if (add.inputs.length !== 2 || add.domain) return null;
  const p = split(add.inputs[0]);
  const q = split(add.inputs[1]);
  if (!p || !q || q.c === 0) return null;
  const dims = broadcastDims(p.dims, q.dims);
  if (!dims) return null;
  if (p.c === q.c) return { op: 'Add', a: p.x, b: q.x, scale: q.c, dims };
  if (p.c === -q.c) return { op: 'Sub', a: q.x, b: p.x, scale: q.c, dims };
  return null;
}

/** Gemm's inputs (A, B, bias) when `add` is `Add(MatMul(A, B), bias)` of a Dense layer on 2-D inputs. */
function gemmOf(add: OnnxNode, producer: Map<string, OnnxNode>, shapes: ReadonlyMap<string, number[]>, only: (v: string, r: OnnxNode) => boolean): string[] | null {
  if (add.inputs.length !== 2 || add.domain) return null;
  for (const k of [0, 1]) {
    const mm = producer.get(add.inputs[k]);
    if (mm?.op !== 'MatMul' || mm.domain || !only(add.inputs[k], add)) continue;
    const [a, w] = mm.inputs;
    const bias = add.inputs[1 - k];
    const ad = shapes.get(a);
    const wd = shapes.get(w);
    const bd = shapes.get(bias);
    if (ad?.length === 2 && wd?.length === 2 && bd?.length === 1 && bd[0] === wd[1] && ad[1] === wd[0]) return [a, w, bias];
  }
  return null;
}
