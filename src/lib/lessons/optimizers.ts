import { spiralNetwork } from './programs';
import type { Lesson } from './types';

/** Lesson 6: SGD, momentum and Adam race from the same initial weights. */
const code = spiralNetwork('Optimizers race — the spiral network; only the optimizer changes between runs', { epochs: 30, optimizer: 'keras.optimizers.SGD(learning_rate=0.05)' });

/** Programs for the steps (step id → program): parsed by the tests, pasted by the e2e test. */
const withOptimizer = (o: string) => code.replace('keras.optimizers.SGD(learning_rate=0.05)', o);
export const momentum = withOptimizer('keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)');
export const adam = withOptimizer('keras.optimizers.Adam(learning_rate=0.01)');
/** The challenge: 99 parameters (2·8+8, 8·6+6, 6·3+3); Adam 0.01 stays under 95 % in 200 epochs, 0.03 gets there. */
export const tinyModel = (lr: number) =>
  withOptimizer(`keras.optimizers.Adam(learning_rate=${lr})`)
    .replace('layers.Dense(16, activation="relu"),\n    layers.Dense(16, activation="relu"),', 'layers.Dense(8, activation="tanh"),\n    layers.Dense(6, activation="tanh"),')
    .replace('epochs=30', 'epochs=200');
export const solutions: Record<string, string> = { race: adam };
/** The challenge: Adam 0.01 falls short (about 88 % after 200 epochs), Adam 0.03 meets it (about 99 %). */
export const challengeTries = { short: tinyModel(0.01), met: tinyModel(0.03) };

export const lesson: Lesson = {
  id: 'optimizers',
  number: 6,
  title: 'Optimizers race: SGD, momentum, Adam',
  learn: 'How plain SGD, SGD with momentum and Adam move the same weights from the same start, and why Adam is the usual first choice.',
  minutes: 12,
  setup: {
    code,
    data: { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3 },
    backend: 'cpu',
    seed: 1,
    hide: ['examples', 'eager-vs-compiled']
  },
  steps: [
    {
      id: 'race',
      title: 'Three runners, one start',
      task:
        'Leave the Weight seed as it is, so every run starts from the same initial weights. Train three times: as written (`SGD(learning_rate=0.05)`), then with `keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)`, then with `keras.optimizers.Adam(learning_rate=0.01)`.',
      check: { name: 'runs-differ-in', args: { setting: 'optimizer', count: 3, sameSeed: true } },
      notice:
        'Same weights at epoch 0, same batches in the same order: whatever differs between the curves is the optimizer alone. A fair race needs one start line.',
      hints: [
        'Only the `optimizer=` argument of `model.compile` changes between the three runs.',
        'Momentum counts as its own runner: `SGD(learning_rate=0.05, momentum=0.9)`.',
        'Each run must finish its 30 epochs, with the same Weight seed.'
      ],
      highlight: 'Train'
    },
    {
      id: 'overlay',
      title: 'The finish line',
      task: 'In the Runs panel, tick "Overlay" for the three runs.',
      check: { name: 'event-seen', args: { name: 'runs-overlaid' } },
      notice:
        'Plain SGD crawls: the same step size for every weight, and each step only looks at the current gradient. Momentum adds up past steps like a ball rolling downhill, so it speeds up along long gentle slopes and damps the zig-zag across narrow ones. Adam also keeps a running average of each weight\'s squared gradient and divides by its root: every weight gets its own step size, so badly scaled directions stop mattering.',
      hints: ['Tick the checkbox "Overlay <run name>" of each of the three runs.']
    },
    {
      id: 'why',
      title: 'When not Adam?',
      task: 'Read, then go on with Next.',
      notice:
        'Adam is the usual first choice because it needs the least tuning. Well-tuned SGD with momentum is still used for large image models, where it often generalises slightly better, and AdamW (Adam with decoupled weight decay) trains most transformers. The learning rate still matters for all of them: lesson 4.'
    }
  ],
  challenge: {
    goal: 'End a run with a validation accuracy of at least 95 % on the spiral, with a model of at most 100 parameters.',
    check: { name: 'run-matches', args: { data: 'spiral', maxParams: 100, minValAcc: 0.95 } },
    hints: [
      'Parameters of a Dense layer: inputs × units + units. Two hidden layers of 8 and 6 units with 3 outputs make 24 + 54 + 21 = 99.',
      'A small network needs a bolder optimizer: `Adam(learning_rate=0.03)` and more epochs (200).',
      'Smooth activations such as `tanh` bend the boundary with fewer units than relu.'
    ]
  }
};

