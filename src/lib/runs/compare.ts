/**
 * The pure parts of runs: the settings of a run read off the program and the panels, its name, a settings summary,
 * the settings that differ between runs, and a line diff of their programs. Unit-tested in compare.test.ts.
 */
import type { Engine } from '$lib/compile/compiled-methods';
import { BACKEND_LABELS, type BackendName } from '$lib/engines/backend';
import type { DataSettings } from '$lib/state/playground.svelte';
import type { ModelSpec } from '$lib/spec/types';
import type { EpochLog } from '$lib/worker/protocol';
import type { RunRecord, RunSettings } from './types';

export interface SettingsSource {
  code: string;
  /** The spec sent to the worker (with the panel's validation split when the program gives none). */
  spec: ModelSpec | null;
  data: DataSettings;
  engine: Engine;
  backend: BackendName;
  seed: number;
  params: number;
  /** The learning rate the run starts with when set in the teaching controls (else the program's). */
  learningRate?: number | null;
}

/**
 * A run's settings: the program, a copy of the data settings (their validation split is the one the run used:
 * the program's when it gives one, else the panel's), engine, backend, weight seed, the program's optimizer,
 * learning rate, batch size and epochs, the trainable parameters.
 */
export function runSettings(src: SettingsSource): RunSettings {
  const spec = src.spec;
  const data = plainCopy(src.data);
  if (spec?.fit) data.validationSplit = spec.fit.validationSplit;
  return {
    code: src.code,
    data,
    engine: src.engine,
    backend: src.backend,
    seed: src.seed,
    optimizer: spec?.compile?.optimizer.name ?? null,
    learningRate: src.learningRate ?? spec?.compile?.optimizer.learningRate ?? null,
    batchSize: spec?.fit?.batchSize ?? null,
    epochs: spec?.fit?.epochs ?? null,
    params: src.params
  };
}

function plainCopy<T>(v: T): T {
  try {
    return structuredClone(v);
  } catch {
    return JSON.parse(JSON.stringify(v)) as T;
  }
}

/** A number as a person writes it: 0.01, 0.001, 1e-7, 32. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(6)));
}

/** "adam 0.01 · batch 32" (what the program says; "no compile()" when it says nothing). */
export function settingsLabel(s: RunSettings): string {
  const parts: string[] = [];
  if (s.optimizer) parts.push(s.learningRate !== null ? `${s.optimizer} ${formatNumber(s.learningRate)}` : s.optimizer);
  else parts.push('no compile()');
  if (s.batchSize !== null) parts.push(`batch ${s.batchSize}`);
  return parts.join(' · ');
}

/** "Run 3 · adam 0.01 · batch 32". */
export function runName(n: number, s: RunSettings): string {
  return `Run ${n} · ${settingsLabel(s)}`;
}

/** The number for the next run's name: one more than any "Run N" kept (names may have been edited) and than `seen`. */
export function nextRunNumber(runs: Pick<RunRecord, 'name'>[], seen = 0): number {
  let n = seen;
  for (const r of runs) {
    const m = /^Run (\d+)\b/.exec(r.name);
    if (m) n = Math.max(n, Number(m[1]));
  }
  return n + 1;
}

/** The table's summary: "adam 0.01 · batch 32 · 100 epochs · spiral (400, noise 0.2) · WASM · seed 1". */
export function settingsSummary(s: RunSettings): string {
  const parts = [settingsLabel(s)];
  if (s.epochs !== null) parts.push(`${s.epochs} epoch${s.epochs === 1 ? '' : 's'}`);
  parts.push(`${s.data.name} (${s.data.samples} samples, noise ${formatNumber(s.data.noise)})`);
  parts.push(`${s.engine === 'compiled' ? 'compiled' : 'eager'} on ${BACKEND_LABELS[s.backend] ?? s.backend}`);
  parts.push(`seed ${s.seed}`);
  return parts.join(' · ');
}

/** The last epoch's value of a metric, or null. */
export function finalMetric(history: EpochLog[], key: keyof EpochLog): number | null {
  for (let i = history.length - 1; i >= 0; i--) {
    const v = history[i][key];
    if (typeof v === 'number' && Number.isFinite(v)) return v;
  }
  return null;
}

export interface SettingRow {
  /** "learning rate", "batch size", … */
  label: string;
  /** One value per run, in the runs' order, as shown. */
  values: string[];
}

const dash = '–';
const num = (v: number | null | undefined) => (typeof v === 'number' ? formatNumber(v) : dash);

/** The settings compared, in the order shown. */
const ROWS: [string, (r: RunRecord) => string][] = [
  ['optimizer', (r) => r.settings.optimizer ?? dash],
  ['learning rate', (r) => num(r.settings.learningRate)],
  ['batch size', (r) => num(r.settings.batchSize)],
  ['epochs', (r) => num(r.settings.epochs)],
  ['engine', (r) => r.settings.engine],
  ['backend', (r) => BACKEND_LABELS[r.settings.backend] ?? r.settings.backend],
  ['ran on', (r) => (r.ranOn ? (BACKEND_LABELS[r.ranOn] ?? r.ranOn) : dash)],
  ['weight seed', (r) => num(r.settings.seed)],
  ['data', (r) => r.settings.data.name],
  ['samples', (r) => num(r.settings.data.samples)],
  ['noise', (r) => num(r.settings.data.noise)],
  ['data seed', (r) => num(r.settings.data.seed)],
  ['classes', (r) => num(r.settings.data.classes)],
  ['validation split', (r) => num(r.settings.data.validationSplit)],
  ['sequence length', (r) => num(r.settings.data.seqLen)],
  ['points added or removed', (r) => num(r.settings.data.edits?.length ?? 0)],
  ['parameters', (r) => (typeof r.settings.params === 'number' ? r.settings.params.toLocaleString('en-US') : dash)]
];

/** The settings whose values are not all the same across `runs` (nothing when fewer than two runs). */
export function settingsDiff(runs: RunRecord[]): SettingRow[] {
  if (runs.length < 2) return [];
  const rows: SettingRow[] = [];
  for (const [label, get] of ROWS) {
    const values = runs.map((r) => {
      try {
        return get(r);
      } catch {
        return dash;
      }
    });
    if (values.some((v) => v !== values[0])) rows.push({ label, values });
  }
  return rows;
}

export interface DiffLine {
  /** ' ' same, '-' only in the first program, '+' only in the second. */
  op: ' ' | '-' | '+';
  text: string;
  /** 1-based line in the first program ('-', ' ') or in the second ('+'). */
  line: number;
}

/** Lines a diff looks at at most (past that, the middle is compared as one changed block). */
const MAX_DIFF_LINES = 3000;

/**
 * The lines that differ between two programs (a longest-common-subsequence diff on lines, after the common
 * beginning and end are set aside); only the changed lines are returned, in order.
 */
export function lineDiff(a: string, b: string): DiffLine[] {
  const A = a.split('\n');
  const B = b.split('\n');
  let start = 0;
  while (start < A.length && start < B.length && A[start] === B[start]) start++;
  let endA = A.length;
  let endB = B.length;
  while (endA > start && endB > start && A[endA - 1] === B[endB - 1]) (endA--, endB--);
  const a1 = A.slice(start, endA);
  const b1 = B.slice(start, endB);
  const out: DiffLine[] = [];
  if (a1.length > MAX_DIFF_LINES || b1.length > MAX_DIFF_LINES || a1.length * b1.length > 4_000_000) {
    a1.forEach((text, i) => out.push({ op: '-', text, line: start + i + 1 }));
    b1.forEach((text, j) => out.push({ op: '+', text, line: start + j + 1 }));
    return out;
  }
  const n = a1.length;
  const m = b1.length;
  // lcs[i][j]: the longest common subsequence of a1[i..] and b1[j..].
  const lcs = new Uint16Array((n + 1) * (m + 1));
  const at = (i: number, j: number) => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[at(i, j)] = a1[i] === b1[j] ? lcs[at(i + 1, j + 1)] + 1 : Math.max(lcs[at(i + 1, j)], lcs[at(i, j + 1)]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a1[i] === b1[j]) (i++, j++);
    else if (i < n && (j === m || lcs[at(i + 1, j)] >= lcs[at(i, j + 1)])) {
      out.push({ op: '-', text: a1[i], line: start + i + 1 });
      i++;
    } else {
      out.push({ op: '+', text: b1[j], line: start + j + 1 });
      j++;
    }
  }
  return out;
}
