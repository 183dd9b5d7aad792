/**
 * The Python side of the text and sequence data (used by keras/script.ts and the PyTorch program): code that makes
 * the SAME arrays as text.ts and sequences.ts — a Python port of rng.ts (mulberry32, murmur3-style seed mixing,
 * Box–Muller), then generators that draw in the same order. The texts are read from files next to the script.
 */
import { SEQUENCE_TEST_FRACTION, SERIES, sequenceStream, type SequenceName, type SequenceParams } from './sequences';
import { NAMES_SEPARATOR, TEXT_TEST_FRACTION, TEXT_TRAIN_FRACTION, TEXTS, textStream, type TextName } from './text';

const I = '    ';

function f(v: number): string {
  return Number.isInteger(v) ? `${v}.0` : String(v);
}

/** Python port of rng.ts: `Rng(mix_seed(seed, stream))` draws the numbers the playground's generators draw. */
export const PY_RNG: string[] = [
  '# A port of the playground\'s random number generator (src/lib/data/rng.ts: mulberry32, Box-Muller normals), so',
  '# that the arrays below hold the same numbers as the playground\'s.',
  'M32 = 0xFFFFFFFF',
  '',
  '',
  'def mix_seed(*parts):',
  `${I}h = 0x9E3779B9`,
  `${I}for v in parts:`,
  `${I}${I}for w in (math.floor(v), math.floor(v / 4294967296), math.floor((v - math.floor(v)) * 4294967296)):`,
  `${I}${I}${I}h = ((h ^ (w & M32)) * 0x85EBCA6B) & M32`,
  `${I}${I}${I}h ^= h >> 13`,
  `${I}${I}${I}h = (h * 0xC2B2AE35) & M32`,
  `${I}${I}${I}h ^= h >> 16`,
  `${I}return h`,
  '',
  '',
  'class Rng:',
  `${I}def __init__(self, seed):`,
  `${I}${I}self.state = mix_seed(seed)`,
  `${I}${I}self.spare = None`,
  '',
  `${I}def next(self):`,
  `${I}${I}"""Uniform in [0, 1)."""`,
  `${I}${I}self.state = (self.state + 0x6D2B79F5) & M32`,
  `${I}${I}t = self.state`,
  `${I}${I}t = ((t ^ (t >> 15)) * (t | 1)) & M32`,
  `${I}${I}t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & M32)) & M32`,
  `${I}${I}return ((t ^ (t >> 14)) & M32) / 4294967296`,
  '',
  `${I}def uniform(self, lo, hi):`,
  `${I}${I}return lo + (hi - lo) * self.next()`,
  '',
  `${I}def int(self, n):`,
  `${I}${I}return math.floor(self.next() * n)`,
  '',
  `${I}def normal(self, mean=0.0, std=1.0):`,
  `${I}${I}if self.spare is not None:`,
  `${I}${I}${I}s, self.spare = self.spare, None`,
  `${I}${I}${I}return mean + std * s`,
  `${I}${I}u = 0.0`,
  `${I}${I}while u == 0.0:`,
  `${I}${I}${I}u = self.next()`,
  `${I}${I}v = self.next()`,
  `${I}${I}r = math.sqrt(-2 * math.log(u))`,
  `${I}${I}self.spare = r * math.sin(2 * math.pi * v)`,
  `${I}${I}return mean + std * r * math.cos(2 * math.pi * v)`,
  '',
  ''
];

/** Where a shipped text comes from (for the script's comment). */
export const TEXT_URLS: Record<TextName, string> = {
  shakespeare: 'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt',
  names: 'https://raw.githubusercontent.com/karpathy/makemore/master/names.txt'
};

/** The file name the script reads for a text data set (next to the script). */
export function textFileName(name: string, uploadedFileName?: string): string {
  if (name === 'shakespeare') return 'shakespeare.txt';
  if (name === 'names') return 'names.txt';
  return uploadedFileName ?? 'text.txt';
}

export interface TextScriptParams {
  name: string;
  seqLen: number;
  samples: number;
  seed: number;
  /** The uploaded file's name (the `text` data set). */
  fileName?: string;
}

/**
 * Python lines defining `tokens, x_train, y_labels_train, x_test, y_labels_test` (int32 ids, per-step labels) for a
 * text data set; `vocab_size = len(tokens)`. Needs `import math`, `numpy as np`, `os` and PY_RNG before it.
 */
export function textDataLines(p: TextScriptParams): string[] {
  const file = textFileName(p.name, p.fileName);
  const names = p.name === 'names';
  const where =
    p.name === 'shakespeare' || p.name === 'names'
      ? [`# ${file}: static/${TEXTS[p.name as TextName].path} in the playground's repository (the same file as`, `# ${TEXT_URLS[p.name as TextName]}); put it next to this script.`]
      : [`# ${file}: the text file you uploaded to the playground; put it next to this script.`];
  return [
    'def make_text(text, seq_len, samples, seed, stream):',
    `${I}"""Character-level windows, as the playground makes them (src/lib/data/text.ts).`,
    '',
    `${I}The vocabulary is the text's distinct characters sorted by code point; x holds \`samples\` windows of`,
    `${I}seq_len ids starting at seeded random positions in the first ${TEXT_TRAIN_FRACTION * 100} % of the text, y the next character at`,
    `${I}each position. x_test, y_test: consecutive windows from the start of the last ${Math.round((1 - TEXT_TRAIN_FRACTION) * 100)} %.`,
    `${I}"""`,
    `${I}tokens = sorted(set(text))`,
    `${I}index = {c: i for i, c in enumerate(tokens)}`,
    `${I}ids = np.array([index[c] for c in text], dtype=np.int32)`,
    `${I}cut = math.floor(len(ids) * ${TEXT_TRAIN_FRACTION})`,
    `${I}rng = Rng(mix_seed(seed, stream))`,
    `${I}starts = np.array([rng.int(cut - seq_len) for _ in range(samples)], dtype=np.int64)`,
    `${I}steps = starts[:, None] + np.arange(seq_len)`,
    `${I}test_n = max(0, min((len(ids) - cut - 1) // seq_len, max(1, math.floor(samples * ${TEXT_TEST_FRACTION} + 0.5))))`,
    `${I}test_steps = cut + seq_len * np.arange(test_n)[:, None] + np.arange(seq_len)`,
    `${I}return tokens, ids[steps], ids[steps + 1], ids[test_steps], ids[test_steps + 1]`,
    '',
    '',
    ...where,
    `with open(os.path.join(DATA_DIR, "${file}"), encoding="utf-8-sig") as f:`,
    names
      ? `${I}text = "${NAMES_SEPARATOR}" + "${NAMES_SEPARATOR}".join(line.strip() for line in f.read().split("\\n") if line.strip()) + "${NAMES_SEPARATOR}"`
      : `${I}text = f.read()`,
    `tokens, x_train, y_labels_train, x_test, y_labels_test = make_text(text, seq_len=${p.seqLen}, samples=${p.samples}, seed=${p.seed}, stream=${textStream(p.name)})`,
    'vocab_size = len(tokens)',
    `seq_len = ${p.seqLen}`
  ];
}

/**
 * Python lines defining `x_train, y_labels_train, x_test, y_labels_test` for reverse / parity (int32) or
 * `x_train, y_train, x_test, y_test` for sine_series (float32), plus `seq_len` (and `vocab_size`).
 */
export function sequenceDataLines(p: Required<SequenceParams>): string[] {
  const call = `seq_len=${p.seqLen}, samples=${p.samples}, seed=${p.seed}`;
  const split = [
    `${I}n = samples + max(1, math.floor(samples * ${SEQUENCE_TEST_FRACTION} + 0.5))  # the rows after \`samples\` are x_test, y_test`
  ];
  const rng = `${I}rng = Rng(mix_seed(seed, ${sequenceStream(p.name)}))`;
  const name: SequenceName = p.name;
  switch (name) {
    case 'reverse':
      return [
        'def make_reverse(seq_len, samples, seed):',
        `${I}"""Random digit sequences (ids 0-9) and the same sequences reversed (src/lib/data/sequences.ts)."""`,
        ...split,
        rng,
        `${I}x = np.array([[rng.int(10) for _ in range(seq_len)] for _ in range(n)], dtype=np.int32).reshape(n, seq_len)`,
        `${I}y = x[:, ::-1].copy()`,
        `${I}return x[:samples], y[:samples], x[samples:], y[samples:]`,
        '',
        '',
        `x_train, y_labels_train, x_test, y_labels_test = make_reverse(${call})`,
        'vocab_size = 10',
        `seq_len = ${p.seqLen}`
      ];
    case 'parity':
      return [
        'def make_parity(seq_len, samples, seed):',
        `${I}"""Random bit sequences and their parity: 1 when the number of ones is odd (src/lib/data/sequences.ts)."""`,
        ...split,
        rng,
        `${I}x = np.array([[1 if rng.next() < 0.5 else 0 for _ in range(seq_len)] for _ in range(n)], dtype=np.int32).reshape(n, seq_len)`,
        `${I}y = x.sum(axis=1) % 2`,
        `${I}return x[:samples], y[:samples], x[samples:], y[samples:]`,
        '',
        '',
        `x_train, y_labels_train, x_test, y_labels_test = make_parity(${call})`,
        'vocab_size = 2',
        `seq_len = ${p.seqLen}`
      ];
    case 'sine_series':
      return [
        'def make_sine_series(seq_len, samples, noise, seed):',
        `${I}"""Windows of one noisy sum of sines and the value after each window (src/lib/data/sequences.ts).`,
        '',
        `${I}series[t] = sum(a * sin(2 pi t / period + phase)) + Gaussian noise (sigma = noise * ${f(SERIES.noiseScale)}); the phases are`,
        `${I}drawn from the seed. Window i starts at step i: rows are in time order (validation_split holds out the latest).`,
        `${I}"""`,
        ...split,
        rng,
        `${I}amplitudes, periods = ${JSON.stringify(SERIES.amplitudes.map(f)).replace(/"/g, '')}, ${JSON.stringify(SERIES.periods)}`,
        `${I}phases = [rng.uniform(0, 2 * math.pi) for _ in amplitudes]`,
        `${I}sigma = noise * ${f(SERIES.noiseScale)}`,
        `${I}series = np.zeros(n + seq_len)`,
        `${I}for t in range(n + seq_len):`,
        `${I}${I}v = 0.0`,
        `${I}${I}for a, period, phase in zip(amplitudes, periods, phases):`,
        `${I}${I}${I}v += a * math.sin(2 * math.pi * t / period + phase)`,
        `${I}${I}series[t] = v + rng.normal(0, sigma)`,
        `${I}steps = np.arange(n)[:, None] + np.arange(seq_len)`,
        `${I}x = series[steps].astype(np.float32).reshape(n, seq_len, 1)`,
        `${I}y = series[np.arange(n) + seq_len].astype(np.float32).reshape(n, 1)`,
        `${I}return x[:samples], y[:samples], x[samples:], y[samples:]`,
        '',
        '',
        `# Real-valued targets, used as they are: y_train has shape (${p.samples}, 1).`,
        `x_train, y_train, x_test, y_test = make_sine_series(seq_len=${p.seqLen}, samples=${p.samples}, noise=${f(p.noise)}, seed=${p.seed})`,
        `seq_len = ${p.seqLen}`
      ];
  }
}
