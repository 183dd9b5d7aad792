/**
 * The Keras script's data code for text and sequence data (issue 12) makes the SAME arrays as the playground:
 * the generated Python (a port of rng.ts and of the generators) runs with numpy and its arrays are compared with
 * text.ts / sequences.ts + bindData, value for value.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindData } from '$lib/data/bind';
import { makeSequence } from '$lib/data/sequences';
import { builtinText, makeTextDataset, TEXTS, textFromFile } from '$lib/data/text';
import type { SequenceDataset } from '$lib/data/types';
import { needPython } from '$lib/test-python';
import { inferShapes } from '$lib/spec/shape';
import { parseProgram } from './parse';
import { printKerasScript, printNumpyData, type ScriptData } from './script';

function parse(source: string) {
  const r = parseProgram(source);
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.spec;
}

const program = (input: string, layers: string[], loss: string) =>
  `import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=${input}), ${layers.join(', ')}])\nmodel.compile(optimizer="adam", loss="${loss}")\n`;

interface Case {
  data: ScriptData;
  program: string;
  ds: () => SequenceDataset;
}

const text = (name: 'shakespeare' | 'names') => builtinText(name, readFileSync(`static/${TEXTS[name].path}`, 'utf8'));

const cases: Case[] = [
  {
    data: { name: 'shakespeare', seqLen: 24, samples: 150, seed: 3 },
    program: program('(24,)', ['layers.Reshape((24, 1))', 'layers.Dense(65, activation="softmax")'], 'sparse_categorical_crossentropy'),
    ds: () => makeTextDataset(text('shakespeare'), { name: 'shakespeare', seqLen: 24, samples: 150, seed: 3 })
  },
  {
    data: { name: 'names', seqLen: 10, samples: 120, seed: 9 },
    program: program('(10,)', ['layers.Reshape((10, 1))', 'layers.Dense(27, activation="softmax")'], 'categorical_crossentropy'),
    ds: () => makeTextDataset(text('names'), { name: 'names', seqLen: 10, samples: 120, seed: 9 })
  },
  {
    data: { name: 'reverse', seqLen: 7, samples: 300, seed: 2 },
    program: program('(7,)', ['layers.Reshape((7, 1))', 'layers.Dense(10, activation="softmax")'], 'sparse_categorical_crossentropy'),
    ds: () => makeSequence({ name: 'reverse', seqLen: 7, samples: 300, seed: 2 })
  },
  {
    data: { name: 'parity', seqLen: 9, samples: 250, seed: 4 },
    program: program('(9,)', ['layers.Dense(1, activation="sigmoid")'], 'binary_crossentropy'),
    ds: () => makeSequence({ name: 'parity', seqLen: 9, samples: 250, seed: 4 })
  },
  {
    data: { name: 'sine_series', seqLen: 16, samples: 200, noise: 0.3, seed: 5 },
    program: program('(16, 1)', ['layers.Flatten()', 'layers.Dense(1)'], 'mse'),
    ds: () => makeSequence({ name: 'sine_series', seqLen: 16, samples: 200, noise: 0.3, seed: 5 })
  }
];

// The user's own text: a BOM, Windows and old-Mac line ends, accents and a character outside the BMP — the script
// reads the file with Python's universal newlines and utf-8-sig, the app normalises it the same way (textFromFile).
const UPLOAD_RAW = '\uFEFF' + 'Café au lait,\r\nthé 🍵 ou chocolat ?\rÀ demain.\n'.repeat(30);
const uploaded = (() => {
  const r = textFromFile(new TextEncoder().encode(UPLOAD_RAW), 'mon texte.txt');
  if (!r.ok) throw new Error(r.message);
  return r.text;
})();
cases.push({
  data: { name: 'text', fileName: 'mon texte.txt', text: uploaded, seqLen: 20, samples: 80, seed: 7 },
  program: '',
  ds: () => makeTextDataset(uploaded, { name: 'text', seqLen: 20, samples: 80, seed: 7 })
});
const V_UPLOAD = makeTextDataset(uploaded, { name: 'text', seqLen: 20, samples: 1 }).vocabSize;
cases[cases.length - 1].program = program('(20,)', ['layers.Reshape((20, 1))', `layers.Dense(${V_UPLOAD}, activation="softmax")`], 'sparse_categorical_crossentropy');

const numpy = needPython(['numpy']);

describe('script data for text and sequences', () => {
  it('defines vocab_size and seq_len, reads the text next to the script, says where it comes from', () => {
    const c = cases[0];
    const script = printKerasScript(parse(c.program), c.data, c.program);
    expect(script).toContain('with open(os.path.join(DATA_DIR, "shakespeare.txt"), encoding="utf-8-sig") as f:');
    expect(script).toContain('tinyshakespeare/input.txt');
    expect(script).toContain('vocab_size = len(tokens)');
    expect(script).toContain('seq_len = 24');
    expect(script.indexOf('seq_len = 24')).toBeLessThan(script.indexOf('model = keras.Sequential'));
    const parity = printNumpyData(parse(cases[3].program), cases[3].data);
    expect(parity).toContain('vocab_size = 2\nseq_len = 9');
  });

  it("refuses a program that does not fit, with bindData's message", () => {
    expect(() => printNumpyData(parse(program('(24,)', ['layers.Dense(65, activation="softmax")'], 'sparse_categorical_crossentropy')), cases[0].data)).toThrow(/a label at every step/);
  });

  numpy.it(`the Python data code makes the playground's arrays, value for value${numpy.note}`, () => {
    const parts = cases.map((c) => printNumpyData(parse(c.program), c.data, true));
    const dir = mkdtempSync(join(tmpdir(), 'script-seq-'));
    writeFileSync(join(dir, 'mon texte.txt'), UPLOAD_RAW);
    for (const f of ['shakespeare.txt', 'names.txt']) copyFileSync(`static/data/text/${f}`, join(dir, f));
    const code = [
      'import json, sys',
      'import numpy as np',
      `parts = ${JSON.stringify(parts)}`,
      'out = []',
      'for code in parts:',
      `    ns = {"np": np, "__file__": ${JSON.stringify(join(dir, 'script.py'))}}`,
      '    exec(code, ns)',
      '    arrays = {k: ns[k] for k in ("x_train", "y_train", "x_test", "y_test")}',
      '    out.append({k: {"shape": list(v.shape), "dtype": str(v.dtype), "values": [float(a) for a in np.ravel(v)]} for k, v in arrays.items()}',
      '               | {"constants": {k: ns[k] for k in ("vocab_size", "seq_len") if k in ns}})',
      'json.dump(out, sys.stdout)'
    ].join('\n');
    const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', maxBuffer: 256 << 20 });
    rmSync(dir, { recursive: true, force: true });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as Record<string, { shape: number[]; dtype: string; values: number[] }>[];
    cases.forEach((c, i) => {
      const where = c.data.name;
      const got = results[i] as unknown as Record<string, { shape: number[]; dtype: string; values: number[] }> & { constants: Record<string, number> };
      const ds = c.ds();
      const spec = parse(c.program);
      const train = bindData(ds, spec, inferShapes(spec).summary!.outputShapes[0]);
      const test = bindData({ ...ds, ...ds.test! }, spec, inferShapes(spec).summary!.outputShapes[0]);
      if (!train.ok || !test.ok) throw new Error('does not bind');
      const same = (name: string, shape: number[], values: Float32Array, tol: number) => {
        expect(got[name].shape, `${where} ${name} shape`).toEqual(shape);
        expect(got[name].values.length).toBe(values.length);
        let worst = 0;
        got[name].values.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - values[j]))));
        expect(worst, `${where} ${name}: largest difference`).toBeLessThanOrEqual(tol);
      };
      const tol = ds.task === 'value' ? 1e-6 : 0;
      same('x_train', train.data.xShape, train.data.x, tol);
      same('y_train', train.data.yShape, train.data.y, tol);
      same('x_test', test.data.xShape, test.data.x, tol);
      same('y_test', test.data.yShape, test.data.y, tol);
      expect(got.x_train.dtype, where).toBe(ds.task === 'value' ? 'float32' : 'int32');
      expect(got.constants.seq_len, where).toBe(ds.seqLen);
      if (ds.vocabSize) expect(got.constants.vocab_size, where).toBe(ds.vocabSize);
    });
  }, 60_000);
});
