/** Every lesson, one line each, sorted by number (the /learn page lists them in this order). */
import type { Lesson } from './types';
import { lesson as oneNeuron } from './one-neuron';
import { lesson as hiddenLayers } from './hidden-layers';
import { lesson as activations } from './activations';
import { lesson as convolutions } from './convolutions';
import { lesson as batchNorm } from './batch-norm';
import { lesson as kerasApi } from './keras-api';
// lessons 4–8 and 12–17 (their checkpoints: checkpoints-runs.ts)
import { lesson as learningRate } from './learning-rate';
import { lesson as batchSize } from './batch-size';
import { lesson as optimizers } from './optimizers';
import { lesson as overfitting } from './overfitting';
import { lesson as initialization } from './initialization';
import { lesson as eagerVsCompiled } from './eager-vs-compiled';
import { lesson as benchmark } from './benchmark';
import { lesson as onnx } from './onnx';
import { lesson as quantization } from './quantization';
import { lesson as rnnMemory } from './rnn-memory';
import { lesson as attention } from './attention';

export const LESSONS: Lesson[] = [
  oneNeuron,
  hiddenLayers,
  activations,
  convolutions,
  batchNorm,
  kerasApi,
  // 4–8, 12–17
  learningRate,
  batchSize,
  optimizers,
  overfitting,
  initialization,
  eagerVsCompiled,
  benchmark,
  onnx,
  quantization,
  rnnMemory,
  attention
].sort((a, b) => a.number - b.number);

export function lessonById(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}
