/**
 * Editor intelligence for the Keras subset: completions, hover and signature help over (source text, cursor offset).
 *
 * Pure functions (no Monaco), so node tests can drive them; `components/keras-language.ts` adapts them to Monaco.
 * Everything is generated from the registries (layers, optimizers, losses, metrics, initializers, regularizers) and
 * the call tables in `builtins.ts` (argument names, defaults, allowed values, docs), so a new entry documents itself.
 * The context comes from the @lezer/python tree, which recovers from the incomplete code a user is typing.
 */
import type { SyntaxNode, Tree } from '@lezer/common';
import { parser } from '@lezer/python';
import { getLayer } from '$lib/layers';
import { ACTIVATIONS } from '$lib/layers/activations';
import { INITIALIZER_DOCS } from '$lib/layers/initializers';
import { REGULARIZER_DOCS } from '$lib/layers/regularizers';
import type { ArgDef, ArgType, LayerDef } from '$lib/layers/types';
import { formatValue } from '$lib/layers/util';
import { LOSSES_BY_NAME } from '$lib/losses';
import { METRICS_BY_NAME } from '$lib/metrics';
import { OPTIMIZER_LIST } from '$lib/optimizers';
import type { OptimizerName } from '$lib/spec/types';
import {
  buildKeras,
  COMPILE_PARAMS,
  DATA_NAMES,
  FIT_DEFAULTS,
  FIT_PARAMS,
  INPUT_PARAMS,
  LOSSES,
  METRICS,
  MODEL_METHODS,
  MODEL_PARAMS,
  OPTIMIZER_STRINGS,
  OPTIMIZERS,
  REGULARIZERS,
  SEQUENTIAL_PARAMS,
  type Callable,
  type Entry,
  type ModelMethod,
  type Namespace,
  type ParamDef,
  type RegularizerName
} from './builtins';

// ---------------------------------------------------------------------------------------------------------------
// Public API

export type CompletionKind = 'layer' | 'argument' | 'value' | 'function' | 'module' | 'keyword';

export interface CompletionItem {
  label: string;
  kind: CompletionKind;
  /** Text to insert; a Monaco snippet (`${1:units}`) when `snippet` is set. */
  insertText: string;
  /** One line shown beside the label (a signature, a type and default). */
  detail: string;
  /** Markdown. */
  documentation: string;
  snippet?: boolean;
  /** The text replaced: `from`..cursor is what the user typed so far, `from`..`to` the whole token. */
  from: number;
  to: number;
  /** Keeps the registry's / the signature's order in the list. */
  sortText?: string;
  /** What the typed text is matched against, when it differs from the label (`"relu"` → `relu`). */
  filterText?: string;
  /** Open the suggestions again once inserted (`activation="` → the activations). */
  retrigger?: boolean;
}

export interface HoverResult {
  /** Markdown. */
  contents: string;
  from: number;
  to: number;
}

export interface SignatureParameter {
  label: string;
  documentation: string;
  /** Where `label` sits in the signature's label (start, end), for highlighting. */
  offsets: [number, number];
}

export interface SignatureHelpResult {
  label: string;
  /** Markdown. */
  documentation: string;
  parameters: SignatureParameter[];
  /** Index into `parameters`; -1 when the cursor is at no known parameter. */
  activeParameter: number;
}

// ---------------------------------------------------------------------------------------------------------------
// Docs of the calls that are not layers, optimizers or regularizers

const MODEL_METHOD_DOCS: Record<ModelMethod, string> = {
  add: 'Appends a layer to a Sequential model.',
  compile: 'Configures the model for training: the optimizer, the loss and the metrics to report.',
  fit: 'Trains the model on the data for a number of epochs (the playground runs it in the browser).',
  summary: 'Prints the layers, their output shapes and parameter counts (the playground also shows it beside the code).'
};

interface CallParamDoc {
  doc: string;
  type: string;
  /** Python repr of Keras' default; absent = required. */
  default?: string;
}

/** Docs of the parameters of the non-layer calls, keyed by the `ParamDef` names of `builtins.ts`. */
const CALL_PARAM_DOCS: Record<'input' | 'sequential' | 'model' | 'compile' | 'fit' | 'add', Record<string, CallParamDoc>> = {
  input: {
    shape: { doc: 'Shape of one sample, without the batch axis: (2,) for 2 features, (28, 28, 1) for an image.', type: 'tuple of ints' },
    name: { doc: 'Name of the input.', type: 'str', default: 'None' }
  },
  sequential: {
    layers: { doc: 'The layers in order; start with keras.Input(shape=(...)).', type: 'list of layers', default: 'None' },
    name: { doc: 'Name of the model.', type: 'str', default: 'None' }
  },
  model: {
    inputs: { doc: 'The keras.Input tensor(s) of the model.', type: 'tensor or list of tensors' },
    outputs: { doc: 'The tensor(s) computed from the inputs by calling layers.', type: 'tensor or list of tensors' },
    name: { doc: 'Name of the model.', type: 'str', default: 'None' }
  },
  compile: {
    optimizer: { doc: 'The optimizer: a name such as "adam" (default settings) or an instance such as keras.optimizers.Adam(learning_rate=0.01).', type: 'str or optimizer', default: '"rmsprop"' },
    loss: { doc: 'The loss to minimise, by name.', type: 'str', default: 'None' },
    metrics: { doc: 'Metrics reported during training, e.g. ["accuracy"].', type: 'list of str', default: 'None' }
  },
  fit: {
    x: { doc: 'Training inputs: the predefined x_train.', type: 'array', default: 'None' },
    y: { doc: 'Training targets: the predefined y_train.', type: 'array', default: 'None' },
    batch_size: { doc: `Samples per gradient update; None means ${FIT_DEFAULTS.batchSize}.`, type: 'int', default: 'None' },
    epochs: { doc: 'Number of passes over the training data.', type: 'int', default: String(FIT_DEFAULTS.epochs) },
    verbose: { doc: 'Accepted for compatibility; the playground shows the progress itself.', type: 'int or "auto"', default: '"auto"' },
    validation_split: { doc: 'Fraction of the training data held out (from its end, as in Keras) to report validation metrics, in [0, 1).', type: 'float', default: '0.0' },
    shuffle: { doc: 'Whether to shuffle the training samples before each epoch.', type: 'bool', default: FIT_DEFAULTS.shuffle ? 'True' : 'False' }
  },
  add: {
    layer: { doc: 'The layer to append, e.g. layers.Dense(16, activation="relu").', type: 'layer' }
  }
};

const LAYER_NAME_DOC = 'Unique name of the layer; by default the snake_case class name plus a counter (dense, dense_1, ...).';

// ---------------------------------------------------------------------------------------------------------------
// Signatures: one model of "something callable" behind completion, hover and signature help

interface ValueOption {
  value: string;
  doc: string;
}

/** What kind of value a parameter takes, beyond its type (decides the value completions). */
type ValueKind = ArgType | 'optimizer' | 'loss' | 'metrics' | 'data' | 'other';

interface Param {
  name: string;
  doc: string;
  /** Human-readable type. */
  type: string;
  /** Python repr of the default; undefined = required. */
  default?: string;
  keywordOnly?: boolean;
  /** Keras has it, the playground refuses it (hint). Not offered, still explained on hover. */
  unsupported?: string;
  valueKind: ValueKind;
  /** Allowed strings (written quoted in the code). */
  strings?: ValueOption[];
  /** The value is a list of `strings` (metrics). */
  list?: boolean;
  min?: number;
  max?: number;
}

type SigKind = 'layer' | 'optimizer' | 'regularizer' | 'input' | 'sequential' | 'model' | 'method';

interface Signature {
  kind: SigKind;
  /** Name as called (`Dense`, `compile`). */
  name: string;
  /** Where it lives (`keras.layers.Dense`, `model.compile`). */
  qualified: string;
  doc: string;
  params: Param[];
}

const TYPE_LABEL: Record<ArgType, string> = {
  int: 'int',
  float: 'float',
  bool: 'bool',
  string: 'str',
  shape: 'tuple of ints',
  int_or_tuple: 'int or tuple of ints',
  activation: 'str (activation)',
  initializer: 'str (initializer)',
  regularizer: 'regularizer'
};

function valueDoc(kind: ValueKind, value: string, fallback: string): string {
  switch (kind) {
    case 'activation':
      return (ACTIVATIONS as Record<string, { doc: string }>)[value]?.doc ?? fallback;
    case 'initializer':
      return (INITIALIZER_DOCS as Record<string, string>)[value] ?? fallback;
    case 'regularizer':
      return (REGULARIZER_DOCS as Record<string, string>)[value] ?? fallback;
    case 'optimizer': {
      const name = OPTIMIZER_STRINGS[value];
      return name ? `${OPTIMIZERS[name].className} with Keras' defaults (${optimizerDefaults(name)}). ${OPTIMIZERS[name].doc}` : fallback;
    }
    case 'loss': {
      const name = LOSSES[value];
      if (!name) return fallback;
      const doc = LOSSES_BY_NAME[name].doc;
      return name === value ? doc : `Same as "${name}": ${doc}`;
    }
    case 'metrics': {
      const name = METRICS[value];
      if (!name) return fallback;
      const doc = METRICS_BY_NAME[name].doc;
      return name === value ? doc : `Same as "${name}": ${doc}`;
    }
    default:
      // Other string values (padding, data_format) are listed by the layer's ArgDef `values`; its doc explains them.
      return fallback;
  }
}

function optimizerDefaults(name: OptimizerName): string {
  return OPTIMIZERS[name].args.map((a) => `${a.name}=${formatValue(a.default)}`).join(', ');
}

function paramFromArgDef(a: ArgDef): Param {
  return {
    name: a.name,
    doc: a.doc,
    type: TYPE_LABEL[a.type],
    default: a.default === undefined ? undefined : formatValue(a.default),
    valueKind: a.type,
    strings: a.values?.map((v) => ({ value: v, doc: valueDoc(a.type, v, a.doc) })),
    min: a.min,
    max: a.max
  };
}

function layerSignature(def: LayerDef): Signature {
  return {
    kind: 'layer',
    name: def.kind,
    qualified: `keras.layers.${def.kind}`,
    doc: def.doc,
    params: [...def.args.map(paramFromArgDef), { name: 'name', doc: LAYER_NAME_DOC, type: 'str', default: 'None', keywordOnly: true, valueKind: 'other' }]
  };
}

function optimizerSignature(name: OptimizerName): Signature {
  const o = OPTIMIZERS[name];
  return { kind: 'optimizer', name: o.className, qualified: `keras.optimizers.${o.className}`, doc: o.doc, params: o.args.map(paramFromArgDef) };
}

function regularizerSignature(name: RegularizerName, display: string): Signature {
  return { kind: 'regularizer', name: display, qualified: `keras.regularizers.${display}`, doc: REGULARIZER_DOCS[name], params: REGULARIZERS[name].args.map(paramFromArgDef) };
}

const STRING_OPTIONS = (kind: ValueKind, names: Record<string, string>, fallback: string): ValueOption[] =>
  Object.keys(names).map((v) => ({ value: v, doc: valueDoc(kind, v, fallback) }));

function callParams(table: keyof typeof CALL_PARAM_DOCS, defs: readonly ParamDef[]): Param[] {
  return defs.map((p) => {
    const d = CALL_PARAM_DOCS[table][p.name];
    const param: Param = {
      name: p.name,
      doc: d?.doc ?? p.unsupported ?? '',
      type: d?.type ?? '',
      default: d ? d.default : p.required ? undefined : 'None',
      keywordOnly: p.keywordOnly,
      unsupported: p.unsupported,
      valueKind: 'other'
    };
    if (table === 'compile' && p.name === 'optimizer') {
      param.valueKind = 'optimizer';
      // Keras accepts "adam" and "Adam": offer the snake names, explain both on hover.
      param.strings = Object.entries(OPTIMIZER_STRINGS)
        .filter(([k, v]) => k === v)
        .map(([k]) => ({ value: k, doc: valueDoc('optimizer', k, '') }));
    } else if (table === 'compile' && p.name === 'loss') {
      param.valueKind = 'loss';
      param.strings = STRING_OPTIONS('loss', LOSSES, '');
    } else if (table === 'compile' && p.name === 'metrics') {
      param.valueKind = 'metrics';
      param.strings = STRING_OPTIONS('metrics', METRICS, '');
      param.list = true;
    } else if (table === 'fit' && (p.name === 'x' || p.name === 'y')) {
      param.valueKind = 'data';
    } else if (table === 'fit' && p.name === 'shuffle') {
      param.valueKind = 'bool';
    }
    return param;
  });
}

const INPUT_SIG: Signature = {
  kind: 'input',
  name: 'Input',
  qualified: 'keras.Input',
  doc: 'A symbolic input tensor: the start of a model. Give the shape of one sample without the batch axis.',
  params: callParams('input', INPUT_PARAMS)
};
const SEQUENTIAL_SIG: Signature = {
  kind: 'sequential',
  name: 'Sequential',
  qualified: 'keras.Sequential',
  doc: 'A model that is a plain stack of layers, each feeding the next.',
  params: callParams('sequential', SEQUENTIAL_PARAMS)
};
const MODEL_SIG: Signature = {
  kind: 'model',
  name: 'Model',
  qualified: 'keras.Model',
  doc: 'A functional model: the graph of layer calls from `inputs` to `outputs` (branches and merges allowed).',
  params: callParams('model', MODEL_PARAMS)
};

function methodSignature(method: ModelMethod): Signature {
  const params =
    method === 'compile'
      ? callParams('compile', COMPILE_PARAMS)
      : method === 'fit'
        ? callParams('fit', FIT_PARAMS)
        : method === 'add'
          ? callParams('add', [{ name: 'layer', required: true }])
          : [];
  return { kind: 'method', name: method, qualified: `model.${method}`, doc: MODEL_METHOD_DOCS[method], params };
}

function callableSignature(fn: Callable): Signature | null {
  switch (fn.type) {
    case 'layer':
      return layerSignature(fn.def);
    case 'optimizer':
      return optimizerSignature(fn.name);
    case 'regularizer':
      return regularizerSignature(fn.name, fn.display);
    case 'input':
      return INPUT_SIG;
    case 'sequential':
      return SEQUENTIAL_SIG;
    case 'model':
      return MODEL_SIG;
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

/** `units` or `activation=None`. */
const paramLabel = (p: Param) => (p.default === undefined ? p.name : `${p.name}=${p.default}`);

const shown = (sig: Signature) => sig.params.filter((p) => !p.unsupported);

function signatureLabel(sig: Signature): { label: string; offsets: [number, number][] } {
  let label = `${sig.name}(`;
  const offsets: [number, number][] = [];
  shown(sig).forEach((p, i) => {
    if (i > 0) label += ', ';
    const text = paramLabel(p);
    offsets.push([label.length, label.length + text.length]);
    label += text;
  });
  return { label: label + ')', offsets };
}

/** `Dense(units, ...)`: the required parameters only. */
function shortLabel(sig: Signature): string {
  const params = shown(sig);
  const required = params.filter((p) => p.default === undefined).map((p) => p.name);
  if (required.length < params.length) required.push('...');
  return `${sig.name}(${required.join(', ')})`;
}

function paramSummary(p: Param): string {
  const parts = [p.type || undefined, p.default === undefined ? 'required' : `default \`${p.default}\``].filter(Boolean);
  return `*${parts.join(', ')}*`;
}

function bounds(p: Param): string {
  if (p.min !== undefined && p.max !== undefined) return ` Between ${p.min} and ${p.max}.`;
  if (p.min !== undefined) return ` At least ${p.min}.`;
  if (p.max !== undefined) return ` At most ${p.max}.`;
  return '';
}

function paramMarkdown(sig: Signature, p: Param, withValues: boolean): string {
  if (p.unsupported) return `**${p.name}** of \`${sig.qualified}\` is not supported here. ${p.unsupported}.`;
  let md = `**${p.name}** — ${paramSummary(p)}\n\n${p.doc}${bounds(p)}`;
  if (withValues && p.strings?.length) md += `\n\nValues: ${p.strings.map((s) => `\`"${s.value}"\``).join(', ')}`;
  return md;
}

function signatureMarkdown(sig: Signature): string {
  const { label } = signatureLabel(sig);
  const prefix = sig.qualified.slice(0, sig.qualified.length - sig.name.length);
  let md = '```python\n' + prefix + label + '\n```\n\n' + sig.doc;
  const params = shown(sig);
  if (params.length) md += '\n\n' + params.map((p) => `- \`${p.name}\` — ${paramSummary(p)}. ${p.doc}`).join('\n');
  return md;
}

// ---------------------------------------------------------------------------------------------------------------
// The tree and the names in scope

let cache: { source: string; tree: Tree } | null = null;

function parse(source: string): Tree {
  if (cache?.source !== source) cache = { source, tree: parser.parse(source) };
  return cache.tree;
}

let kerasRoot: Namespace | null = null;
const keras = () => (kerasRoot ??= buildKeras());

interface Env {
  source: string;
  names: Map<string, Entry>;
  /** Variables bound to a model (keras.Sequential(...) / keras.Model(...)). */
  models: Set<string>;
  /** Names the program's own imports bind (the others in `names` are defaults). */
  imported: Set<string>;
}

const isErr = (n: SyntaxNode) => n.type.isError;
const text = (env: Env, n: SyntaxNode) => env.source.slice(n.from, n.to);

function children(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'Comment') out.push(c);
  return out;
}

function member(ns: Namespace, name: string): Entry | undefined {
  return Object.prototype.hasOwnProperty.call(ns.members, name) ? ns.members[name] : undefined;
}

/** The names the program's imports bind, over defaults for the usual ones (the user may not have typed them yet). */
function environment(source: string, tree: Tree): Env {
  const root = keras();
  const env: Env = { source, names: new Map(), models: new Set(), imported: new Set() };
  env.names.set('keras', root);
  for (const sub of ['layers', 'optimizers', 'regularizers', 'models']) env.names.set(sub, member(root, sub)!);
  const resolvePath = (path: string[]): Entry | undefined => {
    if (path[0] !== 'keras') return undefined;
    let e: Entry | undefined = root;
    for (const p of path.slice(1)) e = e && e.type === 'namespace' ? member(e, p) : undefined;
    return e;
  };
  const bind = (name: string, e: Entry) => {
    env.names.set(name, e);
    env.imported.add(name);
  };
  for (const stmt of children(tree.topNode)) {
    if (stmt.name === 'ImportStatement') {
      const parts = children(stmt).filter((n) => !isErr(n));
      if (parts[0]?.name === 'import') {
        // import keras [as k]  |  import keras.layers as L
        const groups: SyntaxNode[][] = [[]];
        for (const n of parts.slice(1)) {
          if (n.name === ',') groups.push([]);
          else groups[groups.length - 1].push(n);
        }
        for (const g of groups) {
          const asAt = g.findIndex((n) => n.name === 'as');
          const path = (asAt < 0 ? g : g.slice(0, asAt)).filter((n) => n.name === 'VariableName').map((n) => text(env, n));
          const alias = asAt < 0 ? undefined : g[asAt + 1];
          const e = resolvePath(path);
          if (alias && e) bind(text(env, alias), e);
          else if (!alias && path[0] === 'keras') bind('keras', root);
        }
      } else if (parts[0]?.name === 'from') {
        const at = parts.findIndex((n) => n.name === 'import');
        if (at < 0) continue;
        const module = resolvePath(parts.slice(1, at).filter((n) => n.name === 'VariableName').map((n) => text(env, n)));
        if (!module || module.type !== 'namespace') continue;
        const names = parts.slice(at + 1).filter((n) => n.name !== '(' && n.name !== ')');
        for (let i = 0; i < names.length; i++) {
          if (names[i].name !== 'VariableName') continue;
          const e = member(module, text(env, names[i]));
          const alias = names[i + 1]?.name === 'as' ? names[i + 2] : undefined;
          if (e) bind(text(env, alias ?? names[i]), e);
          if (alias) i += 2;
        }
      }
    }
  }
  // Model variables: name = <something resolving to keras.Sequential / keras.Model>(...)
  for (const stmt of children(tree.topNode)) {
    if (stmt.name !== 'AssignStatement') continue;
    const parts = children(stmt);
    const value = parts[parts.length - 1];
    if (parts[0]?.name !== 'VariableName' || value?.name !== 'CallExpression' || !value.firstChild) continue;
    const callee = resolve(env, value.firstChild);
    if (callee && (callee.type === 'sequential' || callee.type === 'model')) env.models.add(text(env, parts[0]));
  }
  return env;
}

type Resolved = Entry | { type: 'method'; name: ModelMethod };

/** What a callee or attribute expression names: a keras namespace, a callable, or a model method. */
function resolve(env: Env, node: SyntaxNode): Resolved | undefined {
  if (node.name === 'VariableName') {
    const name = text(env, node);
    const e = env.names.get(name);
    if (e) return e;
    const def = getLayer(name);
    return def ? { type: 'layer', display: def.kind, def } : undefined;
  }
  if (node.name === 'MemberExpression') {
    const obj = node.firstChild;
    const prop = node.lastChild;
    if (!obj || !prop || prop.name !== 'PropertyName') return undefined;
    const name = text(env, prop);
    const base = resolve(env, obj);
    if (base?.type === 'namespace') return member(base, name);
    if (base === undefined && name === 'keras') return keras(); // tf.keras...
    if (base === undefined && (MODEL_METHODS as readonly string[]).includes(name)) return { type: 'method', name: name as ModelMethod };
    return undefined;
  }
  return undefined;
}

function signatureOf(r: Resolved | undefined): Signature | null {
  if (!r || r.type === 'namespace') return null;
  if (r.type === 'method') return methodSignature(r.name);
  return callableSignature(r);
}

// ---------------------------------------------------------------------------------------------------------------
// Call sites: which argument of which call the cursor is in

interface Group {
  /** Nodes of the argument (commas and error markers dropped). */
  nodes: SyntaxNode[];
  /** `name=` of a keyword argument. */
  keyword?: SyntaxNode;
}

interface CallSite {
  argList: SyntaxNode;
  sig: Signature | null;
  groups: Group[];
  /** Index of the group the cursor is in (commas before it). */
  index: number;
}

const isClosed = (argList: SyntaxNode) => argList.lastChild?.name === ')' && argList.lastChild.to === argList.to;

/** Is `offset` strictly inside the parentheses of this ArgList (an unclosed one runs to its end)? */
const insideArgs = (argList: SyntaxNode, offset: number) => offset > argList.from && (offset < argList.to || (!isClosed(argList) && offset <= argList.to));

function callSite(env: Env, argList: SyntaxNode, offset: number): CallSite {
  const groups: Group[] = [{ nodes: [] }];
  let index = 0;
  for (const c of children(argList)) {
    if (c.name === '(' || c.name === ')' || isErr(c)) continue;
    if (c.name === ',') {
      groups.push({ nodes: [] });
      if (c.to <= offset) index++;
      continue;
    }
    groups[groups.length - 1].nodes.push(c);
  }
  for (const g of groups) if (g.nodes[1]?.name === 'AssignOp' && g.nodes[0].name === 'VariableName') g.keyword = g.nodes[0];
  const call = argList.parent;
  const sig = call?.name === 'CallExpression' && call.firstChild ? signatureOf(resolve(env, call.firstChild)) : null;
  return { argList, sig, groups, index };
}

function enclosingCall(env: Env, tree: Tree, offset: number): CallSite | null {
  for (let n: SyntaxNode | null = tree.resolveInner(offset, -1); n; n = n.parent) {
    if (n.name === 'ArgList' && insideArgs(n, offset)) return callSite(env, n, offset);
  }
  return null;
}

/** The parameter an argument group binds to (by name, or by position among the positional parameters). */
function paramOf(site: CallSite, groupIndex: number, env: Env): Param | undefined {
  if (!site.sig) return undefined;
  const g = site.groups[groupIndex];
  if (g?.keyword) {
    const name = text(env, g.keyword);
    return site.sig.params.find((p) => p.name === name);
  }
  return site.sig.params.filter((p) => !p.keywordOnly)[groupIndex];
}

/** Names of the parameters given by the other arguments of the call. */
function givenParams(site: CallSite, env: Env): Set<string> {
  const given = new Set<string>();
  site.groups.forEach((g, i) => {
    if (i === site.index) return;
    if (g.keyword) given.add(text(env, g.keyword));
    else if (i < site.index && g.nodes.length) {
      const p = paramOf(site, i, env);
      if (p) given.add(p.name);
    }
  });
  return given;
}

// ---------------------------------------------------------------------------------------------------------------
// Strings

interface StringInfo {
  node: SyntaxNode;
  /** Content range (inside the quotes). */
  from: number;
  to: number;
  value: string;
}

function stringInfo(env: Env, node: SyntaxNode): StringInfo {
  const t = text(env, node);
  const m = /^[a-zA-Z]*("""|'''|"|')/.exec(t);
  const open = m ? m[0].length : 0;
  const quote = m?.[1] ?? '"';
  const closed = t.length >= open + quote.length && t.endsWith(quote) && !isErr(node.lastChild ?? node);
  const from = node.from + open;
  const to = closed && t.length - quote.length >= open ? node.to - quote.length : node.to;
  return { node, from, to: Math.max(from, to), value: env.source.slice(from, Math.max(from, to)) };
}

function stringAt(env: Env, tree: Tree, offset: number): StringInfo | null {
  for (let n: SyntaxNode | null = tree.resolveInner(offset, -1); n; n = n.parent) {
    if (n.name === 'String') {
      const s = stringInfo(env, n);
      return offset >= s.from && offset <= s.to ? s : null;
    }
    if (n.name === 'FormatString') return null;
  }
  return null;
}

const LIST_NODES = new Set(['ArrayExpression', 'ArrayComprehensionExpression', 'TupleExpression', 'ParenthesizedExpression']);

/** The parameter whose value (or list of values, for metrics) a node is, if it is an argument of a known call. */
function valueParam(env: Env, node: SyntaxNode, offset: number): { site: CallSite; param: Param | undefined; inList: boolean } | null {
  // Error recovery may wrap an unterminated string in what follows it (`"re` + the next line's `.Dense(3)`).
  let arg = node;
  while (arg.parent && arg.parent.from === node.from && arg.parent.name !== 'ArgList' && !LIST_NODES.has(arg.parent.name)) arg = arg.parent;
  let inList = false;
  let parent = arg.parent;
  if (parent && LIST_NODES.has(parent.name)) {
    inList = true;
    while (parent.parent && parent.parent.from === parent.from && parent.parent.name !== 'ArgList') parent = parent.parent;
    arg = parent;
    parent = parent.parent;
  }
  if (parent?.name !== 'ArgList') return null;
  const site = callSite(env, parent, offset);
  const groupIndex = site.groups.findIndex((g) => g.nodes.some((n) => n.from === arg.from && n.to === arg.to));
  if (groupIndex < 0) return null;
  const g = site.groups[groupIndex];
  // A keyword's value is the node after `=`; a positional argument is the group's only node.
  if (g.keyword ? g.nodes[2] !== arg && g.nodes[2]?.from !== arg.from : g.nodes[0] !== arg && g.nodes[0]?.from !== arg.from) return null;
  return { site, param: paramOf(site, groupIndex, env), inList };
}

// ---------------------------------------------------------------------------------------------------------------
// Completions

const pad = (i: number) => String(i).padStart(3, '0');

function snippetEscape(s: string): string {
  return s.replace(/[\\$}]/g, (c) => `\\${c}`);
}

/** `Dense(${1:units})`, `Conv2D(${1:filters}, ${2:kernel_size})`, `Flatten()`. */
function callSnippet(sig: Signature): string {
  if (sig.kind === 'input') return 'Input(shape=(${1:2},))';
  if (sig.kind === 'sequential') return 'Sequential([\n\t$0\n])';
  if (sig.kind === 'model') return 'Model(inputs=${1:inputs}, outputs=${2:outputs})';
  const required = sig.params.filter((p) => p.default === undefined && !p.unsupported && !p.keywordOnly);
  if (required.length) return `${sig.name}(${required.map((p, i) => `\${${i + 1}:${p.name}}`).join(', ')})`;
  if (sig.kind === 'optimizer' || sig.kind === 'regularizer') {
    const first = sig.params[0];
    return first ? `${sig.name}(${first.name}=\${1:${snippetEscape(first.default ?? '')}})` : `${sig.name}()`;
  }
  return sig.kind === 'method' && sig.params.length ? `${sig.name}($0)` : `${sig.name}()`;
}

function entryItem(name: string, e: Resolved, i: number, from: number, to: number): CompletionItem {
  const sortText = pad(i);
  if (e.type === 'namespace') {
    const count = Object.keys(e.members).length;
    return { label: name, kind: 'module', insertText: name, detail: e.path, documentation: `The \`${e.path}\` module (${count} names).`, from, to, sortText };
  }
  const sig = signatureOf(e)!;
  const prefix = sig.qualified.slice(0, sig.qualified.length - sig.name.length);
  const snippet = callSnippet({ ...sig, name });
  return {
    label: name,
    kind: e.type === 'layer' ? 'layer' : 'function',
    insertText: snippet,
    snippet: true,
    detail: prefix + shortLabel({ ...sig, name }),
    documentation: signatureMarkdown(sig),
    from,
    to,
    sortText
  };
}

function namespaceItems(ns: Namespace, from: number, to: number): CompletionItem[] {
  return Object.entries(ns.members).map(([name, e], i) => entryItem(name, e, i, from, to));
}

function methodItems(from: number, to: number): CompletionItem[] {
  return MODEL_METHODS.map((m, i) => entryItem(m, { type: 'method', name: m }, i, from, to));
}

/** The identifier being typed right before the cursor: its start and end. */
function wordAt(source: string, offset: number): { from: number; to: number } {
  let from = offset;
  while (from > 0 && /\w/.test(source[from - 1])) from--;
  let to = offset;
  while (to < source.length && /\w/.test(source[to])) to++;
  return { from, to };
}

function keywordItems(site: CallSite, env: Env, from: number, to: number): CompletionItem[] {
  const sig = site.sig!;
  const given = givenParams(site, env);
  return sig.params
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => !p.unsupported && !given.has(p.name))
    .map(({ p, i }) => {
      const quoted = p.strings?.length && p.valueKind !== 'optimizer' && p.valueKind !== 'regularizer';
      const insertText = quoted ? (p.list ? `${p.name}=["$1"]` : `${p.name}="$1"`) : `${p.name}=`;
      return {
        label: `${p.name}=`,
        kind: 'argument' as const,
        insertText,
        snippet: Boolean(quoted),
        detail: `${p.name}: ${p.type || 'any'}${p.default === undefined ? ' (required)' : ` = ${p.default}`}`,
        documentation: paramMarkdown(sig, p, true),
        from,
        to,
        sortText: pad(i),
        filterText: p.name,
        retrigger: Boolean(quoted) || hasValueItems(p)
      };
    });
}

function hasValueItems(p: Param): boolean {
  return Boolean(p.strings?.length) || ['bool', 'regularizer', 'data', 'optimizer'].includes(p.valueKind);
}

/** Values offered after `name=` (outside quotes): quoted strings, True/False, None, regularizers.l2(...), x_train. */
function valueItems(p: Param, env: Env, from: number, to: number): CompletionItem[] {
  const items: CompletionItem[] = [];
  const push = (label: string, insertText: string, kind: CompletionKind, documentation: string, snippet = false) =>
    items.push({ label, kind, insertText, detail: `${p.name}: ${p.type}`, documentation, snippet, from, to, sortText: pad(items.length), filterText: label.replace(/^\["?|^"|"?\]$|"$/g, '') });
  const alias = (sub: string) => {
    for (const [name, e] of env.names) if (env.imported.has(name) && e.type === 'namespace' && e.path === `keras.${sub}`) return name;
    for (const [name, e] of env.names) if (env.imported.has(name) && e.type === 'namespace' && e.path === 'keras') return `${name}.${sub}`;
    return `keras.${sub}`;
  };
  if (p.valueKind === 'regularizer') {
    for (const [name, r] of Object.entries(REGULARIZERS) as [RegularizerName, (typeof REGULARIZERS)[RegularizerName]][]) {
      const args = r.args.map((a, i) => (r.args.length > 1 ? `${a.name}=\${${i + 1}:${a.default}}` : `\${1:${a.default === 0 ? 0.01 : a.default}}`)).join(', ');
      push(`${alias('regularizers')}.${name}(...)`, `${alias('regularizers')}.${name}(${args})`, 'function', REGULARIZER_DOCS[name], true);
    }
  } else if (p.valueKind === 'optimizer') {
    for (const o of OPTIMIZER_LIST) {
      const name = o.name;
      push(`${alias('optimizers')}.${o.className}(...)`, `${alias('optimizers')}.${o.className}(learning_rate=\${1:${o.args[0].default}})`, 'function', signatureMarkdown(optimizerSignature(name)), true);
    }
  }
  if (p.strings && p.valueKind !== 'regularizer') {
    for (const s of p.strings) {
      const q = `"${s.value}"`;
      push(p.list ? `[${q}]` : q, p.list ? `[${q}]` : q, 'value', s.doc);
    }
  }
  if (p.valueKind === 'bool') {
    push('True', 'True', 'keyword', 'Python\'s true.');
    push('False', 'False', 'keyword', 'Python\'s false.');
  }
  if (p.valueKind === 'data') for (const d of DATA_NAMES) push(d, d, 'value', `The predefined ${d.startsWith('x') ? 'inputs' : 'targets'} (${d.endsWith('train') ? 'training' : 'test'} set).`);
  if (p.default === 'None') push('None', 'None', 'keyword', `No value${p.valueKind === 'activation' ? ' (linear)' : ''}.`);
  return items;
}

/** Values offered inside quotes (`activation="|"`): the bare strings, replacing the string's content. */
function stringItems(p: Param, s: StringInfo): CompletionItem[] {
  return (p.strings ?? []).map((v, i) => ({
    label: v.value,
    kind: 'value' as const,
    insertText: v.value,
    detail: `${p.name}: ${p.type}`,
    documentation: v.doc,
    from: s.from,
    to: s.to,
    sortText: pad(i)
  }));
}

function importItems(env: Env, stmt: SyntaxNode, offset: number): CompletionItem[] {
  const { from, to } = wordAt(env.source, offset);
  const parts = children(stmt).filter((n) => !isErr(n) && n.to <= from);
  const path = (nodes: SyntaxNode[]) => nodes.filter((n) => n.name === 'VariableName').map((n) => text(env, n));
  const nsAt = (p: string[]): Namespace | undefined => {
    if (p[0] !== 'keras') return undefined;
    let e: Entry | undefined = keras();
    for (const s of p.slice(1)) e = e?.type === 'namespace' ? member(e, s) : undefined;
    return e?.type === 'namespace' ? e : undefined;
  };
  const last = parts[parts.length - 1];
  if (parts[0]?.name === 'from') {
    const at = parts.findIndex((n) => n.name === 'import');
    if (at < 0) {
      // from keras.| → submodules; from | → keras
      if (last?.name === '.') {
        const ns = nsAt(path(parts.slice(1)));
        return ns ? Object.entries(ns.members).filter(([, e]) => e.type === 'namespace').map(([n, e], i) => entryItem(n, e, i, from, to)) : [];
      }
      return last?.name === 'from' ? [entryItem('keras', keras(), 0, from, to)] : [];
    }
    const ns = nsAt(path(parts.slice(1, at)));
    if (!ns || (last && last.name !== 'import' && last.name !== ',' && last.name !== '(')) return [];
    return namespaceItems(ns, from, to);
  }
  if (parts[0]?.name === 'import') {
    if (last?.name === 'import' || last?.name === ',') return [entryItem('keras', keras(), 0, from, to)];
    if (last?.name === '.') {
      const dots = parts.slice(1);
      const start = dots.map((n) => n.name).lastIndexOf(',');
      const ns = nsAt(path(dots.slice(start + 1)));
      return ns ? Object.entries(ns.members).filter(([, e]) => e.type === 'namespace').map(([n, e], i) => entryItem(n, e, i, from, to)) : [];
    }
  }
  return [];
}

/** Completions at `offset`. */
export function completions(source: string, offset: number): CompletionItem[] {
  const tree = parse(source);
  const env = environment(source, tree);
  const here = tree.resolveInner(offset, -1);
  for (let n: SyntaxNode | null = here; n; n = n.parent) {
    if (n.name === 'Comment') return [];
    // Imports name things without calling them: plain names.
    if (n.name === 'ImportStatement') return importItems(env, n, offset).map((i) => ({ ...i, insertText: i.label, snippet: false }));
  }

  // Inside a string: the allowed values of the argument it is the value of.
  const str = stringAt(env, tree, offset);
  if (str) {
    const ctx = valueParam(env, str.node, offset);
    return ctx?.param?.strings && !ctx.param.unsupported && (ctx.inList === Boolean(ctx.param.list) || !ctx.inList) ? stringItems(ctx.param, str) : [];
  }

  // After a dot: the members of a keras namespace, or a model's methods.
  const { from, to } = wordAt(source, offset);
  const before = source.slice(0, from);
  const dotted = /((?:[A-Za-z_]\w*\s*\.\s*)*[A-Za-z_]\w*)\s*\.\s*$/.exec(before);
  if (dotted) {
    const names = dotted[1].split('.').map((s) => s.trim());
    let e: Resolved | undefined = env.names.get(names[0]);
    if (e === undefined && names[0] !== 'keras' && names[1] === 'keras') {
      e = keras(); // tf.keras.
      names.splice(0, 1);
    }
    for (const name of names.slice(1)) e = e?.type === 'namespace' ? member(e, name) : undefined;
    // Renaming the callee of an existing call (`layers.Dense|(16)`): the arguments are there already.
    const called = /^\s*\(/.test(source.slice(to));
    const bare = (items: CompletionItem[]) => (called ? items.map((i) => ({ ...i, insertText: i.label, snippet: false })) : items);
    if (e?.type === 'namespace') return bare(namespaceItems(e, from, to));
    if (names.length === 1 && env.models.has(names[0])) return bare(methodItems(from, to));
    return [];
  }

  // Inside a call's parentheses: keyword arguments, or the values of the one being written.
  const site = enclosingCall(env, tree, offset);
  if (!site?.sig) return [];
  const group = site.groups[site.index] ?? { nodes: [] };
  const typed = group.nodes.filter((n) => n.from < offset);
  const partial = (n: SyntaxNode | undefined) => n?.name === 'VariableName' && n.to >= offset;
  if (typed.length === 0 || (typed.length === 1 && partial(typed[0]))) {
    const items = keywordItems(site, env, from, to);
    // A positional slot that takes a known string (layers.Activation("relu")): offer its values too.
    // Only for required parameters (Dense's 2nd positional is activation, but nobody writes Dense(16, "relu")), and
    // for fit's x and y.
    const positional = site.groups.slice(0, site.index).every((g) => !g.keyword) ? site.sig.params.filter((p) => !p.keywordOnly)[site.index] : undefined;
    if (positional && !positional.unsupported && ((positional.strings && positional.default === undefined) || positional.valueKind === 'data')) {
      items.push(...valueItems(positional, env, from, to).filter((i) => i.kind === 'value').map((i) => ({ ...i, sortText: `~${i.sortText}` })));
    }
    return items;
  }
  if (group.keyword && typed[1]?.name === 'AssignOp' && (typed.length === 2 || (typed.length === 3 && partial(typed[2])))) {
    const p = site.sig.params.find((x) => x.name === text(env, group.keyword!));
    return p && !p.unsupported ? valueItems(p, env, from, to) : [];
  }
  // `metrics=[|` or `metrics=["accuracy", |`
  const list = typed[typed.length - 1];
  if (group.keyword && list && LIST_NODES.has(list.name) && insideArgs(list, offset)) {
    const p = site.sig.params.find((x) => x.name === text(env, group.keyword!));
    const inner = children(list).filter((n) => !isErr(n) && n.from < offset);
    const lastInner = inner[inner.length - 1];
    if (p?.list && (lastInner?.name === '[' || lastInner?.name === ',' || (partial(lastInner) && ['[', ','].includes(inner[inner.length - 2]?.name ?? '')))) {
      return (p.strings ?? []).map((s, i) => ({
        label: `"${s.value}"`,
        kind: 'value' as const,
        insertText: `"${s.value}"`,
        detail: `${p.name}: ${p.type}`,
        documentation: s.doc,
        from,
        to,
        sortText: pad(i),
        filterText: s.value
      }));
    }
  }
  return [];
}

// ---------------------------------------------------------------------------------------------------------------
// Hover

function entryMarkdown(name: string, e: Resolved): string {
  if (e.type === 'namespace') {
    const members = Object.keys(e.members);
    return `\`\`\`python\n${e.path}\n\`\`\`\n\nThe \`${e.path}\` module: ${members.map((m) => `\`${m}\``).join(', ')}.`;
  }
  const sig = signatureOf(e);
  return sig ? signatureMarkdown(sig) : `\`${name}\``;
}

/** Hover text at `offset` (the character under the pointer). */
export function hover(source: string, offset: number): HoverResult | null {
  const tree = parse(source);
  const env = environment(source, tree);
  for (const side of [1, -1] as const) {
    const node = tree.resolveInner(offset, side);
    const r = hoverNode(env, node, offset);
    if (r) return r;
  }
  return null;
}

function hoverNode(env: Env, node: SyntaxNode, offset: number): HoverResult | null {
  if (node.from > offset || node.to < offset) return null;
  const range = { from: node.from, to: node.to };
  if (node.name === 'String') {
    const ctx = valueParam(env, node, offset);
    const p = ctx?.param;
    if (!ctx?.site.sig || !p) return null;
    const s = stringInfo(env, node);
    const known = p.strings?.find((v) => v.value === s.value);
    let doc = known?.doc;
    if (!doc && p.valueKind === 'optimizer' && OPTIMIZER_STRINGS[s.value]) doc = valueDoc('optimizer', s.value, '');
    if (!doc) return null;
    return { contents: `\`"${s.value}"\` — ${p.name} of \`${ctx.site.sig!.qualified}\`\n\n${doc}`, ...range };
  }
  if (node.name !== 'VariableName' && node.name !== 'PropertyName') return null;
  const parent = node.parent;
  // A keyword argument's name.
  if (parent?.name === 'ArgList' && node.nextSibling?.name === 'AssignOp') {
    const site = callSite(env, parent, offset);
    if (!site.sig) return null;
    const name = text(env, node);
    const p = site.sig.params.find((x) => x.name === name);
    if (!p) return null;
    return { contents: `\`${site.sig.qualified}(${name}=...)\`\n\n${paramMarkdown(site.sig, p, true)}`, ...range };
  }
  // A name inside an import: from keras.layers import Dense
  if (parent?.name === 'ImportStatement') {
    const parts = children(parent);
    const at = parts.findIndex((n) => n.name === 'import');
    let path: string[];
    if (parts[0]?.name === 'from' && node.from > parts[at]?.from) path = [...parts.slice(1, at).filter((n) => n.name === 'VariableName').map((n) => text(env, n)), text(env, node)];
    else path = parts.filter((n) => n.name === 'VariableName' && n.to <= node.to && n.from >= (parts[at]?.to ?? 0)).map((n) => text(env, n));
    if (path[0] !== 'keras') return null;
    let e: Entry | undefined = keras();
    for (const s of path.slice(1)) e = e?.type === 'namespace' ? member(e, s) : undefined;
    return e ? { contents: entryMarkdown(text(env, node), e), ...range } : null;
  }
  // An attribute or a name: layers.Dense, Dense, keras.optimizers.Adam, model.compile
  const expr = node.name === 'PropertyName' && parent?.name === 'MemberExpression' ? parent : node;
  if (node.name === 'VariableName' && parent?.name === 'MemberExpression' && parent.firstChild !== node) return null;
  const e = resolve(env, expr);
  if (!e) return null;
  // Plain variables that only happen to share a name (e.g. a variable called `layers`) still read as the module.
  return { contents: entryMarkdown(text(env, node), e), ...range };
}

// ---------------------------------------------------------------------------------------------------------------
// Signature help

/** The signature of the call whose parentheses hold the cursor, with the argument being written. */
export function signatureHelp(source: string, offset: number): SignatureHelpResult | null {
  const tree = parse(source);
  const env = environment(source, tree);
  const site = enclosingCall(env, tree, offset);
  if (!site?.sig) return null;
  const sig = site.sig;
  const params = shown(sig);
  const { label, offsets } = signatureLabel(sig);
  const group = site.groups[site.index];
  let active: Param | undefined;
  const typed = group?.nodes.filter((n) => n.from < offset) ?? [];
  if (group?.keyword && typed.length >= 2) active = sig.params.find((p) => p.name === text(env, group.keyword!));
  else if (!site.groups.slice(0, site.index).some((g) => g.keyword)) active = sig.params.filter((p) => !p.keywordOnly)[site.index];
  return {
    label,
    documentation: sig.doc,
    parameters: params.map((p, i) => ({ label: paramLabel(p), documentation: paramMarkdown(sig, p, true), offsets: offsets[i] })),
    activeParameter: active ? params.indexOf(active) : -1
  };
}
