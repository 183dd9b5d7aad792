/**
 * Pictures of sequence models, computed in the worker (pure over an injected TF.js, so vitest runs them on the cpu
 * backend with hand-built models):
 * - language models: a prompt encoded as token ids (left-padded like the data), the next-token probabilities, and
 *   text generated one token at a time (seeded sampling, temperature 0 = argmax), streamed through a callback;
 * - series: predictions against truth, the forecast rolled forward (predictions fed back) and the naive
 *   "repeat the last value" baseline's loss beside the model's;
 * - token sequences (`reverse`, `parity`): inputs → predicted outputs with the wrong positions.
 */
import { Rng } from '$lib/data/rng';
import type { Tfjs } from '$lib/layers/types';
import type * as TF from '@tensorflow/tfjs';

// ---------------------------------------------------------------------------------------------------------------
// Language models

export type PromptEncoding =
  | { ok: true; ids: Float32Array; /** how many of the prompt's characters are in the window (the rest was cut) */ used: number }
  | { ok: false; message: string };

/**
 * The last `seqLen` characters of `prompt` as token ids, left-padded with `pad` when shorter (text windows are
 * right-aligned: the model's last position predicts the character after the prompt). Characters outside the
 * vocabulary are refused with a message naming them.
 */
export function encodePrompt(prompt: string, tokens: readonly string[], seqLen: number, pad = 0): PromptEncoding {
  const index = new Map(tokens.map((t, i) => [t, i]));
  const chars = Array.from(prompt);
  const unknown = [...new Set(chars.filter((c) => !index.has(c)))];
  if (unknown.length) {
    const shown = unknown.slice(0, 5).map(describeChar).join(', ');
    return {
      ok: false,
      message: `${unknown.length === 1 ? 'The character' : 'The characters'} ${shown} ${unknown.length === 1 ? 'is' : 'are'} not in this text's vocabulary of ${tokens.length} characters: leave ${unknown.length === 1 ? 'it' : 'them'} out of the prompt.`
    };
  }
  const used = Math.min(chars.length, seqLen);
  const ids = new Float32Array(seqLen).fill(pad);
  const tail = chars.slice(chars.length - used);
  tail.forEach((c, i) => (ids[seqLen - used + i] = index.get(c)!));
  return { ok: true, ids, used };
}

/** A character as a learner reads it in a message: "é", "a tab", "a new line". */
export function describeChar(c: string): string {
  if (c === '\n') return 'a new line';
  if (c === '\t') return 'a tab';
  if (c === ' ') return 'a space';
  const cp = c.codePointAt(0) ?? 0;
  if (cp < 32 || cp === 127) return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
  return `"${c}"`;
}

/**
 * `values` as probabilities: kept when they already are (non-negative, summing to 1 within 1e-3, a softmax output),
 * otherwise taken as logits and passed through a softmax (a model whose last layer has no activation).
 */
export function asProbabilities(values: ArrayLike<number>): Float64Array {
  const v = Float64Array.from(values as ArrayLike<number>);
  let sum = 0;
  let negative = false;
  for (const x of v) {
    sum += x;
    if (x < 0) negative = true;
  }
  if (!negative && Math.abs(sum - 1) < 1e-3) return v.map((x) => x / sum);
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/**
 * The next-token probabilities after the window `ids` (length seqLen): the model's output at the last position
 * (a per-step output `(seq_len, V)`) or its output (a last-step `(V)`).
 */
export async function nextTokenProbs(tf: Tfjs, model: TF.LayersModel, ids: Float32Array): Promise<Float64Array> {
  const out = tf.tidy(() => {
    const y = model.apply(tf.tensor2d(ids, [1, ids.length], 'float32'), { training: false }) as TF.Tensor;
    if (y.rank === 3) return tf.reshape(tf.slice(y, [0, y.shape[1]! - 1, 0], [1, 1, y.shape[2]!]), [-1]);
    return tf.reshape(y, [-1]);
  });
  try {
    return asProbabilities((await out.data()) as Float32Array);
  } finally {
    out.dispose();
  }
}

/**
 * One token drawn from `probs` sharpened (temperature < 1) or flattened (> 1) by `temperature`: p^(1/T), renormalised.
 * Temperature 0 (or below) is the most likely token (the first of ties). `u` is a uniform number in [0, 1).
 */
export function sampleToken(probs: ArrayLike<number>, temperature: number, u: number): number {
  const n = probs.length;
  if (!(temperature > 0)) {
    let best = 0;
    for (let i = 1; i < n; i++) if (probs[i] > probs[best]) best = i;
    return best;
  }
  const logits = new Float64Array(n);
  let m = -Infinity;
  for (let i = 0; i < n; i++) {
    logits[i] = Math.log(Math.max(probs[i], 1e-300)) / temperature;
    m = Math.max(m, logits[i]);
  }
  let z = 0;
  for (let i = 0; i < n; i++) z += logits[i] = Math.exp(logits[i] - m);
  let acc = 0;
  const target = u * z;
  for (let i = 0; i < n; i++) {
    acc += logits[i];
    if (target < acc) return i;
  }
  return n - 1;
}

export interface GenerateOptions {
  /** The starting window (see encodePrompt). */
  ids: Float32Array;
  /** Tokens to generate. */
  length: number;
  temperature: number;
  /** Same seed, same model and window: same tokens. */
  seed: number;
  /**
   * Called with each new token; may be async (the session flushes events to the UI from it). Returning false
   * stops the generation early.
   */
  onToken?: (id: number, index: number) => unknown;
}

/** Generates `length` tokens after the window, feeding each one back (the window slides by one). */
export async function generateTokens(tf: Tfjs, model: TF.LayersModel, opts: GenerateOptions): Promise<number[]> {
  const rng = new Rng(opts.seed);
  const window = Float32Array.from(opts.ids);
  const out: number[] = [];
  for (let k = 0; k < opts.length; k++) {
    const probs = await nextTokenProbs(tf, model, window);
    const id = sampleToken(probs, opts.temperature, rng.next());
    out.push(id);
    window.copyWithin(0, 1);
    window[window.length - 1] = id;
    if ((await opts.onToken?.(id, k)) === false) break;
  }
  return out;
}

/** The `k` most likely tokens, most likely first. */
export function topK(probs: ArrayLike<number>, k: number): { id: number; p: number }[] {
  return Array.from(probs, (p, id) => ({ id, p }))
    .sort((a, b) => b.p - a.p || a.id - b.id)
    .slice(0, k);
}

// ---------------------------------------------------------------------------------------------------------------
// Series

export interface SeriesPicture {
  /** Predicted next values of the rows shown. */
  predicted: Float32Array;
  /** Their true next values. */
  truth: Float32Array;
  /** Mean squared / absolute error of the model on the rows shown. */
  mse: number;
  mae: number;
  /** The same for the naive forecast "the next value is the last one seen". */
  baselineMse: number;
  baselineMae: number;
  /** The window the forecast starts from (seqLen values). */
  start: Float32Array;
  /** The forecast rolled forward: each prediction is fed back as the newest value. */
  forecast: Float32Array;
  /** The series' true continuation after `start` where the data holds it (consecutive windows), else shorter. */
  actual: Float32Array;
}

/**
 * Predictions of a one-feature series model (input `(seq_len, 1)` or `(seq_len,)`, output one value) on `n` windows
 * `x` (n × seqLen) with next values `y`, and a forecast rolled `horizon` steps from window `from`.
 */
export async function seriesPicture(
  tf: Tfjs,
  model: TF.LayersModel,
  data: { x: Float32Array; y: Float32Array; n: number; seqLen: number },
  opts: { from?: number; horizon: number }
): Promise<SeriesPicture> {
  const { x, y, n, seqLen } = data;
  const inputShape = (model.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
  const run = async (rows: Float32Array, m: number) => {
    const t = tf.tidy(() => tf.reshape(model.apply(tf.tensor(rows, [m, ...inputShape], 'float32'), { training: false }) as TF.Tensor, [m, -1]));
    try {
      const v = (await t.data()) as Float32Array;
      const per = t.shape[1]!;
      return Float32Array.from({ length: m }, (_, i) => v[i * per + per - 1]);
    } finally {
      t.dispose();
    }
  };
  const predicted = n ? await run(x.subarray(0, n * seqLen), n) : new Float32Array(0);
  const truth = Float32Array.from(y.subarray(0, n));
  let se = 0,
    ae = 0,
    bse = 0,
    bae = 0;
  for (let i = 0; i < n; i++) {
    const d = predicted[i] - truth[i];
    const b = x[i * seqLen + seqLen - 1] - truth[i];
    se += d * d;
    ae += Math.abs(d);
    bse += b * b;
    bae += Math.abs(b);
  }
  const from = Math.min(Math.max(0, opts.from ?? 0), Math.max(0, n - 1));
  const start = Float32Array.from(x.subarray(from * seqLen, (from + 1) * seqLen));
  const forecast = new Float32Array(opts.horizon);
  const window = Float32Array.from(start);
  for (let k = 0; k < opts.horizon; k++) {
    const [v] = await run(window, 1);
    forecast[k] = v;
    window.copyWithin(0, 1);
    window[seqLen - 1] = v;
  }
  return {
    predicted,
    truth,
    mse: n ? se / n : NaN,
    mae: n ? ae / n : NaN,
    baselineMse: n ? bse / n : NaN,
    baselineMae: n ? bae / n : NaN,
    start,
    forecast,
    actual: continuation(x, y, n, seqLen, from, opts.horizon)
  };
}

/**
 * The true values after window `from`, followed through the data as long as the next window is this one slid by
 * one (consecutive windows of one series); at most `horizon`.
 */
export function continuation(x: Float32Array, y: Float32Array, n: number, seqLen: number, from: number, horizon: number): Float32Array {
  const out: number[] = [];
  let i = from;
  while (i < n && out.length < horizon) {
    out.push(y[i]);
    const j = i + 1;
    if (j >= n) break;
    let slid = x[j * seqLen + seqLen - 1] === y[i];
    for (let t = 0; slid && t < seqLen - 1; t++) slid = x[j * seqLen + t] === x[i * seqLen + t + 1];
    if (!slid) break;
    i = j;
  }
  return Float32Array.from(out);
}

// ---------------------------------------------------------------------------------------------------------------
// Token sequences in, tokens out (reverse, parity)

export interface SequenceTable {
  /** Rows shown. */
  rows: number;
  seqLen: number;
  /** Output positions per row (seqLen for per-step outputs, 1 for one label per sequence). */
  outLen: number;
  /** rows × seqLen input tokens. */
  inputs: Int32Array;
  /** rows × outLen true and predicted tokens (classes; 0/1 for a single sigmoid unit). */
  truth: Int32Array;
  predicted: Int32Array;
  /** Sequences the accuracies are measured on (all those given, up to MAX_TABLE_EVAL). */
  evaluated: number;
  /** Fraction of the output positions right, and of the sequences entirely right, over `evaluated` sequences. */
  tokenAccuracy: number;
  sequenceAccuracy: number;
}

/** Most sequences the table's accuracies are measured on. */
export const MAX_TABLE_EVAL = 2000;

/**
 * The model's outputs for the sequences of `x` (n × seqLen token ids) against labels `y` (n × outLen): argmax over
 * the last axis, or p > 0.5 for a single sigmoid unit. The first `rows` are returned for the table; the accuracies
 * count every sequence (up to MAX_TABLE_EVAL).
 */
export async function sequenceTable(
  tf: Tfjs,
  model: TF.LayersModel,
  data: { x: Float32Array; y: ArrayLike<number>; n: number; seqLen: number },
  rows: number
): Promise<SequenceTable> {
  const { x, y, seqLen } = data;
  const e = Math.min(data.n, MAX_TABLE_EVAL);
  const m = Math.max(0, Math.min(rows, e));
  const outLen = data.n ? Math.round(y.length / data.n) : 1;
  const inputShape = (model.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
  const t = tf.tidy(() => {
    const out = model.apply(tf.tensor(x.subarray(0, e * seqLen), [e, ...inputShape], 'float32'), { training: false }) as TF.Tensor;
    const classes = out.shape[out.rank - 1]!;
    return classes === 1 ? tf.cast(tf.greater(tf.reshape(out, [e, -1]), 0.5), 'int32') : tf.reshape(tf.argMax(out, -1), [e, -1]);
  });
  let all: Int32Array;
  try {
    all = Int32Array.from((await t.data()) as Int32Array);
  } finally {
    t.dispose();
  }
  if (all.length !== e * outLen) throw new Error(`The model gives ${e ? all.length / e : 0} outputs per sequence, the labels ${outLen}.`);
  let right = 0;
  let rowsRight = 0;
  for (let r = 0; r < e; r++) {
    let whole = true;
    for (let k = 0; k < outLen; k++) {
      if (Math.round(y[r * outLen + k]) === all[r * outLen + k]) right++;
      else whole = false;
    }
    if (whole) rowsRight++;
  }
  return {
    rows: m,
    seqLen,
    outLen,
    inputs: Int32Array.from(x.subarray(0, m * seqLen), Math.round),
    truth: Int32Array.from({ length: m * outLen }, (_, i) => Math.round(y[i])),
    predicted: all.slice(0, m * outLen),
    evaluated: e,
    tokenAccuracy: e ? right / (e * outLen) : 0,
    sequenceAccuracy: e ? rowsRight / e : 0
  };
}
