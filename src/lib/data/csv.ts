/**
 * Your own CSV as a data set, in two steps:
 *
 * 1. `readCsv(text)` — parse (papaparse; delimiter detected: comma, semicolon, tab, …), detect a header row, check
 *    every row and type every column. A bad file (empty, too large, ragged rows, text in a numeric column, a single
 *    column, an unclosed quote, duplicate column names) gives `{ ok: false, message, row?, column? }`: one sentence
 *    naming the row (as a spreadsheet counts them: the file's first row is row 1) and the column. The result on
 *    success, a `CsvTable`, is plain JSON (strings and numbers): the app keeps it as it is and can persist it.
 * 2. `csvDataset(table, settings, seed)` — the `Dataset` the program's `x_train, y_train, x_test, y_test` are bound
 *    to: the target column (default the last) becomes class labels (text, or whole numbers with few values) or a
 *    regression target; numeric feature columns are standardised (z-scores with the training rows' mean and standard
 *    deviation) unless switched off; text columns are one-hot encoded (at most MAX_CATEGORIES values each). Rows are
 *    shuffled with the data seed (files are often sorted by class, and Keras' validation_split takes the last rows),
 *    then the last TEST_FRACTION of them is held out as `x_test, y_test`.
 */
import Papa from 'papaparse';
import { Rng, mixSeed } from './rng';
import type { ClassificationDataset, Dataset, RegressionDataset } from './types';

export const CSV_LIMITS = {
  /** Bytes of text. */
  maxBytes: 20 * 1024 * 1024,
  /** Data rows (without the header). */
  maxRows: 200_000,
  maxColumns: 1000,
  /** Data rows needed to train and hold out a test set. */
  minRows: 5
};
/** Most distinct values a text column (or a class target) may have. */
export const MAX_CATEGORIES = 50;
/** A numeric target with at most this many distinct whole-number values counts as class labels (in 'auto'). */
export const MAX_INTEGER_CLASSES = 20;
/** Fraction of the (shuffled) rows held out as x_test, y_test. */
export const TEST_FRACTION = 0.2;

export type ColumnKind = 'numeric' | 'categorical';

export interface CsvColumn {
  name: string;
  kind: ColumnKind;
  /** Distinct values of a categorical column, sorted; for numeric columns, their distinct count up to MAX_CATEGORIES + 1. */
  categories?: string[];
  distinct: number;
  /** Numeric columns: whether every value is a whole number. */
  integer?: boolean;
}

/** A checked CSV file, plain JSON. `rows[i][j]` is the text of data row i, column j (header excluded). */
export interface CsvTable {
  fileName: string;
  /** Whether the file's first row was taken as column names (else names are "column 1", …). */
  header: boolean;
  columns: CsvColumn[];
  rows: string[][];
  /** The delimiter papaparse found. */
  delimiter: string;
}

export type CsvError = { ok: false; message: string; row?: number; column?: string };
export type CsvResult<T> = { ok: true; value: T } | CsvError;

/** What the user picks in the Data panel for a CSV (part of DataSettings: plain JSON). */
export interface CsvSettings {
  /** Name of the target column; null = the last column. */
  target: string | null;
  /** 'auto': text or few whole numbers → classification, other numbers → regression. */
  task: 'auto' | 'classification' | 'regression';
  /** Standardise numeric feature columns (z-scores). */
  standardize: boolean;
}

export const DEFAULT_CSV_SETTINGS: CsvSettings = { target: null, task: 'auto', standardize: true };

/** The largest float32 (training data is float32). */
const FLOAT32_MAX = 3.4028234663852886e38;
const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function isNumber(s: string): boolean {
  return NUMBER.test(s.trim());
}

function fail(message: string, row?: number, column?: string): CsvError {
  return { ok: false, message, ...(row !== undefined ? { row } : {}), ...(column !== undefined ? { column } : {}) };
}

function quote(s: string, max = 30): string {
  const t = s.length > max ? `${s.slice(0, max)}…` : s;
  return `'${t}'`;
}

function mb(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Checks a file's size before reading it (the upload control calls this with `File.size`). */
export function checkCsvSize(bytes: number, fileName = 'The file'): CsvError | null {
  if (bytes > CSV_LIMITS.maxBytes) return fail(`${fileName} is ${mb(bytes)}, larger than the ${mb(CSV_LIMITS.maxBytes)} a CSV may have here`);
  if (bytes === 0) return fail(`${fileName} is empty`);
  return null;
}

/** Parses and checks a CSV file's text. */
export function readCsv(text: string, fileName = 'data.csv'): CsvResult<CsvTable> {
  const size = checkCsvSize(text.length, fileName);
  if (size) return size;
  if (!text.trim()) return fail(`${fileName} is empty (only blank lines)`);
  const parsed = Papa.parse<string[]>(text.replace(/^\uFEFF/, ''), { skipEmptyLines: false, delimitersToGuess: [',', ';', '\t', '|'] });
  const quoteError = parsed.errors.find((e) => e.type === 'Quotes');
  if (quoteError) {
    const row = (quoteError.row ?? 0) + 1;
    return fail(`Row ${row} has a quoted field that is never closed (a " without its closing ")`, row);
  }
  // Rows as the file numbers them (1-based, the header included); blank lines are skipped but counted.
  const records: { row: number; cells: string[] }[] = [];
  parsed.data.forEach((cells, i) => {
    if (cells.length === 1 && cells[0].trim() === '') return;
    records.push({ row: i + 1, cells: cells.map((c) => c.trim()) });
  });
  if (records.length === 0) return fail(`${fileName} is empty`);
  const first = records[0];
  const width = first.cells.length;
  if (width > CSV_LIMITS.maxColumns) return fail(`${fileName} has ${width} columns, more than the ${CSV_LIMITS.maxColumns} allowed`);
  if (width < 2) {
    return fail(
      `${fileName} has a single column: a data set needs at least one feature column and a target column, separated by commas (or semicolons or tabs)`,
      first.row
    );
  }
  // A header: no cell of the first row is a number, and every cell has text.
  const header = first.cells.every((c) => c !== '' && !isNumber(c));
  const names = header ? first.cells : first.cells.map((_, j) => `column ${j + 1}`);
  const seen = new Map<string, number>();
  for (let j = 0; j < names.length; j++) {
    const before = seen.get(names[j]);
    if (before !== undefined) return fail(`Row 1: columns ${before + 1} and ${j + 1} are both named ${quote(names[j])} — column names must differ`, 1, names[j]);
    seen.set(names[j], j);
  }
  const body = header ? records.slice(1) : records;
  if (body.length > CSV_LIMITS.maxRows) return fail(`${fileName} has ${body.length} data rows, more than the ${CSV_LIMITS.maxRows.toLocaleString('en')} allowed`);
  for (const r of body) {
    if (r.cells.length !== width) {
      const what = header ? 'the header has' : 'the first row has';
      return fail(`Row ${r.row} has ${r.cells.length} ${r.cells.length === 1 ? 'column' : 'columns'} but ${what} ${width}`, r.row);
    }
  }
  if (body.length < CSV_LIMITS.minRows) {
    return fail(`${fileName} has ${body.length} data ${body.length === 1 ? 'row' : 'rows'}; at least ${CSV_LIMITS.minRows} are needed to train and hold out a test set`);
  }

  const columns: CsvColumn[] = [];
  for (let j = 0; j < width; j++) {
    const name = names[j];
    let numeric = 0;
    let nonEmpty = 0;
    for (const r of body) {
      const v = r.cells[j];
      if (v === '') continue;
      nonEmpty++;
      if (isNumber(v)) numeric++;
    }
    if (nonEmpty > 0 && numeric * 2 > nonEmpty) {
      // A numeric column: every cell must be a number.
      let integer = true;
      const distinct = new Set<string>();
      for (const r of body) {
        const v = r.cells[j];
        if (v === '') return fail(`Row ${r.row}, column ${quote(name)} is empty — fill it in or remove the row`, r.row, name);
        if (!isNumber(v)) return fail(`Row ${r.row}, column ${quote(name)}: ${quote(v)} is not a number (the column's other values are numbers)`, r.row, name);
        const x = Number(v);
        // Training runs in float32: a number beyond its range (1e39, 1e309) would become ±Infinity there.
        if (!(Math.abs(x) <= FLOAT32_MAX)) return fail(`Row ${r.row}, column ${quote(name)}: ${quote(v)} is too large (numbers here must be within ±3.4e38)`, r.row, name);
        if (!Number.isInteger(x)) integer = false;
        if (distinct.size <= MAX_CATEGORIES) distinct.add(String(x));
      }
      columns.push({ name, kind: 'numeric', distinct: distinct.size, integer });
    } else {
      const values = new Set<string>();
      for (const r of body) values.add(r.cells[j]);
      const categories = [...values].sort((a, b) => a.localeCompare(b, 'en'));
      columns.push({ name, kind: 'categorical', categories, distinct: categories.length });
    }
  }
  return { ok: true, value: { fileName, header, columns, rows: body.map((r) => r.cells), delimiter: parsed.meta.delimiter } };
}

/** The target column's index for these settings (the last column by default), or -1. */
export function targetIndex(table: CsvTable, settings: CsvSettings): number {
  if (settings.target === null) return table.columns.length - 1;
  return table.columns.findIndex((c) => c.name === settings.target);
}

/** How the target is used: text, or (in 'auto') whole numbers with few values, make classes. */
export function csvTask(table: CsvTable, settings: CsvSettings): 'classification' | 'regression' {
  const t = table.columns[targetIndex(table, settings)];
  if (!t) return 'regression';
  if (t.kind === 'categorical') return 'classification';
  if (settings.task !== 'auto') return settings.task;
  return t.integer && t.distinct <= MAX_INTEGER_CLASSES ? 'classification' : 'regression';
}

/** One feature of x: a numeric column, or one value of a one-hot encoded text column. */
export interface CsvFeature {
  column: string;
  /** The text value this one-hot feature stands for (absent for numeric columns). */
  value?: string;
  /** Standardisation: x' = (x − mean) / std (mean 0, std 1 when off). */
  mean: number;
  std: number;
}

export interface CsvDataset {
  dataset: Dataset;
  features: CsvFeature[];
  /** Class names (classification), in label order. */
  classNames?: string[];
  nTrain: number;
  nTest: number;
}

/** Checks the settings against the table (target exists and makes sense for the task). */
export function checkCsvSettings(table: CsvTable, settings: CsvSettings): CsvError | null {
  const ti = targetIndex(table, settings);
  if (ti < 0) return fail(`There is no column ${quote(settings.target ?? '')} to predict in ${table.fileName}`, undefined, settings.target ?? undefined);
  const t = table.columns[ti];
  const task = csvTask(table, settings);
  if (settings.task === 'regression' && t.kind === 'categorical') {
    return fail(`Column ${quote(t.name)} holds text, so it cannot be a regression target — predict it as classes, or pick a numeric column`, undefined, t.name);
  }
  if (task === 'classification') {
    const k = t.distinct;
    if (k < 2) return fail(`Column ${quote(t.name)} has only one value, so there is nothing to predict — pick another target column`, undefined, t.name);
    if (k > MAX_CATEGORIES) {
      // Numeric columns count their distinct values only up to MAX_CATEGORIES + 1.
      const many = t.kind === 'numeric' ? `more than ${MAX_CATEGORIES}` : String(k);
      return fail(`Column ${quote(t.name)} has ${many} different values — too many classes (at most ${MAX_CATEGORIES}); predict it as a regression target or pick another column`, undefined, t.name);
    }
  }
  for (let j = 0; j < table.columns.length; j++) {
    const c = table.columns[j];
    if (j === ti || c.kind !== 'categorical') continue;
    if (c.distinct > MAX_CATEGORIES) {
      return fail(
        `Column ${quote(c.name)} has ${c.distinct} different text values — too many to one-hot encode (at most ${MAX_CATEGORIES}); remove it from the file (an id or a name column does not help a model)`,
        undefined,
        c.name
      );
    }
  }
  return null;
}

function numericSort(values: string[]): string[] {
  return [...values].sort((a, b) => Number(a) - Number(b));
}

/** The data set for these settings; `seed` shuffles the rows before the test rows are held out. */
export function csvDataset(table: CsvTable, settings: CsvSettings, seed: number): CsvResult<CsvDataset> {
  const bad = checkCsvSettings(table, settings);
  if (bad) return bad;
  const ti = targetIndex(table, settings);
  const target = table.columns[ti];
  const task = csvTask(table, settings);
  const n = table.rows.length;
  const order = new Rng(mixSeed(seed, 0xc5f)).permutation(n);
  const nTest = Math.max(1, Math.round(n * TEST_FRACTION));
  const nTrain = n - nTest;

  // Features: numeric columns (standardised with the training rows' statistics), text columns one-hot.
  const features: CsvFeature[] = [];
  const columnOf: { j: number; value?: string }[] = [];
  table.columns.forEach((c, j) => {
    if (j === ti) return;
    if (c.kind === 'numeric') {
      let mean = 0;
      let std = 1;
      if (settings.standardize) {
        let s = 0;
        for (let k = 0; k < nTrain; k++) s += Number(table.rows[order[k]][j]);
        mean = s / nTrain;
        let v = 0;
        for (let k = 0; k < nTrain; k++) v += (Number(table.rows[order[k]][j]) - mean) ** 2;
        std = Math.sqrt(v / nTrain) || 1;
      }
      features.push({ column: c.name, mean, std });
      columnOf.push({ j });
    } else {
      for (const value of c.categories ?? []) {
        features.push({ column: c.name, value, mean: 0, std: 1 });
        columnOf.push({ j, value });
      }
    }
  });
  if (features.length === 0) return fail(`${table.fileName} has no feature columns besides the target ${quote(target.name)}`);
  const f = features.length;
  const fill = (from: number, to: number): Float32Array => {
    const x = new Float32Array((to - from) * f);
    for (let k = from; k < to; k++) {
      const row = table.rows[order[k]];
      const o = (k - from) * f;
      for (let q = 0; q < f; q++) {
        const col = columnOf[q];
        x[o + q] = col.value === undefined ? (Number(row[col.j]) - features[q].mean) / features[q].std : row[col.j] === col.value ? 1 : 0;
      }
    }
    return x;
  };
  const name = table.fileName;
  if (task === 'classification') {
    const classNames = target.kind === 'categorical' ? [...(target.categories ?? [])] : numericSort([...new Set(table.rows.map((r) => String(Number(r[ti]))))]);
    const index = new Map(classNames.map((c, i) => [c, i]));
    const key = (v: string) => (target.kind === 'categorical' ? v : String(Number(v)));
    const labels = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, k) => index.get(key(table.rows[order[from + k]][ti]))!);
    const ds: ClassificationDataset = {
      kind: 'classification',
      name,
      x: fill(0, nTrain),
      labels: labels(0, nTrain),
      n: nTrain,
      features: f,
      numClasses: classNames.length,
      classNames,
      test: { x: fill(nTrain, n), labels: labels(nTrain, n), n: nTest }
    };
    return { ok: true, value: { dataset: ds, features, classNames, nTrain, nTest } };
  }
  const ys = (from: number, to: number) => Float32Array.from({ length: to - from }, (_, k) => Number(table.rows[order[from + k]][ti]));
  const ds: RegressionDataset = {
    kind: 'regression',
    name,
    x: fill(0, nTrain),
    y: ys(0, nTrain),
    n: nTrain,
    features: f,
    targets: 1,
    test: { x: fill(nTrain, n), y: ys(nTrain, n), n: nTest }
  };
  return { ok: true, value: { dataset: ds, features, nTrain, nTest } };
}

/** A one-line description for the Data panel: "iris.csv: 150 rows, 4 numeric and 0 text feature columns, target 'species' (3 classes)". */
export function describeCsv(table: CsvTable, settings: CsvSettings): string {
  const ti = targetIndex(table, settings);
  const feats = table.columns.filter((_, j) => j !== ti);
  const numeric = feats.filter((c) => c.kind === 'numeric').length;
  const t = table.columns[ti];
  const task = csvTask(table, settings);
  const what = !t ? '' : task === 'classification' ? `${t.distinct} classes` : 'regression';
  return `${table.fileName}: ${table.rows.length} rows, ${numeric} numeric and ${feats.length - numeric} text feature ${feats.length === 1 ? 'column' : 'columns'}${t ? `, target ${quote(t.name)} (${what})` : ''}`;
}
