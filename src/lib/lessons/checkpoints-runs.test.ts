import { describe, expect, it } from 'vitest';
import type { RunRecord } from '$lib/runs/types';
import type { DataSettings } from '$lib/state/playground.svelte';
import type { EpochLog } from '$lib/worker/protocol';
import { accuracyGap, layerKinds, eventMatches, runMatches, runsDifferIn, runsRepeat, optimizerKind, runSpec } from './checkpoints-runs';
import type { LessonEvent, LessonWorld } from './types';

const DATA: DataSettings = {
  name: 'spiral',
  samples: 600,
  noise: 0.1,
  seed: 1,
  classes: 3,
  validationSplit: 0,
  edits: [],
  csv: { target: null, task: 'auto', standardize: true } as unknown as DataSettings['csv'],
  seqLen: 8
};

function program(o: { layers?: string; optimizer?: string; epochs?: number; batch?: number; input?: string; loss?: string } = {}) {
  return `import keras
from keras import layers, regularizers

model = keras.Sequential([
    keras.Input(shape=${o.input ?? '(2,)'}),
${o.layers ?? '    layers.Dense(16, activation="relu"),\n    layers.Dense(3, activation="softmax"),'}
])
model.compile(optimizer=${o.optimizer ?? 'keras.optimizers.Adam(learning_rate=0.01)'},
              loss="${o.loss ?? 'categorical_crossentropy'}", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=${o.epochs ?? 10}, batch_size=${o.batch ?? 32}, validation_split=0.2)
`;
}

let counter = 0;
function run(o: Partial<Omit<RunRecord, 'settings'>> & { settings?: Partial<RunRecord['settings']>; logs?: Partial<EpochLog>[] } = {}): RunRecord {
  counter++;
  const history = (o.logs ?? [{ loss: 0.5, acc: 0.8, valLoss: 0.6, valAcc: 0.75 }]).map((l, i) => ({ epoch: i + 1, loss: 1, ms: 1, valMs: 1, ...l }) as EpochLog);
  return {
    id: `r${counter}`,
    sessionId: null,
    name: `Run ${counter}`,
    startedAt: 1000 + counter,
    status: 'completed',
    message: null,
    ranOn: 'cpu',
    history,
    ...o,
    settings: {
      code: program(),
      data: DATA,
      engine: 'eager',
      backend: 'cpu',
      seed: 1,
      optimizer: 'adam',
      learningRate: 0.01,
      batchSize: 32,
      epochs: history.length,
      params: 99,
      ...o.settings
    }
  } as RunRecord;
}

function world(runs: RunRecord[], events: LessonEvent[] = [], since = 0): LessonWorld {
  return {
    since,
    code: '',
    spec: null,
    summary: null,
    data: DATA,
    engine: 'eager',
    backend: 'cpu',
    seed: 1,
    current: { status: 'idle', history: [], message: null },
    runs,
    events
  } as LessonWorld;
}

describe('run-matches', () => {
  it('needs a run in the asked status', () => {
    expect(runMatches(world([]), { status: 'diverged' })).toEqual({ ok: false, detail: 'no diverged run yet' });
    expect(runMatches(world([run({ status: 'completed' })]), { status: 'diverged' }).ok).toBe(false);
    expect(runMatches(world([run({ status: 'diverged' })]), { status: 'diverged' }).ok).toBe(true);
    // Default: a finished (completed) run; a running one is mentioned.
    expect(runMatches(world([run({ status: 'running' })]), {})).toEqual({ ok: false, detail: 'no finished run yet (one is running)' });
  });

  it('reads optimizers, layers, regularizers and initializers from the program the run trained', () => {
    const sgd = run({ settings: { code: program({ optimizer: 'keras.optimizers.SGD(learning_rate=0.1)' }) } });
    const momentum = run({ settings: { code: program({ optimizer: 'keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)' }) } });
    expect(optimizerKind(runSpec(sgd), null)).toBe('sgd');
    expect(optimizerKind(runSpec(momentum), null)).toBe('momentum');
    const zero = run({ settings: { code: program({ optimizer: 'keras.optimizers.SGD(learning_rate=0.1, momentum=0.0)' }) } });
    expect(optimizerKind(runSpec(zero), null)).toBe('sgd');
    expect(runMatches(world([sgd]), { optimizer: 'momentum' }).ok).toBe(false);
    expect(runMatches(world([sgd, momentum]), { optimizer: 'momentum' }).ok).toBe(true);

    const dropout = run({ settings: { code: program({ layers: '    layers.Dense(16, activation="relu"),\n    layers.Dropout(0.5),\n    layers.Dense(3, activation="softmax"),' }) } });
    expect(layerKinds(runSpec(dropout)).has('Dropout')).toBe(true);
    expect(runMatches(world([sgd]), { layer: 'Dropout' }).detail).toBe('no finished run with a Dropout layer yet');
    expect(runMatches(world([dropout]), { layer: 'Dropout' }).ok).toBe(true);

    const l2 = run({ settings: { code: program({ layers: '    layers.Dense(16, activation="relu", kernel_regularizer=regularizers.l2(0.01)),\n    layers.Dense(3, activation="softmax"),' }) } });
    expect(runMatches(world([dropout]), { regularized: true }).ok).toBe(false);
    expect(runMatches(world([l2]), { regularized: true }).ok).toBe(true);

    const zeros = run({ settings: { code: program({ layers: '    layers.Dense(16, activation="relu", kernel_initializer="zeros"),\n    layers.Dense(3, activation="softmax"),' }) } });
    expect(runMatches(world([sgd]), { initializer: 'zeros' }).ok).toBe(false);
    expect(runMatches(world([zeros]), { initializer: 'zeros' }).ok).toBe(true);
  });

  it('sees a wrapped recurrent layer and a KerasHub block by their kinds', () => {
    const data: DataSettings = { ...DATA, name: 'reverse', seqLen: 6 };
    const bidi = run({
      settings: {
        data,
        code: program({ input: '(seq_len,), dtype="int32"', layers: '    layers.Embedding(vocab_size, 8),\n    layers.Bidirectional(layers.LSTM(16, return_sequences=True)),\n    layers.Dense(vocab_size, activation="softmax"),', loss: 'sparse_categorical_crossentropy' })
      }
    });
    expect(runSpec(bidi)).not.toBeNull();
    expect(runMatches(world([bidi]), { layer: ['GRU', 'LSTM'] }).ok).toBe(true);
    expect(runMatches(world([bidi]), { layer: 'SimpleRNN' }).ok).toBe(false);
    const encoder = run({
      settings: {
        data,
        code: `import keras
from keras import layers
import keras_hub

inputs = keras.Input(shape=(seq_len,), dtype="int32")
x = keras_hub.layers.TokenAndPositionEmbedding(vocab_size, seq_len, 16)(inputs)
x = keras_hub.layers.TransformerEncoder(intermediate_dim=32, num_heads=2)(x)
outputs = layers.Dense(vocab_size, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=3, batch_size=64, validation_split=0.1)
`
      }
    });
    expect(runMatches(world([encoder]), { layer: 'TransformerEncoder' }).ok).toBe(true);
    expect(runMatches(world([encoder]), { layer: 'MultiHeadAttention' }).ok).toBe(true);
    expect(runMatches(world([encoder]), { layer: 'TransformerEncoder', withoutLayer: 'TokenAndPositionEmbedding' }).ok).toBe(false);
  });

  it('checks final metrics and says how close the best run came', () => {
    const a = run({ logs: [{ acc: 0.5, valAcc: 0.5 }, { acc: 0.9, valAcc: 0.88 }] });
    const b = run({ logs: [{ acc: 0.95, valAcc: 0.91 }] });
    expect(runMatches(world([a, b]), { minValAcc: 0.95 })).toEqual({ ok: false, detail: 'best final validation accuracy so far 91.0 %; needs ≥ 95.0 %' });
    const c = run({ logs: [{ acc: 0.99, valAcc: 0.97 }], settings: { params: 120 } });
    expect(runMatches(world([a, b, c]), { minValAcc: 0.95, maxParams: 100 }).ok).toBe(false);
    expect(runMatches(world([a, b, c]), { minValAcc: 0.95 }).ok).toBe(true);
    expect(runMatches(world([a, b, c]), { minValAcc: 0.95 }).detail).toBe(`${c.name}: final validation accuracy 97.0 %`);
  });

  it('measures the gap between training and validation accuracy, and stopping near the best epoch', () => {
    const overfit = run({ logs: [{ acc: 0.8, valAcc: 0.8, valLoss: 0.5 }, { acc: 1, valAcc: 0.8, valLoss: 1.5 }] });
    expect(accuracyGap(overfit)).toBeCloseTo(0.2);
    expect(runMatches(world([overfit]), { minGap: 0.1 }).ok).toBe(true);
    expect(runMatches(world([overfit]), { maxGap: 0.1 }).ok).toBe(false);
    expect(runMatches(world([overfit]), { nearBest: 0.2 }).ok).toBe(false);
    const early = run({ logs: [{ acc: 0.7, valAcc: 0.7, valLoss: 0.6 }, { acc: 0.8, valAcc: 0.8, valLoss: 0.5 }, { acc: 0.85, valAcc: 0.8, valLoss: 0.55 }] });
    expect(runMatches(world([early]), { nearBest: 0.2, maxEpochs: 3 }).ok).toBe(true);
    expect(runMatches(world([early]), { nearBest: 0.2, maxEpochs: 2 }).ok).toBe(false);
  });

  it('checks learning rate, batch size, samples, engine and data', () => {
    const r = run({ settings: { learningRate: 0.001, batchSize: 8, engine: 'compiled', data: { ...DATA, samples: 60 } } });
    const w = world([r]);
    expect(runMatches(w, { maxLearningRate: 0.001 }).ok).toBe(true);
    expect(runMatches(w, { minLearningRate: 0.01 }).ok).toBe(false);
    expect(runMatches(w, { maxBatchSize: 8 }).ok).toBe(true);
    expect(runMatches(w, { minBatchSize: 128 }).ok).toBe(false);
    expect(runMatches(w, { engine: 'compiled' }).ok).toBe(true);
    expect(runMatches(w, { engine: 'eager' }).ok).toBe(false);
    expect(runMatches(w, { maxSamples: 60, data: 'spiral' }).ok).toBe(true);
    expect(runMatches(w, { minSamples: 400 }).ok).toBe(false);
  });
});

describe('runs-differ-in', () => {
  it('counts different values of a setting among finished runs', () => {
    const lr = (v: number, status: RunRecord['status'] = 'completed') => run({ status, settings: { learningRate: v } });
    expect(runsDifferIn(world([lr(0.1), lr(0.1)]), { setting: 'learningRate', count: 2 })).toEqual({
      ok: false,
      detail: '1 of 2 different learning rates in finished runs so far (0.1)'
    });
    expect(runsDifferIn(world([lr(0.1), lr(1, 'diverged')]), { setting: 'learningRate', count: 2 }).ok).toBe(false);
    expect(runsDifferIn(world([lr(0.1), lr(1, 'diverged')]), { setting: 'learningRate', count: 2, status: 'ended' }).ok).toBe(true);
    expect(runsDifferIn(world([lr(0.1), lr(0.01), lr(0.001)]), { setting: 'learningRate', count: 3 }).ok).toBe(true);
  });

  it('races optimizers from one weight seed', () => {
    const o = (code: string, seed: number) => run({ settings: { seed, code: program({ optimizer: code }) } });
    const sgd = 'keras.optimizers.SGD(learning_rate=0.1)';
    const mom = 'keras.optimizers.SGD(learning_rate=0.1, momentum=0.9)';
    const adam = 'keras.optimizers.Adam(learning_rate=0.01)';
    expect(runsDifferIn(world([o(sgd, 1), o(mom, 2), o(adam, 1)]), { setting: 'optimizer', count: 3, sameSeed: true }).ok).toBe(false);
    expect(runsDifferIn(world([o(sgd, 1), o(mom, 2), o(adam, 1)]), { setting: 'optimizer', count: 3 }).ok).toBe(true);
    const same = runsDifferIn(world([o(sgd, 3), o(mom, 3), o(adam, 3)]), { setting: 'optimizer', count: 3, sameSeed: true });
    expect(same).toEqual({ ok: true, detail: '3 finished runs from the same weight seed with different optimizers: sgd, momentum, adam' });
  });

  it('tells weight seeds apart', () => {
    expect(runsDifferIn(world([run(), run({ settings: { seed: 2 } })]), { setting: 'seed', count: 2 }).ok).toBe(true);
    expect(runsDifferIn(world([run(), run()]), { setting: 'seed', count: 2 }).ok).toBe(false);
  });
});

describe('event-matches', () => {
  const ev = (name: LessonEvent['name'], at: number, detail?: LessonEvent['detail']): LessonEvent => ({ name, at, ...(detail ? { detail } : {}) });
  it('needs the event after the step opened', () => {
    expect(eventMatches(world([], [ev('compare-done', 5)], 10), { name: 'compare-done' }).ok).toBe(false);
    expect(eventMatches(world([], [ev('compare-done', 15)], 10), { name: 'compare-done' }).ok).toBe(true);
    expect(eventMatches(world([], [ev('bench-done', 15)], 10), { name: 'compare-done' }).ok).toBe(false);
  });

  it('checks a numeric or string detail', () => {
    const w = world([], [ev('quantized-compared', 1, { variants: 2 })]);
    expect(eventMatches(w, { name: 'quantized-compared', key: 'variants', min: 3 })).toEqual({
      ok: false,
      detail: 'quantized-compared happened, but variants was 2; needs ≥ 3'
    });
    expect(eventMatches(world([], [ev('quantized-compared', 1, { variants: 3 })]), { name: 'quantized-compared', key: 'variants', min: 3 }).ok).toBe(true);
    expect(eventMatches(world([], [ev('onnx-exported', 1, { variant: 'fp16' })]), { name: 'onnx-exported', key: 'variant', equals: 'int8' }).ok).toBe(false);
    expect(eventMatches(world([], [ev('onnx-exported', 1, { variant: 'int8' })]), { name: 'onnx-exported', key: 'variant', equals: 'int8' }).ok).toBe(true);
  });
});

describe('runs-repeat', () => {
  it('needs two runs of the same program and seed that ended at the same loss', () => {
    const a = run({ logs: [{ loss: 0.5 }, { loss: 0.25 }] });
    const b = run({ logs: [{ loss: 0.5 }, { loss: 0.25 }] });
    const other = run({ logs: [{ loss: 0.5 }, { loss: 0.25 }], settings: { seed: 2 } });
    const drift = run({ logs: [{ loss: 0.5 }, { loss: 0.2501 }] });
    expect(runsRepeat(world([a, other]), {}).ok).toBe(false);
    expect(runsRepeat(world([a, drift]), {})).toEqual({ ok: false, detail: `${a.name} and ${drift.name} ended at loss 0.250000 and 0.250100: not the same run` });
    expect(runsRepeat(world([a, drift, b]), {}).ok).toBe(true);
  });
});

describe('event-matches includes', () => {
  it('finds one item of a comma list', () => {
    const w = world([], [{ name: 'bench-done', at: 1, detail: { models: 'tiny,wide' } }]);
    expect(eventMatches(w, { name: 'bench-done', key: 'models', includes: 'wide' }).ok).toBe(true);
    expect(eventMatches(w, { name: 'bench-done', key: 'models', includes: 'cnn' }).ok).toBe(false);
  });
});
