/**
 * Eager training of a TF.js model (`trainModel`: the one training loop, engines/train-loop.ts, driving the eager
 * engine, engines/tfjs/engine.ts) and the decision-boundary grid prediction. TF.js is passed in.
 */
import type { Tfjs } from '$lib/layers/types';
import type { BoundData } from '$lib/data/types';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { runTraining, type TrainHooks, type TrainOptions, type TrainResult } from '../train-loop';
import { tfjsEngine } from './engine';


/** Trains `model` (built from `spec` by buildModel) with the eager engine; the model keeps the trained weights. */
export function trainModel(
  tf: Tfjs,
  model: TF.LayersModel,
  spec: ModelSpec,
  data: BoundData,
  opts: TrainOptions,
  hooks: TrainHooks
): Promise<TrainResult> {
  return runTraining(tfjsEngine({ tf, model, spec }), spec, data, opts, hooks);
}

export interface GridOptions {
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
  /** Cells per side. */
  resolution: number;
}

function gridTensor(tf: Tfjs, g: GridOptions): TF.Tensor2D {
  const r = Math.max(1, Math.floor(g.resolution));
  const pts = new Float32Array(r * r * 2);
  const dx = (g.xMax - g.xMin) / r;
  const dy = (g.yMax - g.yMin) / r;
  for (let row = 0; row < r; row++) {
    const y = g.yMin + (row + 0.5) * dy;
    for (let col = 0; col < r; col++) {
      const o = (row * r + col) * 2;
      pts[o] = g.xMin + (col + 0.5) * dx;
      pts[o + 1] = y;
    }
  }
  return tf.tensor2d(pts, [r * r, 2]);
}

function gridPredict(tf: Tfjs, model: TF.LayersModel, g: GridOptions): TF.Tensor {
  const inShape = model.inputs[0].shape;
  if (model.inputs.length !== 1 || inShape.length !== 2 || inShape[1] !== 2) {
    throw new Error('The decision boundary needs a model with one input of 2 features');
  }
  return tf.tidy(() => {
    const out = model.apply(gridTensor(tf, g), { training: false }) as TF.Tensor | TF.Tensor[];
    const t = Array.isArray(out) ? out[0] : out;
    return tf.reshape(t, [t.shape[0], -1]);
  });
}

/**
 * The model's outputs over a grid of cell centres, for the decision-boundary picture: row-major
 * `[row][col][class]` with row 0 at yMin and col 0 at xMin; `resolution² × units` values. For a
 * 1-unit sigmoid output that is p(class 1) per cell. One batched forward pass. Synchronous
 * (reads back with dataSync); prefer `predictGridAsync` on GPU backends.
 */
export function predictGrid(tf: Tfjs, model: TF.LayersModel, g: GridOptions): Float32Array {
  const t = gridPredict(tf, model, g);
  try {
    return new Float32Array(t.dataSync() as Float32Array);
  } finally {
    t.dispose();
  }
}

export async function predictGridAsync(tf: Tfjs, model: TF.LayersModel, g: GridOptions): Promise<Float32Array> {
  const t = gridPredict(tf, model, g);
  try {
    return new Float32Array((await t.data()) as Float32Array);
  } finally {
    t.dispose();
  }
}
