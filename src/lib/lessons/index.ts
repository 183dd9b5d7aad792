/** Every lesson, one line each, sorted by number (the /learn page lists them in this order). */
import type { Lesson } from './types';
import { lesson as oneNeuron } from './one-neuron';

export const LESSONS: Lesson[] = [
  oneNeuron
].sort((a, b) => a.number - b.number);

export function lessonById(id: string): Lesson | undefined {
  return LESSONS.find((l) => l.id === id);
}
