/**
 * Checkpoints of lessons 4–17, registered at the end of checkpoints.ts. Each is a pure predicate over
 * the LessonWorld: what really happened (the runs the run store kept, the events components reported), never what the
 * learner says they did.
 *
 *   run-matches     a run since the step opened that matches every condition given (status, optimizer, layers,
 *                   engine, data, epochs, final metrics, gap between train and validation accuracy, …)
 *   runs-differ-in  `count` runs (same status) whose `setting` differs pairwise (learning rate, batch size, optimizer,
 *                   weight seed, initializer…), optionally all from the same weight seed
 *   event-matches   an app event since the step opened (compare-done, bench-done, onnx-exported…), with an optional
 *                   minimum on one of its numeric details, an exact string detail or one item of a comma list
 *   runs-repeat     two finished runs of the same program, data and weight seed that ended at the same loss
 *
 * A run's model is read back from the program it ran (`RunSettings.code`, parsed with its data's constants), so
 * conditions on layers, regularizers, initializers and momentum look at what ran, not at the editor now.
 */
import { dataConstants } from '$lib/data/constants';
import { parseProgram } from '$lib/keras/parse';
import type { RunRecord } from '$lib/runs/types';
import type { ModelSpec } from '$lib/spec/types';
import type { EpochLog } from '$lib/worker/protocol';
import type { CheckpointDef } from './checkpoints';
import type { CheckpointRef, CheckResult, LessonWorld } from './types';

type Args = NonNullable<CheckpointRef['args']>;
export type LbCheckpoint = (world: LessonWorld, args: Args) => CheckResult;

const specCache = new Map<string, ModelSpec | null>();

/** The model a run trained (parsed from its program; null when it does not parse any more). Memoized. */
export function runSpec(run: RunRecord): ModelSpec | null {
  const d = run.settings.data;
  const constants = dataConstants(d.name, { seqLen: d.seqLen });
  const key = `${JSON.stringify(constants)}\n${run.settings.code}`;
  if (!specCache.has(key)) {
    if (specCache.size > 200) specCache.clear();
    let spec: ModelSpec | null = null;
    try {
      spec = parseProgram(run.settings.code, { constants }).spec;
    } catch {
      spec = null;
    }
    specCache.set(key, spec);
  }
  return specCache.get(key) ?? null;
}

/** 'sgd' (plain), 'momentum' (SGD with momentum > 0, Nesterov or not), else the optimizer's Keras name ('adam', …). */
export function optimizerKind(spec: ModelSpec | null, fallback: string | null): string | null {
  const o = spec?.compile?.optimizer;
  if (!o) return fallback?.toLowerCase() ?? null;
  if (o.name === 'sgd' && typeof o.args.momentum === 'number' && o.args.momentum > 0) return 'momentum';
  return o.name;
}

/** Kinds of the model's layers and of the blocks they came from (`Dense`, `Dropout`, `TransformerEncoder`, …). */
export function layerKinds(spec: ModelSpec | null): Set<string> {
  const kinds = new Set<string>();
  for (const l of spec?.layers ?? []) {
    kinds.add(l.kind);
    if (l.block) kinds.add(l.block.kind);
    // Bidirectional(LSTM(…)) holds its layer as an argument.
    const inner = l.args.layer;
    if (inner && typeof inner === 'object' && !Array.isArray(inner) && typeof inner.kind === 'string') kinds.add(inner.kind);
  }
  return kinds;
}

const REGULARIZER_ARGS = ['kernel_regularizer', 'bias_regularizer', 'activity_regularizer', 'embeddings_regularizer', 'recurrent_regularizer'];

export function isRegularized(spec: ModelSpec | null): boolean {
  return (spec?.layers ?? []).some((l) => REGULARIZER_ARGS.some((a) => l.args[a] !== undefined && l.args[a] !== null));
}

/** The kernel initializers the model uses (Keras' default glorot_uniform included). */
export function initializers(spec: ModelSpec | null): Set<string> {
  const out = new Set<string>();
  for (const l of spec?.layers ?? []) if (typeof l.args.kernel_initializer === 'string') out.add(l.args.kernel_initializer);
  return out;
}

const ENDED = new Set(['completed', 'stopped', 'diverged', 'failed']);
/** A string argument with alternatives: `'LSTM|GRU'`. */
const list = (v: Args[string] | undefined): string[] => (v === undefined ? [] : (Array.isArray(v) ? v.map(String) : String(v).split('|')).map((x) => x.trim()).filter(Boolean));
const num = (v: Args[string] | undefined): number | undefined => (typeof v === 'number' ? v : undefined);
const fmt = (v: number) => (Math.abs(v) >= 100 || v === Math.round(v) ? String(Math.round(v * 1000) / 1000) : v < 0.01 ? v.toExponential(1) : v.toFixed(3));
const pct = (v: number) => `${(v * 100).toFixed(1)} %`;

function statusOk(run: RunRecord, want: string): boolean {
  if (want === 'any') return true;
  // As the framework's checkpoints: completed, or stopped after at least one epoch.
  if (want === 'finished') return (run.status === 'completed' || run.status === 'stopped') && run.history.length > 0;
  if (want === 'ended') return ENDED.has(run.status);
  return run.status === want;
}

function statusWords(want: string): string {
  return want === 'any' ? '' : want;
}

const lastLog = (run: RunRecord): EpochLog | undefined => run.history.at(-1);
/** Final train accuracy minus final validation accuracy (undefined without both). */
export function accuracyGap(run: RunRecord): number | undefined {
  const l = lastLog(run);
  return l?.acc !== undefined && l.valAcc !== undefined && Number.isFinite(l.acc) && Number.isFinite(l.valAcc) ? l.acc - l.valAcc : undefined;
}

/** Lowest validation loss of the run and its epoch. */
function bestValLoss(run: RunRecord): { value: number; epoch: number } | undefined {
  let best: { value: number; epoch: number } | undefined;
  for (const l of run.history) if (l.valLoss !== undefined && Number.isFinite(l.valLoss) && (!best || l.valLoss < best.value)) best = { value: l.valLoss, epoch: l.epoch };
  return best;
}

interface Condition {
  /** Words for the detail: "with Dropout". */
  words: string;
  test: (run: RunRecord, spec: ModelSpec | null) => boolean;
}

/** A metric condition: the value seen and whether it is good enough. */
interface MetricCondition {
  words: string;
  value: (run: RunRecord) => number | undefined;
  ok: (v: number) => boolean;
  /** Higher is better (to pick the best run for the detail). */
  higher: boolean;
  show: (v: number) => string;
}

function structural(args: Args): Condition[] {
  const c: Condition[] = [];
  const opt = list(args.optimizer).map((s) => s.toLowerCase());
  if (opt.length) c.push({ words: `with ${opt.join(' or ')}`, test: (r, s) => opt.includes(optimizerKind(s, r.settings.optimizer) ?? '') });
  const layers = list(args.layer);
  if (layers.length) c.push({ words: `with a ${layers.join(' or ')} layer`, test: (_, s) => layers.some((k) => layerKinds(s).has(k)) });
  const without = list(args.withoutLayer);
  if (without.length) c.push({ words: `without ${without.join(' or ')}`, test: (_, s) => s !== null && !without.some((k) => layerKinds(s).has(k)) });
  if (args.regularized === true) c.push({ words: 'with a weight regularizer (L1/L2)', test: (_, s) => isRegularized(s) });
  const init = list(args.initializer);
  if (init.length) c.push({ words: `with kernel_initializer ${init.join(' or ')}`, test: (_, s) => init.some((i) => initializers(s).has(i)) });
  const engine = list(args.engine);
  if (engine.length) c.push({ words: `on the ${engine.join(' or ')} engine`, test: (r) => engine.includes(r.settings.engine) });
  const data = list(args.data);
  if (data.length) c.push({ words: `on ${data.join(' or ')}`, test: (r) => data.includes(r.settings.data.name) });
  const minSamples = num(args.minSamples);
  if (minSamples !== undefined) c.push({ words: `with at least ${minSamples} samples`, test: (r) => r.settings.data.samples >= minSamples });
  const maxSamples = num(args.maxSamples);
  if (maxSamples !== undefined) c.push({ words: `with at most ${maxSamples} samples`, test: (r) => r.settings.data.samples <= maxSamples });
  const minSeqLen = num(args.minSeqLen);
  if (minSeqLen !== undefined) c.push({ words: `with sequences of at least ${minSeqLen} steps`, test: (r) => r.settings.data.seqLen >= minSeqLen });
  const maxSeqLen = num(args.maxSeqLen);
  if (maxSeqLen !== undefined) c.push({ words: `with sequences of at most ${maxSeqLen} steps`, test: (r) => r.settings.data.seqLen <= maxSeqLen });
  const lr = (r: RunRecord, s: ModelSpec | null) => r.settings.learningRate ?? s?.compile?.optimizer.learningRate ?? NaN;
  const minLr = num(args.minLearningRate);
  if (minLr !== undefined) c.push({ words: `with a learning rate ≥ ${minLr}`, test: (r, s) => lr(r, s) >= minLr });
  const maxLr = num(args.maxLearningRate);
  if (maxLr !== undefined) c.push({ words: `with a learning rate ≤ ${maxLr}`, test: (r, s) => lr(r, s) <= maxLr });
  const bs = (r: RunRecord, s: ModelSpec | null) => r.settings.batchSize ?? s?.fit?.batchSize ?? NaN;
  const minBs = num(args.minBatchSize);
  if (minBs !== undefined) c.push({ words: `with batch_size ≥ ${minBs}`, test: (r, s) => bs(r, s) >= minBs });
  const maxBs = num(args.maxBatchSize);
  if (maxBs !== undefined) c.push({ words: `with batch_size ≤ ${maxBs}`, test: (r, s) => bs(r, s) <= maxBs });
  const maxParams = num(args.maxParams);
  if (maxParams !== undefined) c.push({ words: `with at most ${maxParams} parameters`, test: (r) => r.settings.params <= maxParams });
  const minParams = num(args.minParams);
  if (minParams !== undefined) c.push({ words: `with at least ${minParams} parameters`, test: (r) => r.settings.params >= minParams });
  const maxEpochs = num(args.maxEpochs);
  if (maxEpochs !== undefined) c.push({ words: `in at most ${maxEpochs} epochs`, test: (r) => r.history.length > 0 && r.history.length <= maxEpochs });
  const minEpochs = num(args.minEpochs);
  if (minEpochs !== undefined) c.push({ words: `of at least ${minEpochs} epochs`, test: (r) => r.history.length >= minEpochs });
  return c;
}

function metrics(args: Args): MetricCondition[] {
  const m: MetricCondition[] = [];
  const final = (key: keyof EpochLog) => (r: RunRecord) => {
    const v = lastLog(r)?.[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const add = (key: string, words: string, value: (r: RunRecord) => number | undefined, higher: boolean, show: (v: number) => string) => {
    const t = num(args[key]);
    if (t === undefined) return;
    m.push({ words: `${words} ${higher ? '≥' : '≤'} ${show(t)}`, value, ok: (v) => (higher ? v >= t : v <= t), higher, show });
  };
  add('minValAcc', 'final validation accuracy', final('valAcc'), true, pct);
  add('minAcc', 'final training accuracy', final('acc'), true, pct);
  add('maxValLoss', 'final validation loss', final('valLoss'), false, fmt);
  add('maxLoss', 'final training loss', final('loss'), false, fmt);
  add('minLoss', 'final training loss', final('loss'), true, fmt);
  add('minGap', 'gap between training and validation accuracy', accuracyGap, true, pct);
  add('maxGap', 'gap between training and validation accuracy', accuracyGap, false, pct);
  const nearBest = num(args.nearBest);
  if (nearBest !== undefined) {
    // Stopped near the best epoch: the final validation loss within `nearBest` (a fraction) of the run's lowest.
    m.push({
      words: `final validation loss within ${Math.round(nearBest * 100)} % of the run's lowest`,
      value: (r) => {
        const best = bestValLoss(r);
        const v = final('valLoss')(r);
        return best && v !== undefined ? v / Math.max(best.value, 1e-12) - 1 : undefined;
      },
      ok: (v) => v <= nearBest,
      higher: false,
      show: (v) => `${Math.round(v * 100)} % above`
    });
  }
  return m;
}

/** The run-matches checkpoint. */
export const runMatches: LbCheckpoint = (world, args) => {
  const want = typeof args.status === 'string' ? args.status : 'finished';
  const cond = structural(args);
  const mets = metrics(args);
  const what = ['run', ...cond.map((c) => c.words)].join(' ');
  const inStatus = world.runs.filter((r) => statusOk(r, want));
  const candidates = inStatus.filter((r) => {
    const s = runSpec(r);
    return cond.every((c) => c.test(r, s));
  });
  if (!candidates.length) {
    const running = world.runs.some((r) => r.status === 'running');
    return { ok: false, detail: `no ${statusWords(want)} ${what} yet${running ? ' (one is running)' : ''}`.replace(/\s+/g, ' ') };
  }
  const good = candidates.find((r) => mets.every((m) => {
    const v = m.value(r);
    return v !== undefined && m.ok(v);
  }));
  if (good) {
    const seen = mets.map((m) => `${m.words.replace(/ [≥≤].*$/, '')} ${m.show(m.value(good)!)}`);
    return { ok: true, detail: `${good.name}${seen.length ? `: ${seen.join(', ')}` : ''}` };
  }
  // Say how close the best run came on the first condition that none met.
  const missing = mets.find((m) => !candidates.some((r) => {
    const v = m.value(r);
    return v !== undefined && m.ok(v);
  })) ?? mets[0];
  const values = candidates.map((r) => missing.value(r)).filter((v): v is number => v !== undefined);
  if (!values.length) return { ok: false, detail: `the ${what} has no ${missing.words.replace(/ [≥≤].*$/, '')} (needs ${missing.words})` };
  const best = missing.higher ? Math.max(...values) : Math.min(...values);
  return { ok: false, detail: `best ${missing.words.replace(/ [≥≤].*$/, '')} so far ${missing.show(best)}; needs ${missing.words.replace(/^.* ([≥≤])/, '$1')}` };
};

/** Settings runs-differ-in can compare. */
const SETTINGS: Record<string, { words: string; value: (r: RunRecord, s: ModelSpec | null) => string | null }> = {
  learningRate: { words: 'learning rates', value: (r, s) => String(r.settings.learningRate ?? s?.compile?.optimizer.learningRate ?? '') || null },
  batchSize: { words: 'batch sizes', value: (r, s) => String(r.settings.batchSize ?? s?.fit?.batchSize ?? '') || null },
  optimizer: { words: 'optimizers', value: (r, s) => optimizerKind(s, r.settings.optimizer) },
  seed: { words: 'weight seeds', value: (r) => String(r.settings.seed) },
  samples: { words: 'sample counts', value: (r) => String(r.settings.data.samples) },
  initializer: { words: 'initializers', value: (_, s) => (s ? [...initializers(s)].sort().join('+') || null : null) },
  engine: { words: 'engines', value: (r) => r.settings.engine },
  backend: { words: 'backends', value: (r) => r.ranOn ?? r.settings.backend }
};

/** The runs-differ-in checkpoint. */
export const runsDifferIn: LbCheckpoint = (world, args) => {
  const key = String(args.setting ?? '');
  const setting = SETTINGS[key];
  if (!setting) return { ok: false, detail: `unknown setting ${key}` };
  const count = num(args.count) ?? 2;
  const want = typeof args.status === 'string' ? args.status : 'finished';
  const cond = structural(args);
  const runs = world.runs.filter((r) => statusOk(r, want) && cond.every((c) => c.test(r, runSpec(r))));
  const groups = new Map<string, Set<string>>();
  for (const r of runs) {
    const v = setting.value(r, runSpec(r));
    if (v === null) continue;
    const g = args.sameSeed === true ? String(r.settings.seed) : '';
    if (!groups.has(g)) groups.set(g, new Set());
    groups.get(g)!.add(v);
  }
  const best = [...groups.values()].reduce((a, b) => (b.size > a.size ? b : a), new Set<string>());
  const values = [...best];
  const from = args.sameSeed === true ? ' from the same weight seed' : '';
  if (best.size >= count) return { ok: true, detail: `${best.size} ${statusWords(want)} runs${from} with different ${setting.words}: ${values.join(', ')}` };
  return {
    ok: false,
    detail: `${best.size} of ${count} different ${setting.words} in ${statusWords(want)} runs${from} so far${values.length ? ` (${values.join(', ')})` : ''}`
  };
};

/** The event-matches checkpoint. */
export const eventMatches: LbCheckpoint = (world, args) => {
  const name = String(args.name ?? '');
  const key = typeof args.key === 'string' ? args.key : null;
  const min = num(args.min);
  const equals = args.equals;
  const includes = typeof args.includes === 'string' ? args.includes : undefined;
  const events = world.events.filter((e) => e.name === name && e.at >= world.since);
  const ok = events.find((e) => {
    if (!key) return true;
    const v = e.detail?.[key];
    if (min !== undefined) return typeof v === 'number' && v >= min;
    if (equals !== undefined) return String(v) === String(equals);
    if (includes !== undefined) return String(v ?? '').split(',').includes(includes);
    return v !== undefined;
  });
  const label = typeof args.label === 'string' ? args.label : name;
  if (ok) return { ok: true, detail: `${label}${key && ok.detail?.[key] !== undefined ? ` (${key} ${ok.detail[key]})` : ''}` };
  if (events.length && key) {
    const seen = events.map((e) => e.detail?.[key]).filter((v) => v !== undefined);
    return { ok: false, detail: `${label} happened, but ${key} was ${seen.length ? seen.join(', ') : 'not reported'}; needs ${min !== undefined ? `≥ ${min}` : includes !== undefined ? `to include ${includes}` : String(equals)}` };
  }
  return { ok: false, detail: `${label}: not yet` };
};

/**
 * The runs-repeat checkpoint: two finished runs of the same program, data, weight seed and backend that ended at
 * the same loss (relative difference ≤ `tolerance`, default 1e-5): a seeded run is reproducible.
 */
export const runsRepeat: LbCheckpoint = (world, args) => {
  const tol = num(args.tolerance) ?? 1e-5;
  const done = world.runs.filter((r) => statusOk(r, 'finished'));
  const key = (r: RunRecord) => JSON.stringify([r.settings.code, r.settings.data, r.settings.seed, r.ranOn ?? r.settings.backend, r.settings.engine, r.history.length]);
  let closest: { a: RunRecord; b: RunRecord; rel: number } | null = null;
  for (let i = 0; i < done.length; i++)
    for (let j = i + 1; j < done.length; j++) {
      if (key(done[i]) !== key(done[j])) continue;
      const x = lastLog(done[i])!.loss;
      const y = lastLog(done[j])!.loss;
      const rel = Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y), 1e-12);
      if (!closest || rel < closest.rel) closest = { a: done[i], b: done[j], rel };
    }
  if (!closest) return { ok: false, detail: `no two finished runs of the same program, data and weight seed yet (${done.length} finished)` };
  const la = lastLog(closest.a)!.loss.toPrecision(6);
  const lb = lastLog(closest.b)!.loss.toPrecision(6);
  if (closest.rel <= tol) return { ok: true, detail: `${closest.a.name} and ${closest.b.name} both ended at loss ${la}` };
  return { ok: false, detail: `${closest.a.name} and ${closest.b.name} ended at loss ${la} and ${lb}: not the same run` };
};

type ArgDefs = CheckpointDef['args'];
const STATUSES = ['finished', 'completed', 'stopped', 'diverged', 'failed', 'ended', 'any'];
/** The run conditions run-matches and runs-differ-in share. */
const RUN_CONDITIONS: ArgDefs = {
  status: { type: 'string', values: STATUSES },
  optimizer: { type: 'string' },
  layer: { type: 'string' },
  withoutLayer: { type: 'string' },
  regularized: { type: 'boolean' },
  initializer: { type: 'string' },
  engine: { type: 'string' },
  data: { type: 'string' },
  minSamples: { type: 'number' },
  maxSamples: { type: 'number' },
  minSeqLen: { type: 'number' },
  maxSeqLen: { type: 'number' },
  minLearningRate: { type: 'number' },
  maxLearningRate: { type: 'number' },
  minBatchSize: { type: 'number' },
  maxBatchSize: { type: 'number' },
  minParams: { type: 'number' },
  maxParams: { type: 'number' },
  minEpochs: { type: 'number' },
  maxEpochs: { type: 'number' }
};
const RUN_METRICS: ArgDefs = {
  minValAcc: { type: 'number' },
  minAcc: { type: 'number' },
  maxValLoss: { type: 'number' },
  maxLoss: { type: 'number' },
  minLoss: { type: 'number' },
  minGap: { type: 'number' },
  maxGap: { type: 'number' },
  nearBest: { type: 'number' }
};

/** These checkpoints as the framework declares them (registered at the end of checkpoints.ts). */
export const RUN_CHECKPOINT_DEFS: Record<string, CheckpointDef> = {
  'run-matches': {
    doc:
      'A run since the step opened (status: finished by default) that meets every condition: optimizer (sgd = plain, momentum, adam, …; `a|b` for either), layer / withoutLayer (Keras class, `LSTM|GRU`), regularized, initializer, engine, data, samples, sequence length, learning rate, batch size, parameters, epochs, and final metrics (minValAcc, maxValLoss, minGap = final train − validation accuracy, nearBest = final validation loss within that fraction of the lowest).',
    args: { ...RUN_CONDITIONS, ...RUN_METRICS },
    check: runMatches
  },
  'runs-differ-in': {
    doc: '`count` runs (finished by default, meeting the run-matches conditions given) whose `setting` differs pairwise; with sameSeed, all from one weight seed.',
    args: { setting: { type: 'string', required: true, values: Object.keys(SETTINGS) }, count: { type: 'number' }, sameSeed: { type: 'boolean' }, ...RUN_CONDITIONS },
    check: runsDifferIn
  },
  'event-matches': {
    doc: 'The app reported the event `name` since the step opened; with `key`, its detail has at least `min`, equals `equals`, or lists `includes` (comma-separated). `label` names it in the detail.',
    args: { name: { type: 'string', required: true }, key: { type: 'string' }, min: { type: 'number' }, equals: { type: 'string' }, includes: { type: 'string' }, label: { type: 'string' } },
    check: eventMatches
  },
  'runs-repeat': {
    doc: 'Two finished runs of the same program, data, weight seed, backend and engine ended at the same loss (relative `tolerance`, default 1e-5).',
    args: { tolerance: { type: 'number' } },
    check: runsRepeat
  }
};
