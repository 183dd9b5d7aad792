/** The playground state with text and sequence data (issue 12): settings, constants, upload, binding, script. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { builtinText } from '$lib/data/text';
import { dataKind, Playground } from './playground.svelte';

const PARITY = (T: number) =>
  `import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(${T},)), layers.Dense(8, activation="tanh"), layers.Dense(1, activation="sigmoid")])\nmodel.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])\nmodel.fit(x_train, y_train, epochs=2, batch_size=32)\n`;

function pg(code: string): Playground {
  const p = new Playground();
  p.code = code;
  p.analyse();
  return p;
}

describe('Playground: sequence data', () => {
  it('kinds of the new names', () => {
    expect(['shakespeare', 'names', 'text', 'reverse', 'parity', 'sine_series'].map((n) => dataKind(n as never))).toEqual(['text', 'text', 'text', 'sequence', 'sequence', 'sequence']);
  });

  it('parity: defaults, constants, binding; a new seq_len re-reads the program and refuses the old input', () => {
    const p = pg(PARITY(12));
    p.setDataset('parity');
    expect(p.kind).toBe('sequence');
    expect(p.data.seqLen).toBe(12);
    expect(p.data.samples).toBe(2000);
    expect(p.constants).toEqual({ vocab_size: 2, seq_len: 12 });
    expect(p.dataset?.kind).toBe('sequence');
    expect(p.binding?.ok).toBe(true);
    expect(p.canTrain(false)).toBe(true);
    expect(p.testBinding?.xShape).toEqual([200, 12]);
    expect(p.testBinding?.yShape).toEqual([200, 1]);
    p.setSeqLen(6);
    expect(p.constants).toEqual({ vocab_size: 2, seq_len: 6 });
    expect(p.binding?.ok).toBe(false);
    expect(p.trainBlocker(false)).toMatch(/sequences of 6 token ids/);
    p.setSeqLen(1000);
    expect(p.data.seqLen).toBe(64);
    p.code = PARITY(64);
    p.analyse();
    const script = p.kerasScript();
    expect(script.text).toContain('make_parity(seq_len=64, samples=2000, seed=1)');
  });

  it('data that does not fit is a problem at the layer it names: an Embedding below the vocabulary', () => {
    const code = (v: string) =>
      `import keras\nfrom keras import layers\nmodel = keras.Sequential([\n    keras.Input(shape=(seq_len,), dtype="int32"),\n    layers.Embedding(${v}, 4),\n    layers.SimpleRNN(8),\n    layers.Dense(1, activation="sigmoid"),\n])\nmodel.compile(optimizer="adam", loss="binary_crossentropy")\n`;
    const p = pg(code('1'));
    p.setDataset('parity');
    p.code = code('1');
    p.analyse();
    expect(p.errors).toEqual([]);
    expect(p.binding?.ok).toBe(false);
    const [d] = p.problems;
    expect(d.span.line).toBe(5);
    expect(d.message).toMatch(/Embedding/);
    expect(p.trainBlocker(false)).toBe(d.message);
    p.code = code('vocab_size');
    p.analyse();
    expect(p.problems).toEqual([]);
    expect(p.canTrain(false)).toBe(true);
  });

  it('a shipped text once loaded is the data set; the tail is the test set', () => {
    const p = pg(PARITY(12));
    p.texts = { names: builtinText('names', readFileSync('static/data/text/names.txt', 'utf8')) };
    p.setDataset('names');
    expect(p.data.seqLen).toBe(16);
    expect(p.constants).toEqual({ vocab_size: 27, seq_len: 16 });
    const ds = p.dataset;
    expect(ds?.kind === 'sequence' && ds.tokens?.length).toBe(27);
    expect(ds?.kind === 'sequence' && ds.test?.n).toBe(200);
    // The parity program does not fit per-step character labels.
    expect(p.binding?.ok).toBe(false);
  });

  it('upload: a good text becomes the data set `text`; a bad one changes nothing and says why', () => {
    const p = pg(PARITY(12));
    const before = { ...p.data };
    expect(p.setText('a.bin', new Uint8Array([1, 2, 0, 3]))).toMatch(/not a text file/);
    expect(p.setText('e.txt', new Uint8Array(0))).toMatch(/empty/);
    expect(p.data).toEqual(before);
    expect(p.uploadedText).toBeNull();
    const story = 'Once upon a time there was a small model that wanted to learn to write. '.repeat(40);
    expect(p.setText('story.txt', new TextEncoder().encode(story))).toBeNull();
    expect(p.data.name).toBe('text');
    expect(p.kind).toBe('text');
    expect(p.uploadedText?.fileName).toBe('story.txt');
    const ds = p.dataset;
    expect(ds?.kind).toBe('sequence');
    const v = ds?.kind === 'sequence' ? ds.vocabSize : 0;
    expect(p.constants).toEqual({ vocab_size: v, seq_len: 64 });
    p.setSeqLen(256);
    expect(p.setText('short.txt', 'x'.repeat(200))).toMatch(/too short for sequences of 256/);
    expect(p.uploadedText?.fileName).toBe('story.txt');
  });
});
