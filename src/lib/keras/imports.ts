/**
 * Which names an import statement binds, shared by the interpreter (which reports every problem) and the editor's
 * completion and hover (which read incomplete code and skip what they cannot resolve):
 *
 *   import keras                        keras → the keras module
 *   import keras.layers                 keras → the keras module (Python binds the package)
 *   import keras.layers as L            L → keras.layers
 *   from keras import layers [as l]     layers (l) → keras.layers
 *   from keras.layers import Dense      Dense → keras.layers.Dense
 *   import keras_hub                    keras_hub → the keras_hub module (KerasHub)
 *   from keras_hub import layers as h   h → keras_hub.layers
 */
import type { SyntaxNode } from '@lezer/common';
import type { Entry, Namespace } from './builtins';

export interface ModulePath {
  names: string[];
  nodes: SyntaxNode[];
}

export type ImportBinding =
  /** `import a.b [as c]`: binds `bound` to the module at `path` (`asModule`, with `as`) or to its root package. */
  | { kind: 'module'; bound: string; path: ModulePath; asModule: boolean }
  /** `from a.b import c [as d]`: binds `bound` to the member `name` of the `from` module. */
  | { kind: 'member'; bound: string; name: string; nameNode: SyntaxNode };

export interface ImportInfo {
  /** `from` imports: the module path, the leading '.' of a relative import, the `*` of a star import. */
  from?: { path: ModulePath; relative?: SyntaxNode; star?: SyntaxNode };
  bindings: ImportBinding[];
}

/** Children that matter (comments and error markers dropped). */
function parts(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== 'Comment' && !c.type.isError) out.push(c);
  return out;
}

/** Splits a child list on ',' tokens (and drops the commas). */
function groups(nodes: SyntaxNode[]): SyntaxNode[][] {
  const out: SyntaxNode[][] = [[]];
  for (const n of nodes) {
    if (n.name === ',') out.push([]);
    else out[out.length - 1].push(n);
  }
  return out.filter((g) => g.length > 0);
}

/** Reads an ImportStatement (possibly incomplete: what cannot be read is left out). */
export function readImport(stmt: SyntaxNode, text: (n: SyntaxNode) => string): ImportInfo {
  const ps = parts(stmt);
  const path = (nodes: SyntaxNode[]): ModulePath => {
    const named = nodes.filter((n) => n.name === 'VariableName');
    return { names: named.map(text), nodes: named };
  };
  if (ps[0]?.name === 'import') {
    // import a.b [as c], d
    const bindings: ImportBinding[] = [];
    for (const g of groups(ps.slice(1))) {
      const asAt = g.findIndex((n) => n.name === 'as');
      const p = path(asAt < 0 ? g : g.slice(0, asAt));
      const alias = asAt < 0 ? undefined : g[asAt + 1];
      if (p.names.length === 0) continue;
      bindings.push({ kind: 'module', bound: alias ? text(alias) : p.names[0], path: p, asModule: alias !== undefined });
    }
    return { bindings };
  }
  // from a.b import c [as d], e   |   from a import *
  const at = ps.findIndex((n) => n.name === 'import');
  const moduleNodes = ps.slice(1, at < 0 ? ps.length : at);
  const names = at < 0 ? [] : ps.slice(at + 1).filter((n) => n.name !== '(' && n.name !== ')');
  const from = { path: path(moduleNodes), relative: moduleNodes[0]?.name === '.' ? moduleNodes[0] : undefined, star: names.find((n) => n.name === '*') };
  const bindings: ImportBinding[] = [];
  for (const g of groups(names)) {
    const name = g[0];
    if (name.name !== 'VariableName') continue;
    const alias = g[1]?.name === 'as' ? g[2] : undefined;
    bindings.push({ kind: 'member', bound: text(alias ?? name), name: text(name), nameNode: name });
  }
  return { from, bindings };
}

/** A member of a namespace (own members only: no `constructor` or `toString`). */
export function member(ns: Namespace, name: string): Entry | undefined {
  return Object.prototype.hasOwnProperty.call(ns.members, name) ? ns.members[name] : undefined;
}

/** The modules a program can import, by root name (`keras`, `keras_hub`; see `buildRoots`). */
export type Roots = Record<string, Namespace>;

/** The entry at a dotted module path under one of the `roots` (`keras.layers`, `keras_hub.layers`), or undefined. */
export function resolvePath(roots: Roots, path: string[]): Entry | undefined {
  let e: Entry | undefined = Object.hasOwn(roots, path[0]) ? roots[path[0]] : undefined;
  for (const p of path.slice(1)) e = e && e.type === 'namespace' ? member(e, p) : undefined;
  return e;
}

/** What a binding binds, resolved leniently (never reports): undefined when it is not under keras / keras_hub or unknown. */
export function importedEntry(roots: Roots, info: ImportInfo, b: ImportBinding): Entry | undefined {
  if (b.kind === 'module') {
    const root = Object.hasOwn(roots, b.path.names[0]) ? roots[b.path.names[0]] : undefined;
    if (!root) return undefined;
    return b.asModule ? resolvePath(roots, b.path.names) : root;
  }
  const module = info.from ? resolvePath(roots, info.from.path.names) : undefined;
  return module?.type === 'namespace' ? member(module, b.name) : undefined;
}
