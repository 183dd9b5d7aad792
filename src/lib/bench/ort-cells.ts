/**
 * The benchmark's ONNX Runtime cells: `train-compiled` (the compiled training step, compile/runner.ts) and `infer`
 * (the exported forward graph, onnx/export.ts), on the ORT provider named by the cell's backend (wasm | webgpu).
 * Same seeded weights (buildModel + readTfjsWeights) and the same synthetic batch as the TF.js cells, so the values
 * compare with the TF.js CPU reference (compiled losses vs eager losses of the first steps).
 *
 * A compiled "call" is one run() of K steps (stepsPerRun) read back once; its sample is ms per STEP (ms / K), so the
 * row's median is directly comparable with the eager row's ms per step.
 */
import { buildModel } from '$lib/engines/tfjs/build';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import type { Tfjs } from '$lib/layers/types';
import { exportOnnxBytes } from '$lib/onnx/export';
import { CompiledTrainer, type OrtModule } from '$lib/compile/runner';
import type { BenchModel } from './models';
import { syntheticBatch, timedRepeats, type CellMeasurement, type CellOptions } from './runner';
import type { Cell } from './suite';

/** Times `call` like runner.ts measureCell: warm calls (fewer for slow cells), then the timed repeats. */
async function repeat(call: () => Promise<number>, opts: CellOptions, warmupMs: number): Promise<number[]> {
  const { warmCalls, budgetMs } = opts.repeats;
  const warm = Math.min(warmCalls, Math.max(1, Math.floor(budgetMs / Math.max(warmupMs, 1e-3))));
  for (let i = 0; i < warm; i++) await call();
  return opts.referenceOnly ? [] : timedRepeats(call, opts);
}

export interface OrtCellExtra {
  /** The ORT provider that ran. */
  provider: string;
  compileMs: number;
  nodeCount: number;
  stepsPerRun: number;
}

export async function measureOrtCell(ort: OrtModule, tf: Tfjs, m: BenchModel, cell: Pick<Cell, 'mode' | 'batch' | 'backend'>, opts: CellOptions): Promise<CellMeasurement & OrtCellExtra> {
  if (cell.backend !== 'wasm' && cell.backend !== 'webgpu') throw new Error(`ONNX Runtime runs on wasm or webgpu, not ${cell.backend}`);
  if (cell.mode === 'train-eager') throw new Error('ONNX Runtime runs the compiled step only');
  const t0 = performance.now();
  const model = buildModel(tf, m.spec, opts.seed);
  const weights = readTfjsWeights(model, m.spec);
  model.optimizer?.dispose();
  model.dispose();
  const data = syntheticBatch(m.spec, m.summary.outputShapes[0], cell.batch, opts.seed);

  if (cell.mode === 'train-compiled') {
    const trainer = await CompiledTrainer.create(ort, { spec: m.spec, batchSize: cell.batch, provider: cell.backend, weights, seed: opts.seed });
    const K = trainer.stepsPerRun;
    try {
      const run = async () => {
        const s = performance.now();
        for (let k = 0; k < K; k++) await trainer.step(data.x, data.y);
        const losses = await trainer.readLosses();
        return { ms: (performance.now() - s) / K, losses };
      };
      const first = await run();
      const warmupMs = performance.now() - t0;
      const values = first.losses.map((l) => l.loss);
      const samples = await repeat(async () => (await run()).ms, opts, first.ms * K);
      return { warmupMs, samples, values: Float32Array.from(values), tensors: 0, bytes: 0, leakedTensors: 0, provider: trainer.provider, compileMs: trainer.compileMs, nodeCount: trainer.nodeCount, stepsPerRun: K };
    } finally {
      await trainer.dispose();
    }
  }

  const c0 = performance.now();
  const session = await ort.InferenceSession.create(exportOnnxBytes(m.spec, weights), { executionProviders: [cell.backend], graphOptimizationLevel: 'all' });
  const compileMs = performance.now() - c0;
  const input = session.inputNames[0];
  try {
    const call = async () => {
      const s = performance.now();
      const out = await session.run({ [input]: new ort.Tensor('float32', data.x, data.xShape) });
      const first = out[session.outputNames[0]];
      const v = Float32Array.from((await first.getData()) as Float32Array);
      for (const t of Object.values(out)) t.dispose();
      return { ms: performance.now() - s, v };
    };
    const first = await call();
    const warmupMs = performance.now() - t0;
    const samples = await repeat(async () => (await call()).ms, opts, first.ms);
    return { warmupMs, samples, values: first.v, tensors: 0, bytes: 0, leakedTensors: 0, provider: cell.backend, compileMs, nodeCount: 0, stepsPerRun: 1 };
  } finally {
    await session.release();
  }
}
