/**
 * Test-only stand-ins for the attention layers and KerasHub blocks (issue 13), so the Keras language side (named-tensor
 * calls, `a + b`, `keras_hub`, block expansion, printing, editor help) is tested on its own, whatever the real
 * MultiHeadAttention / TransformerEncoder files do. Tests add them to the registry with `vi.mock('$lib/layers', ...)`
 * (see `withFakeLayers`); nothing in the app imports this file. Shapes and parameter counts are simple and
 * deterministic, not Keras' numbers.
 */
import type { Shape } from '$lib/spec/types';
import { LayerError, type BlockDef, type LayerDef } from '$lib/layers/types';

const noLowering = (kind: string) => (): never => {
  throw new Error(`${kind} is a test stand-in: it has no lowering`);
};

const last = (s: Shape) => s[s.length - 1];

/** Like MultiHeadAttention: `att(query, value, key=None, attention_mask=None, use_causal_mask=False)`. */
export const testAttention: LayerDef = {
  kind: 'TestAttention',
  doc: 'A stand-in for MultiHeadAttention (tests only).',
  args: [
    { name: 'num_heads', type: 'int', min: 1, doc: 'Number of attention heads.' },
    { name: 'key_dim', type: 'int', min: 1, doc: 'Size of each head for query and key.' },
    { name: 'dropout', type: 'float', default: 0, min: 0, max: 1, doc: 'Dropout on the attention weights.' }
  ],
  arity: 'many',
  call: {
    tensors: [
      { name: 'query', required: true, doc: 'Query tensor of shape (T, dim).' },
      { name: 'value', required: true, doc: 'Value tensor of shape (S, dim).' },
      { name: 'key', required: false, doc: 'Key tensor of shape (S, dim); the value when not given.' },
      { name: 'attention_mask', required: false, doc: 'Boolean mask of shape (T, S).' }
    ],
    args: [{ name: 'use_causal_mask', type: 'bool', default: false, doc: 'Whether each position attends only to itself and earlier ones.' }]
  },
  outputShape(inputs, _args, call) {
    if (!call) throw new LayerError('TestAttention needs its call');
    const q = inputs[call.inputNames.indexOf('query')];
    const v = inputs[call.inputNames.indexOf('value')];
    if (q.length !== 2 || v.length !== 2) throw new LayerError(`TestAttention needs (T, dim) inputs but gets ${JSON.stringify(q)}`);
    return q;
  },
  params(inputs, args) {
    const d = last(inputs[0]);
    const hk = (args.num_heads as number) * (args.key_dim as number);
    return { trainable: 4 * d * hk + 3 * hk + d, nonTrainable: 0 };
  },
  flops: (inputs, args, call) => (call?.args.use_causal_mask ? 1 : 2) * last(inputs[0]) * (args.num_heads as number),
  toTfjs: noLowering('TestAttention'),
  toOnnx: noLowering('TestAttention')
};

/** Like KerasHub's PositionEmbedding: a keras_hub.layers LayerDef that refuses sequences longer than it. */
export const testPositionEmbedding: LayerDef = {
  kind: 'TestPositionEmbedding',
  module: 'keras_hub.layers',
  doc: 'A stand-in for keras_hub.layers.PositionEmbedding (tests only).',
  args: [
    { name: 'sequence_length', type: 'int', min: 1, doc: 'The longest sequence it embeds.' },
    { name: 'initializer', type: 'initializer', default: 'glorot_uniform', values: ['glorot_uniform', 'zeros'], doc: 'Initializer of the embeddings.' }
  ],
  arity: 1,
  outputShape(inputs, args) {
    const [t] = inputs[0];
    if (t > (args.sequence_length as number)) throw new LayerError(`TestPositionEmbedding has sequence_length=${args.sequence_length} but the input has ${t} steps`);
    return inputs[0];
  },
  params: (inputs, args) => ({ trainable: (args.sequence_length as number) * last(inputs[0]), nonTrainable: 0 }),
  flops: (inputs) => inputs[0].reduce((a, b) => a * b, 1),
  toTfjs: noLowering('TestPositionEmbedding'),
  toOnnx: noLowering('TestPositionEmbedding')
};

/** Like TransformerEncoder: attention + residual, a two-layer feed-forward + residual. */
export const testEncoder: BlockDef = {
  kind: 'TestEncoder',
  module: 'keras_hub.layers',
  doc: 'A stand-in for keras_hub.layers.TransformerEncoder (tests only).',
  args: [
    { name: 'intermediate_dim', type: 'int', min: 1, doc: 'Width of the feed-forward layer.' },
    { name: 'num_heads', type: 'int', min: 1, doc: 'Number of attention heads.' },
    { name: 'dropout', type: 'float', default: 0, min: 0, max: 1, doc: 'Dropout rate.' },
    { name: 'activation', type: 'activation', default: 'relu', values: ['relu', 'gelu'], doc: 'Activation of the feed-forward layer.' }
  ],
  validate(args) {
    if ((args.intermediate_dim as number) > 4096) throw new LayerError('TestEncoder intermediate_dim must be at most 4096');
  },
  compose(b, [x], args) {
    const d = last(b.shape(x));
    const heads = args.num_heads as number;
    if (d % heads !== 0) throw new LayerError(`the input width ${d} is not divisible by num_heads=${heads}`, `Use a width that is a multiple of ${heads}`);
    const att = b.layer('TestAttention', 'self_attention', { num_heads: heads, key_dim: d / heads }, [x, x], { inputNames: ['query', 'value'] });
    const res = b.add('residual', x, att);
    const h = b.layer('Dense', 'ffn_1', { units: args.intermediate_dim, activation: args.activation }, [res]);
    const o = b.layer('Dense', 'ffn_2', { units: d }, [h]);
    return b.add('residual_1', res, o);
  }
};

/** Like TransformerDecoder (decoder-only): a block with a call (`use_causal_mask=True` by default). */
export const testDecoder: BlockDef = {
  kind: 'TestDecoder',
  module: 'keras_hub.layers',
  doc: 'A stand-in for keras_hub.layers.TransformerDecoder (tests only).',
  args: [
    { name: 'intermediate_dim', type: 'int', min: 1, doc: 'Width of the feed-forward layer.' },
    { name: 'num_heads', type: 'int', min: 1, doc: 'Number of attention heads.' }
  ],
  call: {
    tensors: [{ name: 'decoder_sequence', required: true, doc: 'The sequence to decode, (T, dim).' }],
    args: [{ name: 'use_causal_mask', type: 'bool', default: true, doc: 'Whether to apply a causal mask.' }]
  },
  compose(b, [x], args, callArgs) {
    const d = last(b.shape(x));
    const att = b.layer('TestAttention', 'self_attention', { num_heads: args.num_heads, key_dim: 8 }, [x, x], { inputNames: ['query', 'value'], args: { use_causal_mask: callArgs.use_causal_mask } });
    const res = b.add('residual', x, att);
    const h = b.layer('Dense', 'ffn', { units: args.intermediate_dim }, [res]);
    return b.layer('Dense', 'ffn_out', { units: d }, [h]);
  }
};

export const FAKE_LAYERS: readonly LayerDef[] = [testAttention, testPositionEmbedding];
export const FAKE_BLOCKS: readonly BlockDef[] = [testEncoder, testDecoder];

type Registry = typeof import('$lib/layers');

/**
 * The layer registry module with the stand-ins added, for a test file's
 * `vi.mock('$lib/layers', async (real) => (await import('./fake-layers')).withFakeLayers(await real()))`.
 */
export function withFakeLayers(real: Registry): Registry {
  const LAYERS = [...real.LAYERS, ...FAKE_LAYERS];
  const BLOCKS = [...real.BLOCKS, ...FAKE_BLOCKS];
  return {
    ...real,
    LAYERS,
    BLOCKS,
    LAYER_KINDS: LAYERS.map((l) => l.kind),
    getLayer: (kind: string) => FAKE_LAYERS.find((l) => l.kind === kind) ?? real.getLayer(kind),
    getBlock: (kind: string) => FAKE_BLOCKS.find((b) => b.kind === kind) ?? real.getBlock(kind)
  };
}
