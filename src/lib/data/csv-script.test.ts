import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { needPython } from '$lib/test-python';
import { csvDataset, DEFAULT_CSV_SETTINGS, readCsv } from './csv';
import { csvKerasScript, csvPythonData } from './csv-script';

const TEXT = ['age,colour,height,label', '31,red,1.80,yes', '45,blue,1.65,no', '22,red,1.72,yes', '38,green,1.90,no', '50,blue,1.55,yes', '27,green,1.60,no'].join('\n');
const numpy = needPython(['numpy']);

describe('CSV Keras export', () => {
  const t = readCsv(TEXT, 'people.csv');
  if (!t.ok) throw new Error(t.message);
  const ds = csvDataset(t.value, DEFAULT_CSV_SETTINGS, 1);
  if (!ds.ok) throw new Error(ds.message);

  it('writes the features, the playground\'s standardisation and the classes into the script', () => {
    const code = csvPythonData(t.value, DEFAULT_CSV_SETTINGS, ds.value, 'sparse', 1);
    expect(code).toContain('FILE = "people.csv"');
    expect(code).toContain('("colour", "blue", 0.0, 1.0),');
    expect(code).toContain(`("age", None, ${ds.value.features[0].mean}, ${ds.value.features[0].std}),`);
    expect(code).toContain('CLASSES = ["no", "yes"]');
    const script = csvKerasScript(t.value, DEFAULT_CSV_SETTINGS, ds.value, 'sparse', 1, 'model = None\n');
    expect(script).toContain('import keras');
    expect(script.trimEnd().endsWith('model = None')).toBe(true);
  });

  numpy.it(`runs in Python: the same shapes and the same standardised features${numpy.note}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'csv-script-'));
    writeFileSync(join(dir, 'people.csv'), TEXT);
    const code = csvPythonData(t.value, DEFAULT_CSV_SETTINGS, ds.value, 'sparse', 1);
    writeFileSync(join(dir, 'data.py'), `import numpy as np\n${code}\nprint(x_train.shape, y_train.shape, x_test.shape, float(np.sort(x[:, 0])[0]), sorted(set(y.tolist())))\n`);
    const out = execFileSync('python3', ['data.py'], { cwd: dir, encoding: 'utf8' }).trim();
    // 5 training and 1 test row, 5 features; the smallest age standardised as in the playground.
    const ages = [31, 45, 22, 38, 50, 27];
    const { mean, std } = ds.value.features[0];
    const min = (Math.min(...ages) - mean) / std;
    expect(out.startsWith('(5, 5) (5,) (1, 5)')).toBe(true);
    expect(Number(out.split(' ')[5])).toBeCloseTo(min, 5);
    expect(out.endsWith('[0, 1]')).toBe(true);
  });
});
