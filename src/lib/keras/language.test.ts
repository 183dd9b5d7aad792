import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { LAYERS } from '$lib/layers';
import { ACTIVATION_NAMES } from '$lib/layers/activations';
import { INITIALIZER_NAMES } from '$lib/layers/initializers';
import { COMPILE_PARAMS, FIT_PARAMS, LOSSES, METRICS, OPTIMIZERS } from './builtins';
import { completions, hover, signatureHelp } from './language';

const spiral = readFileSync(new URL('../../../examples/spiral.py', import.meta.url), 'utf8');

/** Splits `text with a | cursor` into the source and the cursor offset. */
function at(textWithCursor: string): [string, number] {
  const offset = textWithCursor.indexOf('|');
  if (offset < 0) throw new Error('no cursor');
  return [textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 1), offset];
}

const labels = (t: string) => completions(...at(t)).map((i) => i.label);
const hoverAt = (t: string) => hover(...at(t));
const sigAt = (t: string) => signatureHelp(...at(t));

const HEADER = 'import keras\nfrom keras import layers\n';

describe('completions after a dot', () => {
  it('lists every registered layer after layers.', () => {
    const items = completions(...at(HEADER + 'x = layers.|'));
    const names = items.map((i) => i.label);
    for (const l of LAYERS) {
      if ((l.module ?? 'keras.layers') === 'keras.layers') expect(names).toContain(l.kind);
      else expect(names).not.toContain(l.kind);
    }
    const dense = items.find((i) => i.label === 'Dense')!;
    expect(dense.kind).toBe('layer');
    expect(dense.snippet).toBe(true);
    expect(dense.insertText).toBe('Dense(${1:units})');
    expect(dense.documentation).toContain('Densely-connected');
    expect(dense.detail).toBe('keras.layers.Dense(units, ...)');
    expect(dense.documentation).toContain('units, activation=None');
    expect(items.find((i) => i.label === 'Conv2D')!.insertText).toBe('Conv2D(${1:filters}, ${2:kernel_size})');
    expect(items.find((i) => i.label === 'Flatten')!.insertText).toBe('Flatten()');
  });

  it('replaces the part of the name already typed', () => {
    const [src, off] = at(HEADER + 'x = layers.Con|');
    const conv = completions(src, off).find((i) => i.label === 'Conv2D')!;
    expect(src.slice(conv.from, off)).toBe('Con');
  });

  it('works inside an unfinished Sequential list', () => {
    const src = HEADER + 'model = keras.Sequential([\n    keras.Input(shape=(2,)),\n    layers.|\n    layers.Dense(3),\n])\n';
    expect(labels(src)).toContain('Conv2D');
  });

  it('follows imports and aliases', () => {
    expect(labels('import keras as K\nK.layers.|')).toContain('Dense');
    expect(labels('from keras import layers as L\nL.|')).toContain('Dropout');
    expect(labels('import tensorflow as tf\ntf.keras.layers.|')).toContain('Dense');
    expect(labels('import keras.layers as kl\nkl.|')).toContain('BatchNormalization');
  });

  it('lists the keras module members after keras.', () => {
    const names = labels(HEADER + 'keras.|');
    for (const n of ['Sequential', 'Input', 'Model', 'layers', 'optimizers', 'regularizers']) expect(names).toContain(n);
    const items = completions(...at(HEADER + 'keras.|'));
    expect(items.find((i) => i.label === 'layers')!.kind).toBe('module');
    expect(items.find((i) => i.label === 'Sequential')!.kind).toBe('function');
  });

  it('lists the optimizers after optimizers. and keras.optimizers.', () => {
    const expected = Object.values(OPTIMIZERS).map((o) => o.className);
    expect(expected).toEqual(['SGD', 'Adam', 'RMSprop', 'Adagrad']);
    expect(labels(HEADER + 'keras.optimizers.|')).toEqual(expected);
    expect(labels('from keras import optimizers\nopt = optimizers.|')).toEqual(expected);
    const adam = completions(...at(HEADER + 'keras.optimizers.|')).find((i) => i.label === 'Adam')!;
    expect(adam.insertText).toBe('Adam(learning_rate=${1:0.001})');
  });

  it('lists a model variable\'s methods', () => {
    expect(labels(spiral + '\nmodel.|')).toEqual(['add', 'compile', 'fit', 'summary']);
  });

  it('offers nothing in comments, strings, or after unknown objects', () => {
    expect(labels(HEADER + '# layers.|')).toEqual([]);
    expect(labels(HEADER + 'x = "layers.|"')).toEqual([]);
    expect(labels(HEADER + 'foo.|')).toEqual([]);
  });

  it('completes imports with plain names', () => {
    expect(labels('from keras import |')).toEqual(expect.arrayContaining(['layers', 'optimizers', 'Sequential']));
    const dense = completions(...at('from keras.layers import Den|')).find((i) => i.label === 'Dense')!;
    expect(dense.insertText).toBe('Dense');
    expect(dense.snippet).toBeFalsy();
    expect(labels('from keras.|')).toContain('layers');
  });
});

describe('keyword arguments inside a call', () => {
  it('offers the arguments not already given, positionally or by name', () => {
    const names = labels(HEADER + 'layers.Dense(16, |)');
    expect(names).toContain('activation=');
    expect(names).toContain('kernel_initializer=');
    expect(names).toContain('name=');
    expect(names).not.toContain('units='); // given positionally
    const afterKw = labels(HEADER + 'layers.Dense(units=16, activation="relu", |)');
    expect(afterKw).not.toContain('units=');
    expect(afterKw).not.toContain('activation=');
    expect(afterKw).toContain('use_bias=');
  });

  it('offers every argument of a layer after the open parenthesis, with docs and defaults', () => {
    const items = completions(...at(HEADER + 'layers.Conv2D(|'));
    const conv = LAYERS.find((l) => l.kind === 'Conv2D')!;
    expect(items.filter((i) => i.kind === 'argument').map((i) => i.label)).toEqual([...conv.args.map((a) => `${a.name}=`), 'name=']);
    const padding = items.find((i) => i.label === 'padding=')!;
    expect(padding.detail).toBe('padding: str = "valid"');
    expect(padding.documentation).toContain('"same"');
    expect(padding.insertText).toBe('padding="$1"');
    expect(padding.retrigger).toBe(true);
  });

  it('works while the name is being typed and in unclosed calls spanning lines', () => {
    const [src, off] = at(HEADER + 'layers.Dense(16, act|');
    const items = completions(src, off);
    const act = items.find((i) => i.label === 'activation=')!;
    expect(src.slice(act.from, off)).toBe('act');
    const multi = HEADER + 'model = keras.Sequential([\n    layers.Dense(16, |\n    layers.Dense(3),\n])';
    expect(labels(multi)).toContain('activation=');
    expect(labels(multi)).not.toContain('units=');
  });

  it('offers nothing in the middle of a value', () => {
    expect(labels(HEADER + 'layers.Dense(16 |)')).toEqual([]);
  });

  it('offers compile\'s and fit\'s supported arguments', () => {
    const compile = labels(spiral.split('model.compile')[0] + 'model.compile(|)');
    const supported = COMPILE_PARAMS.filter((p) => !p.unsupported).map((p) => `${p.name}=`);
    expect(compile).toEqual(supported);
    expect(compile).not.toContain('jit_compile=');
    const fit = labels(HEADER + 'model.fit(x_train, y_train, |)');
    expect(fit).toContain('epochs=');
    expect(fit).toContain('validation_split=');
    expect(fit).not.toContain('x=');
    expect(fit).not.toContain('y=');
    expect(fit).not.toContain('callbacks=');
    expect(fit.length).toBe(FIT_PARAMS.filter((p) => !p.unsupported).length - 2);
  });

  it('offers optimizer arguments, also when nested in compile', () => {
    const names = labels(HEADER + 'model.compile(optimizer=keras.optimizers.SGD(0.1, |), loss="mse")');
    expect(names).toEqual(['momentum=', 'nesterov=']);
    expect(labels(HEADER + 'model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), |)')).toEqual(['loss=', 'metrics=']);
  });

  it('offers the values of a required string argument in its positional slot', () => {
    expect(labels(HEADER + 'layers.Activation(|)')).toContain('"relu"');
    expect(labels(HEADER + 'layers.Dense(16, |)')).not.toContain('"relu"');
  });
});

describe('values', () => {
  it('offers the activations inside activation="..."', () => {
    const [src, off] = at(HEADER + 'layers.Dense(16, activation="|")');
    const items = completions(src, off);
    expect(items.map((i) => i.label)).toEqual(ACTIVATION_NAMES);
    for (const n of ['relu', 'sigmoid', 'tanh', 'softmax', 'swish']) expect(items.map((i) => i.label)).toContain(n);
    expect(items.find((i) => i.label === 'relu')!.documentation).toContain('max(x, 0)');
    expect(items.every((i) => i.kind === 'value' && i.from === off && i.to === off)).toBe(true);
  });

  it('replaces the whole string content, even when the string is unterminated', () => {
    const [src, off] = at(HEADER + 'layers.Dense(16, activation="re|lu")');
    const relu = completions(src, off).find((i) => i.label === 'relu')!;
    expect(src.slice(relu.from, relu.to)).toBe('relu');
    expect(labels(HEADER + 'layers.Dense(16, activation="|')).toContain('gelu');
    const next = HEADER + 'model = keras.Sequential([\n    layers.Dense(16, activation="re|\n    layers.Dense(3),\n])';
    expect(labels(next)).toContain('relu');
  });

  it('offers initializers, paddings, losses, optimizers and metrics', () => {
    expect(labels(HEADER + 'layers.Dense(4, kernel_initializer="|")')).toEqual([...INITIALIZER_NAMES]);
    expect(labels(HEADER + "layers.Conv2D(8, 3, padding='|')")).toEqual(['valid', 'same']);
    expect(labels(HEADER + 'layers.MaxPooling2D(padding="|")')).toEqual(['valid', 'same']);
    expect(labels(HEADER + 'model.compile(optimizer="adam", loss="|")')).toEqual(Object.keys(LOSSES));
    expect(labels(HEADER + 'model.compile(optimizer="|")')).toEqual(['sgd', 'adam', 'rmsprop', 'adagrad']);
    expect(labels(HEADER + 'model.compile(loss="mse", metrics=["|"])')).toEqual(Object.keys(METRICS));
    expect(labels(HEADER + 'model.compile(loss="mse", metrics=["|')).toContain('accuracy');
    expect(labels(HEADER + 'model.compile(loss="mse", metrics=[|])')).toContain('"accuracy"');
  });

  it('offers no values in strings that are not such arguments', () => {
    expect(labels(HEADER + 'layers.Dense(16, name="|")')).toEqual([]);
    expect(labels(HEADER + 'x = "|"')).toEqual([]);
    expect(labels(HEADER + 'layers.Dense(16, activation=["|"])')).toEqual([]);
  });

  it('offers values after name= outside quotes', () => {
    const act = labels(HEADER + 'layers.Dense(16, activation=|)');
    expect(act).toContain('"relu"');
    expect(act).toContain('None');
    expect(labels(HEADER + 'layers.Dense(16, use_bias=|)')).toEqual(['True', 'False']);
    const reg = labels(HEADER + 'from keras import regularizers\nlayers.Dense(4, kernel_regularizer=|)');
    expect(reg).toContain('regularizers.l2(...)');
    expect(labels(HEADER + 'layers.Dense(4, kernel_regularizer=|)')).toContain('keras.regularizers.l2(...)');
    const opt = labels(HEADER + 'model.compile(optimizer=|)');
    expect(opt).toContain('"adam"');
    expect(opt).toContain('keras.optimizers.Adam(...)');
    expect(labels(HEADER + 'model.fit(x=|)')).toContain('x_train');
  });
});

describe('hover', () => {
  it('documents a layer class with its signature and defaults', () => {
    const src = HEADER + 'x = layers.Dense(16, activation="relu")';
    const off = src.indexOf('Dense') + 2;
    const h = hover(src, off)!;
    expect(h.contents).toContain('Densely-connected');
    expect(h.contents).toContain('units');
    expect(h.contents).toContain('activation=None');
    expect(h.contents).toContain('kernel_initializer="glorot_uniform"');
    expect(src.slice(h.from, h.to)).toBe('Dense');
  });

  it('documents keyword arguments', () => {
    const h = hoverAt(HEADER + 'layers.Conv2D(8, 3, pad|ding="same")')!;
    expect(h.contents).toContain('**padding**');
    expect(h.contents).toContain('default `"valid"`');
    expect(h.contents).toContain('zero-pads');
    expect(hoverAt(HEADER + 'layers.Dense(un|its=4)')!.contents).toContain('required');
  });

  it('documents string values', () => {
    expect(hoverAt(HEADER + 'layers.Dense(4, activation="ta|nh")')!.contents).toContain('Hyperbolic tangent');
    expect(hoverAt(HEADER + 'model.compile(loss="categorical_cross|entropy")')!.contents).toContain('one-hot');
    expect(hoverAt(HEADER + 'model.compile(loss="mean_squared_e|rror")')!.contents).toContain('Same as "mse"');
    expect(hoverAt(HEADER + 'model.compile(optimizer="Ad|am")')!.contents).toContain('learning_rate=0.001');
    expect(hoverAt(HEADER + 'model.compile(metrics=["acc|uracy"])')!.contents).toContain('predicted class');
    expect(hoverAt(HEADER + 'layers.Dense(4, kernel_initializer="he_n|ormal")')!.contents).toContain('He normal');
  });

  it('documents compile, fit, optimizers, keras.Input and imports', () => {
    const compile = hover(spiral, spiral.indexOf('compile') + 1)!;
    expect(compile.contents).toContain('model.compile(optimizer="rmsprop", loss=None, metrics=None)');
    const fit = hover(spiral, spiral.indexOf('.fit') + 2)!;
    expect(fit.contents).toContain('epochs=1');
    expect(fit.contents).toContain('validation_split');
    expect(hover(spiral, spiral.indexOf('Adam') + 1)!.contents).toContain('beta_1=0.9');
    expect(hover(spiral, spiral.indexOf('Input') + 1)!.contents).toContain('keras.Input(shape, dtype=None, name=None)');
    expect(hoverAt('from keras.layers import Dro|pout')!.contents).toContain('keras.layers.Dropout(rate');
    expect(hover(spiral, spiral.indexOf('epochs') + 1)!.contents).toContain('passes over the training data');
  });

  it('says nothing over numbers, unknown names and unknown arguments', () => {
    expect(hoverAt(HEADER + 'layers.Dense(1|6)')).toBeNull();
    expect(hoverAt(HEADER + 'fo|o = 3')).toBeNull();
    expect(hoverAt(HEADER + 'layers.Dense(16, bo|gus=1)')).toBeNull();
  });
});

describe('signature help', () => {
  it('shows a layer constructor and the argument being written', () => {
    const s = sigAt(HEADER + 'layers.Dense(16, |')!;
    expect(s.label.startsWith('Dense(units, activation=None, use_bias=True')).toBe(true);
    expect(s.documentation).toContain('Densely-connected');
    expect(s.parameters[s.activeParameter].label).toBe('activation=None');
    for (const p of s.parameters) expect(s.label.slice(...p.offsets)).toBe(p.label);
    expect(sigAt(HEADER + 'layers.Dense(|')!.activeParameter).toBe(0);
  });

  it('follows keyword arguments to their parameter', () => {
    const s = sigAt(HEADER + 'layers.Conv2D(8, 3, padding="sa|')!;
    expect(s.parameters[s.activeParameter].label).toBe('padding="valid"');
    const k = sigAt(HEADER + 'layers.Dense(16, use_bias=|)')!;
    expect(k.parameters[k.activeParameter].label).toBe('use_bias=True');
  });

  it('covers optimizers, compile, fit and keras.Input, innermost call first', () => {
    const adam = sigAt(HEADER + 'model.compile(optimizer=keras.optimizers.Adam(|), loss="mse")')!;
    expect(adam.label).toBe('Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7)');
    const compile = sigAt(HEADER + 'model.compile(optimizer=keras.optimizers.Adam(0.1), |)')!;
    expect(compile.label).toBe('compile(optimizer="rmsprop", loss=None, metrics=None)');
    const fit = sigAt(HEADER + 'model.fit(x_train, y_train, epochs=|')!;
    expect(fit.parameters[fit.activeParameter].label).toBe('epochs=1');
    expect(fit.label).not.toContain('callbacks');
    const input = sigAt(HEADER + 'keras.Input(|')!;
    expect(input.label).toBe('Input(shape, dtype=None, name=None)');
    expect(input.parameters[0].documentation).toContain('without the batch axis');
  });

  it('is absent outside calls and after the closing parenthesis', () => {
    expect(sigAt(HEADER + 'x = 1|')).toBeNull();
    expect(sigAt(HEADER + 'layers.Dense(16)|')).toBeNull();
    expect(sigAt(HEADER + 'print(|')).toBeNull();
  });
});

describe('generated from the registry', () => {
  it('documents every layer and every argument of every layer', () => {
    for (const def of LAYERS) {
      const src = (def.module ?? 'keras.layers') === 'keras.layers' ? `${HEADER}layers.${def.kind}(` : `${HEADER}import keras_hub\n${def.module}.${def.kind}(`;
      const s = signatureHelp(src, src.length)!;
      expect(s.label.startsWith(`${def.kind}(`)).toBe(true);
      expect(s.parameters.map((p) => p.label.split('=')[0])).toEqual([...def.args.map((a) => a.name), 'name']);
      const h = hover(src, src.length - 3)!;
      expect(h.contents).toContain(def.doc.slice(0, 20));
    }
  });

  it('copes with any prefix of a real program (the user typing)', () => {
    for (let i = 0; i <= spiral.length; i++) {
      expect(() => {
        completions(spiral.slice(0, i), i);
        signatureHelp(spiral.slice(0, i), i);
        hover(spiral.slice(0, i), Math.max(0, i - 1));
      }).not.toThrow();
    }
  });
});

describe('renaming an existing call', () => {
  it('inserts the bare name when the parentheses are already there', () => {
    const conv = completions(...at(HEADER + 'x = layers.Con|(16)')).find((i) => i.label === 'Conv2D')!;
    expect(conv.insertText).toBe('Conv2D');
    expect(conv.snippet).toBeFalsy();
  });
});

describe('pathological programs (found by tests/unit/editor-fuzz.test.ts)', () => {
  it('completes after a dotted chain of 5000 names and at the end of a 40 000-character word without quadratic work', () => {
    const chain = `import keras\na = keras${'.layers'.repeat(5000)}.`;
    let t0 = performance.now();
    expect(completions(chain, chain.length)).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(1000);
    const word = `x = "${'r'.repeat(40_000)}")])\n`;
    t0 = performance.now();
    completions(word, word.length);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('reads the dotted name before the cursor as before', () => {
    expect(labels('import keras\nkeras . layers .  |')).toContain('Dense');
    expect(labels('import keras\nx = 1keras.|')).toContain('layers');
  });
});

describe('deep nesting (found by tests/unit/editor-fuzz.test.ts)', () => {
  it('offers nothing in a program with more than 200 nested brackets, without building its slow tree', () => {
    const src = `import keras\nx = ${'('.repeat(5000)}keras.${')'.repeat(5000)}\n`;
    const t0 = performance.now();
    expect(completions(src, src.indexOf('.') + 1)).toEqual([]);
    expect(hover(src, src.indexOf('keras', 15))).toBeNull();
    expect(performance.now() - t0).toBeLessThan(50);
    const ok = `import keras\nx = ${'('.repeat(10)}keras.${')'.repeat(10)}\n`;
    expect(completions(ok, ok.lastIndexOf('.') + 1).map((i) => i.label)).toContain('layers');
  });
});
