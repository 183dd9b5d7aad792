/**
 * Points the user added to or removed from a 2D toy by clicking its plot. The edits are a list kept in the data
 * settings (plain JSON) and re-applied, in order, on top of the generated points whenever the toy is made again — so
 * they survive a new seed, noise level or sample count — until "Reset points" clears them.
 *
 * - `add`: a point of class `label` at (x, y). Added points go FIRST in the rows, so they are always training points
 *   (Keras' validation_split takes the last rows).
 * - `remove`: deletes the point nearest to (x, y), if one lies within `REMOVE_RADIUS` (in data units) — a removal made
 *   on one version of the toy removes the point nearest that spot in the next.
 */
import type { ClassificationDataset } from './types';

export type PointEdit = { op: 'add'; x: number; y: number; label: number } | { op: 'remove'; x: number; y: number };

/** How close (data units, the plot spans about 2.4) a point must be to a right-click to be removed. */
export const REMOVE_RADIUS = 0.08;

/** Index of the point nearest (x, y) within `radius`, or -1. `xy` holds x,y pairs. */
export function nearestPoint(xy: ArrayLike<number>, n: number, x: number, y: number, radius = REMOVE_RADIUS): number {
  let best = -1;
  let bestD = radius * radius;
  for (let i = 0; i < n; i++) {
    const d = (xy[2 * i] - x) ** 2 + (xy[2 * i + 1] - y) ** 2;
    if (d <= bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

/** The data set with the edits applied (the input is not changed). Labels outside the data's classes are skipped. */
export function applyPointEdits(ds: ClassificationDataset, edits: readonly PointEdit[]): ClassificationDataset {
  if (!edits.length || ds.features !== 2) return ds;
  // Added points first (kept in order), then the generated ones.
  const added: number[] = [];
  const addedLabels: number[] = [];
  const gen: number[] = Array.from(ds.x);
  const genLabels: number[] = Array.from(ds.labels);
  for (const e of edits) {
    if (e.op === 'add') {
      if (!(Number.isInteger(e.label) && e.label >= 0 && e.label < ds.numClasses) || !Number.isFinite(e.x) || !Number.isFinite(e.y)) continue;
      added.push(e.x, e.y);
      addedLabels.push(e.label);
      continue;
    }
    // Remove the nearest point, whether added or generated.
    const all = [...added, ...gen];
    const i = nearestPoint(all, all.length / 2, e.x, e.y);
    if (i < 0) continue;
    if (i < addedLabels.length) {
      added.splice(2 * i, 2);
      addedLabels.splice(i, 1);
    } else {
      const g = i - addedLabels.length;
      gen.splice(2 * g, 2);
      genLabels.splice(g, 1);
    }
  }
  const x = Float32Array.from([...added, ...gen]);
  const labels = Int32Array.from([...addedLabels, ...genLabels]);
  return { ...ds, x, labels, n: labels.length };
}

/** How many points the edits added and removed (for the Data panel). */
export function countEdits(edits: readonly PointEdit[]): { added: number; removed: number } {
  let added = 0;
  for (const e of edits) if (e.op === 'add') added++;
  return { added, removed: edits.length - added };
}
