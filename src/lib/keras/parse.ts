/**
 * Reads a Keras 3 Python program into a ModelSpec, without running it.
 *
 * `@lezer/python` gives the syntax tree; a small interpreter walks it over a safe subset of Python: imports from
 * keras, assignments to names, numbers/strings/tuples/lists with + - * / // % **, `for ... in range(...)` loops,
 * and calls into a fixed table of callables (keras.Sequential, keras.Input, keras.Model, layers.* from the layer
 * registry, optimizers, regularizers, model.add/compile/fit/summary, print). Everything else is reported, located,
 * with what is supported instead.
 *
 * Error recovery: an expression that fails reports once and yields a "poison" value; anything computed from a
 * poison value is poison too and reports nothing, so one mistake gives one message, not a cascade.
 */
import type { SyntaxNode } from '@lezer/common';
import { parser } from '@lezer/python';
import { LAYER_KINDS } from '$lib/layers';
import { LayerError, type ArgDef, type LayerDef } from '$lib/layers/types';
import { inferShapes } from '$lib/spec/shape';
import {
  SPEC_VERSION,
  type ArgValue,
  type CompileSpec,
  type Diagnostic,
  type FitSpec,
  type InputNode,
  type LayerNode,
  type LossName,
  type MetricName,
  type ModelSpec,
  type OptimizerSpec,
  type ParseResult,
  type Severity,
  type Span
} from '$lib/spec/types';
import {
  buildKeras,
  COMPILE_PARAMS,
  DATA_NAMES,
  DEFAULT_OPTIMIZER,
  FIT_DEFAULTS,
  FIT_PARAMS,
  FORBIDDEN_BUILTINS,
  foreignModuleHint,
  INPUT_PARAMS,
  LOSSES,
  METRICS,
  MODEL_METHODS,
  MODEL_PARAMS,
  OPTIMIZER_STRINGS,
  OPTIMIZERS,
  OTHER_BUILTINS,
  PYTHON_BUILTINS,
  REGULARIZERS,
  SEQUENTIAL_PARAMS,
  SUMMARY_PARAMS,
  type Callable,
  type ModelMethod,
  type Namespace,
  type ParamDef,
  type RegularizerName
} from './builtins';
import { defaultLearningRate } from '$lib/optimizers';
import { LineIndex, lexicalError, quoteList, suggestion, treeSyntaxError } from './diagnostics';

/** Upper bounds that keep a pathological program from freezing the editor. */
const MAX_LOOP_ITERATIONS = 1000;
const MAX_STEPS = 20_000;
const MAX_LAYERS = 1000;

/** Hint shown for constructs outside the subset. */
const SUPPORTED_HINT =
  'Supported: imports from keras, name = value assignments, numbers, strings, tuples and lists, for loops over range(...), and calls to keras, layers, optimizers and model.add/compile/fit/summary';

// ---------------------------------------------------------------------------------------------------------------
// Values of the interpreter

/** A layer object: configured by its constructor, placed in a model at most once. */
interface LayerInstance {
  def: LayerDef;
  id: string;
  args: Record<string, ArgValue>;
  /** The constructor call. */
  span: Span;
  /** Set once the layer is called or added to a model. */
  used: boolean;
}

/** A model under construction. */
interface ModelObject {
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

type Value =
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

const NONE: Value = { kind: 'none' };
const POISON: Value = { kind: 'poison' };

type GraphNode = { kind: 'input'; node: InputNode } | { kind: 'layer'; node: LayerNode };

/** One argument of a call, evaluated. */
interface Arg {
  value: Value;
  span: Span;
  /** Keyword arguments: where the name is written. */
  nameSpan?: Span;
}

interface KeywordArg extends Arg {
  name: string;
  nameSpan: Span;
}

interface CallArgs {
  positional: Arg[];
  keywords: KeywordArg[];
  /** The whole call. */
  span: Span;
}

/** A located problem that stops the current statement. */
class KerasError extends Error {
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

// ---------------------------------------------------------------------------------------------------------------
// Small helpers

/** Children that matter (comments dropped). */
function kids(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== 'Comment') out.push(c);
  return out;
}

/** Splits a child list on ',' tokens (and drops the commas). */
function splitOnCommas(nodes: SyntaxNode[]): SyntaxNode[][] {
  const groups: SyntaxNode[][] = [[]];
  for (const n of nodes) {
    if (n.name === ',') groups.push([]);
    else groups[groups.length - 1].push(n);
  }
  return groups.filter((g) => g.length > 0);
}

/** Keras' `to_snake_case`, which names layers: Dense → dense, Conv2D → conv2d, MaxPooling2D → max_pooling2d. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** Python's repr of a number (floats keep a decimal point). */
function pyNumber(value: number, isInt: boolean): string {
  if (isInt || !Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1e16 ? String(value) : `${value}.0`;
}

/** How a value is named in messages: 'the string "16"', '16.5', 'a tuple', ... */
function describe(v: Value): string {
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
      return `a ${v.layer.def.kind} layer`;
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

/** Decodes a Python string literal (without f-strings, which are refused before). */
function decodeString(text: string): string {
  const prefix = /^[a-zA-Z]*/.exec(text)?.[0] ?? '';
  const rest = text.slice(prefix.length);
  const quote = rest.startsWith('"""') || rest.startsWith("'''") ? 3 : 1;
  const body = rest.slice(quote, rest.length - quote);
  if (/r/i.test(prefix)) return body;
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0', a: '\x07', b: '\b', f: '\f', v: '\v', '\n': '' };
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|[\s\S])/g, (m, e: string) => {
    if (e.length > 1) return String.fromCharCode(parseInt(e.slice(1), 16));
    return e in escapes ? escapes[e] : m;
  });
}

const UNSUPPORTED_STATEMENTS: Record<string, [what: string, hint?: string]> = {
  FunctionDefinition: ['Function definitions (def) are not supported', 'Write the layers out, or build them in a for loop'],
  DecoratedStatement: ['Decorators and function definitions are not supported'],
  ClassDefinition: ['Class definitions are not supported', 'Build the model with keras.Sequential([...]) or keras.Model(inputs, outputs)'],
  WhileStatement: ['while loops are not supported', 'Use a for loop: for i in range(n):'],
  IfStatement: ['if statements are not supported', 'Write out the branch you want'],
  TryStatement: ['try/except is not supported'],
  WithStatement: ['with blocks are not supported'],
  ReturnStatement: ['return is not supported outside functions, and functions are not supported'],
  DeleteStatement: ['del is not supported'],
  BreakStatement: ['break is not supported', 'Use range(...) to set how many times the loop runs'],
  ContinueStatement: ['continue is not supported'],
  RaiseStatement: ['raise is not supported'],
  AssertStatement: ['assert is not supported'],
  ScopeStatement: ['global/nonlocal are not supported'],
  YieldStatement: ['yield is not supported'],
  PrintStatement: ['Python 2 print statements are not supported', 'Use print(...)'],
  MatchStatement: ['match statements are not supported'],
  TypeDefinition: ['type aliases are not supported']
};

const UNSUPPORTED_EXPRESSIONS: Record<string, [what: string, hint?: string]> = {
  LambdaExpression: ['lambda functions are not supported', 'Write the layers out, or build them in a for loop'],
  ArrayComprehensionExpression: ['List comprehensions are not supported', 'Use a for loop with model.add(...)'],
  ComprehensionExpression: ['Generator expressions are not supported', 'Use a for loop with model.add(...)'],
  DictionaryComprehensionExpression: ['Dictionary comprehensions are not supported'],
  SetComprehensionExpression: ['Set comprehensions are not supported'],
  DictionaryExpression: ['Dictionaries are not supported', 'Pass arguments by keyword instead: f(name=value)'],
  SetExpression: ['Sets are not supported', 'Use a list [...] or a tuple (...)'],
  FormatString: ['f-strings are not supported', 'Use a plain string'],
  ConditionalExpression: ['Conditional expressions (a if condition else b) are not supported', 'Write out the value you want'],
  AwaitExpression: ['await is not supported'],
  YieldExpression: ['yield is not supported'],
  NamedExpression: ['The := operator is not supported', 'Assign on its own line: name = value'],
  Ellipsis: ['... is not supported here']
};

// ---------------------------------------------------------------------------------------------------------------
// The interpreter

class Interpreter {
  readonly diagnostics: Diagnostic[] = [];
  private readonly scope = new Map<string, Value>();
  private readonly keras = buildKeras();
  /** Every keras.Input and layer call, in creation order (which is a topological order). */
  private readonly graph = new Map<string, GraphNode>();
  private readonly models: ModelObject[] = [];
  private readonly usedIds = new Set<string>();
  private readonly idCounters = new Map<string, number>();
  private steps = 0;
  private layerCount = 0;

  constructor(
    private readonly source: string,
    private readonly index: LineIndex
  ) {}

  // --- reporting ---

  private span(node: SyntaxNode): Span {
    return this.index.span(node.from, node.to);
  }

  private text(node: SyntaxNode): string {
    return this.source.slice(node.from, node.to);
  }

  private report(message: string, span: Span, hint?: string, severity: Severity = 'error'): void {
    // Loops can hit the same problem again; say it once.
    if (this.diagnostics.some((d) => d.span.from === span.from && d.span.to === span.to && d.message === message)) return;
    const d: Diagnostic = { severity, message, span };
    if (hint) d.hint = hint;
    this.diagnostics.push(d);
  }

  private fail(message: string, span: Span, hint?: string): never {
    throw new KerasError(message, span, hint);
  }

  private errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === 'error').length;
  }

  /** Runs `f`; a KerasError is reported and turns into poison. */
  private guard(f: () => Value): Value {
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

  private tick(span: Span): void {
    if (++this.steps > MAX_STEPS) throw new KerasError(`The program is too long to analyse (more than ${MAX_STEPS} steps)`, span, 'Use fewer or shorter loops', true);
  }

  // --- program ---

  run(script: SyntaxNode): void {
    try {
      this.execBlock(kids(script));
    } catch (e) {
      if (e instanceof KerasError) this.report(e.message, e.span, e.hint);
      else throw e;
    }
  }

  private execBlock(statements: SyntaxNode[]): void {
    for (const s of statements) this.execStatement(s);
  }

  private execStatement(node: SyntaxNode): void {
    this.tick(this.span(node));
    try {
      switch (node.name) {
        case 'ImportStatement':
          return this.execImport(node);
        case 'AssignStatement':
          return this.execAssign(node);
        case 'UpdateStatement':
          return this.execUpdate(node);
        case 'ExpressionStatement': {
          const expr = kids(node)[0];
          if (expr) this.evalExpr(expr);
          return;
        }
        case 'ForStatement':
          return this.execFor(node);
        case 'StatementGroup':
          return this.execBlock(kids(node).filter((n) => n.name !== ';'));
        case 'PassStatement':
          return;
        default: {
          const [what, hint] = UNSUPPORTED_STATEMENTS[node.name] ?? ['This statement is not supported'];
          const keyword = node.firstChild ?? node;
          this.fail(what, this.span(keyword), hint ?? SUPPORTED_HINT);
        }
      }
    } catch (e) {
      if (e instanceof KerasError && !e.fatal) this.report(e.message, e.span, e.hint);
      else throw e;
    }
  }

  // --- imports ---

  private execImport(node: SyntaxNode): void {
    const parts = kids(node);
    if (parts[0].name === 'import') {
      // import a.b [as c], d
      for (const group of splitOnCommas(parts.slice(1))) {
        const asAt = group.findIndex((n) => n.name === 'as');
        const pathNodes = (asAt < 0 ? group : group.slice(0, asAt)).filter((n) => n.name === 'VariableName');
        const alias = asAt < 0 ? undefined : group[asAt + 1];
        const path = pathNodes.map((n) => this.text(n));
        const boundName = alias ? this.text(alias) : path[0];
        this.scope.set(boundName, this.guard(() => this.importModule(path, pathNodes, alias !== undefined)));
      }
      return;
    }
    // from a.b import c [as d], e   |   from a import *
    const importAt = parts.findIndex((n) => n.name === 'import');
    const moduleNodes = parts.slice(1, importAt);
    const names = parts.slice(importAt + 1).filter((n) => n.name !== '(' && n.name !== ')');
    if (moduleNodes[0]?.name === '.') this.fail('Relative imports are not supported', this.span(moduleNodes[0]), 'Import from keras: from keras import layers');
    const pathNodes = moduleNodes.filter((n) => n.name === 'VariableName');
    const path = pathNodes.map((n) => this.text(n));
    const module = this.guard(() => this.importModule(path, pathNodes, true));
    const star = names.find((n) => n.name === '*');
    if (module.kind === 'poison' && star) return;
    if (star) this.fail(`from ${path.join('.')} import * is not supported`, this.span(star), `Import the names you use, e.g. from ${path.join('.')} import layers`);
    for (const group of splitOnCommas(names)) {
      const name = group[0];
      const alias = group[1]?.name === 'as' ? group[2] : undefined;
      const bound = alias ?? name;
      this.scope.set(
        this.text(bound),
        this.guard(() => this.getAttribute(module, this.text(name), this.span(name)))
      );
    }
  }

  /** The module at `path` (must be under keras). `asModule`: the import binds the module itself. */
  private importModule(path: string[], pathNodes: SyntaxNode[], asModule: boolean): Value {
    const rootSpan = this.span(pathNodes[0]);
    if (path[0] !== 'keras') {
      const { message, hint } = foreignModuleHint(path[0]);
      this.fail(message, rootSpan, hint);
    }
    let value: Value = { kind: 'namespace', ns: this.keras };
    for (let i = 1; i < path.length; i++) {
      value = this.getAttribute(value, path[i], this.span(pathNodes[i]));
      if (value.kind !== 'namespace') {
        const full = path.slice(0, i + 1).join('.');
        this.fail(`${full} is not a module`, this.index.span(pathNodes[0].from, pathNodes[i].to), `Use from ${path.slice(0, i).join('.')} import ${path[i]}`);
      }
    }
    // `import keras.layers` binds `keras`; `import keras.layers as L` binds the submodule.
    return asModule ? value : { kind: 'namespace', ns: this.keras };
  }

  // --- assignments and loops ---

  private execAssign(node: SyntaxNode): void {
    const parts = kids(node);
    const typeDef = parts.find((n) => n.name === 'TypeDef');
    if (typeDef) this.fail('Type annotations are not supported', this.span(typeDef), 'Write name = value');
    // Segments between '=' signs: targets..., value.
    const segments: SyntaxNode[][] = [[]];
    for (const p of parts) {
      if (p.name === 'AssignOp') segments.push([]);
      else segments[segments.length - 1].push(p);
    }
    const valueNodes = segments.pop() ?? [];
    const targets = segments.map((seg) => {
      const names = seg.filter((n) => n.name !== ',');
      if (names.length > 1) this.fail('Unpacking assignments (a, b = ...) are not supported', this.index.span(seg[0].from, seg[seg.length - 1].to), 'Assign one name per line');
      const t = names[0];
      if (t.name !== 'VariableName') {
        const what = t.name === 'MemberExpression' ? 'attributes or items' : 'this';
        this.fail(`Cannot assign to ${what}: only plain names can be assigned`, this.span(t), 'Write name = value');
      }
      return this.text(t);
    });
    const value = this.guard(() => this.evalSequence(valueNodes));
    for (const name of targets) {
      if (value.kind === 'model' && value.model.varName === null) value.model.varName = name;
      this.scope.set(name, value);
    }
  }

  /** `a` or `a, b` (a bare tuple). */
  private evalSequence(nodes: SyntaxNode[]): Value {
    const items = splitOnCommas(nodes);
    if (items.length === 1 && !nodes.some((n) => n.name === ',')) return this.evalExpr(items[0][0]);
    return { kind: 'tuple', items: items.map((g) => this.guard(() => this.evalExpr(g[0]))), spans: items.map((g) => this.span(g[0])) };
  }

  private execUpdate(node: SyntaxNode): void {
    const [target, op, valueNode] = kids(node);
    if (target.name !== 'VariableName') this.fail('Only plain names can be updated (name += value)', this.span(target));
    const name = this.text(target);
    const result = this.guard(() => {
      const current = this.lookup(name, this.span(target));
      const operand = this.evalExpr(valueNode);
      return this.arithmetic(this.text(op).slice(0, -1), current, operand, this.span(node));
    });
    this.scope.set(name, result);
  }

  private execFor(node: SyntaxNode): void {
    const parts = kids(node);
    const inAt = parts.findIndex((n) => n.name === 'in');
    const targets = parts.slice(1, inAt).filter((n) => n.name !== ',');
    const bodies = parts.filter((n) => n.name === 'Body');
    if (bodies.length > 1) this.fail('for ... else is not supported', this.span(parts.find((n) => n.name === 'else') ?? node));
    if (targets.length !== 1 || targets[0].name !== 'VariableName') {
      this.fail('Only a single loop variable is supported: for i in range(n):', this.index.span(targets[0]?.from ?? node.from, targets[targets.length - 1]?.to ?? node.to));
    }
    const iterNode = parts[inAt + 1];
    const iterable = this.evalExpr(iterNode);
    let items: Value[];
    if (iterable.kind === 'range') items = iterable.values.map((v) => ({ kind: 'number', value: v, isInt: true }));
    else if (iterable.kind === 'list' || iterable.kind === 'tuple') items = iterable.items;
    else if (iterable.kind === 'poison') return;
    else this.fail(`A for loop can go over range(...) or a list, not ${describe(iterable)}`, this.span(iterNode), 'for i in range(3):');
    if (items.length > MAX_LOOP_ITERATIONS) this.fail(`This loop would run ${items.length} times; at most ${MAX_LOOP_ITERATIONS} are allowed here`, this.span(iterNode));
    const name = this.text(targets[0]);
    const body = kids(bodies[0]).filter((n) => n.name !== ':');
    for (const item of items) {
      this.scope.set(name, item);
      const before = this.errorCount();
      this.execBlock(body);
      // The same mistake would repeat in every iteration.
      if (this.errorCount() > before) return;
    }
  }

  // --- expressions ---

  private evalExpr(node: SyntaxNode): Value {
    switch (node.name) {
      case 'Number':
        return this.number(node);
      case 'String':
        return this.string(node);
      case 'ContinuedString':
        return { kind: 'string', value: kids(node).map((s) => this.string(s).value).join('') };
      case 'Boolean':
        return { kind: 'bool', value: this.text(node) === 'True' };
      case 'None':
        return NONE;
      case 'VariableName':
        return this.lookup(this.text(node), this.span(node));
      case 'ParenthesizedExpression': {
        const inner = kids(node).filter((n) => n.name !== '(' && n.name !== ')');
        return this.evalExpr(inner[0]);
      }
      case 'TupleExpression':
      case 'ArrayExpression':
        return this.sequence(node);
      case 'MemberExpression':
        return this.member(node);
      case 'CallExpression':
        return this.callExpression(node);
      case 'UnaryExpression':
        return this.unary(node);
      case 'BinaryExpression':
        return this.binary(node);
      default: {
        const [what, hint] = UNSUPPORTED_EXPRESSIONS[node.name] ?? ['This expression is not supported'];
        return this.fail(what, this.span(node), hint ?? SUPPORTED_HINT);
      }
    }
  }

  private number(node: SyntaxNode): Value {
    const text = this.text(node).replace(/_/g, '');
    if (/[jJ]$/.test(text)) this.fail('Complex numbers are not supported', this.span(node));
    const radix = /^0[xX]/.test(text) ? 16 : /^0[oO]/.test(text) ? 8 : /^0[bB]/.test(text) ? 2 : 10;
    if (radix !== 10) return { kind: 'number', value: parseInt(text.slice(2), radix), isInt: true };
    return { kind: 'number', value: Number(text), isInt: /^\d+$/.test(text) };
  }

  private string(node: SyntaxNode): { kind: 'string'; value: string } {
    if (node.name === 'FormatString') this.fail('f-strings are not supported', this.span(node), 'Use a plain string');
    const text = this.text(node);
    const prefix = /^[a-zA-Z]*/.exec(text)?.[0] ?? '';
    if (/b/i.test(prefix)) this.fail('Byte strings are not supported', this.span(node), 'Use a plain string');
    if (/f/i.test(prefix)) this.fail('f-strings are not supported', this.span(node), 'Use a plain string');
    return { kind: 'string', value: decodeString(text) };
  }

  private sequence(node: SyntaxNode): Value {
    const inner = kids(node).filter((n) => !['(', ')', '[', ']'].includes(n.name));
    const star = inner.find((n) => n.name === '*' || n.name === '**');
    if (star) this.fail('Unpacking with * is not supported', this.span(star), 'Write the items out');
    const items = splitOnCommas(inner);
    return {
      kind: node.name === 'ArrayExpression' ? 'list' : 'tuple',
      // Each item on its own: one bad layer in a list does not hide the others.
      items: items.map((g) => this.guard(() => this.evalExpr(g[0]))),
      spans: items.map((g) => this.span(g[0]))
    };
  }

  private member(node: SyntaxNode): Value {
    const parts = kids(node);
    if (parts[1]?.name === '[') this.fail('Indexing with [...] is not supported', this.span(node), SUPPORTED_HINT);
    const object = this.evalExpr(parts[0]);
    const prop = parts.find((n) => n.name === 'PropertyName');
    if (!prop) return this.fail('Incomplete attribute access', this.span(node));
    return this.getAttribute(object, this.text(prop), this.span(prop));
  }

  private unary(node: SyntaxNode): Value {
    const [op, operandNode] = kids(node);
    const opText = this.text(op);
    if (opText !== '-' && opText !== '+') this.fail(`The '${opText}' operator is not supported`, this.span(op), 'Only arithmetic (+ - * / // % **) on numbers is supported');
    const operand = this.evalExpr(operandNode);
    if (operand.kind === 'poison') return POISON;
    if (operand.kind !== 'number') this.fail(`Cannot apply '${opText}' to ${describe(operand)}`, this.span(node));
    return { kind: 'number', value: opText === '-' ? -operand.value : operand.value, isInt: operand.isInt };
  }

  private binary(node: SyntaxNode): Value {
    const [leftNode, op, rightNode] = kids(node);
    const opText = this.text(op);
    if (op.name !== 'ArithOp' || opText === '@') {
      this.fail(`The '${opText}' operator is not supported`, this.span(op), 'Only arithmetic (+ - * / // % **) on numbers is supported');
    }
    const left = this.evalExpr(leftNode);
    const right = this.evalExpr(rightNode);
    return this.arithmetic(opText, left, right, this.span(node));
  }

  /** Python arithmetic on ints/floats (int op int stays int except for '/'); + also joins strings and lists. */
  private arithmetic(op: string, a: Value, b: Value, span: Span): Value {
    if (a.kind === 'poison' || b.kind === 'poison') return POISON;
    if (op === '+' && a.kind === 'string' && b.kind === 'string') return { kind: 'string', value: a.value + b.value };
    if (op === '+' && (a.kind === 'list' || a.kind === 'tuple') && b.kind === a.kind) return { kind: a.kind, items: [...a.items, ...b.items], spans: [...a.spans, ...b.spans] };
    if (a.kind !== 'number' || b.kind !== 'number') {
      return this.fail(`Cannot use '${op}' with ${describe(a)} and ${describe(b)}`, span, 'Arithmetic works on numbers');
    }
    const x = a.value;
    const y = b.value;
    const bothInt = a.isInt && b.isInt;
    if ((op === '/' || op === '//' || op === '%') && y === 0) this.fail('Division by zero', span);
    let value: number;
    let isInt = bothInt;
    switch (op) {
      case '+':
        value = x + y;
        break;
      case '-':
        value = x - y;
        break;
      case '*':
        value = x * y;
        break;
      case '/':
        value = x / y;
        isInt = false;
        break;
      case '//':
        value = Math.floor(x / y);
        break;
      case '%':
        value = ((x % y) + y) % y;
        break;
      case '**':
        value = x ** y;
        isInt = bothInt && y >= 0;
        break;
      default:
        return this.fail(`The '${op}' operator is not supported`, span);
    }
    if (!Number.isFinite(value)) this.fail('The result of this arithmetic is too large', span);
    return { kind: 'number', value, isInt };
  }

  // --- names and attributes ---

  private lookup(name: string, span: Span): Value {
    const bound = this.scope.get(name);
    if (bound) return bound;
    if ((DATA_NAMES as readonly string[]).includes(name)) return { kind: 'data', name };
    const builtin = PYTHON_BUILTINS[name];
    if (builtin) return { kind: 'callable', fn: builtin };
    if (FORBIDDEN_BUILTINS.has(name)) {
      this.fail(`${name} is not allowed: the playground reads your code, it never runs it`, span, 'Only the Keras subset is available: keras and layers calls, range(...) in for loops, print(...)');
    }
    if (OTHER_BUILTINS.has(name)) this.fail(`${name} is not supported here`, span, 'Only the Keras subset is available: keras and layers calls, range(...) in for loops, print(...)');
    if (name === 'keras') this.fail("Unknown name 'keras'", span, 'Add import keras at the top');
    const member = this.keras.members[name];
    if (member) this.fail(`Unknown name '${name}'`, span, `Add from keras import ${name} at the top`);
    const layers = this.keras.members.layers as Namespace;
    if (layers.members[name]) this.fail(`Unknown name '${name}'`, span, `Add from keras.layers import ${name} at the top, or write layers.${name}`);
    const candidates = [...this.scope.keys(), ...DATA_NAMES, ...Object.keys(PYTHON_BUILTINS)];
    const dataHint = /^[xy]_|data|train|test/i.test(name) ? 'The data sets are predefined as x_train, y_train, x_test, y_test' : undefined;
    return this.fail(`Unknown name '${name}'${suggestion(name, candidates)}`, span, dataHint);
  }

  private getAttribute(object: Value, name: string, span: Span): Value {
    switch (object.kind) {
      case 'poison':
        return POISON;
      case 'namespace': {
        const ns = object.ns;
        const member = ns.members[name];
        if (member) return member.type === 'namespace' ? { kind: 'namespace', ns: member } : { kind: 'callable', fn: member };
        const unsupported = ns.unsupported?.[name];
        if (unsupported !== undefined) this.fail(`${ns.path}.${name} is not supported here`, span, unsupported);
        const names = Object.keys(ns.members);
        if (ns.memberNoun) {
          const available = ns.memberNoun === 'layer' ? LAYER_KINDS : names;
          this.fail(`Unknown ${ns.memberNoun} ${name}${suggestion(name, available, '')}`, span, `Available ${ns.memberNoun}s: ${available.join(', ')}`);
        }
        return this.fail(`${ns.path} has no attribute '${name}'${suggestion(name, [...names, ...Object.keys(ns.unsupported ?? {})])}`, span, `Available: ${names.map((n) => `${ns.path}.${n}`).join(', ')}`);
      }
      case 'model': {
        if ((MODEL_METHODS as readonly string[]).includes(name)) return { kind: 'method', model: object.model, name: name as ModelMethod };
        const v = object.model.varName ?? 'model';
        return this.fail(`${v}.${name} is not supported here${suggestion(name, MODEL_METHODS)}`, span, `Supported: ${v}.add(...), ${v}.compile(...), ${v}.fit(...), ${v}.summary()`);
      }
      case 'data':
        return this.fail(`${object.name}.${name} is not available here`, span, 'The data can only be passed to model.fit(...); write shapes out, e.g. keras.Input(shape=(2,))');
      default:
        return this.fail(`Attributes of ${describe(object)} (.${name}) are not supported`, span, SUPPORTED_HINT);
    }
  }

  // --- calls ---

  private callExpression(node: SyntaxNode): Value {
    const calleeNode = node.firstChild;
    const argList = node.lastChild;
    if (!calleeNode || !argList || argList.name !== 'ArgList') return this.fail('Incomplete call', this.span(node));
    const callee = this.evalExpr(calleeNode);
    const args = this.evalArgs(argList, this.span(node));
    if (callee.kind === 'poison') return POISON;
    this.tick(args.span);
    switch (callee.kind) {
      case 'callable':
        return this.callCallable(callee.fn, args);
      case 'layer':
        return this.callLayer(callee.layer, args);
      case 'method':
        return this.callMethod(callee.model, callee.name, args);
      case 'model':
        return this.fail('Calling a model like a layer is not supported yet', args.span, 'Build one model from keras.Input(...) to its outputs');
      case 'namespace':
        return this.fail(`${callee.ns.path} is a module and cannot be called`, this.span(calleeNode));
      default:
        return this.fail(`${describe(callee)} cannot be called`, this.span(calleeNode), SUPPORTED_HINT);
    }
  }

  private evalArgs(argList: SyntaxNode, span: Span): CallArgs {
    const inner = kids(argList).filter((n) => n.name !== '(' && n.name !== ')');
    const comprehension = inner.find((n) => n.name === 'for');
    if (comprehension) this.fail('Generator expressions are not supported', this.span(argList), 'Use a for loop with model.add(...)');
    const args: CallArgs = { positional: [], keywords: [], span };
    for (const group of splitOnCommas(inner)) {
      if (group[0].name === '*' || group[0].name === '**') {
        this.fail('Argument unpacking (*args, **kwargs) is not supported', this.index.span(group[0].from, group[group.length - 1].to), 'Write the arguments out');
      }
      if (group.length >= 3 && group[1].name === 'AssignOp') {
        const name = this.text(group[0]);
        const nameSpan = this.span(group[0]);
        if (args.keywords.some((k) => k.name === name)) this.fail(`Argument '${name}' is given twice`, nameSpan);
        args.keywords.push({ name, nameSpan, value: this.guard(() => this.evalExpr(group[2])), span: this.span(group[2]) });
      } else {
        if (args.keywords.length > 0) this.fail('Positional arguments must come before keyword arguments', this.span(group[0]), 'Move it before the name=value arguments');
        args.positional.push({ value: this.guard(() => this.evalExpr(group[0])), span: this.span(group[0]) });
      }
    }
    return args;
  }

  /** Matches arguments to parameters, reporting unknown, repeated, unsupported and missing ones. */
  private bind(owner: string, params: readonly ParamDef[], args: CallArgs): { bound: Map<string, Arg>; ok: boolean } {
    const bound = new Map<string, Arg>();
    let ok = true;
    const positional = params.filter((p) => !p.keywordOnly);
    if (args.positional.length > positional.length) {
      const extra = args.positional[positional.length];
      const n = positional.length;
      this.report(`${owner} takes at most ${n} positional argument${n === 1 ? '' : 's'}, got ${args.positional.length}`, extra.span, `Pass the others by name: ${owner}(${params.map((p) => `${p.name}=...`).slice(0, 3).join(', ')})`);
      // Which value was meant for which parameter is unclear: check nothing else.
      return { bound, ok: false };
    }
    args.positional.slice(0, positional.length).forEach((a, i) => bound.set(positional[i].name, a));
    const supported = params.filter((p) => !p.unsupported).map((p) => p.name);
    for (const kw of args.keywords) {
      const { name, nameSpan } = kw;
      if (!params.some((p) => p.name === name)) {
        this.report(`${owner} has no argument '${name}'${suggestion(name, supported)}`, nameSpan, `${owner} arguments: ${supported.join(', ')}`);
        ok = false;
      } else if (bound.has(name)) {
        this.report(`${owner} got two values for '${name}'`, nameSpan);
        ok = false;
      } else bound.set(name, kw);
    }
    for (const p of params) {
      const arg = bound.get(p.name);
      if (arg && p.unsupported) {
        this.report(`${owner}(${p.name}=...) is not supported here`, arg.nameSpan ?? arg.span, p.unsupported);
        ok = false;
      }
      if (!arg && p.required) {
        this.report(`${owner} is missing the required argument '${p.name}'`, args.span);
        ok = false;
      }
    }
    return { bound, ok };
  }

  private callCallable(fn: Callable, args: CallArgs): Value {
    switch (fn.type) {
      case 'layer':
        return this.constructLayer(fn.def, args);
      case 'input':
        return this.makeInput(fn.display, args);
      case 'sequential':
        return this.makeSequential(fn.display, args);
      case 'model':
        return this.makeFunctional(fn.display, args);
      case 'optimizer':
        return this.makeOptimizer(fn.name, fn.display, args);
      case 'regularizer':
        return this.makeRegularizer(fn.name, fn.display, args);
      case 'range':
        return this.makeRange(args);
      case 'print':
        return NONE;
    }
  }

  private makeRange(args: CallArgs): Value {
    if (args.keywords.length > 0) this.fail('range() takes no keyword arguments', args.keywords[0].nameSpan);
    const n = args.positional.length;
    if (n < 1 || n > 3) this.fail(`range() takes 1 to 3 arguments, got ${n}`, args.span, 'range(stop), range(start, stop) or range(start, stop, step)');
    const nums: number[] = [];
    for (const a of args.positional) {
      if (a.value.kind === 'poison') return POISON;
      if (a.value.kind !== 'number' || !a.value.isInt) this.fail(`range() needs whole numbers, got ${describe(a.value)}`, a.span);
      nums.push(a.value.value);
    }
    const [start, stop, step] = n === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
    if (step === 0) this.fail('range() step must not be zero', args.positional[2].span);
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (count > MAX_LOOP_ITERATIONS) this.fail(`This range has ${count} numbers; loops may run at most ${MAX_LOOP_ITERATIONS} times here`, args.span);
    return { kind: 'range', values: Array.from({ length: count }, (_, i) => start + i * step) };
  }

  // --- argument values ---

  /** Checks one argument against its ArgDef and converts it to a spec value; reports and returns undefined if invalid. */
  private convert(owner: string, def: ArgDef, arg: Arg): ArgValue | undefined {
    const v = arg.value;
    if (v.kind === 'poison') return undefined;
    const where = `${owner} argument '${def.name}'`;
    const bad = (message: string, hint?: string): undefined => {
      this.report(message, arg.span, hint);
      return undefined;
    };
    if (v.kind === 'none' && (def.default === null || def.type === 'activation' || def.type === 'regularizer')) return null;
    const quotedNumber = v.kind === 'string' && v.value.trim() !== '' && !Number.isNaN(Number(v.value)) ? `Remove the quotes: ${v.value}` : undefined;
    const int = (x: Value): x is { kind: 'number'; value: number; isInt: true } => x.kind === 'number' && x.isInt;
    switch (def.type) {
      case 'int':
        if (!int(v)) return bad(`${where} must be an integer, got ${describe(v)}`, quotedNumber);
        return this.inBounds(where, def, v.value, arg);
      case 'float':
        if (v.kind !== 'number') return bad(`${where} must be a number, got ${describe(v)}`, quotedNumber);
        return this.inBounds(where, def, v.value, arg);
      case 'bool':
        if (v.kind !== 'bool') return bad(`${where} must be True or False, got ${describe(v)}`);
        return v.value;
      case 'string':
      case 'activation':
      case 'initializer': {
        const noun = def.type === 'string' ? 'value' : def.type;
        const allowed = def.values ?? [];
        const noneOk = def.type === 'activation' ? ' or None' : '';
        if (v.kind !== 'string') {
          return bad(`${where} must be a string${allowed.length ? ` such as "${allowed[0]}"` : ''}${noneOk}, got ${describe(v)}`, allowed.length ? `Supported: ${quoteList(allowed)}${noneOk}` : undefined);
        }
        if (allowed.length > 0 && !allowed.includes(v.value)) {
          return bad(`Unknown ${noun} "${v.value}"${suggestion(v.value, allowed, '"')}`, `Supported: ${quoteList(allowed)}${noneOk}`);
        }
        return v.value;
      }
      case 'shape': {
        if (v.kind === 'number') return bad(`${where} must be a tuple, got ${describe(v)}`, `Write (${pyNumber(v.value, v.isInt)},) with a comma: (${pyNumber(v.value, v.isInt)}) is just a number`);
        if (v.kind !== 'tuple' && v.kind !== 'list') return bad(`${where} must be a tuple of sizes such as (2,), got ${describe(v)}`);
        const dims: number[] = [];
        for (const [i, item] of v.items.entries()) {
          const itemArg = { value: item, span: v.spans[i] };
          if (item.kind === 'none') {
            this.report(`Variable-size dimensions (None) are not supported in ${where}`, itemArg.span, 'Give every dimension a size');
            return undefined;
          }
          // keras.Input's shape needs real sizes; a layer's shape argument (Reshape's target_shape) may hold one
          // -1, which the layer itself validates.
          const lowest = def.name === 'shape' ? 1 : -1;
          if (!int(item) || item.value < lowest || item.value === 0) {
            this.report(`${where} must hold positive integers${lowest < 0 ? ' (or one -1)' : ''}, got ${describe(item)}`, itemArg.span);
            return undefined;
          }
          dims.push(item.value);
        }
        return dims;
      }
      case 'int_or_tuple': {
        // Kept as written (3 or (3, 3)); the layer normalises it.
        if (int(v)) return this.inBounds(where, def, v.value, arg);
        if (v.kind !== 'tuple' && v.kind !== 'list') return bad(`${where} must be an integer or a tuple of integers, got ${describe(v)}`, quotedNumber);
        const out: number[] = [];
        for (const [i, item] of v.items.entries()) {
          const itemArg = { value: item, span: v.spans[i] };
          if (!int(item)) {
            this.report(`${where} must hold integers, got ${describe(item)}`, itemArg.span);
            return undefined;
          }
          const n = this.inBounds(where, def, item.value, itemArg);
          if (n === undefined) return undefined;
          out.push(n);
        }
        return out;
      }
      case 'regularizer': {
        if (v.kind === 'regularizer') return structuredClone(v.config); // one regularizer object may serve several layers
        if (v.kind === 'string' && v.value in REGULARIZERS) {
          // Keras' string identifiers use 0.01 for every factor ('l1_l2' too, unlike L1L2()).
          const name = v.value as RegularizerName;
          return this.regularizerConfig(name, new Map(REGULARIZERS[name].args.map((a) => [a.name, 0.01])));
        }
        return bad(`${where} must be a regularizer such as keras.regularizers.l2(0.01), or None; got ${describe(v)}`, 'Supported: regularizers.l1(...), regularizers.l2(...), regularizers.l1_l2(l1=..., l2=...)');
      }
    }
  }

  private inBounds(where: string, def: ArgDef, x: number, arg: Arg): number | undefined {
    const { min, max } = def;
    if ((min !== undefined && x < min) || (max !== undefined && x > max)) {
      const range = min !== undefined && max !== undefined ? `between ${min} and ${max}` : min !== undefined ? `at least ${min}` : `at most ${max}`;
      this.report(`${where} must be ${range}, got ${x}`, arg.span);
      return undefined;
    }
    return x;
  }

  /** Allocates a Keras-style unique name: explicit `name=`, or `prefix`, `prefix_1`, ... */
  private allocateId(owner: string, prefix: string, nameArg: Arg | undefined): string | undefined {
    if (nameArg) {
      const v = nameArg.value;
      if (v.kind === 'poison') return undefined;
      if (v.kind !== 'string' || v.value === '') {
        this.report(`${owner} argument 'name' must be a non-empty string, got ${describe(v)}`, nameArg.span);
        return undefined;
      }
      if (this.usedIds.has(v.value)) {
        this.report(`The name "${v.value}" is already used by another layer`, nameArg.span, 'Layer names must be unique');
        return undefined;
      }
      this.usedIds.add(v.value);
      return v.value;
    }
    let n = this.idCounters.get(prefix) ?? 0;
    let id: string;
    do {
      id = n === 0 ? prefix : `${prefix}_${n}`;
      n++;
    } while (this.usedIds.has(id));
    this.idCounters.set(prefix, n);
    this.usedIds.add(id);
    return id;
  }

  // --- layers ---

  private constructLayer(def: LayerDef, args: CallArgs): Value {
    let ok = true;
    for (const kw of args.keywords) {
      if (kw.name === 'input_shape' || kw.name === 'input_dim' || kw.name === 'batch_input_shape') {
        this.report(`${kw.name}= is Keras 2 style and is not supported`, kw.nameSpan, 'In Keras 3, start the model with keras.Input(shape=(...)) instead');
        ok = false;
      }
    }
    if (!ok) return POISON;
    const params: ParamDef[] = [...def.args.map((a) => ({ name: a.name, required: a.default === undefined })), { name: 'name', keywordOnly: true }];
    const { bound, ok: bindOk } = this.bind(def.kind, params, args);
    ok = bindOk;
    const values: Record<string, ArgValue> = {};
    for (const a of def.args) {
      const arg = bound.get(a.name);
      if (arg) {
        const v = this.convert(def.kind, a, arg);
        if (v === undefined) ok = false;
        else values[a.name] = v;
      } else if (a.default !== undefined) values[a.name] = structuredClone(a.default);
    }
    if (!ok) return POISON;
    try {
      def.validate?.(values);
    } catch (e) {
      if (e instanceof LayerError) {
        this.report(e.message, args.span, e.hint);
        return POISON;
      }
      throw e;
    }
    const id = this.allocateId(def.kind, toSnakeCase(def.kind), bound.get('name'));
    if (id === undefined) return POISON;
    if (++this.layerCount > MAX_LAYERS) throw new KerasError(`Too many layers (more than ${MAX_LAYERS})`, args.span, undefined, true);
    return { kind: 'layer', layer: { def, id, args: values, span: args.span, used: false } };
  }

  /** `layer(x)` or `merge_layer([a, b])` in the functional API. */
  private callLayer(layer: LayerInstance, args: CallArgs): Value {
    const kind = layer.def.kind;
    if (args.keywords.length > 0) {
      this.fail(`Calling a layer with keyword arguments (${args.keywords[0].name}=...) is not supported`, args.keywords[0].nameSpan, `Call it on its input only: ${kind}(...)(x)`);
    }
    if (args.positional.length !== 1) this.fail(`A layer is called on one input: ${kind}(...)(x), got ${args.positional.length} arguments`, args.span);
    if (layer.used) this.fail('Calling the same layer twice (shared layers) is not supported yet', args.span, 'Create a new layer for each use');
    layer.used = true;
    const input = args.positional[0];
    const v = input.value;
    const notTensor = (got: Value): never =>
      this.fail(`Layers are called on tensors (from keras.Input(...) or another layer), got ${describe(got)}`, input.span, 'inputs = keras.Input(shape=(2,)); x = layers.Dense(16)(inputs)');
    let ids: string[];
    if (v.kind === 'poison') return POISON;
    if (layer.def.arity === 'many') {
      if (v.kind === 'tensor') this.fail(`${kind} merges several tensors: call it on a list, e.g. ${kind}()([a, b])`, input.span);
      if (v.kind !== 'list' && v.kind !== 'tuple') return notTensor(v);
      if (v.items.some((i) => i.kind === 'poison')) return POISON;
      ids = v.items.map((item, i) => (item.kind === 'tensor' ? item.id : this.fail(`${kind} merges tensors, got ${describe(item)}`, v.spans[i])));
    } else {
      if (v.kind === 'list' || v.kind === 'tuple') this.fail(`${kind} takes one tensor, not a ${v.kind}`, input.span);
      if (v.kind !== 'tensor') return notTensor(v);
      ids = [v.id];
    }
    const node: LayerNode = { id: layer.id, kind, args: layer.args, inputs: ids, span: layer.span };
    this.graph.set(node.id, { kind: 'layer', node });
    return { kind: 'tensor', id: node.id };
  }

  // --- inputs and models ---

  private makeInput(owner: string, args: CallArgs): Value {
    const { bound, ok } = this.bind(owner, INPUT_PARAMS, args);
    const shapeArg = bound.get('shape');
    const shape = shapeArg ? this.convert(owner, { name: 'shape', type: 'shape', doc: '' }, shapeArg) : undefined;
    if (!ok || shape === undefined) return POISON;
    const id = this.allocateId(owner, 'input_layer', bound.get('name'));
    if (id === undefined) return POISON;
    const node: InputNode = { id, name: id, shape: shape as number[], span: args.span };
    this.graph.set(id, { kind: 'input', node });
    return { kind: 'tensor', id };
  }

  private newModel(style: ModelObject['style'], span: Span): ModelObject {
    const model: ModelObject = { style, varName: null, inputs: [], layers: [], outputs: [], compile: null, fit: null, span, broken: false, compileFailed: false };
    this.models.push(model);
    return model;
  }

  private checkName(owner: string, arg: Arg | undefined): boolean {
    if (!arg || arg.value.kind === 'string' || arg.value.kind === 'poison') return true;
    this.report(`${owner} name must be a string, got ${describe(arg.value)}`, arg.span);
    return false;
  }

  private makeSequential(owner: string, args: CallArgs): Value {
    const { bound, ok } = this.bind(owner, SEQUENTIAL_PARAMS, args);
    const model = this.newModel('sequential', args.span);
    model.broken = !ok || !this.checkName(owner, bound.get('name'));
    const layersArg = bound.get('layers');
    if (layersArg) {
      const v = layersArg.value;
      if (v.kind === 'list' || v.kind === 'tuple') {
        v.items.forEach((item, i) => {
          const r = this.guard(() => {
            this.addToSequential(model, item, v.spans[i]);
            return NONE;
          });
          if (r.kind === 'poison') model.broken = true;
        });
      } else if (v.kind === 'poison') model.broken = true;
      else if (v.kind !== 'none') {
        this.report(`${owner} takes a list of layers, got ${describe(v)}`, layersArg.span, 'keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3)])');
        model.broken = true;
      }
    }
    return { kind: 'model', model };
  }

  private addToSequential(model: ModelObject, v: Value, span: Span): void {
    if (v.kind === 'poison') {
      model.broken = true;
      return;
    }
    const last = model.layers.length > 0 ? model.layers[model.layers.length - 1].id : model.inputs[0]?.id;
    if (v.kind === 'tensor') {
      const g = this.graph.get(v.id);
      if (g?.kind !== 'input') {
        this.fail('A Sequential model takes layers, not the output of a layer call', span, 'Remove the (...) after the layer, or build the model with keras.Model(inputs, outputs)');
      }
      if (last !== undefined) this.fail('keras.Input(...) must come first in a Sequential model', span);
      model.inputs = [g.node];
      return;
    }
    if (v.kind === 'layer') {
      const layer = v.layer;
      if (layer.used) this.fail('Using the same layer twice (shared layers) is not supported yet', span, 'Create a new layer for each use');
      if (layer.def.arity === 'many') {
        this.fail(`${layer.def.kind} merges several tensors, so it cannot be used in a Sequential model`, span, 'Use the functional API: keras.Model(inputs, outputs)');
      }
      layer.used = true;
      model.layers.push({ id: layer.id, kind: layer.def.kind, args: layer.args, inputs: last === undefined ? [] : [last], span: layer.span });
      return;
    }
    if (v.kind === 'model') this.fail('Nesting a model inside a Sequential model is not supported yet', span);
    this.fail(`A Sequential model takes layers, got ${describe(v)}`, span, 'keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3)])');
  }

  /** Tensors in an `inputs=` / `outputs=` argument (one tensor or a list); null if poisoned. */
  private tensorsOf(owner: string, what: string, arg: Arg): string[] | null {
    const v = arg.value;
    const items = v.kind === 'list' || v.kind === 'tuple' ? v.items.map((item, i) => ({ item, span: v.spans[i] })) : [{ item: v, span: arg.span }];
    const ids: string[] = [];
    for (const { item, span } of items) {
      if (item.kind === 'poison') return null;
      if (item.kind !== 'tensor') this.fail(`${owner} ${what} must be tensors, got ${describe(item)}`, span, 'inputs = keras.Input(shape=(2,)); outputs = layers.Dense(3)(inputs); keras.Model(inputs, outputs)');
      ids.push(item.id);
    }
    if (ids.length === 0) this.fail(`${owner} needs at least one tensor in ${what}`, arg.span);
    return ids;
  }

  private makeFunctional(owner: string, args: CallArgs): Value {
    const { bound, ok } = this.bind(owner, MODEL_PARAMS, args);
    const inputsArg = bound.get('inputs');
    const outputsArg = bound.get('outputs');
    const broken = (): Value => {
      const model = this.newModel('functional', args.span);
      model.broken = true;
      return { kind: 'model', model };
    };
    if (!ok || !inputsArg || !outputsArg || !this.checkName(owner, bound.get('name'))) return broken();
    const inIds = this.tensorsOf(owner, 'inputs', inputsArg);
    const outIds = this.tensorsOf(owner, 'outputs', outputsArg);
    if (!inIds || !outIds) return broken();
    const inputs: InputNode[] = [];
    for (const id of inIds) {
      const g = this.graph.get(id);
      if (g?.kind !== 'input') this.fail(`${owner} inputs must come straight from keras.Input(...); this is the output of layer '${id}'`, inputsArg.span);
      inputs.push(g.node);
    }
    // Walk back from the outputs: the layers they depend on, and the inputs they reach.
    const needed = new Set<string>();
    const stack = [...outIds];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (needed.has(id)) continue;
      needed.add(id);
      const g = this.graph.get(id);
      if (g?.kind === 'layer') stack.push(...g.node.inputs);
    }
    for (const id of needed) {
      const g = this.graph.get(id);
      if (g?.kind === 'input' && !inIds.includes(id)) {
        this.fail(`The outputs depend on the input '${id}', which is not in the model's inputs`, inputsArg.span, `Add it: keras.Model([${[...inIds, id].join(', ')}], ...)`);
      }
    }
    for (const input of inputs) {
      if (!needed.has(input.id)) this.report(`The input '${input.id}' is not connected to the outputs`, inputsArg.span, undefined, 'warning');
    }
    const model = this.newModel('functional', args.span);
    model.inputs = inputs;
    model.layers = [...this.graph.values()].filter((g): g is { kind: 'layer'; node: LayerNode } => g.kind === 'layer' && needed.has(g.node.id)).map((g) => g.node);
    model.outputs = outIds;
    return { kind: 'model', model };
  }

  // --- optimizers and regularizers ---

  private makeOptimizer(name: OptimizerSpec['name'], owner: string, args: CallArgs): Value {
    const table = OPTIMIZERS[name].args;
    const { bound, ok: bindOk } = this.bind(owner, table.map((a) => ({ name: a.name })), args);
    let ok = bindOk;
    let learningRate = table[0].default as number;
    const extras: Record<string, ArgValue> = {};
    for (const def of table) {
      const arg = bound.get(def.name);
      if (!arg) continue;
      const v = this.convert(owner, def, arg);
      if (v === undefined) ok = false;
      else if (def.name === 'learning_rate') {
        if ((v as number) <= 0) {
          this.report(`${owner} argument 'learning_rate' must be greater than 0, got ${v}`, arg.span);
          ok = false;
        }
        learningRate = v as number;
      } else extras[def.name] = v; // only what was written: the engines apply Keras' defaults
    }
    if (!ok) return POISON;
    return { kind: 'optimizer', optimizer: { name, learningRate, args: extras, span: args.span } };
  }

  private regularizerConfig(name: RegularizerName, values: Map<string, ArgValue>): { [key: string]: ArgValue } {
    const config: { [key: string]: ArgValue } = { type: name };
    for (const def of REGULARIZERS[name].args) config[def.name] = values.get(def.name) ?? (def.default as number);
    return config;
  }

  private makeRegularizer(name: RegularizerName, owner: string, args: CallArgs): Value {
    const table = REGULARIZERS[name].args;
    const { bound, ok: bindOk } = this.bind(owner, table.map((a) => ({ name: a.name })), args);
    let ok = bindOk;
    const values = new Map<string, ArgValue>();
    for (const def of table) {
      const arg = bound.get(def.name);
      if (!arg) continue;
      const v = this.convert(owner, def, arg);
      if (v === undefined) ok = false;
      else values.set(def.name, v);
    }
    return ok ? { kind: 'regularizer', config: this.regularizerConfig(name, values) } : POISON;
  }

  // --- model methods ---

  private callMethod(model: ModelObject, method: ModelMethod, args: CallArgs): Value {
    const owner = `${model.varName ?? 'model'}.${method}`;
    switch (method) {
      case 'add': {
        if (model.style !== 'sequential') this.fail(`${owner}(...) only works on keras.Sequential models`, args.span, 'In the functional API, call the layer on a tensor: x = layers.Dense(16)(x)');
        const { bound, ok } = this.bind(owner, [{ name: 'layer', required: true }], args);
        const arg = bound.get('layer');
        if (!ok || !arg) {
          model.broken = true;
          return NONE;
        }
        try {
          this.addToSequential(model, arg.value, arg.span);
        } catch (e) {
          model.broken = true;
          throw e;
        }
        return NONE;
      }
      case 'compile':
        this.compile(model, owner, args);
        return NONE;
      case 'fit':
        this.fit(model, owner, args);
        return NONE;
      case 'summary':
        this.bind(owner, SUMMARY_PARAMS, args);
        return NONE;
    }
  }

  private compile(model: ModelObject, owner: string, args: CallArgs): void {
    const { bound, ok: bindOk } = this.bind(owner, COMPILE_PARAMS, args);
    let ok = bindOk;
    // Optimizer: a string, or an optimizer object. Keras' default is "rmsprop".
    let optimizer: OptimizerSpec | undefined;
    const optArg = bound.get('optimizer');
    const names = Object.keys(OPTIMIZERS);
    if (!optArg) optimizer = { name: DEFAULT_OPTIMIZER, learningRate: defaultLearningRate(DEFAULT_OPTIMIZER), args: {}, span: args.span };
    else if (optArg.value.kind === 'string') {
      const name = OPTIMIZER_STRINGS[optArg.value.value];
      if (name) optimizer = { name, learningRate: defaultLearningRate(name), args: {}, span: optArg.span };
      else this.report(`Unknown optimizer "${optArg.value.value}"${suggestion(optArg.value.value, names, '"')}`, optArg.span, `Supported: ${quoteList(names)}, or keras.optimizers.Adam(learning_rate=...)`);
    } else if (optArg.value.kind === 'optimizer') optimizer = optArg.value.optimizer;
    else if (optArg.value.kind !== 'poison') {
      this.report(`optimizer must be a string such as "adam" or an optimizer such as keras.optimizers.Adam(...), got ${describe(optArg.value)}`, optArg.span);
    }
    if (!optimizer) ok = false;
    // Loss: a string.
    let loss: LossName | undefined;
    const lossArg = bound.get('loss');
    const lossNames = Object.keys(LOSSES);
    if (!lossArg) {
      if (bindOk) this.report(`${owner}(...) needs a loss, e.g. loss="categorical_crossentropy"`, args.span, `Supported: ${quoteList(lossNames)}`);
    } else if (lossArg.value.kind === 'string') {
      loss = LOSSES[lossArg.value.value];
      if (!loss) this.report(`Unknown loss "${lossArg.value.value}"${suggestion(lossArg.value.value, lossNames, '"')}`, lossArg.span, `Supported: ${quoteList(lossNames)}`);
    } else if (lossArg.value.kind !== 'poison') {
      this.report(`loss must be a string such as "categorical_crossentropy", got ${describe(lossArg.value)}`, lossArg.span, `Supported: ${quoteList(lossNames)}`);
    }
    if (!loss) ok = false;
    // Metrics: a list of strings.
    const metrics: MetricName[] = [];
    const metricsArg = bound.get('metrics');
    const metricNames = Object.keys(METRICS);
    if (metricsArg && metricsArg.value.kind !== 'none') {
      const v = metricsArg.value;
      if (v.kind === 'list' || v.kind === 'tuple') {
        v.items.forEach((item, i) => {
          if (item.kind === 'poison') ok = false;
          else if (item.kind !== 'string') {
            this.report(`Metrics are given as strings such as "accuracy", got ${describe(item)}`, v.spans[i], `Supported: ${quoteList(metricNames)}`);
            ok = false;
          } else if (!METRICS[item.value]) {
            this.report(`Unknown metric "${item.value}"${suggestion(item.value, metricNames, '"')}`, v.spans[i], `Supported: ${quoteList(metricNames)}`);
            ok = false;
          } else if (!metrics.includes(METRICS[item.value])) metrics.push(METRICS[item.value]);
        });
      } else if (v.kind !== 'poison') {
        this.report(`metrics must be a list, e.g. metrics=["accuracy"], got ${describe(v)}`, metricsArg.span);
        ok = false;
      } else ok = false;
    }
    if (ok && optimizer && loss) model.compile = { optimizer, loss, metrics, span: args.span };
    else model.compileFailed = true;
  }

  private fit(model: ModelObject, owner: string, args: CallArgs): void {
    const { bound, ok: bindOk } = this.bind(owner, FIT_PARAMS, args);
    let ok = bindOk;
    // x and y: the predefined data sets.
    const data = (param: 'x' | 'y'): string | undefined => {
      const arg = bound.get(param);
      const expected = param === 'x' ? 'x_train or x_test' : 'y_train or y_test';
      if (!arg) {
        if (bindOk) this.report(`${owner}(...) needs the training data, e.g. ${owner}(x_train, y_train)`, args.span);
        return undefined;
      }
      const v = arg.value;
      if (v.kind === 'poison') return undefined;
      if (v.kind !== 'data' || !v.name.startsWith(`${param}_`)) {
        this.report(`${owner}'s ${param} must be ${expected}, got ${describe(v)}`, arg.span, 'The data sets are predefined as x_train, y_train, x_test, y_test');
        return undefined;
      }
      return v.name;
    };
    const x = data('x');
    const y = data('y');
    if (x === undefined || y === undefined) ok = false;
    else if (x.slice(2) !== y.slice(2)) {
      this.report(`${y} does not go with ${x}: use y_${x.slice(2)}`, bound.get('y')?.span ?? args.span);
      ok = false;
    }
    const num = (name: string, def: ArgDef, fallback: number): number => {
      const arg = bound.get(name);
      if (!arg) return fallback;
      const v = this.convert(owner, def, arg);
      if (v === undefined) ok = false;
      return typeof v === 'number' ? v : fallback;
    };
    const epochs = num('epochs', { name: 'epochs', type: 'int', min: 1, doc: '' }, FIT_DEFAULTS.epochs);
    const batchSize = num('batch_size', { name: 'batch_size', type: 'int', min: 1, default: null, doc: '' }, FIT_DEFAULTS.batchSize);
    const validationSplit = num('validation_split', { name: 'validation_split', type: 'float', min: 0, max: 0.99, doc: '' }, FIT_DEFAULTS.validationSplit);
    let shuffle: boolean = FIT_DEFAULTS.shuffle;
    const shuffleArg = bound.get('shuffle');
    if (shuffleArg) {
      const v = this.convert(owner, { name: 'shuffle', type: 'bool', doc: '' }, shuffleArg);
      if (v === undefined) ok = false;
      else shuffle = v as boolean;
    }
    const verbose = bound.get('verbose');
    if (verbose && !(verbose.value.kind === 'string' && verbose.value.value === 'auto') && !(verbose.value.kind === 'number' && [0, 1, 2].includes(verbose.value.value))) {
      this.report(`${owner} argument 'verbose' must be "auto", 0, 1 or 2, got ${describe(verbose.value)}`, verbose.span);
      ok = false;
    }
    if (model.compile === null) {
      if (!model.compileFailed && !model.broken) {
        this.report(`Call ${model.varName ?? 'model'}.compile(...) before ${owner}(...)`, args.span, 'Training needs an optimizer and a loss: model.compile(optimizer="adam", loss="categorical_crossentropy")');
      }
      ok = false;
    }
    if (!ok || x === undefined || y === undefined) return;
    if (model.fit) this.report(`${owner}(...) is called more than once; the playground trains with the last call`, args.span, undefined, 'warning');
    model.fit = { epochs, batchSize, validationSplit, shuffle, x, y, span: args.span };
  }

  // --- result ---

  /** The model the program builds, as a spec (null if anything failed). */
  finish(): ModelSpec | null {
    if (this.models.length === 0) {
      if (this.errorCount() === 0) {
        this.report('No model found: define one with keras.Sequential([...]) or keras.Model(inputs, outputs)', this.index.lineSpan(1));
      }
      return null;
    }
    // The model that is trained, else the one compiled, else the last one built.
    const model = [...this.models].reverse().find((m) => m.fit) ?? [...this.models].reverse().find((m) => m.compile) ?? this.models[this.models.length - 1];
    if (this.errorCount() > 0 || model.broken) return null;
    if (model.style === 'sequential') {
      const first = model.layers[0];
      if (model.inputs.length === 0) {
        this.report('The model has no input: start it with keras.Input(shape=(...))', first?.span ?? model.span, 'keras.Sequential([keras.Input(shape=(2,)), layers.Dense(16), ...])');
        return null;
      }
      if (!first) {
        this.report('The model has no layers', model.span, 'Add layers after keras.Input(...), e.g. layers.Dense(3)');
        return null;
      }
      model.outputs = [model.layers[model.layers.length - 1].id];
    }
    return {
      version: SPEC_VERSION,
      style: model.style,
      modelName: model.varName ?? 'model',
      inputs: model.inputs,
      layers: model.layers,
      outputs: model.outputs,
      compile: model.compile,
      fit: model.fit
    };
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** Parses a Keras program (never runs it) into a ModelSpec with located diagnostics. */
export function parseProgram(source: string): ParseResult {
  const index = new LineIndex(source);
  const tree = parser.parse(source);
  // Syntax: the earliest of the tokenizer-level problem and the first error in the tree.
  const lexical = lexicalError(source, index);
  const structural = treeSyntaxError(tree, source, index);
  const syntax = lexical && structural ? (structural.span.from < lexical.span.from ? structural : lexical) : (lexical ?? structural);
  if (syntax) return { spec: null, diagnostics: [syntax] };

  const interpreter = new Interpreter(source, index);
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
