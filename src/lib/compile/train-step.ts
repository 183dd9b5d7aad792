/**
 * ModelSpec → ONE ONNX graph for K whole training steps (forward + loss + backward + optimizer update), unrolled:
 * step k reads batch k of the stacked inputs and the parameters step k−1 produced.
 *
 * Graph inputs:  ALL trainable weights as ONE flat vector `params` (spec order, each weight row-major at its
 *                `ParamSlot.offset`), optimizer state as flat vectors of the same length (`state:slot/<slot>`) and
 *                scalars (`state:opt/<global>`), non-trainable weights (BatchNormalization's moving statistics,
 *                `state:<node>/<weight>`), `x` (K, batch, ...input), `y` (K, batch, ...target), `lr` (scalar),
 *                and one dropout keep-mask per Dropout layer `mask:<node>` (K, batch, ...shape), scaled by 1/(1−rate).
 * Graph outputs: `new:<input name>` for the flat params and every state, `loss` (K,) and `metric` (K,) when there is
 *                a metric.
 *
 * Why flat: on WebGPU every node is a dispatch. Each step views the flat vector as the weights (one Split, plus a
 * Reshape per weight that is not 1-D), flattens the gradients the same way (Reshape + one Concat) and runs the
 * optimizer update ONCE over the whole vector (~14 nodes for Adam instead of ~14 per weight). The update is
 * elementwise, so the math is exactly the per-weight one. Graph outputs are the producing nodes' own outputs
 * (renamed), not Identity copies; an Identity remains only where an output must equal a graph input or another output.
 *
 * The forward pass is the layers' own lowerings (`lowerModel` in onnx/export.ts, `training: true`); the backward pass
 * is `backprop` over the table in grad-rules.ts; the update is optimizers.ts. Loss = Keras' mean over the batch +
 * the layers' regularization penalties (l1·Σ|w| + l2·Σw²). Last, a peephole pass (fuse.ts) removes nodes without
 * changing the math: constants folded, the softmax cross-entropy's gradient as (softmax − y)/N, Dense as Gemm,
 * common subexpressions once (spiral, K = 1: 79 → 58 nodes).
 */
import { lowerModel, OnnxExportError, type WeightMap } from '$lib/onnx/export';
import { GraphBuilder, makeModel, type OnnxModel, type OnnxNode } from '$lib/onnx/graph';
import { getLayer } from '$lib/layers';
import { regularizerFactors } from '$lib/layers/regularizers';
import type { LayerNode, ModelSpec, Span } from '$lib/spec/types';
import { backprop, inferShapes, MissingRuleError, RULES, type Shapes } from './grad-rules';
import { emitLoss, resolveMetricKind, targetShape, type MetricKind } from './loss';
import { fuseGraph } from './fuse';
import { optimizerPlan } from './optimizers';
import { inferShapes as specShapes } from '$lib/spec/shape';

export type { WeightMap };

/** A model the compiler cannot handle (yet): names the op or feature it lacks and where. Eager training still works. */
export class CompileError extends Error {
  constructor(
    public op: string,
    public layer: string,
    public line: number,
    message: string
  ) {
    super(message);
  }
}

export interface CompileOptions {
  batchSize: number;
  /** K: steps unrolled in the graph (default 1). */
  steps?: number;
  /** Weights (for their names and shapes; also the initial values of non-trainable state). */
  weights: WeightMap;
  /** Run the peephole pass (fuse.ts) over the finished graph (default true; false for comparisons). */
  fuse?: boolean;
}

export interface TensorSlot {
  /** Graph input name. */
  input: string;
  /** Graph output name of its new value. */
  output: string;
  shape: number[];
}

/** A trainable weight: where it lies in the flat parameter vector (`CompiledStep.flat`). */
export interface ParamSlot {
  node: string;
  weight: string;
  shape: number[];
  /** Offset (in elements) in the flat vector. */
  offset: number;
  /** Number of elements. */
  size: number;
}

export interface StateSlot extends TensorSlot {
  /** Initial value: a fill value, or the tensor (moving statistics, from the weights). */
  init: number | Float32Array;
  /** For weights (moving statistics): where they go in a WeightMap. */
  node?: string;
  weight?: string;
}

export interface MaskSlot {
  input: string;
  node: string;
  /** Index of the layer in spec.layers (mixes into the mask seed). */
  layerIndex: number;
  rate: number;
  /** Shape of the whole input: (K, batch, ...layer input shape). */
  shape: number[];
}

export interface CompiledStep {
  model: OnnxModel;
  nodeCount: number;
  batchSize: number;
  steps: number;
  /** The flat vector of all trainable weights (graph input and output); null when the model has none. */
  flat: TensorSlot | null;
  params: ParamSlot[];
  state: StateSlot[];
  masks: MaskSlot[];
  inputs: { x: string; y: string; lr: string; xShape: number[]; yShape: number[] };
  outputs: { loss: string; metric: string | null };
  metricKind: MetricKind | null;
  optimizer: string;
  /** ms to build the graph (not counting the session). */
  buildMs: number;
}

const lossSpan = (spec: ModelSpec): Span | undefined => spec.compile?.span;

function layerOfNode(spec: ModelSpec, n: OnnxNode | undefined): LayerNode | undefined {
  if (!n) return undefined;
  const id = n.name.split('/')[0];
  return spec.layers.find((l) => l.id === id);
}

function refuse(spec: ModelSpec, e: unknown, nodes: OnnxNode[]): never {
  if (e instanceof CompileError) throw e;
  const idx = (e as { nodeIndex?: number }).nodeIndex;
  const node = idx !== undefined ? nodes[idx] : undefined;
  const layer = layerOfNode(spec, node);
  const op = e instanceof MissingRuleError ? e.op : (node?.op ?? 'unknown');
  const where = layer ? `${layer.kind} "${layer.id}" (line ${layer.span.line})` : node ? `the loss (line ${lossSpan(spec)?.line ?? 0})` : 'the model';
  throw new CompileError(op, layer?.id ?? (node ? 'loss' : ''), layer?.span.line ?? lossSpan(spec)?.line ?? 0, `The compiled step cannot train ${where} yet: ${(e as Error).message}. Eager training works.`);
}

/** An OnnxExportError (from a layer's lowering) as a CompileError at that layer (its message names it). */
function fromExportError(spec: ModelSpec, e: OnnxExportError): CompileError {
  const m = /^(\w+) "([^"]+)" \(line (\d+)\)/.exec(e.message);
  const byLine = /^line (\d+):/.exec(e.message);
  const layer = m ? spec.layers.find((l) => l.id === m[2]) : byLine ? spec.layers.find((l) => l.span.line === Number(byLine[1])) : undefined;
  return new CompileError(layer?.kind ?? 'lowering', layer?.id ?? '', layer?.span.line ?? 0, `The compiled step cannot train this model: ${e.message}. Eager training works.`);
}

/** Checks that need no weights: every layer has an ONNX lowering, the compile() is supported. */
function precheck(spec: ModelSpec): void {
  if (!spec.compile) throw new CompileError('compile', '', 0, 'The model is not compiled — call model.compile(...) first');
  if (spec.inputs.length !== 1 || spec.outputs.length !== 1) {
    const l = spec.layers[spec.layers.length - 1];
    throw new CompileError('multiple inputs/outputs', l?.id ?? '', l?.span.line ?? 0, 'The compiled step handles models with one input and one output');
  }
  for (const l of spec.layers) {
    if (!getLayer(l.kind)?.toOnnx) throw new CompileError(l.kind, l.id, l.span.line, `The compiled step cannot train ${l.kind} "${l.id}" (line ${l.span.line}): it has no ONNX lowering yet. Eager training works.`);
  }
  try {
    optimizerPlan(spec.compile.optimizer);
  } catch (e) {
    throw new CompileError(spec.compile.optimizer.name, 'optimizer', spec.compile.optimizer.span.line, (e as Error).message);
  }
}

/** Lower the spec to the K-step train graph. Throws CompileError for what the compiler lacks. */
export function compileTrainStep(spec: ModelSpec, opts: CompileOptions): CompiledStep {
  const t0 = performance.now();
  precheck(spec);
  const compile = spec.compile!;
  const K = Math.max(1, Math.floor(opts.steps ?? 1));
  const B = opts.batchSize;
  const g = new GraphBuilder(`${spec.modelName || 'model'}_train_step`);
  const shapes: Shapes = new Map();
  const plan = optimizerPlan(compile.optimizer);
  const nodeShapes: Record<string, number[]> = specShapes(spec).summary?.shapes ?? {};

  // Parameters and non-trainable weights, in spec order, as graph inputs.
  const params: ParamSlot[] = [];
  const state: StateSlot[] = [];
  const current = new Map<string, string>(); // `${node}/${weight}` → current value
  let flatSize = 0;
  for (const l of spec.layers) {
    const weightDefs = getLayer(l.kind)?.weights ?? [];
    for (const [name, w] of Object.entries(opts.weights[l.id] ?? {})) {
      const key = `${l.id}/${name}`;
      // A non-trainable weight (the layer declares it, e.g. BatchNormalization's moving statistics) is state.
      if (weightDefs.some((d) => d.name === name && !d.trainable)) {
        const input = g.input(`state:${key}`, 'float32', w.shape);
        state.push({ input, output: `new:${input}`, shape: w.shape, init: w.data, node: l.id, weight: name });
        current.set(key, input);
        shapes.set(input, w.shape);
      } else {
        const size = w.shape.reduce((a, b) => a * b, 1);
        params.push({ shape: w.shape, node: l.id, weight: name, offset: flatSize, size });
        flatSize += size;
      }
    }
  }
  const flatShape = [flatSize];
  let flat: TensorSlot | null = null;
  if (params.length) {
    const input = g.input('params', 'float32', flatShape);
    shapes.set(input, flatShape);
    flat = { input, output: `new:${input}`, shape: flatShape };
  }
  const slotStates: StateSlot[] = params.length
    ? plan.slots.map((s) => {
        const input = g.input(`state:slot/${s.name}`, 'float32', flatShape);
        const st: StateSlot = { input, output: `new:${input}`, shape: flatShape, init: s.init };
        state.push(st);
        shapes.set(input, flatShape);
        return st;
      })
    : [];
  const globalStates: StateSlot[] = plan.globals.map((s) => {
    const input = g.input(`state:opt/${s.name}`, 'float32', []);
    const st: StateSlot = { input, output: `new:${input}`, shape: [], init: s.init };
    state.push(st);
    shapes.set(input, []);
    return st;
  });
  let globals = globalStates.map((s) => s.input);

  const inp = spec.inputs[0];
  const outId = spec.outputs[0];
  const xShape = [K, B, ...inp.shape];
  const x = g.input('x', 'float32', xShape);
  shapes.set(x, xShape);
  const lr = g.input('lr', 'float32', []);
  shapes.set(lr, []);

  const masks: MaskSlot[] = [];
  const maskInput = new Map<string, string>();
  let yName = '';
  let yShape: number[] = [];
  const losses: string[] = [];
  const metrics: string[] = [];
  let metricKind: MetricKind | null = null;
  const pick = (v: string, k: number, rest: number[]) => {
    const out = g.node('Gather', [v, g.constInt64(k)], { axis: 0 }, { name: `step${k}/batch` });
    shapes.set(out, [B, ...rest]);
    return out;
  };

  let flatValue = flat?.input ?? '';
  let slots = slotStates.map((s) => s.input);
  for (let k = 0; k < K; k++) {
    // This step's weights: views of the flat vector (not differentiated through: the gradient is taken wrt the views).
    const paramValues = flat ? paramViews(g, flatValue, params, k) : [];
    params.forEach((p, i) => {
      shapes.set(paramValues[i], p.shape);
      current.set(`${p.node}/${p.weight}`, paramValues[i]);
    });
    const from = g.graph.nodes.length;
    const xk = pick(x, k, inp.shape);
    const stateUpdates = new Map<string, string>();
    let lowered;
    try {
      lowered = lowerModel(g, spec, {
        training: true,
        nameOutputs: false,
        inputs: { [inp.id]: xk },
        weight: (node, name) => {
          const v = current.get(`${node.id}/${name}`);
          if (!v) throw new CompileError(node.kind, node.id, node.span.line, `${node.kind} "${node.id}" (line ${node.span.line}): no initial value for its weight "${name}"`);
          return v;
        },
        updateState: (node, name, value) => stateUpdates.set(`${node.id}/${name}`, value),
        dropoutMask: (node, rate, maskShape) => {
          let m = maskInput.get(node.id);
          if (!m) {
            const layerIndex = spec.layers.indexOf(node);
            const shape = [K, B, ...(maskShape ?? nodeShapes[node.inputs[0]] ?? [])];
            m = g.input(`mask:${node.id}`, 'float32', shape);
            shapes.set(m, shape);
            masks.push({ input: m, node: node.id, layerIndex, rate, shape });
            maskInput.set(node.id, m);
          }
          const mk = g.node('Gather', [m, g.constInt64(k)], { axis: 0 }, { name: `${node.id}/mask_step${k}` });
          return mk;
        }
      });
    } catch (e) {
      if (e instanceof CompileError) throw e;
      if (e instanceof OnnxExportError) throw fromExportError(spec, e);
      throw e;
    }
    const outShape = lowered.shapes[outId];
    if (k === 0) {
      const ts = targetShape(compile.loss, outShape);
      yShape = [K, B, ...ts];
      yName = g.input('y', 'float32', yShape);
      shapes.set(yName, yShape);
      metricKind = resolveMetricKind(compile.loss, compile.metrics, outShape[outShape.length - 1] ?? 1);
    }
    const yk = pick(yName, k, yShape.slice(2));
    const pred = lowered.outputs[0];
    const producer = g.graph.nodes.slice(from).find((n) => n.outputs.includes(pred));
    const lv = emitLoss(g, compile.loss, metricKind, pred, producer, yk, outShape);
    // Regularization penalties on the weights at the start of this step.
    let total = lv.loss;
    for (const l of spec.layers) {
      for (const [arg, v] of Object.entries(l.args)) {
        if (!arg.endsWith('_regularizer') || v === null || v === undefined) continue;
        const w = current.get(`${l.id}/${arg.slice(0, -'_regularizer'.length)}`);
        const r = regularizerFactors(l.kind, arg, v);
        if (!w || !r) continue;
        if (r.l1) total = g.node('Add', [total, g.node('Mul', [g.constFloat(r.l1), g.node('ReduceSum', [g.node('Abs', [w])], { keepdims: 0 })])], {}, { name: `${l.id}/l1_penalty` });
        if (r.l2) total = g.node('Add', [total, g.node('Mul', [g.constFloat(r.l2), g.node('ReduceSum', [g.node('Mul', [w, w])], { keepdims: 0 })])], {}, { name: `${l.id}/l2_penalty` });
      }
    }
    try {
      inferShapes(g, shapes, from);
    } catch (e) {
      refuse(spec, e, g.graph.nodes);
    }
    const end = g.graph.nodes.length;
    let grads: Map<string, string>;
    try {
      grads = backprop(g, total, paramValues, shapes, { nodeLimit: end });
    } catch (e) {
      refuse(spec, e, g.graph.nodes);
    }
    // The backward part of the gradient rules only reads forward nodes (from..end); nodes before `from` are earlier steps.
    // One update over the flat vector (elementwise: the same math as one update per weight).
    const upd = plan.emit(g, lr, flat ? [{ value: flatValue, grad: flatGrad(g, paramValues.map((v) => grads.get(v)!), params, k), slots }] : [], globals);
    if (flat) {
      flatValue = upd.values[0];
      slots = upd.slots[0];
      // Values that cross into the next step (the update nodes themselves are not shape-inferred).
      shapes.set(flatValue, flatShape);
      slots.forEach((v) => shapes.set(v, flatShape));
    }
    globals = upd.globals;
    globals.forEach((v) => shapes.set(v, []));
    for (const [key, v] of stateUpdates) current.set(key, v);
    losses.push(g.node('Reshape', [total, g.constInt64([1])], {}, { name: `step${k}/loss` }));
    if (lv.metric) metrics.push(g.node('Reshape', [lv.metric, g.constInt64([1])], {}, { name: `step${k}/metric` }));
  }

  // Outputs: new values under fixed names (the producing nodes' outputs renamed; Identity only where needed).
  if (flat) {
    out(g, flatValue, flat.output, flatShape);
    slotStates.forEach((st, j) => out(g, slots[j], st.output, st.shape));
  }
  for (const s of state) if (s.node) out(g, current.get(`${s.node}/${s.weight}`)!, s.output, s.shape);
  globalStates.forEach((st, j) => out(g, globals[j], st.output, []));
  if (K > 1) g.output(g.node('Concat', losses, { axis: 0 }, { outputNames: ['loss'] }), 'float32', [K]);
  else out(g, losses[0], 'loss', [K]);
  let metricOut: string | null = null;
  if (metrics.length) {
    metricOut = 'metric';
    if (K > 1) g.output(g.node('Concat', metrics, { axis: 0 }, { outputNames: [metricOut] }), 'float32', [K]);
    else out(g, metrics[0], metricOut, [K]);
  }
  // Fewer nodes for the same math: constants folded, softmax cross-entropy's gradient, Dense as Gemm (fuse.ts).
  if (opts.fuse !== false) fuseGraph(g.graph, shapes);
  const model = makeModel(g.graph, {
    producerVersion: '0.1.0',
    docString: `Train step (${K} step${K > 1 ? 's' : ''} unrolled, batch ${B}, ${plan.name}) of "${spec.modelName || 'model'}", generated by nn-playground`
  });
  return {
    model,
    nodeCount: g.graph.nodes.length,
    batchSize: B,
    steps: K,
    flat,
    params,
    state,
    masks,
    inputs: { x, y: yName, lr, xShape, yShape },
    outputs: { loss: 'loss', metric: metricOut },
    metricKind,
    optimizer: plan.name,
    buildMs: performance.now() - t0
  };
}

/**
 * Declare `value` as the graph output `name`: renames the node output that produces it (and its uses), so no copy
 * node is needed. An Identity only when `value` is not a node output (a graph input, e.g. a state no step updates)
 * or is already a graph output (two outputs equal).
 */
function out(g: GraphBuilder, value: string, name: string, shape: number[]): void {
  const producer = g.graph.nodes.find((n) => n.outputs.includes(value));
  if (!producer || g.graph.outputs.some((o) => o.name === value)) {
    g.node('Identity', [value], {}, { outputNames: [name], name: `out/${name}` });
  } else {
    g.claim(name);
    producer.outputs = producer.outputs.map((o) => (o === value ? name : o));
    for (const n of g.graph.nodes) if (n.inputs.includes(value)) n.inputs = n.inputs.map((v) => (v === value ? name : v));
    for (const v of g.graph.valueInfo) if (v.name === value) v.name = name;
  }
  g.output(name, 'float32', shape);
}

/** The weights as views of the flat vector: one Split (none for a single weight), a Reshape for each non-1-D one. */
function paramViews(g: GraphBuilder, flat: string, params: ParamSlot[], k: number): string[] {
  const parts =
    params.length === 1
      ? [flat]
      : g.nodeMulti('Split', [flat, g.constInt64(params.map((p) => p.size))], { axis: 0 }, { name: `step${k}/params`, outputs: params.length });
  return params.map((p, i) => (p.shape.length === 1 ? parts[i] : g.node('Reshape', [parts[i], g.constInt64(p.shape)], {}, { name: `step${k}/${p.node}/${p.weight}` })));
}

/** The gradients as one flat vector, in the layout of the parameters (Reshape to 1-D where needed, one Concat). */
function flatGrad(g: GraphBuilder, grads: string[], params: ParamSlot[], k: number): string {
  const parts = grads.map((gv, i) => (params[i].shape.length === 1 ? gv : g.node('Reshape', [gv, g.constInt64([params[i].size])], {}, { name: `step${k}/grad/${params[i].node}/${params[i].weight}` })));
  return parts.length === 1 ? parts[0] : g.node('Concat', parts, { axis: 0 }, { name: `step${k}/grad` });
}


/**
 * Whether the spec can be compiled (cheap: lowers the forward pass with placeholder weights and checks every op
 * against the gradient table; no session). A refusal names the op, the layer and its line.
 */
export function checkCompiledSupport(spec: ModelSpec): { ok: true } | { ok: false; op: string; layer: string; line: number; message: string } {
  try {
    precheck(spec);
    const g = new GraphBuilder('check');
    const made = new Map<string, string>();
    lowerModel(g, spec, {
      training: true,
      nameOutputs: false,
      weight: (node, name) => {
        const key = `${node.id}/${name}`;
        if (!made.has(key)) made.set(key, g.input(`w:${key}`, 'float32', []));
        return made.get(key)!;
      },
      updateState: () => undefined,
      dropoutMask: (node) => g.input(`mask:${node.id}:${g.graph.inputs.length}`, 'float32', [])
    });
    for (const [i, n] of g.graph.nodes.entries()) {
      if (!RULES[n.op]) refuse(spec, Object.assign(new MissingRuleError(n.op, `${n.op} has no gradient rule`), { nodeIndex: i }), g.graph.nodes);
    }
    return { ok: true };
  } catch (e) {
    if (e instanceof OnnxExportError) e = fromExportError(spec, e);
    if (e instanceof CompileError) return { ok: false, op: e.op, layer: e.layer, line: e.line, message: e.message };
    return { ok: false, op: 'lowering', layer: '', line: 0, message: (e as Error).message };
  }
}
