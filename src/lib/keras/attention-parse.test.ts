/**
 * The Keras language side of attention (issue 13): layers called with named tensors (`att(q, v, use_causal_mask=True)`),
 * `a + b` on tensors, `import keras_hub`, and KerasHub blocks expanded into registry layers. Runs on test stand-ins
 * (`fake-layers.ts`: TestAttention, TestPositionEmbedding, TestEncoder, TestDecoder) added to the registry here.
 */
import { describe, expect, it, vi } from 'vitest';
import { inferShapes } from '$lib/spec/shape';
import type { Diagnostic, ModelSpec } from '$lib/spec/types';
import { parseProgram } from './parse';
import { formatSummary } from './summary';

vi.mock('$lib/layers', async (importOriginal) => (await import('./fake-layers')).withFakeLayers(await importOriginal()));

const H = 'import keras\nfrom keras import layers\n';
const HUB = 'import keras\nimport keras_hub\nfrom keras import layers\n';

function spec(source: string): ModelSpec {
  const r = parseProgram(source);
  if (!r.spec) throw new Error(r.diagnostics.map((d) => `${d.span.line}:${d.span.col} ${d.message}`).join('\n'));
  return r.spec;
}

/** The errors as `line:col message`. */
function errors(source: string): string[] {
  return parseProgram(source)
    .diagnostics.filter((d: Diagnostic) => d.severity === 'error')
    .map((d) => `${d.span.line}:${d.span.col} ${d.message}`);
}

function firstError(source: string): Diagnostic {
  const d = parseProgram(source).diagnostics.find((x) => x.severity === 'error');
  if (!d) throw new Error('no error');
  return d;
}

const model = (body: string, out = 'x') => `${H}inputs = keras.Input(shape=(8, 16))\n${body}\nmodel = keras.Model(inputs, ${out})\n`;

describe('layers called with named tensors', () => {
  it('binds att(q, v) positionally and fills the call keywords', () => {
    const s = spec(model('att = layers.TestAttention(4, 4)\nx = att(inputs, inputs)'));
    const node = s.layers[0];
    expect(node.kind).toBe('TestAttention');
    expect(node.inputs).toEqual(['input_layer', 'input_layer']);
    expect(node.call).toEqual({ inputNames: ['query', 'value'], args: { use_causal_mask: false } });
  });

  it('binds keywords, in the call\'s own order', () => {
    const src = `${H}inputs = keras.Input(shape=(8, 16))\nm = keras.Input(shape=(8, 8))\nk = layers.Dense(16)(inputs)\nx = layers.TestAttention(num_heads=2, key_dim=8)(value=inputs, query=k, attention_mask=m, key=inputs, use_causal_mask=True)\nmodel = keras.Model([inputs, m], x)\n`;
    const node = spec(src).layers[1];
    expect(node.inputs).toEqual(['dense', 'input_layer', 'input_layer', 'input_layer_1']);
    expect(node.call).toEqual({ inputNames: ['query', 'value', 'key', 'attention_mask'], args: { use_causal_mask: true } });
  });

  it('binds att(q, v, k) and leaves out an optional tensor given as None', () => {
    const a = spec(model('x = layers.TestAttention(2, 8)(inputs, inputs, inputs)')).layers[0];
    expect(a.call?.inputNames).toEqual(['query', 'value', 'key']);
    const b = spec(model('x = layers.TestAttention(2, 8)(inputs, inputs, key=None)')).layers[0];
    expect(b.call?.inputNames).toEqual(['query', 'value']);
  });

  it('passes the call to shape inference (outputShape, params, flops)', () => {
    const s = spec(model('x = layers.TestAttention(2, 8)(inputs, inputs, use_causal_mask=True)'));
    const rows = inferShapes(s).summary!.rows;
    // TestAttention's flops depend on the call's use_causal_mask: 1 * 16 * 2.
    expect(rows[1].flops).toBe(32);
    expect(rows[1].outputShape).toEqual([8, 16]);
  });

  it('says "did you mean" at a misspelled call keyword', () => {
    const d = firstError(model('x = layers.TestAttention(2, 8)(inputs, inputs, use_casual_mask=True)'));
    expect(d.message).toBe("TestAttention.call has no argument 'use_casual_mask' — did you mean 'use_causal_mask'?");
    expect([d.span.line, d.span.col]).toEqual([4, 48]);
    expect(d.hint).toContain('query, value, key, attention_mask, use_causal_mask');
  });

  it('locates a missing required tensor at the call (the whole call expression)', () => {
    expect(errors(model('x = layers.TestAttention(2, 8)(inputs)'))).toEqual(["4:5 TestAttention.call is missing the required argument 'value'"]);
    expect(errors(model('x = layers.TestAttention(2, 8)(value=inputs)'))).toEqual(["4:5 TestAttention.call is missing the required argument 'query'"]);
  });

  it('locates a value that is not a tensor', () => {
    const d = firstError(model('x = layers.TestAttention(2, 8)(inputs, 3)'));
    expect(d.message).toBe("TestAttention.call argument 'value' must be a tensor (from keras.Input(...) or another layer), got 3");
    expect([d.span.line, d.span.col]).toEqual([4, 40]);
    expect(errors(model('x = layers.TestAttention(2, 8)(inputs, [inputs, inputs])'))).toEqual([
      "4:40 TestAttention.call argument 'value' must be one tensor, not a list"
    ]);
    expect(errors(model('x = layers.TestAttention(2, 8)(inputs, None)'))).toEqual([
      "4:40 TestAttention.call argument 'value' must be a tensor (from keras.Input(...) or another layer), got None"
    ]);
  });

  it('checks the call keywords\' values, at the value', () => {
    expect(errors(model('x = layers.TestAttention(2, 8)(inputs, inputs, use_causal_mask=1)'))).toEqual([
      "4:64 TestAttention.call argument 'use_causal_mask' must be True or False, got 1"
    ]);
  });

  it('refuses a keyword passed by position and training=', () => {
    expect(errors(model('x = layers.TestAttention(2, 8)(inputs, inputs, inputs, inputs, True)'))[0]).toBe('4:64 TestAttention.call takes at most 4 positional arguments, got 5');
    expect(errors(model('x = layers.TestAttention(2, 8)(inputs, inputs, training=True)'))[0]).toBe('4:48 TestAttention.call(training=...) is not supported here');
  });

  it('refuses calling the same layer twice, and a call layer in a Sequential model', () => {
    expect(errors(model('att = layers.TestAttention(2, 8)\nx = att(inputs, inputs)\nx = att(x, x)'))).toEqual([
      '6:5 Calling the same layer twice (shared layers) is not supported yet'
    ]);
    const seq = `${H}model = keras.Sequential([keras.Input(shape=(8, 16)), layers.TestAttention(2, 8)])\n`;
    const d = firstError(seq);
    expect(d.message).toBe('TestAttention is called on named tensors (query, value), so it cannot be used in a Sequential model');
    expect([d.span.line, d.span.col]).toEqual([3, 55]);
  });

  it('keeps the messages of layers without call', () => {
    expect(errors(model('x = layers.Dense(4)(inputs, inputs)'))).toEqual(['4:5 A layer is called on one input: Dense(...)(x), got 2 arguments']);
    expect(errors(model('x = layers.Dense(4)(inputs, training=True)'))).toEqual(['4:29 Calling a layer with keyword arguments (training=...) is not supported']);
  });
});

describe('a + b on tensors', () => {
  it('is an Add node written with the operator, named like Keras names it', () => {
    const s = spec(model('h = layers.Dense(16)(inputs)\nx = inputs + h\nx = x + layers.Dense(16)(x)'));
    const adds = s.layers.filter((n) => n.kind === 'Add');
    expect(adds.map((n) => [n.id, n.inputs, n.operator, n.args])).toEqual([
      ['add', ['input_layer', 'dense'], '+', {}],
      ['add_1', ['add', 'dense_1'], '+', {}]
    ]);
    expect([adds[0].span.line, adds[0].span.col, adds[0].span.endCol]).toEqual([5, 5, 15]);
  });

  it('chains a + b + c as nested adds and takes +=', () => {
    const s = spec(model('a = layers.Dense(16)(inputs)\nb = layers.Dense(16)(inputs)\nx = inputs + a + b\nx += a'));
    expect(s.layers.filter((n) => n.operator).map((n) => n.inputs)).toEqual([
      ['input_layer', 'dense'],
      ['add', 'dense_1'],
      ['add_1', 'dense']
    ]);
  });

  it('shares the name counter with layers.Add, as Keras does', () => {
    const s = spec(model('h = layers.Dense(16)(inputs)\ny = layers.Add()([inputs, h])\nx = y + h'));
    expect(s.layers.filter((n) => n.kind === 'Add').map((n) => n.id)).toEqual(['add', 'add_1']);
  });

  it('reports a shape mismatch at the a + b', () => {
    const d = firstError(model('h = layers.Dense(8)(inputs)\nx = inputs + h'));
    expect(d.message).toBe('Add needs inputs of the same shape but gets (8, 16) and (8, 8)');
    expect([d.span.line, d.span.col]).toEqual([5, 5]);
  });

  it('refuses a tensor plus a number, at the number', () => {
    const d = firstError(model('x = inputs + 1'));
    expect(d.message).toBe('Cannot add 1 to a tensor: + adds two tensors here');
    expect([d.span.line, d.span.col]).toEqual([4, 14]);
    expect(d.hint).toContain('a + b adds two tensors of the same shape');
    expect(errors(model('x = 2.5 + inputs'))).toEqual(['4:5 Cannot add 2.5 to a tensor: + adds two tensors here']);
    expect(errors(model('x = inputs + layers.Dense(16)'))).toEqual(['4:14 Cannot add a Dense layer to a tensor: + adds two tensors here']);
  });

  it('refuses other operators on tensors', () => {
    expect(errors(model('x = inputs * inputs'))).toEqual(["4:5 The '*' operator is not supported on tensors here"]);
    expect(errors(model('x = inputs - 1'))).toEqual(["4:5 The '-' operator is not supported on tensors here"]);
  });

  it('keeps number arithmetic', () => {
    const s = spec(`${H}d_model = 16\nn_heads = 4\ninputs = keras.Input(shape=(8, d_model))\nx = layers.TestAttention(n_heads, d_model // n_heads)(inputs, inputs)\nmodel = keras.Model(inputs, x)\n`);
    expect(s.layers[0].args).toEqual({ num_heads: 4, key_dim: 4, dropout: 0 });
  });
});

describe('keras_hub', () => {
  const hubModel = (body: string, head = HUB) => `${head}inputs = keras.Input(shape=(8, 16))\n${body}\nmodel = keras.Model(inputs, x)\n`;

  it('holds the KerasHub layers and blocks; keras.layers does not', () => {
    const s = spec(hubModel('x = keras_hub.layers.TestPositionEmbedding(sequence_length=8)(inputs)'));
    expect(s.layers[0]).toMatchObject({ id: 'test_position_embedding', kind: 'TestPositionEmbedding', args: { sequence_length: 8, initializer: 'glorot_uniform' } });
    const d = firstError(hubModel('x = layers.TestPositionEmbedding(8)(inputs)'));
    expect(d.message).toBe('TestPositionEmbedding is not in keras.layers: write keras_hub.layers.TestPositionEmbedding');
    expect(d.hint).toBe('Add import keras_hub at the top');
    expect([d.span.line, d.span.col]).toEqual([5, 12]);
    expect(errors(hubModel('x = keras_hub.layers.Dense(8)(inputs)'))).toEqual(['5:22 Dense is not in keras_hub.layers: write layers.Dense']);
  });

  it('imports as from keras_hub import layers as hub_layers, and from keras_hub.layers import ...', () => {
    const a = spec(hubModel('x = hub_layers.TestEncoder(32, 4)(inputs)', `${H}from keras_hub import layers as hub_layers\n`));
    expect(a.layers.at(-1)!.block?.kind).toBe('TestEncoder');
    const b = spec(hubModel('x = TestEncoder(intermediate_dim=32, num_heads=4)(inputs)', `${H}from keras_hub.layers import TestEncoder\n`));
    expect(b.layers.at(-1)!.block?.kind).toBe('TestEncoder');
  });

  it('says what is not available, and where a name lives', () => {
    expect(errors(`${HUB}m = keras_hub.models.GPT2Backbone.from_preset("gpt2_base_en")\n`)[0]).toBe('4:15 keras_hub.models is not available here');
    expect(errors(`${HUB}t = keras_hub.tokenizers.BytePairTokenizer()\n`)[0]).toBe('4:15 keras_hub.tokenizers is not available here');
    expect(errors(hubModel('x = keras_hub.layers.TestEncodr(32, 4)(inputs)'))[0]).toBe("5:22 Unknown layer TestEncodr — did you mean TestEncoder?");
    const d = firstError(hubModel('x = keras_hub.layers.TestEncoder(32, 4)(inputs)', H));
    expect(d.message).toBe("Unknown name 'keras_hub'");
    expect(d.hint).toBe('Add import keras_hub at the top');
    expect(firstError(hubModel('x = TestEncoder(32, 4)(inputs)')).hint).toBe('Add import keras_hub at the top and write keras_hub.layers.TestEncoder');
  });

  it('answers keras_nlp with its new name', () => {
    const d = firstError(`${H}import keras_nlp\n`);
    expect(d.message).toBe('keras_nlp is the old name of KerasHub: import keras_hub instead');
    expect([d.span.line, d.span.col]).toEqual([3, 8]);
    expect(firstError(`${H}from keras_nlp.layers import TransformerEncoder\n`).message).toBe('keras_nlp is the old name of KerasHub: import keras_hub instead');
  });
});

describe('blocks', () => {
  const block = (call: string, width = 16) => `${HUB}inputs = keras.Input(shape=(8, ${width}))\nx = ${call}\nmodel = keras.Model(inputs, x)\n`;

  it('expands into registry layers named after the block, all carrying one BlockRef', () => {
    const s = spec(block('keras_hub.layers.TestEncoder(32, 4)(inputs)'));
    expect(s.layers.map((n) => [n.id, n.kind, n.inputs])).toEqual([
      ['test_encoder_self_attention', 'TestAttention', ['input_layer', 'input_layer']],
      ['test_encoder_residual', 'Add', ['input_layer', 'test_encoder_self_attention']],
      ['test_encoder_ffn_1', 'Dense', ['test_encoder_residual']],
      ['test_encoder_ffn_2', 'Dense', ['test_encoder_ffn_1']],
      ['test_encoder_residual_1', 'Add', ['test_encoder_residual', 'test_encoder_ffn_2']]
    ]);
    const ref = s.layers[0].block!;
    expect(ref).toMatchObject({ id: 'test_encoder', kind: 'TestEncoder', args: { intermediate_dim: 32, num_heads: 4, dropout: 0, activation: 'relu' }, inputs: ['input_layer'] });
    expect([ref.span.line, ref.span.col]).toEqual([5, 5]);
    for (const n of s.layers) {
      expect(n.block).toEqual(ref);
      expect(n.span).toEqual(ref.span);
    }
    // Defaults filled in and the call of a call layer recorded.
    expect(s.layers[0].call).toEqual({ inputNames: ['query', 'value'], args: { use_causal_mask: false } });
    expect(s.layers[2].args).toMatchObject({ units: 32, activation: 'relu', use_bias: true });
    expect(s.outputs).toEqual(['test_encoder_residual_1']);
  });

  it('names blocks like Keras (test_encoder, test_encoder_1) and takes name=', () => {
    const s = spec(block('keras_hub.layers.TestEncoder(32, 4)(inputs)\nx = keras_hub.layers.TestEncoder(32, 4)(x)\nx = keras_hub.layers.TestEncoder(32, 4, name="last")(x)'));
    expect([...new Set(s.layers.map((n) => n.block!.id))]).toEqual(['test_encoder', 'test_encoder_1', 'last']);
    expect(s.layers.at(-1)!.id).toBe('last_residual_1');
  });

  it('reports bad constructor arguments at the argument, as for a layer', () => {
    expect(errors(block('keras_hub.layers.TestEncoder(32, 0)(inputs)'))).toEqual(["5:38 TestEncoder argument 'num_heads' must be at least 1, got 0"]);
    expect(errors(block('keras_hub.layers.TestEncoder(num_heads=4)(inputs)'))).toEqual(["5:5 TestEncoder is missing the required argument 'intermediate_dim'"]);
    expect(errors(block('keras_hub.layers.TestEncoder(32, 4, activaton="gelu")(inputs)'))).toEqual([
      "5:41 TestEncoder has no argument 'activaton' — did you mean 'activation'?"
    ]);
    expect(errors(block('keras_hub.layers.TestEncoder(5000, 4)(inputs)'))).toEqual(['5:5 TestEncoder intermediate_dim must be at most 4096']);
  });

  it('reports what the block refuses at its call, naming the block', () => {
    const d = firstError(block('keras_hub.layers.TestEncoder(32, 4)(inputs)', 18));
    expect(d.message).toBe("TestEncoder 'test_encoder': the input width 18 is not divisible by num_heads=4");
    expect([d.span.line, d.span.col]).toEqual([5, 5]);
    expect(d.hint).toBe('Use a width that is a multiple of 4');
    // A shape an inner layer refuses.
    const e = firstError(`${HUB}inputs = keras.Input(shape=(16,))\nx = keras_hub.layers.TestEncoder(32, 4)(inputs)\nmodel = keras.Model(inputs, x)\n`);
    expect(e.message).toBe("TestEncoder 'test_encoder': TestAttention needs (T, dim) inputs but gets [16]");
    expect([e.span.line, e.span.col, e.span.endCol]).toEqual([5, 5, 48]);
  });

  it('reports a shape error before the block at its own layer', () => {
    expect(errors(`${HUB}inputs = keras.Input(shape=(9, 16))\nx = keras_hub.layers.TestPositionEmbedding(8)(inputs)\nx = keras_hub.layers.TestEncoder(32, 4)(x)\nmodel = keras.Model(inputs, x)\n`)).toEqual([
      '5:5 TestPositionEmbedding has sequence_length=8 but the input has 9 steps'
    ]);
  });

  it('calls like a layer: one tensor, no keywords, once', () => {
    expect(errors(block('keras_hub.layers.TestEncoder(32, 4)(inputs, inputs)'))).toEqual(['5:5 A layer is called on one input: TestEncoder(...)(x), got 2 arguments']);
    expect(errors(block('keras_hub.layers.TestEncoder(32, 4)(3)'))).toEqual(['5:41 Layers are called on tensors (from keras.Input(...) or another layer), got 3']);
    expect(errors(block('keras_hub.layers.TestEncoder(32, 4)\nx = e(inputs)\nx = e(x)').replace('x = keras_hub', 'e = keras_hub'))).toEqual([
      '7:5 Calling the same layer twice (shared layers) is not supported yet'
    ]);
  });

  it('binds the call of a block with call keywords', () => {
    const s = spec(block('keras_hub.layers.TestDecoder(32, 2)(inputs, use_causal_mask=False)'));
    expect(s.layers[0].block).toMatchObject({ kind: 'TestDecoder', callArgs: { use_causal_mask: false }, callInputNames: ['decoder_sequence'] });
    expect(s.layers[0].call).toEqual({ inputNames: ['query', 'value'], args: { use_causal_mask: false } });
    const d = firstError(block('keras_hub.layers.TestDecoder(32, 2)(inputs, use_casual_mask=False)'));
    expect(d.message).toBe("TestDecoder.call has no argument 'use_casual_mask' — did you mean 'use_causal_mask'?");
    expect([d.span.line, d.span.col]).toEqual([5, 49]);
  });

  it('refuses a block in a Sequential model, with the way to write it', () => {
    const d = firstError(`${HUB}model = keras.Sequential([keras.Input(shape=(8, 16)), keras_hub.layers.TestEncoder(32, 4)])\n`);
    expect(d.message).toBe('TestEncoder cannot be used in a Sequential model here');
    expect(d.hint).toContain('x = keras_hub.layers.TestEncoder(...)(x)');
  });

  it('groups the summary rows of a block', () => {
    const s = spec(block('keras_hub.layers.TestEncoder(32, 4)(inputs)'));
    const rows = inferShapes(s).summary!.rows;
    expect(rows[0].block).toBeUndefined();
    expect(rows.slice(1).map((r) => r.block)).toEqual(Array(5).fill({ id: 'test_encoder', kind: 'TestEncoder' }));
  });

  it('shows a block as one row in model.summary(), as Keras does', () => {
    const s = spec(block('keras_hub.layers.TestEncoder(32, 4)(inputs)\nx = layers.Dense(3)(x)'));
    const text = formatSummary(s, inferShapes(s).summary!);
    // TestAttention 1,088 + Dense 16→32 544 + Dense 32→16 528.
    expect(text).toContain('│ test_encoder (TestEncoder)      │ (None, 8, 16)          │         2,160 │');
    expect(text).toContain('│ dense (Dense)                   │ (None, 8, 3)           │            51 │');
    expect(text).not.toContain('test_encoder_ffn_1');
    expect(text).toContain('Total params: 2,211');
    // Not a chain once a + b joins two branches: Connected to names the block, not its inner layers.
    const r = spec(block('keras_hub.layers.TestEncoder(32, 4)(inputs)\nx = x + inputs'));
    const table = formatSummary(r, inferShapes(r).summary!);
    expect(table).toContain('│ test_encoder (TestEncoder)      │ (None, 8, 16)          │         2,160 │ input_layer[0][0]    │');
    expect(table).toContain('│ add (Add)                       │ (None, 8, 16)          │             0 │ test_encoder[0][0]   │\n│                                 │                        │               │ input_layer[0][0]    │');
  });

  it('builds blocks in a for loop with arithmetic on the sizes', () => {
    const src = `${HUB}d_model = 16\nn_heads = 4\nn_layers = 3\ninputs = keras.Input(shape=(8, d_model))\nx = inputs\nfor i in range(n_layers):\n    x = keras_hub.layers.TestDecoder(intermediate_dim=d_model * 2, num_heads=d_model // n_heads)(x)\nmodel = keras.Model(inputs, x)\n`;
    const s = spec(src);
    expect([...new Set(s.layers.map((n) => n.block!.id))]).toEqual(['test_decoder', 'test_decoder_1', 'test_decoder_2']);
    expect(s.layers[0].block!.args).toEqual({ intermediate_dim: 32, num_heads: 4 });
    expect(s.layers.length).toBe(12);
  });
});
