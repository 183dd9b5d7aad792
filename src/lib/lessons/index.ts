/** Every lesson, one line each, sorted by number (the /learn page lists them in this order). */
import type { Lesson } from './types';
import { lesson as oneNeuron } from './one-neuron';
import { lesson as hiddenLayers } from './hidden-layers';
import { lesson as activations } from './activations';
import { lesson as convolutions } from './convolutions';
import { lesson as batchNorm } from './batch-norm';
import { lesson as kerasApi } from './keras-api';

export const LESSONS: Lesson[] = [
  oneNeuron,
  hiddenLayers,
  activations,
  convolutions,
  batchNorm,
  kerasApi
].sort((a, b) => a.number - b.number);

export function lessonById(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}
