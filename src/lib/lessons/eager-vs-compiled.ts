import { spiralNetwork } from './programs';
import type { Lesson } from './types';

/** Lesson 12: eager (op by op, the PyTorch idea) against compiled (the whole step as one graph, the JAX idea). */
const code = spiralNetwork('Eager vs compiled — the spiral network, trained op by op or as one compiled graph');

export const solutions: Record<string, string> = { eager: code, compiled: code };

export const lesson: Lesson = {
  id: 'eager-vs-compiled',
  number: 12,
  title: 'Eager vs compiled',
  learn: 'Two ways to run the same training step: op by op, easy to inspect (PyTorch), or compiled into one graph that runs as a whole (JAX), and what each costs.',
  minutes: 12,
  setup: {
    code,
    data: { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3 },
    backend: 'wasm',
    engine: 'eager',
    seed: 1,
    hide: ['examples']
  },
  steps: [
    {
      id: 'eager',
      title: 'Eager: one op at a time',
      task: 'The Engine is set to Eager (TF.js). Press Train.',
      check: { name: 'run-matches', args: { engine: 'eager' } },
      notice:
        'Eager execution runs each operation the moment the program reaches it: a matrix product, then an add, then a relu, each one a separate kernel launch with its result in hand. That is PyTorch\'s default (and TF 2\'s): you can print or break at any tensor, and a Python `if` can depend on a value. The price is overhead per op: the framework decides, allocates and dispatches every op again at every step.',
      hints: ['Train with the Engine on "Eager (TF.js)" and let it finish.'],
      highlight: 'Train'
    },
    {
      id: 'compare',
      title: 'Race the two',
      task: 'In the "Eager vs compiled" panel, press "Compare eager and compiled" and wait until it is done.',
      check: { name: 'event-seen', args: { name: 'compare-done' } },
      notice:
        'Same initial weights, same batches: the two loss curves lie on top of each other, because both compute the same thing. What differs is how: eager dispatches dozens of kernels per step, the compiled step is one graph (forward, backward and optimizer) that ONNX Runtime optimised before the first step (fusing ops, planning memory once) and then replays. The compile time is paid once; the speed-up per step is what you keep. On a model this small the per-op overhead dominates, which is where compiling helps most. (On WebGPU the playground compiles the same graph into its own fused GPU kernels instead of handing it to ONNX Runtime: 25 dispatches per spiral step instead of about 200.)',
      hints: ['The panel is below the others, titled "Eager vs compiled". It needs a model the compiler supports: this one is.'],
      highlight: 'Compare eager and compiled'
    },
    {
      id: 'compiled',
      title: 'Train compiled',
      task: 'Set the Engine to "Compiled (one ONNX graph)" and press Train.',
      check: { name: 'run-matches', args: { engine: 'compiled' } },
      notice:
        'This is the JAX idea: `jax.jit` traces the whole step function once into a graph (XLA compiles it), and every later step runs that graph. Nothing happens op by op any more, so a Python `print` inside the step shows a tracer, not a number, and a value-dependent `if` must become a graph op. You trade inspectability for speed.',
      hints: ['The Engine toggle is in the Training panel, above the Train button.'],
      highlight: 'Compiled (one ONNX graph)'
    },
    {
      id: 'hybridize',
      title: 'One switch: hybridize',
      task: 'Read, then go on with Next.',
      notice:
        'MXNet\'s Gluon put both worlds behind one switch: you write and debug a HybridBlock eagerly, then call `net.hybridize()` and the next call traces it into a static graph that runs from then on. PyTorch\'s `torch.compile(model)` and Keras\' `jit_compile=True` are the same bargain today: develop eager, then compile the step once it works. The Engine toggle here is that switch.'
    }
  ]
};
