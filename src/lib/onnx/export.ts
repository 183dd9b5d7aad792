/**
 * ModelSpec + weights → an ONNX model (inference), written through `graph.ts` (onnx-proto).
 *
 * Each layer lowers itself (`LayerDef.toOnnx`, in its own file). Tensors stay in Keras layout between layers
 * (batch first, channels last); image ops transpose to NCHW and back inside their lowering. Weights are initializers
 * named `<node id>/<Keras weight name>` in Keras layout; graph inputs are named after the Keras inputs with dims
 * ['batch', ...shape]; every layer's output value is named after the layer (so the model outputs are the output
 * layers' ids) and its shape is recorded as value info.
 *
 * `lowerModel` is the shared forward pass: the train-step compiler calls it with `training: true`, its own weight
 * values (graph inputs) and its `updateState` / `dropoutMask`.
 */
import { getLayer } from '$lib/layers';
import type { OnnxLowerContext } from '$lib/layers/types';
import { inferShapes } from '$lib/spec/shape';
import type { LayerNode, ModelSpec, Shape } from '$lib/spec/types';
import { encodeModel, GraphBuilder, makeModel, type OnnxModel } from './graph';

/** One weight in Keras layout (Dense kernel (in, units), Conv2D kernel (kh, kw, cin, cout)). */
export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

/** Weights by node id, then by Keras weight name: kernel, bias, gamma, beta, moving_mean, moving_variance. */
export type WeightMap = Record<string /*node id*/, Record<string /*Keras weight name*/, WeightTensor>>;

/** Thrown for a model that cannot be exported; the message names the layer and its line (also given as fields). */
export class OnnxExportError extends Error {
  constructor(
    message: string,
    /** The layer at fault (node id, Keras kind, source line), when one is. */
    public layer?: { id: string; kind: string; line: number }
  ) {
    super(message);
  }
}

const at = (node: LayerNode) => ({ id: node.id, kind: node.kind, line: node.span.line });

/** An error thrown by one of the caller's callbacks (weight, updateState, dropoutMask): passed on unchanged. */
class CallerError {
  constructor(public error: unknown) {}
}

function passThrough<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    try {
      return fn(...args);
    } catch (e) {
      throw new CallerError(e);
    }
  };
}

/** Where a node is, for messages: `Dense "dense_1" (line 7)`. */
export function describeNode(node: LayerNode): string {
  return `${node.kind} "${node.id}" (line ${node.span.line})`;
}

export interface LowerOptions {
  training: boolean;
  /** The value holding a node's weight (an initializer for export, a graph input in the train step). */
  weight(node: LayerNode, name: string): string;
  /** The value of each spec input (default: graph inputs named after the Keras inputs, dims ['batch', ...shape]). */
  inputs?: Record<string /*input id*/, string>;
  updateState?(node: LayerNode, name: string, value: string): void;
  dropoutMask?(node: LayerNode, rate: number, shape?: Shape): string;
  /** Name each layer's output value after the layer id and record its shape (default true). */
  nameOutputs?: boolean;
}

export interface LoweredModel {
  /** Value name of every node (inputs and layers) by id. */
  values: Record<string, string>;
  /** Shapes (no batch axis) by node id. */
  shapes: Record<string, Shape>;
  /** Value names of the spec's outputs, in order. */
  outputs: string[];
}

/** Shapes of every node, or an error that names the layer and line that cannot take its input. */
function shapesOf(spec: ModelSpec): Record<string, Shape> {
  const { summary, diagnostics } = inferShapes(spec);
  if (!summary) {
    const d = diagnostics[0];
    throw new OnnxExportError(d ? `line ${d.span.line}: ${d.message}` : 'the model has no valid shapes');
  }
  return summary.shapes;
}

/** Renames a value produced by the nodes from index `from` on (all its uses there included) to `name`. */
function renameValue(g: GraphBuilder, from: number, value: string, name: string): boolean {
  const nodes = g.graph.nodes.slice(from);
  const producer = nodes.find((n) => n.outputs.includes(value));
  if (!producer) return false;
  try {
    g.claim(name);
  } catch {
    return false; // the name is taken (e.g. by a graph input of the same name): keep the generated one
  }
  for (const n of nodes) {
    n.inputs = n.inputs.map((v) => (v === value ? name : v));
    n.outputs = n.outputs.map((v) => (v === value ? name : v));
  }
  return true;
}

/**
 * Adds the forward graph of `spec` to `g`: every layer through its `toOnnx`, in the spec's (topological) order.
 * Throws OnnxExportError for a layer without an ONNX lowering, naming the layer and its line.
 */
export function lowerModel(g: GraphBuilder, spec: ModelSpec, opts: LowerOptions): LoweredModel {
  const shapes = shapesOf(spec);
  const values: Record<string, string> = {};
  for (const inp of spec.inputs) {
    const given = opts.inputs?.[inp.id];
    if (given !== undefined) values[inp.id] = given;
    else if (inp.dtype === 'int32') {
      // keras.Input(dtype="int32"): the graph takes INT32 (token ids) and the layers see float32, as the data is
      // inside the app (an Embedding casts its input to int64 itself).
      const name = g.input(inp.name || inp.id, 'int32', ['batch', ...inp.shape]);
      values[inp.id] = g.node('Cast', [name], { to: 1 }, { name: `${name}/to_float` });
    } else values[inp.id] = g.input(inp.name || inp.id, 'float32', ['batch', ...inp.shape]);
  }
  const nameOutputs = opts.nameOutputs ?? true;
  for (const node of spec.layers) {
    const def = getLayer(node.kind);
    if (!def) throw new OnnxExportError(`${describeNode(node)}: unknown layer ${node.kind}`, at(node));
    if (!def.toOnnx) throw new OnnxExportError(`${describeNode(node)} cannot be exported to ONNX: ${node.kind} has no ONNX lowering yet`, at(node));
    const inputs = node.inputs.map((id) => {
      const v = values[id];
      if (v === undefined) throw new OnnxExportError(`${describeNode(node)} takes ${id}, which is not defined before it`, at(node));
      return v;
    });
    const ctx: OnnxLowerContext = {
      g,
      inputs,
      inputShapes: node.inputs.map((id) => shapes[id]),
      outputShape: shapes[node.id],
      weight: passThrough((name: string) => opts.weight(node, name)),
      training: opts.training,
      updateState: opts.updateState ? passThrough((name: string, value: string) => opts.updateState!(node, name, value)) : undefined,
      dropoutMask: opts.dropoutMask ? passThrough((rate: number, shape?: Shape) => opts.dropoutMask!(node, rate, shape)) : undefined
    };
    const first = g.graph.nodes.length;
    let out: string;
    try {
      out = def.toOnnx(node, ctx);
    } catch (e) {
      if (e instanceof CallerError) throw e.error;
      if (e instanceof OnnxExportError) throw e;
      throw new OnnxExportError(`${describeNode(node)} could not be lowered to ONNX: ${(e as Error).message}`, at(node));
    }
    if (nameOutputs && out !== node.id && renameValue(g, first, out, node.id)) out = node.id;
    if (nameOutputs && out === node.id && !spec.outputs.includes(node.id)) g.info(out, 'float32', ['batch', ...shapes[node.id]]);
    values[node.id] = out;
  }
  return { values, shapes, outputs: spec.outputs.map((id) => values[id]) };
}

export interface ExportOptions {
  /** The Keras program the spec came from (stored in the metadata as `source`). */
  source?: string;
  /** The app's version (producer_version). */
  producerVersion?: string;
  /** The seed the weights were initialised with, if they are initial weights. */
  seed?: number;
}

/** The app's version, written as producer_version when the caller gives none. */
export const DEFAULT_PRODUCER_VERSION = '0.1.0';

/**
 * The inference model of `spec` with these weights. Throws OnnxExportError (naming the layer and its line) for a
 * layer without a lowering or a missing / mis-shaped weight.
 */
export function exportOnnx(spec: ModelSpec, weights: WeightMap, opts: ExportOptions = {}): OnnxModel {
  const g = new GraphBuilder(spec.modelName || 'model');
  const made = new Map<string, string>();
  const weight = (node: LayerNode, name: string): string => {
    const key = `${node.id}/${name}`;
    const have = made.get(key);
    if (have) return have;
    const w = weights[node.id]?.[name];
    if (!w) throw new OnnxExportError(`${describeNode(node)}: no weight "${name}" was given for this layer`, at(node));
    const count = w.shape.reduce((a, b) => a * b, 1);
    if (w.data.length !== count) throw new OnnxExportError(`${describeNode(node)}: weight "${name}" holds ${w.data.length} values but its shape [${w.shape.join(', ')}] needs ${count}`, at(node));
    made.set(key, g.initializer(key, 'float32', [...w.shape], w.data));
    return key;
  };
  const lowered = lowerModel(g, spec, { training: false, weight });
  const shapes = lowered.shapes;
  spec.outputs.forEach((id, i) => {
    let v = lowered.outputs[i];
    // An output that is an input or another layer's value (a Dropout or linear Activation at the end) gets its name.
    if (v !== id) v = g.node('Identity', [v], {}, { name: `${id}/Identity`, outputNames: [id] });
    g.output(v, 'float32', ['batch', ...shapes[id]]);
  });
  const metadata: Record<string, string> = {
    model_name: spec.modelName || 'model',
    style: spec.style,
    layout: 'channels_last: inputs and outputs are laid out like x_train (batch, ..., channels)',
    inputs: JSON.stringify(spec.inputs.map((i) => ({ name: i.name || i.id, shape: i.shape, dtype: i.dtype ?? 'float32' }))),
    outputs: JSON.stringify(spec.outputs.map((id) => ({ name: id, shape: shapes[id] }))),
    keras_layers: spec.layers.map((l) => `${l.id}:${l.kind}`).join(','),
    model_spec: JSON.stringify(spec)
  };
  if (opts.source !== undefined) metadata.source = opts.source;
  if (opts.seed !== undefined) metadata.seed = String(opts.seed);
  return makeModel(g.graph, {
    producerVersion: opts.producerVersion ?? DEFAULT_PRODUCER_VERSION,
    docString: `Keras model "${spec.modelName || 'model'}" exported by nn-playground (inference: BatchNormalization uses its moving statistics, Dropout is off)`,
    metadata
  });
}

/** `exportOnnx` serialised to .onnx bytes. */
export function exportOnnxBytes(spec: ModelSpec, weights: WeightMap, opts: ExportOptions = {}): Uint8Array {
  return encodeModel(exportOnnx(spec, weights, opts));
}

/** How many nodes of each op type the graph has, most frequent first (for the CLI and the /onnx page). */
export function opHistogram(model: OnnxModel): [string, number][] {
  const counts = new Map<string, number>();
  for (const n of model.graph.nodes) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}
