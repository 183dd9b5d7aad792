/**
 * Module boundaries, read from the imports of every file under src/ (static `import`, `export … from`, dynamic
 * `import()`; the <script> blocks of .svelte files), parsed with the TypeScript compiler:
 *
 * - src/lib/spec/ imports no runtime: no @tensorflow/*, no onnxruntime-web (not even through other modules).
 * - Parsing (src/lib/keras/) never reaches TF.js or ONNX Runtime at run time, transitively (`import type` is fine).
 * - The UI (src/routes/, src/lib/components/, src/lib/state/) never loads TF.js or ONNX Runtime through static
 *   run-time imports, transitively: they belong in workers (`new Worker(new URL(...))`, `?worker`) or behind a
 *   dynamic `import()`. Type-only imports are fine.
 * - src/lib/layers/, src/lib/onnx/, src/lib/compile/ import nothing from components/, routes/, state/ or .svelte
 *   files (not even types).
 *
 * Type-only means `import type …` / `export type … from`: with verbatimModuleSyntax (tsconfig), `import { type A }`
 * still leaves `import 'mod'` in the output, so it counts as a run-time import. `?url`/`?raw` imports are assets and
 * `?worker` imports start a worker; none of the three loads the module into the importer's thread. The rules are
 * about the app's code: *.test.ts files are read but not held to them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve('.');
const SRC = join(ROOT, 'src');
const LIB = join(SRC, 'lib');

type Kind = 'static' | 'dynamic' | 'type' | 'asset' | 'worker';
interface Edge {
  from: string; // path relative to the repository root
  spec: string; // as written
  kind: Kind;
  /** The file it resolves to (relative path), or null for a package. */
  file: string | null;
  /** The package name for a bare specifier (`@tensorflow/tfjs`, `onnxruntime-web`), else null. */
  pkg: string | null;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return listFiles(p);
    return /\.(ts|js|svelte)$/.test(name) && !/\.d\.ts$/.test(name) ? [p] : [];
  });
}

/** The TypeScript text of a file: the file itself, or a .svelte file's <script> blocks. */
function scriptOf(file: string, text: string): string {
  if (!file.endsWith('.svelte')) return text;
  return [...text.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)].map((m) => m[1]).join('\n');
}

/** The imports of one file's text. */
function parseImports(file: string, text: string): { spec: string; kind: Kind }[] {
  const source = ts.createSourceFile(file, scriptOf(file, text), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: { spec: string; kind: Kind }[] = [];
  const add = (spec: string, kind: Kind) => {
    if (/\?(url|raw|inline)\b/.test(spec)) kind = 'asset';
    else if (/\?worker\b/.test(spec)) kind = 'worker';
    out.push({ spec, kind });
  };
  const visit = (node: ts.Node) => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.importClause?.isTypeOnly ? 'type' : 'static');
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text, node.isTypeOnly ? 'type' : 'static');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      add(node.moduleReference.expression.text, node.isTypeOnly ? 'type' : 'static');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [arg] = node.arguments;
      if (arg && (ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg))) add(arg.text, 'dynamic');
      else out.push({ spec: `<computed: ${arg?.getText(source) ?? ''}>`, kind: 'dynamic' });
    } else if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && /^(Shared)?Worker$/.test(node.expression.text)) {
      const [arg] = node.arguments ?? [];
      if (arg && ts.isNewExpression(arg) && arg.arguments?.[0] && ts.isStringLiteral(arg.arguments[0])) add(arg.arguments[0].text, 'worker');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

function resolveFile(from: string, spec: string): string | null {
  const bare = spec.replace(/\?.*$/, '');
  let base: string;
  if (bare.startsWith('$lib/') || bare === '$lib') base = join(LIB, bare.slice(5));
  else if (bare.startsWith('.')) base = resolve(dirname(from), bare);
  else return null;
  for (const c of [base, `${base}.ts`, `${base}.js`, join(base, 'index.ts'), join(base, 'index.js')]) {
    if (existsSync(c) && statSync(c).isFile()) return relative(ROOT, c);
  }
  throw new Error(`${relative(ROOT, from)}: cannot resolve "${spec}"`);
}

function packageOf(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('$') || spec.startsWith('<')) return null;
  const parts = spec.replace(/\?.*$/, '').split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function importGraph(files: string[] = listFiles(SRC)): Map<string, Edge[]> {
  const graph = new Map<string, Edge[]>();
  for (const abs of files) {
    const from = relative(ROOT, abs);
    const edges = parseImports(abs, readFileSync(abs, 'utf8')).map(({ spec, kind }) => ({ from, spec, kind, file: resolveFile(abs, spec), pkg: packageOf(spec) }));
    graph.set(from, edges);
  }
  return graph;
}

const RUNTIME = (pkg: string | null) => pkg !== null && (pkg.startsWith('@tensorflow/') || pkg === 'onnxruntime-web');
const under = (file: string, ...dirs: string[]) => dirs.some((d) => file.startsWith(`${d}/`));

/**
 * Every runtime package reachable from `start` through edges of the given kinds, with one import chain each
 * (`a.ts → b.ts → @tensorflow/tfjs`) to show where the boundary broke.
 */
function reachRuntime(graph: Map<string, Edge[]>, start: string, kinds: readonly Kind[]): string[] {
  const seen = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  const hits: string[] = [];
  while (queue.length) {
    const file = queue.shift()!;
    for (const e of graph.get(file) ?? []) {
      if (!kinds.includes(e.kind)) continue;
      const path = seen.get(file)!;
      if (RUNTIME(e.pkg)) hits.push([...path, `${e.spec}${e.kind === 'dynamic' ? ' (import())' : ''}`].join(' → '));
      if (e.file && !seen.has(e.file)) {
        seen.set(e.file, [...path, e.file]);
        queue.push(e.file);
      }
    }
  }
  return hits;
}

function violations(graph: Map<string, Edge[]>): Record<string, string[]> {
  // The rules hold for the app's code; a test beside it (parse.test.ts) may compare against TF.js.
  const files = [...graph.keys()].filter((f) => !/\.test\.ts$/.test(f)).sort();
  const out: Record<string, string[]> = { spec: [], keras: [], ui: [], core: [] };
  for (const f of files) {
    if (under(f, 'src/lib/spec')) out.spec.push(...reachRuntime(graph, f, ['static', 'dynamic']));
    if (under(f, 'src/lib/keras')) out.keras.push(...reachRuntime(graph, f, ['static', 'dynamic']));
    if (under(f, 'src/routes', 'src/lib/components', 'src/lib/state')) out.ui.push(...reachRuntime(graph, f, ['static']));
    if (under(f, 'src/lib/layers', 'src/lib/onnx', 'src/lib/compile')) {
      for (const e of graph.get(f)!) {
        const target = e.file ?? e.spec;
        if (under(target, 'src/lib/components', 'src/routes', 'src/lib/state') || /\.svelte(\?.*)?$/.test(target)) out.core.push(`${f} → ${e.spec}`);
      }
    }
  }
  return out;
}

describe('module boundaries', () => {
  const graph = importGraph();

  it('reads the imports of every file under src/', () => {
    expect(graph.size).toBeGreaterThan(100);
    // The rules have something to read: run-time and type-only imports (the parser's kinds: the next test).
    const kinds = new Set([...graph.values()].flat().map((e) => e.kind));
    expect(kinds.has('static') && kinds.has('type')).toBe(true);
    expect([...graph.values()].flat().filter((e) => e.spec.startsWith('<computed'))).toEqual([]);
    // Sanity: the things the rules look for are there to find.
    expect(graph.get('src/lib/engines/tfjs/build.ts')?.some((e) => e.pkg === '@tensorflow/tfjs' || RUNTIME(e.pkg)) ?? false).toBe(true);
  });

  it('tells type-only, run-time, dynamic, asset and worker imports apart', () => {
    const got = parseImports('x.svelte', [
      '<script lang="ts">',
      "  import type * as tf from '@tensorflow/tfjs';",
      "  import { type InferenceSession } from 'onnxruntime-web';",
      "  export type { Tensor } from '@tensorflow/tfjs-core';",
      "  export { parse } from '$lib/keras/parse';",
      "  import url from 'onnxruntime-web/ort.wasm?url';",
      "  import W from './w?worker';",
      "  const w = new Worker(new URL('./t.worker.ts', import.meta.url), { type: 'module' });",
      "  const ort = await import('onnxruntime-web');",
      '</script>',
      '<p>{x}</p>'
    ].join('\n'));
    expect(got).toEqual([
      { spec: '@tensorflow/tfjs', kind: 'type' },
      { spec: 'onnxruntime-web', kind: 'static' },
      { spec: '@tensorflow/tfjs-core', kind: 'type' },
      { spec: '$lib/keras/parse', kind: 'static' },
      { spec: 'onnxruntime-web/ort.wasm?url', kind: 'asset' },
      { spec: './w?worker', kind: 'worker' },
      { spec: './t.worker.ts', kind: 'worker' },
      { spec: 'onnxruntime-web', kind: 'dynamic' }
    ]);
  });

  it('src/lib/spec/ imports no runtime (@tensorflow/*, onnxruntime-web)', () => {
    expect(violations(graph).spec).toEqual([]);
  });

  it('parsing (src/lib/keras/) never reaches TF.js or ONNX Runtime at run time, transitively', () => {
    expect(violations(graph).keras).toEqual([]);
  });

  it('the UI (routes, components, state) never loads TF.js or ONNX Runtime through static run-time imports', () => {
    expect(violations(graph).ui).toEqual([]);
  });

  it('layers/, onnx/ and compile/ import nothing from components/, routes/, state/ or .svelte files', () => {
    expect(violations(graph).core).toEqual([]);
  });
});
