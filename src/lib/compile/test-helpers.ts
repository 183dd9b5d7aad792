/**
 * Shared by the compiled-vs-eager tests (train-step.test.ts, train-step-images.test.ts): examples, data, the eager
 * reference (the app's own trainModel on TF.js cpu) and the compiled run (CompiledTrainer on ORT wasm).
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { bindData } from '$lib/data/bind';
import { parseDigits } from '$lib/data/digits';
import { makeRegression } from '$lib/data/regression';
import { makeToy, type ToyName } from '$lib/data/toys';
import { isSequenceName, makeSequence } from '$lib/data/sequences';
import { dataConstants } from '$lib/data/constants';
import { builtinText, isTextName, makeTextDataset, TEXTS } from '$lib/data/text';
import type { BoundData, Dataset, SequenceDataset } from '$lib/data/types';
import { buildModel } from '$lib/engines/tfjs/build';
import { trainModel } from '$lib/engines/tfjs/train';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { parseExampleHeader } from '$lib/examples';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes } from '$lib/spec/shape';
import type { ModelSpec } from '$lib/spec/types';
import { useDropoutMasks } from './dropout-masks';
import { CompiledTrainer } from './runner';

let digits: Dataset | null = null;
const texts: Record<string, string> = {};
/**
 * `rows` rows of a data set, as the app makes it with seed 1 (text and sequences: their default sequence length
 * unless `seqLen` is given; the texts read from static/).
 */
export function dataset(name: string, rows: number, seqLen?: number): Dataset {
  if (isTextName(name) || isSequenceName(name)) {
    let ds: SequenceDataset;
    if (isTextName(name)) {
      texts[name] ??= builtinText(name, readFileSync(`static/${TEXTS[name].path}`, 'utf8'));
      ds = makeTextDataset(texts[name], { name, seed: 1, samples: rows, seqLen });
    } else {
      ds = makeSequence({ name, seed: 1, samples: rows, seqLen });
    }
    // The generators have a minimum number of samples: keep the first `rows`.
    const per = ds.y.length / ds.n;
    return { ...ds, x: ds.x.subarray(0, rows * ds.features), y: ds.y.subarray(0, rows * per), n: Math.min(rows, ds.n) };
  }
  if (name === 'digits') {
    digits ??= parseDigits(readFileSync('static/data/digits.bin'));
    const d = digits as Dataset & { features: number };
    return { ...d, x: d.x.subarray(0, rows * d.features), labels: (d as { labels: Int32Array }).labels.subarray(0, rows), n: rows, test: undefined } as Dataset;
  }
  if (name === 'sine' || name === 'plane') return makeRegression({ name, seed: 1, samples: rows });
  return makeToy({ name: name as ToyName, seed: 1, samples: rows });
}

/** parseProgram with the data's constants (`ParseOptions.constants`). */
const parse = parseProgram as (source: string, opts?: { constants?: Record<string, number> }) => ReturnType<typeof parseProgram>;

/**
 * An example's spec (parsed with its data's `vocab_size` / `seq_len`: the data set's defaults, or `seqLen` for text and
 * sequence data, as the Data panel's Sequence length would) and its data set name.
 */
export function load(id: string, seqLen?: number): { spec: ModelSpec; data: string } {
  const source = readFileSync(`examples/${id}.py`, 'utf8');
  const r = parse(source, { constants: dataConstants(parseExampleHeader(source)?.data ?? '', { seqLen }) });
  if (!r.spec) throw new Error(`${id}: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  return { spec: r.spec, data: parseExampleHeader(source)?.data ?? 'spiral' };
}

export function bind(ds: Dataset, spec: ModelSpec): BoundData {
  const r = bindData(ds, spec, inferShapes(spec).summary!.outputShapes[0]);
  if (!r.ok) throw new Error(r.message);
  return r.data;
}

/** Eager: the app's trainModel, one epoch over the rows in order (no shuffle, no validation); losses per batch. */
export async function eager(spec: ModelSpec, data: BoundData, batch: number, seed: number) {
  const model = buildModel(tf, spec, seed);
  const weights = readTfjsWeights(model, spec);
  let step = 0;
  useDropoutMasks(tf, model, spec, seed, () => step);
  const losses: number[] = [];
  const r = await trainModel(tf, model, spec, data, { seed, epochs: 1, batchSize: batch, validationSplit: 0, shuffle: false }, {
    onEpoch: () => {},
    onBatch: (b) => {
      losses.push(b.loss);
      step++;
    },
    shouldStop: () => false,
    waitIfPaused: async () => {}
  });
  const after = readTfjsWeights(model, spec);
  model.optimizer?.dispose();
  model.dispose();
  return { weights, losses, log: r.status === 'completed' ? r.history[0] : null, after };
}

export async function compiled(spec: ModelSpec, data: BoundData, batch: number, seed: number, weights: ReturnType<typeof readTfjsWeights>, k: number) {
  const t = await CompiledTrainer.create(ort, { spec, batchSize: batch, provider: 'wasm', weights, seed, stepsPerRun: k });
  const rx = data.x.length / data.n;
  const ry = data.y.length / data.n;
  for (let s = 0; s < data.n; s += batch) {
    const e = Math.min(data.n, s + batch);
    await t.step(data.x.subarray(s * rx, e * rx), data.y.subarray(s * ry, e * ry));
  }
  await t.flush();
  const res = await t.readLosses();
  const w = await t.getWeights();
  await t.dispose();
  return { res, weights: w, nodeCount: t.nodeCount, compileMs: t.compileMs };
}

/**
 * Every weight of `expected` (the eager run's trained weights) is in `got` (the compiled run's) and agrees: the largest
 * absolute difference over the largest magnitude (at least 1e-3) is below `limit`. `label` prefixes the failure message.
 *
 * Except MultiHeadAttention's `key/bias`: it adds q·b_k to every score of a query row, which the softmax takes away, so
 * its true gradient is 0 and each engine's float rounding (≈1e-9) is what Adam normalises into full-size steps. It
 * has no effect on any output (the losses agree), so its values are not compared.
 */
export function expectWeightsClose(expected: ReturnType<typeof readTfjsWeights>, got: Awaited<ReturnType<typeof compiled>>['weights'], limit: number, label = ''): void {
  for (const [node, ws] of Object.entries(expected)) {
    for (const [name, w] of Object.entries(ws)) {
      const g = got[node]?.[name];
      expect(g, `${node}/${name}`).toBeDefined();
      if (name === 'key/bias') continue;
      let num = 0;
      let den = 0;
      w.data.forEach((v, i) => {
        num = Math.max(num, Math.abs(v - g!.data[i]));
        den = Math.max(den, Math.abs(v));
      });
      expect(num / Math.max(den, 1e-3), `${label}${node}/${name}`).toBeLessThan(limit);
    }
  }
}

export function maxRel(a: number[], b: number[]): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]) / Math.max(Math.abs(b[i]), 1e-3)));
}

export const EXAMPLES = readdirSync('examples')
  .filter((f) => f.endsWith('.py'))
  .map((f) => f.replace(/\.py$/, ''))
  .sort();

// Batch sizes: the examples' own except for the image models (kept small for time on a loaded machine).
const SMALL: Record<string, number> = { digits_cnn: 8, digits_mlp: 16, bn_dropout_cnn: 8 };


/** Runs `steps` batches (the last one partial) both ways and checks losses, the epoch metric and the weights. */
export async function compareExample(id: string, steps: number, batchOverride?: number, tol = 1e-3, seqLen?: number): Promise<void> {
  const { spec, data: dsName } = load(id, seqLen);
  const batch = batchOverride ?? spec.fit?.batchSize ?? 32;
  const rows = (steps - 1) * batch + Math.ceil(batch / 2);
  const data = bind(dataset(dsName, rows, seqLen), spec);
  const seed = 7;
  const t0 = performance.now();
  const e = await eager(spec, data, batch, seed);
  const t1 = performance.now();
  const c = await compiled(spec, data, batch, seed, e.weights, 4);
  expect(c.res).toHaveLength(steps);
  expect(e.losses).toHaveLength(steps);
  const losses = c.res.map((r) => r.loss);
  const err = maxRel(losses, e.losses);
  console.log(`${id}: batch ${batch}, ${c.nodeCount} nodes (K=4), compile ${c.compileMs.toFixed(0)} ms, eager ${(t1 - t0).toFixed(0)} ms, compiled ${(performance.now() - t1).toFixed(0)} ms; loss ${e.losses[0].toFixed(4)} → ${e.losses[steps - 1].toFixed(4)}, max rel diff ${err.toExponential(2)}`);
  if (err > 1e-4) console.log(`${id} relative difference per step:`, losses.map((v, i) => (Math.abs(v - e.losses[i]) / Math.abs(e.losses[i])).toExponential(1)).join(' '));
  expect(err).toBeLessThanOrEqual(tol);
  // The epoch's metric (weighted by batch size) as the eager loop reports it.
  const key = e.log?.acc !== undefined ? 'acc' : e.log?.mae !== undefined ? 'mae' : null;
  if (key) {
    let sum = 0;
    c.res.forEach((r, i) => (sum += r.metric! * (i === steps - 1 ? data.n - (steps - 1) * batch : batch)));
    expect(Math.abs(sum / data.n - e.log![key]!)).toBeLessThan(key === 'acc' ? 0.01 : 1e-3);
  }
  // Trained weights (and BatchNormalization's moving statistics) agree too.
  expectWeightsClose(e.after, c.weights, 10 * tol, `${id} `);
}
