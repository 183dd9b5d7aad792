/**
 * Editor intelligence for the Keras subset: completions, hover and signature help over (source text, cursor offset).
 *
 * Pure functions (no Monaco), so node tests can drive them; `components/keras-language.ts` adapts them to Monaco.
 * What a call takes and its docs come from `signatures.ts`, generated from the registries (layers, optimizers,
 * losses, metrics, initializers, regularizers) and the call tables in `builtins.ts`, so a new entry documents itself;
 * which names the program's imports bind comes from `imports.ts`, shared with the parser.
 * The context comes from the @lezer/python tree, which recovers from the incomplete code a user is typing.
 */
import type { SyntaxNode, Tree } from '@lezer/common';
import { LineIndex, lexicalProblem, tooLarge } from './diagnostics';
import { syntaxTree } from './tree';
import { getBlock, getLayer, LAYERS } from '$lib/layers';
import type { BlockDef, LayerDef } from '$lib/layers/types';
import { REGULARIZER_DOCS } from '$lib/layers/regularizers';
import { OPTIMIZER_LIST } from '$lib/optimizers';
import {
  buildRoots,
  DATA_CONSTANTS,
  DATA_NAMES,
  MODEL_METHODS,
  OPTIMIZER_STRINGS,
  REGULARIZERS,
  type Entry,
  type ModelMethod,
  type Namespace,
  type RegularizerName
} from './builtins';
import { importedEntry, member, readImport, resolvePath } from './imports';
import {
  callableSignature,
  callSignature,
  methodSignature,
  optimizerSignature,
  paramLabel,
  paramMarkdown,
  shortLabel,
  shown,
  signatureLabel,
  signatureMarkdown,
  valueDoc,
  type Param,
  type Signature
} from './signatures';

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
// The tree and the names in scope

const parse = syntaxTree;

/** Programs the parser refuses before building a tree (too long, brackets nested too deeply): nothing to offer. */
const refused = (source: string) => tooLarge(source) || Boolean(lexicalProblem(source, new LineIndex(source))?.final);

let rootModules: Record<'keras' | 'keras_hub', Namespace> | null = null;
/** The modules a program can import (`keras`, `keras_hub`). */
const roots = () => (rootModules ??= buildRoots());
const keras = () => roots().keras;

interface Env {
  source: string;
  names: Map<string, Entry>;
  /** Variables bound to a model (keras.Sequential(...) / keras.Model(...)). */
  models: Set<string>;
  /** Names the program's own imports bind (the others in `names` are defaults). */
  imported: Set<string>;
  /** Variables bound to a layer or block object (`mha = layers.MultiHeadAttention(...)`), for the help on its call. */
  layerVars: Map<string, LayerDef | BlockDef>;
}

const isErr = (n: SyntaxNode) => n.type.isError;
const text = (env: Env, n: SyntaxNode) => env.source.slice(n.from, n.to);

function children(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c; c = c.nextSibling) if (c.name !== 'Comment') out.push(c);
  return out;
}

/** The names the program's imports bind, over defaults for the usual ones (the user may not have typed them yet). */
function environment(source: string, tree: Tree): Env {
  const root = keras();
  const env: Env = { source, names: new Map(), models: new Set(), imported: new Set(), layerVars: new Map() };
  env.names.set('keras', root);
  env.names.set('keras_hub', roots().keras_hub);
  for (const sub of ['layers', 'optimizers', 'regularizers', 'models']) env.names.set(sub, member(root, sub)!);
  const bind = (name: string, e: Entry) => {
    env.names.set(name, e);
    env.imported.add(name);
  };
  for (const stmt of children(tree.topNode)) {
    if (stmt.name !== 'ImportStatement') continue;
    const info = readImport(stmt, (n) => text(env, n));
    for (const b of info.bindings) {
      const e = importedEntry(roots(), info, b);
      if (e) bind(b.bound, e);
    }
  }
  // Model variables: name = <something resolving to keras.Sequential / keras.Model>(...); layer variables: name =
  // <a layer or block>(...) (in loops too: `mha = layers.MultiHeadAttention(...)` in a for body).
  const assignments: SyntaxNode[] = [];
  const collect = (n: SyntaxNode) => {
    for (const c of children(n)) {
      if (c.name === 'AssignStatement') assignments.push(c);
      else if (c.name === 'ForStatement' || c.name === 'Body') collect(c);
    }
  };
  collect(tree.topNode);
  for (const stmt of assignments) {
    const parts = children(stmt);
    const value = parts[parts.length - 1];
    if (parts[0]?.name !== 'VariableName' || value?.name !== 'CallExpression' || !value.firstChild) continue;
    const callee = resolve(env, value.firstChild);
    if (callee && (callee.type === 'sequential' || callee.type === 'model')) env.models.add(text(env, parts[0]));
    if (callee && (callee.type === 'layer' || callee.type === 'block')) env.layerVars.set(text(env, parts[0]), callee.def);
  }
  return env;
}

/** What an expression names: an entry, a model method, or a call of a layer object with named tensors. */
type Resolved = Entry | { type: 'method'; name: ModelMethod } | { type: 'layercall'; def: LayerDef | BlockDef };

/** What a callee or attribute expression names: a keras namespace, a callable, or a model method. */
function resolve(env: Env, node: SyntaxNode): Resolved | undefined {
  if (node.name === 'VariableName') {
    const name = text(env, node);
    const e = env.names.get(name);
    if (e) return e;
    const instance = env.layerVars.get(name);
    if (instance) return instance.call ? { type: 'layercall', def: instance } : undefined;
    const def = getLayer(name);
    if (def) return { type: 'layer', display: def.kind, def };
    const block = getBlock(name);
    return block ? { type: 'block', display: block.kind, def: block } : undefined;
  }
  // layers.MultiHeadAttention(4, 16)(...): the call of the layer object the constructor makes.
  if (node.name === 'CallExpression' && node.firstChild) {
    const callee = resolve(env, node.firstChild);
    return callee && (callee.type === 'layer' || callee.type === 'block') && callee.def.call ? { type: 'layercall', def: callee.def } : undefined;
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
  if (r.type === 'layercall') return callSignature(r.def);
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
    kind: e.type === 'layer' || e.type === 'block' ? 'layer' : 'function',
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

/**
 * The dotted name that ends with a dot just before `from` (`keras.layers.` gives ['keras', 'layers']), read backwards
 * in one pass (a regular expression anchored at the end would retry from every offset: quadratic on long lines).
 */
function dottedBefore(source: string, from: number): string[] | null {
  let i = from;
  const skipSpace = () => {
    while (i > 0 && /\s/.test(source[i - 1])) i--;
  };
  const names: string[] = [];
  for (;;) {
    skipSpace();
    if (source[i - 1] !== '.') break;
    i--;
    skipSpace();
    const end = i;
    while (i > 0 && /\w/.test(source[i - 1])) i--;
    // A name starts with a letter or '_': digits before it are not part of the chain.
    let start = i;
    while (start < end && /\d/.test(source[start])) start++;
    if (start === end) break;
    names.unshift(source.slice(start, end));
    if (start > i) break;
  }
  return names.length > 0 ? names : null;
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
  return Boolean(p.strings?.length) || ['bool', 'regularizer', 'data', 'optimizer', 'layer', 'int', 'shape'].includes(p.valueKind);
}

/** The layer kinds a layer-valued parameter takes (all of the registry's when it does not say). */
function layerKinds(p: Param): string[] {
  return p.layers?.length ? p.layers : LAYERS.map((l) => l.kind);
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
  if (p.valueKind === 'layer') {
    for (const kind of layerKinds(p)) {
      const def = getLayer(kind);
      if (!def) continue;
      const sig = callableSignature({ type: 'layer', display: kind, def });
      if (!sig) continue;
      items.push({
        label: `${alias('layers')}.${kind}(...)`,
        kind: 'layer',
        insertText: `${alias('layers')}.${callSnippet(sig)}`,
        detail: `${p.name}: ${p.type}`,
        documentation: signatureMarkdown(sig),
        snippet: true,
        from,
        to,
        sortText: pad(items.length),
        filterText: kind
      });
    }
  }
  // Numbers the data predefines (vocab_size, seq_len): wherever an integer goes.
  if (p.valueKind === 'int' || p.valueKind === 'shape') for (const [name, c] of Object.entries(DATA_CONSTANTS)) push(name, name, 'value', constantDoc(name, c.doc));
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
    const e = p.length ? resolvePath(roots(), p) : undefined;
    return e?.type === 'namespace' ? e : undefined;
  };
  const rootItems = () => Object.entries(roots()).map(([n, e], i) => entryItem(n, e, i, from, to));
  const last = parts[parts.length - 1];
  if (parts[0]?.name === 'from') {
    const at = parts.findIndex((n) => n.name === 'import');
    if (at < 0) {
      // from keras.| → submodules; from | → keras
      if (last?.name === '.') {
        const ns = nsAt(path(parts.slice(1)));
        return ns ? Object.entries(ns.members).filter(([, e]) => e.type === 'namespace').map(([n, e], i) => entryItem(n, e, i, from, to)) : [];
      }
      return last?.name === 'from' ? rootItems() : [];
    }
    const ns = nsAt(path(parts.slice(1, at)));
    if (!ns || (last && last.name !== 'import' && last.name !== ',' && last.name !== '(')) return [];
    return namespaceItems(ns, from, to);
  }
  if (parts[0]?.name === 'import') {
    if (last?.name === 'import' || last?.name === ',') return rootItems();
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
  const tree = refused(source) ? null : parse(source);
  if (!tree) return [];
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
  const names = dottedBefore(source, from);
  if (names) {
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
    if (positional && !positional.unsupported && ((positional.strings && positional.default === undefined) || positional.valueKind === 'data' || positional.valueKind === 'layer' || (positional.valueKind === 'int' && positional.default === undefined))) {
      items.push(...valueItems(positional, env, from, to).filter((i) => i.kind === 'value' || i.kind === 'layer').map((i) => ({ ...i, sortText: `~${i.sortText}` })));
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

/** The doc of a data constant (vocab_size, seq_len): what it is and which data defines it. */
function constantDoc(name: string, doc: string): string {
  return `${doc}\n\nPredefined by the data: ${DATA_CONSTANTS[name].definedBy}.`;
}

/** Does the program assign `name` itself (`vocab_size = 10`)? */
function assigned(env: Env, name: string): boolean {
  return new RegExp(`^\\s*${name}\\s*=[^=]`, 'm').test(env.source);
}

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
  const tree = refused(source) ? null : parse(source);
  if (!tree) return null;
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
    const e = path.length ? resolvePath(roots(), path) : undefined;
    return e ? { contents: entryMarkdown(text(env, node), e), ...range } : null;
  }
  // A number the data predefines (vocab_size, seq_len), unless the program binds the name itself.
  if (node.name === 'VariableName' && Object.hasOwn(DATA_CONSTANTS, text(env, node)) && !env.names.has(text(env, node)) && !assigned(env, text(env, node))) {
    const name = text(env, node);
    return { contents: `\`${name}\` (int)\n\n${constantDoc(name, DATA_CONSTANTS[name].doc)}`, ...range };
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
  const tree = refused(source) ? null : parse(source);
  if (!tree) return null;
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
