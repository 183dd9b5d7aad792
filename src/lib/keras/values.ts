/**
 * The values of the Keras-subset interpreter (what a Python expression evaluates to), the arguments of a call, and the
 * located error that stops a statement. Shared by the interpreter (`interpreter.ts`), the argument conversion
 * (`arguments.ts`) and the model builder (`model-builder.ts`).
 */
import type { BlockDef, LayerDef } from '$lib/layers/types';
import type { ArgValue, CompileSpec, Diagnostic, FitSpec, InputNode, LayerNode, OptimizerSpec, Severity, Span } from '$lib/spec/types';
import type { Callable, ModelMethod, Namespace } from './builtins';

/** A layer object: configured by its constructor, placed in a model at most once. */
export interface LayerInstance {
  def: LayerDef;
  id: string;
  args: Record<string, ArgValue>;
  /** The constructor call. */
  span: Span;
  /** Set once the layer is called or added to a model. */
  used: boolean;
}

/** A composite layer object (KerasHub's TransformerEncoder): configured by its constructor, expanded when called. */
export interface BlockInstance {
  def: BlockDef;
  id: string;
  args: Record<string, ArgValue>;
  /** The constructor call. */
  span: Span;
  /** Set once the block is called. */
  used: boolean;
}

/** A model under construction. */
export interface ModelObject {
  style: 'sequential' | 'functional';
  /** The Python variable it was first bound to. */
  varName: string | null;
  inputs: InputNode[];
  layers: LayerNode[];
  outputs: string[];
  compile: CompileSpec | null;
  fit: FitSpec | null;
  /** The keras.Sequential / keras.Model call. */
  span: Span;
  /** Part of its definition failed (already reported): no spec, no further checks. */
  broken: boolean;
  compileFailed: boolean;
}

export type Value =
  | { kind: 'number'; value: number; isInt: boolean }
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'none' }
  /** `spans` locate each item in the source (for messages about one item). */
  | { kind: 'tuple' | 'list'; items: Value[]; spans: Span[] }
  | { kind: 'range'; values: number[] }
  | { kind: 'namespace'; ns: Namespace }
  | { kind: 'callable'; fn: Callable }
  | { kind: 'layer'; layer: LayerInstance }
  /** A KerasHub block (`BlockDef`), called like a layer. */
  | { kind: 'block'; block: BlockInstance }
  /** A symbolic tensor: the output of the graph node `id` (a keras.Input or a layer call). */
  | { kind: 'tensor'; id: string }
  | { kind: 'model'; model: ModelObject }
  | { kind: 'method'; model: ModelObject; name: ModelMethod }
  | { kind: 'optimizer'; optimizer: OptimizerSpec }
  | { kind: 'regularizer'; config: { [key: string]: ArgValue } }
  /** One of the predefined data sets (x_train, ...). */
  | { kind: 'data'; name: string }
  /** The result of something that failed and was reported. */
  | { kind: 'poison' };

export const NONE: Value = { kind: 'none' };
export const POISON: Value = { kind: 'poison' };

export type GraphNode = { kind: 'input'; node: InputNode } | { kind: 'layer'; node: LayerNode };

/** One argument of a call, evaluated. */
export interface Arg {
  value: Value;
  span: Span;
  /** Keyword arguments: where the name is written. */
  nameSpan?: Span;
}

export interface KeywordArg extends Arg {
  name: string;
  nameSpan: Span;
}

export interface CallArgs {
  positional: Arg[];
  keywords: KeywordArg[];
  /** The whole call. */
  span: Span;
}

/** A located problem that stops the current statement. */
export class KerasError extends Error {
  constructor(
    message: string,
    readonly span: Span,
    readonly hint?: string,
    /** Stops the whole program (step limits). */
    readonly fatal = false
  ) {
    super(message);
  }
}

/** Python's repr of a number (floats keep a decimal point). */
export function pyNumber(value: number, isInt: boolean): string {
  if (isInt || !Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1e16 ? String(value) : `${value}.0`;
}

/** 'a' or 'an' before a layer name, as it is read: an LSTM, a GRU, an Embedding, a SimpleRNN. */
export function article(word: string): string {
  const acronym = /^[A-Z]{2}/.test(word);
  return (acronym ? /^[AEFHILMNORSX]/ : /^[AEIOU]/i).test(word) ? 'an' : 'a';
}

/** How a value is named in messages: 'the string "16"', '16.5', 'a tuple', ... */
export function describe(v: Value): string {
  switch (v.kind) {
    case 'number':
      return pyNumber(v.value, v.isInt);
    case 'string':
      return `the string "${v.value}"`;
    case 'bool':
      return v.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'tuple':
      return 'a tuple';
    case 'list':
      return 'a list';
    case 'range':
      return 'a range';
    case 'namespace':
      return `the module ${v.ns.path}`;
    case 'callable':
      return v.fn.display;
    case 'layer':
      return `${article(v.layer.def.kind)} ${v.layer.def.kind} layer`;
    case 'block':
      return `${article(v.block.def.kind)} ${v.block.def.kind} layer`;
    case 'tensor':
      return 'a tensor';
    case 'model':
      return 'a model';
    case 'method':
      return `${v.model.varName ?? 'model'}.${v.name}`;
    case 'optimizer':
      return 'an optimizer';
    case 'regularizer':
      return 'a regularizer';
    case 'data':
      return v.name;
    case 'poison':
      return 'an invalid value';
  }
}


/** After this many problems the analysis stops (each one costs a suggestion search; nobody reads the 5000th). */
export const MAX_PROBLEMS = 100;
/** Messages longer than this (they quote the program: a 1 MB name) keep their start and end. */
const MAX_MESSAGE = 300;

function clip(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, 200)}…${message.slice(-80)}`;
}

/** Collects the program's diagnostics; `fail` throws a KerasError that `guard` turns into a report and poison. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  private full = false;

  report(message: string, span: Span, hint?: string, severity: Severity = 'error'): void {
    if (this.full) return;
    message = clip(message);
    // Loops can hit the same problem again; say it once.
    const key = `${span.from}:${span.to}:${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    const d: Diagnostic = { severity, message, span };
    if (hint) d.hint = clip(hint);
    this.diagnostics.push(d);
    if (this.diagnostics.length >= MAX_PROBLEMS) {
      this.full = true;
      const stop = `Stopped after ${MAX_PROBLEMS} problems`;
      this.diagnostics.push({ severity: 'error', message: stop, span, hint: 'Fix the problems above first' });
      throw new KerasError(stop, span, undefined, true);
    }
  }

  fail(message: string, span: Span, hint?: string): never {
    throw new KerasError(message, span, hint);
  }

  errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === 'error').length;
  }

  /** Runs `f`; a KerasError is reported and turns into poison. */
  guard(f: () => Value): Value {
    try {
      return f();
    } catch (e) {
      if (e instanceof KerasError && !e.fatal) {
        this.report(e.message, e.span, e.hint);
        return POISON;
      }
      throw e;
    }
  }
}
