/**
 * What the playground page shows of a run, computed from the client's state (pure, unit-tested): the status text,
 * the metrics table, the median epoch time; and the TF.js export as one zip with its note.
 */
import { zipSync } from 'fflate';
import type { EpochLog } from '$lib/worker/protocol';
import type { RunStatus } from '$lib/worker/client.svelte';

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

/** Median wall ms of an epoch (the upper one of an even count), or null before the first epoch. */
export function medianEpochMs(history: readonly EpochLog[]): number | null {
  const ms = history.map((h) => h.ms).sort((a, b) => a - b);
  return ms.length ? ms[Math.floor(ms.length / 2)] : null;
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
