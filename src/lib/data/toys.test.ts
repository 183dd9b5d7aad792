import { describe, expect, it } from 'vitest';
import { makeToy, MOONS_GEOMETRY, resolveToyParams, SPIRAL_GEOMETRY, TOY_NAMES, TOYS, type ToyName } from './toys';

const SPIRAL_FIRST_X = -0.15403471887111664;

function counts(labels: Int32Array, k: number): number[] {
  const c = new Array(k).fill(0);
  for (const l of labels) c[l]++;
  return c;
}

describe('toy data sets', () => {
  it('has a TOYS entry with consistent defaults for every toy', () => {
    expect(TOY_NAMES).toEqual(['circle', 'xor', 'gaussians', 'spiral', 'moons']);
    for (const name of TOY_NAMES) {
      const t = TOYS[name];
      expect(t.name).toBe(name);
      expect(t.description.length).toBeGreaterThan(10);
      for (const r of [t.samples, t.noise, t.classes]) {
        expect(r.min).toBeLessThanOrEqual(r.default);
        expect(r.default).toBeLessThanOrEqual(r.max);
        expect(r.step).toBeGreaterThan(0);
      }
    }
    expect(TOYS.spiral.classes.default).toBe(3);
    expect(TOYS.gaussians.classes.default).toBe(3);
    expect(TOYS.circle.classes).toMatchObject({ min: 2, max: 2 });
  });

  for (const name of TOY_NAMES) {
    describe(name, () => {
      it('has the right shapes, balanced classes and points in about [-1, 1]', () => {
        const ds = makeToy({ name, seed: 5 });
        const k = TOYS[name].classes.default;
        expect(ds).toMatchObject({ kind: 'classification', name, n: 600, features: 2, numClasses: k });
        expect(ds.x).toBeInstanceOf(Float32Array);
        expect(ds.labels).toBeInstanceOf(Int32Array);
        expect(ds.x.length).toBe(600 * 2);
        expect(ds.labels.length).toBe(600);
        const c = counts(ds.labels, k);
        expect(Math.max(...c) - Math.min(...c)).toBeLessThanOrEqual(1);
        let maxAbs = 0;
        for (const v of ds.x) maxAbs = Math.max(maxAbs, Math.abs(v));
        expect(maxAbs).toBeLessThan(1.3);
        expect(maxAbs).toBeGreaterThan(0.6);
        if (ds.classNames) expect(ds.classNames.length).toBe(k);
      });

      it('is deterministic for a seed and different across seeds', () => {
        const a = makeToy({ name, seed: 11, samples: 200 });
        const b = makeToy({ name, seed: 11, samples: 200 });
        const c = makeToy({ name, seed: 12, samples: 200 });
        expect(Array.from(a.x)).toEqual(Array.from(b.x));
        expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
        expect(Array.from(a.x)).not.toEqual(Array.from(c.x));
      });

      it('comes out shuffled, so the last 20% (validation_split) has every class', () => {
        const ds = makeToy({ name, seed: 3 });
        const k = ds.numClasses;
        const tail = counts(ds.labels.subarray(480), k);
        for (const c of tail) expect(c).toBeGreaterThan((120 / k) * 0.5);
        let changes = 0;
        for (let i = 1; i < ds.n; i++) if (ds.labels[i] !== ds.labels[i - 1]) changes++;
        expect(changes).toBeGreaterThan(ds.n * (1 - 1 / k) * 0.7);
      });
    });
  }

  it('respects samples and classes, and balances uneven splits', () => {
    const ds = makeToy({ name: 'gaussians', classes: 5, samples: 103, seed: 1 });
    expect(ds.n).toBe(103);
    expect(ds.numClasses).toBe(5);
    expect(counts(ds.labels, 5).sort()).toEqual([20, 20, 21, 21, 21]);
    const sp = makeToy({ name: 'spiral', classes: 4, seed: 1 });
    expect(sp.numClasses).toBe(4);
  });

  it('clamps parameters to the TOYS ranges', () => {
    expect(resolveToyParams({ name: 'circle', classes: 5 }).classes).toBe(2);
    expect(resolveToyParams({ name: 'spiral', samples: 1e9 }).samples).toBe(TOYS.spiral.samples.max);
    expect(resolveToyParams({ name: 'xor', noise: -1 }).noise).toBe(0);
    expect(resolveToyParams({ name: 'xor' })).toMatchObject({ samples: 600, noise: TOYS.xor.noise.default, classes: 2 });
  });

  it('has the advertised geometry', () => {
    const r = (ds: { x: Float32Array }, i: number) => Math.hypot(ds.x[2 * i], ds.x[2 * i + 1]);
    const circle = makeToy({ name: 'circle', noise: 0, seed: 1 });
    for (let i = 0; i < circle.n; i++) {
      if (circle.labels[i] === 0) expect(r(circle, i)).toBeLessThanOrEqual(0.5 + 1e-6);
      else expect(r(circle, i)).toBeGreaterThanOrEqual(0.7 - 1e-6);
    }
    const xor = makeToy({ name: 'xor', noise: 0, seed: 1 });
    for (let i = 0; i < xor.n; i++) expect(xor.x[2 * i] * xor.x[2 * i + 1] > 0 ? 0 : 1).toBe(xor.labels[i]);
    const spiral = makeToy({ name: 'spiral', noise: 0, seed: 1 });
    for (let i = 0; i < spiral.n; i++) {
      const rr = r(spiral, i);
      expect(rr).toBeGreaterThanOrEqual(SPIRAL_GEOMETRY.rMin - 1e-6);
      expect(rr).toBeLessThanOrEqual(SPIRAL_GEOMETRY.rMax + 1e-6);
      // On its arm: angle = 2π(turns·t + class/k) with t from the radius.
      const t = (rr - SPIRAL_GEOMETRY.rMin) / (SPIRAL_GEOMETRY.rMax - SPIRAL_GEOMETRY.rMin);
      const expected = 2 * Math.PI * (SPIRAL_GEOMETRY.turns * t + spiral.labels[i] / 3);
      const a = Math.atan2(spiral.x[2 * i + 1], spiral.x[2 * i]);
      const d = Math.abs(((a - expected) % (2 * Math.PI) + 3 * Math.PI) % (2 * Math.PI) - Math.PI);
      expect(d).toBeLessThan(1e-3);
    }
    const g = makeToy({ name: 'gaussians', seed: 1 });
    const means = [0, 1, 2].map((c) => {
      let sx = 0, sy = 0, m = 0;
      for (let i = 0; i < g.n; i++) if (g.labels[i] === c) { sx += g.x[2 * i]; sy += g.x[2 * i + 1]; m++; }
      return [sx / m, sy / m];
    });
    for (let a = 0; a < 3; a++) for (let b = a + 1; b < 3; b++) expect(Math.hypot(means[a][0] - means[b][0], means[a][1] - means[b][1])).toBeGreaterThan(0.8);
  });

  it('more noise spreads the points', () => {
    const spread = (name: ToyName, noise: number) => {
      const a = makeToy({ name, noise, seed: 2 });
      const b = makeToy({ name, noise: 0, seed: 2 });
      let s = 0;
      for (let i = 0; i < a.x.length; i++) s += (a.x[i] - b.x[i]) ** 2;
      return s;
    };
    expect(spread('spiral', 0.5)).toBeGreaterThan(spread('spiral', 0.1));
  });

  it('moons: at zero noise every point lies on its half circle, and the moons interleave', () => {
    const m = makeToy({ name: 'moons', noise: 0, seed: 4, samples: 400 });
    const g = MOONS_GEOMETRY;
    expect(m.numClasses).toBe(2);
    expect(m.classNames).toEqual(['upper moon', 'lower moon']);
    for (let i = 0; i < m.n; i++) {
      // Undo the scaling: back to make_moons' coordinates.
      const a = m.x[2 * i] / g.scale + g.shiftX;
      const b = m.x[2 * i + 1] / g.scale + g.shiftY;
      if (m.labels[i] === 0) {
        expect(Math.hypot(a, b)).toBeCloseTo(1, 4);
        expect(b).toBeGreaterThanOrEqual(-1e-5);
      } else {
        expect(Math.hypot(1 - a, 0.5 - b)).toBeCloseTo(1, 4);
        expect(b).toBeLessThanOrEqual(0.5 + 1e-5);
      }
      expect(Math.abs(m.x[2 * i])).toBeLessThanOrEqual(1 + 1e-5);
    }
    // Interleaved: each moon's tip reaches past the other's centre along x, so no vertical line separates them.
    const xs = (c: number) => Array.from({ length: m.n }, (_, i) => i).filter((i) => m.labels[i] === c).map((i) => m.x[2 * i]);
    expect(Math.max(...xs(0))).toBeGreaterThan(Math.min(...xs(1)) + 0.5);
    expect(Math.max(...xs(0))).toBeGreaterThan(0.3);
  });

  it('adding moons kept the other toys\' numbers (seeds are mixed by toy index)', () => {
    const s = makeToy({ name: 'spiral', seed: 1, samples: 20 });
    expect(s.x[0]).toBeCloseTo(SPIRAL_FIRST_X, 6);
  });
});
