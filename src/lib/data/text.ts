/**
 * Character-level text data (`shakespeare`, `names`, the user's own `.txt`): the vocabulary is the text's distinct
 * characters sorted by code point (`tokens`, id → character), `x` holds windows of `seq_len` character ids drawn at
 * seeded random positions from the first 90 % of the text, `y` the next character at each position (x shifted by
 * one). The last 10 % of the text is `x_test, y_test`: consecutive, non-overlapping windows from its start.
 *
 *   x_train (samples, seq_len)   y_train (samples, seq_len)   y[i, t] = text[s_i + t + 1], x[i, t] = text[s_i + t]
 *
 * Ids are kept as floats (the app's arrays are Float32Array), exactly representable. The Keras script reads the same
 * file and makes the same arrays (the start positions come from a Python port of rng.ts, see keras/script.ts).
 */
import { Rng, mixSeed } from './rng';
import type { ToyParamRange } from './toys';
import type { SequenceDataset, SequenceSplit } from './types';
import { downloadBytes, type LoadOptions, type ProgressFn } from './download';

export type TextName = 'shakespeare' | 'names';
/** The data set name of the user's uploaded text. */
export const UPLOADED_TEXT = 'text';

export interface TextInfo {
  name: TextName;
  title: string;
  description: string;
  /** Credit for the data panel. */
  source: string;
  /** Path of the shipped file, relative to the app's base path (and to `static/` in the repository). */
  path: string;
  /** The shipped file's vocabulary size (checked by text.test.ts against the file). */
  vocabSize: number;
  seqLen: ToyParamRange;
  samples: ToyParamRange;
}

const samples: ToyParamRange = { default: 2000, min: 10, max: 20000, step: 10 };

export const TEXTS: Record<TextName, TextInfo> = {
  shakespeare: {
    name: 'shakespeare',
    title: 'Shakespeare',
    description:
      'About 1.1 million characters of Shakespeare\'s plays (tinyshakespeare), character level: x_train holds windows of seq_len character ids, y_train the next character at each position. The last 10 % of the text is x_test, y_test.',
    source: 'tinyshakespeare from Andrej Karpathy\'s char-rnn (the works of William Shakespeare, public domain)',
    path: 'data/text/shakespeare.txt',
    vocabSize: 65,
    seqLen: { default: 64, min: 4, max: 256, step: 1 },
    samples
  },
  names: {
    name: 'names',
    title: 'Names',
    description:
      '32 000 given names, lower case, each followed by the separator "." (e.g. "emma.olivia."), character level: x_train holds windows of seq_len character ids, y_train the next character at each position. The last 10 % is x_test, y_test.',
    source: 'names.txt from Andrej Karpathy\'s makemore (US Social Security Administration given names, 2018; public-domain data)',
    path: 'data/text/names.txt',
    vocabSize: 27,
    seqLen: { default: 16, min: 4, max: 128, step: 1 },
    samples
  }
};

export const TEXT_NAMES = Object.keys(TEXTS) as TextName[];

/** Ranges for the user's own text (its vocabulary comes from the file). */
export const UPLOADED_TEXT_RANGES = { seqLen: { default: 64, min: 4, max: 256, step: 1 }, samples };

/** The separator token between names. */
export const NAMES_SEPARATOR = '.';
/** Fraction of the text that trains; the rest (its tail) is x_test, y_test. */
export const TEXT_TRAIN_FRACTION = 0.9;
/** The test set has about this fraction of `samples` windows (at least one, at most what the tail holds). */
export const TEXT_TEST_FRACTION = 0.1;
/** Upload limits. */
export const TEXT_MAX_BYTES = 2 * 1024 * 1024;
export const TEXT_MAX_TOKENS = 256;
export const TEXT_MIN_CHARS = 100;

/** Random stream of each text data set (mixed with the data seed). */
export function textStream(name: string): number {
  const i = (TEXT_NAMES as string[]).indexOf(name);
  return 200 + (i < 0 ? TEXT_NAMES.length : i);
}

export function isTextName(name: string): name is TextName {
  return (TEXT_NAMES as string[]).includes(name);
}

/**
 * The characters a text file means, as the Keras script reads it too (`open(path, encoding="utf-8-sig")` with
 * universal newlines): a leading byte-order mark dropped, \r\n and \r turned into \n.
 */
export function normalizeText(text: string): string {
  return text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
}

/** The names file as one text: "." + the names joined by "." + "." (blank lines dropped). */
export function namesText(file: string): string {
  const names = normalizeText(file)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return NAMES_SEPARATOR + names.join(NAMES_SEPARATOR) + NAMES_SEPARATOR;
}

/** The text a shipped file holds, ready to window (names joined with the separator). */
export function builtinText(name: TextName, file: string): string {
  return name === 'names' ? namesText(file) : normalizeText(file);
}

/** The distinct characters (code points) of the text, sorted by code point: id → character. */
export function textVocab(text: string): string[] {
  return Array.from(new Set(text)).sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
}

export type TextCheck = { ok: true; text: string; vocabSize: number } | { ok: false; message: string };

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Checks an uploaded text file (its bytes, or text already decoded) and returns the normalised text, or one plain
 * sentence saying why it cannot be used: empty, over TEXT_MAX_BYTES, binary (NUL bytes, not UTF-8, more than
 * TEXT_MAX_TOKENS distinct characters) or shorter than TEXT_MIN_CHARS characters.
 */
export function textFromFile(input: Uint8Array | ArrayBuffer | string, fileName = 'The file'): TextCheck {
  const what = fileName === 'The file' ? fileName : `"${fileName}"`;
  let raw: string;
  if (typeof input === 'string') {
    const bytes = new TextEncoder().encode(input).length;
    if (bytes > TEXT_MAX_BYTES) return { ok: false, message: `${what} is ${mb(bytes)}; the limit is ${mb(TEXT_MAX_BYTES)} — use a shorter text.` };
    raw = input;
  } else {
    const bytes = input instanceof Uint8Array ? input : new Uint8Array(input);
    if (bytes.length === 0) return { ok: false, message: `${what} is empty — choose a .txt file with some text in it.` };
    if (bytes.length > TEXT_MAX_BYTES) return { ok: false, message: `${what} is ${mb(bytes.length)}; the limit is ${mb(TEXT_MAX_BYTES)} — use a shorter text.` };
    if (bytes.includes(0)) return { ok: false, message: `${what} is not a text file (it holds NUL bytes) — choose a plain .txt file.` };
    try {
      raw = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return { ok: false, message: `${what} is not UTF-8 text — save it as plain UTF-8 text (.txt) and upload it again.` };
    }
  }
  if (raw.includes('\0')) return { ok: false, message: `${what} is not a text file (it holds NUL characters) — choose a plain .txt file.` };
  const text = normalizeText(raw);
  if (text.trim().length === 0) return { ok: false, message: `${what} is empty — choose a .txt file with some text in it.` };
  const chars = Array.from(text).length;
  if (chars < TEXT_MIN_CHARS) return { ok: false, message: `${what} holds only ${chars} characters; at least ${TEXT_MIN_CHARS} are needed to make training windows.` };
  const vocabSize = textVocab(text).length;
  if (vocabSize > TEXT_MAX_TOKENS) {
    return { ok: false, message: `${what} has ${vocabSize} distinct characters (at most ${TEXT_MAX_TOKENS}) — it does not look like plain text; choose a .txt file in one language.` };
  }
  return { ok: true, text, vocabSize };
}

export interface TextParams {
  /** Data set name (shakespeare, names, text). */
  name: string;
  seqLen?: number;
  samples?: number;
  seed?: number;
}

function clampInt(v: number | undefined, r: ToyParamRange): number {
  return Math.round(Math.min(r.max, Math.max(r.min, Number.isFinite(v) ? (v as number) : r.default)));
}

export function resolveTextParams(p: TextParams): Required<TextParams> {
  const r = isTextName(p.name) ? TEXTS[p.name] : UPLOADED_TEXT_RANGES;
  return { name: p.name, seqLen: clampInt(p.seqLen, r.seqLen), samples: clampInt(p.samples, r.samples), seed: Number.isFinite(p.seed) ? (p.seed as number) : 1 };
}

/** Where the train windows may start and the test windows lie, for a text of `length` characters. */
export function textLayout(length: number, seqLen: number, samples: number): { cut: number; starts: number; testN: number } {
  const cut = Math.floor(length * TEXT_TRAIN_FRACTION);
  const starts = cut - seqLen;
  const tail = Math.floor((length - cut - 1) / seqLen);
  const testN = Math.max(0, Math.min(tail, Math.max(1, Math.round(samples * TEXT_TEST_FRACTION))));
  return { cut, starts, testN };
}

let lastEncoded: { text: string; tokens: string[]; ids: Int32Array } | null = null;

/** The vocabulary and the ids of a whole text (the last one is cached: settings change more often than the text). */
function encodeWhole(text: string): { tokens: string[]; ids: Int32Array } {
  if (lastEncoded?.text === text) return lastEncoded;
  const tokens = textVocab(text);
  const index = new Map(tokens.map((c, i) => [c, i]));
  const ids = Int32Array.from(Array.from(text), (c) => index.get(c)!);
  lastEncoded = { text, tokens, ids };
  return lastEncoded;
}

/**
 * Windows a text into a character-level data set (see the file's comment). Throws with a plain sentence when the
 * text is too short for the sequence length.
 */
export function makeTextDataset(text: string, params: TextParams): SequenceDataset {
  const p = resolveTextParams(params);
  const { tokens, ids } = encodeWhole(text);
  const L = ids.length;
  const T = p.seqLen;
  const { cut, starts, testN } = textLayout(L, T, p.samples);
  if (starts < 1) {
    throw new Error(`The ${p.name} text (${L} characters) is too short for sequences of ${T}: use a shorter sequence length or a longer text.`);
  }
  const rng = new Rng(mixSeed(p.seed, textStream(p.name)));
  const n = p.samples;
  const x = new Float32Array(n * T);
  const y = new Float32Array(n * T);
  for (let i = 0; i < n; i++) {
    const s = rng.int(starts);
    for (let t = 0; t < T; t++) {
      x[i * T + t] = ids[s + t];
      y[i * T + t] = ids[s + t + 1];
    }
  }
  let test: SequenceSplit | undefined;
  if (testN > 0) {
    const tx = new Float32Array(testN * T);
    const ty = new Float32Array(testN * T);
    for (let i = 0; i < testN; i++) {
      const s = cut + i * T;
      for (let t = 0; t < T; t++) {
        tx[i * T + t] = ids[s + t];
        ty[i * T + t] = ids[s + t + 1];
      }
    }
    test = { x: tx, y: ty, n: testN };
  }
  return {
    kind: 'sequence',
    name: p.name,
    x,
    y,
    n,
    seqLen: T,
    sampleShape: [T],
    features: T,
    targetShape: [T],
    task: 'classes',
    numClasses: tokens.length,
    vocabSize: tokens.length,
    tokens: [...tokens],
    ...(test ? { test } : {})
  };
}

/** The ids of a string in a vocabulary (characters not in it are left out). */
export function encodeText(text: string, tokens: readonly string[]): number[] {
  const index = new Map(tokens.map((c, i) => [c, i]));
  const out: number[] = [];
  for (const c of text) {
    const i = index.get(c);
    if (i !== undefined) out.push(i);
  }
  return out;
}

/** The string of some ids. */
export function decodeText(ids: ArrayLike<number>, tokens: readonly string[]): string {
  let s = '';
  for (let i = 0; i < ids.length; i++) s += tokens[ids[i]] ?? '';
  return s;
}

/**
 * Downloads a shipped text file and returns its text (names joined with the separator), reporting progress as
 * bytes arrive (`total` from Content-Length when the transfer is not content-encoded, else null).
 */
export async function loadText(name: TextName, url: string, onProgress?: ProgressFn, opts: LoadOptions = {}): Promise<string> {
  const bytes = await downloadBytes(`the ${name} text`, url, { ...opts, onProgress });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`The ${name} text from ${url} is not UTF-8 text`);
  }
  return builtinText(name, text);
}
