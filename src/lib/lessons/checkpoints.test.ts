import { describe, expect, it } from 'vitest';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes } from '$lib/spec/shape';
import { DEFAULT_DATA } from '$lib/state/playground.svelte';
import type { RunRecord } from '$lib/runs/types';
import type { EpochLog } from '$lib/worker/protocol';
import { CHECKPOINT_DEFS, CHECKPOINTS, checkpointProblem, evaluateCheckpoint } from './checkpoints';
import type { LessonWorld } from './types';

const CODE = `import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(8, activation="tanh"),
    layers.Dense(4, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5, batch_size=32, validation_split=0.2)
`;

const SINCE = 1000;

function log(epoch: number, loss: number, acc: number, valLoss?: number, valAcc?: number): EpochLog {
  return { epoch, loss, acc, ...(valLoss !== undefined ? { valLoss, valAcc } : {}), ms: 1, valMs: 1 };
}

function run(over: Partial<RunRecord> & { lr?: number; code?: string } = {}): RunRecord {
  const { lr = 0.01, code = CODE, ...rest } = over;
  return {
    id: `r${Math.random()}`,
    sessionId: null,
    name: 'Run',
    startedAt: SINCE + 10,
    settings: { code, data: { ...DEFAULT_DATA, name: 'xor' }, engine: 'eager', backend: 'cpu', seed: 1, optimizer: 'sgd', learningRate: lr, batchSize: 32, epochs: 5, params: 65 },
    history: [log(1, 0.7, 0.5, 0.7, 0.5), log(2, 0.4, 0.8, 0.5, 0.85)],
    status: 'completed',
    message: null,
    ranOn: 'cpu',
    ...rest
  };
}

function world(over: Partial<LessonWorld> = {}, code = CODE): LessonWorld {
  const r = parseProgram(code);
  const spec = r.diagnostics.some((d) => d.severity === 'error') ? null : r.spec;
  return {
    since: SINCE,
    code,
    spec,
    summary: spec ? inferShapes(spec).summary : null,
    data: { ...DEFAULT_DATA, name: 'xor' },
    engine: 'eager',
    backend: 'cpu',
    seed: 1,
    current: { status: 'idle', history: [], message: null },
    runs: [],
    events: [],
    ...over
  };
}

const check = (name: string, args: Record<string, never> | Record<string, unknown>, w: LessonWorld) => evaluateCheckpoint({ name, args: args as never }, w);

describe('checkpoints', () => {
  it('run-finished: needs a finished run since the step opened, and says what is missing', () => {
    expect(check('run-finished', {}, world())).toEqual({ ok: false, detail: 'no finished run yet: press Train' });
    expect(check('run-finished', {}, world({ runs: [run({ startedAt: SINCE - 1 })] })).ok).toBe(false);
    expect(check('run-finished', {}, world({ runs: [run({ status: 'running' })] })).detail).toMatch(/still going/);
    expect(check('run-finished', {}, world({ runs: [run()] }))).toEqual({ ok: true, detail: 'a run finished after 2 epochs' });
    expect(check('run-finished', { minEpochs: 3 }, world({ runs: [run()] })).ok).toBe(false);
    expect(check('run-finished', { withLayer: 'Conv2D' }, world({ runs: [run()] })).ok).toBe(false);
    expect(check('run-finished', { withLayer: 'Dense', withActivation: 'tanh' }, world({ runs: [run()] })).ok).toBe(true);
    expect(check('run-finished', { withActivation: 'elu' }, world({ runs: [run()] })).ok).toBe(false);
    expect(check('run-finished', { maxParams: 65 }, world({ runs: [run()] })).ok).toBe(true);
    expect(check('run-finished', { maxParams: 64 }, world({ runs: [run()] })).detail).toBe('no finished run with at most 64 parameters yet');
    expect(check('run-finished', { style: 'sequential' }, world({ runs: [run()] })).ok).toBe(true);
    expect(check('run-finished', { style: 'functional' }, world({ runs: [run()] })).ok).toBe(false);
  });

  it('best accuracies compare the best epoch of finished runs', () => {
    const w = world({ runs: [run()] });
    expect(check('best-val-accuracy-at-least', { value: 0.8 }, w)).toEqual({ ok: true, detail: 'best validation accuracy 0.85 ≥ 0.80' });
    expect(check('best-val-accuracy-at-least', { value: 0.9 }, w)).toEqual({ ok: false, detail: 'best validation accuracy 0.85 < 0.90' });
    expect(check('best-train-accuracy-at-least', { value: 0.8 }, w).ok).toBe(true);
    expect(check('best-train-accuracy-at-least', { value: 0.81 }, w).ok).toBe(false);
    const noVal = world({ runs: [run({ history: [log(1, 0.5, 0.9)] })] });
    expect(check('best-val-accuracy-at-least', { value: 0.5 }, noVal).detail).toMatch(/validation_split/);
  });

  it('val-accuracy-below: a finished run that never got past the value', () => {
    expect(check('val-accuracy-below', { value: 0.8 }, world({ runs: [run()] })).ok).toBe(false);
    const weak = run({ history: [log(1, 0.69, 0.5, 0.69, 0.55), log(2, 0.68, 0.6, 0.68, 0.7)] });
    expect(check('val-accuracy-below', { value: 0.8 }, world({ runs: [run(), weak] }))).toEqual({ ok: true, detail: 'a run never got past accuracy 0.70 (< 0.80)' });
  });

  it('final loss, overfitting gap and divergence', () => {
    const w = world({ runs: [run()] });
    expect(check('final-loss-at-most', { value: 0.4 }, w).ok).toBe(true);
    expect(check('final-loss-at-most', { value: 0.39 }, w).ok).toBe(false);
    expect(check('final-loss-at-most', { value: 0.45, validation: true }, w).ok).toBe(false);
    expect(check('overfit-gap-at-least', { value: 0.1 }, w).ok).toBe(true);
    expect(check('overfit-gap-at-least', { value: 0.2 }, w).detail).toBe('largest gap (validation − training loss) 0.100 < 0.2');
    expect(check('diverged', {}, w).ok).toBe(false);
    expect(check('diverged', {}, world({ runs: [run({ status: 'diverged', message: 'loss is NaN at epoch 2' })] }))).toEqual({ ok: true, detail: 'a run diverged: loss is NaN at epoch 2' });
  });

  it('runs-finished-at-least counts runs, or distinct values of a setting', () => {
    const w = world({ runs: [run({ lr: 0.1 }), run({ lr: 0.1 }), run({ lr: 0.01 })] });
    expect(check('runs-finished-at-least', { n: 3 }, w).ok).toBe(true);
    expect(check('runs-finished-at-least', { n: 3, differing: 'learningRate' }, w)).toEqual({ ok: false, detail: '2 finished runs with different learningRate (0.1, 0.01); 3 needed' });
    expect(check('runs-finished-at-least', { n: 2, differing: 'learningRate' }, w).ok).toBe(true);
    expect(check('runs-finished-at-least', { n: 2, differing: 'batchSize' }, w).ok).toBe(false);
  });

  it('program checkpoints read the current model', () => {
    const w = world();
    expect(check('hidden-layers-at-least', { n: 2 }, w)).toEqual({ ok: true, detail: '2 hidden Dense layers' });
    expect(check('hidden-layers-at-least', { n: 3 }, w).ok).toBe(false);
    // 2·8+8 + 8·4+4 + 4+1 = 65
    expect(check('params-at-most', { n: 65 }, w).ok).toBe(true);
    expect(check('params-at-most', { n: 64 }, w).detail).toBe('65 parameters > 64');
    expect(check('uses-activation', { name: 'tanh' }, w).ok).toBe(true);
    expect(check('uses-activation', { name: 'elu' }, w).ok).toBe(false);
    expect(check('uses-layer', { class: 'Dense', count: 3 }, w).ok).toBe(true);
    expect(check('uses-layer', { class: 'Conv2D' }, w).detail).toBe('0 Conv2D layers; 1 needed');
    expect(check('optimizer-is', { name: 'sgd' }, w).ok).toBe(true);
    expect(check('optimizer-is', { name: 'adam' }, w).detail).toBe('the optimizer is sgd, not adam');
    expect(check('model-style-is', { style: 'functional' }, w).ok).toBe(false);
    const broken = world({}, 'model = keras.Sequential([layers.Nope()])');
    expect(check('uses-layer', { class: 'Dense' }, broken).detail).toMatch(/errors/);
  });

  it('events, engine, backend, data set, code', () => {
    const w = world({ events: [{ name: 'inspected', at: SINCE - 5 }, { name: 'inspected', at: SINCE + 5 }], engine: 'compiled' });
    expect(check('event-seen', { name: 'inspected' }, w).ok).toBe(true);
    expect(check('event-seen', { name: 'inspected', count: 2 }, w).detail).toBe('inspected: seen 1 of 2 times');
    expect(check('engine-is', { name: 'compiled' }, w).ok).toBe(true);
    expect(check('backend-is', { name: 'wasm' }, w).ok).toBe(false);
    expect(check('dataset-is', { name: 'xor' }, w).ok).toBe(true);
    expect(check('code-contains', { text: 'Dense(8' }, w).ok).toBe(true);
  });

  it('all-of passes when every part passes, sharing the arguments', () => {
    const w = world({ runs: [run()] });
    expect(check('all-of', { checks: ['best-val-accuracy-at-least', 'params-at-most'], value: 0.8, n: 100 }, w).ok).toBe(true);
    const r = check('all-of', { checks: ['best-val-accuracy-at-least', 'params-at-most'], value: 0.8, n: 10 }, w);
    expect(r).toEqual({ ok: false, detail: '65 parameters > 10' });
  });

  it('refuses unknown checkpoints and wrong arguments by name', () => {
    expect(checkpointProblem({ name: 'nope' })).toMatch(/unknown checkpoint "nope"/);
    expect(checkpointProblem({ name: 'params-at-most' })).toBe('checkpoint "params-at-most" needs the argument n');
    expect(checkpointProblem({ name: 'params-at-most', args: { n: '3' } })).toMatch(/n should be a number/);
    expect(checkpointProblem({ name: 'params-at-most', args: { n: 3, m: 1 } })).toMatch(/no argument m/);
    expect(checkpointProblem({ name: 'event-seen', args: { name: 'clicked' } })).toMatch(/must be one of/);
    expect(checkpointProblem({ name: 'all-of', args: { checks: ['run-finished', 'nope'] } })).toMatch(/all-of: unknown checkpoint "nope"/);
    expect(checkpointProblem({ name: 'all-of', args: { checks: ['params-at-most'], n: 3 } })).toBeNull();
    expect(evaluateCheckpoint({ name: 'nope' }, world())).toEqual({ ok: false, detail: 'unknown checkpoint "nope"' });
    expect(Object.keys(CHECKPOINTS)).toEqual(Object.keys(CHECKPOINT_DEFS));
  });
});
