import { describe, expect, it } from 'vitest';
import { applyPointEdits, countEdits, nearestPoint, type PointEdit } from './edits';
import { makeToy } from './toys';

describe('point edits', () => {
  const base = makeToy({ name: 'moons', seed: 2, samples: 100 });

  it('adds points first (training rows), with their class', () => {
    const edits: PointEdit[] = [
      { op: 'add', x: 0.5, y: 0.5, label: 0 },
      { op: 'add', x: -0.5, y: 0.25, label: 1 }
    ];
    const ds = applyPointEdits(base, edits);
    expect(ds.n).toBe(102);
    expect(Array.from(ds.x.subarray(0, 4))).toEqual([0.5, 0.5, -0.5, 0.25]);
    expect(Array.from(ds.labels.subarray(0, 2))).toEqual([0, 1]);
    expect(Array.from(ds.x.subarray(4))).toEqual(Array.from(base.x));
    expect(base.n).toBe(100);
  });

  it('removes the nearest point within the radius, and nothing when none is near', () => {
    const [x, y] = [base.x[20], base.x[21]];
    const ds = applyPointEdits(base, [{ op: 'remove', x, y }]);
    expect(ds.n).toBe(99);
    expect(nearestPoint(ds.x, ds.n, x, y, 1e-6)).toBe(-1);
    expect(applyPointEdits(base, [{ op: 'remove', x: 5, y: 5 }]).n).toBe(100);
    // An added point can be removed again.
    const back = applyPointEdits(base, [{ op: 'add', x: 3, y: 3, label: 1 }, { op: 'remove', x: 3.01, y: 3 }]);
    expect(Array.from(back.x)).toEqual(Array.from(base.x));
  });

  it('survives regenerating: the same edits apply to another seed', () => {
    const edits: PointEdit[] = [{ op: 'add', x: 0.9, y: 0.9, label: 1 }];
    const other = applyPointEdits(makeToy({ name: 'moons', seed: 3, samples: 100 }), edits);
    expect(other.n).toBe(101);
    expect(other.labels[0]).toBe(1);
  });

  it('skips labels the data set does not have, and counts edits', () => {
    expect(applyPointEdits(base, [{ op: 'add', x: 0, y: 0, label: 2 }]).n).toBe(100);
    expect(countEdits([{ op: 'add', x: 0, y: 0, label: 0 }, { op: 'remove', x: 0, y: 0 }])).toEqual({ added: 1, removed: 1 });
  });
});
