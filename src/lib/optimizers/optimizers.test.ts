/**
 * The optimizer registry: every entry documented, Keras' names, and its compiled lowering (ONNX) takes the same steps
 * as its TF.js lowering on one small parameter (3 steps, fixed gradients). The 20-step runs on a real model are in
 * compile/optimizers.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ArgValue } from '$lib/spec/types';
import { defaultLearningRate, OPTIMIZER_LIST, OPTIMIZER_STRINGS, OPTIMIZERS, type OptimizerDef } from '.';
import { relDiff, runGraph } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('optimizer registry', () => {
  it('documents every optimizer and argument, learning_rate first', () => {
    for (const o of OPTIMIZER_LIST) {
      expect(o.doc.length, o.name).toBeGreaterThan(10);
      expect(o.args[0].name).toBe('learning_rate');
      expect(defaultLearningRate(o.name)).toBeGreaterThan(0);
      for (const a of o.args) {
        expect(a.doc.length, `${o.name}.${a.name}`).toBeGreaterThan(3);
        expect(a.default, `${o.name}.${a.name}`).not.toBeUndefined();
      }
      expect(OPTIMIZERS[o.name]).toBe(o);
      expect(OPTIMIZER_STRINGS[o.name]).toBe(o.name);
      expect(OPTIMIZER_STRINGS[o.className]).toBe(o.name);
    }
    expect(new Set(OPTIMIZER_LIST.map((o) => o.className)).size).toBe(OPTIMIZER_LIST.length);
  });

  const CASES: { name: keyof typeof OPTIMIZERS; args: Record<string, ArgValue> }[] = [
    ...OPTIMIZER_LIST.map((o) => ({ name: o.name, args: {} })),
    { name: 'sgd', args: { momentum: 0.9 } },
    { name: 'sgd', args: { momentum: 0.5, nesterov: true } },
    { name: 'adam', args: { beta_1: 0.8, beta_2: 0.99, epsilon: 1e-4 } },
    { name: 'rmsprop', args: { rho: 0.8, momentum: 0.3, centered: true, epsilon: 1e-12 } },
    { name: 'adagrad', args: { initial_accumulator_value: 0.5 } }
  ];

  for (const c of CASES) {
    it(`compiled ${c.name} ${JSON.stringify(c.args)} matches TF.js over 3 steps`, async () => {
      const def = OPTIMIZERS[c.name] as OptimizerDef;
      const lr = 0.05;
      const w0 = Float32Array.from([0.5, -1, 2]);
      const grads = [
        [0.3, -0.2, 1],
        [0.1, 0.4, -0.5],
        [-0.2, 0.3, 0.6]
      ].map((g) => Float32Array.from(g));

      const v = tf.variable(tf.tensor1d(w0), true);
      const opt = def.toTfjs(tf, lr, c.args);
      for (const g of grads) opt.applyGradients({ [v.name]: tf.tensor1d(g) });
      const expected = v.dataSync();

      const plan = def.toOnnx(c.args);
      let w: Float32Array = w0;
      let slots: Float32Array[] = plan.slots.map((s) => new Float32Array(3).fill(s.init));
      let globals: Float32Array[] = plan.globals.map((s) => Float32Array.of(s.init));
      for (const g of grads) {
        const feeds = {
          w: { data: w, dims: [3] },
          g: { data: g, dims: [3] },
          lr: { data: Float32Array.of(lr), dims: [] },
          ...Object.fromEntries(slots.map((s, i) => [`s${i}`, { data: s, dims: [3] }])),
          ...Object.fromEntries(globals.map((s, i) => [`p${i}`, { data: s, dims: [] }]))
        };
        const out = await runGraph(feeds, (gb, x) => {
          const r = plan.emit(gb, x.lr, [{ value: x.w, grad: x.g, slots: slots.map((_, i) => x[`s${i}`]) }], globals.map((_, i) => x[`p${i}`]));
          return [r.values[0], ...r.slots[0], ...r.globals];
        }, [[3], ...slots.map(() => [3]), ...globals.map(() => [])]);
        w = out[0];
        slots = out.slice(1, 1 + slots.length);
        globals = out.slice(1 + slots.length);
      }
      expect(relDiff(w, expected)).toBeLessThan(1e-5);
      expect(relDiff(w, w0)).toBeGreaterThan(1e-3); // it moved
      opt.dispose();
      v.dispose();
    });
  }
});
