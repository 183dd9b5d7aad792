/**
 * The Keras language side of sequences: `keras.Input(dtype="int32")`, a layer as an argument
 * (`layers.Bidirectional(layers.LSTM(16))`), the numbers the data predefines (`vocab_size`, `seq_len`), and the
 * metric `sparse_categorical_accuracy` — parsed, located when wrong, printed back, completed and hovered.
 *
 * The recurrent layers are someone else's files: when the registry has no LSTM / Bidirectional yet, minimal stand-ins
 * (Keras' names and the arguments used here) are added to it for this file only.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ModelSpec, Span } from '$lib/spec/types';

vi.mock('$lib/layers', async (importOriginal) => {
  const m = await importOriginal<typeof import('$lib/layers')>();
  const { LayerError } = await import('$lib/layers/types');
  type Def = import('$lib/layers/types').LayerDef;
  const none = () => ({ trainable: 0, nonTrainable: 0 });
  const lstm: Def = {
    kind: 'LSTM',
    doc: 'Long Short-Term Memory layer (test stand-in).',
    args: [
      { name: 'units', type: 'int', min: 1, doc: 'Size of the hidden state.' },
      { name: 'return_sequences', type: 'bool', default: false, doc: 'Return the whole sequence.' }
    ],
    arity: 1,
    outputShape(inputs, args) {
      if (inputs[0].length !== 2) throw new LayerError('LSTM needs (time, features)');
      return args.return_sequences ? [inputs[0][0], args.units as number] : [args.units as number];
    },
    params: none,
    flops: () => 0,
    toTfjs: () => {
      throw new Error('stand-in');
    }
  };
  const gru: Def = { ...lstm, kind: 'GRU', doc: 'Gated Recurrent Unit (test stand-in).' };
  const bidirectional: Def = {
    kind: 'Bidirectional',
    doc: 'Runs a recurrent layer forwards and backwards (test stand-in).',
    args: [
      { name: 'layer', type: 'layer', values: ['LSTM', 'GRU'], doc: 'The recurrent layer.' },
      { name: 'merge_mode', type: 'string', default: 'concat', values: ['concat', 'sum', 'mul', 'ave'], doc: 'How to merge.' }
    ],
    arity: 1,
    outputShape(inputs, args) {
      const inner = args.layer as { kind: string; args: Record<string, number | boolean> };
      const units = (inner.args.units as number) * (args.merge_mode === 'concat' ? 2 : 1);
      return inner.args.return_sequences ? [inputs[0][0], units] : [units];
    },
    params: none,
    flops: () => 0,
    toTfjs: () => {
      throw new Error('stand-in');
    }
  };
  const extra = [lstm, gru, bidirectional].filter((d) => !m.getLayer(d.kind));
  if (extra.length === 0) return m;
  const LAYERS = [...m.LAYERS, ...extra];
  const byKind = new Map(LAYERS.map((l) => [l.kind, l]));
  return { ...m, LAYERS, LAYER_KINDS: LAYERS.map((l) => l.kind), getLayer: (kind: string) => byKind.get(kind) };
});

const { parseProgram } = await import('./parse');
const { printKeras } = await import('./print');
const { completions, hover } = await import('./language');
const { getLayer } = await import('$lib/layers');

const HEADER = 'import keras\nfrom keras import layers\n\n';
const CONSTANTS = { vocab_size: 65, seq_len: 32 };

function parse(source: string, constants: Record<string, number> = CONSTANTS): ModelSpec {
  const { spec, diagnostics } = parseProgram(source, { constants });
  if (!spec) throw new Error(`does not parse:\n${diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`).join('\n')}`);
  return spec;
}

function errors(source: string, constants?: Record<string, number>) {
  return parseProgram(source, { constants }).diagnostics.filter((d) => d.severity === 'error');
}

/** The source text a span covers. */
const textAt = (source: string, span: Span) => source.slice(span.from, span.to);

const noSpans = (spec: ModelSpec): unknown => JSON.parse(JSON.stringify(spec, (k, v) => (k === 'span' ? undefined : v)));

/** print(parse(x)) parses to the same spec (with the same constants) and is a fixed point. */
function expectRoundTrip(source: string): string {
  const spec = parse(source);
  const printed = printKeras(spec);
  expect(noSpans(parse(printed)), printed).toEqual(noSpans(spec));
  expect(printKeras(parse(printed))).toBe(printed);
  return printed;
}

const CHAR_MODEL = `${HEADER}model = keras.Sequential([
    keras.Input(shape=(seq_len,), dtype="int32"),
    layers.Dense(vocab_size, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2)
`;

describe('keras.Input(dtype=...)', () => {
  it('records int32 (and leaves float32, the default, out of the spec)', () => {
    expect(parse(CHAR_MODEL).inputs[0].dtype).toBe('int32');
    const floats = parse(`${HEADER}model = keras.Sequential([keras.Input(shape=(4,), dtype="float32"), layers.Dense(2)])\n`);
    expect(floats.inputs[0].dtype).toBeUndefined();
    expect(parse(`${HEADER}model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(2)])\n`).inputs[0].dtype).toBeUndefined();
  });

  it('refuses other dtypes by name, at the value', () => {
    const source = `${HEADER}model = keras.Sequential([keras.Input(shape=(4,), dtype="float64"), layers.Dense(2)])\n`;
    const [e, ...rest] = errors(source);
    expect(rest).toEqual([]);
    expect(e.message).toContain('dtype="float64"');
    expect(e.message).toContain('"int32"');
    expect(textAt(source, e.span)).toBe('"float64"');
    const notString = `${HEADER}model = keras.Sequential([keras.Input(shape=(4,), dtype=3), layers.Dense(2)])\n`;
    expect(textAt(notString, errors(notString)[0].span)).toBe('3');
  });

  it('completion offers the dtypes, hover documents the argument', () => {
    const source = `${HEADER}inputs = keras.Input(shape=(4,), dtype="`;
    expect(completions(source, source.length).map((i) => i.label)).toEqual(['float32', 'int32']);
    const h = hover(CHAR_MODEL, CHAR_MODEL.indexOf('dtype=') + 2);
    expect(h?.contents).toContain('token ids');
  });

  it('prints dtype back (functional and sequential)', () => {
    const printed = expectRoundTrip(CHAR_MODEL);
    expect(printed).toContain('keras.Input(shape=(32,), dtype="int32")');
    const functional = expectRoundTrip(`${HEADER}inputs = keras.Input(shape=(8,), dtype="int32")\noutputs = layers.Dense(3)(inputs)\nmodel = keras.Model(inputs, outputs)\n`);
    expect(functional).toContain('dtype="int32"');
  });
});

describe('data constants (vocab_size, seq_len)', () => {
  it('stand for their numbers anywhere a number is', () => {
    const spec = parse(CHAR_MODEL);
    expect(spec.inputs[0].shape).toEqual([32]);
    expect(spec.layers[0].args.units).toBe(65);
    const arithmetic = parse(`${HEADER}model = keras.Sequential([keras.Input(shape=(seq_len, 1)), layers.Dense(vocab_size * 2 + 1)])\n`);
    expect(arithmetic.inputs[0].shape).toEqual([32, 1]);
    expect(arithmetic.layers[0].args.units).toBe(131);
  });

  it('without the data: a located message that says which data defines them', () => {
    const [e, ...rest] = errors(CHAR_MODEL);
    expect(rest.map((d) => textAt(CHAR_MODEL, d.span))).toEqual(['vocab_size']);
    expect(textAt(CHAR_MODEL, e.span)).toBe('seq_len');
    expect(e.message).toContain('seq_len is not defined');
    const only = CHAR_MODEL.replace('shape=(seq_len,)', 'shape=(10,)');
    const [v] = errors(only, { seq_len: 10 });
    expect(textAt(only, v.span)).toBe('vocab_size');
    expect(v.message).toMatch(/text data defines it.*shakespeare, names, reverse, parity or your own text in the Data panel/);
  });

  it('a program may define them itself (its own value wins)', () => {
    const own = `vocab_size = 7\nseq_len = 5\n${CHAR_MODEL}`;
    const spec = parse(own, {});
    expect(spec.inputs[0].shape).toEqual([5]);
    expect(spec.layers[0].args.units).toBe(7);
    expect(parse(own).layers[0].args.units).toBe(7);
  });

  it('completion offers them for integer arguments, hover explains them', () => {
    const source = `${HEADER}x = layers.Dense(`;
    const labels = completions(source, source.length).map((i) => i.label);
    expect(labels).toContain('vocab_size');
    const kw = `${HEADER}x = layers.Dense(16, units=`;
    expect(completions(kw, kw.length).map((i) => i.label)).toContain('seq_len');
    const at = CHAR_MODEL.indexOf('vocab_size') + 3;
    const h = hover(CHAR_MODEL, at);
    expect(h?.contents).toContain('Embedding');
    expect(h?.contents).toContain('shakespeare');
    expect(hover(`vocab_size = 3\n${CHAR_MODEL}`, at + 'vocab_size = 3\n'.length)).toBeNull();
  });
});

const BIDI = `${HEADER}inputs = keras.Input(shape=(seq_len, 4))
x = layers.Bidirectional(layers.LSTM(16, return_sequences=True), merge_mode="sum")(inputs)
x = layers.LSTM(8)(x)
outputs = layers.Dense(3, activation="softmax")(x)
model = keras.Model(inputs, outputs)
`;

describe('a layer as an argument (Bidirectional(LSTM(...)))', () => {
  it('evaluates the inner call to { kind, args } with its defaults filled', () => {
    const spec = parse(BIDI);
    const bi = spec.layers[0];
    expect(bi.kind).toBe('Bidirectional');
    const lstmDefaults = Object.fromEntries(getLayer('LSTM')!.args.filter((a) => a.default !== undefined).map((a) => [a.name, a.default]));
    expect(bi.args.layer).toEqual({ kind: 'LSTM', args: { ...lstmDefaults, units: 16, return_sequences: true } });
    expect(bi.args.merge_mode).toBe('sum');
    // Keras names the inner layer first (lstm), then the wrapper; the next LSTM is lstm_1.
    expect(spec.layers.map((l) => l.id)).toEqual(['bidirectional', 'lstm_1', 'dense']);
    // structured-clone safe, as the spec must be
    expect(structuredClone(spec)).toEqual(spec);
  });

  it('locates a problem of the inner layer at the inner call', () => {
    const bad = BIDI.replace('layers.LSTM(16, return_sequences=True)', 'layers.LSTM("16", return_sequences=True)');
    const [e, ...rest] = errors(bad, CONSTANTS);
    expect(rest).toEqual([]);
    expect(textAt(bad, e.span)).toBe('"16"');
    expect(e.message).toContain("LSTM argument 'units'");
    const missing = BIDI.replace('layers.LSTM(16, return_sequences=True)', 'layers.LSTM(return_sequences=True)');
    const [m] = errors(missing, CONSTANTS);
    expect(textAt(missing, m.span)).toBe('layers.LSTM(return_sequences=True)');
    expect(m.message).toContain("missing the required argument 'units'");
  });

  it('refuses what is not a layer, or a kind it does not take', () => {
    const dense = BIDI.replace('layers.LSTM(16, return_sequences=True)', 'layers.Dense(16)');
    const [d] = errors(dense, CONSTANTS);
    expect(textAt(dense, d.span)).toBe('layers.Dense(16)');
    expect(d.message).toBe("Bidirectional argument 'layer' must be a SimpleRNN, LSTM or GRU layer, got a Dense layer");
    const number = BIDI.replace('layers.LSTM(16, return_sequences=True)', '16');
    const [n] = errors(number, CONSTANTS);
    expect(n.message).toContain("Bidirectional argument 'layer' must be a layer such as layers.SimpleRNN(16), got 16");
    const twice = `${HEADER}inner = layers.LSTM(4)\ninputs = keras.Input(shape=(5, 2))\na = layers.Bidirectional(inner)(inputs)\nb = layers.Bidirectional(inner)(inputs)\n`;
    expect(errors(twice).map((x) => x.message).join('\n')).toContain('already used');
  });

  it('prints the inner layer back (round trip, fixed point, Keras naming kept)', () => {
    const printed = expectRoundTrip(BIDI);
    expect(printed).toContain('x = layers.Bidirectional(\n    layers.LSTM(16, return_sequences=True),\n    merge_mode="sum",\n)(inputs)');
    const concat = expectRoundTrip(BIDI.replace(', merge_mode="sum"', ''));
    expect(concat).toContain('x = layers.Bidirectional(layers.LSTM(16, return_sequences=True))(inputs)');
    expect(printed).not.toContain('name=');
    const seq = expectRoundTrip(`${HEADER}model = keras.Sequential([
    keras.Input(shape=(seq_len,)),
    layers.Reshape((seq_len, 1)),
    layers.Bidirectional(layers.GRU(4)),
    layers.Dense(1),
])
`);
    expect(seq).toContain('layers.Bidirectional(layers.GRU(4))');
  });

  it('completion offers the layers it takes, and completes inside the inner call', () => {
    const source = `${HEADER}x = layers.Bidirectional(`;
    const items = completions(source, source.length);
    const labels = items.map((i) => i.label);
    expect(labels).toContain('layers.LSTM(...)');
    expect(labels).toContain('layers.GRU(...)');
    expect(labels).not.toContain('layers.Dense(...)');
    expect(items.find((i) => i.label === 'layers.LSTM(...)')!.insertText).toBe('layers.LSTM(${1:units})');
    const inner = `${HEADER}x = layers.Bidirectional(layers.LSTM(16, `;
    expect(completions(inner, inner.length).map((i) => i.label)).toContain('return_sequences=');
    const h = hover(BIDI, BIDI.indexOf('LSTM(16') + 1);
    expect(h?.contents).toContain('keras.layers.LSTM');
    const kw = `${HEADER}x = layers.Bidirectional(layer=layers.LSTM(4))`;
    expect(hover(kw, kw.indexOf('layer=') + 1)?.contents).toContain('Takes: `layers.SimpleRNN(...)`, `layers.LSTM(...)`, `layers.GRU(...)`');
  });
});

describe('metrics on sequences', () => {
  it('accepts sparse_categorical_accuracy and prints it back', () => {
    const source = CHAR_MODEL.replace('metrics=["accuracy"]', 'metrics=["sparse_categorical_accuracy"]');
    expect(parse(source).compile?.metrics).toEqual(['sparse_categorical_accuracy']);
    expect(expectRoundTrip(source)).toContain('metrics=["sparse_categorical_accuracy"]');
  });
});
