import type { Lesson } from './types';

/** Lesson 4: the learning rate — too high diverges, too low crawls; a sweep of overlaid runs finds a good one. */
const code = `# The learning rate — plain SGD fits a sine curve; the step size decides whether it learns at all
# data: sine
import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(1,)),
    layers.Dense(32, activation="tanh"),
    layers.Dense(32, activation="tanh"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
              loss="mse", metrics=["mae"])
model.fit(x_train, y_train, epochs=30, batch_size=32, validation_split=0.2)
`;

/** Programs for the steps (step id → program): parsed by the tests, pasted by the e2e test. */
const sgd = (lr: string, extra = '') => code.replace('SGD(learning_rate=0.01)', `SGD(learning_rate=${lr}${extra})`);
export const solutions: Record<string, string> = {
  'too-high': sgd('1.0'),
  'too-low': sgd('0.001'),
  sweep: sgd('0.1'),
  best: sgd('0.1')
};
/** The challenge: a try that falls short (0.3, no momentum: val_loss about 0.05 after 10 epochs) and one that meets it. */
export const challengeTries = {
  short: sgd('0.3').replace('epochs=30', 'epochs=10'),
  met: sgd('0.05', ', momentum=0.9').replace('epochs=30', 'epochs=10')
};

export const lesson: Lesson = {
  id: 'learning-rate',
  number: 4,
  title: 'The learning rate',
  learn: 'Why a learning rate that is too high makes the loss explode and one that is too low barely moves it, and how a sweep of overlaid runs finds a good one.',
  minutes: 12,
  setup: {
    code,
    data: { name: 'sine', samples: 400, noise: 0.1, seed: 1 },
    backend: 'cpu',
    seed: 1,
    hide: ['examples', 'eager-vs-compiled', 'pictures']
  },
  steps: [
    {
      id: 'too-high',
      title: 'Too high',
      task: 'Gradient descent moves every weight by learning rate × gradient. Set `learning_rate=1.0` in `keras.optimizers.SGD(...)` and press Train.',
      check: { name: 'diverged' },
      notice:
        'The loss became infinite within a few batches and the run stopped with the diverged message. A step that is too long jumps over the bottom of the valley and lands higher on the other side, where the slope is steeper, so the next step is longer still: each step makes it worse.',
      hints: ['Change only the number inside `SGD(learning_rate=...)`: 1.0 or 3.0 both diverge here.', 'The run must end as diverged: read the Run status under the Train button.'],
      highlight: 'Train'
    },
    {
      id: 'too-low',
      title: 'Too low',
      task: 'Now set `learning_rate=0.001` and train again.',
      check: { name: 'run-matches', args: { maxLearningRate: 0.001 } },
      notice:
        'Nothing explodes, but after 30 epochs the loss has hardly moved from where it started: every step is a thousandth of the gradient. It would get there, thousands of epochs later.',
      hints: ['`SGD(learning_rate=0.001)`, then Train, and let the 30 epochs finish.'],
      highlight: 'Train'
    },
    {
      id: 'sweep',
      title: 'A sweep',
      task: 'Try three learning rates between those two, one run each: for example `0.01`, `0.1` and `0.3`.',
      check: { name: 'runs-finished-at-least', args: { n: 3, differing: 'learningRate' } },
      notice:
        'Every run is kept in the Runs panel with what made it: the program, the data, the seed, and its curves. That is the habit of TensorBoard and of every experiment tracker: change one thing, keep the record.',
      hints: ['A run that diverges does not count: it must finish.', 'The runs must have three different learning rates.'],
      highlight: 'Train'
    },
    {
      id: 'overlay',
      title: 'Overlay them',
      task: 'In the Runs panel, tick "Overlay" for the runs of the sweep (at least two) to draw their loss curves on one chart.',
      check: { name: 'event-seen', args: { name: 'runs-overlaid' } },
      notice:
        'The table under the charts lists only the settings that differ: here the learning rate. The curves fan out: the small rates crawl, the large ones drop fast and then jitter, because near the bottom a long step keeps overshooting.',
      hints: ['The Runs panel has a checkbox "Overlay <run name>" on every run.']
    },
    {
      id: 'best',
      title: 'Pick the best',
      task: 'Which learning rate reached the lowest validation loss? Train with it (or one near it) until a run with plain SGD ends with a validation loss of at most 0.02 in 30 epochs.',
      check: { name: 'run-matches', args: { optimizer: 'sgd', maxEpochs: 30, maxValLoss: 0.02 } },
      notice:
        'A good learning rate sits just below the ones that diverge or jitter: roughly a factor of 3 to 10 under the first one that blows up. That is why sweeps go in factors (0.001, 0.003, 0.01, 0.03, …) rather than in steps of 0.01.',
      hints: ['Between 0.1 and 0.3 works well for this model.', 'Keep `epochs=30` and plain `SGD(learning_rate=...)` without momentum.'],
      highlight: 'Train'
    }
  ],
  challenge: {
    goal: 'With SGD (momentum allowed), reach a validation loss of at most 0.02 in at most 10 epochs.',
    check: { name: 'run-matches', args: { optimizer: 'sgd|momentum', maxEpochs: 10, maxValLoss: 0.02 } },
    hints: [
      'Ten epochs are 100 steps here: each one must count. The largest learning rate that does not diverge is not always the best: it may jitter at the end.',
      'Momentum remembers the direction of past steps and speeds up along the valley: `keras.optimizers.SGD(learning_rate=0.05, momentum=0.9)`.',
      'Smaller batches give more steps per epoch: `batch_size=16` doubles them.'
    ]
  }
};

