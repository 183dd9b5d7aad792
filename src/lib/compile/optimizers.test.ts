/**
 * Every optimizer update of the compiled step vs TF.js' own optimizer (`makeOptimizer`, through the app's trainModel):
 * 20 steps on the spiral MLP, same initial weights and batches; the trained weights agree to ~1e-5 relative.
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ArgValue, ModelSpec, OptimizerName } from '$lib/spec/types';
import { bind, compiled, dataset, eager, load } from './test-helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

/**
 * `tanh`: TF.js' centered RMSprop computes √(ms − mg² − ε), NaN for a weight whose gradient is exactly 0 (a dead
 * ReLU unit) or any with 0.09·g² < ε at the first step — in eager and, matching it, compiled. Its case uses tanh
 * and ε = 1e-12 so that does not happen.
 */
const CASES: { name: OptimizerName; lr: number; args: Record<string, ArgValue>; label: string; tanh?: boolean }[] = [
  { label: 'SGD', name: 'sgd', lr: 0.1, args: {} },
  { label: 'SGD momentum', name: 'sgd', lr: 0.05, args: { momentum: 0.9 } },
  { label: 'SGD Nesterov', name: 'sgd', lr: 0.05, args: { momentum: 0.8, nesterov: true } },
  { label: 'Adam', name: 'adam', lr: 0.01, args: {} },
  { label: 'Adam (beta_1, beta_2, epsilon)', name: 'adam', lr: 0.02, args: { beta_1: 0.8, beta_2: 0.99, epsilon: 1e-5 } },
  { label: 'RMSprop', name: 'rmsprop', lr: 0.005, args: {} },
  { label: 'RMSprop momentum', name: 'rmsprop', lr: 0.005, args: { momentum: 0.5, rho: 0.8 } },
  { label: 'RMSprop centered', name: 'rmsprop', lr: 0.002, args: { centered: true, epsilon: 1e-12 }, tanh: true },
  { label: 'Adagrad', name: 'adagrad', lr: 0.1, args: {} },
  { label: 'Adagrad (initial_accumulator_value)', name: 'adagrad', lr: 0.05, args: { initial_accumulator_value: 0.5 } }
];

describe('optimizer updates vs TF.js over 20 steps', () => {
  for (const c of CASES) {
    it(c.label, async () => {
      const base = load('spiral').spec;
      if (c.tanh) base.layers = base.layers.map((l) => (l.args.activation === 'relu' ? { ...l, args: { ...l.args, activation: 'tanh' } } : l));
      const spec: ModelSpec = { ...base, compile: { ...base.compile!, optimizer: { ...base.compile!.optimizer, name: c.name, learningRate: c.lr, args: c.args } } };
      const batch = 16;
      const data = bind(dataset('spiral', 20 * batch), spec);
      const e = await eager(spec, data, batch, 3);
      const r = await compiled(spec, data, batch, 3, e.weights, 4);
      expect(r.res).toHaveLength(20);
      let worst = 0;
      let moved = 0;
      for (const [node, ws] of Object.entries(e.after)) {
        for (const [name, w] of Object.entries(ws)) {
          const got = r.weights[node][name].data;
          const init = e.weights[node][name].data;
          let num = 0;
          let den = 0;
          w.data.forEach((v, i) => {
            num = Math.max(num, Math.abs(v - got[i]));
            den = Math.max(den, Math.abs(v));
            moved = Math.max(moved, Math.abs(v - init[i]));
          });
          worst = Math.max(worst, num / Math.max(den, 1e-3));
        }
      }
      console.log(`${c.label}: max relative weight difference after 20 steps ${worst.toExponential(2)} (weights moved up to ${moved.toFixed(3)})`);
      expect(moved).toBeGreaterThan(1e-3); // the optimizer did something
      expect(worst).toBeLessThan(2e-5);
      const losses = r.res.map((x) => x.loss);
      losses.forEach((l, i) => expect(Math.abs(l - e.losses[i]) / Math.abs(e.losses[i])).toBeLessThan(1e-5));
    }, 30_000);
  }
});
