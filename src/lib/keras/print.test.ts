import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bindData } from '$lib/data/bind';
import { makeRegression, NOISE_SCALE, PLANE, SINE_AMPLITUDE, type RegressionName } from '$lib/data/regression';
import { makeToy, type ToyName } from '$lib/data/toys';
import { LEGACY_HEADERS, parseExampleHeader } from '$lib/examples';
import { inferShapes } from '$lib/spec/shape';
import type { ModelSpec } from '$lib/spec/types';
import { needPython } from '$lib/test-python';
import { parseProgram } from './parse';
import { dataConstants } from '$lib/data/constants';
import { printKeras, printKerasScript, printNumpyData, pyFloat } from './print';

/** parseProgram with the data's constants (`ParseOptions.constants`: vocab_size, seq_len). */
const parseWith = parseProgram as (source: string, opts?: { constants?: Record<string, number> }) => ReturnType<typeof parseProgram>;

function parse(source: string, constants?: Record<string, number>): ModelSpec {
  const { spec, diagnostics } = parseWith(source, { constants });
  if (!spec) throw new Error(`does not parse:\n${diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`).join('\n')}\n--- source:\n${source}`);
  return spec;
}

/** The spec without source spans. */
function noSpans(spec: ModelSpec): unknown {
  return JSON.parse(JSON.stringify(spec, (k, v) => (k === 'span' ? undefined : v)));
}

function expectRoundTrip(source: string): string {
  const spec = parse(source);
  const printed = printKeras(spec);
  expect(noSpans(parse(printed)), printed).toEqual(noSpans(spec));
  // Printing is a fixed point: the printed program prints to itself.
  expect(printKeras(parse(printed))).toBe(printed);
  return printed;
}

const SPIRAL = readFileSync('examples/spiral.py', 'utf8');

const RESIDUAL = `import keras
from keras import layers

inputs = keras.Input(shape=(2,), name="points")
x = layers.Dense(32, activation="relu")(inputs)
h = layers.Dense(32, activation="relu")(x)
h = layers.Dense(32)(h)
x = layers.Add()([x, h])
x = layers.Activation("relu")(x)
b = layers.Dense(8, activation="tanh")(inputs)
x = layers.Concatenate()([x, b])
outputs = layers.Dense(3, activation="softmax")(x)
net = keras.Model(inputs=inputs, outputs=outputs)
net.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True), loss="categorical_crossentropy", metrics=["accuracy"])
net.fit(x_train, y_train, epochs=20, batch_size=16, validation_split=0.1)
`;

const CNN = `import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(16, 3, activation="relu", padding="same"),
    layers.BatchNormalization(),
    layers.MaxPooling2D(),
    layers.Conv2D(32, (3, 3), strides=(2, 2), activation="relu", kernel_regularizer=keras.regularizers.l2(0.001)),
    layers.GlobalAveragePooling2D(),
    layers.Dropout(0.25),
    layers.Dense(10, activation="softmax", name="classifier"),
])
model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5, batch_size=64, shuffle=False)
`;

const ADDED = `import keras
from keras import layers

model = keras.Sequential()
model.add(keras.Input(shape=(64,)))
model.add(layers.Reshape((8, 8, 1)))
model.add(layers.AveragePooling2D(pool_size=(2, 2), strides=1, padding="same"))
model.add(layers.Conv2D(4, kernel_size=(3, 3), dilation_rate=2, use_bias=False))
model.add(layers.BatchNormalization(momentum=0.9, epsilon=1e-5, center=False))
model.add(layers.Flatten())
model.add(layers.Dense(5, kernel_regularizer=keras.regularizers.l1_l2(l1=0.001, l2=0.01), bias_regularizer="l2"))
model.add(layers.Dropout(0.5, seed=7))
for i in range(2):
    model.add(layers.Dense(4, activation="leaky_relu", kernel_initializer="he_normal"))
model.add(layers.Dense(2, activation="softmax", name="dense_9"))
model.compile(optimizer=keras.optimizers.Adam(beta_1=0.8, epsilon=1e-8), loss="categorical_crossentropy")
`;

const TWO_HEADS = `import keras
from keras import layers

a = keras.Input(shape=(2,))
b = keras.Input(shape=(3,), name="extra")
x = layers.Concatenate()([a, b])
x = layers.Dense(8, activation="gelu", use_bias=False, name="shared")(x)
out1 = layers.Dense(2, activation="softmax")(x)
out2 = layers.Dense(1)(x)
out3 = layers.Add()([out2, out2])
model = keras.Model([a, b], [out1, out3])
model.compile(optimizer="rmsprop", loss="mse", metrics=["mae"])
`;

describe('printKeras', () => {
  it('prints the spiral example in Keras style, with default arguments left out', () => {
    expect(printKeras(parse(SPIRAL))).toBe(`import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=0.01),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, epochs=100, validation_split=0.2)
`);
  });

  it('round-trips the spiral example (print → parse gives the same spec)', () => {
    expectRoundTrip(SPIRAL);
  });

  it('round-trips a functional residual model, in the functional style', () => {
    const printed = expectRoundTrip(RESIDUAL);
    expect(printed).toBe(`import keras
from keras import layers

inputs = keras.Input(shape=(2,), name="points")
dense = layers.Dense(32, activation="relu")(inputs)
x = layers.Dense(32, activation="relu")(dense)
x = layers.Dense(32)(x)
x = layers.Add()([dense, x])
activation = layers.Activation("relu")(x)
x = layers.Dense(8, activation="tanh")(inputs)
x = layers.Concatenate()([activation, x])
outputs = layers.Dense(3, activation="softmax")(x)
net = keras.Model(inputs, outputs)
net.compile(
    optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, nesterov=True),
    loss="categorical_crossentropy",
    metrics=["accuracy"],
)
net.fit(x_train, y_train, epochs=20, batch_size=16, validation_split=0.1)
`);
  });

  it('round-trips a CNN (positional kernel sizes, regularizers, explicit names, fit options)', () => {
    const printed = expectRoundTrip(CNN);
    expect(printed).toContain('    layers.Conv2D(16, 3, padding="same", activation="relu"),\n');
    expect(printed).toContain('    layers.BatchNormalization(),\n    layers.MaxPooling2D(),\n');
    expect(printed).toContain('kernel_regularizer=keras.regularizers.l2(0.001)');
    expect(printed).toContain('layers.Dense(10, activation="softmax", name="classifier")');
    // Lines over 88 characters get one argument per line, as black formats them.
    expect(printed).toContain('    layers.Conv2D(\n        32,\n        (3, 3),\n        strides=(2, 2),\n');
    expect(printed).toContain('model.compile(\n    optimizer="sgd",\n    loss="sparse_categorical_crossentropy",\n');
    expect(printed).toContain('model.fit(x_train, y_train, epochs=5, batch_size=64, shuffle=False)\n');
  });

  it('round-trips model.add/for-loop programs as a Sequential list, keeping every non-default argument', () => {
    const printed = expectRoundTrip(ADDED);
    expect(printed).toContain('layers.Reshape((8, 8, 1))');
    expect(printed).toContain('layers.AveragePooling2D(strides=1, padding="same")');
    expect(printed).toContain('layers.BatchNormalization(momentum=0.9, epsilon=0.00001, center=False)');
    expect(printed).toContain('kernel_regularizer=keras.regularizers.l1_l2(l1=0.001, l2=0.01)');
    expect(printed).toContain('bias_regularizer=keras.regularizers.l2(0.01)');
    expect(printed).toContain('layers.Dropout(0.5, seed=7)');
    // Keras would name the last layer dense_3, so its explicit name stays.
    expect(printed).toContain('layers.Dense(2, activation="softmax", name="dense_9")');
    expect(printed).toContain('optimizer=keras.optimizers.Adam(beta_1=0.8, epsilon=1e-8)');
    expect(printed).not.toContain('.fit(');
  });

  it('round-trips several inputs and outputs, and a tensor read twice', () => {
    const printed = expectRoundTrip(TWO_HEADS);
    expect(printed).toContain('input_layer = keras.Input(shape=(2,))\nextra = keras.Input(shape=(3,), name="extra")\n');
    expect(printed).toContain('model = keras.Model([input_layer, extra], [dense, add])');
  });

  it('keeps names that Keras would not generate, and only those', () => {
    const printed = expectRoundTrip(`import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(2,), name="input_layer"), layers.Dense(4, name="dense_1"), layers.Dense(4), layers.Dense(3, name="out")])
`);
    expect(printed).toContain('keras.Input(shape=(2,)),\n');
    expect(printed).toContain('layers.Dense(4, name="dense_1"),\n    layers.Dense(4),\n    layers.Dense(3, name="out"),\n');
  });

  it('writes floats as floats and strings with escapes', () => {
    expect(pyFloat(1)).toBe('1.0');
    expect(pyFloat(0.5)).toBe('0.5');
    expect(pyFloat(1e-7)).toBe('1e-7');
    const spec = parse(`import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, name="a \\"b\\"")])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=1), loss="mse")
model.fit(x_train, y_train, epochs=3, validation_split=0.5)
`);
    const printed = printKeras(spec);
    expect(printed).toContain('layers.Dense(3, name="a \\"b\\"")');
    expect(printed).toContain('keras.optimizers.SGD(learning_rate=1.0)');
    expect(noSpans(parse(printed))).toEqual(noSpans(spec));
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Scripts

const py = needPython();
const numpy = needPython(['numpy']);

const tmp = mkdtempSync(join(tmpdir(), 'print-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function pyCompile(files: string[]): void {
  const r = spawnSync('python3', ['-m', 'py_compile', ...files], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}


describe('printKerasScript', () => {
  it('composes header, imports, numpy data, the program and its fit', () => {
    const script = printKerasScript(parse(SPIRAL), { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3 }, SPIRAL, { seed: 5, title: 'spiral.py' });
    expect(script.startsWith('# spiral.py: a Keras 3 program exported from the NN playground')).toBe(true);
    expect(script).toContain('\nimport numpy as np\nimport keras\nfrom keras import layers\n');
    expect(script).toContain('keras.utils.set_random_seed(5)');
    expect(script).toContain("not the same numbers, since numpy's random generator is not the playground's");
    expect(script).toContain('x_train, labels_train = make_spiral(samples=600, noise=0.1, classes=3, seed=1)\n');
    expect(script).toContain('y_train = np.eye(3, dtype="float32")[labels_train]\n');
    expect(script).toContain(SPIRAL.trim());
    expect(script.match(/\.fit\(/g)).toHaveLength(1);
    expect(script.indexOf('y_train = ')).toBeLessThan(script.indexOf('model.fit('));
  });

  it('prints the program when no source is given, and adds a fit when the program has none', () => {
    const spec = parse(SPIRAL.replace(/model\.fit\([^)]*\)/, ''));
    const script = printKerasScript(spec, { name: 'spiral' });
    expect(script).toContain(printKeras(spec, { imports: false }).trim());
    expect(script).toContain("train with Keras' defaults");
    expect(script).toContain('model.fit(x_train, y_train, epochs=1)');
  });

  it('defines x_test and y_test when the program uses them', () => {
    const script = printKerasScript(parse(SPIRAL.replace('x_train, y_train', 'x_test, y_test')), { name: 'spiral', seed: 4 });
    expect(script).toContain('x_test, labels_test = make_spiral(samples=600, noise=0.1, classes=3, seed=5)');
    expect(script).toContain('y_test = np.eye(3, dtype="float32")[labels_test]');
  });

  it("refuses data the program cannot train on, with the playground's message", () => {
    expect(() => printKerasScript(parse(SPIRAL), { name: 'circle' })).toThrow(/The circle data has 2 classes but the last layer outputs 3 units/);
    const uncompiled = 'import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3)])\n';
    expect(() => printKerasScript(parse(uncompiled), { name: 'spiral' })).toThrow(/not compiled/);
  });

  const examples = readdirSync('examples')
    .filter((f) => f.endsWith('.py'))
    .sort();

  py.it(`python3 -m py_compile accepts the scripts of every example in examples/, on its "# data:" data set (${examples.length} found)${py.note}`, () => {
    expect(examples.length).toBeGreaterThan(0);
    const files: string[] = [];
    for (const file of examples) {
      const source = readFileSync(join('examples', file), 'utf8');
      const header = parseExampleHeader(source) ?? LEGACY_HEADERS[file.replace(/\.py$/, '')];
      expect(header, `${file} has no "# data:" line`).toBeDefined();
      const constants = dataConstants(header.data);
      const spec = parse(source, constants);
      const base = join(tmp, file.replace(/\.py$/, ''));
      // The program alone, printed from the spec: must also be the same spec again.
      const printed = printKeras(spec);
      expect(noSpans(parse(printed, constants)), `${file} printed:\n${printed}`).toEqual(noSpans(spec));
      writeFileSync(`${base}_printed.py`, printed);
      files.push(`${base}_printed.py`);
      // The complete scripts, on the data set the example names.
      const data = { name: header.data };
      writeFileSync(`${base}_script.py`, printKerasScript(spec, data, source, { seed: 1, title: file }));
      writeFileSync(`${base}_script_printed.py`, printKerasScript(spec, data));
      files.push(`${base}_script.py`, `${base}_script_printed.py`);
    }
    pyCompile(files);
  });

  const cases: { toy: ToyName; classes?: number; program: string }[] = [
    { toy: 'spiral', program: SPIRAL },
    {
      toy: 'circle',
      program: 'import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(8, activation="tanh"), layers.Dense(1, activation="sigmoid")])\nmodel.compile(optimizer="adam", loss="binary_crossentropy")\n'
    },
    {
      toy: 'xor',
      program: 'import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(8, activation="tanh"), layers.Dense(2, activation="softmax")])\nmodel.compile(optimizer="adam", loss="sparse_categorical_crossentropy")\n'
    },
    {
      toy: 'gaussians',
      classes: 5,
      program: 'import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])\nmodel.compile(optimizer="adam", loss="mse")\n'
    }
  ];

  numpy.it(`the numpy data part runs with only numpy and matches the playground's data sets${numpy.note}`, () => {
    const samples = 5000;
    // One python3 -c run for all toys: each data part runs in a fresh namespace; its arrays are summarised as JSON.
    const parts = cases.map((c) => printNumpyData(parse(c.program), { name: c.toy, samples, noise: 0.2, seed: 3, classes: c.classes }));
    const code = [
      'import json',
      'import numpy as np',
      `parts = ${JSON.stringify(parts)}`,
      'out = []',
      'for code in parts:',
      '    ns = {"np": np}',
      '    exec(code, ns)',
      '    x, y, labels = ns["x_train"], ns["y_train"], ns["labels_train"]',
      '    k = int(labels.max()) + 1',
      '    out.append({',
      '        "xShape": list(x.shape), "xDtype": str(x.dtype), "yShape": list(y.shape), "yDtype": str(y.dtype),',
      '        "counts": [int((labels == c).sum()) for c in range(k)],',
      '        "means": [[float(v) for v in x[labels == c].mean(axis=0)] for c in range(k)],',
      '        "radius": [float(np.linalg.norm(x[labels == c], axis=1).mean()) for c in range(k)],',
      '        "sorted": bool((np.diff(labels) >= 0).all()),',
      '        "yRows": [[float(v) for v in np.ravel(r)] for r in y[:20]], "labels": [int(v) for v in labels[:20]],',
      '    })',
      'print(json.dumps(out))'
    ].join('\n');
    const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', maxBuffer: 16 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as {
      xShape: number[];
      xDtype: string;
      yShape: number[];
      yDtype: string;
      counts: number[];
      means: number[][];
      radius: number[];
      sorted: boolean;
      yRows: number[][];
      labels: number[];
    }[];
    cases.forEach((c, i) => {
      const got = results[i];
      const spec = parse(c.program);
      const ds = makeToy({ name: c.toy, samples, noise: 0.2, seed: 3, classes: c.classes });
      const bound = bindData(ds, spec, inferShapes(spec).summary!.outputShapes[0]);
      if (!bound.ok) throw new Error(bound.message);
      const where = `${c.toy}`;
      expect(got.xShape, where).toEqual(bound.data.xShape);
      expect(got.yShape, where).toEqual(bound.data.yShape);
      expect([got.xDtype, got.yDtype], where).toEqual(['float32', 'float32']);
      const k = ds.numClasses;
      const counts = Array.from({ length: k }, (_, cls) => ds.labels.filter((l) => l === cls).length);
      expect(got.counts, where).toEqual(counts);
      expect(got.sorted, `${where}: rows are shuffled`).toBe(false);
      // Same encoding of the labels as bindData's.
      const width = bound.data.yShape[1] ?? 1;
      got.labels.forEach((label, row) => {
        const expected = bound.data.target === 'onehot' ? Array.from({ length: width }, (_, j) => (j === label ? 1 : 0)) : [label];
        expect(got.yRows[row], `${where} row ${row}`).toEqual(expected);
      });
      // Same geometry: per-class centre and mean radius agree within sampling error (5000 points).
      for (let cls = 0; cls < k; cls++) {
        const rows = Array.from({ length: ds.n }, (_, j) => j).filter((j) => ds.labels[j] === cls);
        const mean = (f: (j: number) => number) => rows.reduce((a, j) => a + f(j), 0) / rows.length;
        const mx = mean((j) => ds.x[2 * j]);
        const my = mean((j) => ds.x[2 * j + 1]);
        const mr = mean((j) => Math.hypot(ds.x[2 * j], ds.x[2 * j + 1]));
        expect(Math.abs(got.means[cls][0] - mx), `${where} class ${cls} mean x`).toBeLessThan(0.06);
        expect(Math.abs(got.means[cls][1] - my), `${where} class ${cls} mean y`).toBeLessThan(0.06);
        expect(Math.abs(got.radius[cls] - mr), `${where} class ${cls} mean radius`).toBeLessThan(0.04);
      }
    });
  });

  const regressions: { name: RegressionName; program: string }[] = [
    {
      name: 'sine',
      program: 'import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(1,)), layers.Dense(16, activation="tanh"), layers.Dense(1)])\nmodel.compile(optimizer="adam", loss="mse")\n'
    },
    {
      name: 'plane',
      program: 'import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(1)])\nmodel.compile(optimizer="adam", loss="mae")\n'
    }
  ];

  numpy.it(`the numpy data part of sine and plane runs with only numpy and matches the playground's generators${numpy.note}`, () => {
    const samples = 2000;
    const noise = 0.2;
    const parts = regressions.map((c) => printNumpyData(parse(c.program), { name: c.name, samples, noise, seed: 3 }, true));
    // One python3 -c run for both: shapes, dtypes, ranges, and the noise left after taking the formula away.
    const code = [
      'import json',
      'import numpy as np',
      `parts = ${JSON.stringify(parts)}`,
      'out = []',
      'for code in parts:',
      '    ns = {"np": np}',
      '    exec(code, ns)',
      '    x, y, xt = ns["x_train"], ns["y_train"], ns["x_test"]',
      `    f = ${pyFloat(SINE_AMPLITUDE)} * np.sin(np.pi * x[:, 0]) if x.shape[1] == 1 else ${pyFloat(PLANE.a)} * x[:, 0] + ${pyFloat(PLANE.b)} * x[:, 1]`,
      '    r = y[:, 0] - f',
      '    s = np.sort(x[:, 0])',
      '    out.append({',
      '        "xShape": list(x.shape), "yShape": list(y.shape), "testShape": list(xt.shape), "dtypes": [str(x.dtype), str(y.dtype)],',
      '        "min": float(x.min()), "max": float(x.max()), "maxGap": float(np.diff(np.concatenate([[-1], s, [1]])).max()),',
      '        "sorted": bool((np.diff(x[:, 0]) >= 0).all()), "sameAsTest": bool(np.array_equal(x, xt)),',
      '        "residualMean": float(r.mean()), "residualStd": float(r.std()),',
      '    })',
      'print(json.dumps(out))'
    ].join('\n');
    const r = spawnSync('python3', ['-c', code], { encoding: 'utf8', maxBuffer: 16 << 20 });
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(r.stdout) as {
      xShape: number[];
      yShape: number[];
      testShape: number[];
      dtypes: string[];
      min: number;
      max: number;
      maxGap: number;
      sorted: boolean;
      sameAsTest: boolean;
      residualMean: number;
      residualStd: number;
    }[];
    regressions.forEach((c, i) => {
      const got = results[i];
      const where = c.name;
      const spec = parse(c.program);
      const ds = makeRegression({ name: c.name, samples, noise, seed: 3 });
      const bound = bindData(ds, spec, inferShapes(spec).summary!.outputShapes[0]);
      if (!bound.ok) throw new Error(bound.message);
      // Same shapes as bindData's (the targets pass through as they are).
      expect(bound.data.target).toBe('value');
      expect(got.xShape, where).toEqual(bound.data.xShape);
      expect(got.yShape, where).toEqual(bound.data.yShape);
      expect(got.testShape, where).toEqual(bound.data.xShape);
      expect(got.dtypes, where).toEqual(['float32', 'float32']);
      expect(got.sorted, `${where}: rows are shuffled`).toBe(false);
      expect(got.sameAsTest, `${where}: x_test is another draw`).toBe(false);
      // Inputs in [-1, 1], spread over it like the playground's.
      expect(got.min, where).toBeGreaterThanOrEqual(-1);
      expect(got.max, where).toBeLessThanOrEqual(1);
      const tsMin = Math.min(...ds.x);
      const tsMax = Math.max(...ds.x);
      expect(Math.abs(got.min - tsMin), where).toBeLessThan(0.01);
      expect(Math.abs(got.max - tsMax), where).toBeLessThan(0.01);
      // The sine's x is stratified: no gap wider than two slices (a uniform draw of 2000 points has wider ones).
      if (c.name === 'sine') expect(got.maxGap, where).toBeLessThanOrEqual(4 / samples);
      // The same formula: what is left is the noise, mean 0 and sigma = noise * NOISE_SCALE, as in the playground.
      const f = (j: number) => (c.name === 'sine' ? SINE_AMPLITUDE * Math.sin(Math.PI * ds.x[j]) : PLANE.a * ds.x[2 * j] + PLANE.b * ds.x[2 * j + 1]);
      const res = Array.from({ length: ds.n }, (_, j) => ds.y[j] - f(j));
      const tsStd = Math.sqrt(res.reduce((a, v) => a + v * v, 0) / ds.n);
      expect(Math.abs(tsStd - noise * NOISE_SCALE), `${where} playground noise`).toBeLessThan(0.01);
      expect(Math.abs(got.residualStd - noise * NOISE_SCALE), `${where} numpy noise`).toBeLessThan(0.01);
      expect(Math.abs(got.residualMean), `${where} numpy noise mean`).toBeLessThan(0.01);
    });
  });

  const DIGITS_MODEL = (loss: string, units = 10, input = '(28, 28, 1)') =>
    `import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=${input}), layers.Flatten(), layers.Dense(${units}, activation="softmax")])\nmodel.compile(optimizer="adam", loss="${loss}")\nmodel.fit(x_train, y_train, epochs=2)\n`;

  it("loads the digits with keras.datasets.mnist and encodes the targets for the program's loss", () => {
    const script = (loss: string, units?: number) => printKerasScript(parse(DIGITS_MODEL(loss, units)), { name: 'digits' }, undefined, { title: 'digits.py' });
    const sparse = script('sparse_categorical_crossentropy');
    expect(sparse).toContain('(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()\n');
    expect(sparse).toContain('x_train = (x_train / 255).astype("float32").reshape(-1, 28, 28, 1)\n');
    expect(sparse).toContain('x_test = (x_test / 255).astype("float32").reshape(-1, 28, 28, 1)\n');
    // The note: Keras' MNIST is bigger than the playground's set.
    expect(sparse).toMatch(/Keras downloads the full MNIST\s+# \(60000 training and 10000 test images/);
    expect(sparse).toMatch(/playground ships a smaller set/);
    expect(sparse).toContain('y_train = y_train.astype("int32")\n');
    expect(sparse).not.toContain('to_categorical');
    expect(sparse).not.toContain('np.random');
    expect(sparse.indexOf('load_data()')).toBeLessThan(sparse.indexOf('model.fit('));

    const onehot = script('categorical_crossentropy');
    expect(onehot).toContain('keras.datasets.mnist.load_data()');
    expect(onehot).toContain('y_train = keras.utils.to_categorical(y_train, 10)\n');
    expect(onehot).toContain('y_test = keras.utils.to_categorical(y_test, 10)\n');
    expect(onehot).not.toContain('astype("int32")');

    // mse on one unit: the digit as a value, as bindData does.
    expect(script('mse', 1)).toContain('y_train = y_train.astype("float32").reshape(-1, 1)\n');

    // A model for flattened images is refused with the playground's message (the data keeps its image shape).
    expect(() => printKerasScript(parse(DIGITS_MODEL('sparse_categorical_crossentropy', 10, '(784,)')), { name: 'digits' })).toThrow(
      /input has shape \(784,\) but the digits data holds images of shape \(28, 28, 1\)/
    );
    expect(() => printKerasScript(parse(DIGITS_MODEL('binary_crossentropy', 1)), { name: 'digits' })).toThrow(/needs 2 classes but the digits data has 10/);
  });

  it('writes the regression data sets with their parameters, and refuses classification losses on them', () => {
    const script = printKerasScript(parse(regressions[0].program), { name: 'sine', samples: 120, noise: 0.3, seed: 7 }, undefined, { seed: 2 });
    expect(script).toContain('# Data: the sine regression data set (120 samples, noise 0.3, data seed 7)');
    expect(script).toContain("not the same numbers, since numpy's random generator is not the playground's");
    expect(script).toContain(`y = ${pyFloat(SINE_AMPLITUDE)} * np.sin(np.pi * x) + rng.normal(0, noise * ${pyFloat(NOISE_SCALE)}, samples)`);
    expect(script).toContain('x_train, y_train = make_sine(samples=120, noise=0.3, seed=7)\n');
    expect(script).toContain('model.fit(x_train, y_train, epochs=1)');
    const plane = printNumpyData(parse(regressions[1].program), { name: 'plane' });
    expect(plane).toContain('y = 0.6 * x[:, 0] - 0.4 * x[:, 1] + rng.normal(0, noise * 0.5, samples)');
    expect(plane).toContain('x_train, y_train = make_plane(samples=400, noise=0.1, seed=1)\n');
    expect(() => printKerasScript(parse(SPIRAL), { name: 'sine' })).toThrow(/input has shape \(2,\) but the sine data has 1 feature/);
    const classifier = regressions[1].program.replace('loss="mae"', 'loss="binary_crossentropy"');
    expect(() => printKerasScript(parse(classifier), { name: 'plane' })).toThrow(/is for classification but the plane data is for regression/);
  });
});
