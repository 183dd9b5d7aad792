/**
 * The PyTorch program's load_data() for text and sequence data (issue 12): the Keras export's Python code, which
 * makes the playground's arrays; run under torch (/usr/bin/python3) and compared with the app's bound data.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect } from 'vitest';
import { bindData } from '$lib/data/bind';
import { makeSequence } from '$lib/data/sequences';
import { builtinText, makeTextDataset } from '$lib/data/text';
import type { SequenceDataset } from '$lib/data/types';
import { parseProgram } from '$lib/keras/parse';
import type { ScriptData } from '$lib/keras/print';
import { inferShapes } from '$lib/spec/shape';
import { needPython } from '$lib/test-python';
import { printPytorchScript } from './print';

const torch = needPython(['numpy', 'torch'], '/usr/bin/python3');
const tmp = mkdtempSync(join(tmpdir(), 'pytorch-seq-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const program = (input: string, layers: string[], loss: string) =>
  `import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=${input}), ${layers.join(', ')}])\nmodel.compile(optimizer="adam", loss="${loss}")\nmodel.fit(x_train, y_train, epochs=1, batch_size=16)\n`;

const cases: { id: string; data: ScriptData; source: string; ds: () => SequenceDataset }[] = [
  {
    id: 'shakespeare',
    data: { name: 'shakespeare', seqLen: 12, samples: 40, seed: 2 },
    source: program('(12,)', ['layers.Reshape((12, 1))', 'layers.Dense(65, activation="softmax")'], 'sparse_categorical_crossentropy'),
    ds: () => makeTextDataset(builtinText('shakespeare', readFileSync('static/data/text/shakespeare.txt', 'utf8')), { name: 'shakespeare', seqLen: 12, samples: 40, seed: 2 })
  },
  {
    id: 'parity',
    data: { name: 'parity', seqLen: 8, samples: 60, seed: 3 },
    source: program('(8,)', ['layers.Dense(1, activation="sigmoid")'], 'binary_crossentropy'),
    ds: () => makeSequence({ name: 'parity', seqLen: 8, samples: 60, seed: 3 })
  },
  {
    id: 'sine_series',
    data: { name: 'sine_series', seqLen: 10, samples: 50, seed: 4 },
    source: program('(10, 1)', ['layers.Flatten()', 'layers.Dense(1)'], 'mse'),
    ds: () => makeSequence({ name: 'sine_series', seqLen: 10, samples: 50, seed: 4 })
  }
];

describe('PyTorch load_data for text and sequences', () => {
  torch.it(`load_data() gives the playground's x_train, y_train (shakespeare, parity, sine_series)${torch.note}`, () => {
    copyFileSync('static/data/text/shakespeare.txt', join(tmp, 'shakespeare.txt'));
    for (const c of cases) {
      const spec = parseProgram(c.source).spec!;
      writeFileSync(join(tmp, `${c.id}.py`), printPytorchScript(spec, c.data).code);
    }
    const code = [
      'import importlib.util, json, sys',
      'import numpy as np',
      `out = {}`,
      `for name in ${JSON.stringify(cases.map((c) => c.id))}:`,
      `    spec = importlib.util.spec_from_file_location(name, ${JSON.stringify(tmp)} + "/" + name + ".py")`,
      '    m = importlib.util.module_from_spec(spec)',
      '    spec.loader.exec_module(m)',
      '    x, y = m.load_data()',
      '    out[name] = {"x": [float(v) for v in np.ravel(x)], "y": [float(v) for v in np.ravel(y)], "xs": list(x.shape), "ys": list(y.shape)}',
      'json.dump(out, sys.stdout)'
    ].join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout) as Record<string, { x: number[]; y: number[]; xs: number[]; ys: number[] }>;
    for (const c of cases) {
      const spec = parseProgram(c.source).spec!;
      const b = bindData(c.ds(), spec, inferShapes(spec).summary!.outputShapes[0]);
      if (!b.ok) throw new Error(b.message);
      const g = got[c.id];
      expect(g.xs, c.id).toEqual(b.data.xShape);
      expect(g.ys, c.id).toEqual(b.data.yShape);
      const worst = (a: number[], e: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - e[i])), 0);
      expect(worst(g.x, b.data.x), `${c.id} x`).toBeLessThanOrEqual(1e-6);
      expect(worst(g.y, b.data.y), `${c.id} y`).toBeLessThanOrEqual(1e-6);
    }
  }, 120_000);
});
