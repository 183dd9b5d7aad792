/**
 * Diagnostic helpers for the Keras parser: source positions, "did you mean" suggestions, and the syntax checks
 * (unterminated strings, brackets, indentation, error nodes of the parse tree) that produce Python-like messages.
 */
import type { SyntaxNode, Tree } from '@lezer/common';
import type { Diagnostic, Span } from '$lib/spec/types';

// ---------------------------------------------------------------------------------------------------------------
// Positions

/** Maps string offsets to 1-based line/column (columns count UTF-16 code units, as Monaco does). */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(readonly source: string) {
    for (let i = 0; i < source.length; i++) if (source.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  position(offset: number): { line: number; col: number } {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, col: offset - starts[lo] + 1 };
  }

  span(from: number, to: number = from): Span {
    const a = this.position(from);
    const b = this.position(to);
    return { from, to, line: a.line, col: a.col, endLine: b.line, endCol: b.col };
  }

  /** Span of a whole line (1-based), without its newline. */
  lineSpan(line: number): Span {
    const from = this.starts[Math.min(line, this.starts.length) - 1];
    let to = this.source.indexOf('\n', from);
    if (to < 0) to = this.source.length;
    return this.span(from, to);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Suggestions

/** Edit distance counting insertions, deletions, substitutions and swaps of adjacent letters as 1. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The closest candidate to `word` (ignoring case), if it is close enough to be a plausible typo. */
export function didYouMean(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const limit = Math.max(1, Math.floor(word.length / 3));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    if (c === word) continue;
    // The distance is at least the difference in length: skip the quadratic work for hopeless candidates.
    if (Math.abs(c.length - word.length) > limit) continue;
    const d = editDistance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= limit ? best : undefined;
}

/** " — did you mean 'relu'?" or "" (the suffix of messages). */
export function suggestion(word: string, candidates: Iterable<string>, quote = "'"): string {
  const s = didYouMean(word, candidates);
  return s === undefined ? '' : ` — did you mean ${quote}${s}${quote}?`;
}

/** `"a", "b", "c"` for hints. */
export function quoteList(items: readonly string[], quote = '"'): string {
  return items.map((i) => `${quote}${i}${quote}`).join(', ');
}

// ---------------------------------------------------------------------------------------------------------------
// Size

/** Longer programs are refused before parsing: their analysis on every keystroke would freeze the editor. */
export const MAX_SOURCE_CHARS = 50_000;
export const MAX_SOURCE_LINES = 2000;

/** The line count of `source`, counting no further than `limit + 1`. */
function linesUpTo(source: string, limit: number): number {
  let lines = 1;
  for (let i = source.indexOf('\n'); i >= 0 && lines <= limit; i = source.indexOf('\n', i + 1)) lines++;
  return lines;
}

/** Whether the program is past the size the editor analyses. */
export function tooLarge(source: string): boolean {
  return source.length > MAX_SOURCE_CHARS || linesUpTo(source, MAX_SOURCE_LINES) > MAX_SOURCE_LINES;
}

/** A located refusal of a program past the size limits (at the first line or character past them), or null. */
export function sizeError(source: string, index: LineIndex): Diagnostic | null {
  const hint = 'Build repeated layers with a for loop: for i in range(n): model.add(...)';
  if (linesUpTo(source, MAX_SOURCE_LINES) > MAX_SOURCE_LINES) {
    const lines = index.position(source.length).line;
    return { severity: 'error', message: `The program is too long to analyse: ${lines} lines, at most ${MAX_SOURCE_LINES}`, span: index.lineSpan(MAX_SOURCE_LINES + 1), hint };
  }
  if (source.length > MAX_SOURCE_CHARS) {
    return { severity: 'error', message: `The program is too long to analyse: ${source.length} characters, at most ${MAX_SOURCE_CHARS}`, span: index.span(MAX_SOURCE_CHARS, MAX_SOURCE_CHARS + 1), hint };
  }
  return null;
}

/**
 * The refusal of a program whose tree cannot be built (it nests too deeply: long operator chains such as
 * `- - - … 1`), located at its longest line.
 */
export function nestedTooDeeply(source: string, index: LineIndex): Diagnostic {
  let best = 0;
  let bestLength = -1;
  for (let from = 0; from <= source.length; ) {
    let to = source.indexOf('\n', from);
    if (to < 0) to = source.length;
    if (to - from > bestLength) [best, bestLength] = [from, to - from];
    from = to + 1;
  }
  return syntaxError(index, best, best + bestLength, 'this program is nested too deeply to analyse', 'Split long expressions into several assignments');
}

// ---------------------------------------------------------------------------------------------------------------
// Syntax checks the parse tree does not make (it accepts unterminated strings and stray indentation)

const MAX_NESTING = 200;
const TOO_NESTED = 'too many nested parentheses';
const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
const BLOCK_KEYWORDS = new Set(['for', 'while', 'if', 'elif', 'else', 'def', 'class', 'with', 'try', 'except', 'finally', 'async', 'match', 'case']);

function blockDescription(keyword: string): string {
  if (keyword === 'def') return 'function definition';
  if (keyword === 'class') return 'class definition';
  return `'${keyword}' statement`;
}

function syntaxError(index: LineIndex, from: number, to: number, message: string, hint?: string): Diagnostic {
  const d: Diagnostic = { severity: 'error', message: `Syntax error: ${message}`, span: index.span(from, to) };
  if (hint) d.hint = hint;
  return d;
}

/**
 * Scans the source like Python's tokenizer: strings, comments, brackets and indentation.
 * Returns the first problem found, or null.
 */
export function lexicalError(source: string, index: LineIndex): Diagnostic | null {
  return lexicalProblem(source, index)?.diagnostic ?? null;
}

/** The first tokenizer-level problem; `final`: no earlier problem in the tree can matter (deep nesting). */
export function lexicalProblem(source: string, index: LineIndex): { diagnostic: Diagnostic; final: boolean } | null {
  const d = scan(source, index);
  return d && { diagnostic: d, final: d.message.endsWith(TOO_NESTED) };
}

function scan(source: string, index: LineIndex): Diagnostic | null {
  const n = source.length;
  const stack: { ch: string; pos: number }[] = [];
  const indents = [0];
  let i = 0;
  let atLineStart = true;
  // The current logical line: does it hold code, its last significant character, its first word, its start.
  const line = { hasCode: false, lastChar: '', firstWord: '', start: 0 };
  // Set when the previous logical line opened a block (a block keyword ... ':').
  let pendingBlock: { keyword: string; line: number } | null = null;

  const blockOpenedBy = (): { keyword: string; line: number } | null =>
    line.hasCode && line.lastChar === ':' && BLOCK_KEYWORDS.has(line.firstWord) ? { keyword: line.firstWord, line: index.position(line.start).line } : null;
  const expectedBlock = (block: { keyword: string; line: number }, from: number, to: number) =>
    syntaxError(index, from, to, `expected an indented block after ${blockDescription(block.keyword)} on line ${block.line}`, 'Indent the lines of the block, e.g. by 4 spaces');

  while (i < n) {
    if (atLineStart) {
      atLineStart = false;
      // Inside brackets, lines continue the logical line and their indentation does not matter.
      if (stack.length === 0) {
        let j = i;
        let width = 0;
        while (j < n && (source[j] === ' ' || source[j] === '\t' || source[j] === '\f')) {
          width = source[j] === '\t' ? width + 8 - (width % 8) : width + 1;
          j++;
        }
        const blank = j >= n || source[j] === '\n' || source[j] === '\r' || source[j] === '#';
        if (!blank) {
          const top = indents[indents.length - 1];
          const tokenEnd = Math.max(scanWord(source, j), j + 1);
          if (pendingBlock) {
            if (width <= top) return expectedBlock(pendingBlock, j, tokenEnd);
            indents.push(width);
          } else if (width > top) {
            return syntaxError(index, j, tokenEnd, 'unexpected indent', 'Only the lines inside a for loop are indented');
          } else if (width < top) {
            while (indents.length > 1 && width < indents[indents.length - 1]) indents.pop();
            if (width !== indents[indents.length - 1]) {
              return syntaxError(index, j, tokenEnd, 'unindent does not match any outer indentation level', 'Line this up with the lines of an enclosing block');
            }
          }
          pendingBlock = null;
          line.hasCode = true;
          line.start = j;
          line.firstWord = source.slice(j, scanWord(source, j));
        }
        i = j;
        continue;
      }
    }
    const c = source[i];
    if (c === '#') {
      while (i < n && source[i] !== '\n') i++;
      continue;
    }
    if (c === '\n') {
      i++;
      atLineStart = true;
      if (stack.length === 0) {
        pendingBlock = blockOpenedBy() ?? (line.hasCode ? null : pendingBlock);
        Object.assign(line, { hasCode: false, lastChar: '', firstWord: '' });
      }
      continue;
    }
    // A backslash at the end of a line joins the next line to this logical line.
    if (c === '\\' && (source[i + 1] === '\n' || (source[i + 1] === '\r' && source[i + 2] === '\n'))) {
      i += source[i + 1] === '\n' ? 2 : 3;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = scanString(source, i);
      if (end < 0) {
        const triple = source.startsWith(c.repeat(3), i);
        const to = triple ? i + 3 : lineEnd(source, i);
        return syntaxError(index, i, to, triple ? 'unterminated triple-quoted string' : 'unterminated string', `Close the string with ${triple ? c.repeat(3) : c}`);
      }
      i = end;
      line.hasCode = true;
      line.lastChar = c;
      continue;
    }
    if (c in OPENERS) {
      // Python's own limit (MAXLEVEL); deeper nesting would also cost the later passes their stack.
      if (stack.length >= MAX_NESTING) return syntaxError(index, i, i + 1, TOO_NESTED, `At most ${MAX_NESTING} brackets can be open at once`);
      stack.push({ ch: c, pos: i });
    }
    else if (c in CLOSERS) {
      const open = stack.pop();
      if (!open) return syntaxError(index, i, i + 1, `unmatched '${c}'`, `Remove this '${c}' or add the matching '${CLOSERS[c]}' before it`);
      if (OPENERS[open.ch] !== c) {
        const where = index.position(open.pos).line;
        return syntaxError(index, i, i + 1, `closing '${c}' does not match '${open.ch}' opened at line ${where}`, `Close '${open.ch}' with '${OPENERS[open.ch]}' first`);
      }
    }
    if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\f') {
      line.hasCode = true;
      line.lastChar = c;
    }
    i++;
  }
  if (stack.length > 0) {
    const open = stack[stack.length - 1];
    const where = index.position(open.pos).line;
    return syntaxError(index, open.pos, open.pos + 1, `'${open.ch}' opened at line ${where} is never closed`, `Add the closing '${OPENERS[open.ch]}'`);
  }
  const block = blockOpenedBy() ?? (line.hasCode ? null : pendingBlock);
  return block ? expectedBlock(block, n, n) : null;
}

function scanWord(source: string, i: number): number {
  while (i < source.length && /[\p{L}\p{N}_]/u.test(source[i])) i++;
  return i;
}

function lineEnd(source: string, i: number): number {
  const e = source.indexOf('\n', i);
  return e < 0 ? source.length : e;
}

/** End offset of the string literal starting with the quote at `i`, or -1 if it is never closed. */
function scanString(source: string, i: number): number {
  const q = source[i];
  const triple = source.startsWith(q.repeat(3), i);
  let j = i + (triple ? 3 : 1);
  while (j < source.length) {
    const c = source[j];
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (triple) {
      if (source.startsWith(q.repeat(3), j)) return j + 3;
    } else {
      if (c === q) return j + 1;
      if (c === '\n') return -1;
    }
    j++;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------------------------
// Error nodes of the parse tree

const BRACKETED = new Set(['ArgList', 'ArrayExpression', 'TupleExpression', 'ParenthesizedExpression', 'DictionaryExpression', 'SetExpression']);

/** The text of the token at `pos` (a word, a number, or one character). */
function tokenAt(source: string, pos: number): string {
  const end = scanWord(source, pos);
  if (end > pos) return source.slice(pos, end);
  if (source[pos] === '"' || source[pos] === "'") {
    const e = scanString(source, pos);
    return e < 0 ? source[pos] : source.slice(pos, Math.min(e, pos + 20));
  }
  const two = source.slice(pos, pos + 2);
  if (['**', '//', '==', '!=', '<=', '>=', '->', ':='].includes(two)) return two;
  return source[pos] ?? '';
}

function previousSignificant(source: string, pos: number): string {
  let i = pos - 1;
  while (i >= 0 && /\s/.test(source[i])) i--;
  return i >= 0 ? source[i] : '';
}

/** Turns the first error node of the tree into a Python-like syntax error, or null if the tree has none. */
export function treeSyntaxError(tree: Tree, source: string, index: LineIndex): Diagnostic | null {
  let node: SyntaxNode | null = null;
  const cursor = tree.cursor();
  do {
    if (cursor.type.isError) node = cursor.node;
  } while (!node && cursor.next());
  if (!node) return null;
  const parent = node.parent;
  // `for i in range(3)` + newline: the block starts without its colon.
  if (parent?.name === 'Body' && parent.firstChild?.from === node.from && source[parent.from] !== ':') {
    return syntaxError(index, node.from, node.to, "expected ':'", "End the line with ':'");
  }
  // Skip whitespace to find the offending token.
  let pos = node.from;
  while (pos < source.length && (source[pos] === ' ' || source[pos] === '\t')) pos++;
  if (pos >= source.length || source[pos] === '\n' || source[pos] === '\r' || source[pos] === '#') {
    const atEnd = source.slice(pos).trim() === '';
    return syntaxError(index, node.from, node.from, atEnd ? 'unexpected end of file' : 'unexpected end of line', 'The statement is incomplete');
  }
  const token = tokenAt(source, pos);
  const to = pos + token.length;
  const inBrackets = (() => {
    for (let p: SyntaxNode | null = parent; p; p = p.parent) if (BRACKETED.has(p.name)) return true;
    return false;
  })();
  const startsValue = /^[\p{L}\p{N}_"'([{]/u.test(token);
  const endsValue = /[\p{L}\p{N}_"')\]}]/u.test(previousSignificant(source, pos));
  if (inBrackets && startsValue && endsValue) {
    return syntaxError(index, pos, to, `unexpected '${token}' — perhaps you forgot a comma?`, 'Separate arguments and list items with commas');
  }
  return syntaxError(index, pos, to, `unexpected '${token}'`);
}
