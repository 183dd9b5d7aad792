/**
 * What the playground page shows of a run, computed from the client's state (pure, unit-tested): the status text,
 * the metrics table, the median epoch time; and the TF.js export as one zip with its note.
 */
import { zipSync } from 'fflate';
import type { EpochLog } from '$lib/worker/protocol';
import type { RunStatus } from '$lib/worker/client.svelte';
import type { Dataset, SequenceDataset } from '$lib/data/types';
import { isTextName, NAMES_SEPARATOR, UPLOADED_TEXT } from '$lib/data/text';
import type { GenerationSettings, SequencePicturesRequest, TextVocabulary } from '$lib/worker/protocol';

export const STATUS_TEXT: Record<RunStatus, string> = {
  idle: 'Ready',
  starting: 'Starting…',
  running: 'Training',
  paused: 'Paused',
  stopped: 'Stopped',
  completed: 'Completed',
  diverged: 'Diverged',
  failed: 'Failed'
};

const METRICS: [string, keyof EpochLog][] = [
  ['Loss', 'loss'],
  ['Accuracy', 'acc'],
  ['Validation loss', 'valLoss'],
  ['Validation accuracy', 'valAcc']
];

/** The rows of the metrics table: the metrics some epoch of `history` has. */
export function metricRows(history: readonly EpochLog[]): [string, keyof EpochLog][] {
  return METRICS.filter(([, k]) => history.some((h) => typeof h[k] === 'number'));
}

/**
 * The median of `value` over a run's epochs (the upper one of an even count; null before the first epoch), kept up
 * to date as epochs come in. The history grows by appending (a new array each time, the old entries kept), so each
 * call inserts only the new epochs into a sorted copy: re-sorting the whole run on every epoch made a long run's page
 * slower and slower (tens of thousands of epochs, the spiral soak). Any other history (a reset, another session)
 * is sorted afresh.
 */
export class RunningMedian {
  #seen: readonly EpochLog[] = [];
  #sorted: number[] = [];
  constructor(private readonly value: (h: EpochLog) => number) {}

  of(history: readonly EpochLog[]): number | null {
    const n = this.#seen.length;
    const extends_ = history.length >= n && (n === 0 || (history[0] === this.#seen[0] && history[n - 1] === this.#seen[n - 1]));
    if (!extends_) this.#sorted = [];
    for (let i = extends_ ? n : 0; i < history.length; i++) insertSorted(this.#sorted, this.value(history[i]));
    this.#seen = history;
    return this.#sorted.length ? this.#sorted[Math.floor(this.#sorted.length / 2)] : null;
  }
}

function insertSorted(a: number[], v: number) {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  a.splice(lo, 0, v);
}

/** Median wall ms of an epoch (the upper one of an even count), or null before the first epoch. */
export function medianEpochMs(history: readonly EpochLog[]): number | null {
  return new RunningMedian((h) => h.ms).of(history);
}

export const hasMetric = (history: readonly EpochLog[], key: keyof EpochLog): boolean => history.some((h) => typeof h[key] === 'number');

/** A metric in the table: 4 decimals, or a dash. */
export const formatMetric = (v: unknown): string => (typeof v === 'number' ? v.toFixed(4) : '–');

/** A number typed into a Data panel field, kept in its range (the default when it is not a number). */
export function clampSetting(v: number, r: { min: number; max: number; default: number }): number {
  return Number.isFinite(v) ? Math.min(r.max, Math.max(r.min, v)) : r.default;
}

/** The worker's TF.js files (model.json + weights) as model-tfjs.zip, with the note to show. */
export function tfjsZip(files: readonly { name: string; data: Uint8Array }[], trained: boolean, seed: number): { zip: ReturnType<typeof zipSync>; message: string } {
  return {
    zip: zipSync(Object.fromEntries(files.map((f) => [f.name, f.data]))),
    message: trained
      ? 'Downloaded model-tfjs.zip (model.json + weights) with the trained weights; load it with tf.loadLayersModel.'
      : `Downloaded model-tfjs.zip with the initial weights of seed ${seed} (nothing trained yet).`
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Sequence pictures: which one a data set gets, and what the worker needs for it.

/** 'text': a language model's generated text and next-character bars; 'series': the forecast; 'table': inputs → outputs. */
export type SequencePictureKind = 'text' | 'series' | 'table';

export function sequencePictureKind(d: Dataset | null | undefined): SequencePictureKind | null {
  if (!d || d.kind !== 'sequence') return null;
  if (d.task === 'value') return 'series';
  if ((isTextName(d.name) || d.name === UPLOADED_TEXT) && d.tokens?.length) return 'text';
  return 'table';
}

/**
 * The token a prompt shorter than the window is left-padded with: the names' separator (a name starts after one),
 * else a new line (text starts a line), else a space, else id 0.
 */
export function promptPad(name: string, tokens: readonly string[]): number {
  for (const c of name === 'names' ? [NAMES_SEPARATOR] : ['\n', ' ']) {
    const i = tokens.indexOf(c);
    if (i >= 0) return i;
  }
  return 0;
}

/** A first prompt for a text (in its vocabulary). */
export function defaultPrompt(name: string, tokens: readonly string[]): string {
  const want = name === 'shakespeare' ? 'ROMEO:\n' : name === 'names' ? '.' : '';
  return Array.from(want).every((c) => tokens.includes(c)) ? want : '';
}

/** Characters generated after each epoch (names are short: fewer). */
export const generationLength = (name: string): number => (name === 'names' ? 80 : 200);

export function textVocabulary(d: SequenceDataset): TextVocabulary {
  const tokens = d.tokens ?? [];
  return { tokens, seqLen: d.seqLen, pad: promptPad(d.name, tokens) };
}

/** Rows shown in the inputs → outputs table. */
export const TABLE_ROWS = 8;
/** Most steps the series forecast is rolled forward. */
export const FORECAST_STEPS = 100;

/**
 * What a run's sequence pictures need from the data: the vocabulary and the generation settings (text), the held-out
 * windows (series: consecutive, so the forecast has its truth) or sequences (table). Undefined for other data.
 */
export function sequencePicturesRequest(d: Dataset | null | undefined, gen: GenerationSettings): SequencePicturesRequest | undefined {
  const kind = sequencePictureKind(d);
  if (!kind || !d || d.kind !== 'sequence') return undefined;
  const split = d.test && d.test.n > 0 ? d.test : { x: d.x, y: d.y, n: d.n };
  if (kind === 'text') return { text: { ...textVocabulary(d), ...gen } };
  if (kind === 'series') return { series: { x: split.x, y: split.y, n: split.n, seqLen: d.seqLen, horizon: Math.min(FORECAST_STEPS, split.n) } };
  return { table: { x: split.x, y: split.y, n: split.n, seqLen: d.seqLen, rows: TABLE_ROWS } };
}
