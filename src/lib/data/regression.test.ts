import { describe, expect, it } from 'vitest';
import { makeRegression, NOISE_SCALE, PLANE, REGRESSION_NAMES, REGRESSIONS, resolveRegressionParams, SINE_AMPLITUDE } from './regression';

function residuals(name: 'sine' | 'plane', noise: number, seed = 3, samples = 2000): number[] {
  const ds = makeRegression({ name, noise, seed, samples });
  const r: number[] = [];
  for (let i = 0; i < ds.n; i++) {
    const f = name === 'sine' ? SINE_AMPLITUDE * Math.sin(Math.PI * ds.x[i]) : PLANE.a * ds.x[2 * i] + PLANE.b * ds.x[2 * i + 1];
    r.push(ds.y[i] - f);
  }
  return r;
}

const std = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};

describe('regression data sets', () => {
  it('has a REGRESSIONS entry with consistent ranges for each', () => {
    expect(REGRESSION_NAMES).toEqual(['sine', 'plane']);
    for (const name of REGRESSION_NAMES) {
      const r = REGRESSIONS[name];
      expect(r.name).toBe(name);
      expect(r.title.length).toBeGreaterThan(2);
      expect(r.description.length).toBeGreaterThan(10);
      expect(r.targets).toBe(1);
      for (const range of [r.samples, r.noise]) {
        expect(range.min).toBeLessThanOrEqual(range.default);
        expect(range.default).toBeLessThanOrEqual(range.max);
        expect(range.step).toBeGreaterThan(0);
      }
    }
    expect(REGRESSIONS.sine.features).toBe(1);
    expect(REGRESSIONS.plane.features).toBe(2);
  });

  for (const name of REGRESSION_NAMES) {
    describe(name, () => {
      it('has the right kind, shapes and x in [-1, 1]', () => {
        const ds = makeRegression({ name, seed: 5 });
        const f = REGRESSIONS[name].features;
        expect(ds).toMatchObject({ kind: 'regression', name, n: 400, features: f, targets: 1 });
        expect(ds.x).toBeInstanceOf(Float32Array);
        expect(ds.y).toBeInstanceOf(Float32Array);
        expect(ds.x.length).toBe(400 * f);
        expect(ds.y.length).toBe(400);
        for (const v of ds.x) {
          expect(v).toBeGreaterThanOrEqual(-1);
          expect(v).toBeLessThanOrEqual(1);
        }
      });

      it('is deterministic for a seed and different across seeds', () => {
        const a = makeRegression({ name, seed: 11, samples: 100 });
        const b = makeRegression({ name, seed: 11, samples: 100 });
        const c = makeRegression({ name, seed: 12, samples: 100 });
        expect(Array.from(a.x)).toEqual(Array.from(b.x));
        expect(Array.from(a.y)).toEqual(Array.from(b.y));
        expect(Array.from(a.x)).not.toEqual(Array.from(c.x));
      });

      it('follows its formula, with noise of σ = noise × NOISE_SCALE', () => {
        for (const r of residuals(name, 0)) expect(Math.abs(r)).toBeLessThan(1e-6);
        const s = std(residuals(name, 0.4));
        expect(s).toBeGreaterThan(0.4 * NOISE_SCALE * 0.9);
        expect(s).toBeLessThan(0.4 * NOISE_SCALE * 1.1);
      });

      it('comes out shuffled: the last 20% (validation_split) spans the whole x range', () => {
        const ds = makeRegression({ name, seed: 2 });
        const tail = Array.from(ds.x.subarray(Math.floor(0.8 * ds.n) * ds.features)).filter((_, i) => i % ds.features === 0);
        expect(Math.min(...tail)).toBeLessThan(-0.8);
        expect(Math.max(...tail)).toBeGreaterThan(0.8);
      });
    });
  }

  it('spreads the sine evenly over [-1, 1] (one point per slice)', () => {
    const ds = makeRegression({ name: 'sine', samples: 50, seed: 4 });
    const xs = Array.from(ds.x).sort((a, b) => a - b);
    xs.forEach((x, i) => {
      expect(x).toBeGreaterThanOrEqual(-1 + (2 * i) / 50 - 1e-6);
      expect(x).toBeLessThanOrEqual(-1 + (2 * (i + 1)) / 50 + 1e-6);
    });
  });

  it('clamps parameters to the REGRESSIONS ranges', () => {
    expect(resolveRegressionParams({ name: 'sine', samples: 1e9 }).samples).toBe(REGRESSIONS.sine.samples.max);
    expect(resolveRegressionParams({ name: 'plane', noise: 5 }).noise).toBe(1);
    expect(resolveRegressionParams({ name: 'plane', samples: 33.4 }).samples).toBe(33);
    expect(resolveRegressionParams({ name: 'sine' })).toMatchObject({ samples: 400, noise: 0.1, seed: 1 });
    expect(() => resolveRegressionParams({ name: 'cosine' as 'sine' })).toThrow(/unknown regression/);
  });
});
