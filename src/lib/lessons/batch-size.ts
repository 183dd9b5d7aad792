import { spiralNetwork } from './programs';
import type { Lesson } from './types';

/** Lesson 5: batch size — big batches give smooth but few steps, small ones noisy but many. */
const code = spiralNetwork('Batch size — the same spiral network; only batch_size changes between runs');

/** Programs for the steps (step id → program): parsed by the tests, pasted by the e2e test. */
const batch = (n: number) => code.replace('batch_size=32', `batch_size=${n}`);
export const solutions: Record<string, string> = { big: batch(256), small: batch(8), middle: batch(32) };

export const lesson: Lesson = {
  id: 'batch-size',
  number: 5,
  title: 'Batch size and the noise of the loss',
  learn: 'What the batch size trades: smooth but few steps against many noisy ones, and why the per-batch loss jumps around.',
  minutes: 10,
  setup: {
    code,
    data: { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3 },
    backend: 'cpu',
    seed: 1,
    hide: ['examples', 'eager-vs-compiled']
  },
  steps: [
    {
      id: 'big',
      title: 'One big batch',
      task: 'Set `batch_size=256` in `model.fit(...)` and press Train. Watch the grey line in the Loss chart: the loss of every batch.',
      check: { name: 'run-matches', args: { minBatchSize: 256 } },
      notice:
        '480 training rows make 2 steps per epoch: each gradient is an average over 256 samples, so the batch loss is smooth. But 20 epochs are only 40 steps and the loss is still high.',
      hints: ['Change `batch_size=32` to `batch_size=256`, then Train and let the 20 epochs finish.'],
      highlight: 'Train'
    },
    {
      id: 'small',
      title: 'Tiny batches',
      task: 'Now set `batch_size=8` and train again.',
      check: { name: 'run-matches', args: { maxBatchSize: 8 } },
      notice:
        '60 steps per epoch: each gradient comes from 8 samples only, so the batch loss jumps up and down, yet the loss falls much further in the same 20 epochs. Each epoch takes longer: many small steps keep the hardware less busy than a few big ones (the time per epoch is in the Training metrics).',
      hints: ['`batch_size=8`, then Train.'],
      highlight: 'Train'
    },
    {
      id: 'overlay',
      title: 'Side by side',
      task: 'In the Runs panel, tick "Overlay" for the two runs to see their loss and accuracy per epoch on one chart.',
      check: { name: 'event-seen', args: { name: 'runs-overlaid' } },
      notice:
        'Per epoch, the small batch wins here: it took 30 times more steps. Per step the big batch wins: its steps point in a better direction. The noise of small batches is not only a cost: it shakes the weights out of narrow valleys and often generalises better.',
      hints: ['Each run has a checkbox "Overlay <run name>" in the Runs panel.']
    },
    {
      id: 'middle',
      title: 'The usual compromise',
      task: 'Train once more with `batch_size=32` or `batch_size=64`, the sizes most programs start with.',
      check: { name: 'run-matches', args: { minBatchSize: 32, maxBatchSize: 64 } },
      notice:
        'A middle size keeps most of the progress per epoch and uses the hardware well. When you make the batch k times larger, scaling the learning rate up by about k (or √k for Adam) keeps the progress per epoch similar: the "linear scaling rule".',
      hints: ['`batch_size=32`, then Train.'],
      highlight: 'Train'
    }
  ]
};

