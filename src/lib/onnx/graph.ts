/**
 * A small in-memory ONNX graph IR, a builder for it, and its protobuf encoding (through `onnx-proto`, never by hand).
 *
 * Every ONNX producer in the app writes through this module: the forward export (`onnx/export.ts`, one lowering per
 * layer file), the train-step compiler (`compile/`) and the quantizer. The /onnx page reads files back with
 * `decodeModel`.
 *
 * Attributes: a plain integer becomes an INT attribute, a plain non-integer a FLOAT, an array of integers INTS, a
 * string STRING. Wrap with `float()` / `floats()` where ONNX wants a float that happens to be whole (alpha=1.0).
 */
import * as onnxProto from 'onnx-proto';
import type { onnx } from 'onnx-proto';

/**
 * onnx-proto's runtime namespace. The package is CommonJS: bundlers and vitest expose `onnx` as a named export, but
 * Node's own ESM loader (the CLI, run by tsx) only as a property of `default`.
 */
const pb: typeof onnxProto.onnx = onnxProto.onnx ?? (onnxProto as unknown as { default: typeof onnxProto }).default.onnx;

export type DType = 'float32' | 'float16' | 'int64' | 'int32' | 'int8' | 'uint8' | 'bool';

export type TensorData = Float32Array | Uint16Array | BigInt64Array | Int32Array | Int8Array | Uint8Array;

/** A constant tensor (an initializer, or a `t` attribute). float16 data is held as raw bits in a Uint16Array. */
export interface OnnxTensor {
  name: string;
  dtype: DType;
  dims: number[];
  data: TensorData;
}

/** A dimension: a size, or a symbolic name ('batch'). */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  dtype: DType;
  dims: Dim[];
  doc?: string;
}

export type AttrValue =
  | number
  | number[]
  | string
  | { float: number }
  | { floats: number[] }
  | { tensor: OnnxTensor };

export interface OnnxNode {
  op: string;
  name: string;
  inputs: string[];
  outputs: string[];
  attrs: Record<string, AttrValue>;
  domain?: string;
  doc?: string;
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Shapes of intermediate values, where known (shown by viewers; ORT infers its own). */
  valueInfo: ValueInfo[];
  doc?: string;
}

export interface OnnxModel {
  graph: OnnxGraph;
  irVersion: number;
  /** Opset imports: domain ('' = ai.onnx) → version. */
  opsets: Record<string, number>;
  producerName: string;
  producerVersion: string;
  docString?: string;
  metadata: Record<string, string>;
}

/** The opset every producer in the app writes (ORT 1.30 supports up to 21+; 17 has LayerNormalization, ReduceSum with axes input). */
export const OPSET = 17;
/** IR version 8 goes with opset 17 (ONNX 1.12), which Debian's python3-onnx checker and ORT 1.30 both accept. */
export const IR_VERSION = 8;

export const float = (v: number): AttrValue => ({ float: v });
export const floats = (v: number[]): AttrValue => ({ floats: v });

/** Builds one graph: unique names, constants as initializers, nodes in topological order (the order added). */
export class GraphBuilder {
  readonly graph: OnnxGraph;
  private used = new Set<string>();
  private counter = new Map<string, number>();

  constructor(name: string) {
    this.graph = { name, nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] };
  }

  /** A fresh value name starting with `prefix` (prefix itself when free). */
  fresh(prefix: string): string {
    let name = prefix;
    let k = this.counter.get(prefix) ?? 0;
    while (this.used.has(name)) name = `${prefix}_${++k}`;
    this.counter.set(prefix, k);
    this.used.add(name);
    return name;
  }

  /** Reserve an exact name (throws when taken: graph inputs, outputs and weights keep their names). */
  claim(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX value name ${name} is used twice`);
    this.used.add(name);
    return name;
  }

  input(name: string, dtype: DType, dims: Dim[], doc?: string): string {
    this.graph.inputs.push({ name: this.claim(name), dtype, dims, doc });
    return name;
  }

  /** Declare an existing value as a graph output (its name must already be produced by a node or be an input). */
  output(name: string, dtype: DType, dims: Dim[], doc?: string): string {
    this.graph.outputs.push({ name, dtype, dims, doc });
    return name;
  }

  /** Add an initializer under an exact name (a weight). */
  initializer(name: string, dtype: DType, dims: number[], data: TensorData): string {
    return this.pushInitializer(this.claim(name), dtype, dims, data);
  }

  private pushInitializer(name: string, dtype: DType, dims: number[], data: TensorData): string {
    this.graph.initializers.push({ name, dtype, dims, data });
    return name;
  }

  /** A float32 constant (scalar when dims is []), stored as an initializer with a fresh name. */
  constFloat(values: number | number[] | Float32Array, dims?: number[], prefix = 'const'): string {
    const data = typeof values === 'number' ? Float32Array.of(values) : Float32Array.from(values);
    return this.pushInitializer(this.fresh(prefix), 'float32', dims ?? (typeof values === 'number' ? [] : [data.length]), data);
  }

  /** An int64 constant (a shape, axes, pads), 1-D unless dims says otherwise. */
  constInt64(values: number | number[], dims?: number[], prefix = 'const'): string {
    const arr = typeof values === 'number' ? [values] : values;
    const data = BigInt64Array.from(arr.map((v) => BigInt(v)));
    return this.pushInitializer(this.fresh(prefix), 'int64', dims ?? (typeof values === 'number' ? [] : [arr.length]), data);
  }

  /**
   * Add a node; returns its single output name (or the names when `outputs` > 1). Output names are fresh names
   * derived from `name` (or the op), unless given exactly in `outputNames`.
   */
  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: { name?: string; outputs?: number; outputNames?: string[]; domain?: string; doc?: string } = {}): string {
    const outs = this.nodeMulti(op, inputs, attrs, opts);
    return outs[0];
  }

  nodeMulti(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, opts: { name?: string; outputs?: number; outputNames?: string[]; domain?: string; doc?: string } = {}): string[] {
    const base = opts.name ?? op.toLowerCase();
    const nodeName = this.freshNodeName(base);
    const outputs = opts.outputNames
      ? opts.outputNames.map((n) => this.claim(n))
      : Array.from({ length: opts.outputs ?? 1 }, (_, i) => this.fresh(i === 0 ? nodeName : `${nodeName}_out${i}`));
    this.graph.nodes.push({ op, name: nodeName, inputs, outputs, attrs, domain: opts.domain, doc: opts.doc });
    return outputs;
  }

  private nodeNames = new Set<string>();
  private freshNodeName(base: string): string {
    let name = base;
    let k = 0;
    while (this.nodeNames.has(name)) name = `${base}_${++k}`;
    this.nodeNames.add(name);
    return name;
  }

  /** Record the shape of an intermediate value (for viewers). */
  info(name: string, dtype: DType, dims: Dim[]): void {
    this.graph.valueInfo.push({ name, dtype, dims });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Encoding

const DTYPE_CODE: Record<DType, number> = {
  float32: pb.TensorProto.DataType.FLOAT,
  float16: pb.TensorProto.DataType.FLOAT16,
  int64: pb.TensorProto.DataType.INT64,
  int32: pb.TensorProto.DataType.INT32,
  int8: pb.TensorProto.DataType.INT8,
  uint8: pb.TensorProto.DataType.UINT8,
  bool: pb.TensorProto.DataType.BOOL
};

const CODE_DTYPE = new Map<number, DType>(Object.entries(DTYPE_CODE).map(([k, v]) => [v, k as DType]));

/** The ONNX TensorProto.DataType name of a code (for messages about types the app does not handle). */
export function dataTypeName(code: number): string {
  return (pb.TensorProto.DataType as unknown as Record<number, string>)[code] ?? `type ${code}`;
}

function bytesOf(data: TensorData): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

function tensorProto(t: OnnxTensor): onnx.ITensorProto {
  return { name: t.name, dataType: DTYPE_CODE[t.dtype], dims: t.dims, rawData: bytesOf(t.data) };
}

function valueInfoProto(v: ValueInfo): onnx.IValueInfoProto {
  return {
    name: v.name,
    docString: v.doc,
    type: {
      tensorType: {
        elemType: DTYPE_CODE[v.dtype],
        shape: { dim: v.dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) }
      }
    }
  };
}

function attrProto(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = pb.AttributeProto.AttributeType;
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) {
    return v.every((x) => Number.isInteger(x)) ? { name, type: T.INTS, ints: v } : { name, type: T.FLOATS, floats: v };
  }
  if ('float' in v) return { name, type: T.FLOAT, f: v.float };
  if ('floats' in v) return { name, type: T.FLOATS, floats: v.floats };
  return { name, type: T.TENSOR, t: tensorProto(v.tensor) };
}

function nodeProto(n: OnnxNode): onnx.INodeProto {
  return {
    opType: n.op,
    name: n.name,
    input: n.inputs,
    output: n.outputs,
    domain: n.domain ?? '',
    docString: n.doc,
    attribute: Object.entries(n.attrs).map(([k, v]) => attrProto(k, v))
  };
}

/** Serialise a model to .onnx bytes. */
export function encodeModel(m: OnnxModel): Uint8Array {
  const g = m.graph;
  const proto: onnx.IModelProto = {
    irVersion: m.irVersion,
    producerName: m.producerName,
    producerVersion: m.producerVersion,
    docString: m.docString,
    opsetImport: Object.entries(m.opsets).map(([domain, version]) => ({ domain, version })),
    metadataProps: Object.entries(m.metadata).map(([key, value]) => ({ key, value })),
    graph: {
      name: g.name,
      docString: g.doc,
      node: g.nodes.map(nodeProto),
      initializer: g.initializers.map(tensorProto),
      input: g.inputs.map(valueInfoProto),
      output: g.outputs.map(valueInfoProto),
      valueInfo: g.valueInfo.map(valueInfoProto)
    }
  };
  return pb.ModelProto.encode(pb.ModelProto.fromObject(proto)).finish();
}

/** Wrap a built graph as a model with the app's defaults. */
export function makeModel(graph: OnnxGraph, opts: { producerVersion: string; metadata?: Record<string, string>; docString?: string; opset?: number }): OnnxModel {
  return {
    graph,
    irVersion: IR_VERSION,
    opsets: { '': opts.opset ?? OPSET },
    producerName: 'nn-playground',
    producerVersion: opts.producerVersion,
    docString: opts.docString,
    metadata: opts.metadata ?? {}
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding (for the /onnx page and for tests)

const toNum = (v: unknown): number => (typeof v === 'number' ? v : v && typeof (v as { toNumber?: () => number }).toNumber === 'function' ? (v as { toNumber(): number }).toNumber() : Number(v));

/** Thrown for bytes that are not an ONNX model, or use something the app cannot represent; the message is for users. */
export class OnnxFormatError extends Error {}

function decodeTensor(t: onnx.ITensorProto): OnnxTensor {
  const code = t.dataType ?? 0;
  const dtype = CODE_DTYPE.get(code);
  const dims = (t.dims ?? []).map(toNum);
  const count = dims.reduce((a, b) => a * b, 1);
  if (!dtype) throw new OnnxFormatError(`initializer ${t.name} has data type ${dataTypeName(code)}, which this viewer does not read`);
  if (t.dataLocation === pb.TensorProto.DataLocation.EXTERNAL) {
    throw new OnnxFormatError(`initializer ${t.name} keeps its data in an external file; save the model with its weights inside`);
  }
  let data: TensorData;
  const raw = t.rawData && t.rawData.length ? t.rawData : null;
  const view = (C: { new (b: ArrayBuffer): TensorData; BYTES_PER_ELEMENT: number }) => {
    if (!raw) return null;
    if (raw.length !== count * C.BYTES_PER_ELEMENT) throw new OnnxFormatError(`initializer ${t.name} holds ${raw.length} bytes but its shape [${dims.join(', ')}] needs ${count * C.BYTES_PER_ELEMENT}`);
    return new C(new Uint8Array(raw).buffer as ArrayBuffer); // copy: protobufjs may hand out a view of a pooled Buffer
  };
  switch (dtype) {
    case 'float32':
      data = view(Float32Array) ?? Float32Array.from(t.floatData ?? []);
      break;
    case 'float16':
      data = view(Uint16Array) ?? Uint16Array.from(t.int32Data ?? []);
      break;
    case 'int64':
      data = view(BigInt64Array) ?? BigInt64Array.from((t.int64Data ?? []).map((v) => BigInt(toNum(v))));
      break;
    case 'int32':
      data = view(Int32Array) ?? Int32Array.from(t.int32Data ?? []);
      break;
    case 'int8':
      data = view(Int8Array) ?? Int8Array.from(t.int32Data ?? []);
      break;
    case 'uint8':
    case 'bool':
      data = view(Uint8Array) ?? Uint8Array.from(t.int32Data ?? []);
      break;
  }
  if (data.length !== count) throw new OnnxFormatError(`initializer ${t.name} holds ${data.length} values but its shape [${dims.join(', ')}] needs ${count}`);
  return { name: t.name ?? '', dtype, dims, data };
}

function decodeValueInfo(v: onnx.IValueInfoProto): ValueInfo & { elemType: number } {
  const tt = v.type?.tensorType;
  const elemType = tt?.elemType ?? 0;
  return {
    name: v.name ?? '',
    dtype: CODE_DTYPE.get(elemType) ?? 'float32',
    elemType,
    dims: (tt?.shape?.dim ?? []).map((d) => (d.dimParam ? d.dimParam : d.dimValue != null ? toNum(d.dimValue) : '?')),
    doc: v.docString ?? undefined
  };
}

function decodeAttr(a: onnx.IAttributeProto): AttrValue {
  const T = pb.AttributeProto.AttributeType;
  switch (a.type) {
    case T.INT:
      return toNum(a.i);
    case T.FLOAT:
      return { float: a.f ?? 0 };
    case T.INTS:
      return (a.ints ?? []).map(toNum);
    case T.FLOATS:
      return { floats: a.floats ?? [] };
    case T.STRING:
      return new TextDecoder().decode(a.s ?? new Uint8Array());
    case T.TENSOR:
      return { tensor: decodeTensor(a.t ?? {}) };
    default:
      return `(${(T as unknown as Record<number, string>)[a.type ?? 0] ?? 'unknown'} attribute)`;
  }
}

/** Parse .onnx bytes. Throws OnnxFormatError with a readable message for anything that is not an ONNX model. */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  if (bytes.length === 0) throw new OnnxFormatError('The file is empty');
  let p: onnx.ModelProto;
  try {
    p = pb.ModelProto.decode(bytes);
  } catch (e) {
    throw new OnnxFormatError(`This is not an ONNX model: the protobuf could not be read (${(e as Error).message})`);
  }
  if (!p.graph) throw new OnnxFormatError('This file has no graph: it is not an ONNX model (or it is truncated)');
  const g = p.graph;
  return {
    irVersion: toNum(p.irVersion),
    opsets: Object.fromEntries((p.opsetImport ?? []).map((o) => [o.domain ?? '', toNum(o.version)])),
    producerName: p.producerName ?? '',
    producerVersion: p.producerVersion ?? '',
    docString: p.docString || undefined,
    metadata: Object.fromEntries((p.metadataProps ?? []).map((e) => [e.key ?? '', e.value ?? ''])),
    graph: {
      name: g.name ?? '',
      doc: g.docString || undefined,
      nodes: (g.node ?? []).map((n, i) => ({
        op: n.opType ?? '',
        name: n.name || `${n.opType}_${i}`,
        inputs: n.input ?? [],
        outputs: n.output ?? [],
        domain: n.domain || undefined,
        attrs: Object.fromEntries((n.attribute ?? []).map((a) => [a.name ?? '', decodeAttr(a)]))
      })),
      initializers: (g.initializer ?? []).map(decodeTensor),
      inputs: (g.input ?? []).map(decodeValueInfo),
      outputs: (g.output ?? []).map(decodeValueInfo),
      valueInfo: (g.valueInfo ?? []).map(decodeValueInfo)
    }
  };
}

/**
 * For passes that add nodes to a finished graph (compile/fuse.ts, compile/webgpu-legalize.ts): the value names and
 * node names it uses, and `fresh(base, set)`, which returns `base` (or `base_k` when that is taken) and adds it to `set`.
 */
export function graphNames(graph: OnnxGraph): { values: Set<string>; nodes: Set<string>; fresh: (base: string, set: Set<string>) => string } {
  const values = new Set<string>();
  for (const v of [...graph.inputs, ...graph.outputs, ...graph.valueInfo]) values.add(v.name);
  for (const t of graph.initializers) values.add(t.name);
  for (const n of graph.nodes) for (const v of [...n.inputs, ...n.outputs]) values.add(v);
  const fresh = (base: string, set: Set<string>) => {
    let name = base;
    for (let k = 1; set.has(name); k++) name = `${base}_${k}`;
    set.add(name);
    return name;
  };
  return { values, nodes: new Set(graph.nodes.map((n) => n.name)), fresh };
}
