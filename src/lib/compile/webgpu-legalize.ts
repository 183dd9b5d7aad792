/**
 * Rewrites a compiled step graph so that every node fits ORT's WebGPU (JSEP) provider.
 *
 * - **At most 8 storage buffers per kernel.** ORT 1.30 requests its WebGPU device without raising
 *   `maxStorageBuffersPerShaderStage`, so it gets WebGPU's default, 8 (SwiftShader's adapter offers 10; real GPUs vary),
 *   and its Split and Concat kernels bind every output / input as a storage buffer of its own. A Split into 8 or more
 *   parts, or a Concat of 8 or more inputs, makes a pipeline WebGPU rejects ("The number of storage buffers (9) in the
 *   Compute stage exceeds the maximum per-stage limit (8)"). The error is only logged: the command buffer holding that
 *   dispatch (ORT puts up to 16 in one) is dropped, so the step silently computes with stale or zero tensors. The
 *   char-GRU's unrolled recurrence splits its input into `seq_len` steps and concatenates `seq_len` outputs (and the
 *   flat parameter vector is split into one part per weight): its losses were wrong from seq_len 8 on, right at 4.
 *   Here a wide Split becomes a tree of Splits and a wide Concat a tree of Concats, each within the limit.
 * - **No `Sum` kernel.** JSEP has none, so ORT ran every `Sum` (gradient accumulation of a value used three or more
 *   times) on the CPU, with a copy each way, and refused graph capture for the whole step ("all compute graph nodes
 *   have not been partitioned to the JsExecutionProvider"). Here each `Sum` becomes a balanced tree of `Add`s.
 * - **No int64 Cast.** sparse_categorical_accuracy casts ArgMax's int64 index to float; that Cast ran on the CPU, with
 *   the same effect. Here such an ArgMax + Cast is the first index of the largest value computed in float32
 *   (ReduceMax, Equal, CumSum of ones, Where, ReduceMin: the same value, ties included).
 *
 * The rewritten graph computes the same values (Concat and Split are exact; the Add tree sums in another order) and
 * keeps every value name, so the step's inputs, outputs and slots are unchanged. Used for the webgpu provider only.
 */
import { graphNames, type OnnxModel, type OnnxNode, type OnnxTensor } from '$lib/onnx/graph';

/** Storage buffers one ORT WebGPU kernel may bind (WebGPU's default `maxStorageBuffersPerShaderStage`). */
export const WEBGPU_MAX_BUFFERS = 8;

export interface LegalizeReport {
  /** Nodes rewritten, by op. */
  rewritten: Record<string, number>;
  /** Nodes in the graph after the rewrite. */
  nodeCount: number;
}

/** Groups of consecutive items, at most `width` groups of near-equal size. */
function chunks<T>(items: T[], width: number): T[][] {
  const per = Math.ceil(items.length / width);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += per) out.push(items.slice(i, i + per));
  return out;
}

export function legalizeForWebGpu(model: OnnxModel, maxBuffers = WEBGPU_MAX_BUFFERS): { model: OnnxModel; report: LegalizeReport } {
  const graph = model.graph;
  const { values: used, nodes: nodeNames, fresh } = graphNames(graph);
  const initializers = new Map(graph.initializers.map((t) => [t.name, t]));
  const added: OnnxTensor[] = [];
  const int64 = (base: string, values: number[]): string => {
    const name = fresh(base, used);
    added.push({ name, dtype: 'int64', dims: [values.length], data: BigInt64Array.from(values.map((v) => BigInt(v))) });
    return name;
  };
  const rewritten: Record<string, number> = {};
  const nodes: OnnxNode[] = [];
  const emit = (from: OnnxNode, op: string, inputs: string[], outputs: string[], attrs: OnnxNode['attrs']) =>
    nodes.push({ op, name: fresh(`${from.name}/webgpu`, nodeNames), inputs, outputs, attrs, ...(from.domain ? { domain: from.domain } : {}) });

  /** Split `input` into parts of `sizes` named `outs` with Splits of at most maxBuffers − 1 outputs. */
  const split = (from: OnnxNode, input: string, sizes: number[], outs: string[]) => {
    if (outs.length <= maxBuffers - 1) return void emit(from, 'Split', [input, int64(`${from.name}/sizes`, sizes)], outs, from.attrs);
    const groups = chunks(
      sizes.map((s, i) => ({ s, out: outs[i] })),
      maxBuffers - 1
    );
    const mids = groups.map((gr) => (gr.length === 1 ? gr[0].out : fresh(`${from.name}/part`, used)));
    emit(from, 'Split', [input, int64(`${from.name}/sizes`, groups.map((gr) => gr.reduce((a, b) => a + b.s, 0)))], mids, from.attrs);
    groups.forEach((gr, i) => {
      if (gr.length > 1) split(from, mids[i], gr.map((e) => e.s), gr.map((e) => e.out));
    });
  };
  /** Concat `inputs` into `out` with Concats of at most maxBuffers − 1 inputs. */
  const concat = (from: OnnxNode, inputs: string[], out: string) => {
    if (inputs.length <= maxBuffers - 1) return void emit(from, 'Concat', inputs, [out], from.attrs);
    const groups = chunks(inputs, maxBuffers - 1);
    const mids = groups.map((gr) => {
      if (gr.length === 1) return gr[0];
      const mid = fresh(`${from.name}/part`, used);
      concat(from, gr, mid);
      return mid;
    });
    concat(from, mids, out);
  };
  /** Sum `inputs` into `out` as a balanced tree of Adds. */
  const sum = (from: OnnxNode, inputs: string[], out: string) => {
    let level = inputs;
    while (level.length > 2) {
      const next: string[] = [];
      for (let i = 0; i + 1 < level.length; i += 2) {
        const mid = fresh(`${from.name}/add`, used);
        emit(from, 'Add', [level[i], level[i + 1]], [mid], {});
        next.push(mid);
      }
      if (level.length % 2) next.push(level[level.length - 1]);
      level = next;
    }
    emit(from, 'Add', level, [out], {});
  };

  /** float32 scalar constant. */
  const scalar = (base: string, v: number): string => {
    const name = fresh(base, used);
    added.push({ name, dtype: 'float32', dims: [], data: Float32Array.of(v) });
    return name;
  };
  // ArgMax whose only consumer is a Cast to float (sparse_categorical_accuracy): the index computed in float32.
  const consumers = new Map<string, OnnxNode[]>();
  for (const n of graph.nodes) for (const i of n.inputs) consumers.set(i, [...(consumers.get(i) ?? []), n]);
  const graphOutputs = new Set(graph.outputs.map((o) => o.name));
  const floatArgMax = new Map<OnnxNode, OnnxNode>(); // the Cast → its ArgMax
  for (const n of graph.nodes) {
    if (n.op !== 'ArgMax' || n.domain || n.attrs.select_last_index || graphOutputs.has(n.outputs[0])) continue;
    const use = consumers.get(n.outputs[0]) ?? [];
    if (use.length === 1 && use[0].op === 'Cast' && use[0].attrs.to === 1) floatArgMax.set(use[0], n);
  }
  const skip = new Set(floatArgMax.values());
  /** The first index of the largest value along `axis`, as float: min over (x == max ? position : 3e38). */
  const argMaxFloat = (from: OnnxNode, x: string, axis: number, keepdims: number, out: string) => {
    const v = (what: string) => fresh(`${from.name}/${what}`, used);
    const [top, isMax, zero, ones, cum, pos, masked] = ['max', 'is_max', 'zero', 'ones', 'cumsum', 'position', 'masked'].map(v);
    const axisName = fresh(`${from.name}/axis`, used);
    added.push({ name: axisName, dtype: 'int64', dims: [], data: BigInt64Array.of(BigInt(axis)) });
    const one = scalar(`${from.name}/one`, 1);
    emit(from, 'ReduceMax', [x], [top], { axes: [axis], keepdims: 1 });
    emit(from, 'Equal', [x, top], [isMax], {});
    emit(from, 'Mul', [x, scalar(`${from.name}/zero`, 0)], [zero], {}); // x is finite (probabilities or logits)
    emit(from, 'Add', [zero, one], [ones], {});
    emit(from, 'CumSum', [ones, axisName], [cum], {});
    emit(from, 'Sub', [cum, one], [pos], {});
    emit(from, 'Where', [isMax, pos, scalar(`${from.name}/none`, 3e38)], [masked], {});
    emit(from, 'ReduceMin', [masked], [out], { axes: [axis], keepdims });
  };

  for (const n of graph.nodes) {
    const count = () => (rewritten[n.op] = (rewritten[n.op] ?? 0) + 1);
    if (skip.has(n)) continue;
    const am = floatArgMax.get(n);
    if (am) {
      rewritten.ArgMax = (rewritten.ArgMax ?? 0) + 1;
      argMaxFloat(am, am.inputs[0], typeof am.attrs.axis === 'number' ? am.attrs.axis : 0, typeof am.attrs.keepdims === 'number' ? am.attrs.keepdims : 1, n.outputs[0]);
      continue;
    }
    const sizes = n.op === 'Split' && n.inputs[1] ? initializers.get(n.inputs[1]) : undefined;
    if (n.op === 'Split' && n.outputs.length > maxBuffers - 1 && sizes && !n.domain) {
      count();
      split(n, n.inputs[0], Array.from(sizes.data as BigInt64Array, Number), n.outputs);
    } else if (n.op === 'Concat' && n.inputs.length > maxBuffers - 1 && !n.domain) {
      count();
      concat(n, n.inputs, n.outputs[0]);
    } else if (n.op === 'Sum' && n.inputs.length >= 2 && !n.domain) {
      count();
      sum(n, n.inputs, n.outputs[0]);
    } else nodes.push(n);
  }
  if (!Object.keys(rewritten).length) return { model, report: { rewritten, nodeCount: graph.nodes.length } };
  return {
    model: { ...model, graph: { ...graph, nodes, initializers: [...graph.initializers, ...added] } },
    report: { rewritten, nodeCount: nodes.length }
  };
}
