import type { Lesson } from './types';

/** Lesson 7: overfitting — a big model on 60 samples, and four ways to fight it. */
const code = `# Overfitting — 17 000 weights for 30 training points of a noisy circle
# data: circle
import keras
from keras import layers, regularizers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(128, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=100, batch_size=16, validation_split=0.5)
`;

/** Programs for the steps (step id → program): parsed by the tests, pasted by the e2e test. */
const dense = '    layers.Dense(128, activation="relu"),\n';
const l2 = code.replaceAll(dense, '    layers.Dense(128, activation="relu", kernel_regularizer=regularizers.l2(0.01)),\n');
const dropout = code.replaceAll(dense, `${dense}    layers.Dropout(0.5),\n`);
export const solutions: Record<string, string> = { memorise: code, l2, dropout, 'more-data': code, 'early-stopping': code.replace('epochs=100', 'epochs=7') };

export const lesson: Lesson = {
  id: 'overfitting',
  number: 7,
  title: 'Overfitting and how to fight it',
  learn: 'How a big model learns its few training samples by heart, and four remedies: L2, Dropout, more data and early stopping.',
  minutes: 15,
  setup: {
    code,
    data: { name: 'circle', samples: 60, noise: 0.35, seed: 1 },
    backend: 'cpu',
    seed: 1,
    hide: ['examples', 'eager-vs-compiled']
  },
  steps: [
    {
      id: 'memorise',
      title: 'Learning by heart',
      task: 'The model has 17 000 weights; the data has 60 noisy points, half of them held out for validation. Press Train and watch the training and validation curves.',
      check: { name: 'overfit-gap-at-least', args: { value: 0.5 } },
      notice:
        'Training accuracy reaches 100 % while validation accuracy stays far lower, and the validation loss climbs after its first dip: the model has learned the noise of its 30 training points, not the circle. The decision boundary shows it: little islands around single points. That gap between training and validation is overfitting.',
      hints: ['Train as it is and let the 100 epochs finish.'],
      highlight: 'Train'
    },
    {
      id: 'l2',
      title: 'Remedy 1: L2',
      task: 'Add `kernel_regularizer=regularizers.l2(0.01)` to both hidden Dense layers and train again.',
      check: { name: 'run-matches', args: { regularized: true, maxValLoss: 1.0 } },
      notice:
        'L2 adds 0.01 × the sum of the squared weights to the loss, so large weights cost something. Without large weights the function cannot make sharp islands around single points: it stays smooth, and the validation loss stays much lower. (The training loss shown includes the penalty.)',
      hints: ['`layers.Dense(128, activation="relu", kernel_regularizer=regularizers.l2(0.01)),` — `regularizers` is imported on line 4.'],
      highlight: 'Train'
    },
    {
      id: 'dropout',
      title: 'Remedy 2: Dropout',
      task: 'Remove the regularizers again and add `layers.Dropout(0.5),` after each hidden Dense layer. Train.',
      check: { name: 'final-loss-at-most', args: { value: 1.0, validation: true, withLayer: 'Dropout' } },
      notice:
        'During training Dropout zeroes a random half of the units at every step (and doubles the others), so no unit can rely on one particular partner: the network has to spread what it knows. At prediction time nothing is dropped. The training curves get noisier, the validation ones better.',
      hints: ['Two new lines in the Sequential list: `layers.Dropout(0.5),` after each `layers.Dense(128, ...)`.'],
      highlight: 'Train'
    },
    {
      id: 'more-data',
      title: 'Remedy 3: more data',
      task: 'Go back to the plain model (no Dropout, no L2), set Samples to 400 in the Data panel and train.',
      check: { name: 'run-matches', args: { minSamples: 400, maxValLoss: 0.6 } },
      notice:
        'The best remedy when you can have it: with 200 training points the noise averages out and the same big model finds the circle. Regularization is what you do when you cannot get more data.',
      hints: ['The Samples field is in the Data panel. 400 or more.'],
      highlight: 'Samples'
    },
    {
      id: 'early-stopping',
      title: 'Remedy 4: stop early',
      task:
        'Set Samples back to 60. In Keras you would pass `callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=10, restore_best_weights=True)]` to `fit`; the playground draws the curves itself and does not run callbacks. Do it by hand: find the epoch where the validation loss of your first run was lowest, set `epochs` to about that (at most 30) and train.',
      check: { name: 'run-matches', args: { maxSamples: 60, maxEpochs: 30, nearBest: 0.25 } },
      notice:
        'Stopped at the bottom of the validation curve, before it climbs, the model is as good on new points as this model gets on 60 samples. EarlyStopping does exactly this: it watches val_loss and stops `patience` epochs after its lowest point, then puts back the best weights.',
      hints: [
        'Tick the run in the Runs panel or look at the Loss chart: the dashed validation line has its lowest point in the first 30 epochs.',
        'The run must end with its validation loss within 25 % of the lowest it reached: try `epochs=10` or `epochs=15`.'
      ],
      highlight: 'Train'
    }
  ]
};

