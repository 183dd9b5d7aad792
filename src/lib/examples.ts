/**
 * The example programs in `examples/*.py`, bundled as text. Each starts with two comment lines that say what it is
 * and which data set it trains on:
 *
 *   # Digits CNN — two convolution + max-pooling stages find strokes, one Dense layer reads the digit
 *   # data: digits
 *
 * `parseExampleHeader` reads them (shared by the app and the tests).
 */
import { REGRESSION_NAMES, type RegressionName } from '$lib/data/regression';
import { SEQUENCE_NAMES, type SequenceName } from '$lib/data/sequences';
import { TEXT_NAMES, type TextName } from '$lib/data/text';
import { TOY_NAMES, type ToyName } from '$lib/data/toys';

/** The data sets an example can ask for (`# data: <name>`). */
export type DatasetName = ToyName | RegressionName | 'digits' | TextName | SequenceName;
export const DATASET_NAMES: readonly DatasetName[] = [...TOY_NAMES, ...REGRESSION_NAMES, 'digits', ...TEXT_NAMES, ...SEQUENCE_NAMES];

export interface ExampleHeader {
  title: string;
  description: string;
  data: DatasetName;
}

export interface Example extends ExampleHeader {
  /** The file name without `.py`, e.g. `digits_cnn`. */
  id: string;
  source: string;
}

const TITLE_LINE = /^#\s*(.+?)\s+[—–]\s+(.+?)\s*$/;
const DATA_LINE = /^#\s*data:\s*([A-Za-z0-9_-]+)\s*$/;

export function isDatasetName(name: string): name is DatasetName {
  return (DATASET_NAMES as readonly string[]).includes(name);
}

/**
 * Reads the two header lines: `# Title — description` (an em or en dash between spaces) and `# data: <name>` with a
 * known data set name. Null when the source does not start with both.
 */
export function parseExampleHeader(source: string): ExampleHeader | null {
  const lines = source.replace(/^\uFEFF/, '').split(/\r?\n/, 2);
  const title = TITLE_LINE.exec(lines[0] ?? '');
  const data = DATA_LINE.exec(lines[1] ?? '');
  if (!title || !data) return null;
  const name = data[1].toLowerCase();
  if (!isDatasetName(name)) return null;
  return { title: title[1], description: title[2], data: name };
}

/** Headers of the examples written before the header convention (their line numbers are pinned by tests). */
export const LEGACY_HEADERS: Record<string, ExampleHeader> = {
  spiral: {
    title: 'Spiral',
    description: 'three interleaved spiral arms, two relu layers of 16 and a softmax output',
    data: 'spiral'
  }
};

/** The order the examples are listed in; files not named here follow, alphabetically. */
export const EXAMPLE_ORDER = [
  'spiral',
  'xor',
  'circle_l2',
  'residual_mlp',
  'sine_regression',
  'plane_regression',
  'digits_mlp',
  'digits_cnn',
  'bn_dropout_cnn',
  'char_gru_shakespeare',
  'names_gru',
  'names_causal_conv',
  'sine_lstm',
  'sine_conv1d',
  'parity_simple_rnn',
  'parity_lstm',
  'parity_conv1d',
  'reverse_bidirectional'
];

/** `{ '/examples/xor.py': source, ... }` → the examples with their headers, in EXAMPLE_ORDER. Files without a header are left out. */
export function collectExamples(files: Record<string, string>): Example[] {
  const out: Example[] = [];
  for (const [path, source] of Object.entries(files)) {
    const id = path.replace(/^.*\//, '').replace(/\.py$/, '');
    const header = parseExampleHeader(source) ?? LEGACY_HEADERS[id];
    if (header) out.push({ id, ...header, source });
  }
  const rank = (id: string) => {
    const i = EXAMPLE_ORDER.indexOf(id);
    return i < 0 ? EXAMPLE_ORDER.length : i;
  };
  return out.sort((a, b) => rank(a.id) - rank(b.id) || a.id.localeCompare(b.id));
}

export const EXAMPLES: Example[] = collectExamples(
  import.meta.glob('/examples/*.py', { query: '?raw', import: 'default', eager: true }) as Record<string, string>
);
