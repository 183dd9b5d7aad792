import { describe, expect, it } from 'vitest';
import { ownBenchModel } from './own-model';
import { planCells } from './suite';

const GOOD = `import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(8, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy")
model.fit(x_train, y_train, epochs=5, batch_size=16)
`;

describe('ownBenchModel', () => {
  it("builds the editor's program as the bench model `mine`, with its batch size", () => {
    const r = ownBenchModel({ code: GOOD, data: { name: 'spiral' }, name: 'Session 3' });
    if (!r.ok) throw new Error(r.message);
    expect(r.model.id).toBe('mine');
    expect(r.model.trainBatch).toBe(16);
    expect(r.model.summary.trainable).toBe(2 * 8 + 8 + 8 * 3 + 3);
    expect(r.summary).toBe('“Session 3”: 2 layers, 51 trainable weights, input (2,), batch 16');
    // Raced like the examples: every workload and target, alone when no example is picked.
    const cells = planCells({ models: [], extraModels: ['mine'], engines: ['tfjs-cpu'], modes: ['train-eager', 'infer-1'] }, () => 16);
    expect(cells).toEqual([
      { model: 'mine', engine: 'tfjs', backend: 'cpu', mode: 'train-eager', batch: 16 },
      { model: 'mine', engine: 'tfjs', backend: 'cpu', mode: 'infer', batch: 1 }
    ]);
  });

  it('refuses a broken program with each problem and its line', () => {
    const broken = GOOD.replace('layers.Dense(8, activation="relu")', 'layers.Dense(8, activation="relu"').replace('keras.Input(shape=(2,))', 'keras.Input(shape=(2,))');
    const r = ownBenchModel({ code: broken, data: { name: 'spiral' } });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(/^Your program has 1 problem: line \d+: .+\. Fix it in the playground\.$/);

    const two = GOOD.replace('layers.Dense(8, activation="relu")', 'layers.Dens(8, activation="relu")').replace('layers.Dense(3, activation="softmax")', 'layers.Dense(3, activation="softmaxx")');
    const r2 = ownBenchModel({ code: two, data: { name: 'spiral' } });
    expect(r2.ok).toBe(false);
    if (r2.ok) return;
    expect(r2.message).toMatch(/^Your program has 2 problems: line 6: .*Dens.*; line 7: .*softmaxx.*\. Fix them in the playground\.$/);
  });

  it('refuses an empty editor', () => {
    const r = ownBenchModel({ code: '  \n', data: { name: 'spiral' } });
    expect(r).toEqual({ ok: false, message: 'The editor is empty: write a model in the playground first.' });
  });
});
