/**
 * The Python-subset interpreter: walks the @lezer/python tree of a program over a safe subset of Python (imports
 * from keras and keras_hub, assignments to names, numbers/strings/tuples/lists with + - * / // % **, `a + b` on
 * tensors, `for ... in range(...)` loops, attribute access and calls) without running it. Calls into keras go to the model builder
 * (`model-builder.ts`), which converts their arguments with `arguments.ts`; imports are read by `imports.ts`.
 *
 * Error recovery: an expression that fails reports once and yields a "poison" value; anything computed from a
 * poison value is poison too and reports nothing, so one mistake gives one message, not a cascade.
 */
import type { SyntaxNode } from '@lezer/common';
import type { ModelSpec, Span } from '$lib/spec/types';
import { buildRoots, DATA_CONSTANTS, DATA_NAMES, FORBIDDEN_BUILTINS, foreignModuleHint, MODEL_METHODS, OTHER_BUILTINS, PYTHON_BUILTINS, type Callable, type ModelMethod, type Namespace } from './builtins';
import { suggestion, type LineIndex } from './diagnostics';
import { readImport } from './imports';
import { ModelBuilder } from './model-builder';
import { describe, KerasError, NONE, POISON, Reporter, type CallArgs, type Value } from './values';

/** Upper bounds that keep a pathological program from freezing the editor. */
const MAX_LOOP_ITERATIONS = 1000;
const MAX_STEPS = 20_000;
/** Deeper expressions are refused with a located message before the JavaScript stack could overflow. */
const MAX_DEPTH = 500;
/** Hint shown for constructs outside the subset. */
const SUPPORTED_HINT =
  'Supported: imports from keras and keras_hub, name = value assignments, numbers, strings, tuples and lists, for loops over range(...), and calls to keras, layers, optimizers and model.add/compile/fit/summary';

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

export class Interpreter {
  private readonly r: Reporter = new Reporter();
  private readonly builder: ModelBuilder;
  private readonly scope = new Map<string, Value>();
  private readonly roots = buildRoots();
  private readonly keras = this.roots.keras;
  private steps = 0;
  /** Nesting of the expression being evaluated (each level is a few stack frames). */
  private depth = 0;

  constructor(
    private readonly source: string,
    private readonly index: LineIndex,
    /** Numbers the data predefines (`vocab_size`, `seq_len`). */
    private readonly constants: Record<string, number> = {}
  ) {
    this.builder = new ModelBuilder(this.r, index);
  }

  get diagnostics() {
    return this.r.diagnostics;
  }

  /** The model the program builds, as a spec (null if anything failed). */
  finish(): ModelSpec | null {
    try {
      return this.builder.finish();
    } catch (e) {
      // Only the problem limit (already reported) stops finish().
      if (e instanceof KerasError) return null;
      throw e;
    }
  }

  // --- reporting ---

  private span(node: SyntaxNode): Span {
    return this.index.span(node.from, node.to);
  }

  private text(node: SyntaxNode): string {
    return this.source.slice(node.from, node.to);
  }

  private tick(span: Span): void {
    if (++this.steps > MAX_STEPS) throw new KerasError(`The program is too long to analyse (more than ${MAX_STEPS} steps)`, span, 'Use fewer or shorter loops', true);
  }

  // --- program ---

  run(script: SyntaxNode): void {
    try {
      this.execBlock(kids(script));
    } catch (e) {
      if (e instanceof KerasError) this.r.report(e.message, e.span, e.hint);
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
          this.r.fail(what, this.span(keyword), hint ?? SUPPORTED_HINT);
        }
      }
    } catch (e) {
      if (e instanceof KerasError && !e.fatal) this.r.report(e.message, e.span, e.hint);
      else throw e;
    }
  }

  // --- imports ---

  private execImport(node: SyntaxNode): void {
    const info = readImport(node, (n) => this.text(n));
    if (!info.from) {
      // import a.b [as c], d
      for (const b of info.bindings) if (b.kind === 'module') this.scope.set(b.bound, this.r.guard(() => this.importModule(b.path.names, b.path.nodes, b.asModule)));
      return;
    }
    // from a.b import c [as d], e   |   from a import *
    const { path, relative, star } = info.from;
    if (relative) this.r.fail('Relative imports are not supported', this.span(relative), 'Import from keras: from keras import layers');
    const module = this.r.guard(() => this.importModule(path.names, path.nodes, true));
    if (module.kind === 'poison' && star) return;
    if (star) this.r.fail(`from ${path.names.join('.')} import * is not supported`, this.span(star), `Import the names you use, e.g. from ${path.names.join('.')} import layers`);
    for (const b of info.bindings) {
      if (b.kind === 'member') this.scope.set(b.bound, this.r.guard(() => this.getAttribute(module, b.name, this.span(b.nameNode))));
    }
  }

  /** The module at `path` (must be under keras or keras_hub). `asModule`: the import binds the module itself. */
  private importModule(path: string[], pathNodes: SyntaxNode[], asModule: boolean): Value {
    const rootSpan = this.span(pathNodes[0]);
    if (path[0] !== 'keras' && path[0] !== 'keras_hub') {
      const { message, hint } = foreignModuleHint(path[0]);
      this.r.fail(message, rootSpan, hint);
    }
    const root = this.roots[path[0]];
    let value: Value = { kind: 'namespace', ns: root };
    for (let i = 1; i < path.length; i++) {
      value = this.getAttribute(value, path[i], this.span(pathNodes[i]));
      if (value.kind !== 'namespace') {
        const full = path.slice(0, i + 1).join('.');
        this.r.fail(`${full} is not a module`, this.index.span(pathNodes[0].from, pathNodes[i].to), `Use from ${path.slice(0, i).join('.')} import ${path[i]}`);
      }
    }
    // `import keras.layers` binds `keras`; `import keras.layers as L` binds the submodule.
    return asModule ? value : { kind: 'namespace', ns: root };
  }

  // --- assignments and loops ---

  private execAssign(node: SyntaxNode): void {
    const parts = kids(node);
    const typeDef = parts.find((n) => n.name === 'TypeDef');
    if (typeDef) this.r.fail('Type annotations are not supported', this.span(typeDef), 'Write name = value');
    // Segments between '=' signs: targets..., value.
    const segments: SyntaxNode[][] = [[]];
    for (const p of parts) {
      if (p.name === 'AssignOp') segments.push([]);
      else segments[segments.length - 1].push(p);
    }
    const valueNodes = segments.pop() ?? [];
    const targets = segments.map((seg) => {
      const names = seg.filter((n) => n.name !== ',');
      if (names.length > 1) this.r.fail('Unpacking assignments (a, b = ...) are not supported', this.index.span(seg[0].from, seg[seg.length - 1].to), 'Assign one name per line');
      const t = names[0];
      if (t.name !== 'VariableName') {
        const what = t.name === 'MemberExpression' ? 'attributes or items' : 'this';
        this.r.fail(`Cannot assign to ${what}: only plain names can be assigned`, this.span(t), 'Write name = value');
      }
      return this.text(t);
    });
    const value = this.r.guard(() => this.evalSequence(valueNodes));
    for (const name of targets) {
      if (value.kind === 'model' && value.model.varName === null) value.model.varName = name;
      this.scope.set(name, value);
    }
  }

  /** `a` or `a, b` (a bare tuple). */
  private evalSequence(nodes: SyntaxNode[]): Value {
    const items = splitOnCommas(nodes);
    if (items.length === 1 && !nodes.some((n) => n.name === ',')) return this.evalExpr(items[0][0]);
    return { kind: 'tuple', items: items.map((g) => this.r.guard(() => this.evalExpr(g[0]))), spans: items.map((g) => this.span(g[0])) };
  }

  private execUpdate(node: SyntaxNode): void {
    const [target, op, valueNode] = kids(node);
    if (target.name !== 'VariableName') this.r.fail('Only plain names can be updated (name += value)', this.span(target));
    const name = this.text(target);
    const result = this.r.guard(() => {
      const current = this.lookup(name, this.span(target));
      const operand = this.evalExpr(valueNode);
      return this.arithmetic(this.text(op).slice(0, -1), current, operand, this.span(node), this.span(target), this.span(valueNode));
    });
    this.scope.set(name, result);
  }

  private execFor(node: SyntaxNode): void {
    const parts = kids(node);
    const inAt = parts.findIndex((n) => n.name === 'in');
    const targets = parts.slice(1, inAt).filter((n) => n.name !== ',');
    const bodies = parts.filter((n) => n.name === 'Body');
    if (bodies.length > 1) this.r.fail('for ... else is not supported', this.span(parts.find((n) => n.name === 'else') ?? node));
    if (targets.length !== 1 || targets[0].name !== 'VariableName') {
      this.r.fail('Only a single loop variable is supported: for i in range(n):', this.index.span(targets[0]?.from ?? node.from, targets[targets.length - 1]?.to ?? node.to));
    }
    const iterNode = parts[inAt + 1];
    const iterable = this.evalExpr(iterNode);
    let items: Value[];
    if (iterable.kind === 'range') items = iterable.values.map((v) => ({ kind: 'number', value: v, isInt: true }));
    else if (iterable.kind === 'list' || iterable.kind === 'tuple') items = iterable.items;
    else if (iterable.kind === 'poison') return;
    else this.r.fail(`A for loop can go over range(...) or a list, not ${describe(iterable)}`, this.span(iterNode), 'for i in range(3):');
    if (items.length > MAX_LOOP_ITERATIONS) this.r.fail(`This loop would run ${items.length} times; at most ${MAX_LOOP_ITERATIONS} are allowed here`, this.span(iterNode));
    const name = this.text(targets[0]);
    const body = kids(bodies[0]).filter((n) => n.name !== ':');
    for (const item of items) {
      this.scope.set(name, item);
      const before = this.r.errorCount();
      this.execBlock(body);
      // The same mistake would repeat in every iteration.
      if (this.r.errorCount() > before) return;
    }
  }

  // --- expressions ---

  private evalExpr(node: SyntaxNode): Value {
    if (this.depth >= MAX_DEPTH) throw new KerasError(`This expression is nested too deeply (more than ${MAX_DEPTH} levels)`, this.span(node), 'Split it into several assignments', true);
    this.depth++;
    try {
      return this.evalNode(node);
    } finally {
      this.depth--;
    }
  }

  private evalNode(node: SyntaxNode): Value {
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
        return this.r.fail(what, this.span(node), hint ?? SUPPORTED_HINT);
      }
    }
  }

  private number(node: SyntaxNode): Value {
    const text = this.text(node).replace(/_/g, '');
    if (/[jJ]$/.test(text)) this.r.fail('Complex numbers are not supported', this.span(node));
    const radix = /^0[xX]/.test(text) ? 16 : /^0[oO]/.test(text) ? 8 : /^0[bB]/.test(text) ? 2 : 10;
    if (radix !== 10) return { kind: 'number', value: parseInt(text.slice(2), radix), isInt: true };
    return { kind: 'number', value: Number(text), isInt: /^\d+$/.test(text) };
  }

  private string(node: SyntaxNode): { kind: 'string'; value: string } {
    if (node.name === 'FormatString') this.r.fail('f-strings are not supported', this.span(node), 'Use a plain string');
    const text = this.text(node);
    const prefix = /^[a-zA-Z]*/.exec(text)?.[0] ?? '';
    if (/b/i.test(prefix)) this.r.fail('Byte strings are not supported', this.span(node), 'Use a plain string');
    if (/f/i.test(prefix)) this.r.fail('f-strings are not supported', this.span(node), 'Use a plain string');
    return { kind: 'string', value: decodeString(text) };
  }

  private sequence(node: SyntaxNode): Value {
    const inner = kids(node).filter((n) => !['(', ')', '[', ']'].includes(n.name));
    const star = inner.find((n) => n.name === '*' || n.name === '**');
    if (star) this.r.fail('Unpacking with * is not supported', this.span(star), 'Write the items out');
    const items = splitOnCommas(inner);
    return {
      kind: node.name === 'ArrayExpression' ? 'list' : 'tuple',
      // Each item on its own: one bad layer in a list does not hide the others.
      items: items.map((g) => this.r.guard(() => this.evalExpr(g[0]))),
      spans: items.map((g) => this.span(g[0]))
    };
  }

  private member(node: SyntaxNode): Value {
    const parts = kids(node);
    if (parts[1]?.name === '[') this.r.fail('Indexing with [...] is not supported', this.span(node), SUPPORTED_HINT);
    const object = this.evalExpr(parts[0]);
    const prop = parts.find((n) => n.name === 'PropertyName');
    if (!prop) return this.r.fail('Incomplete attribute access', this.span(node));
    return this.getAttribute(object, this.text(prop), this.span(prop));
  }

  private unary(node: SyntaxNode): Value {
    const [op, operandNode] = kids(node);
    const opText = this.text(op);
    if (opText !== '-' && opText !== '+') this.r.fail(`The '${opText}' operator is not supported`, this.span(op), 'Only arithmetic (+ - * / // % **) on numbers is supported');
    const operand = this.evalExpr(operandNode);
    if (operand.kind === 'poison') return POISON;
    if (operand.kind !== 'number') this.r.fail(`Cannot apply '${opText}' to ${describe(operand)}`, this.span(node));
    return { kind: 'number', value: opText === '-' ? -operand.value : operand.value, isInt: operand.isInt };
  }

  private binary(node: SyntaxNode): Value {
    const [leftNode, op, rightNode] = kids(node);
    const opText = this.text(op);
    if (op.name !== 'ArithOp' || opText === '@') {
      this.r.fail(`The '${opText}' operator is not supported`, this.span(op), 'Only arithmetic (+ - * / // % **) on numbers is supported');
    }
    const left = this.evalExpr(leftNode);
    const right = this.evalExpr(rightNode);
    return this.arithmetic(opText, left, right, this.span(node), this.span(leftNode), this.span(rightNode));
  }

  /**
   * Python arithmetic on ints/floats (int op int stays int except for '/'); + also joins strings and lists, and adds
   * two tensors (`x + attention(x)`, a residual connection: an Add layer). `leftSpan`/`rightSpan` locate the operands.
   */
  private arithmetic(op: string, a: Value, b: Value, span: Span, leftSpan: Span = span, rightSpan: Span = span): Value {
    if (a.kind === 'poison' || b.kind === 'poison') return POISON;
    if (a.kind === 'tensor' || b.kind === 'tensor') return this.tensorArithmetic(op, a, b, span, leftSpan, rightSpan);
    if (op === '+' && a.kind === 'string' && b.kind === 'string') return { kind: 'string', value: a.value + b.value };
    if (op === '+' && (a.kind === 'list' || a.kind === 'tuple') && b.kind === a.kind) return { kind: a.kind, items: [...a.items, ...b.items], spans: [...a.spans, ...b.spans] };
    if (a.kind !== 'number' || b.kind !== 'number') {
      return this.r.fail(`Cannot use '${op}' with ${describe(a)} and ${describe(b)}`, span, 'Arithmetic works on numbers');
    }
    const x = a.value;
    const y = b.value;
    const bothInt = a.isInt && b.isInt;
    if ((op === '/' || op === '//' || op === '%') && y === 0) this.r.fail('Division by zero', span);
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
        return this.r.fail(`The '${op}' operator is not supported`, span);
    }
    if (!Number.isFinite(value)) this.r.fail('The result of this arithmetic is too large', span);
    return { kind: 'number', value, isInt };
  }

  /** `a + b` on two tensors is an Add layer; anything else with a tensor is refused at the operand that is wrong. */
  private tensorArithmetic(op: string, a: Value, b: Value, span: Span, leftSpan: Span, rightSpan: Span): Value {
    const example = 'x = x + layers.Dense(64)(x)';
    if (op !== '+') {
      return this.r.fail(`The '${op}' operator is not supported on tensors here`, span, `Only a + b of two tensors of the same shape (a residual connection) is supported, e.g. ${example}`);
    }
    if (a.kind !== 'tensor' || b.kind !== 'tensor') {
      const [other, otherSpan] = a.kind === 'tensor' ? [b, rightSpan] : [a, leftSpan];
      return this.r.fail(
        `Cannot add ${describe(other)} to a tensor: + adds two tensors here`,
        otherSpan,
        other.kind === 'number' ? `Adding a constant to a tensor is not supported; a + b adds two tensors of the same shape, e.g. ${example}` : `Add two tensors of the same shape, e.g. ${example}`
      );
    }
    return this.builder.addTensors(a.id, b.id, span);
  }

  // --- names and attributes ---

  private lookup(name: string, span: Span): Value {
    const bound = this.scope.get(name);
    if (bound) return bound;
    if ((DATA_NAMES as readonly string[]).includes(name)) return { kind: 'data', name };
    if (Object.hasOwn(this.constants, name)) {
      const value = this.constants[name];
      return { kind: 'number', value, isInt: Number.isInteger(value) };
    }
    const constant = Object.hasOwn(DATA_CONSTANTS, name) ? DATA_CONSTANTS[name] : undefined;
    if (constant) this.r.fail(`${name} is not defined: ${constant.definedBy}`, span, `Or write the number yourself, e.g. ${name} = 10`);
    const builtin = PYTHON_BUILTINS[name];
    if (builtin) return { kind: 'callable', fn: builtin };
    if (FORBIDDEN_BUILTINS.has(name)) {
      this.r.fail(`${name} is not allowed: the playground reads your code, it never runs it`, span, 'Only the Keras subset is available: keras and layers calls, range(...) in for loops, print(...)');
    }
    if (OTHER_BUILTINS.has(name)) this.r.fail(`${name} is not supported here`, span, 'Only the Keras subset is available: keras and layers calls, range(...) in for loops, print(...)');
    if (name === 'keras') this.r.fail("Unknown name 'keras'", span, 'Add import keras at the top');
    if (name === 'keras_hub') this.r.fail("Unknown name 'keras_hub'", span, 'Add import keras_hub at the top');
    if (name === 'keras_nlp') this.r.fail("Unknown name 'keras_nlp'", span, 'keras_nlp is the old name of KerasHub: add import keras_hub at the top and write keras_hub.layers...');
    const member = this.keras.members[name];
    if (member) this.r.fail(`Unknown name '${name}'`, span, `Add from keras import ${name} at the top`);
    const layers = this.keras.members.layers as Namespace;
    if (layers.members[name]) this.r.fail(`Unknown name '${name}'`, span, `Add from keras.layers import ${name} at the top, or write layers.${name}`);
    const hubLayers = this.roots.keras_hub.members.layers as Namespace;
    if (hubLayers.members[name]) this.r.fail(`Unknown name '${name}'`, span, `Add import keras_hub at the top and write keras_hub.layers.${name}`);
    const candidates = [...this.scope.keys(), ...DATA_NAMES, ...Object.keys(this.constants), ...Object.keys(PYTHON_BUILTINS)];
    const dataHint = /^[xy]_|data|train|test/i.test(name) ? 'The data sets are predefined as x_train, y_train, x_test, y_test' : undefined;
    return this.r.fail(`Unknown name '${name}'${suggestion(name, candidates)}`, span, dataHint);
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
        if (unsupported !== undefined) this.r.fail(`${ns.path}.${name} is not ${ns.path.startsWith('keras_hub') ? 'available' : 'supported'} here`, span, unsupported);
        const moved = ns.elsewhere && Object.hasOwn(ns.elsewhere, name) ? ns.elsewhere[name] : undefined;
        if (moved) this.r.fail(`${name} is not in ${ns.path}: write ${moved.path}`, span, moved.hint);
        const names = Object.keys(ns.members);
        if (ns.memberNoun) {
          const available = ns.memberNoun === 'layer' ? names.filter((n) => ['layer', 'block'].includes((ns.members[n] as Callable).type)) : names;
          this.r.fail(`Unknown ${ns.memberNoun} ${name}${suggestion(name, available, '')}`, span, `Available ${ns.memberNoun}s: ${available.join(', ')}`);
        }
        return this.r.fail(`${ns.path} has no attribute '${name}'${suggestion(name, [...names, ...Object.keys(ns.unsupported ?? {})])}`, span, `Available: ${names.map((n) => `${ns.path}.${n}`).join(', ')}`);
      }
      case 'model': {
        if ((MODEL_METHODS as readonly string[]).includes(name)) return { kind: 'method', model: object.model, name: name as ModelMethod };
        const v = object.model.varName ?? 'model';
        return this.r.fail(`${v}.${name} is not supported here${suggestion(name, MODEL_METHODS)}`, span, `Supported: ${v}.add(...), ${v}.compile(...), ${v}.fit(...), ${v}.summary()`);
      }
      case 'data':
        return this.r.fail(`${object.name}.${name} is not available here`, span, 'The data can only be passed to model.fit(...); write shapes out, e.g. keras.Input(shape=(2,))');
      default:
        return this.r.fail(`Attributes of ${describe(object)} (.${name}) are not supported`, span, SUPPORTED_HINT);
    }
  }

  // --- calls ---

  private callExpression(node: SyntaxNode): Value {
    const calleeNode = node.firstChild;
    const argList = node.lastChild;
    if (!calleeNode || !argList || argList.name !== 'ArgList') return this.r.fail('Incomplete call', this.span(node));
    const callee = this.evalExpr(calleeNode);
    const args = this.evalArgs(argList, this.span(node));
    if (callee.kind === 'poison') return POISON;
    this.tick(args.span);
    switch (callee.kind) {
      case 'callable':
        return this.callCallable(callee.fn, args);
      case 'layer':
        return this.builder.callLayer(callee.layer, args);
      case 'block':
        return this.builder.callBlock(callee.block, args);
      case 'method':
        return this.builder.callMethod(callee.model, callee.name, args);
      case 'model':
        return this.r.fail('Calling a model like a layer is not supported yet', args.span, 'Build one model from keras.Input(...) to its outputs');
      case 'namespace':
        return this.r.fail(`${callee.ns.path} is a module and cannot be called`, this.span(calleeNode));
      default:
        return this.r.fail(`${describe(callee)} cannot be called`, this.span(calleeNode), SUPPORTED_HINT);
    }
  }

  private evalArgs(argList: SyntaxNode, span: Span): CallArgs {
    const inner = kids(argList).filter((n) => n.name !== '(' && n.name !== ')');
    const comprehension = inner.find((n) => n.name === 'for');
    if (comprehension) this.r.fail('Generator expressions are not supported', this.span(argList), 'Use a for loop with model.add(...)');
    const args: CallArgs = { positional: [], keywords: [], span };
    const given = new Set<string>();
    for (const group of splitOnCommas(inner)) {
      if (group[0].name === '*' || group[0].name === '**') {
        this.r.fail('Argument unpacking (*args, **kwargs) is not supported', this.index.span(group[0].from, group[group.length - 1].to), 'Write the arguments out');
      }
      if (group.length >= 3 && group[1].name === 'AssignOp') {
        const name = this.text(group[0]);
        const nameSpan = this.span(group[0]);
        if (given.has(name)) this.r.fail(`Argument '${name}' is given twice`, nameSpan);
        given.add(name);
        args.keywords.push({ name, nameSpan, value: this.r.guard(() => this.evalExpr(group[2])), span: this.span(group[2]) });
      } else {
        if (args.keywords.length > 0) this.r.fail('Positional arguments must come before keyword arguments', this.span(group[0]), 'Move it before the name=value arguments');
        args.positional.push({ value: this.r.guard(() => this.evalExpr(group[0])), span: this.span(group[0]) });
      }
    }
    return args;
  }

  private callCallable(fn: Callable, args: CallArgs): Value {
    switch (fn.type) {
      case 'range':
        return this.makeRange(args);
      case 'print':
        return NONE;
      default:
        return this.builder.call(fn, args);
    }
  }

  private makeRange(args: CallArgs): Value {
    if (args.keywords.length > 0) this.r.fail('range() takes no keyword arguments', args.keywords[0].nameSpan);
    const n = args.positional.length;
    if (n < 1 || n > 3) this.r.fail(`range() takes 1 to 3 arguments, got ${n}`, args.span, 'range(stop), range(start, stop) or range(start, stop, step)');
    const nums: number[] = [];
    for (const a of args.positional) {
      if (a.value.kind === 'poison') return POISON;
      if (a.value.kind !== 'number' || !a.value.isInt) this.r.fail(`range() needs whole numbers, got ${describe(a.value)}`, a.span);
      nums.push(a.value.value);
    }
    const [start, stop, step] = n === 1 ? [0, nums[0], 1] : [nums[0], nums[1], nums[2] ?? 1];
    if (step === 0) this.r.fail('range() step must not be zero', args.positional[2].span);
    const count = Math.max(0, Math.ceil((stop - start) / step));
    if (count > MAX_LOOP_ITERATIONS) this.r.fail(`This range has ${count} numbers; loops may run at most ${MAX_LOOP_ITERATIONS} times here`, args.span);
    return { kind: 'range', values: Array.from({ length: count }, (_, i) => start + i * step) };
  }

}
