/**
 * What the Data panel shows of a text or sequence data set (SequenceDataView.svelte): aligned x → y pairs, the
 * shapes and dtypes of the arrays a program gets, visible tokens. Pure functions over plain arrays, unit-tested
 * in sequence-view.test.ts; the data itself comes from $lib/data (text.ts, sequences.ts).
 */

/** The arrays of one text or sequence data set, as the panel shows them. */
export interface SequenceView {
  /**
   * 'text': character ids, y is the next character at each position (shakespeare, names, your text);
   * 'series': float windows (N, seq_len, 1) and the next value (N, 1) (sine_series);
   * 'pairs': token sequences and their targets, per position or per sequence (reverse, parity).
   */
  kind: 'text' | 'series' | 'pairs';
  /** Data set name as the panel and messages say it ("shakespeare", "notes.txt"). */
  name: string;
  /** x_train, row-major, shape `xShape` (batch first). */
  x: ArrayLike<number>;
  xShape: number[];
  xDtype: 'int32' | 'float32';
  /** y_train, row-major, shape `yShape` (batch first). */
  y: ArrayLike<number>;
  yShape: number[];
  yDtype: 'int32' | 'float32';
  /** Rows of x_test (0 when there is no test set). */
  testRows?: number;
  seqLen: number;
  /** Number of token ids (text, reverse, parity); absent for a series. */
  vocabSize?: number;
  /** id → the character it stands for (text data). */
  tokens?: string[];
  /** A passage of the source text (text data). */
  passage?: string;
  /** The whole generated series (sine_series), from which the windows were cut. */
  series?: ArrayLike<number>;
}

/** A character as a visible glyph: space, newline, tab and other control characters would vanish in a cell. */
export function showToken(t: string): string {
  if (t === ' ') return '␣';
  if (t === '\n') return '⏎';
  if (t === '\t') return '⇥';
  if (t === '\r') return '␍';
  if (t === '') return '∅';
  if (t.length === 1 && t.charCodeAt(0) < 32) return `\\x${t.charCodeAt(0).toString(16).padStart(2, '0')}`;
  return t;
}

/** One position of a pair: the input token or value and, where y is per position, its target. */
export interface PairCell {
  /** Input id or value. */
  x: number;
  /** Shown input (a character for text, the id otherwise, the value rounded for a series). */
  xText: string;
  /** Target id or value at this position (per-position targets only). */
  y?: number;
  yText?: string;
}

export interface Pair {
  /** Row of x_train. */
  row: number;
  cells: PairCell[];
  /** One target for the whole sequence (parity, the next value of a series); absent when y is per position. */
  target?: { y: number; text: string };
}

function cellText(v: number, view: SequenceView): string {
  if (view.kind === 'series' || !Number.isInteger(v)) return formatValue(v);
  if (view.tokens && view.kind === 'text') return showToken(view.tokens[v] ?? '?');
  return String(v);
}

export function formatValue(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(2);
}

/** True when y has one value per position of x (text, reverse), false when one per sequence (parity, series). */
export function perPosition(view: SequenceView): boolean {
  if (view.kind === 'text') return true;
  if (view.kind === 'series') return false;
  return view.yShape.length >= 2 && view.yShape[1] === view.seqLen && view.seqLen > 1;
}

/** Rows of x_train. */
export function rowCount(view: SequenceView): number {
  return view.xShape[0] ?? 0;
}

/** The pair of row `row` (clamped to the data): x's positions aligned with their targets, at most `maxLen` of them. */
export function pairAt(view: SequenceView, row: number, maxLen = 64): Pair {
  const n = rowCount(view);
  const r = Math.max(0, Math.min(n - 1, Math.floor(row)));
  const xStride = view.xShape.slice(1).reduce((a, b) => a * b, 1);
  const yStride = view.yShape.slice(1).reduce((a, b) => a * b, 1);
  const per = perPosition(view);
  const len = Math.min(view.seqLen, maxLen);
  const cells: PairCell[] = [];
  // A series' window is (seq_len, 1): one value per step.
  const step = Math.max(1, Math.floor(xStride / view.seqLen));
  for (let t = 0; t < len; t++) {
    const x = Number(view.x[r * xStride + t * step]);
    const cell: PairCell = { x, xText: cellText(x, view) };
    if (per) {
      const y = Number(view.y[r * yStride + t]);
      cell.y = y;
      cell.yText = cellText(y, view);
    }
    cells.push(cell);
  }
  const pair: Pair = { row: r, cells };
  if (!per) {
    const y = Number(view.y[r * yStride]);
    pair.target = { y, text: view.kind === 'series' ? formatValue(y) : String(y) };
  }
  return pair;
}

/** `(N, 64)` with the batch size first, as Python prints a shape. */
export function shapeText(shape: number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** What each name a program gets from this data means: shape, dtype, and in words. */
export function describeArrays(view: SequenceView): { name: string; value: string; meaning: string }[] {
  const rows: { name: string; value: string; meaning: string }[] = [];
  const per = perPosition(view);
  const xMeaning =
    view.kind === 'text'
      ? `${view.xShape[0]} windows of ${view.seqLen} character ids`
      : view.kind === 'series'
        ? `${view.xShape[0]} windows of ${view.seqLen} values, one feature per step`
        : `${view.xShape[0]} sequence${view.xShape[0] === 1 ? "" : "s"} of ${view.seqLen} tokens`;
  const yMeaning =
    view.kind === 'text'
      ? 'the next character at each position (x shifted left by one)'
      : view.kind === 'series'
        ? 'the value that follows each window'
        : per
          ? 'the target token at each position'
          : 'one label per sequence';
  rows.push({ name: 'x_train', value: `${view.xDtype} ${shapeText(view.xShape)}`, meaning: xMeaning });
  rows.push({ name: 'y_train', value: `${view.yDtype} ${shapeText(view.yShape)}`, meaning: yMeaning });
  if (view.testRows) {
    const t = view.testRows;
    rows.push({
      name: 'x_test',
      value: `${view.xDtype} ${shapeText([t, ...view.xShape.slice(1)])}`,
      meaning: view.kind === 'text' ? 'held out: windows from the tail of the text' : view.kind === 'series' ? 'held out: the windows that follow in time' : 'held out: more rows of the same kind'
    });
    rows.push({ name: 'y_test', value: `${view.yDtype} ${shapeText([t, ...view.yShape.slice(1)])}`, meaning: 'their targets' });
  }
  if (view.vocabSize !== undefined) rows.push({ name: 'vocab_size', value: String(view.vocabSize), meaning: view.kind === 'text' ? 'distinct characters: ids run from 0 to vocab_size − 1' : 'distinct token ids' });
  rows.push({ name: 'seq_len', value: String(view.seqLen), meaning: 'time steps per sequence' });
  return rows;
}

/** Ids of a passage's characters under `tokens` (−1 for a character outside the vocabulary). */
export function passageIds(passage: string, tokens: string[]): number[] {
  const index = new Map(tokens.map((t, i) => [t, i]));
  return Array.from(passage, (c) => index.get(c) ?? -1);
}

/** The fields of a sequence data set (data/types.ts' SequenceDataset) the panel reads. */
export interface SequenceDataLike {
  name: string;
  x: Float32Array;
  y: Float32Array;
  n: number;
  seqLen: number;
  sampleShape: number[];
  targetShape: number[];
  task: 'classes' | 'value';
  vocabSize: number;
  tokens?: string[];
  test?: { n: number };
}

/**
 * The panel's view of a sequence data set. `text`: the characters it was cut from (text data: a passage is shown
 * from its start); `series`: the generated series (sine_series); `title`: the name to show (an uploaded file's).
 */
export function sequenceView(d: SequenceDataLike, opts: { isText: boolean; text?: string; series?: ArrayLike<number>; title?: string } = { isText: false }): SequenceView {
  const ids = d.vocabSize > 0;
  return {
    kind: opts.isText ? 'text' : ids ? 'pairs' : 'series',
    name: opts.title ?? d.name,
    x: d.x,
    xShape: [d.n, ...d.sampleShape],
    xDtype: ids ? 'int32' : 'float32',
    y: d.y,
    yShape: [d.n, ...d.targetShape],
    yDtype: d.task === 'classes' ? 'int32' : 'float32',
    testRows: d.test?.n ?? 0,
    seqLen: d.seqLen,
    ...(ids ? { vocabSize: d.vocabSize } : {}),
    ...(d.tokens ? { tokens: d.tokens } : {}),
    ...(opts.text !== undefined ? { passage: opts.text.slice(0, 2000) } : {}),
    ...(opts.series ? { series: opts.series } : {})
  };
}

/**
 * The series a set of windows was cut from, when window i starts at step i and y is the step after each window
 * (sine_series): the first window, then every target. Undefined when the rows are not consecutive windows.
 */
export function seriesFromWindows(x: ArrayLike<number>, y: ArrayLike<number>, n: number, seqLen: number): Float32Array | undefined {
  if (n < 1 || x.length < n * seqLen || y.length < n) return undefined;
  for (let i = 0; i + 1 < Math.min(n, 4); i++) {
    for (let t = 0; t + 1 < seqLen; t++) if (x[(i + 1) * seqLen + t] !== x[i * seqLen + t + 1]) return undefined;
    if (x[(i + 1) * seqLen + seqLen - 1] !== y[i]) return undefined;
  }
  const s = new Float32Array(seqLen + n);
  for (let t = 0; t < seqLen; t++) s[t] = x[t];
  for (let i = 0; i < n; i++) s[seqLen + i] = y[i];
  return s;
}
