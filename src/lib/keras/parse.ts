/**
 * Reads a Keras 3 Python program into a ModelSpec, without running it.
 *
 * The work is split by job: `interpreter.ts` walks the Python subset, `arguments.ts` converts call arguments to spec
 * values, `model-builder.ts` builds the model from the Keras calls; `imports.ts` (which names an import binds) is
 * shared with the editor's completion and hover (`language.ts`).
 */
import { inferShapes } from '$lib/spec/shape';
import type { ParseResult } from '$lib/spec/types';
import { LineIndex, lexicalProblem, nestedTooDeeply, sizeError, treeSyntaxError } from './diagnostics';
import { Interpreter } from './interpreter';
import { syntaxTree } from './tree';

export { toSnakeCase } from './model-builder';

export interface ParseOptions {
  /**
   * Numbers the data predefines for the program (`vocab_size`, `seq_len`; see `DATA_CONSTANTS`), usable wherever a
   * number is. A program that uses one the data does not define gets a located message saying which data defines it.
   */
  constants?: Record<string, number>;
}

/** Parses a Keras program (never runs it) into a ModelSpec with located diagnostics. */
export function parseProgram(source: string, opts: ParseOptions = {}): ParseResult {
  const index = new LineIndex(source);
  const tooLong = sizeError(source, index);
  if (tooLong) return { spec: null, diagnostics: [tooLong] };
  // Syntax: the earliest of the tokenizer-level problem and the first error in the tree (not parsed when the brackets
  // nest too deeply: that is the problem, and the tree of 5000 nested brackets is slow to build).
  const problem = lexicalProblem(source, index);
  if (problem?.final) return { spec: null, diagnostics: [problem.diagnostic] };
  const lexical = problem?.diagnostic ?? null;
  const tree = syntaxTree(source);
  if (!tree) return { spec: null, diagnostics: [lexical ?? nestedTooDeeply(source, index)] };
  const structural = treeSyntaxError(tree, source, index);
  const syntax = lexical && structural ? (structural.span.from < lexical.span.from ? structural : lexical) : (lexical ?? structural);
  if (syntax) return { spec: null, diagnostics: [syntax] };

  const interpreter = new Interpreter(source, index, opts.constants ?? {});
  interpreter.run(tree.topNode);
  let spec = interpreter.finish();
  const diagnostics = interpreter.diagnostics;
  if (spec) {
    diagnostics.push(...inferShapes(spec).diagnostics);
    if (diagnostics.some((d) => d.severity === 'error')) spec = null;
  }
  diagnostics.sort((a, b) => a.span.from - b.span.from);
  return { spec, diagnostics };
}
