/**
 * The checkpoint predicates a lesson step names (`check: { name: 'best-val-accuracy-at-least', args: { value: 0.9 } }`):
 * pure functions over a LessonWorld snapshot, each answering ok + a detail the rail shows under the step
 * ("best validation accuracy 0.81 < 0.90"). Only runs and events since `world.since` count.
 *
 * Each checkpoint declares its arguments, so a lesson naming an unknown checkpoint or giving a wrong argument is a
 * test failure (index.test.ts), never a silent "Not yet" in the app.
 *
 * Run-based checkpoints share optional filters on the run (see RUN_FILTERS): `withLayer: 'Conv2D'` (the run's program
 * calls that layer), `withActivation: 'tanh'`, `optimizer: 'sgd'`, `dataset: 'spiral'`, `minEpochs: 3`, `maxEpochs: 5`, `maxParams: 100`
 * (trainable parameters of the run's model), `style: 'functional'` (the run's program builds no Sequential).
 */
import type { RunRecord, RunSettings } from '$lib/runs/types';
import type { EpochLog } from '$lib/worker/protocol';
import type { CheckpointRef, CheckResult, LessonEventName, LessonWorld } from './types';

type Args = NonNullable<CheckpointRef['args']>;
type ArgType = 'number' | 'string' | 'boolean' | 'list';

interface ArgDef {
  type: ArgType;
  required?: boolean;
  /** Allowed values of a string argument. */
  values?: readonly string[];
}

export interface CheckpointDef {
  doc: string;
  args: Record<string, ArgDef>;
  check(w: LessonWorld, args: Args): CheckResult;
}

const EVENT_NAMES: readonly LessonEventName[] = [
  'inspected',
  'histograms-seen',
  'runs-overlaid',
  'compare-done',
  'bench-done',
  'onnx-exported',
  'onnx-run',
  'onnx-opened',
  'quantized-compared',
  'stepped',
  'lr-changed'
];

/** Settings two runs can differ in (`runs-finished-at-least { differing }`). */
export const SETTING_KEYS = ['learningRate', 'batchSize', 'optimizer', 'seed', 'epochs', 'engine', 'backend', 'params', 'dataset', 'code'] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

const FINISHED = new Set(['completed', 'stopped']);

/** Filters every run-based checkpoint accepts. */
const RUN_FILTERS: Record<string, ArgDef> = {
  minEpochs: { type: 'number' },
  maxEpochs: { type: 'number' },
  withLayer: { type: 'string' },
  withActivation: { type: 'string' },
  optimizer: { type: 'string' },
  dataset: { type: 'string' },
  maxParams: { type: 'number' },
  style: { type: 'string', values: ['sequential', 'functional'] }
};

const num = (a: Args, k: string, d = 0): number => (typeof a[k] === 'number' ? (a[k] as number) : d);
const str = (a: Args, k: string): string | undefined => (typeof a[k] === 'string' ? (a[k] as string) : undefined);
const f2 = (x: number) => x.toFixed(2);
const ok = (detail: string): CheckResult => ({ ok: true, detail });
const no = (detail: string): CheckResult => ({ ok: false, detail });

/** Runs started since the lesson (or step) opened, oldest first. */
export function runsSince(w: LessonWorld): RunRecord[] {
  return w.runs.filter((r) => r.startedAt >= w.since);
}

export function eventsSince(w: LessonWorld, name?: LessonEventName) {
  return w.events.filter((e) => e.at >= w.since && (!name || e.name === name));
}

const epochs = (r: RunRecord) => r.history.at(-1)?.epoch ?? 0;

/** A run that ended normally (completed, or stopped after at least one epoch). */
export function isFinished(r: RunRecord): boolean {
  return FINISHED.has(r.status) && r.history.length > 0;
}

/** Whether a program calls `layers.<kind>(` (or `keras.layers.<kind>(`, or an imported `<kind>(`). */
export function codeUsesLayer(code: string, kind: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_])${kind.replace(/[^A-Za-z0-9_]/g, '')}\\s*\\(`).test(stripComments(code));
}

export function codeUsesActivation(code: string, name: string): boolean {
  const n = name.replace(/[^A-Za-z0-9_]/g, '');
  const c = stripComments(code);
  return new RegExp(`activation\\s*=\\s*["']${n}["']`).test(c) || new RegExp(`Activation\\s*\\(\\s*["']${n}["']`).test(c);
}

function stripComments(code: string): string {
  return code
    .split('\n')
    .map((l) => l.replace(/#.*$/, ''))
    .join('\n');
}

/** Describes the filters in words ("with Conv2D"), for details. */
function filterWords(a: Args): string {
  const parts: string[] = [];
  if (str(a, 'withLayer')) parts.push(`using ${str(a, 'withLayer')}`);
  if (str(a, 'withActivation')) parts.push(`with ${str(a, 'withActivation')}`);
  if (str(a, 'optimizer')) parts.push(`with ${str(a, 'optimizer')}`);
  if (str(a, 'dataset')) parts.push(`on ${str(a, 'dataset')}`);
  if (num(a, 'minEpochs')) parts.push(`of at least ${num(a, 'minEpochs')} epochs`);
  if (typeof a.maxEpochs === 'number') parts.push(`of at most ${a.maxEpochs} epochs`);
  if (typeof a.maxParams === 'number') parts.push(`with at most ${a.maxParams} parameters`);
  if (str(a, 'style')) parts.push(`of a ${str(a, 'style')} model`);
  return parts.length ? ` ${parts.join(' ')}` : '';
}

function matches(r: RunRecord, a: Args): boolean {
  const layer = str(a, 'withLayer');
  const act = str(a, 'withActivation');
  const opt = str(a, 'optimizer');
  const data = str(a, 'dataset');
  if (epochs(r) < num(a, 'minEpochs')) return false;
  if (typeof a.maxEpochs === 'number' && epochs(r) > a.maxEpochs) return false;
  if (layer && !codeUsesLayer(r.settings.code, layer)) return false;
  if (act && !codeUsesActivation(r.settings.code, act)) return false;
  if (opt && (r.settings.optimizer ?? '').toLowerCase() !== opt.toLowerCase()) return false;
  if (data && r.settings.data.name !== data) return false;
  if (typeof a.maxParams === 'number' && r.settings.params > a.maxParams) return false;
  const style = str(a, 'style');
  if (style && (/(^|[^A-Za-z0-9_])Sequential\s*\(/.test(stripComments(r.settings.code)) ? 'sequential' : 'functional') !== style) return false;
  return true;
}

/** The finished runs since `since` that pass the filters. */
export function finishedRuns(w: LessonWorld, a: Args = {}): RunRecord[] {
  return runsSince(w).filter((r) => isFinished(r) && matches(r, a));
}

function best(h: EpochLog[], key: 'acc' | 'valAcc'): number | null {
  let m: number | null = null;
  for (const e of h) {
    const v = e[key];
    if (typeof v === 'number' && Number.isFinite(v)) m = m === null ? v : Math.max(m, v);
  }
  return m;
}

function noRunDetail(w: LessonWorld, a: Args): string {
  const all = runsSince(w);
  const running = all.some((r) => r.status === 'running' || r.status === 'starting' || r.status === 'paused');
  if (running) return 'a run is still going: wait for it to finish';
  if (all.length && !finishedRuns(w).length) return `no finished run yet (the last one ${all.at(-1)!.status === 'diverged' ? 'diverged' : `ended ${all.at(-1)!.status}`}): press Train`;
  if (all.length) return `no finished run${filterWords(a)} yet`;
  return `no finished run${filterWords(a)} yet: press Train`;
}

function accuracyCheck(key: 'acc' | 'valAcc', words: string) {
  return (w: LessonWorld, a: Args): CheckResult => {
    const runs = finishedRuns(w, a);
    if (!runs.length) return no(noRunDetail(w, a));
    const value = num(a, 'value');
    const bests = runs.map((r) => best(r.history, key)).filter((v): v is number => v !== null);
    if (!bests.length) return no(key === 'valAcc' ? 'no validation accuracy: set validation_split in model.fit and metrics=["accuracy"]' : 'no accuracy: add metrics=["accuracy"] to model.compile');
    const top = Math.max(...bests);
    return top >= value ? ok(`best ${words} ${f2(top)} ≥ ${f2(value)}`) : no(`best ${words} ${f2(top)} < ${f2(value)}`);
  };
}

/** The Dense layers before the output layer(s) of the current program. */
function hiddenDense(w: LessonWorld): number {
  const spec = w.spec;
  if (!spec) return 0;
  const outs = new Set(spec.outputs);
  return spec.layers.filter((l) => l.kind === 'Dense' && !outs.has(l.id)).length;
}

function settingValue(s: RunSettings, key: SettingKey): string {
  if (key === 'dataset') return s.data.name;
  const v = s[key];
  return v === null || v === undefined ? '–' : String(v);
}

const NO_PROGRAM = 'the program has errors: fix them first (see Problems)';

export const CHECKPOINT_DEFS: Record<string, CheckpointDef> = {
  'run-finished': {
    doc: 'A run finished (completed, or stopped after an epoch) since the step opened.',
    args: { ...RUN_FILTERS },
    check(w, a) {
      const runs = finishedRuns(w, a);
      return runs.length ? ok(`a run${filterWords(a)} finished after ${epochs(runs.at(-1)!)} epochs`) : no(noRunDetail(w, a));
    }
  },
  'runs-finished-at-least': {
    doc: 'At least n finished runs; with `differing`, n finished runs whose given setting all differ.',
    args: { n: { type: 'number', required: true }, differing: { type: 'string', values: SETTING_KEYS }, ...RUN_FILTERS },
    check(w, a) {
      const n = num(a, 'n', 1);
      const runs = finishedRuns(w, a);
      const key = str(a, 'differing') as SettingKey | undefined;
      if (!key) return runs.length >= n ? ok(`${runs.length} finished ${runs.length === 1 ? 'run' : 'runs'}`) : no(`${runs.length} of ${n} finished runs${filterWords(a)}`);
      const values = [...new Set(runs.map((r) => settingValue(r.settings, key)))];
      const words = `${values.length} finished ${values.length === 1 ? 'run' : 'runs'} with different ${key}${values.length ? ` (${values.slice(0, 6).join(', ')})` : ''}`;
      return values.length >= n ? ok(words) : no(`${words}; ${n} needed`);
    }
  },
  'best-val-accuracy-at-least': {
    doc: 'The best validation accuracy of a finished run reached `value`.',
    args: { value: { type: 'number', required: true }, ...RUN_FILTERS },
    check: accuracyCheck('valAcc', 'validation accuracy')
  },
  'best-train-accuracy-at-least': {
    doc: 'The best training accuracy of a finished run reached `value`.',
    args: { value: { type: 'number', required: true }, ...RUN_FILTERS },
    check: accuracyCheck('acc', 'training accuracy')
  },
  'val-accuracy-below': {
    doc: 'A finished run whose accuracy (validation, or training without validation) stayed below `value` all along: a model that fails.',
    args: { value: { type: 'number', required: true }, ...RUN_FILTERS },
    check(w, a) {
      const runs = finishedRuns(w, a);
      if (!runs.length) return no(noRunDetail(w, a));
      const value = num(a, 'value');
      const tops = runs.map((r) => best(r.history, 'valAcc') ?? best(r.history, 'acc')).filter((v): v is number => v !== null);
      if (!tops.length) return no('no accuracy: add metrics=["accuracy"] to model.compile');
      const low = Math.min(...tops);
      return low < value ? ok(`a run never got past accuracy ${f2(low)} (< ${f2(value)})`) : no(`every run reached accuracy ≥ ${f2(value)} (lowest best ${f2(low)})`);
    }
  },
  'final-loss-at-most': {
    doc: 'A finished run whose last training loss (or validation loss with `validation: true`) is at most `value`.',
    args: { value: { type: 'number', required: true }, validation: { type: 'boolean' }, ...RUN_FILTERS },
    check(w, a) {
      const runs = finishedRuns(w, a);
      if (!runs.length) return no(noRunDetail(w, a));
      const key = a.validation === true ? 'valLoss' : 'loss';
      const words = key === 'valLoss' ? 'validation loss' : 'loss';
      const finals = runs.map((r) => r.history.at(-1)?.[key]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (!finals.length) return no(`no final ${words}${key === 'valLoss' ? ': set validation_split in model.fit' : ''}`);
      const low = Math.min(...finals);
      const value = num(a, 'value');
      return low <= value ? ok(`final ${words} ${low.toFixed(3)} ≤ ${value}`) : no(`lowest final ${words} ${low.toFixed(3)} > ${value}`);
    }
  },
  diverged: {
    doc: 'A run ended diverged (the loss became NaN or infinite).',
    args: {},
    check(w) {
      const r = runsSince(w).find((x) => x.status === 'diverged');
      if (r) return ok(`a run diverged${r.message ? `: ${r.message}` : ''}`);
      const n = runsSince(w).length;
      return no(n === 1 ? 'the run so far did not diverge' : n ? `none of the ${n} runs so far diverged` : 'no run yet: press Train');
    }
  },
  'overfit-gap-at-least': {
    doc: 'A finished run whose last validation loss exceeds its last training loss by at least `value`.',
    args: { value: { type: 'number', required: true }, ...RUN_FILTERS },
    check(w, a) {
      const runs = finishedRuns(w, a);
      if (!runs.length) return no(noRunDetail(w, a));
      const gaps = runs.map((r) => r.history.at(-1)).filter((e) => e && typeof e.valLoss === 'number').map((e) => e!.valLoss! - e!.loss);
      if (!gaps.length) return no('no validation loss: set validation_split in model.fit');
      const g = Math.max(...gaps);
      const value = num(a, 'value');
      return g >= value - 1e-9 ? ok(`validation loss − training loss = ${g.toFixed(3)} ≥ ${value}`) : no(`largest gap (validation − training loss) ${g.toFixed(3)} < ${value}`);
    }
  },
  'hidden-layers-at-least': {
    doc: 'The current program has at least n Dense layers before its output layer.',
    args: { n: { type: 'number', required: true } },
    check(w, a) {
      if (!w.spec) return no(NO_PROGRAM);
      const n = num(a, 'n', 1);
      const h = hiddenDense(w);
      return h >= n ? ok(`${h} hidden Dense ${h === 1 ? 'layer' : 'layers'}`) : no(`${h} hidden Dense ${h === 1 ? 'layer' : 'layers'}; ${n} needed`);
    }
  },
  'params-at-most': {
    doc: 'The current model has at most n trainable parameters.',
    args: { n: { type: 'number', required: true } },
    check(w, a) {
      if (!w.summary) return no(NO_PROGRAM);
      const n = num(a, 'n');
      const p = w.summary.trainable;
      return p <= n ? ok(`${p} parameters ≤ ${n}`) : no(`${p} parameters > ${n}`);
    }
  },
  'params-at-least': {
    doc: 'The current model has at least n trainable parameters.',
    args: { n: { type: 'number', required: true } },
    check(w, a) {
      if (!w.summary) return no(NO_PROGRAM);
      const n = num(a, 'n');
      const p = w.summary.trainable;
      return p >= n ? ok(`${p} parameters ≥ ${n}`) : no(`${p} parameters < ${n}`);
    }
  },
  'uses-activation': {
    doc: 'A layer of the current program uses the activation `name` (activation="…" or an Activation layer).',
    args: { name: { type: 'string', required: true } },
    check(w, a) {
      if (!w.spec) return no(NO_PROGRAM);
      const name = str(a, 'name')!;
      const used = w.spec.layers.some((l) => l.args.activation === name);
      return used ? ok(`the model uses ${name}`) : no(`no layer uses activation "${name}"`);
    }
  },
  'uses-layer': {
    doc: 'The current program has at least `count` (default 1) layers of the Keras class `class`.',
    args: { class: { type: 'string', required: true }, count: { type: 'number' } },
    check(w, a) {
      if (!w.spec) return no(NO_PROGRAM);
      const kind = str(a, 'class')!;
      const count = num(a, 'count', 1);
      const n = w.spec.layers.filter((l) => l.kind === kind || l.block?.kind === kind).length;
      return n >= count ? ok(`${n} ${kind} ${n === 1 ? 'layer' : 'layers'}`) : no(`${n} ${kind} ${n === 1 ? 'layer' : 'layers'}; ${count} needed`);
    }
  },
  'model-style-is': {
    doc: 'The current program builds its model in the given style: sequential or functional.',
    args: { style: { type: 'string', required: true, values: ['sequential', 'functional'] } },
    check(w, a) {
      if (!w.spec) return no(NO_PROGRAM);
      const style = str(a, 'style')!;
      return w.spec.style === style ? ok(`a ${style} model`) : no(`the model is ${w.spec.style}, not ${style}`);
    }
  },
  'optimizer-is': {
    doc: 'The current program compiles with the optimizer `name` (adam, sgd, rmsprop, adagrad).',
    args: { name: { type: 'string', required: true } },
    check(w, a) {
      if (!w.spec) return no(NO_PROGRAM);
      const name = str(a, 'name')!.toLowerCase();
      const have = w.spec.compile?.optimizer.name;
      if (!have) return no('the program has no model.compile(...)');
      return have.toLowerCase() === name ? ok(`optimizer ${have}`) : no(`the optimizer is ${have}, not ${name}`);
    }
  },
  'event-seen': {
    doc: 'The app reported the event `name` at least `count` (default 1) times.',
    args: { name: { type: 'string', required: true, values: EVENT_NAMES }, count: { type: 'number' } },
    check(w, a) {
      const name = str(a, 'name') as LessonEventName;
      const count = num(a, 'count', 1);
      const n = eventsSince(w, name).length;
      return n >= count ? ok(`${name}: seen ${n === 1 ? 'once' : `${n} times`}`) : no(`${name}: seen ${n} of ${count} ${count === 1 ? 'time' : 'times'}`);
    }
  },
  'engine-is': {
    doc: 'The Engine toggle is set to `name` (eager or compiled).',
    args: { name: { type: 'string', required: true, values: ['eager', 'compiled'] } },
    check(w, a) {
      const name = str(a, 'name');
      return w.engine === name ? ok(`engine ${name}`) : no(`the engine is ${w.engine}, not ${name}`);
    }
  },
  'backend-is': {
    doc: 'The Backend menu is set to `name`.',
    args: { name: { type: 'string', required: true } },
    check(w, a) {
      const name = str(a, 'name');
      return w.backend === name ? ok(`backend ${name}`) : no(`the backend is ${w.backend}, not ${name}`);
    }
  },
  'dataset-is': {
    doc: 'The Data panel is set to the data set `name`.',
    args: { name: { type: 'string', required: true } },
    check(w, a) {
      const name = str(a, 'name');
      return w.data.name === name ? ok(`data set ${name}`) : no(`the data set is ${w.data.name}, not ${name}`);
    }
  },
  'code-contains': {
    doc: 'The current program contains the text `text` (outside comments).',
    args: { text: { type: 'string', required: true } },
    check(w, a) {
      const t = str(a, 'text')!;
      return stripComments(w.code).includes(t) ? ok(`the program has ${t}`) : no(`the program has no ${t}`);
    }
  },
  'all-of': {
    doc: 'Every checkpoint named in `checks` (checkpoints without arguments, or with `args` of this ref shared) passes.',
    args: { checks: { type: 'list', required: true } },
    check(w, a) {
      const { checks, ...rest } = a;
      const results = (checks as (string | number)[]).map((name) => evaluateCheckpoint({ name: String(name), args: rest }, w));
      const bad = results.filter((r) => !r.ok);
      return bad.length ? no(bad.map((r) => r.detail).join('; ')) : ok(results.map((r) => r.detail).join('; '));
    }
  }
};

/** The predicates by name (the brief's shape): `CHECKPOINTS[name](world, args)`. */
export const CHECKPOINTS: Record<string, (w: LessonWorld, args: Args) => CheckResult> = Object.fromEntries(
  Object.entries(CHECKPOINT_DEFS).map(([k, d]) => [k, (w: LessonWorld, a: Args) => d.check(w, a)])
);

/** What is wrong with a checkpoint reference (unknown name, missing or mistyped argument), or null. */
export function checkpointProblem(ref: CheckpointRef): string | null {
  const def = CHECKPOINT_DEFS[ref.name];
  if (!def) return `unknown checkpoint "${ref.name}" (known: ${Object.keys(CHECKPOINT_DEFS).join(', ')})`;
  const args = ref.args ?? {};
  for (const [k, d] of Object.entries(def.args)) if (d.required && !(k in args)) return `checkpoint "${ref.name}" needs the argument ${k}`;
  for (const [k, v] of Object.entries(args)) {
    const d = def.args[k];
    if (!d && !(ref.name === 'all-of')) return `checkpoint "${ref.name}" has no argument ${k}`;
    if (!d) continue;
    const type = Array.isArray(v) ? 'list' : typeof v;
    if (type !== d.type) return `checkpoint "${ref.name}": ${k} should be a ${d.type}, not ${type}`;
    if (d.values && !d.values.includes(v as string)) return `checkpoint "${ref.name}": ${k} must be one of ${d.values.join(', ')}, not "${v}"`;
  }
  if (ref.name === 'all-of') {
    for (const name of args.checks as (string | number)[]) {
      const p = checkpointProblem({ name: String(name), args: Object.fromEntries(Object.entries(args).filter(([k]) => k !== 'checks' && k in (CHECKPOINT_DEFS[String(name)]?.args ?? {}))) });
      if (p) return `all-of: ${p}`;
    }
  }
  return null;
}

/** Runs a checkpoint; an unknown or badly given one never passes and says why. */
export function evaluateCheckpoint(ref: CheckpointRef, w: LessonWorld): CheckResult {
  const def = CHECKPOINT_DEFS[ref.name];
  if (!def) return no(`unknown checkpoint "${ref.name}"`);
  const args = ref.args ?? {};
  // all-of passes its shared args on: each part keeps only those it knows.
  const given = ref.name === 'all-of' ? args : Object.fromEntries(Object.entries(args).filter(([k]) => k in def.args));
  try {
    return def.check(w, given);
  } catch (e) {
    return no(`the checkpoint "${ref.name}" failed: ${e instanceof Error ? e.message : e}`);
  }
}

// Checkpoints of lessons 4–17: run-matches, runs-differ-in, event-matches, runs-repeat; written in checkpoints-runs.ts,
// registered here so the rail, checkpointProblem and the lesson tests see them like the others.
import { RUN_CHECKPOINT_DEFS } from './checkpoints-runs';
for (const [name, def] of Object.entries(RUN_CHECKPOINT_DEFS)) {
  CHECKPOINT_DEFS[name] = def;
  CHECKPOINTS[name] = (w, a) => def.check(w, a);
}
