import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { inferShapes } from '$lib/spec/shape';
import { getLayer } from '$lib/layers';
import type { ArgValue, ModelSpec, Span } from '$lib/spec/types';
import { LineIndex, didYouMean, editDistance } from './diagnostics';
import { parseProgram, toSnakeCase } from './parse';
import { formatSummary, readableSize } from './summary';

const spiral = readFileSync('examples/spiral.py', 'utf8');

/** The spec without spans and without the style (for comparing programs written differently). */
function shapeOf(spec: ModelSpec | null) {
  if (!spec) return null;
  return {
    modelName: spec.modelName,
    inputs: spec.inputs.map(({ id, name, shape }) => ({ id, name, shape })),
    layers: spec.layers.map(({ id, kind, args, inputs }) => ({ id, kind, args, inputs })),
    outputs: spec.outputs,
    compile: spec.compile && { ...spec.compile, span: undefined, optimizer: { ...spec.compile.optimizer, span: undefined } },
    fit: spec.fit && { ...spec.fit, span: undefined }
  };
}

function errorsOf(source: string) {
  return parseProgram(source).diagnostics.filter((d) => d.severity === 'error');
}

function at(span: Span): string {
  return `${span.line}:${span.col}`;
}

/** Dense's arguments with the registry's defaults (the registry grows; these tests should not break when it does). */
function dense(units: number, activation: string | null) {
  const args: Record<string, ArgValue> = {};
  for (const a of getLayer('Dense')!.args) if (a.default !== undefined) args[a.name] = a.default;
  return { ...args, units, activation };
}
const DENSE_ARG_COUNT = getLayer('Dense')!.args.length;

describe('examples/spiral.py', () => {
  const result = parseProgram(spiral);
  const spec = result.spec as ModelSpec;

  it('parses without diagnostics', () => {
    expect(result.diagnostics).toEqual([]);
    expect(spec).not.toBeNull();
  });

  it('gives the expected spec', () => {
    expect(shapeOf(spec)).toEqual({
      modelName: 'model',
      inputs: [{ id: 'input_layer', name: 'input_layer', shape: [2] }],
      layers: [
        { id: 'dense', kind: 'Dense', args: dense(16, 'relu'), inputs: ['input_layer'] },
        { id: 'dense_1', kind: 'Dense', args: dense(16, 'relu'), inputs: ['dense'] },
        { id: 'dense_2', kind: 'Dense', args: dense(3, 'softmax'), inputs: ['dense_1'] }
      ],
      outputs: ['dense_2'],
      compile: { optimizer: { name: 'adam', learningRate: 0.01, args: {}, span: undefined }, loss: 'categorical_crossentropy', metrics: ['accuracy'], span: undefined },
      fit: { epochs: 100, batchSize: 32, validationSplit: 0.2, shuffle: true, x: 'x_train', y: 'y_train', span: undefined }
    });
    expect(spec.style).toBe('sequential');
    expect(spec.version).toBe(1);
  });

  it('locates every node at its call', () => {
    const text = (s: Span) => spiral.slice(s.from, s.to);
    expect(text(spec.inputs[0].span)).toBe('keras.Input(shape=(2,))');
    expect(at(spec.inputs[0].span)).toBe('5:5');
    expect(text(spec.layers[0].span)).toBe('layers.Dense(16, activation="relu")');
    expect(spec.layers.map((l) => at(l.span))).toEqual(['6:5', '7:5', '8:5']);
    expect(spec.layers[2].span).toMatchObject({ endLine: 8, endCol: 42 });
    expect(text(spec.compile!.optimizer.span)).toBe('keras.optimizers.Adam(learning_rate=0.01)');
    expect(text(spec.compile!.span).startsWith('model.compile(')).toBe(true);
    expect(spec.compile!.span).toMatchObject({ line: 10, col: 1, endLine: 11 });
    expect(text(spec.fit!.span)).toBe('model.fit(x_train, y_train, epochs=100, batch_size=32, validation_split=0.2)');
    expect(at(spec.fit!.span)).toBe('12:1');
  });

  it('has the Keras parameter counts and summary text', () => {
    const { summary, diagnostics } = inferShapes(spec);
    expect(diagnostics).toEqual([]);
    expect(summary!.rows.filter((r) => r.kind === 'Dense').map((r) => r.trainable)).toEqual([16 * 2 + 16, 16 * 16 + 16, 16 * 3 + 3]);
    expect(summary!.trainable).toBe(371);
    const text = formatSummary(spec, summary!);
    expect(text).toContain('Model: "sequential"');
    expect(text).toMatch(/│ dense \(Dense\) +│ \(None, 16\) +│ +48 │/);
    expect(text).toMatch(/│ dense_1 \(Dense\) +│ \(None, 16\) +│ +272 │/);
    expect(text).toMatch(/│ dense_2 \(Dense\) +│ \(None, 3\) +│ +51 │/);
    expect(text).not.toContain('InputLayer');
    expect(text).toContain(' Total params: 371 (1.45 KB)');
    expect(text).toContain(' Non-trainable params: 0 (0.00 B)');
  });
});

describe('equivalent ways to write the spiral model', () => {
  const compileAndFit = `model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=100, batch_size=32, validation_split=0.2)
`;
  const expected = shapeOf(parseProgram(spiral).spec);

  it('model.add calls', () => {
    const source = `import keras
from keras import layers
model = keras.Sequential()
model.add(keras.Input(shape=(2,)))
model.add(layers.Dense(16, activation="relu"))
model.add(layers.Dense(16, activation="relu"))
model.add(layers.Dense(3, activation="softmax"))
${compileAndFit}`;
    expect(parseProgram(source).diagnostics).toEqual([]);
    expect(shapeOf(parseProgram(source).spec)).toEqual(expected);
  });

  it('a for loop of model.add calls', () => {
    const source = `import keras
from keras import layers
model = keras.Sequential([keras.Input(shape=(2,))])
for i in range(2):
    model.add(layers.Dense(16, activation="relu"))
model.add(layers.Dense(3, activation="softmax"))
${compileAndFit}`;
    expect(shapeOf(parseProgram(source).spec)).toEqual(expected);
  });

  it('the functional API with a for loop and arithmetic on the loop variable', () => {
    const source = `import keras
from keras import layers, optimizers

inputs = keras.Input(shape=(2,))
x = inputs
for i in range(2):
    x = layers.Dense(16 * (i + 1) - 16 * i, activation="relu")(x)
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs=inputs, outputs=outputs)
model.compile(optimizer=optimizers.Adam(learning_rate=0.01),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=100, batch_size=32, validation_split=0.2)
`;
    const result = parseProgram(source);
    expect(result.diagnostics).toEqual([]);
    expect(result.spec!.style).toBe('functional');
    expect(shapeOf(result.spec)).toEqual(expected);
  });

  it('other import styles, aliases and positional arguments', () => {
    const source = `import keras.layers as L
import keras
from keras.layers import Dense as D
from keras.models import Sequential
from keras.optimizers import Adam

model = Sequential(name="spiral")
model.add(L.Input((2,)))
for units in [16, 16]:
    model.add(D(units, "relu"))
model.add(keras.layers.Dense(units=3, activation='softmax'))
model.compile(Adam(0.01), "categorical_crossentropy", metrics=("acc",))
model.fit(x_train, y_train, 32, 100, validation_split=0.2)
`;
    expect(parseProgram(source).diagnostics).toEqual([]);
    expect(shapeOf(parseProgram(source).spec)).toEqual(expected);
  });
});

describe('valid programs', () => {
  it('accepts comments, blank lines, continuation lines and brackets over several lines', () => {
    const source = `import keras
from keras import layers  # comment with a ( bracket

model = keras.Sequential(
        [keras.Input(shape=(2,)),   # "quote in a comment
  layers.Dense(3, activation='relu'),
      ])
    # an indented comment
for i in range(2):
    # a comment in the body

    model.add(layers.Dense(4, name="d" + "(" + str_name_suffix if False else "d"))
`;
    // The conditional expression is refused, but the formatting before it is fine.
    expect(errorsOf(source).map((d) => d.message)).toEqual(['Conditional expressions (a if condition else b) are not supported']);

    const ok = `import keras
x = 1 + \\
    2
model = keras.Sequential([keras.Input(shape=(x,)),
                          keras.layers.Dense(4)])   # trailing comment
print("done", model)
model.summary()
"""A docstring (is ignored)."""
`;
    expect(parseProgram(ok).diagnostics).toEqual([]);
    expect(parseProgram(ok).spec!.inputs[0].shape).toEqual([3]);
  });

  it('accepts Windows line endings', () => {
    const source = 'import keras\r\nmodel = keras.Sequential([\r\n    keras.Input(shape=(2,)),\r\n    keras.layers.Dense(3)])\r\nmodel.compile(optimizer="sgd", loss="mse")\r\n';
    const result = parseProgram(source);
    expect(result.diagnostics).toEqual([]);
    expect(result.spec!.layers[0].span).toMatchObject({ line: 4, col: 5 });
  });

  it('fills Keras defaults for compile and fit', () => {
    const source = `import keras
model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1)])
model.compile(loss="mean_squared_error", metrics=["mean_absolute_error", "mae"])
model.fit(x_train, y_train)
`;
    const spec = parseProgram(source).spec!;
    expect(spec.compile).toMatchObject({ optimizer: { name: 'rmsprop', learningRate: 0.001, args: {} }, loss: 'mse', metrics: ['mae'] });
    expect(spec.fit).toMatchObject({ epochs: 1, batchSize: 32, validationSplit: 0, shuffle: true, x: 'x_train', y: 'y_train' });
  });

  it('reads optimizers as strings and as objects, keeping only the extras written', () => {
    const opt = (code: string) => parseProgram(`import keras\nfrom keras import optimizers\nmodel = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(1)])\nmodel.compile(optimizer=${code}, loss="mae")\n`).spec!.compile!.optimizer;
    expect(opt('"sgd"')).toMatchObject({ name: 'sgd', learningRate: 0.01, args: {} });
    expect(opt('"Adam"')).toMatchObject({ name: 'adam', learningRate: 0.001 });
    expect(opt('keras.optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True)')).toMatchObject({ name: 'sgd', learningRate: 0.1, args: { momentum: 0.9, nesterov: true } });
    expect(opt('optimizers.SGD()')).toMatchObject({ name: 'sgd', learningRate: 0.01, args: {} });
    expect(opt('optimizers.RMSprop(rho=0.8)')).toMatchObject({ name: 'rmsprop', learningRate: 0.001, args: { rho: 0.8 } });
    expect(opt('optimizers.Adagrad(1e-2)')).toMatchObject({ name: 'adagrad', learningRate: 0.01, args: {} });
    expect(opt('optimizers.Adam(beta_1=0.8)')).toMatchObject({ name: 'adam', learningRate: 0.001, args: { beta_1: 0.8 } });
  });

  it('names layers like Keras, honours name= and keeps counting across models', () => {
    const source = `import keras
from keras import layers
a = keras.Input(shape=(2,))
b = keras.Input(shape=(2,), name="extra")
unused = layers.Dense(5)
x = layers.Dense(4, name="hidden")(a)
y = layers.Dropout(0.5)(x)
z = layers.Dense(4)(y)
w = layers.Dropout(rate=0.1)(z)
model = keras.Model([a, b], w)
`;
    const result = parseProgram(source);
    expect(result.spec!.inputs.map((i) => i.id)).toEqual(['input_layer', 'extra']);
    expect(result.spec!.layers.map((l) => l.id)).toEqual(['hidden', 'dropout', 'dense_1', 'dropout_1']);
    expect(result.spec!.layers.map((l) => l.inputs)).toEqual([['input_layer'], ['hidden'], ['dropout'], ['dense_1']]);
    // An input that does not reach the outputs is a warning, not an error.
    expect(result.diagnostics).toEqual([expect.objectContaining({ severity: 'warning', message: "The input 'extra' is not connected to the outputs" })]);
  });

  it('keeps only the layers the outputs depend on, in program order', () => {
    const source = `import keras
from keras import layers
inputs = keras.Input(shape=(3,))
x = layers.Dense(8)(inputs)
side = layers.Dense(2)(inputs)
out1 = layers.Dense(1)(x)
out2 = layers.Activation("sigmoid")(x)
model = keras.Model(inputs, [out1, out2])
`;
    const spec = parseProgram(source).spec!;
    expect(spec.layers.map((l) => l.id)).toEqual(['dense', 'dense_2', 'activation']);
    expect(spec.outputs).toEqual(['dense_2', 'activation']);
    const text = formatSummary(spec, inferShapes(spec).summary!);
    expect(text).toContain('Model: "functional"');
    expect(text).toContain('Connected to');
    expect(text).toMatch(/│ input_layer \(InputLayer\) +│ \(None, 3\) +│ +0 │ - +│/);
    expect(text).toMatch(/│ activation \(Activation\) +│ \(None, 8\) +│ +0 │ dense\[0\]\[0\] +│/);
  });

  it('evaluates Python arithmetic', () => {
    const units = (expr: string) => parseProgram(`import keras\nmodel = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(${expr})])\n`).spec?.layers[0].args.units;
    expect(units('2 ** 3 + 7 // 2 - 10 % 3')).toBe(10);
    expect(units('-7 // 2 + 10')).toBe(6);
    expect(units('-7 % 3 + 1')).toBe(3);
    expect(units('0x10')).toBe(16);
    expect(units('1_000')).toBe(1000);
    expect(units('8 / 2')).toBeUndefined(); // 4.0 is a float: Dense needs an int
    expect(errorsOf('import keras\nn = 3\nn *= 2\nn -= 1\nmodel = keras.Sequential([keras.Input(shape=(n,)), keras.layers.Dense(n)])\n')).toEqual([]);
  });

  it('reports a shape error at the layer that cannot take its input', () => {
    const result = parseProgram('import keras\nmodel = keras.Sequential([\n    keras.Input(shape=()),\n    keras.layers.Dense(3)])\n');
    expect(result.spec).toBeNull();
    expect(result.diagnostics.map((d) => [d.message, at(d.span)])).toEqual([['Dense needs an input with at least one axis', '4:5']]);
  });

  it('warns when fit is called twice and keeps the last call', () => {
    const result = parseProgram(`${spiral}\nmodel.fit(x_train, y_train, epochs=5)\n`);
    expect(result.diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(result.spec!.fit!.epochs).toBe(5);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const H = 'import keras\nfrom keras import layers\n';
const SEQ = 'model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3)])\n';
const COMPILE = 'model.compile(optimizer="adam", loss="mse")\n';

/** [what, program, message substring, line:col of the first error]. */
const INVALID: [string, string, string, string][] = [
  ['typo in a layer name', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense2(3)])\n`, 'Unknown layer Dense2 — did you mean Dense?', '3:59'],
  ['typo in a keras name', `${H}model = keras.Sequentail([])\n`, "keras has no attribute 'Sequentail' — did you mean 'Sequential'?", '3:15'],
  ['list never closed', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3)\n${COMPILE}`, "Syntax error: '[' opened at line 3 is never closed", '3:26'],
  ['call never closed', `${H}${SEQ}model.compile(optimizer="adam", loss="mse"\nmodel.fit(x_train, y_train)\n`, "Syntax error: '(' opened at line 4 is never closed", '4:14'],
  ['mismatched bracket', `${H}x = [1, 2)\n`, "Syntax error: closing ')' does not match '[' opened at line 3", '3:10'],
  ['missing comma', `${H}model = keras.Sequential([\n    keras.Input(shape=(2,))\n    layers.Dense(3)\n])\n`, "Syntax error: unexpected 'layers' — perhaps you forgot a comma?", '5:5'],
  ['unexpected character', `${H}x = 3 $ 4\n`, "Syntax error: unexpected '$'", '3:7'],
  ['unterminated string', `${H}x = "abc\n`, 'Syntax error: unterminated string', '3:5'],
  ['missing indented block', `${H}model = keras.Sequential()\nfor i in range(3):\nmodel.add(layers.Dense(3))\n`, "Syntax error: expected an indented block after 'for' statement on line 4", '5:1'],
  ['unexpected indent', `${H}x = 1\n    y = 2\n`, 'Syntax error: unexpected indent', '4:5'],
  ['bad unindent', `${H}for i in range(3):\n    x = 1\n  y = 2\n`, 'Syntax error: unindent does not match any outer indentation level', '5:3'],
  ['missing colon', `${H}for i in range(3)\n    x = 1\n`, "Syntax error: expected ':'", '3:18'],
  ['unknown keyword argument', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, unit=4)])\n`, "Dense has no argument 'unit' — did you mean 'units'?", '3:68'],
  ['units as a string', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense("16")])\n`, 'Dense argument \'units\' must be an integer, got the string "16"', '3:65'],
  ['negative units', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(-3)])\n`, "Dense argument 'units' must be at least 1, got -3", '3:65'],
  ['float units', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(16 / 2)])\n`, "Dense argument 'units' must be an integer, got 8.0", '3:65'],
  ['dropout rate 1.5', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dropout(1.5)])\n`, "Dropout argument 'rate' must be between 0 and 0.999, got 1.5", '3:67'],
  ['unknown activation', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, activation="rleu")])\n`, 'Unknown activation "rleu" — did you mean "relu"?', '3:79'],
  ['unknown initializer', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, kernel_initializer="he_normall")])\n`, 'Unknown initializer "he_normall" — did you mean "he_normal"?', '3:87'],
  ['bool given as int', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, use_bias=1)])\n`, "Dense argument 'use_bias' must be True or False, got 1", '3:77'],
  ['missing required argument', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Activation()])\n`, "Activation is missing the required argument 'activation'", '3:52'],
  [
    'too many positional arguments',
    `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(${'3, '.repeat(DENSE_ARG_COUNT)}3)])\n`,
    `Dense takes at most ${DENSE_ARG_COUNT} positional arguments, got ${DENSE_ARG_COUNT + 1}`,
    `3:${65 + 3 * DENSE_ARG_COUNT}`
  ],
  ['argument given twice', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(units=3, units=4)])\n`, "Argument 'units' is given twice", '3:74'],
  ['positional and keyword for one argument', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, units=4)])\n`, "Dense got two values for 'units'", '3:68'],
  ['duplicate layer names', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, name="a"), layers.Dense(3, name="a")])\n`, 'The name "a" is already used by another layer', '3:100'],
  ['shape=(2) without a comma', `${H}model = keras.Sequential([keras.Input(shape=(2)), layers.Dense(3)])\n`, "keras.Input argument 'shape' must be a tuple, got 2", '3:45'],
  ['None in a shape', `${H}model = keras.Sequential([keras.Input(shape=(None, 2)), layers.Dense(3)])\n`, 'Variable-size dimensions (None) are not supported', '3:46'],
  ['Keras 2 input_shape', `${H}model = keras.Sequential([layers.Dense(3, input_shape=(2,))])\n`, 'input_shape= is Keras 2 style', '3:43'],
  ['Sequential without an input', `${H}model = keras.Sequential([layers.Dense(3)])\n`, 'The model has no input: start it with keras.Input(shape=(...))', '3:27'],
  ['keras.Input not first', `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3), keras.Input(shape=(3,))])\n`, 'keras.Input(...) must come first in a Sequential model', '3:69'],
  ['same layer twice in a Sequential', `${H}d = layers.Dense(3)\nmodel = keras.Sequential([keras.Input(shape=(2,)), d, d])\n`, 'Using the same layer twice (shared layers) is not supported yet', '4:55'],
  ['unknown loss', `${H}${SEQ}model.compile(optimizer="adam", loss="categorical_crossentropi")\n`, 'Unknown loss "categorical_crossentropi" — did you mean "categorical_crossentropy"?', '4:38'],
  ['unknown optimizer', `${H}${SEQ}model.compile(optimizer="adamm", loss="mse")\n`, 'Unknown optimizer "adamm" — did you mean "adam"?', '4:25'],
  ['unknown metric', `${H}${SEQ}model.compile(optimizer="adam", loss="mse", metrics=["acuracy"])\n`, 'Unknown metric "acuracy" — did you mean "accuracy"?', '4:54'],
  ['metrics not a list', `${H}${SEQ}model.compile(optimizer="adam", loss="mse", metrics="accuracy")\n`, 'metrics must be a list', '4:53'],
  ['compile without a loss', `${H}${SEQ}model.compile(optimizer="adam")\n`, 'model.compile(...) needs a loss', '4:1'],
  ['zero learning rate', `${H}${SEQ}model.compile(optimizer=keras.optimizers.SGD(learning_rate=0), loss="mse")\n`, "SGD argument 'learning_rate' must be greater than 0, got 0", '4:60'],
  ['typo in an optimizer argument', `${H}${SEQ}model.compile(optimizer=keras.optimizers.Adam(learning_rat=0.1), loss="mse")\n`, "Adam has no argument 'learning_rat' — did you mean 'learning_rate'?", '4:47'],
  ['fit before compile', `${H}${SEQ}model.fit(x_train, y_train)\n${COMPILE}`, 'Call model.compile(...) before model.fit(...)', '4:1'],
  ['fit without compile', `${H}${SEQ}model.fit(x_train, y_train)\n`, 'Call model.compile(...) before model.fit(...)', '4:1'],
  ['unknown data name', `${H}${SEQ}${COMPILE}model.fit(x_data, y_train)\n`, "Unknown name 'x_data'", '5:11'],
  ['x and y swapped', `${H}${SEQ}${COMPILE}model.fit(y_train, x_train)\n`, "model.fit's x must be x_train or x_test, got y_train", '5:11'],
  ['mismatched data sets', `${H}${SEQ}${COMPILE}model.fit(x_test, y_train)\n`, 'y_train does not go with x_test: use y_test', '5:19'],
  ['zero epochs', `${H}${SEQ}${COMPILE}model.fit(x_train, y_train, epochs=0)\n`, "model.fit argument 'epochs' must be at least 1, got 0", '5:36'],
  ['unsupported fit argument', `${H}${SEQ}${COMPILE}model.fit(x_train, y_train, callbacks=[])\n`, 'model.fit(callbacks=...) is not supported here', '5:29'],
  ['unsupported model method', `${H}${SEQ}model.predict(x_test)\n`, 'model.predict is not supported here', '4:7'],
  ['undefined variable with did-you-mean', `${H}${SEQ}modle.compile(optimizer="adam", loss="mse")\n`, "Unknown name 'modle' — did you mean 'model'?", '4:1'],
  ['layer name without import', 'import keras\nmodel = keras.Sequential([keras.Input(shape=(2,)), Dense(3)])\n', "Unknown name 'Dense'", '2:52'],
  ['calling a layer twice', `${H}inputs = keras.Input(shape=(2,))\nd = layers.Dense(3)\na = d(inputs)\nb = d(a)\nmodel = keras.Model(inputs, b)\n`, 'Calling the same layer twice (shared layers) is not supported yet', '6:5'],
  ['layer called on a list', `${H}inputs = keras.Input(shape=(2,))\nx = layers.Dense(3)(inputs)\ny = layers.Dense(3)(inputs)\nz = layers.Dense(3)([x, y])\n`, 'Dense takes one tensor, not a list', '6:21'],
  ['layer called on data', `${H}x = layers.Dense(3)(x_train)\n`, 'Layers are called on tensors', '3:21'],
  ['model inputs not from keras.Input', `${H}inputs = keras.Input(shape=(2,))\nx = layers.Dense(3)(inputs)\nmodel = keras.Model(x, x)\n`, 'keras.Model inputs must come straight from keras.Input(...)', '5:21'],
  ['disconnected graph', `${H}a = keras.Input(shape=(2,))\nb = keras.Input(shape=(2,))\nx = layers.Dense(4)(b)\nmodel = keras.Model(a, x)\n`, "The outputs depend on the input 'input_layer_1', which is not in the model's inputs", '6:21'],
  ['missing model', `${H}x = 1\n`, 'No model found: define one with keras.Sequential([...]) or keras.Model(inputs, outputs)', '1:1'],
  ['import numpy', 'import numpy as np\nimport keras\n', 'numpy is not available here', '1:8'],
  ['import tensorflow', 'import tensorflow as tf\n', 'tensorflow is not available here: the playground runs Keras 3 code', '1:8'],
  ['from tensorflow import keras', 'from tensorflow import keras\n', 'tensorflow is not available here', '1:6'],
  ['import os', `${H}import os\n`, 'Only keras and keras_hub can be imported here, not os', '3:8'],
  ['typo in an import', `${H}from keras import layres\n`, "keras has no attribute 'layres' — did you mean 'layers'?", '3:19'],
  ['star import', 'from keras import *\n', 'from keras import * is not supported', '1:19'],
  ['unsupported keras module', 'from keras.losses import mse\n', 'keras.losses is not supported here', '1:12'],
  ['eval', `${H}x = eval("1")\n`, 'eval is not allowed', '3:5'],
  ['exec', `${H}exec("import os")\n`, 'exec is not allowed', '3:1'],
  ['__import__', `${H}os = __import__("os")\n`, '__import__ is not allowed', '3:6'],
  ['open', `${H}open("data.csv")\n`, 'open is not allowed', '3:1'],
  ['other builtin', `${H}n = len([1, 2])\n`, 'len is not supported here', '3:5'],
  ['lambda', `${H}f = lambda a: a\n`, 'lambda functions are not supported', '3:5'],
  ['def', `${H}def build():\n    pass\n`, 'Function definitions (def) are not supported', '3:1'],
  ['class', `${H}class Net:\n    pass\n`, 'Class definitions are not supported', '3:1'],
  ['while', `${H}while True:\n    pass\n`, 'while loops are not supported', '3:1'],
  ['if', `${H}if True:\n    pass\n`, 'if statements are not supported', '3:1'],
  ['subscript', `${H}x = [1, 2]\ny = x[0]\n`, 'Indexing with [...] is not supported', '4:5'],
  ['list comprehension', `${H}x = [i for i in range(3)]\n`, 'List comprehensions are not supported', '3:5'],
  ['f-string', `${H}name = f"{3}"\n`, 'f-strings are not supported', '3:8'],
  ['dictionary', `${H}d = {"units": 3}\n`, 'Dictionaries are not supported', '3:5'],
  ['comparison', `${H}b = 1 < 2\n`, "The '<' operator is not supported", '3:7'],
  ['unpacking assignment', `${H}a, b = 1, 2\n`, 'Unpacking assignments (a, b = ...) are not supported', '3:1'],
  ['attribute of data', `${H}n = x_train.shape\n`, 'x_train.shape is not available here', '3:13'],
  ['division by zero', `${H}n = 1 / 0\n`, 'Division by zero', '3:5'],
  ['loop too long', `${H}for i in range(5000):\n    pass\n`, 'This range has 5000 numbers; loops may run at most 1000 times here', '3:10'],
  ['range of floats', `${H}for i in range(2.5):\n    pass\n`, 'range() needs whole numbers, got 2.5', '3:16'],
  ['argument unpacking', `${H}args = [3]\nd = layers.Dense(*args)\n`, 'Argument unpacking (*args, **kwargs) is not supported', '4:18'],
  ['model called like a layer', `${H}${SEQ}inputs = keras.Input(shape=(2,))\ny = model(inputs)\n`, 'Calling a model like a layer is not supported yet', '5:5'],
  ['add on a functional model', `${H}inputs = keras.Input(shape=(2,))\nmodel = keras.Model(inputs, layers.Dense(2)(inputs))\nmodel.add(layers.Dense(3))\n`, 'model.add(...) only works on keras.Sequential models', '5:1']
];

describe('invalid programs', () => {
  it.each(INVALID)('%s', (_what, source, message, position) => {
    const result = parseProgram(source);
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(result.spec).toBeNull();
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].message).toContain(message);
    expect(at(errors[0].span)).toBe(position);
  });

  it('never mentions internals', () => {
    for (const [, source] of INVALID) {
      for (const d of parseProgram(source).diagnostics) {
        const text = `${d.message} ${d.hint ?? ''}`;
        expect(text).not.toMatch(/\b(node|AST|lezer|undefined|NaN|TypeError|Error:|poison|\[object)\b|⚠/);
      }
    }
  });

  it('reports several independent mistakes, without cascades', () => {
    const source = `${H}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(4, unit=3), layers.Dropout(2)])
model.compile(optimizer="adamm", loss="mse", metrics=["acuracy"])
model.fit(x_train, y_train)
`;
    expect(errorsOf(source).map((d) => [d.message, at(d.span)])).toEqual([
      ["Dense has no argument 'unit' — did you mean 'units'?", '3:68'],
      ["Dropout argument 'rate' must be between 0 and 0.999, got 2", '3:92'],
      ['Unknown optimizer "adamm" — did you mean "adam"?', '4:25'],
      ['Unknown metric "acuracy" — did you mean "accuracy"?', '4:55']
    ]);
  });

  it('stops a loop at the first failing iteration', () => {
    const source = `${H}model = keras.Sequential([keras.Input(shape=(2,))])\nfor i in range(3):\n    model.add(layers.Dense(-i - 1))\n`;
    expect(errorsOf(source).map((d) => [d.message, at(d.span)])).toEqual([["Dense argument 'units' must be at least 1, got -1", '5:28']]);
  });

  it('gives one message for a failed import, not one per use', () => {
    const source = 'import numpy as np\nimport keras\nx = np.array([1, 2])\nmodel = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3)])\n';
    expect(errorsOf(source)).toHaveLength(1);
  });

  it('locates a missing closing bracket and a bad name with end positions', () => {
    const [d] = errorsOf(`${H}${SEQ}modle.fit(x_train, y_train)\n`);
    expect(d.span).toMatchObject({ line: 4, col: 1, endLine: 4, endCol: 6 });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A new layer needs no parser change: everything comes from its ArgDefs.

describe('arguments driven by the layer registry', () => {
  async function withFakeLayers() {
    vi.resetModules();
    vi.doMock('$lib/layers', async (importOriginal) => {
      const original = await importOriginal<typeof import('$lib/layers')>();
      const { LayerError } = await import('$lib/layers/types');
      type Def = (typeof original.LAYERS)[number];
      const base = {
        doc: '',
        outputShape: (inputs: number[][]) => inputs[0],
        params: () => ({ trainable: 0, nonTrainable: 0 }),
        flops: () => 0,
        toTfjs: () => {
          throw new Error('not used');
        }
      };
      const conv: Def = {
        ...base,
        kind: 'FakeConv2D',
        arity: 1,
        args: [
          { name: 'filters', type: 'int', min: 1, doc: '' },
          { name: 'kernel_size', type: 'int_or_tuple', min: 1, doc: '' },
          { name: 'padding', type: 'string', default: 'valid', values: ['valid', 'same'], doc: '' },
          { name: 'target_shape', type: 'shape', default: null, doc: '' },
          { name: 'kernel_regularizer', type: 'regularizer', default: null, doc: '' },
          { name: 'momentum', type: 'float', default: 0.99, min: 0, max: 1, doc: '' }
        ],
        validate(args) {
          if (args.filters === 7) throw new LayerError('FakeConv2D does not like 7 filters', 'Pick another number');
        }
      };
      const add: Def = { ...base, kind: 'FakeAdd', arity: 'many', args: [] };
      const layers = [...original.LAYERS, conv, add];
      return { ...original, LAYERS: layers, LAYER_KINDS: layers.map((l) => l.kind), getLayer: (kind: string) => layers.find((l) => l.kind === kind) };
    });
    const parse = await import('./parse');
    vi.doUnmock('$lib/layers');
    return parse.parseProgram;
  }

  it('converts every argument type', async () => {
    const parse = await withFakeLayers();
    const args = (call: string) => {
      const result = parse(`${H}from keras import regularizers\nmodel = keras.Sequential([keras.Input(shape=(8,)), ${call}])\n`);
      expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      return result.spec!.layers[0].args;
    };
    expect(args('layers.FakeConv2D(8, 3)')).toEqual({ filters: 8, kernel_size: 3, padding: 'valid', target_shape: null, kernel_regularizer: null, momentum: 0.99 });
    expect(args('layers.FakeConv2D(8, (3, 5), "same", (4, 2), keras.regularizers.l2(0.01), 1)')).toEqual({
      filters: 8,
      kernel_size: [3, 5],
      padding: 'same',
      target_shape: [4, 2],
      kernel_regularizer: { type: 'l2', l2: 0.01 },
      momentum: 1
    });
    expect(args('layers.FakeConv2D(8, 3, kernel_regularizer=regularizers.l1_l2(l1=0.1))').kernel_regularizer).toEqual({ type: 'l1_l2', l1: 0.1, l2: 0 });
    expect(args('layers.FakeConv2D(8, 3, kernel_regularizer=regularizers.L1())').kernel_regularizer).toEqual({ type: 'l1', l1: 0.01 });
    expect(args('layers.FakeConv2D(8, 3, kernel_regularizer="l2")').kernel_regularizer).toEqual({ type: 'l2', l2: 0.01 });
    expect(args('layers.FakeConv2D(8, 3, kernel_regularizer="l1_l2")').kernel_regularizer).toEqual({ type: 'l1_l2', l1: 0.01, l2: 0.01 });
    expect(args('layers.FakeConv2D(8, 3, kernel_regularizer=None)').kernel_regularizer).toBeNull();
    expect(args('layers.FakeConv2D(8, [2, 2])').kernel_size).toEqual([2, 2]);
  });

  it('validates every argument type', async () => {
    const parse = await withFakeLayers();
    const first = (call: string) => {
      const d = parse(`${H}model = keras.Sequential([keras.Input(shape=(8,)), ${call}])\n`).diagnostics[0];
      return `${at(d.span)} ${d.message}`;
    };
    // The call starts at column 52 of line 3.
    expect(first('layers.FakeConv2D(8, 0)')).toBe("3:73 FakeConv2D argument 'kernel_size' must be at least 1, got 0");
    expect(first('layers.FakeConv2D(8, (3, 0))')).toBe("3:77 FakeConv2D argument 'kernel_size' must be at least 1, got 0");
    expect(first('layers.FakeConv2D(8, 3.5)')).toBe("3:73 FakeConv2D argument 'kernel_size' must be an integer or a tuple of integers, got 3.5");
    expect(first('layers.FakeConv2D(8, 3, padding="smae")')).toBe('3:84 Unknown value "smae" — did you mean "same"?');
    expect(first('layers.FakeConv2D(8, 3, target_shape=4)')).toBe("3:89 FakeConv2D argument 'target_shape' must be a tuple, got 4");
    expect(first('layers.FakeConv2D(8, 3, kernel_regularizer=0.01)')).toMatch(/^3:95 FakeConv2D argument 'kernel_regularizer' must be a regularizer/);
    expect(first('layers.FakeConv2D(8, 3, kernel_regularizer=keras.regularizers.l2(-1))')).toBe("3:117 l2 argument 'l2' must be at least 0, got -1");
    expect(first('layers.FakeConv2D(8, 3, momentum=2)')).toBe("3:85 FakeConv2D argument 'momentum' must be between 0 and 1, got 2");
    expect(first('layers.FakeConv2D(7, 3)')).toBe('3:52 FakeConv2D does not like 7 filters');
    expect(first('layers.FakeConv2D(8, 3, paddin="same")')).toBe("3:76 FakeConv2D has no argument 'paddin' — did you mean 'padding'?");
    expect(first('layers.FakeConv2DD(8, 3)')).toBe('3:59 Unknown layer FakeConv2DD — did you mean FakeConv2D?');
    expect(first('layers.FakeAdd()')).toBe('3:52 FakeAdd merges several tensors, so it cannot be used in a Sequential model');
  });

  it('calls merge layers on lists', async () => {
    const parse = await withFakeLayers();
    const source = `${H}a = keras.Input(shape=(4,))\nb = keras.Input(shape=(4,))\nx = layers.Dense(4)(a)\ns = layers.FakeAdd()([x, b])\nmodel = keras.Model([a, b], s)\n`;
    const spec = parse(source).spec!;
    expect(spec.layers.map((l) => [l.id, l.inputs])).toEqual([
      ['dense', ['input_layer']],
      ['fake_add', ['dense', 'input_layer_1']]
    ]);
    const single = parse(`${H}a = keras.Input(shape=(4,))\ns = layers.FakeAdd()(a)\n`).diagnostics[0];
    expect(`${at(single.span)} ${single.message}`).toBe('4:22 FakeAdd merges several tensors: call it on a list, e.g. FakeAdd()([a, b])');
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('helpers', () => {
  it('names layers like Keras', () => {
    expect(['Dense', 'Conv2D', 'MaxPooling2D', 'BatchNormalization', 'GlobalAveragePooling2D', 'Add'].map(toSnakeCase)).toEqual([
      'dense',
      'conv2d',
      'max_pooling2d',
      'batch_normalization',
      'global_average_pooling2d',
      'add'
    ]);
  });

  it('suggests close names only', () => {
    expect(editDistance('rleu', 'relu')).toBe(1);
    expect(didYouMean('rleu', ['relu', 'tanh'])).toBe('relu');
    expect(didYouMean('dense', ['Dense', 'Dropout'])).toBe('Dense');
    expect(didYouMean('xyz', ['relu', 'tanh'])).toBeUndefined();
  });

  it('maps offsets to 1-based lines and UTF-16 columns', () => {
    const index = new LineIndex('a = "é😀"\nb');
    expect(index.span(0, 1)).toEqual({ from: 0, to: 1, line: 1, col: 1, endLine: 1, endCol: 2 });
    expect(index.position(10)).toEqual({ line: 2, col: 1 });
    expect(index.position(8)).toEqual({ line: 1, col: 9 }); // the emoji counts two code units
  });

  it('formats sizes like Keras', () => {
    expect(readableSize(0)).toBe('0.00 B');
    expect(readableSize(1484)).toBe('1.45 KB');
    expect(readableSize(4 * 1_199_882)).toBe('4.58 MB');
  });
});

describe('pathological programs (found by tests/unit/editor-fuzz.test.ts)', () => {
  it('refuses a 40 000-character unknown activation quickly (no edit distance against hopeless candidates)', () => {
    const src = `import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(4, activation="${'r'.repeat(40_000)}")])\n`;
    const t0 = performance.now();
    const errors = errorsOf(src);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(errors[0].message).toMatch(/^Unknown activation/);
    expect(errors[0].span.line).toBe(3);
    expect(didYouMean('r'.repeat(100), ['relu'])).toBeUndefined();
    const t1 = performance.now();
    expect(didYouMean('r'.repeat(1_000_000), ['relu', 'tanh', 'sigmoid'])).toBeUndefined();
    expect(performance.now() - t1).toBeLessThan(100);
  });
});

describe('limits (found by tests/unit/editor-fuzz.test.ts)', () => {
  it('stops after 100 problems instead of searching suggestions for each of 1500', () => {
    const src = Array.from({ length: 1500 }, (_, i) => `y${i} = q${i}\n`).join('');
    const t0 = performance.now();
    const errors = errorsOf(src);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(errors).toHaveLength(101);
    expect(errors[0]).toMatchObject({ message: "Unknown name 'q0'", span: { line: 1, col: 6 } });
    expect(errors[100].message).toBe('Stopped after 100 problems');
  });

  it('clips messages that quote a huge name', () => {
    const [e] = errorsOf(`y = ${'q'.repeat(40_000)}\n`);
    expect(e.message.length).toBeLessThanOrEqual(300);
    expect(e.span).toMatchObject({ line: 1, col: 5, endCol: 40_005 });
  });

  it('checks 4000 keyword arguments for repeats in linear time', () => {
    const src = `from keras import layers\ny = layers.Dense(${Array.from({ length: 4000 }, (_, i) => `k${i}=1`).join(', ')}, k0=2)\n`;
    const t0 = performance.now();
    const errors = errorsOf(src);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(errors[0].message).toBe("Argument 'k0' is given twice");
  });

  it('refuses more than 200 nested brackets like Python, at the 201st', () => {
    const [e] = errorsOf(`x = ${'['.repeat(5000)}1${']'.repeat(5000)}\n`);
    expect(e).toMatchObject({ message: 'Syntax error: too many nested parentheses', span: { line: 1, col: 205 } });
    expect(errorsOf(`x = ${'['.repeat(200)}1${']'.repeat(200)}\n`).map((d) => d.message)).toEqual([expect.stringMatching(/^No model found/)]);
  });

  it('refuses an expression nested too deeply for the interpreter at its line, without overflowing the stack', () => {
    const src = `a = 1\nb = ${Array(5000).fill('a').join('**')}\n`;
    const errors = errorsOf(src);
    expect(errors[0].message).toMatch(/^This expression is nested too deeply/);
    expect(errors[0].span.line).toBe(2);
    expect(errorsOf(`a = 1\nb = ${Array(450).fill('a').join('**')}\n`).map((d) => d.message)).toEqual([expect.stringMatching(/^No model found/)]);
  });
});

describe('size limits (found by tests/unit/editor-fuzz.test.ts)', () => {
  it('refuses a program of more than 2000 lines at line 2001, before parsing it', () => {
    const src = `import keras\nfrom keras import layers\nmodel = keras.Sequential()\n${'model.add(layers.Dense(4))\n'.repeat(3000)}`;
    const t0 = performance.now();
    const { spec, diagnostics } = parseProgram(src);
    expect(performance.now() - t0).toBeLessThan(100);
    expect(spec).toBeNull();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ message: 'The program is too long to analyse: 3004 lines, at most 2000', span: { line: 2001, col: 1 } });
  });

  it('refuses a program of more than 50 000 characters at the first one past the limit', () => {
    const [e] = errorsOf(`x = (${'1, '.repeat(100_000)})\n`);
    expect(e).toMatchObject({ message: 'The program is too long to analyse: 300007 characters, at most 50000', span: { from: 50_000, line: 1, col: 50_001 } });
  });
});

describe('trees too deep to build (found by tests/unit/editor-fuzz.test.ts)', () => {
  it('turns a stack overflow in building the tree into a located message, and the editor features into nothing', async () => {
    // @lezer/common builds the tree recursively: 5000 unclosed brackets overflowed the stack in the fuzz run,
    // depending on how much stack was left. Here the overflow is forced.
    const { parser } = await import('@lezer/python');
    const { completions, hover, signatureHelp } = await import('./language');
    const spy = vi.spyOn(parser, 'parse').mockImplementation(() => {
      throw new RangeError('Maximum call stack size exceeded');
    });
    try {
      const src = `a = 1\nb = ${'-'.repeat(3000)}a\nc = 2\n`;
      const { spec, diagnostics } = parseProgram(src);
      expect(spec).toBeNull();
      expect(diagnostics).toEqual([expect.objectContaining({ message: 'Syntax error: this program is nested too deeply to analyse', span: expect.objectContaining({ line: 2, col: 1 }) })]);
      expect(completions(src, 10)).toEqual([]);
      expect(hover(src, 10)).toBeNull();
      expect(signatureHelp(src, 10)).toBeNull();
    } finally {
      spy.mockRestore();
    }
  });
});
