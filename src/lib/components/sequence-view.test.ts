import { describe, expect, it } from 'vitest';
import { describeArrays, pairAt, passageIds, perPosition, sequenceView, seriesFromWindows, shapeText, showToken, type SequenceView } from './sequence-view';

const tokens = ['\n', ' ', 'a', 'b', 'c'];
/** "ab cab\nc" cut into windows of 3 with y = x shifted by one. */
function textView(): SequenceView {
  const ids = passageIds('ab cab\nc', tokens);
  const seqLen = 3;
  const n = ids.length - seqLen;
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < n; i++) for (let t = 0; t < seqLen; t++) (x.push(ids[i + t]), y.push(ids[i + t + 1]));
  return { kind: 'text', name: 't', x, xShape: [n, seqLen], xDtype: 'int32', y, yShape: [n, seqLen], yDtype: 'int32', seqLen, vocabSize: tokens.length, tokens, passage: 'ab cab\nc', testRows: 2 };
}

describe('sequence view', () => {
  it('shows invisible characters as glyphs', () => {
    expect(['a', ' ', '\n', '\t', '\u0001'].map(showToken)).toEqual(['a', '␣', '⏎', '⇥', '\\x01']);
  });

  it('maps a passage to ids and marks characters outside the vocabulary', () => {
    expect(passageIds('ab z\n', tokens)).toEqual([2, 3, 1, -1, 0]);
  });

  it('aligns a text window with its next characters', () => {
    const v = textView();
    expect(perPosition(v)).toBe(true);
    const p = pairAt(v, 2);
    // Window 2 of "ab cab\nc" is " ca" → "cab".
    expect(p.cells.map((c) => c.xText).join('')).toBe('␣ca');
    expect(p.cells.map((c) => c.yText).join('')).toBe('cab');
    expect(p.cells.map((c) => c.x)).toEqual([1, 4, 2]);
    expect(p.target).toBeUndefined();
    // Each target is the next input: y[t] = x[t + 1].
    for (let t = 0; t + 1 < p.cells.length; t++) expect(p.cells[t].y).toBe(p.cells[t + 1].x);
    // Rows outside the data are clamped.
    expect(pairAt(v, 99).row).toBe(4);
    expect(pairAt(v, -3).row).toBe(0);
  });

  it('shows one label per sequence for parity and the next value for a series', () => {
    const parity: SequenceView = { kind: 'pairs', name: 'parity', x: [1, 0, 1, 1, 0, 0], xShape: [2, 3], xDtype: 'int32', y: [1, 0], yShape: [2, 1], yDtype: 'int32', seqLen: 3, vocabSize: 2 };
    expect(perPosition(parity)).toBe(false);
    expect(pairAt(parity, 0)).toEqual({ row: 0, cells: [1, 0, 1].map((x) => ({ x, xText: String(x) })), target: { y: 1, text: '1' } });
    expect(pairAt(parity, 1).target?.y).toBe(0);

    const series: SequenceView = { kind: 'series', name: 'sine_series', x: [0.1, 0.2, 0.3, 0.2, 0.3, 0.4], xShape: [2, 3, 1], xDtype: 'float32', y: [0.4, 0.5], yShape: [2, 1], yDtype: 'float32', seqLen: 3 };
    const w = pairAt(series, 1);
    expect(w.cells.map((c) => c.xText)).toEqual(['0.20', '0.30', '0.40']);
    expect(w.target).toEqual({ y: 0.5, text: '0.50' });
  });

  it('aligns reverse targets position by position', () => {
    const rev: SequenceView = { kind: 'pairs', name: 'reverse', x: [1, 2, 3, 4], xShape: [1, 4], xDtype: 'int32', y: [4, 3, 2, 1], yShape: [1, 4], yDtype: 'int32', seqLen: 4, vocabSize: 10 };
    expect(perPosition(rev)).toBe(true);
    expect(pairAt(rev, 0).cells.map((c) => [c.x, c.y])).toEqual([[1, 4], [2, 3], [3, 2], [4, 1]]);
  });

  it('describes the arrays with their shapes and dtypes', () => {
    expect(shapeText([5])).toBe('(5,)');
    expect(shapeText([5, 3, 1])).toBe('(5, 3, 1)');
    const rows = describeArrays(textView());
    expect(rows.map((r) => [r.name, r.value])).toEqual([
      ['x_train', 'int32 (5, 3)'],
      ['y_train', 'int32 (5, 3)'],
      ['x_test', 'int32 (2, 3)'],
      ['y_test', 'int32 (2, 3)'],
      ['vocab_size', '5'],
      ['seq_len', '3']
    ]);
  });
});

describe('sequenceView', () => {
  it('reads a sequence data set: dtypes from its task and vocabulary, shapes with the batch axis', () => {
    const base = { name: 'reverse', x: new Float32Array(8), y: new Float32Array(8), n: 2, seqLen: 4, sampleShape: [4], targetShape: [4], task: 'classes' as const, vocabSize: 10, tokens: '0123456789'.split('') };
    const rev = sequenceView(base);
    expect([rev.kind, rev.xDtype, rev.yDtype, shapeText(rev.xShape), shapeText(rev.yShape), rev.vocabSize]).toEqual(['pairs', 'int32', 'int32', '(2, 4)', '(2, 4)', 10]);
    const text = sequenceView({ ...base, name: 'shakespeare', test: { n: 3 } }, { isText: true, text: 'abc' });
    expect([text.kind, text.passage, text.testRows]).toEqual(['text', 'abc', 3]);
    const series = sequenceView({ ...base, name: 'sine_series', sampleShape: [4, 1], targetShape: [1], task: 'value', vocabSize: 0, tokens: undefined }, { isText: false, series: [1, 2] });
    expect([series.kind, series.xDtype, series.yDtype, shapeText(series.xShape), shapeText(series.yShape), series.vocabSize]).toEqual(['series', 'float32', 'float32', '(2, 4, 1)', '(2, 1)', undefined]);
  });
});

describe('seriesFromWindows', () => {
  it('rebuilds sine_series from its consecutive windows and refuses shuffled ones', async () => {
    const { makeSequence } = await import('$lib/data/sequences');
    const d = makeSequence({ name: 'sine_series', seqLen: 5, samples: 40, noise: 0.1, seed: 3 });
    const s = seriesFromWindows(d.x, d.y, d.n, d.seqLen)!;
    expect(s).toHaveLength(45);
    for (let i = 0; i < d.n; i++) {
      for (let t = 0; t < 5; t++) expect(d.x[i * 5 + t]).toBe(s[i + t]);
      expect(d.y[i]).toBe(s[i + 5]);
    }
    const rev = makeSequence({ name: 'reverse', seqLen: 5, samples: 40, seed: 3 });
    expect(seriesFromWindows(rev.x, rev.y, rev.n, rev.seqLen)).toBeUndefined();
  });
});
