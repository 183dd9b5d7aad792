/**
 * Timing (printed, not asserted): spiral MLP at batch 32, ms per training step, eager TF.js (cpu; wasm when it loads
 * in node) vs the compiled step on ORT wasm with K = 1, 4, 16 steps per run(). Interleaved rounds, medians.
 */
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { trainModel } from '$lib/engines/tfjs/train';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { CompiledTrainer } from './runner';
import { bind, dataset, load } from './test-helpers';

const STEPS = 160;
const BATCH = 32;

async function eagerMs(backend: string, rounds: number): Promise<number[]> {
  await tf.setBackend(backend);
  await tf.ready();
  const { spec } = load('spiral');
  const data = bind(dataset('spiral', STEPS * BATCH), spec);
  const out: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const model = buildModel(tf, spec, 1);
    const res = await trainModel(tf, model, spec, data, { seed: 1, epochs: 1, batchSize: BATCH, validationSplit: 0, shuffle: false }, { onEpoch: () => {}, shouldStop: () => false, waitIfPaused: async () => {} });
    if (res.status === 'completed') out.push(res.history[0].ms / Math.ceil(data.n / BATCH));
    model.optimizer?.dispose();
    model.dispose();
  }
  return out;
}

async function compiledMs(k: number, rounds: number): Promise<{ ms: number[]; compileMs: number; nodes: number }> {
  await tf.setBackend('cpu');
  const { spec } = load('spiral');
  const data = bind(dataset('spiral', STEPS * BATCH), spec);
  const model = buildModel(tf, spec, 1);
  const weights = readTfjsWeights(model, spec);
  model.dispose();
  const t = await CompiledTrainer.create(ort, { spec, batchSize: BATCH, provider: 'wasm', weights, seed: 1, stepsPerRun: k });
  const rx = data.x.length / data.n;
  const ry = data.y.length / data.n;
  const ms: number[] = [];
  const full = Math.floor(data.n / BATCH);
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < STEPS; i++) {
      const s = i % full;
      await t.step(data.x.subarray(s * BATCH * rx, (s + 1) * BATCH * rx), data.y.subarray(s * BATCH * ry, (s + 1) * BATCH * ry));
      if (i % 16 === 15) await t.readLosses(); // read the loss back every few steps only
    }
    await t.flush();
    const losses = await t.readLosses();
    ms.push((performance.now() - t0) / STEPS);
    expect(losses.every((l) => Number.isFinite(l.loss))).toBe(true);
  }
  const out = { ms, compileMs: t.compileMs, nodes: t.nodeCount };
  await t.dispose();
  return out;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v: number[]) => `${median(v).toFixed(3)} ms/step (${v.map((x) => x.toFixed(3)).join(', ')})`;

describe('timing (printed only)', () => {
  it('spiral MLP, batch 32: eager TF.js vs compiled ORT wasm (interleaved rounds)', async () => {
    ort.env.wasm.numThreads = 1;
    const lines: string[] = [];
    const results: Record<string, number[]> = {};
    const push = (k: string, v: number[]) => (results[k] ??= []).push(...v);
    let wasmOk = false;
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      wasmOk = await tf.setBackend('wasm');
    } catch (e) {
      lines.push(`tfjs wasm backend did not load in node: ${(e as Error).message.slice(0, 120)}`);
    }
    const info: string[] = [];
    for (let round = 0; round < 4; round++) {
      push('eager tfjs cpu', await eagerMs('cpu', 1));
      if (wasmOk) push('eager tfjs wasm', await eagerMs('wasm', 1));
      for (const k of [1, 4, 16]) {
        const c = await compiledMs(k, 1);
        push(`compiled ort wasm K=${k}`, c.ms);
        if (round === 0) info.push(`compiled K=${k}: ${c.nodes} nodes, compile ${c.compileMs.toFixed(0)} ms`);
      }
    }
    const base = median(results['eager tfjs cpu']);
    lines.push(...info);
    for (const [name, v] of Object.entries(results)) lines.push(`${name.padEnd(24)} ${fmt(v)}  ×${(base / median(v)).toFixed(2)} vs eager cpu`);
    console.log(lines.join('\n'));
    await tf.setBackend('cpu');
  }, 180_000);
});
