/**
 * Editor help for the attention side of the language (issue 13): completion, hover and signature help for the call
 * of a layer that takes named tensors (`att(query, value, use_causal_mask=...)`), for keras_hub and its layers and
 * blocks, and for block arguments. Runs on the test stand-ins of `fake-layers.ts`.
 */
import { describe, expect, it, vi } from 'vitest';
import { completions, hover, signatureHelp } from './language';

vi.mock('$lib/layers', async (importOriginal) => (await import('./fake-layers')).withFakeLayers(await importOriginal()));

function at(textWithCursor: string): [string, number] {
  const offset = textWithCursor.indexOf('|');
  if (offset < 0) throw new Error('no cursor');
  return [textWithCursor.slice(0, offset) + textWithCursor.slice(offset + 1), offset];
}

const labels = (t: string) => completions(...at(t)).map((i) => i.label);
const HUB = 'import keras\nimport keras_hub\nfrom keras import layers\ninputs = keras.Input(shape=(8, 16))\n';

describe('keras_hub in the editor', () => {
  it('lists the KerasHub layers and blocks after keras_hub.layers., and only Keras\' after layers.', () => {
    const items = completions(...at(`${HUB}x = keras_hub.layers.|`));
    expect(items.map((i) => i.label)).toEqual(expect.arrayContaining(['TestEncoder', 'TestDecoder', 'TestPositionEmbedding']));
    expect(items.map((i) => i.label)).not.toContain('Dense');
    const enc = items.find((i) => i.label === 'TestEncoder')!;
    expect(enc.kind).toBe('layer');
    expect(enc.detail).toBe('keras_hub.layers.TestEncoder(intermediate_dim, num_heads, ...)');
    expect(enc.insertText).toBe('TestEncoder(${1:intermediate_dim}, ${2:num_heads})');
    expect(enc.documentation).toContain('keras_hub.layers.TestEncoder(intermediate_dim, num_heads, dropout=0, activation="relu", name=None)');
    const keras = labels(`${HUB}x = layers.|`);
    expect(keras).toContain('Dense');
    expect(keras).not.toContain('TestEncoder');
    expect(labels(`${HUB}x = keras_hub.|`)).toEqual(['layers']);
  });

  it('completes imports of keras_hub', () => {
    expect(labels('import |')).toEqual(['keras', 'keras_hub']);
    expect(labels('from keras_hub import |')).toEqual(['layers']);
    expect(labels('from keras_hub.layers import |')).toEqual(expect.arrayContaining(['TestEncoder', 'TestPositionEmbedding']));
    expect(labels(`import keras\nfrom keras_hub import layers as hub_layers\nx = hub_layers.|`)).toContain('TestDecoder');
  });

  it('hovers a block and its arguments', () => {
    const h = hover(...at(`${HUB}x = keras_hub.layers.TestEnc|oder(32, 4)(inputs)`))!;
    expect(h.contents).toContain('keras_hub.layers.TestEncoder(intermediate_dim, num_heads, dropout=0');
    expect(h.contents).toContain('A stand-in for keras_hub.layers.TransformerEncoder');
    const arg = hover(...at(`${HUB}x = keras_hub.layers.TestEncoder(32, 4, activ|ation="gelu")(inputs)`))!;
    expect(arg.contents).toContain('`keras_hub.layers.TestEncoder(activation=...)`');
    expect(arg.contents).toContain('Activation of the feed-forward layer.');
    expect(hover(...at('from keras_hub.layers import TestDec|oder\n'))!.contents).toContain('A stand-in for keras_hub.layers.TransformerDecoder');
  });

  it('completes block arguments and their values', () => {
    expect(labels(`${HUB}x = keras_hub.layers.TestEncoder(32, 4, |`)).toEqual(['dropout=', 'activation=', 'name=']);
    expect(labels(`${HUB}x = keras_hub.layers.TestEncoder(32, 4, activation="|")`)).toEqual(['relu', 'gelu']);
  });
});

describe('the call of a layer with named tensors', () => {
  it('offers the call\'s tensors and keywords after att(, leaving out those given', () => {
    expect(labels(`${HUB}att = layers.TestAttention(2, 8)\nx = att(|`)).toEqual(['query=', 'value=', 'key=', 'attention_mask=', 'use_causal_mask=']);
    expect(labels(`${HUB}att = layers.TestAttention(2, 8)\nx = att(inputs, inputs, |`)).toEqual(['key=', 'attention_mask=', 'use_causal_mask=']);
    expect(labels(`${HUB}x = layers.TestAttention(2, 8)(inputs, inputs, use_|)`)).toEqual(['key=', 'attention_mask=', 'use_causal_mask=']);
    // In a loop body too.
    expect(labels(`${HUB}x = inputs\nfor i in range(2):\n    att = layers.TestAttention(2, 8)\n    x = att(x, x, |)`)).toContain('use_causal_mask=');
  });

  it('offers True and False for use_causal_mask=', () => {
    expect(labels(`${HUB}x = layers.TestAttention(2, 8)(inputs, inputs, use_causal_mask=|)`)).toEqual(['True', 'False']);
  });

  it('hovers a call keyword and the layer variable', () => {
    const h = hover(...at(`${HUB}att = layers.TestAttention(2, 8)\nx = att(inputs, inputs, use_cau|sal_mask=True)`))!;
    expect(h.contents).toContain('`keras.layers.TestAttention(...)(use_causal_mask=...)`');
    expect(h.contents).toContain('Whether each position attends only to itself and earlier ones.');
    const q = hover(...at(`${HUB}x = layers.TestAttention(2, 8)(que|ry=inputs, value=inputs)`))!;
    expect(q.contents).toContain('**query** — *tensor, required*');
    const v = hover(...at(`${HUB}att = layers.TestAttention(2, 8)\nx = at|t(inputs, inputs)`))!;
    expect(v.contents).toContain('keras.layers.TestAttention(...)(query, value, key=None, attention_mask=None, use_causal_mask=False)');
  });

  it('shows the call\'s signature with the argument being written', () => {
    const s = signatureHelp(...at(`${HUB}att = layers.TestAttention(2, 8)\nx = att(inputs, |`))!;
    expect(s.label).toBe('TestAttention(...)(query, value, key=None, attention_mask=None, use_causal_mask=False)');
    expect(s.parameters[s.activeParameter].label).toBe('value');
    const k = signatureHelp(...at(`${HUB}x = layers.TestAttention(2, 8)(inputs, inputs, use_causal_mask=|`))!;
    expect(k.parameters[k.activeParameter].label).toBe('use_causal_mask=False');
    // The constructor's own help is unchanged.
    expect(signatureHelp(...at(`${HUB}x = layers.TestAttention(|`))!.label).toBe('TestAttention(num_heads, key_dim, dropout=0, name=None)');
  });

  it('offers the call keywords of a block with a call', () => {
    expect(labels(`${HUB}x = keras_hub.layers.TestDecoder(32, 2)(inputs, |)`)).toEqual(['use_causal_mask=']);
    expect(signatureHelp(...at(`${HUB}x = keras_hub.layers.TestDecoder(32, 2)(|`))!.label).toBe('TestDecoder(...)(decoder_sequence, use_causal_mask=True)');
  });

  it('offers nothing for the call of a plain layer', () => {
    expect(labels(`${HUB}d = layers.Dense(3)\nx = d(|`)).toEqual([]);
  });
});
