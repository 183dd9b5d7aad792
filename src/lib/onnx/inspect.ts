/**
 * What the /onnx page shows of a model file: properties, inputs/outputs, the nodes with their op types and the
 * shapes that are known, parameters and bytes per initializer, and a histogram of op types. Pure; anything that is
 * not a usable ONNX model throws OnnxFormatError with a message for the user.
 */
import { decodeModel, OnnxFormatError, type AttrValue, type Dim, type DType, type OnnxModel, type ValueInfo } from './graph';

export interface InitializerRow {
  name: string;
  dtype: DType;
  dims: number[];
  params: number;
  bytes: number;
}

export interface ValueRef {
  name: string;
  dtype?: DType;
  /** Known shape (from the graph's inputs, outputs, value_info or initializers), else undefined. */
  dims?: Dim[];
  /** Where it comes from: a graph input, an initializer, or the node that produces it. */
  source: 'input' | 'initializer' | 'node' | 'none';
}

export interface NodeRow {
  name: string;
  op: string;
  domain: string;
  inputs: ValueRef[];
  outputs: ValueRef[];
  attrs: string;
  /** Names of the nodes (or graph inputs, as `input:name`) that feed this one. */
  from: string[];
}

export interface ModelInfo {
  producer: string;
  producerVersion: string;
  irVersion: number;
  opsets: { domain: string; version: number }[];
  graphName: string;
  docString?: string;
  metadata: Record<string, string>;
  /** Real inputs (initializers listed as inputs by old exporters are left out). */
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  nodes: NodeRow[];
  initializers: InitializerRow[];
  params: number;
  bytes: number;
  ops: { op: string; count: number }[];
  /** Things worth knowing that do not stop the model from loading (unusual domains, …). */
  warnings: string[];
}

const BYTES: Record<DType, number> = { float32: 4, float16: 2, int64: 8, int32: 4, int8: 1, uint8: 1, bool: 1 };

export const dimsText = (dims: readonly Dim[] | undefined) => (dims ? `[${dims.join(', ')}]` : '?');

function attrText(v: AttrValue): string {
  if (typeof v === 'number' || typeof v === 'string') return String(v);
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if ('float' in v) return String(Math.round(v.float * 1e6) / 1e6);
  if ('floats' in v) return `[${v.floats.map((f) => Math.round(f * 1e6) / 1e6).join(', ')}]`;
  return `tensor ${v.tensor.dtype}${dimsText(v.tensor.dims)}`;
}

const KNOWN_DOMAINS = new Set(['', 'ai.onnx', 'com.microsoft']);

/** Summary of a decoded model; throws OnnxFormatError when its graph is not usable. */
export function inspectModel(m: OnnxModel): ModelInfo {
  const g = m.graph;
  if (g.nodes.length === 0) throw new OnnxFormatError('This model has no nodes: its graph is empty (a truncated or unfinished file?)');
  if (g.outputs.length === 0) throw new OnnxFormatError('This model declares no outputs, so there is nothing to run');
  const inits = new Map(g.initializers.map((t) => [t.name, t]));
  const shapes = new Map<string, { dtype?: DType; dims?: Dim[] }>();
  for (const v of [...g.valueInfo, ...g.inputs, ...g.outputs]) shapes.set(v.name, { dtype: v.dtype, dims: v.dims });
  for (const t of g.initializers) shapes.set(t.name, { dtype: t.dtype, dims: t.dims });
  const inputs = g.inputs.filter((v) => !inits.has(v.name));
  const inputNames = new Set(inputs.map((v) => v.name));
  const producer = new Map<string, string>();
  for (const n of g.nodes) for (const o of n.outputs) if (o) producer.set(o, n.name);

  const ref = (name: string): ValueRef => ({
    name,
    ...shapes.get(name),
    source: inputNames.has(name) ? 'input' : inits.has(name) ? 'initializer' : producer.has(name) ? 'node' : 'none'
  });
  const nodes: NodeRow[] = g.nodes.map((n) => {
    const ins = n.inputs.filter((s) => s !== '').map(ref);
    // Subgraphs (If/Loop/Scan) read values of the outer graph implicitly: only check ordinary nodes.
    const missing = ins.find((r) => r.source === 'none');
    if (missing) throw new OnnxFormatError(`Node ${n.name} (${n.op}) reads ${missing.name}, which no input, initializer or node produces: the graph is broken`);
    return {
      name: n.name,
      op: n.op,
      domain: n.domain ?? '',
      inputs: ins,
      outputs: n.outputs.filter((s) => s !== '').map(ref),
      attrs: Object.entries(n.attrs)
        .map(([k, v]) => `${k}=${attrText(v)}`)
        .join(', '),
      from: [...new Set(ins.flatMap((r) => (r.source === 'node' ? [producer.get(r.name)!] : r.source === 'input' ? [`input:${r.name}`] : [])))]
    };
  });
  for (const o of g.outputs) {
    if (!producer.has(o.name) && !inputNames.has(o.name) && !inits.has(o.name)) {
      throw new OnnxFormatError(`Output ${o.name} is produced by no node: the graph is broken`);
    }
  }
  const initializers = g.initializers.map((t) => {
    const params = t.dims.reduce((a, b) => a * b, 1);
    return { name: t.name, dtype: t.dtype, dims: t.dims, params, bytes: params * BYTES[t.dtype] };
  });
  const hist = new Map<string, number>();
  for (const n of g.nodes) hist.set(n.op, (hist.get(n.op) ?? 0) + 1);
  const warnings: string[] = [];
  for (const d of Object.keys(m.opsets)) if (!KNOWN_DOMAINS.has(d)) warnings.push(`Uses the operator domain ${d}, which ONNX Runtime Web may not support.`);
  if (!m.opsets[''] && !m.opsets['ai.onnx']) warnings.push('Declares no ai.onnx opset.');
  return {
    producer: m.producerName,
    producerVersion: m.producerVersion,
    irVersion: m.irVersion,
    opsets: Object.entries(m.opsets).map(([domain, version]) => ({ domain: domain || 'ai.onnx', version })),
    graphName: g.name,
    docString: m.docString,
    metadata: m.metadata,
    inputs,
    outputs: g.outputs,
    nodes,
    initializers,
    params: initializers.reduce((a, r) => a + r.params, 0),
    bytes: initializers.reduce((a, r) => a + r.bytes, 0),
    ops: [...hist].map(([op, count]) => ({ op, count })).sort((a, b) => b.count - a.count || a.op.localeCompare(b.op)),
    warnings
  };
}

/** Decode and summarise .onnx bytes (OnnxFormatError for anything unusable). */
export function inspectBytes(bytes: Uint8Array): { model: OnnxModel; info: ModelInfo } {
  const model = decodeModel(bytes);
  if (!model.irVersion && !model.producerName && model.graph.nodes.length === 0) {
    throw new OnnxFormatError('This is not an ONNX model: the file does not hold an ONNX graph');
  }
  return { model, info: inspectModel(model) };
}

/** Symbolic (or unknown) dimensions of the inputs: the page asks for a size for each. */
export function symbolicDims(inputs: readonly ValueInfo[]): string[] {
  return [...new Set(inputs.flatMap((v) => v.dims.filter((d): d is string => typeof d === 'string')))];
}

/** Human-readable byte counts. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}

/** What the decode worker answers: a summary, or a message for the user (never a throw). */
export type InspectOutcome = { ok: true; info: ModelInfo } | { ok: false; message: string; /** not a format error: a bug */ unexpected?: true };

/**
 * The decode worker's whole job, pure so that tests (and the fuzz test) run exactly what the worker runs: any
 * bytes in, a summary or a message out. Errors that are not OnnxFormatError (a bug, a RangeError from an absurd
 * length) become a message too, naming the file as unreadable rather than crashing the page.
 */
export function inspectFile(bytes: Uint8Array): InspectOutcome {
  try {
    return { ok: true, info: inspectBytes(bytes).info };
  } catch (e) {
    if (e instanceof OnnxFormatError) return { ok: false, message: e.message.replace(/\.$/, '') };
    const why = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return { ok: false, message: `This file could not be read as an ONNX model (${why.slice(0, 200)})`, unexpected: true };
  }
}
