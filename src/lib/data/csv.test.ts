import { describe, expect, it } from 'vitest';
import { checkCsvSize, csvDataset, csvTask, DEFAULT_CSV_SETTINGS, describeCsv, MAX_CATEGORIES, readCsv, type CsvTable } from './csv';

function table(text: string, name = 'data.csv'): CsvTable {
  const r = readCsv(text, name);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

const GOOD = ['age,colour,height,label', '31,red,1.80,yes', '45,blue,1.65,no', '22,red,1.72,yes', '38,green,1.90,no', '50,blue,1.55,yes', '27,green,1.60,no'].join('\n');

describe('readCsv: bad files give one located message', () => {
  const rows = (n: number) => Array.from({ length: n }, (_, i) => `${i},${i * 2},${i % 2}`).join('\n');
  const cases: { name: string; text: string; message: string | RegExp; row?: number; column?: string }[] = [
    { name: 'empty', text: '', message: 'data.csv is empty' },
    { name: 'blank lines only', text: '\n \n\n', message: 'data.csv is empty (only blank lines)' },
    { name: 'a single column', text: 'x\n1\n2\n3\n4\n5', message: /^data\.csv has a single column: a data set needs at least one feature column and a target column/, row: 1 },
    { name: 'ragged row (short)', text: 'a,b,c,d\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3,4\n1,2,3', message: 'Row 7 has 3 columns but the header has 4', row: 7 },
    { name: 'ragged row (long), no header', text: '1,2\n3,4\n5,6,7\n8,9\n1,1\n2,2', message: 'Row 3 has 3 columns but the first row has 2', row: 3 },
    {
      name: 'text in a numeric column',
      text: ['age,score', ...Array.from({ length: 10 }, (_, i) => `${20 + i},${i}`), 'abc,3', '30,4'].join('\n'),
      message: "Row 12, column 'age': 'abc' is not a number (the column's other values are numbers)",
      row: 12,
      column: 'age'
    },
    { name: 'empty cell in a numeric column', text: 'a,b\n1,2\n3,4\n,6\n7,8\n9,10', message: "Row 4, column 'a' is empty — fill it in or remove the row", row: 4, column: 'a' },
    { name: 'too few rows', text: 'a,b\n1,2\n3,4', message: 'data.csv has 2 data rows; at least 5 are needed to train and hold out a test set' },
    { name: 'unclosed quote', text: 'a,b\n1,"2\n3,4\n5,6', message: /^Row 2 has a quoted field that is never closed/, row: 2 },
    { name: 'duplicate column names', text: 'x,y,x\n1,2,3\n1,2,3\n1,2,3\n1,2,3\n1,2,3', message: "Row 1: columns 1 and 3 are both named 'x' — column names must differ", row: 1, column: 'x' },
    { name: 'too many rows', text: `a,b,c\n${rows(200_001)}`, message: 'data.csv has 200001 data rows, more than the 200,000 allowed' }
  ];
  it.each(cases)('$name', ({ text, message, row, column }) => {
    const r = readCsv(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    if (typeof message === 'string') expect(r.message).toBe(message);
    else expect(r.message).toMatch(message);
    expect(r.row).toBe(row);
    expect(r.column).toBe(column);
  });

  it('refuses a file over 20 MB before reading it', () => {
    expect(checkCsvSize(25 * 1024 * 1024, 'big.csv')?.message).toBe('big.csv is 25.0 MB, larger than the 20.0 MB a CSV may have here');
    expect(checkCsvSize(0, 'e.csv')?.message).toBe('e.csv is empty');
    expect(checkCsvSize(1000)).toBeNull();
  });
});

describe('readCsv: good files', () => {
  it('detects the header, types the columns and keeps rows as plain JSON', () => {
    const t = table(GOOD);
    expect(t.header).toBe(true);
    expect(t.columns.map((c) => [c.name, c.kind])).toEqual([
      ['age', 'numeric'],
      ['colour', 'categorical'],
      ['height', 'numeric'],
      ['label', 'categorical']
    ]);
    expect(t.columns[1].categories).toEqual(['blue', 'green', 'red']);
    expect(t.rows.length).toBe(6);
    expect(JSON.parse(JSON.stringify(t))).toEqual(t);
  });

  it('no header when the first row has numbers; semicolons and tabs; blank lines and a BOM', () => {
    const t = table('\uFEFF1;2;0\n3;4;1\n\n5;6;0\n7;8;1\n9;10;0\n');
    expect(t.header).toBe(false);
    expect(t.delimiter).toBe(';');
    expect(t.columns.map((c) => c.name)).toEqual(['column 1', 'column 2', 'column 3']);
    expect(t.rows.length).toBe(5);
    expect(table('a\tb\n1\t2\n3\t4\n5\t6\n7\t8\n9\t0').delimiter).toBe('\t');
    // A blank line is skipped but still counted in the row numbers of later messages.
    const r = readCsv('a,b\n1,2\n\n3,4\n5,6\n7\n8,9');
    expect(r.ok || r.message).toBe('Row 6 has 1 column but the header has 2');
  });
});

describe('csvDataset', () => {
  it('text target → classes; text features one-hot; numbers standardised on the training rows', () => {
    const t = table(GOOD);
    expect(csvTask(t, DEFAULT_CSV_SETTINGS)).toBe('classification');
    const r = csvDataset(t, DEFAULT_CSV_SETTINGS, 1);
    if (!r.ok) throw new Error(r.message);
    const { dataset: ds, features, classNames, nTrain, nTest } = r.value;
    expect(classNames).toEqual(['no', 'yes']);
    expect(features.map((f) => (f.value ? `${f.column}=${f.value}` : f.column))).toEqual(['age', 'colour=blue', 'colour=green', 'colour=red', 'height']);
    expect([nTrain, nTest]).toEqual([5, 1]);
    expect(ds.kind).toBe('classification');
    if (ds.kind !== 'classification') return;
    expect(ds).toMatchObject({ n: 5, features: 5, numClasses: 2, name: 'data.csv' });
    expect(ds.test?.n).toBe(1);
    // Standardised training columns: mean 0, std 1; one-hot rows sum to 1.
    const col = (q: number) => Array.from({ length: ds.n }, (_, i) => ds.x[i * 5 + q]);
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    expect(mean(col(0))).toBeCloseTo(0, 5);
    expect(Math.sqrt(mean(col(0).map((v) => v * v)))).toBeCloseTo(1, 5);
    for (let i = 0; i < ds.n; i++) expect(ds.x[i * 5 + 1] + ds.x[i * 5 + 2] + ds.x[i * 5 + 3]).toBe(1);
    // Without standardising, the raw values pass through.
    const raw = csvDataset(t, { ...DEFAULT_CSV_SETTINGS, standardize: false }, 1);
    if (!raw.ok) throw new Error(raw.message);
    const ages = Array.from({ length: 5 }, (_, i) => raw.value.dataset.x[i * 5]).concat(raw.value.dataset.test!.x[0]);
    expect(ages.sort()).toEqual([22, 27, 31, 38, 45, 50]);
  });

  it('is deterministic for the seed, and balanced-ish classes survive the shuffle', () => {
    const lines = ['f1,f2,cls', ...Array.from({ length: 300 }, (_, i) => `${i},${(i * 7) % 13},${i < 100 ? 'a' : i < 200 ? 'b' : 'c'}`)];
    const t = table(lines.join('\n'));
    const a = csvDataset(t, DEFAULT_CSV_SETTINGS, 3);
    const b = csvDataset(t, DEFAULT_CSV_SETTINGS, 3);
    const c = csvDataset(t, DEFAULT_CSV_SETTINGS, 4);
    if (!a.ok || !b.ok || !c.ok) throw new Error('csvDataset failed');
    expect(Array.from(a.value.dataset.x)).toEqual(Array.from(b.value.dataset.x));
    expect(Array.from(a.value.dataset.x)).not.toEqual(Array.from(c.value.dataset.x));
    const ds = a.value.dataset;
    if (ds.kind !== 'classification') throw new Error('not classification');
    expect([ds.n, ds.test!.n]).toEqual([240, 60]);
    // The file is sorted by class; the last 20 % of training rows (validation_split) still has every class.
    const tail = new Set(ds.labels.subarray(192));
    expect(tail.size).toBe(3);
  });

  it('numeric targets: few whole numbers → classes (auto), else regression; the choice can be forced', () => {
    const ints = table(['x,y', ...Array.from({ length: 20 }, (_, i) => `${i},${i % 3}`)].join('\n'));
    expect(csvTask(ints, DEFAULT_CSV_SETTINGS)).toBe('classification');
    expect(csvTask(ints, { ...DEFAULT_CSV_SETTINGS, task: 'regression' })).toBe('regression');
    const r = csvDataset(ints, DEFAULT_CSV_SETTINGS, 1);
    expect(r.ok && r.value.classNames).toEqual(['0', '1', '2']);
    const reals = table(['x,y', ...Array.from({ length: 20 }, (_, i) => `${i},${i * 0.5 + 0.25}`)].join('\n'));
    expect(csvTask(reals, DEFAULT_CSV_SETTINGS)).toBe('regression');
    const rr = csvDataset(reals, DEFAULT_CSV_SETTINGS, 1);
    if (!rr.ok) throw new Error(rr.message);
    expect(rr.value.dataset).toMatchObject({ kind: 'regression', targets: 1, features: 1, n: 16 });
    expect(describeCsv(reals, DEFAULT_CSV_SETTINGS)).toBe("data.csv: 20 rows, 1 numeric and 0 text feature column, target 'y' (regression)");
  });

  it('picks another target column by name', () => {
    const t = table(GOOD);
    const r = csvDataset(t, { ...DEFAULT_CSV_SETTINGS, target: 'colour' }, 1);
    if (!r.ok) throw new Error(r.message);
    expect(r.value.classNames).toEqual(['blue', 'green', 'red']);
    expect(r.value.features.map((f) => f.column)).toEqual(['age', 'height', 'label', 'label']);
  });

  const bad: { name: string; text: string; settings: Partial<typeof DEFAULT_CSV_SETTINGS>; message: string }[] = [
    { name: 'unknown target', text: GOOD, settings: { target: 'weight' }, message: "There is no column 'weight' to predict in data.csv" },
    { name: 'text target as regression', text: GOOD, settings: { task: 'regression' }, message: "Column 'label' holds text, so it cannot be a regression target — predict it as classes, or pick a numeric column" },
    { name: 'one-valued target', text: 'a,b\n1,x\n2,x\n3,x\n4,x\n5,x', settings: {}, message: "Column 'b' has only one value, so there is nothing to predict — pick another target column" },
    {
      name: 'a text column with too many values',
      text: ['name,y', ...Array.from({ length: 60 }, (_, i) => `p${i},${i % 2}`)].join('\n'),
      settings: {},
      message: `Column 'name' has 60 different text values — too many to one-hot encode (at most ${MAX_CATEGORIES}); remove it from the file (an id or a name column does not help a model)`
    },
    {
      name: 'too many classes',
      text: ['x,y', ...Array.from({ length: 60 }, (_, i) => `${i},${i}`)].join('\n'),
      settings: { task: 'classification' },
      message: "Column 'y' has more than 50 different values — too many classes (at most 50); predict it as a regression target or pick another column"
    }
  ];
  it.each(bad)('refuses settings that do not fit: $name', ({ text, settings, message }) => {
    const r = csvDataset(table(text), { ...DEFAULT_CSV_SETTINGS, ...settings }, 1);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toBe(message);
  });
});
