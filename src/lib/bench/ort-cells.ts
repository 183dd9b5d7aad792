/**
 * The benchmark's ONNX Runtime cells: `train-compiled` (the compiled engine, compile/engine.ts) and `infer` (the same
 * engine opened for inference: the exported forward graph), on the ORT provider named by the cell's backend
 * (wasm | webgpu, with the shared fallback). Same seeded weights (the eager engine's initial ones) and the same
 * synthetic batch as the TF.js cells, so the values compare with the TF.js CPU reference (compiled losses vs eager
 * losses of the first steps). Measured by runner.ts `measureEngineCell`: a compiled call is one run of K steps, its
 * sample ms per STEP.
 */
import { compiledEngine } from '$lib/compile/engine';
import type { OrtModule } from '$lib/compile/runner';
import type { EngineOpener } from '$lib/engines/engine';
import { buildTfjsEngine } from '$lib/engines/tfjs/engine';
import type { Tfjs } from '$lib/layers/types';
import type { WeightMap } from '$lib/onnx/export';
import type { ModelSpec } from '$lib/spec/types';
import type { BenchModel } from './models';
import { measureEngineCell, type CellMeasurement, type CellOptions, type EngineCellExtra } from './runner';
import type { Cell } from './suite';

export type OrtCellExtra = EngineCellExtra;

/** The seeded initial weights of `spec` (TF.js builds them, so every engine starts from the eager engine's weights). */
async function initialWeights(tf: Tfjs, spec: ModelSpec, seed: number): Promise<WeightMap> {
  const eager = await buildTfjsEngine(tf, spec, seed)({ data: { x: new Float32Array(), y: new Float32Array(), xShape: [0], yShape: [0] } as never, nTrain: 0, batchSize: 1, seed, startEpoch: 0 });
  try {
    return await eager.getWeights();
  } finally {
    await eager.dispose();
  }
}

/** The engine an ORT cell runs: the compiled engine, training or inference only. */
export function ortCellEngine(ort: OrtModule, tf: Tfjs, m: BenchModel, cell: Pick<Cell, 'mode' | 'backend'>, seed: number): EngineOpener {
  if (cell.backend !== 'wasm' && cell.backend !== 'webgpu') throw new Error(`ONNX Runtime runs on wasm or webgpu, not ${cell.backend}`);
  if (cell.mode === 'train-eager') throw new Error('ONNX Runtime runs the compiled step only');
  const provider = cell.backend;
  return async (setup) => {
    const weights = await initialWeights(tf, m.spec, seed);
    return compiledEngine({ ort, spec: m.spec, provider, weights, maskSeed: seed, metrics: [], inferOnly: cell.mode === 'infer' })(setup);
  };
}

export async function measureOrtCell(ort: OrtModule, tf: Tfjs, m: BenchModel, cell: Pick<Cell, 'mode' | 'batch' | 'backend'>, opts: CellOptions): Promise<CellMeasurement & OrtCellExtra> {
  return measureEngineCell(ortCellEngine(ort, tf, m, cell, opts.seed), m, cell, opts);
}
