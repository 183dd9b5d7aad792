/**
 * `npm run bench -- --timing`: in node, no browser. Spiral MLP at batch 32, ms per training step, eager TF.js (cpu;
 * wasm when it loads in node) vs the compiled step on ORT wasm with K = 1, 4, 16 steps per run(). Interleaved
 * rounds, medians. Printed, not asserted (it was src/lib/compile/timing.test.ts, a benchmark run by every test run).
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { bindData } from '$lib/data/bind';
import { makeToy } from '$lib/data/toys';
import type { BoundData } from '$lib/data/types';
import { buildModel } from '$lib/engines/tfjs/build';
import { trainModel } from '$lib/engines/tfjs/train';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes } from '$lib/spec/shape';
import type { ModelSpec } from '$lib/spec/types';
import { CompiledTrainer } from '$lib/compile/runner';

const STEPS = 160;
const BATCH = 32;
const ROUNDS = 4;
const KS = [1, 4, 16];

function spiral(): { spec: ModelSpec; data: BoundData } {
  const r = parseProgram(readFileSync('examples/spiral.py', 'utf8'));
  if (!r.spec) throw new Error(`examples/spiral.py: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  const spec = r.spec;
  const bound = bindData(makeToy({ name: 'spiral', seed: 1, samples: STEPS * BATCH }), spec, inferShapes(spec).summary!.outputShapes[0]);
  if (!bound.ok) throw new Error(bound.message);
  return { spec, data: bound.data };
}

async function eagerMs(backend: string): Promise<number[]> {
  await tf.setBackend(backend);
  await tf.ready();
  const { spec, data } = spiral();
  const model = buildModel(tf, spec, 1);
  const res = await trainModel(tf, model, spec, data, { seed: 1, epochs: 1, batchSize: BATCH, validationSplit: 0, shuffle: false }, { onEpoch: () => {}, shouldStop: () => false, waitIfPaused: async () => {} });
  model.optimizer?.dispose();
  model.dispose();
  return res.status === 'completed' ? [res.history[0].ms / Math.ceil(data.n / BATCH)] : [];
}

async function compiledMs(k: number): Promise<{ ms: number; compileMs: number; nodes: number }> {
  await tf.setBackend('cpu');
  const { spec, data } = spiral();
  const model = buildModel(tf, spec, 1);
  const weights = readTfjsWeights(model, spec);
  model.dispose();
  const t = await CompiledTrainer.create(ort, { spec, batchSize: BATCH, provider: 'wasm', weights, seed: 1, stepsPerRun: k });
  try {
    const rx = data.x.length / data.n;
    const ry = data.y.length / data.n;
    const full = Math.floor(data.n / BATCH);
    const t0 = performance.now();
    for (let i = 0; i < STEPS; i++) {
      const s = i % full;
      await t.step(data.x.subarray(s * BATCH * rx, (s + 1) * BATCH * rx), data.y.subarray(s * BATCH * ry, (s + 1) * BATCH * ry));
      if (i % 16 === 15) await t.readLosses(); // read the loss back every few steps only
    }
    await t.flush();
    const losses = await t.readLosses();
    const ms = (performance.now() - t0) / STEPS;
    if (!losses.every((l) => Number.isFinite(l.loss))) throw new Error(`compiled K=${k}: a loss is not finite`);
    return { ms, compileMs: t.compileMs, nodes: t.nodeCount };
  } finally {
    await t.dispose();
  }
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const fmt = (v: number[]) => `${median(v).toFixed(3)} ms/step (${v.map((x) => x.toFixed(3)).join(', ')})`;

/** Runs the timing and returns the printed lines (about 3 minutes on 2 cores). */
export async function runTiming(log: (line: string) => void = () => {}): Promise<string[]> {
  ort.env.wasm.numThreads = 1;
  const lines: string[] = ['Spiral MLP, batch 32: eager TF.js vs compiled ORT wasm (ms per step, median of interleaved rounds)'];
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
  for (let round = 0; round < ROUNDS; round++) {
    log(`round ${round + 1}/${ROUNDS}`);
    push('eager tfjs cpu', await eagerMs('cpu'));
    if (wasmOk) push('eager tfjs wasm', await eagerMs('wasm'));
    for (const k of KS) {
      const c = await compiledMs(k);
      push(`compiled ort wasm K=${k}`, [c.ms]);
      if (round === 0) info.push(`compiled K=${k}: ${c.nodes} nodes, compile ${c.compileMs.toFixed(0)} ms`);
    }
  }
  const base = median(results['eager tfjs cpu']);
  lines.push(...info);
  for (const [name, v] of Object.entries(results)) lines.push(`${name.padEnd(24)} ${fmt(v)}  ×${(base / median(v)).toFixed(2)} vs eager cpu`);
  await tf.setBackend('cpu');
  return lines;
}
