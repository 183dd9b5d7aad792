/**
 * The @lezer/python tree of a program, shared by the parser (`parse.ts`) and the editor's completion and hover
 * (`language.ts`): on a keystroke both read the same text, and the tree of a long program is the costly part.
 */
import type { Tree } from '@lezer/common';
import { parser } from '@lezer/python';

let cache: { source: string; tree: Tree | null } | null = null;

/**
 * The tree, or null when the program nests too deeply for it to be built: @lezer/common builds trees recursively,
 * and thousands of nested brackets or operators (`- - - … 1`) overflow the JavaScript stack.
 */
export function syntaxTree(source: string): Tree | null {
  if (cache?.source !== source) {
    let tree: Tree | null;
    try {
      tree = parser.parse(source);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      tree = null;
    }
    cache = { source, tree };
  }
  return cache.tree;
}
