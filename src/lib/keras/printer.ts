/**
 * ModelSpec → Python Keras 3 source: the inverse of `parseProgram`, up to source spans (parse(print(spec)) gives
 * the same spec). The model keeps the style it was written in (a `keras.Sequential([...])` list, or the functional
 * API), layer arguments are written only where they differ from the registry's defaults, in Keras' own style
 * (`layers.Dense(16, activation="relu")`), and layer names only where Keras would name the layer differently;
 * optimizers are written from the optimizer registry (a string when every argument is Keras' default).
 * Layers called with named tensors are called back as written (`mha(x, x, use_causal_mask=True)`), `a + b` on
 * tensors stays `a + b`, and a KerasHub block (its nodes share a `BlockRef`) is written as one call
 * (`keras_hub.layers.TransformerEncoder(intermediate_dim=128, num_heads=4)(x)`), its inner layers left out.
 */
import { getBlock, getLayer } from '$lib/layers';
import type { ArgDef, CallDef, LayerModule } from '$lib/layers/types';
import type { ArgValue, BlockRef, CompileSpec, FitSpec, LayerNode, ModelSpec, OptimizerSpec } from '$lib/spec/types';
import { DATA_CONSTANTS, DATA_NAMES, FIT_DEFAULTS, FORBIDDEN_BUILTINS, OPTIMIZERS, OTHER_BUILTINS, PYTHON_BUILTINS } from './builtins';
import { toSnakeCase } from './model-builder';

/** Lines longer than this are broken, one argument per line (black's default width). */
const LINE_WIDTH = 88;
export const INDENT = '    ';

// ---------------------------------------------------------------------------------------------------------------
// Python literals

/** Python's repr of a float: always with a decimal point or an exponent (`1.0`, `0.01`, `1e-07` style accepted). */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'float("nan")';
  if (!Number.isFinite(v)) return v > 0 ? 'float("inf")' : '-float("inf")';
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

function pyInt(v: number): string {
  return Number.isInteger(v) ? String(v) : pyFloat(v);
}

/** A double-quoted Python string literal (JSON's escapes are all valid in Python). */
export function pyString(s: string): string {
  return JSON.stringify(s);
}

function isRegularizer(v: ArgValue): v is { [key: string]: ArgValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v.type === 'l1' || v.type === 'l2' || v.type === 'l1_l2');
}

/** A spec value as Python source. `type` (the argument's ArgDef type) decides int vs float for numbers. */
export function pyValue(v: ArgValue, type?: ArgDef['type']): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return type === 'float' ? pyFloat(v) : pyInt(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) {
    const items = v.map((x) => pyValue(x, type === 'float' ? 'float' : undefined));
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (isRegularizer(v)) {
    const f = (k: string) => pyFloat(typeof v[k] === 'number' ? (v[k] as number) : 0.01);
    if (v.type === 'l1_l2') return `keras.regularizers.l1_l2(l1=${f('l1')}, l2=${f('l2')})`;
    return `keras.regularizers.${v.type}(${f(v.type as string)})`;
  }
  return `{${Object.entries(v as { [key: string]: ArgValue })
    .map(([k, x]) => `${pyString(k)}: ${pyValue(x)}`)
    .join(', ')}}`;
}

function sameValue(a: ArgValue | undefined, b: ArgValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * `callee(a, b)` on one line when it fits at this indent (after `lead` characters already on the line, e.g.
 * `x = `), else one argument per line (black style).
 */
function formatCall(callee: string, args: string[], indent: string, suffix = '', lead = 0): string {
  const flat = `${callee}(${args.join(', ')})${suffix}`;
  if (args.length === 0 || indent.length + lead + flat.length <= LINE_WIDTH) return flat;
  return `${callee}(\n${args.map((a) => `${indent}${INDENT}${a},\n`).join('')}${indent})${suffix}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Names

const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type _'.split(' ')
);

/** Names a printed program must not rebind. */
function reservedNames(spec: ModelSpec): Set<string> {
  return new Set([
    ...PYTHON_KEYWORDS,
    ...FORBIDDEN_BUILTINS,
    ...OTHER_BUILTINS,
    ...Object.keys(PYTHON_BUILTINS),
    ...DATA_NAMES,
    ...Object.keys(DATA_CONSTANTS),
    'keras',
    'keras_hub',
    'layers',
    'np',
    'x',
    'inputs',
    'outputs',
    modelVar(spec)
  ]);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function modelVar(spec: ModelSpec): string {
  const name = spec.modelName;
  return IDENTIFIER.test(name) && !PYTHON_KEYWORDS.has(name) && !(DATA_NAMES as readonly string[]).includes(name) && !['keras', 'keras_hub', 'layers'].includes(name) ? name : 'model';
}

/**
 * Replays the parser's naming (`dense`, `dense_1`, ..., `input_layer`, ...; explicit `name=` values are taken too) in
 * the order the printed program creates its nodes, to know which nodes need an explicit `name=`.
 */
class KerasNames {
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();

  /**
   * Registers `id` for a node of this prefix; true when Keras would give it that name without `name=`. Without `id`:
   * the name Keras gives a layer created without `name=` (a layer passed as an argument).
   */
  take(prefix: string, id?: string): boolean {
    let n = this.counters.get(prefix) ?? 0;
    let auto: string;
    do {
      auto = n === 0 ? prefix : `${prefix}_${n}`;
      n++;
    } while (this.used.has(auto));
    id ??= auto;
    this.used.add(id);
    if (auto !== id) return false;
    this.counters.set(prefix, n);
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Model code

/** A layer-valued argument (`{ kind, args }`, Bidirectional's `layer`) as its constructor call. */
function isLayerValue(v: ArgValue): v is { kind: string; args: { [key: string]: ArgValue } } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.kind === 'string' && typeof v.args === 'object' && v.args !== null && !Array.isArray(v.args);
}

/** The Python module of a layer or block kind (`keras.layers` unless its def says `keras_hub.layers`). */
function moduleOf(kind: string): LayerModule {
  return getLayer(kind)?.module ?? getBlock(kind)?.module ?? 'keras.layers';
}

/** How the printed program names a layer class: `layers.Dense`, `keras_hub.layers.PositionEmbedding`. */
function classRef(kind: string): string {
  return moduleOf(kind) === 'keras_hub.layers' ? `keras_hub.layers.${kind}` : `layers.${kind}`;
}

/** Does the program need `import keras_hub` (a KerasHub layer or block in the spec)? */
export function usesKerasHub(spec: ModelSpec): boolean {
  return spec.layers.some((n) => moduleOf(n.block?.kind ?? n.kind) === 'keras_hub.layers');
}

/**
 * The arguments of a layer's or block's constructor: required leading ones by position (by name for KerasHub's,
 * whose docs write every argument by name), the others by name when not default.
 */
function constructorArgs(kind: string, values: Record<string, ArgValue>, names: KerasNames, indent: string): string[] {
  const def = getLayer(kind) ?? getBlock(kind);
  if (!def) throw new Error(`Unknown layer ${kind}: it is not in the layer registry`);
  const code = (v: ArgValue, a: ArgDef): string => {
    if (a.type !== 'layer') return pyValue(v, a.type);
    if (!isLayerValue(v)) throw new Error(`${kind} argument '${a.name}' must be a layer, got ${JSON.stringify(v)}`);
    // The inner layer is constructed (and named, by Keras' counter) before the layer that takes it.
    const inner = constructorArgs(v.kind, v.args, names, indent + INDENT);
    names.take(toSnakeCase(v.kind));
    return formatCall(classRef(v.kind), inner, indent + INDENT);
  };
  const args: string[] = [];
  let positional = moduleOf(kind) !== 'keras_hub.layers';
  for (const a of def.args) {
    const v = values[a.name];
    if (a.default === undefined) {
      if (v === undefined) {
        positional = false;
        continue;
      }
      args.push(positional ? code(v, a) : `${a.name}=${code(v, a)}`);
    } else {
      positional = false;
      if (v !== undefined && !sameValue(v, a.default)) args.push(`${a.name}=${code(v, a)}`);
    }
  }
  for (const [k, v] of Object.entries(values)) if (!def.args.some((a) => a.name === k)) args.push(`${k}=${pyValue(v)}`);
  return args;
}

/** The constructor call of a layer: required leading arguments by position, the others by name when not default. */
function layerConstructor(node: LayerNode, names: KerasNames, indent: string, suffix = '', lead = 0): string {
  const args = constructorArgs(node.kind, node.args, names, indent);
  if (!names.take(toSnakeCase(node.kind), node.id)) args.push(`name=${pyString(node.id)}`);
  return formatCall(classRef(node.kind), args, indent, suffix, lead);
}

/** The constructor call of a block (`keras_hub.layers.TransformerEncoder(intermediate_dim=128, num_heads=4)`). */
function blockConstructor(ref: BlockRef, names: KerasNames, indent: string, suffix = '', lead = 0): string {
  const args = constructorArgs(ref.kind, ref.args, names, indent);
  if (!names.take(toSnakeCase(ref.kind), ref.id)) args.push(`name=${pyString(ref.id)}`);
  return formatCall(classRef(ref.kind), args, indent, suffix, lead);
}

/**
 * The arguments of a call with named tensors (`LayerDef.call` / `BlockDef.call`): the tensors given for the leading
 * parameters by position, the others by name, then the call keywords that differ from their defaults.
 */
function namedCallArgs(call: CallDef, inputNames: string[], vars: string[], callArgs: Record<string, ArgValue>): string[] {
  const out: string[] = [];
  let positional = true;
  inputNames.forEach((name, i) => {
    positional &&= call.tensors[i]?.name === name;
    out.push(positional ? vars[i] : `${name}=${vars[i]}`);
  });
  for (const a of call.args) {
    const v = callArgs[a.name];
    if (v !== undefined && (a.default === undefined || !sameValue(v, a.default))) out.push(`${a.name}=${pyValue(v, a.type)}`);
  }
  return out;
}

function inputCall(spec: ModelSpec, index: number, names: KerasNames, indent: string): string {
  const input = spec.inputs[index];
  const args = [`shape=${pyValue(input.shape)}`];
  if (input.dtype && input.dtype !== 'float32') args.push(`dtype=${pyString(input.dtype)}`);
  const id = input.name || input.id;
  if (!names.take('input_layer', id)) args.push(`name=${pyString(id)}`);
  return formatCall('keras.Input', args, indent);
}

/** `keras.optimizers.Adam(learning_rate=0.01)`, or `"adam"` when everything is Keras' default. */
export function optimizerCode(opt: OptimizerSpec): string {
  const table = OPTIMIZERS[opt.name];
  if (!table) throw new Error(`Unknown optimizer ${String(opt.name)}`);
  const [lrDef, ...rest] = table.args;
  const args: string[] = [];
  if (opt.learningRate !== lrDef.default) args.push(`learning_rate=${pyFloat(opt.learningRate)}`);
  // The extras are what the program wrote (the parser keeps only those), so all of them are printed.
  const extras = opt.args ?? {};
  for (const a of rest) if (extras[a.name] !== undefined) args.push(`${a.name}=${pyValue(extras[a.name], a.type)}`);
  for (const [k, v] of Object.entries(extras)) if (!rest.some((a) => a.name === k) && k !== 'learning_rate') args.push(`${k}=${pyValue(v)}`);
  return args.length === 0 ? pyString(opt.name) : `keras.optimizers.${table.className}(${args.join(', ')})`;
}

function compileCode(model: string, c: CompileSpec): string {
  const args = [`optimizer=${optimizerCode(c.optimizer)}`, `loss=${pyString(c.loss)}`];
  if (c.metrics.length > 0) args.push(`metrics=[${c.metrics.map(pyString).join(', ')}]`);
  return formatCall(`${model}.compile`, args, '');
}

/** `model.fit(x_train, y_train, epochs=..., ...)`: epochs always, the other options where not Keras' default. */
export function fitCode(model: string, f: FitSpec): string {
  const args = [f.x, f.y, `epochs=${f.epochs}`];
  if (f.batchSize !== FIT_DEFAULTS.batchSize) args.push(`batch_size=${f.batchSize}`);
  if (f.validationSplit !== FIT_DEFAULTS.validationSplit) args.push(`validation_split=${pyFloat(f.validationSplit)}`);
  if (f.shuffle !== FIT_DEFAULTS.shuffle) args.push(`shuffle=${f.shuffle ? 'True' : 'False'}`);
  return formatCall(`${model}.fit`, args, '');
}

function sequentialCode(spec: ModelSpec, model: string): string[] {
  const names = new KerasNames();
  const items = spec.inputs.map((_, i) => inputCall(spec, i, names, INDENT));
  for (const node of spec.layers) items.push(layerConstructor(node, names, INDENT));
  return [`${model} = keras.Sequential([`, ...items.map((i) => `${INDENT}${i},`), '])'];
}

/** What the functional program writes, one statement each: a layer call, `a + b`, or a whole block call. */
type Statement = { kind: 'layer'; node: LayerNode } | { kind: 'block'; ref: BlockRef; output: string };

/** The spec's layers as statements: a block's nodes become one statement, at its last node (the block's output). */
function statements(spec: ModelSpec): Statement[] {
  const lastOfBlock = new Map<string, number>();
  spec.layers.forEach((node, i) => {
    if (node.block) lastOfBlock.set(node.block.id, i);
  });
  const inner = new Set(spec.layers.filter((n, i) => n.block && lastOfBlock.get(n.block.id) !== i).map((n) => n.id));
  const out: Statement[] = [];
  spec.layers.forEach((node, i) => {
    const reads = node.block ? node.block.inputs : node.inputs;
    for (const id of reads) if (inner.has(id)) throw new Error(`${node.id} reads ${id}, an inner layer of a block, which a Keras program cannot reach`);
    if (!node.block) out.push({ kind: 'layer', node });
    else if (lastOfBlock.get(node.block.id) === i) out.push({ kind: 'block', ref: node.block, output: node.id });
  });
  for (const id of spec.outputs) if (inner.has(id)) throw new Error(`The model's output ${id} is an inner layer of a block`);
  return out;
}

function functionalCode(spec: ModelSpec, model: string): string[] {
  const reserved = reservedNames(spec);
  const taken = new Set<string>();
  const fresh = (id: string): string => {
    let base = id.replace(/\W+/g, '_');
    if (!/^[A-Za-z_]/.test(base)) base = `t_${base}`;
    let name = base;
    for (let k = 1; reserved.has(name) || taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  const items = statements(spec);
  const outputOf = (item: Statement) => (item.kind === 'layer' ? item.node.id : item.output);
  const readsOf = (item: Statement) => (item.kind === 'layer' ? item.node.inputs : item.ref.inputs);
  // Which statements read each tensor (a statement reading one tensor twice, mha(x, x), counts once).
  const consumers = new Map<string, number[]>();
  items.forEach((item, i) => new Set(readsOf(item)).forEach((id) => consumers.set(id, [...(consumers.get(id) ?? []), i])));
  const outputs = new Set(spec.outputs);
  const vars = new Map<string, string>();
  const lines: string[] = [];
  const names = new KerasNames();

  spec.inputs.forEach((input, i) => {
    const v = spec.inputs.length === 1 ? 'inputs' : fresh(input.id);
    vars.set(input.id, v);
    lines.push(`${v} = ${inputCall(spec, i, names, '')}`);
  });
  items.forEach((item, i) => {
    const id = outputOf(item);
    const readers = consumers.get(id) ?? [];
    let v: string;
    if (outputs.has(id)) v = spec.outputs.length === 1 ? 'outputs' : fresh(id);
    // `x` is overwritten by the next statement, so it only holds a tensor read once, by that very statement.
    else if (readers.length === 1 && readers[0] === i + 1) v = 'x';
    else v = fresh(id);
    const ins = readsOf(item).map((t) => {
      const name = vars.get(t);
      if (!name) throw new Error(`Layer ${id} reads ${t}, which is not defined before it`);
      return name;
    });
    lines.push(`${v} = ${statementCode(item, ins, names, v.length + 3)}`);
    vars.set(id, v);
  });
  const ref = (ids: string[]) => {
    const refs = ids.map((id) => {
      const name = vars.get(id);
      if (!name) throw new Error(`The model's ${id} is not defined`);
      return name;
    });
    return refs.length === 1 ? refs[0] : `[${refs.join(', ')}]`;
  };
  lines.push(formatCall(`${model} = keras.Model`, [ref(spec.inputs.map((i) => i.id)), ref(spec.outputs)], ''));
  return lines;
}

/** The right-hand side of one statement; `ins` are the variables of the tensors it reads. */
function statementCode(item: Statement, ins: string[], names: KerasNames, lead: number): string {
  if (item.kind === 'block') {
    const def = getBlock(item.ref.kind);
    if (!def) throw new Error(`Unknown block ${item.ref.kind}: it is not in the block registry`);
    const call = def.call ? namedCallArgs(def.call, item.ref.callInputNames ?? def.call.tensors.slice(0, ins.length).map((t) => t.name), ins, item.ref.callArgs ?? {}) : [ins[0]];
    return blockConstructor(item.ref, names, '', `(${call.join(', ')})`, lead);
  }
  const node = item.node;
  // `a + b` keeps its operator (when Keras would give the Add the same name: it cannot take name=).
  if (node.operator === '+' && ins.length === 2 && names.take('add', node.id)) return `${ins[0]} + ${ins[1]}`;
  const def = getLayer(node.kind);
  let call: string;
  if (def?.call) call = `(${namedCallArgs(def.call, node.call?.inputNames ?? def.call.tensors.slice(0, ins.length).map((t) => t.name), ins, node.call?.args ?? {}).join(', ')})`;
  else call = `(${def?.arity === 'many' ? `[${ins.join(', ')}]` : ins[0]})`;
  return layerConstructor(node, names, '', call, lead);
}

export interface PrintOptions {
  /** `import keras` / `from keras import layers` first (default true). */
  imports?: boolean;
  /** Include `model.compile(...)` when the spec has it (default true). */
  compile?: boolean;
  /** Include `model.fit(...)` when the spec has it (default true). */
  fit?: boolean;
}

/** The Keras 3 program for a spec, in the spec's style (Sequential list or functional API). Ends with a newline. */
export function printKeras(spec: ModelSpec, opts: PrintOptions = {}): string {
  const model = modelVar(spec);
  const lines: string[] = [];
  if (opts.imports !== false) lines.push('import keras', ...(usesKerasHub(spec) ? ['import keras_hub'] : []), 'from keras import layers', '');
  lines.push(...(spec.style === 'sequential' ? sequentialCode(spec, model) : functionalCode(spec, model)));
  if (spec.compile && opts.compile !== false) lines.push(compileCode(model, spec.compile));
  if (spec.fit && opts.fit !== false) lines.push(fitCode(model, spec.fit));
  return `${lines.join('\n')}\n`;
}
