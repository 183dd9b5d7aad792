/**
 * ModelSpec → Python Keras 3 source: the inverse of `parseProgram`, up to source spans (parse(print(spec)) gives
 * the same spec). The model keeps the style it was written in (a `keras.Sequential([...])` list, or the functional
 * API), layer arguments are written only where they differ from the registry's defaults, in Keras' own style
 * (`layers.Dense(16, activation="relu")`), and layer names only where Keras would name the layer differently.
 *
 * `printKerasScript` wraps a program into a complete script that runs in Python Keras 3: the data — a numpy port of
 * the playground's generator for the toys and regressions (same distribution, not the same numbers), Keras' own
 * MNIST for the digits — with the targets encoded as the playground binds them for the program's loss, then the
 * program and its `model.fit(...)`.
 */
import { bindData } from '$lib/data/bind';
import { DIGITS_CLASSES } from '$lib/data/digits-pack';
import { makeRegression, NOISE_SCALE, PLANE, REGRESSION_NAMES, REGRESSIONS, resolveRegressionParams, SINE_AMPLITUDE, type RegressionName, type RegressionParams } from '$lib/data/regression';
import { makeToy, resolveToyParams, MOONS_GEOMETRY, SPIRAL_GEOMETRY, TOY_NAMES, TOYS, type ToyName, type ToyParams } from '$lib/data/toys';
import type { BoundData, ClassificationDataset, Dataset } from '$lib/data/types';
import type { DatasetName } from '$lib/examples';
import { getLayer } from '$lib/layers';
import type { ArgDef } from '$lib/layers/types';
import { inferShapes } from '$lib/spec/shape';
import type { ArgValue, CompileSpec, FitSpec, LayerNode, ModelSpec, OptimizerSpec } from '$lib/spec/types';
import { DATA_NAMES, FIT_DEFAULTS, FORBIDDEN_BUILTINS, OPTIMIZERS, OTHER_BUILTINS, PYTHON_BUILTINS } from './builtins';
import { toSnakeCase } from './parse';

/** Lines longer than this are broken, one argument per line (black's default width). */
const LINE_WIDTH = 88;
const INDENT = '    ';

// ---------------------------------------------------------------------------------------------------------------
// Python literals

/** Python's repr of a float: always with a decimal point or an exponent (`1.0`, `0.01`, `1e-07` style accepted). */
export function pyFloat(v: number): string {
  if (Number.isNaN(v)) return 'float("nan")';
  if (!Number.isFinite(v)) return v > 0 ? 'float("inf")' : '-float("inf")';
  const s = String(v);
  return /[.eE]/.test(s) ? s : `${s}.0`;
}

function pyInt(v: number): string {
  return Number.isInteger(v) ? String(v) : pyFloat(v);
}

/** A double-quoted Python string literal (JSON's escapes are all valid in Python). */
export function pyString(s: string): string {
  return JSON.stringify(s);
}

function isRegularizer(v: ArgValue): v is { [key: string]: ArgValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && (v.type === 'l1' || v.type === 'l2' || v.type === 'l1_l2');
}

/** A spec value as Python source. `type` (the argument's ArgDef type) decides int vs float for numbers. */
export function pyValue(v: ArgValue, type?: ArgDef['type']): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return type === 'float' ? pyFloat(v) : pyInt(v);
  if (typeof v === 'string') return pyString(v);
  if (Array.isArray(v)) {
    const items = v.map((x) => pyValue(x, type === 'float' ? 'float' : undefined));
    return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
  }
  if (isRegularizer(v)) {
    const f = (k: string) => pyFloat(typeof v[k] === 'number' ? (v[k] as number) : 0.01);
    if (v.type === 'l1_l2') return `keras.regularizers.l1_l2(l1=${f('l1')}, l2=${f('l2')})`;
    return `keras.regularizers.${v.type}(${f(v.type as string)})`;
  }
  return `{${Object.entries(v as { [key: string]: ArgValue })
    .map(([k, x]) => `${pyString(k)}: ${pyValue(x)}`)
    .join(', ')}}`;
}

function sameValue(a: ArgValue | undefined, b: ArgValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * `callee(a, b)` on one line when it fits at this indent (after `lead` characters already on the line, e.g.
 * `x = `), else one argument per line (black style).
 */
function formatCall(callee: string, args: string[], indent: string, suffix = '', lead = 0): string {
  const flat = `${callee}(${args.join(', ')})${suffix}`;
  if (args.length === 0 || indent.length + lead + flat.length <= LINE_WIDTH) return flat;
  return `${callee}(\n${args.map((a) => `${indent}${INDENT}${a},\n`).join('')}${indent})${suffix}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Names

const PYTHON_KEYWORDS = new Set(
  'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type _'.split(' ')
);

/** Names a printed program must not rebind. */
function reservedNames(spec: ModelSpec): Set<string> {
  return new Set([
    ...PYTHON_KEYWORDS,
    ...FORBIDDEN_BUILTINS,
    ...OTHER_BUILTINS,
    ...Object.keys(PYTHON_BUILTINS),
    ...DATA_NAMES,
    'keras',
    'layers',
    'np',
    'x',
    'inputs',
    'outputs',
    modelVar(spec)
  ]);
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function modelVar(spec: ModelSpec): string {
  const name = spec.modelName;
  return IDENTIFIER.test(name) && !PYTHON_KEYWORDS.has(name) && !(DATA_NAMES as readonly string[]).includes(name) && name !== 'keras' && name !== 'layers' ? name : 'model';
}

/**
 * Replays the parser's naming (`dense`, `dense_1`, ..., `input_layer`, ...; explicit `name=` values are taken too) in
 * the order the printed program creates its nodes, to know which nodes need an explicit `name=`.
 */
class KerasNames {
  private readonly used = new Set<string>();
  private readonly counters = new Map<string, number>();

  /** Registers `id` for a node of this prefix; true when Keras would give it that name without `name=`. */
  take(prefix: string, id: string): boolean {
    let n = this.counters.get(prefix) ?? 0;
    let auto: string;
    do {
      auto = n === 0 ? prefix : `${prefix}_${n}`;
      n++;
    } while (this.used.has(auto));
    this.used.add(id);
    if (auto !== id) return false;
    this.counters.set(prefix, n);
    return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Model code

/** The constructor call of a layer: required leading arguments by position, the others by name when not default. */
function layerConstructor(node: LayerNode, names: KerasNames, indent: string, suffix = '', lead = 0): string {
  const def = getLayer(node.kind);
  if (!def) throw new Error(`Unknown layer ${node.kind}: it is not in the layer registry`);
  const args: string[] = [];
  let positional = true;
  for (const a of def.args) {
    const v = node.args[a.name];
    if (a.default === undefined) {
      if (v === undefined) {
        positional = false;
        continue;
      }
      args.push(positional ? pyValue(v, a.type) : `${a.name}=${pyValue(v, a.type)}`);
    } else {
      positional = false;
      if (v !== undefined && !sameValue(v, a.default)) args.push(`${a.name}=${pyValue(v, a.type)}`);
    }
  }
  for (const [k, v] of Object.entries(node.args)) if (!def.args.some((a) => a.name === k)) args.push(`${k}=${pyValue(v)}`);
  if (!names.take(toSnakeCase(node.kind), node.id)) args.push(`name=${pyString(node.id)}`);
  return formatCall(`layers.${node.kind}`, args, indent, suffix, lead);
}

function inputCall(spec: ModelSpec, index: number, names: KerasNames, indent: string): string {
  const input = spec.inputs[index];
  const args = [`shape=${pyValue(input.shape)}`];
  const id = input.name || input.id;
  if (!names.take('input_layer', id)) args.push(`name=${pyString(id)}`);
  return formatCall('keras.Input', args, indent);
}

/** `keras.optimizers.Adam(learning_rate=0.01)`, or `"adam"` when everything is Keras' default. */
export function optimizerCode(opt: OptimizerSpec): string {
  const table = OPTIMIZERS[opt.name];
  if (!table) throw new Error(`Unknown optimizer ${String(opt.name)}`);
  const [lrDef, ...rest] = table.args;
  const args: string[] = [];
  if (opt.learningRate !== lrDef.default) args.push(`learning_rate=${pyFloat(opt.learningRate)}`);
  // The extras are what the program wrote (the parser keeps only those), so all of them are printed.
  const extras = opt.args ?? {};
  for (const a of rest) if (extras[a.name] !== undefined) args.push(`${a.name}=${pyValue(extras[a.name], a.type)}`);
  for (const [k, v] of Object.entries(extras)) if (!rest.some((a) => a.name === k) && k !== 'learning_rate') args.push(`${k}=${pyValue(v)}`);
  return args.length === 0 ? pyString(opt.name) : `keras.optimizers.${table.className}(${args.join(', ')})`;
}

function compileCode(model: string, c: CompileSpec): string {
  const args = [`optimizer=${optimizerCode(c.optimizer)}`, `loss=${pyString(c.loss)}`];
  if (c.metrics.length > 0) args.push(`metrics=[${c.metrics.map(pyString).join(', ')}]`);
  return formatCall(`${model}.compile`, args, '');
}

/** `model.fit(x_train, y_train, epochs=..., ...)`: epochs always, the other options where not Keras' default. */
export function fitCode(model: string, f: FitSpec): string {
  const args = [f.x, f.y, `epochs=${f.epochs}`];
  if (f.batchSize !== FIT_DEFAULTS.batchSize) args.push(`batch_size=${f.batchSize}`);
  if (f.validationSplit !== FIT_DEFAULTS.validationSplit) args.push(`validation_split=${pyFloat(f.validationSplit)}`);
  if (f.shuffle !== FIT_DEFAULTS.shuffle) args.push(`shuffle=${f.shuffle ? 'True' : 'False'}`);
  return formatCall(`${model}.fit`, args, '');
}

function sequentialCode(spec: ModelSpec, model: string): string[] {
  const names = new KerasNames();
  const items = spec.inputs.map((_, i) => inputCall(spec, i, names, INDENT));
  for (const node of spec.layers) items.push(layerConstructor(node, names, INDENT));
  return [`${model} = keras.Sequential([`, ...items.map((i) => `${INDENT}${i},`), '])'];
}

function functionalCode(spec: ModelSpec, model: string): string[] {
  const reserved = reservedNames(spec);
  const taken = new Set<string>();
  const fresh = (id: string): string => {
    let base = id.replace(/\W+/g, '_');
    if (!/^[A-Za-z_]/.test(base)) base = `t_${base}`;
    let name = base;
    for (let k = 1; reserved.has(name) || taken.has(name); k++) name = `${base}_${k}`;
    taken.add(name);
    return name;
  };
  // How often each node is read, and by which layers.
  const consumers = new Map<string, number[]>();
  spec.layers.forEach((node, i) => node.inputs.forEach((id) => consumers.set(id, [...(consumers.get(id) ?? []), i])));
  const outputs = new Set(spec.outputs);
  const vars = new Map<string, string>();
  const lines: string[] = [];
  const names = new KerasNames();

  spec.inputs.forEach((input, i) => {
    const v = spec.inputs.length === 1 ? 'inputs' : fresh(input.id);
    vars.set(input.id, v);
    lines.push(`${v} = ${inputCall(spec, i, names, '')}`);
  });
  spec.layers.forEach((node, i) => {
    const readers = consumers.get(node.id) ?? [];
    let v: string;
    if (outputs.has(node.id)) v = spec.outputs.length === 1 ? 'outputs' : fresh(node.id);
    // `x` is overwritten by the next layer, so it only holds a tensor read once, by that very layer.
    else if (readers.length === 1 && readers[0] === i + 1) v = 'x';
    else v = fresh(node.id);
    const ins = node.inputs.map((id) => {
      const name = vars.get(id);
      if (!name) throw new Error(`Layer ${node.id} reads ${id}, which is not defined before it`);
      return name;
    });
    const many = getLayer(node.kind)?.arity === 'many';
    const call = `(${many ? `[${ins.join(', ')}]` : ins[0]})`;
    lines.push(`${v} = ${layerConstructor(node, names, '', call, v.length + 3)}`);
    vars.set(node.id, v);
  });
  const ref = (ids: string[]) => {
    const refs = ids.map((id) => {
      const name = vars.get(id);
      if (!name) throw new Error(`The model's ${id} is not defined`);
      return name;
    });
    return refs.length === 1 ? refs[0] : `[${refs.join(', ')}]`;
  };
  lines.push(formatCall(`${model} = keras.Model`, [ref(spec.inputs.map((i) => i.id)), ref(spec.outputs)], ''));
  return lines;
}

export interface PrintOptions {
  /** `import keras` / `from keras import layers` first (default true). */
  imports?: boolean;
  /** Include `model.compile(...)` when the spec has it (default true). */
  compile?: boolean;
  /** Include `model.fit(...)` when the spec has it (default true). */
  fit?: boolean;
}

/** The Keras 3 program for a spec, in the spec's style (Sequential list or functional API). Ends with a newline. */
export function printKeras(spec: ModelSpec, opts: PrintOptions = {}): string {
  const model = modelVar(spec);
  const lines: string[] = [];
  if (opts.imports !== false) lines.push('import keras', 'from keras import layers', '');
  lines.push(...(spec.style === 'sequential' ? sequentialCode(spec, model) : functionalCode(spec, model)));
  if (spec.compile && opts.compile !== false) lines.push(compileCode(model, spec.compile));
  if (spec.fit && opts.fit !== false) lines.push(fitCode(model, spec.fit));
  return `${lines.join('\n')}\n`;
}

// ---------------------------------------------------------------------------------------------------------------
// The runnable script: the data (numpy, or Keras' MNIST) + program + fit

/** A toy data set (2D points, classes): generated by a numpy port of `toys.ts`. */
export type ToyScriptData = ToyParams;
/** A regression data set (sine, plane): generated by a numpy port of `regression.ts`. */
export type RegressionScriptData = RegressionParams;
/** The handwritten digits: the script loads Keras' own MNIST (`keras.datasets.mnist.load_data()`). */
export interface DigitsScriptData {
  name: 'digits';
}

/** The data a script trains on, by data set name (`name` is a `DatasetName`: every name an example can ask for). */
export type ScriptData = ToyScriptData | RegressionScriptData | DigitsScriptData;
/** ScriptData with the defaults filled in and the values clamped to the data set's ranges. */
export type ResolvedScriptData = Required<ToyScriptData> | Required<RegressionScriptData> | DigitsScriptData;

// ScriptData must name exactly the data sets of examples.ts: a compile error here when one of them gains a name.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const coversEveryDataset: Same<ScriptData['name'], DatasetName> = true;
void coversEveryDataset;

/** Every data set name a script can be made for, toys first (the order of `examples.ts`' DATASET_NAMES). */
export const SCRIPT_DATASETS: readonly DatasetName[] = [...TOY_NAMES, ...REGRESSION_NAMES, 'digits'];

export function isToyData(d: ScriptData): d is ToyScriptData {
  return (TOY_NAMES as readonly string[]).includes(d.name);
}

export function isRegressionData(d: ScriptData): d is RegressionScriptData {
  return (REGRESSION_NAMES as readonly string[]).includes(d.name);
}

/** Defaults filled in, values clamped (see `resolveToyParams`, `resolveRegressionParams`). */
export function resolveScriptData(d: ScriptData): ResolvedScriptData {
  if (isToyData(d)) return resolveToyParams(d);
  if (isRegressionData(d)) return resolveRegressionParams(d);
  if (d.name === 'digits') return { name: 'digits' };
  throw new Error(`Unknown data set ${String((d as { name: unknown }).name)}`);
}

/** Keras' MNIST: image size and the number of images `keras.datasets.mnist.load_data()` gives. */
const MNIST = { side: 28, train: 60000, test: 10000 };
/** The split of the playground's shipped digits (static/data/digits.bin, see digits.ts), for the script's note. */
const DIGITS_SHIPPED = { train: 12000, test: 2000 };

export interface ScriptOptions {
  /** Adds `keras.utils.set_random_seed(seed)`, so that runs of the script repeat (Keras cannot reproduce TF.js' weights). */
  seed?: number;
  /** Named in the header, e.g. the program's file name. */
  title?: string;
}

/** The numpy body of each toy generator: for class `c` with `n` points, sets x0 and x1 (see `toys.ts`). */
function toyBody(name: ToyName): { doc: string; body: string[] } {
  const g = SPIRAL_GEOMETRY;
  switch (name) {
    case 'spiral':
      return {
        doc: `Interleaved spiral arms, one per class, ${g.turns} turns each, radius ${g.rMin} to ${g.rMax}; jitter sigma = noise * ${g.noiseScale}.`,
        body: [
          't = rng.random(n)',
          `r = ${g.rMin} + (${g.rMax} - ${g.rMin}) * t`,
          `a = 2 * np.pi * (${g.turns} * t + c / classes)`,
          `s = noise * ${g.noiseScale}`,
          'x0 = r * np.cos(a) + rng.normal(0, s, n)',
          'x1 = r * np.sin(a) + rng.normal(0, s, n)'
        ]
      };
    case 'circle':
      return {
        doc: 'A disc (class 0, radius uniform in [0, 0.5]) inside a ring (class 1, radius in [0.7, 1]); jitter sigma = noise * 0.5.',
        body: [
          'r = rng.uniform(0, 0.5, n) if c == 0 else rng.uniform(0.7, 1, n)',
          'a = rng.uniform(0, 2 * np.pi, n)',
          's = noise * 0.5',
          'x0 = r * np.cos(a) + rng.normal(0, s, n)',
          'x1 = r * np.sin(a) + rng.normal(0, s, n)'
        ]
      };
    case 'xor':
      return {
        doc: 'Quadrants: class 0 where x and y have the same sign, class 1 where they differ; jitter sigma = noise * 0.5.',
        body: [
          'sx = np.where(rng.random(n) < 0.5, -1.0, 1.0)',
          'sy = sx if c == 0 else -sx',
          's = noise * 0.5',
          'x0 = sx * rng.uniform(0.05, 1, n) + rng.normal(0, s, n)',
          'x1 = sy * rng.uniform(0.05, 1, n) + rng.normal(0, s, n)'
        ]
      };
    case 'gaussians':
      return {
        doc: 'One round blob per class, centred evenly on a circle of radius 0.55; spread sigma = 0.1 + noise * 0.4.',
        body: [
          'a = np.pi / 2 + 2 * np.pi * c / classes',
          's = 0.1 + noise * 0.4',
          'x0 = 0.55 * np.cos(a) + rng.normal(0, s, n)',
          'x1 = 0.55 * np.sin(a) + rng.normal(0, s, n)'
        ]
      };
    case 'moons': {
      const m = MOONS_GEOMETRY;
      return {
        doc: `Two interleaving half circles (sklearn's make_moons) shifted by -(${m.shiftX}, ${m.shiftY}) and scaled by 1/1.5; jitter sigma = noise * ${m.noiseScale}.`,
        body: [
          't = rng.uniform(0, np.pi, n)',
          'a, b = (np.cos(t), np.sin(t)) if c == 0 else (1 - np.cos(t), 0.5 - np.sin(t))',
          `s = noise * ${m.noiseScale}`,
          `x0 = (a - ${m.shiftX}) / 1.5 + rng.normal(0, s, n)`,
          `x1 = (b - ${m.shiftY}) / 1.5 + rng.normal(0, s, n)`
        ]
      };
    }
  }
}

/** `a * x + b * y` with the sign of b folded in: `0.6 * x[:, 0] - 0.4 * x[:, 1]`. */
function linear(a: number, x: string, b: number, y: string): string {
  return `${pyFloat(a)} * ${x} ${b < 0 ? '-' : '+'} ${pyFloat(Math.abs(b))} * ${y}`;
}

/** The numpy body of each regression generator, for `samples` rows; sets x (samples, features) and y (samples,). See `regression.ts`. */
function regressionBody(name: RegressionName): { doc: string[]; body: string[] } {
  const sigma = `noise * ${pyFloat(NOISE_SCALE)}`;
  switch (name) {
    case 'sine':
      return {
        doc: [
          `y = ${pyFloat(SINE_AMPLITUDE)} * sin(pi * x) + Gaussian noise (sigma = ${sigma}), x in [-1, 1] stratified: one`,
          'jittered point per slice of [-1, 1], so that small samples still cover the whole curve.'
        ],
        body: [
          'x = -1 + 2 * (np.arange(samples) + rng.random(samples)) / samples',
          `y = ${pyFloat(SINE_AMPLITUDE)} * np.sin(np.pi * x) + rng.normal(0, ${sigma}, samples)`,
          'x = x.reshape(-1, 1)'
        ]
      };
    case 'plane':
      return {
        doc: [`y = ${linear(PLANE.a, 'x1', PLANE.b, 'x2')} + Gaussian noise (sigma = ${sigma}), (x1, x2) uniform in [-1, 1]^2.`],
        body: ['x = rng.uniform(-1, 1, (samples, 2))', `y = ${linear(PLANE.a, 'x[:, 0]', PLANE.b, 'x[:, 1]')} + rng.normal(0, ${sigma}, samples)`]
      };
  }
}

/**
 * The digits as bindData sees them: only the shapes and the number of classes matter to its checks (and `n`, named
 * in its messages, is Keras' MNIST size); no pixels are needed, so none are loaded.
 */
function digitsShapes(): ClassificationDataset {
  return {
    kind: 'classification',
    name: 'digits',
    x: new Float32Array(0),
    labels: new Int32Array(0),
    n: MNIST.train,
    features: MNIST.side * MNIST.side,
    sampleShape: [MNIST.side, MNIST.side, 1],
    numClasses: DIGITS_CLASSES
  };
}

/** How `bindData` encodes the targets for this program (throws with its message when the data does not fit). */
function targetFor(spec: ModelSpec, data: ResolvedScriptData): { target: BoundData['target']; k: number } {
  const { summary, diagnostics } = inferShapes(spec);
  if (!summary) throw new Error(diagnostics[0]?.message ?? 'The model is not valid');
  const ds: Dataset = isToyData(data) ? makeToy(data) : isRegressionData(data) ? makeRegression(data) : digitsShapes();
  const bound = bindData(ds, spec, summary.outputShapes[0]);
  if (!bound.ok) throw new Error(bound.message);
  return { target: bound.data.target, k: bound.data.numClasses };
}

function targetCode(target: string, k: number, labels: string, y: string, loss: string, n: number): string[] {
  switch (target) {
    case 'onehot':
      return [`# One-hot targets for loss="${loss}": shape (${n}, ${k}).`, `${y} = np.eye(${k}, dtype="float32")[${labels}]`];
    case 'sparse':
      return [`# Class indices for loss="${loss}": shape (${n},).`, `${y} = ${labels}.astype("float32")`];
    case 'binary':
      return [`# 0/1 targets for loss="${loss}": shape (${n}, 1).`, `${y} = ${labels}.astype("float32").reshape(-1, 1)`];
    case 'index':
      return [`# The class index as the target value for loss="${loss}": shape (${n}, 1).`, `${y} = ${labels}.astype("float32").reshape(-1, 1)`];
    default:
      throw new Error(`The target encoding ${target} cannot be exported yet`);
  }
}

function toyData(p: Required<ToyScriptData>, target: string, k: number, loss: string, withTest: boolean): string[] {
  const fn = `make_${p.name}`;
  const { doc, body } = toyBody(p.name);
  const lines = [
    `def ${fn}(samples, noise, classes, seed):`,
    `${INDENT}"""The ${p.name} toy data set, as the playground generates it.`,
    '',
    `${INDENT}${doc}`,
    `${INDENT}Balanced classes (sizes differ by at most one), rows shuffled. Returns x, float32 of shape`,
    `${INDENT}(samples, 2), and the class of each row, int32 of shape (samples,).`,
    `${INDENT}"""`,
    `${INDENT}rng = np.random.default_rng(seed)`,
    `${INDENT}sizes = [samples // classes + (1 if c < samples % classes else 0) for c in range(classes)]`,
    `${INDENT}xs, ys = [], []`,
    `${INDENT}for c, n in enumerate(sizes):`,
    ...body.map((l) => `${INDENT}${INDENT}${l}`),
    `${INDENT}${INDENT}xs.append(np.stack([x0, x1], axis=1))`,
    `${INDENT}${INDENT}ys.append(np.full(n, c, dtype=np.int32))`,
    `${INDENT}x = np.concatenate(xs).astype(np.float32)`,
    `${INDENT}labels = np.concatenate(ys)`,
    `${INDENT}order = rng.permutation(samples)`,
    `${INDENT}return x[order], labels[order]`,
    '',
    ''
  ];
  const call = (seed: number) => `${fn}(samples=${p.samples}, noise=${pyFloat(p.noise)}, classes=${p.classes}, seed=${seed})`;
  lines.push(`x_train, labels_train = ${call(p.seed)}`, ...targetCode(target, k, 'labels_train', 'y_train', loss, p.samples));
  if (withTest) {
    lines.push(
      '# x_test, y_test: a second draw (data seed + 1), standing in for a held-out test set.',
      `x_test, labels_test = ${call(p.seed + 1)}`,
      ...targetCode(target, k, 'labels_test', 'y_test', loss, p.samples).slice(1)
    );
  }
  return lines;
}

function regressionData(p: Required<RegressionScriptData>, loss: string, withTest: boolean): string[] {
  const fn = `make_${p.name}`;
  const info = REGRESSIONS[p.name];
  const { doc, body } = regressionBody(p.name);
  const lines = [
    `def ${fn}(samples, noise, seed):`,
    `${INDENT}"""The ${p.name} regression data set, as the playground generates it.`,
    '',
    ...doc.map((l) => `${INDENT}${l}`),
    `${INDENT}Rows shuffled. Returns x, float32 of shape (samples, ${info.features}), and y, float32 of shape (samples, ${info.targets}).`,
    `${INDENT}Same distribution as the playground's data, not the same numbers: numpy's random generator differs.`,
    `${INDENT}"""`,
    `${INDENT}rng = np.random.default_rng(seed)`,
    ...body.map((l) => `${INDENT}${l}`),
    `${INDENT}order = rng.permutation(samples)`,
    `${INDENT}return x[order].astype(np.float32), y[order].astype(np.float32).reshape(-1, ${info.targets})`,
    '',
    ''
  ];
  const call = (seed: number) => `${fn}(samples=${p.samples}, noise=${pyFloat(p.noise)}, seed=${seed})`;
  lines.push(`# Real-valued targets for loss="${loss}", used as they are: y_train has shape (${p.samples}, ${info.targets}).`, `x_train, y_train = ${call(p.seed)}`);
  if (withTest) lines.push('# x_test, y_test: a second draw (data seed + 1), standing in for a held-out test set.', `x_test, y_test = ${call(p.seed + 1)}`);
  return lines;
}

function digitsData(target: string, k: number, loss: string): string[] {
  const { side, train, test } = MNIST;
  const encode = (y: string, n: number): string[] => {
    switch (target) {
      case 'onehot':
        return [`${y} = keras.utils.to_categorical(${y}, ${k})`];
      case 'sparse':
        return [`${y} = ${y}.astype("int32")`];
      case 'index':
        return [`${y} = ${y}.astype("float32").reshape(-1, 1)`];
      default:
        throw new Error(`The target encoding ${target} cannot be exported for the digits (${n} images)`);
    }
  };
  const what: Record<string, string> = {
    onehot: `One-hot targets for loss="${loss}": y_train has shape (${train}, ${k}).`,
    sparse: `Integer class labels (the digit 0-9) for loss="${loss}": y_train has shape (${train},).`,
    index: `The digit as the target value for loss="${loss}": y_train has shape (${train}, 1).`
  };
  return [
    `# MNIST as Keras gives it: uint8 images (n, ${side}, ${side}) and the digit of each. Keras downloads the full MNIST`,
    `# (${train} training and ${test} test images, about 11 MB, kept in ~/.keras/datasets) on the first run; the`,
    `# playground ships a smaller set drawn from it (${DIGITS_SHIPPED.train} training, ${DIGITS_SHIPPED.test} test images).`,
    '(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()',
    `# Pixels scaled to [0, 1] as float32 (ink = 1), with a channel axis: x_train has shape (${train}, ${side}, ${side}, 1).`,
    `x_train = (x_train / 255).astype("float32").reshape(-1, ${side}, ${side}, 1)`,
    `x_test = (x_test / 255).astype("float32").reshape(-1, ${side}, ${side}, 1)`,
    `# ${what[target] ?? ''}`,
    ...encode('y_train', train),
    ...encode('y_test', test)
  ];
}

/**
 * The code that defines `x_train, y_train` (and `x_test, y_test` when `withTest`) as the playground binds the data set
 * to this program: for the toys and regressions a numpy generator function, then its call and the target encoding
 * (needs only `import numpy as np` before it); for the digits Keras' MNIST, scaled and encoded (needs `import keras`
 * too; it always defines `x_test, y_test`). Throws (with `bindData`'s message) when the program cannot train on this
 * data.
 */
export function printNumpyData(spec: ModelSpec, data: ScriptData, withTest = false): string {
  const p = resolveScriptData(data);
  const { target, k } = targetFor(spec, p);
  const loss = spec.compile?.loss ?? '';
  const lines = isToyData(p)
    ? toyData(p, target, k, loss, withTest)
    : isRegressionData(p)
      ? regressionData(p, loss, withTest)
      : digitsData(target, k, loss);
  return `${lines.join('\n')}\n`;
}

/** The header lines saying what the data is and how it relates to the playground's. */
function dataHeader(p: ResolvedScriptData): string[] {
  const rng = "but not the same numbers, since numpy's random generator is not the playground's.";
  if (isToyData(p)) {
    const classes = TOYS[p.name].classes.min === TOYS[p.name].classes.max ? '' : `, ${p.classes} classes`;
    return [
      `# Data: the ${p.name} toy data set (${p.samples} samples, noise ${p.noise}${classes}, data seed ${p.seed}), generated with`,
      '# numpy below: same geometry, noise, class balance, row shuffling and target encoding as in the playground,',
      `# ${rng}`
    ];
  }
  if (isRegressionData(p)) {
    return [
      `# Data: the ${p.name} regression data set (${p.samples} samples, noise ${p.noise}, data seed ${p.seed}), generated with`,
      '# numpy below: same formula, noise, shapes and row shuffling as in the playground,',
      `# ${rng}`
    ];
  }
  return [
    "# Data: handwritten digits, Keras' own MNIST from keras.datasets.mnist.load_data(), which Keras downloads on the",
    `# first run (${MNIST.train} training and ${MNIST.test} test images), scaled and encoded for the loss as in the playground.`,
    `# The playground ships a smaller subset of MNIST (${DIGITS_SHIPPED.train} training and ${DIGITS_SHIPPED.test} test images), so expect`,
    '# results close to the playground\'s, not the same.'
  ];
}

/**
 * A complete Python script: header, imports, the data (`printNumpyData`), the program — `source` as written when
 * given (it is valid Keras), else `printKeras(spec)` — and a `model.fit(...)` when the program has none.
 * Throws when the program cannot train on the data (not compiled, or its input/output does not fit).
 */
export function printKerasScript(spec: ModelSpec, data: ScriptData, source?: string, opts: ScriptOptions = {}): string {
  const p = resolveScriptData(data);
  const model = modelVar(spec);
  const program = source !== undefined ? source.replace(/\s+$/, '') + '\n' : printKeras(spec, { imports: false });
  const usesTest = spec.fit?.x === 'x_test' || /\b[xy]_test\b/.test(program);
  const dataCode = printNumpyData(spec, p, usesTest);
  const what = `${opts.title ? `${opts.title}: a` : 'A'} Keras 3 program exported from the NN playground, with its training data.`;
  const header = [`# ${what}`, '#', ...dataHeader(p), '# Run: pip install numpy keras tensorflow (or jax or torch as the Keras backend); python3 <this file>'];
  const lines = [...header, '', 'import numpy as np', 'import keras', 'from keras import layers', ''];
  if (opts.seed !== undefined) {
    lines.push("# Repeatable runs (Keras' initial weights are its own, not the playground's TF.js ones).", `keras.utils.set_random_seed(${opts.seed})`, '');
  }
  lines.push('', '# --- Data ' + '-'.repeat(68), '', dataCode.replace(/\n$/, ''), '', '', '# --- Model ' + '-'.repeat(67), '', program.replace(/\n$/, ''));
  if (!spec.fit && spec.compile) {
    lines.push('', "# The program does not call fit: train with Keras' defaults.", fitCode(model, { epochs: FIT_DEFAULTS.epochs, batchSize: FIT_DEFAULTS.batchSize, validationSplit: 0, shuffle: true, x: 'x_train', y: 'y_train', span: spec.compile.span }));
  }
  return `${lines.join('\n')}\n`;
}
