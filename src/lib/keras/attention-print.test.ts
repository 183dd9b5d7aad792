/**
 * Printing the attention side of the language back to Keras (issue 13): named-tensor calls as written, `a + b`, a
 * KerasHub block as one call with `import keras_hub`; parse → print → parse gives the same spec. Runs on the test
 * stand-ins of `fake-layers.ts`.
 */
import { describe, expect, it, vi } from 'vitest';
import type { ModelSpec } from '$lib/spec/types';
import { parseProgram } from './parse';
import { printKeras, printKerasScript } from './print';

vi.mock('$lib/layers', async (importOriginal) => (await import('./fake-layers')).withFakeLayers(await importOriginal()));

function parse(source: string): ModelSpec {
  const { spec, diagnostics } = parseProgram(source);
  if (!spec) throw new Error(`does not parse:\n${diagnostics.map((d) => `${d.span.line}:${d.span.col}: ${d.message}`).join('\n')}\n--- source:\n${source}`);
  return spec;
}

const noSpans = (spec: ModelSpec): unknown => JSON.parse(JSON.stringify(spec, (k, v) => (k === 'span' ? undefined : v)));

function expectRoundTrip(source: string): string {
  const spec = parse(source);
  const printed = printKeras(spec);
  expect(noSpans(parse(printed)), printed).toEqual(noSpans(spec));
  expect(printKeras(parse(printed))).toBe(printed);
  return printed;
}

describe('printing layers called with named tensors', () => {
  it('writes the call back: tensors by position, changed keywords by name', () => {
    const printed = expectRoundTrip(`import keras
from keras import layers

inputs = keras.Input(shape=(8, 16))
x = layers.TestAttention(num_heads=2, key_dim=8)(inputs, inputs, use_causal_mask=True)
outputs = layers.Dense(4)(x)
model = keras.Model(inputs, outputs)
`);
    expect(printed).toBe(`import keras
from keras import layers

inputs = keras.Input(shape=(8, 16))
x = layers.TestAttention(2, 8)(inputs, inputs, use_causal_mask=True)
outputs = layers.Dense(4)(x)
model = keras.Model(inputs, outputs)
`);
  });

  it('writes tensors after a skipped one by name, and leaves default keywords out', () => {
    const printed = expectRoundTrip(`import keras
from keras import layers

inputs = keras.Input(shape=(8, 16))
mask = keras.Input(shape=(8, 8))
h = layers.Dense(16)(inputs)
att = layers.TestAttention(2, 8, dropout=0.1)
outputs = att(attention_mask=mask, value=inputs, query=h, use_causal_mask=False)
model = keras.Model([inputs, mask], outputs)
`);
    expect(printed).toContain('x = layers.Dense(16)(input_layer)\noutputs = layers.TestAttention(\n    2,\n    8,\n    dropout=0.1,\n)(x, input_layer, attention_mask=input_layer_1)\n');
  });
});

describe('printing a + b', () => {
  it('keeps the operator, residual connections included', () => {
    const printed = expectRoundTrip(`import keras
from keras import layers

inputs = keras.Input(shape=(8, 16))
x = inputs + layers.TestAttention(2, 8)(inputs, inputs)
h = layers.Dense(16)(x)
x = x + h
outputs = layers.Dense(4)(x)
model = keras.Model(inputs, outputs)
`);
    expect(printed).toBe(`import keras
from keras import layers

inputs = keras.Input(shape=(8, 16))
x = layers.TestAttention(2, 8)(inputs, inputs)
add = inputs + x
x = layers.Dense(16)(add)
x = add + x
outputs = layers.Dense(4)(x)
model = keras.Model(inputs, outputs)
`);
  });

  it('writes layers.Add()([a, b]) as it was', () => {
    const printed = expectRoundTrip(`import keras
from keras import layers

inputs = keras.Input(shape=(16,))
h = layers.Dense(16)(inputs)
outputs = layers.Add()([inputs, h])
model = keras.Model(inputs, outputs)
`);
    expect(printed).toContain('x = layers.Dense(16)(inputs)\noutputs = layers.Add()([inputs, x])\n');
  });
});

describe('printing KerasHub blocks and layers', () => {
  const GPT = `import keras
import keras_hub
from keras import layers

d_model = 16
inputs = keras.Input(shape=(8,), dtype="int32")
x = layers.Embedding(10, d_model)(inputs)
x = x + keras_hub.layers.TestPositionEmbedding(8)(x)
for i in range(2):
    x = keras_hub.layers.TestDecoder(intermediate_dim=2 * d_model, num_heads=4)(x)
x = keras_hub.layers.TestEncoder(32, 4, activation="gelu", name="encoder")(x)
x = keras_hub.layers.TestDecoder(32, 2)(x, use_causal_mask=False)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
`;

  it('writes each block as one call (changed arguments only), KerasHub layers by name, and imports keras_hub', () => {
    const printed = expectRoundTrip(GPT);
    expect(printed).toBe(`import keras
import keras_hub
from keras import layers

inputs = keras.Input(shape=(8,), dtype="int32")
embedding = layers.Embedding(10, 16)(inputs)
x = keras_hub.layers.TestPositionEmbedding(sequence_length=8)(embedding)
x = embedding + x
x = keras_hub.layers.TestDecoder(intermediate_dim=32, num_heads=4)(x)
x = keras_hub.layers.TestDecoder(intermediate_dim=32, num_heads=4)(x)
x = keras_hub.layers.TestEncoder(
    intermediate_dim=32,
    num_heads=4,
    activation="gelu",
    name="encoder",
)(x)
x = keras_hub.layers.TestDecoder(
    intermediate_dim=32,
    num_heads=2,
)(x, use_causal_mask=False)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)
`);
  });

  it('leaves import keras_hub out when nothing needs it', () => {
    expect(printKeras(parse('import keras\nimport keras_hub\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3)])\n'))).not.toContain('keras_hub');
  });

  it('imports keras_hub in the runnable script', () => {
    const spec = parse(GPT.replace('model = keras.Model(inputs, outputs)', 'model = keras.Model(inputs, outputs)\nmodel.compile(optimizer="adam", loss="sparse_categorical_crossentropy")'));
    const script = printKerasScript(spec, { name: 'reverse' });
    expect(script).toContain('\nimport keras\nimport keras_hub\nfrom keras import layers\n');
    expect(script).toContain('pip install numpy keras keras-hub tensorflow');
  });
});
