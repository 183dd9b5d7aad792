/**
 * Teaching mode on the compiled engine (TF.js cpu mirror + ONNX Runtime wasm, in node): a Step pause flushes the
 * queued K-step run, and a learning rate changed at the pause feeds the graph's `lr` input from the next step on.
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { bind, dataset, load } from '$lib/compile/test-helpers';
import { trainCompiled } from '$lib/compile/train-loop';
import { Stepper } from './stepper';

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

const flat = (w: ReturnType<typeof readTfjsWeights>) => Object.values(w).flatMap((ws) => Object.values(ws).flatMap((t) => Array.from(t.data)));

it('compiled: Step pauses after batch 2 with the weights synced; a tiny learning rate from there barely moves them', async () => {
  const { spec } = load('spiral');
  const data = bind(dataset('spiral', 300), spec);
  const model = buildModel(tf, spec, 5);
  const stepper = new Stepper();
  stepper.request('batch');
  let paused = false;
  let pauses = 0;
  let lr: number | null = null;
  let atPause: number[] = [];
  const batches: number[] = [];
  const r = await trainCompiled(ort, tf, model, spec, data, { seed: 3, epochs: 1, batchSize: 32, validationSplit: 0.2, provider: 'wasm' }, {
    onEpoch: () => {},
    onBatch: (b) => batches.push(b.batch),
    shouldStop: () => false,
    isPaused: () => paused,
    afterBatch: (a) => {
      if (stepper.afterBatch(a)) paused = true;
    },
    learningRate: () => lr,
    async waitIfPaused() {
      if (!paused) return;
      pauses++;
      if (pauses === 1) {
        stepper.request('batch'); // one more batch at the program's rate
      } else {
        atPause = flat(readTfjsWeights(model, spec)); // the loop synced the compiled weights into the mirror
        expect(batches).toEqual([1, 2]); // the pause read both steps back: no K-step block ran ahead
        lr = 1e-9;
      }
      paused = false;
    }
  });
  expect(r.status).toBe('completed');
  expect(pauses).toBe(2);
  const end = flat(readTfjsWeights(model, spec));
  const moved = Math.max(...end.map((v, i) => Math.abs(v - atPause[i])));
  // 6 more Adam steps at 1e-9 move each weight by about 6e-9 (at the program's 0.01: about 0.06).
  expect(moved).toBeLessThan(1e-6);
  model.dispose();
}, 60_000);
