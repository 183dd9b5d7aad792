/** bindData for text and sequence data (issue 12): shapes, encodings, and refusals that name the layer. */
import { describe, expect, it } from 'vitest';
import { dummySpan } from '$lib/spec/fixtures';
import { SPEC_VERSION, type ArgValue, type LossName, type ModelSpec, type Shape } from '$lib/spec/types';
import { bindData } from './bind';
import { makeSequence } from './sequences';
import { makeTextDataset } from './text';

/** A hand-built spec (the sequence layers live in other files): input → layers in a chain → compile. */
function spec(input: Shape, layers: [string, string, Record<string, ArgValue>][], loss: LossName): ModelSpec {
  let prev = 'input_layer';
  return {
    version: SPEC_VERSION,
    style: 'sequential',
    modelName: 'model',
    inputs: [{ id: 'input_layer', name: 'input_layer', shape: input, span: dummySpan(2) }],
    layers: layers.map(([id, kind, args], i) => {
      const node = { id, kind, args, inputs: [prev], span: dummySpan(i + 3) };
      prev = id;
      return node;
    }),
    outputs: [prev],
    compile: { optimizer: { name: 'adam', learningRate: 0.001, args: {}, span: dummySpan(9) }, loss, metrics: [], span: dummySpan(9) },
    fit: null
  };
}

const text = 'the quick brown fox jumps over the lazy dog. '.repeat(20);
const chars = makeTextDataset(text, { name: 'text', seqLen: 8, samples: 50, seed: 1 });
const V = chars.vocabSize;
const charModel = (dim = V, units = V, loss: LossName = 'sparse_categorical_crossentropy') =>
  spec([8], [['embedding', 'Embedding', { input_dim: dim, output_dim: 4 }], ['gru', 'GRU', { units: 16, return_sequences: true }], ['dense', 'Dense', { units }]], loss);

describe('bindData: per-step token labels', () => {
  it('binds (n, seq_len) ids to (seq_len,) and sparse labels (n, seq_len) to an output (seq_len, vocab)', () => {
    const r = bindData(chars, charModel(), [8, V]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.data.xShape).toEqual([50, 8]);
    expect(r.data.yShape).toEqual([50, 8]);
    expect(r.data.target).toBe('sparse');
    expect(r.data.numClasses).toBe(V);
    expect(r.data.y).toBe(chars.y);
  });
  it('one-hot (n, seq_len, vocab) for categorical_crossentropy', () => {
    const r = bindData(chars, charModel(V, V, 'categorical_crossentropy'), [8, V]);
    if (!r.ok) throw new Error(r.message);
    expect(r.data.yShape).toEqual([50, 8, V]);
    for (let i = 0; i < 50 * 8; i += 7) expect(r.data.y[i * V + chars.y[i]]).toBe(1);
    expect(r.data.y.reduce((a, b) => a + b, 0)).toBe(400);
  });
  it('refuses an Embedding whose input_dim is below the vocabulary, at the Embedding', () => {
    const r = bindData(chars, charModel(V - 1), [8, V]);
    expect(r).toMatchObject({ ok: false, nodeId: 'embedding' });
    if (!r.ok) expect(r.message).toBe(`The Embedding's input_dim is ${V - 1} but the text data has ${V} tokens (ids 0–${V - 1}) — use layers.Embedding(vocab_size, ...) (vocab_size = ${V})`);
    expect(bindData(chars, charModel(V + 5), [8, V]).ok).toBe(true);
  });
  it('refuses a last layer whose units are not the vocabulary, at the last layer', () => {
    const r = bindData(chars, charModel(V, 10), [8, 10]);
    expect(r).toMatchObject({ ok: false, nodeId: 'dense', message: expect.stringContaining(`use layers.Dense(${V}, activation="softmax")`) });
  });
  it('refuses a per-sequence output against per-step labels', () => {
    const r = bindData(chars, charModel(), [V]);
    expect(r).toMatchObject({ ok: false, nodeId: 'dense', message: expect.stringContaining('return_sequences=True') });
  });
  it('refuses a wrong input shape with the fix', () => {
    const r = bindData(chars, spec([8, 1], [['dense', 'Dense', { units: V }]], 'sparse_categorical_crossentropy'), [8, V]);
    expect(r).toMatchObject({ ok: false, message: expect.stringContaining('keras.Input(shape=(8,), dtype="int32")') });
    expect(bindData(chars, spec([10], [['dense', 'Dense', { units: V }]], 'sparse_categorical_crossentropy'), [V]).ok).toBe(false);
  });
  it('refuses binary_crossentropy on per-step tokens', () => {
    expect(bindData(chars, charModel(V, V, 'binary_crossentropy'), [8, V])).toMatchObject({ ok: false, message: expect.stringContaining('sparse_categorical_crossentropy') });
  });
  it('reverse binds the same way (vocab 10)', () => {
    const ds = makeSequence({ name: 'reverse', seqLen: 6, samples: 40 });
    const r = bindData(ds, spec([6], [['embedding', 'Embedding', { input_dim: 10, output_dim: 4 }], ['dense', 'Dense', { units: 10 }]], 'sparse_categorical_crossentropy'), [6, 10]);
    expect(r.ok && r.data.yShape).toEqual([40, 6]);
  });
});

describe('bindData: per-sequence labels', () => {
  const parity = makeSequence({ name: 'parity', seqLen: 6, samples: 40 });
  const model = (units: number, loss: LossName, rs = false) =>
    spec([6], [['embedding', 'Embedding', { input_dim: 2, output_dim: 4 }], ['lstm', 'LSTM', { units: 8, return_sequences: rs }], ['dense', 'Dense', { units }]], loss);
  it('parity: a 0/1 column for binary_crossentropy, labels for sparse', () => {
    const b = bindData(parity, model(1, 'binary_crossentropy'), [1]);
    if (!b.ok) throw new Error(b.message);
    expect(b.data.yShape).toEqual([40, 1]);
    expect(b.data.xShape).toEqual([40, 6]);
    expect(Array.from(b.data.y)).toEqual(Array.from(parity.y));
    const s = bindData(parity, model(2, 'sparse_categorical_crossentropy'), [2]);
    expect(s.ok && s.data.yShape).toEqual([40]);
  });
  it('refuses a per-step output against per-sequence labels, at the last layer', () => {
    const r = bindData(parity, model(1, 'binary_crossentropy', true), [6, 1]);
    expect(r).toMatchObject({ ok: false, nodeId: 'dense', message: expect.stringContaining('one label per sequence') });
  });
  it('refuses units that do not match the classes, at the last layer', () => {
    expect(bindData(parity, model(3, 'sparse_categorical_crossentropy'), [3])).toMatchObject({ ok: false, nodeId: 'dense' });
  });
});

describe('bindData: sine_series (regression on (seq_len, 1))', () => {
  const series = makeSequence({ name: 'sine_series', seqLen: 12, samples: 30 });
  const model = (out: Shape, loss: LossName = 'mse') => spec([12, 1], [['lstm', 'LSTM', { units: 8 }], ['dense', 'Dense', { units: out[out.length - 1] }]], loss);
  it('binds x (n, seq_len, 1) and y (n, 1) as values', () => {
    const r = bindData(series, model([1]), [1]);
    if (!r.ok) throw new Error(r.message);
    expect(r.data.xShape).toEqual([30, 12, 1]);
    expect(r.data.yShape).toEqual([30, 1]);
    expect(r.data.target).toBe('value');
  });
  it('refuses (seq_len,) inputs, per-step outputs, classification losses and an Embedding', () => {
    expect(bindData(series, spec([12], [['dense', 'Dense', { units: 1 }]], 'mse'), [1])).toMatchObject({ ok: false, message: expect.stringContaining('keras.Input(shape=(12, 1))') });
    expect(bindData(series, model([12, 1]), [12, 1])).toMatchObject({ ok: false, nodeId: 'dense', message: expect.stringContaining('one target per sequence') });
    expect(bindData(series, model([1], 'sparse_categorical_crossentropy'), [1])).toMatchObject({ ok: false, message: expect.stringContaining('loss="mse"') });
    const emb = spec([12, 1], [['embedding', 'Embedding', { input_dim: 10, output_dim: 4 }], ['dense', 'Dense', { units: 1 }]], 'mse');
    expect(bindData(series, emb, [1])).toMatchObject({ ok: false, nodeId: 'embedding' });
  });
});
