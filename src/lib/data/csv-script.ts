/**
 * The Keras script export for a CSV data set: Python (csv module + numpy) that reads the same file and prepares it as
 * the playground does — the same feature columns, the same one-hot values, the standardisation with the playground's
 * own means and standard deviations (written into the script), the same class names, the same target encoding for the
 * loss, and a seeded shuffle before holding out the last 20 % as x_test, y_test (numpy's shuffle: the same procedure,
 * not the same rows).
 */
import type { BoundData } from './types';
import { csvTask, targetIndex, TEST_FRACTION, type CsvDataset, type CsvSettings, type CsvTable } from './csv';

const py = (s: string) => JSON.stringify(s);
const num = (v: number) => (Number.isInteger(v) ? `${v}.0` : String(v));

/** The data part of the script (needs `import numpy as np`); `target` is how bindData encoded y for the program's loss. */
export function csvPythonData(table: CsvTable, settings: CsvSettings, csv: CsvDataset, target: BoundData['target'], seed: number): string {
  const ti = targetIndex(table, settings);
  const t = table.columns[ti];
  const task = csvTask(table, settings);
  const feats = csv.features.map((f) =>
    f.value === undefined ? `    (${py(f.column)}, None, ${num(f.mean)}, ${num(f.std)}),` : `    (${py(f.column)}, ${py(f.value)}, 0.0, 1.0),`
  );
  const lines = [
    `# Data: ${table.fileName} (${table.rows.length} rows${table.header ? ', first row = column names' : ', no header row'}), read with the csv module.`,
    `# Put the file next to this script. Target column: ${py(t.name)} (${task}).`,
    'import csv',
    '',
    `FILE = ${py(table.fileName)}`,
    `with open(FILE, newline="") as f:`,
    `    rows = [[c.strip() for c in r] for r in csv.reader(f, delimiter=${py(table.delimiter)}) if any(c.strip() for c in r)]`,
    table.header ? 'names, rows = rows[0], rows[1:]' : `names = [f"column {j + 1}" for j in range(len(rows[0]))]`,
    'col = {name: j for j, name in enumerate(names)}',
    '',
    '# Features: (column, one-hot value or None for a number, mean, std) — the playground\'s standardisation.',
    'FEATURES = [',
    ...feats,
    ']',
    'def features(r):',
    '    return [(float(r[col[c]]) - m) / s if v is None else float(r[col[c]] == v) for c, v, m, s in FEATURES]',
    '',
    'x = np.array([features(r) for r in rows], dtype="float32")'
  ];
  if (task === 'classification') {
    const names = csv.classNames ?? [];
    const key = t.kind === 'categorical' ? `r[col[${py(t.name)}]]` : `str(float(r[col[${py(t.name)}]]))`;
    const classKeys = t.kind === 'categorical' ? names : names.map((n) => String(Number(n)) + (Number.isInteger(Number(n)) ? '.0' : ''));
    lines.push(
      `CLASSES = [${classKeys.map(py).join(', ')}]`,
      `labels = np.array([CLASSES.index(${key}) for r in rows])`
    );
  } else {
    lines.push(`labels = np.array([float(r[col[${py(t.name)}]]) for r in rows], dtype="float32")`);
  }
  const encode: Record<BoundData['target'], string> = {
    onehot: `y = keras.utils.to_categorical(labels, ${csv.classNames?.length ?? 0}).astype("float32")  # one-hot for the loss`,
    sparse: 'y = labels.astype("int32")  # class indices for sparse_categorical_crossentropy',
    binary: 'y = labels.reshape(-1, 1).astype("float32")  # 0/1 for binary_crossentropy',
    index: 'y = labels.reshape(-1, 1).astype("float32")  # the class index as a number',
    value: 'y = labels.reshape(-1, 1).astype("float32")'
  };
  lines.push(
    encode[target],
    '',
    `# Shuffle (files are often sorted by class), then hold out the last ${Math.round(TEST_FRACTION * 100)} % as the test set.`,
    `order = np.random.default_rng(${seed}).permutation(len(x))`,
    'x, y = x[order], y[order]',
    `n_test = max(1, round(len(x) * ${TEST_FRACTION}))`,
    'x_train, y_train, x_test, y_test = x[:-n_test], y[:-n_test], x[-n_test:], y[-n_test:]'
  );
  return `${lines.join('\n')}\n`;
}

/** A complete script: the CSV data code, then the program as written. */
export function csvKerasScript(table: CsvTable, settings: CsvSettings, csv: CsvDataset, target: BoundData['target'], seed: number, source: string): string {
  return [
    '# A Keras 3 program exported from the NN playground, with the code that prepares its CSV data.',
    '# Run: pip install numpy keras tensorflow; python3 <this file> (with the CSV file beside it)',
    '',
    'import numpy as np',
    'import keras',
    'from keras import layers',
    '',
    '# --- Data ' + '-'.repeat(68),
    '',
    csvPythonData(table, settings, csv, target, seed).replace(/\n$/, ''),
    '',
    '# --- Model ' + '-'.repeat(67),
    '',
    source.replace(/\s+$/, ''),
    ''
  ].join('\n');
}
