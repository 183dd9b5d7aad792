import { spiralNetwork } from './programs';
import type { Lesson } from './types';

/** Lesson 13: race the backends on /bench — where does the GPU start to win? */
const code = spiralNetwork('Benchmark — the spiral network; the race itself runs on the Bench page');

export const lesson: Lesson = {
  id: 'benchmark',
  number: 13,
  title: 'Benchmark on your own hardware',
  learn: 'How the same model runs on the CPU, WebAssembly, WebGL and WebGPU backends of your machine, and from what model size a GPU starts to win.',
  minutes: 10,
  setup: {
    code,
    data: { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3 },
    seed: 1,
    hide: ['examples']
  },
  steps: [
    {
      id: 'tiny',
      title: 'A tiny model',
      task:
        'Open Bench in the top bar (the lesson waits here). Keep "Tiny MLP" and "Quick", press Run and wait until it says Done; then come back with your browser\'s Back button or the Playground link.',
      check: { name: 'event-seen', args: { name: 'bench-done' } },
      notice:
        'On the tiny MLP (371 weights) the CPU and WebAssembly backends usually win: the GPU backends spend more time launching kernels and copying data than computing. A GPU is a wide machine: it needs wide work to fill it.',
      hints: [
        'Bench is the second link in the dark top bar. The race is done when the Benchmark status says "Done".',
        'To be quicker, untick some engines or modes before Run: every ticked combination is one cell of the race.'
      ]
    },
    {
      id: 'wide',
      title: 'A wide model',
      task: 'Go to Bench again, tick "Wide MLP (4×512)" (about 790 000 weights), Run, and come back.',
      check: { name: 'event-matches', args: { name: 'bench-done', key: 'models', includes: 'wide', label: 'a bench run with the Wide MLP' } },
      notice:
        'Now each step multiplies 512 × 512 matrices: enough arithmetic to keep a GPU busy, so WebGPU (or WebGL) pulls ahead, by more at batch 256 than at batch 1. Where your machine\'s crossover lies depends on its GPU: on a laptop without one (or with a software GPU, which the Bench page names) the CPU backends stay ahead.',
      hints: ['Tick the "Wide MLP (4×512)" box under Models. Untick WebGL or the compiled modes to make the race shorter.']
    },
    {
      id: 'read',
      title: 'Reading a benchmark',
      task: 'Read, then go on with Next.',
      notice:
        'Compare backends within one run: timings move with whatever else the machine does. The first steps include compiling shaders and warming caches, which is why the suite runs warm-up steps before it measures; the median of several repeats is steadier than the mean. And the Bench page\'s Share link carries the results, so you can compare machines.'
    }
  ]
};
