/**
 * The @lezer/python tree of a program, shared by the parser (`parse.ts`) and the editor's completion and hover
 * (`language.ts`): on a keystroke both read the same text, and the tree of a long program is the costly part.
 */
import type { Tree } from '@lezer/common';
import { parser } from '@lezer/python';

let cache: { source: string; tree: Tree } | null = null;

export function syntaxTree(source: string): Tree {
  if (cache?.source !== source) cache = { source, tree: parser.parse(source) };
  return cache.tree;
}
