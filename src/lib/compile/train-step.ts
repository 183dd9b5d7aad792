/**
 * ModelSpec → ONE ONNX graph for K whole training steps (forward + loss + backward + optimizer update), unrolled:
 * step k reads batch k of the stacked inputs and the parameters step k−1 produced.
 *
 * Graph inputs:  every trainable weight (`param:<node>/<weight>`), optimizer state (`state:<node>/<weight>/<slot>`,
 *                `state:opt/<global>`), non-trainable weights (BatchNormalization's moving statistics,
 *                `state:<node>/<weight>`), `x` (K, batch, ...input), `y` (K, batch, ...target), `lr` (scalar),
 *                and one dropout keep-mask per Dropout layer `mask:<node>` (K, batch, ...shape), scaled by 1/(1−rate).
 * Graph outputs: `new:<input name>` for every param and state, `loss` (K,) and `metric` (K,) when there is a metric.
 *
 * The forward pass is the layers' own lowerings (`lowerModel` in onnx/export.ts, `training: true`); the backward pass
 * is `backprop` over the table in grad-rules.ts; the update is optimizers.ts. Loss = Keras' mean over the batch +
 * the layers' regularization penalties (l1·Σ|w| + l2·Σw²).
 */
import { lowerModel, OnnxExportError, type WeightMap } from '$lib/onnx/export';
import { GraphBuilder, makeModel, type OnnxModel, type OnnxNode } from '$lib/onnx/graph';
import { getLayer } from '$lib/layers';
import { regularizerFactors } from '$lib/layers/regularizers';
import type { LayerNode, ModelSpec, Span } from '$lib/spec/types';
import { backprop, inferShapes, MissingRuleError, RULES, type Shapes } from './grad-rules';
import { emitLoss, resolveMetricKind, targetShape, type MetricKind } from './loss';
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
}

export interface TensorSlot {
  /** Graph input name. */
  input: string;
  /** Graph output name of its new value. */
  output: string;
  shape: number[];
}

export interface ParamSlot extends TensorSlot {
  node: string;
  weight: string;
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

const NON_TRAINABLE = new Set(['moving_mean', 'moving_variance']);

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
  for (const l of spec.layers) {
    for (const [name, w] of Object.entries(opts.weights[l.id] ?? {})) {
      const key = `${l.id}/${name}`;
      if (NON_TRAINABLE.has(name)) {
        const input = g.input(`state:${key}`, 'float32', w.shape);
        state.push({ input, output: `new:${input}`, shape: w.shape, init: w.data, node: l.id, weight: name });
        current.set(key, input);
      } else {
        const input = g.input(`param:${key}`, 'float32', w.shape);
        params.push({ input, output: `new:${input}`, shape: w.shape, node: l.id, weight: name });
        current.set(key, input);
      }
      shapes.set(`${current.get(key)}`, w.shape);
    }
  }
  const slotStates: StateSlot[][] = params.map((p) =>
    plan.slots.map((s) => {
      const input = g.input(`state:${p.node}/${p.weight}/${s.name}`, 'float32', p.shape);
      const st: StateSlot = { input, output: `new:${input}`, shape: p.shape, init: s.init };
      state.push(st);
      shapes.set(input, p.shape);
      return st;
    })
  );
  const slotValues = slotStates.map((l) => l.map((s) => s.input));
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

  let paramValues = params.map((p) => p.input);
  let slots = slotValues;
  for (let k = 0; k < K; k++) {
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
        dropoutMask: (node, rate) => {
          let m = maskInput.get(node.id);
          if (!m) {
            const layerIndex = spec.layers.indexOf(node);
            const shape = [K, B, ...(nodeShapes[node.inputs[0]] ?? [])];
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
    const upd = plan.emit(
      g,
      lr,
      paramValues.map((v, i) => ({ value: v, grad: grads.get(v)!, slots: slots[i] })),
      globals
    );
    paramValues = upd.values;
    slots = upd.slots;
    globals = upd.globals;
    // Values that cross into the next step (the update nodes themselves are not shape-inferred).
    params.forEach((p, i) => {
      shapes.set(paramValues[i], p.shape);
      slots[i].forEach((v) => shapes.set(v, p.shape));
    });
    globals.forEach((v) => shapes.set(v, []));
    params.forEach((p, i) => current.set(`${p.node}/${p.weight}`, paramValues[i]));
    for (const [key, v] of stateUpdates) current.set(key, v);
    losses.push(g.node('Reshape', [total, g.constInt64([1])], {}, { name: `step${k}/loss` }));
    if (lv.metric) metrics.push(g.node('Reshape', [lv.metric, g.constInt64([1])], {}, { name: `step${k}/metric` }));
  }

  // Outputs: new values under fixed names.
  params.forEach((p, i) => {
    out(g, paramValues[i], p.output, p.shape);
    slotStates[i].forEach((st, j) => out(g, slots[i][j], st.output, st.shape));
  });
  for (const s of state) if (s.node) out(g, current.get(`${s.node}/${s.weight}`)!, s.output, s.shape);
  globalStates.forEach((st, j) => out(g, globals[j], st.output, []));
  const lossOut = g.node(K > 1 ? 'Concat' : 'Identity', losses, K > 1 ? { axis: 0 } : {}, { outputNames: ['loss'] });
  g.output(lossOut, 'float32', [K]);
  let metricOut: string | null = null;
  if (metrics.length) {
    metricOut = g.node(K > 1 ? 'Concat' : 'Identity', metrics, K > 1 ? { axis: 0 } : {}, { outputNames: ['metric'] });
    g.output(metricOut, 'float32', [K]);
  }
  const model = makeModel(g.graph, {
    producerVersion: '0.1.0',
    docString: `Train step (${K} step${K > 1 ? 's' : ''} unrolled, batch ${B}, ${plan.name}) of "${spec.modelName || 'model'}", generated by nn-playground`
  });
  return {
    model,
    nodeCount: g.graph.nodes.length,
    batchSize: B,
    steps: K,
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

function out(g: GraphBuilder, value: string, name: string, shape: number[]): void {
  g.node('Identity', [value], {}, { outputNames: [name], name: `out/${name}` });
  g.output(name, 'float32', shape);
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
