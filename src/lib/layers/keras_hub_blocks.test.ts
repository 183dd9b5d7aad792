/**
 * KerasHub's composite layers (TokenAndPositionEmbedding, TransformerEncoder, TransformerDecoder): their arguments
 * and defaults (KerasHub's signatures, written out here), and what `compose` builds, recorded by a fake BlockBuilder:
 * which registry layers with which arguments, the wiring and residuals, where the layer normalizations sit for
 * normalize_first False / True, the causal flag, and what the blocks refuse. The structure expected here is
 * KerasHub's `call` (keras_hub/src/layers/modeling/transformer_encoder.py, transformer_decoder.py,
 * token_and_position_embedding.py), written out step by step, not derived from the code under test. Last, the
 * refusals through the parser: located at the block's line.
 */
import { describe, expect, it } from 'vitest';
import { parseProgram } from '$lib/keras/parse';
import type { ArgValue, Shape } from '$lib/spec/types';
import { BLOCKS, getBlock } from './index';
import { LayerError, type BlockBuilder, type BlockDef, type BlockTensor } from './types';

interface Step {
  op: 'layer' | 'add';
  kind: string;
  part: string;
  args: Record<string, ArgValue>;
  inputs: BlockTensor[];
  call?: { inputNames: string[]; args?: Record<string, ArgValue> };
  out: BlockTensor;
}

/** Records the calls of a compose; computes shapes with its own rules (no registry layer involved). */
class FakeBuilder implements BlockBuilder {
  steps: Step[] = [];
  private shapes = new Map<BlockTensor, Shape>();
  constructor(
    private blockId: string,
    inputs: Record<string, Shape>
  ) {
    for (const [id, s] of Object.entries(inputs)) this.shapes.set(id, s);
  }
  private name(part: string): string {
    let id = `${this.blockId}_${part}`;
    for (let i = 1; this.shapes.has(id); i++) id = `${this.blockId}_${part}_${i}`;
    return id;
  }
  layer(kind: string, part: string, args: Record<string, ArgValue>, inputs: BlockTensor[], call?: { inputNames: string[]; args?: Record<string, ArgValue> }): BlockTensor {
    const inShapes = inputs.map((t) => this.shape(t));
    let out: Shape;
    switch (kind) {
      case 'Dense':
        out = [...inShapes[0].slice(0, -1), args.units as number];
        break;
      case 'Embedding':
        out = [...inShapes[0], args.output_dim as number];
        break;
      case 'LayerNormalization':
      case 'Dropout':
      case 'MultiHeadAttention': // output_shape unset: the query's shape
      case 'PositionEmbedding':
        out = inShapes[0];
        break;
      default:
        throw new Error(`unexpected layer ${kind}`);
    }
    const id = this.name(part);
    this.shapes.set(id, out);
    this.steps.push({ op: 'layer', kind, part, args, inputs, call, out: id });
    return id;
  }
  add(part: string, a: BlockTensor, b: BlockTensor): BlockTensor {
    expect(this.shape(a)).toEqual(this.shape(b));
    const id = this.name(part);
    this.shapes.set(id, this.shape(a));
    this.steps.push({ op: 'add', kind: 'Add', part, args: {}, inputs: [a, b], out: id });
    return id;
  }
  shape(t: BlockTensor): Shape {
    const s = this.shapes.get(t);
    if (!s) throw new Error(`unknown tensor ${t}`);
    return s;
  }
}

/** Fills the block's defaults, as the parser does. */
function withDefaults(def: BlockDef, args: Record<string, ArgValue>): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const a of def.args) out[a.name] = a.name in args ? args[a.name] : a.default!;
  return out;
}

function callDefaults(def: BlockDef, callArgs: Record<string, ArgValue>): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = {};
  for (const a of def.call?.args ?? []) out[a.name] = a.name in callArgs ? callArgs[a.name] : a.default!;
  return out;
}

function compose(kind: string, args: Record<string, ArgValue>, input: Shape, opts: { callArgs?: Record<string, ArgValue>; extra?: Record<string, Shape> } = {}) {
  const def = getBlock(kind)!;
  const id = kind === 'TransformerEncoder' ? 'transformer_encoder' : kind === 'TransformerDecoder' ? 'transformer_decoder' : 'token_and_position_embedding';
  const first = def.call?.tensors[0].name ?? 'inputs';
  const tensors: Record<string, Shape> = { x: input };
  const names = [first];
  for (const [name, s] of Object.entries(opts.extra ?? {})) {
    tensors[name] = s;
    names.push(name);
  }
  const b = new FakeBuilder(id, tensors);
  const full = withDefaults(def, args);
  def.validate?.(full);
  const out = def.compose(b, ['x', ...Object.keys(opts.extra ?? {})], full, callDefaults(def, opts.callArgs ?? {}), names);
  return { steps: b.steps, out, shape: b.shape(out) };
}

/** A step as `kind(part) <- inputs`, with tensors named by the part that made them (`x` for the input). */
function wiring(steps: Step[]): string[] {
  const partOf = new Map<string, string>([['x', 'x']]);
  for (const s of steps) partOf.set(s.out, s.part);
  return steps.map((s) => `${s.kind}(${s.part}) <- ${s.inputs.map((t) => partOf.get(t)).join(', ')}`);
}

describe('the KerasHub blocks are registered with KerasHub signatures', () => {
  it('lists the three blocks in BLOCKS, in keras_hub.layers', () => {
    expect(BLOCKS.map((b) => b.kind).sort()).toEqual(['TokenAndPositionEmbedding', 'TransformerDecoder', 'TransformerEncoder']);
    for (const b of BLOCKS) expect(b.module).toBe('keras_hub.layers');
  });

  // KerasHub's __init__ signatures (positional order and defaults), as in its source and docs.
  const TRANSFORMER = [
    ['intermediate_dim', undefined],
    ['num_heads', undefined],
    ['dropout', 0],
    ['activation', 'relu'],
    ['layer_norm_epsilon', 1e-5],
    ['kernel_initializer', 'glorot_uniform'],
    ['bias_initializer', 'zeros'],
    ['normalize_first', false]
  ];
  it.each([
    ['TransformerEncoder', TRANSFORMER],
    ['TransformerDecoder', TRANSFORMER],
    [
      'TokenAndPositionEmbedding',
      [
        ['vocabulary_size', undefined],
        ['sequence_length', undefined],
        ['embedding_dim', undefined],
        ['tie_weights', true],
        ['embeddings_initializer', 'uniform'],
        ['mask_zero', false]
      ]
    ]
  ])('%s: arguments, order and defaults', (kind, expected) => {
    const def = getBlock(kind as string)!;
    expect(def.args.map((a) => [a.name, a.default])).toEqual(expected);
    for (const a of def.args) expect(a.doc.length).toBeGreaterThan(20);
    for (const t of def.call?.tensors ?? []) expect(t.doc.length).toBeGreaterThan(20);
  });

  it('calls: the encoder on inputs (+ masks), the decoder on decoder_sequence with use_causal_mask=True', () => {
    expect(getBlock('TransformerEncoder')!.call!.tensors.map((t) => [t.name, t.required])).toEqual([
      ['inputs', true],
      ['padding_mask', false],
      ['attention_mask', false]
    ]);
    const dec = getBlock('TransformerDecoder')!.call!;
    expect(dec.tensors.slice(0, 2).map((t) => [t.name, t.required])).toEqual([
      ['decoder_sequence', true],
      ['encoder_sequence', false]
    ]);
    expect(dec.args.map((a) => [a.name, a.default])).toEqual([['use_causal_mask', true]]);
    expect(getBlock('TokenAndPositionEmbedding')!.call).toBeUndefined();
  });
});

describe('TransformerEncoder: compose', () => {
  const INIT = { kernel_initializer: 'glorot_uniform', bias_initializer: 'zeros' };

  it('post-norm (normalize_first=False, BERT): attention, add, norm, then feedforward, add, norm', () => {
    const { steps, shape } = compose('TransformerEncoder', { intermediate_dim: 64, num_heads: 4 }, [10, 32]);
    expect(wiring(steps)).toEqual([
      'MultiHeadAttention(self_attention_layer) <- x, x',
      'Add(self_attention_residual) <- self_attention_layer, x',
      'LayerNormalization(self_attention_layer_norm) <- self_attention_residual',
      'Dense(feedforward_intermediate_dense) <- self_attention_layer_norm',
      'Dense(feedforward_output_dense) <- feedforward_intermediate_dense',
      'Add(feedforward_residual) <- feedforward_output_dense, self_attention_layer_norm',
      'LayerNormalization(feedforward_layer_norm) <- feedforward_residual'
    ]);
    expect(shape).toEqual([10, 32]);
    expect(steps[0].args).toEqual({ num_heads: 4, key_dim: 8, dropout: 0, ...INIT });
    expect(steps[0].call).toEqual({ inputNames: ['query', 'value'], args: { use_causal_mask: false } });
    expect(steps[2].args).toEqual({ epsilon: 1e-5 });
    expect(steps[3].args).toEqual({ units: 64, activation: 'relu', ...INIT });
    // The output Dense goes back to the input's width and has no activation.
    expect(steps[4].args).toEqual({ units: 32, ...INIT });
    expect(steps[6].args).toEqual({ epsilon: 1e-5 });
  });

  it('pre-norm (normalize_first=True, GPT-2): norm before each sublayer, the residual is the un-normalized input', () => {
    const { steps } = compose('TransformerEncoder', { intermediate_dim: 64, num_heads: 4, normalize_first: true, layer_norm_epsilon: 1e-6 }, [10, 32]);
    expect(wiring(steps)).toEqual([
      'LayerNormalization(self_attention_layer_norm) <- x',
      'MultiHeadAttention(self_attention_layer) <- self_attention_layer_norm, self_attention_layer_norm',
      'Add(self_attention_residual) <- self_attention_layer, x',
      'LayerNormalization(feedforward_layer_norm) <- self_attention_residual',
      'Dense(feedforward_intermediate_dense) <- feedforward_layer_norm',
      'Dense(feedforward_output_dense) <- feedforward_intermediate_dense',
      'Add(feedforward_residual) <- feedforward_output_dense, self_attention_residual'
    ]);
    expect(steps[0].args).toEqual({ epsilon: 1e-6 });
  });

  it('dropout: shared by the attention and the two Dropout layers after each sublayer', () => {
    const { steps } = compose('TransformerEncoder', { intermediate_dim: 16, num_heads: 2, dropout: 0.1, activation: 'gelu', kernel_initializer: 'he_normal', bias_initializer: 'ones' }, [5, 8]);
    expect(wiring(steps)).toEqual([
      'MultiHeadAttention(self_attention_layer) <- x, x',
      'Dropout(self_attention_dropout) <- self_attention_layer',
      'Add(self_attention_residual) <- self_attention_dropout, x',
      'LayerNormalization(self_attention_layer_norm) <- self_attention_residual',
      'Dense(feedforward_intermediate_dense) <- self_attention_layer_norm',
      'Dense(feedforward_output_dense) <- feedforward_intermediate_dense',
      'Dropout(feedforward_dropout) <- feedforward_output_dense',
      'Add(feedforward_residual) <- feedforward_dropout, self_attention_layer_norm',
      'LayerNormalization(feedforward_layer_norm) <- feedforward_residual'
    ]);
    const init = { kernel_initializer: 'he_normal', bias_initializer: 'ones' };
    expect(steps[0].args).toEqual({ num_heads: 2, key_dim: 4, dropout: 0.1, ...init });
    expect(steps[1].args).toEqual({ rate: 0.1 });
    expect(steps[4].args).toEqual({ units: 16, activation: 'gelu', ...init });
    expect(steps[5].args).toEqual({ units: 8, ...init });
  });

  it('key_dim = hidden_dim // num_heads, also when num_heads does not divide it (as KerasHub)', () => {
    expect(compose('TransformerEncoder', { intermediate_dim: 8, num_heads: 4 }, [3, 30]).steps[0].args.key_dim).toBe(7);
    expect(compose('TransformerEncoder', { intermediate_dim: 8, num_heads: 5 }, [3, 5]).steps[0].args.key_dim).toBe(1);
  });

  it('refuses a key_dim of 0 (more heads than hidden units), as KerasHub', () => {
    expect(() => compose('TransformerEncoder', { intermediate_dim: 8, num_heads: 8 }, [3, 6])).toThrow(/key_dim = hidden_dim \/\/ num_heads comes out 0: the hidden_dim of 6 must be at least num_heads=8/);
  });

  it('refuses an input that is not (sequence_length, hidden_dim), with a hint for token ids', () => {
    let err: unknown;
    try {
      compose('TransformerEncoder', { intermediate_dim: 8, num_heads: 2 }, [10]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(LayerError);
    expect((err as LayerError).message).toBe('TransformerEncoder needs a sequence (sequence_length, hidden_dim) but gets (10,) here');
    expect((err as LayerError).hint).toMatch(/TokenAndPositionEmbedding/);
    expect(() => compose('TransformerEncoder', { intermediate_dim: 8, num_heads: 2 }, [4, 4, 4])).toThrow(/needs a sequence/);
  });

  it('refuses padding_mask and attention_mask by name', () => {
    expect(() => compose('TransformerEncoder', { intermediate_dim: 8, num_heads: 2 }, [4, 8], { extra: { padding_mask: [4] } })).toThrow(LayerError);
    expect(() => compose('TransformerEncoder', { intermediate_dim: 8, num_heads: 2 }, [4, 8], { extra: { attention_mask: [4, 4] } })).toThrow(
      "TransformerEncoder's attention_mask is not supported here"
    );
  });

  it('validate refuses bad arguments', () => {
    const v = (args: Record<string, ArgValue>) => () => getBlock('TransformerEncoder')!.validate!(withDefaults(getBlock('TransformerEncoder')!, args));
    expect(v({ intermediate_dim: 8, num_heads: 0 })).toThrow("TransformerEncoder's num_heads must be an integer of at least 1 but gets 0");
    expect(v({ intermediate_dim: 8, num_heads: 2.5 })).toThrow(/num_heads must be an integer/);
    expect(v({ intermediate_dim: 0, num_heads: 2 })).toThrow(/intermediate_dim must be an integer/);
    expect(v({ intermediate_dim: 8, num_heads: 2, dropout: 1 })).toThrow(/dropout must be a number between 0 and 0.999/);
    expect(v({ intermediate_dim: 8, num_heads: 2, activation: 'relu6' })).toThrow(/no activation "relu6"/);
    expect(v({ intermediate_dim: 8, num_heads: 2, kernel_initializer: 'orthogonal' })).toThrow(/kernel_initializer "orthogonal" is not available/);
    expect(v({ intermediate_dim: 8, num_heads: 2, normalize_first: 1 })).toThrow(/normalize_first must be True or False/);
    expect(v({ num_heads: 2 })).toThrow('TransformerEncoder needs intermediate_dim');
    expect(v({ intermediate_dim: 8, num_heads: 2 })).not.toThrow();
  });
});

describe('TransformerDecoder (decoder-only): compose', () => {
  it('causal self-attention by default, named self_attention as in KerasHub, then the feedforward network', () => {
    const { steps, shape } = compose('TransformerDecoder', { intermediate_dim: 128, num_heads: 4 }, [16, 64]);
    expect(wiring(steps)).toEqual([
      'MultiHeadAttention(self_attention) <- x, x',
      'Add(self_attention_residual) <- self_attention, x',
      'LayerNormalization(self_attention_layer_norm) <- self_attention_residual',
      'Dense(feedforward_intermediate_dense) <- self_attention_layer_norm',
      'Dense(feedforward_output_dense) <- feedforward_intermediate_dense',
      'Add(feedforward_residual) <- feedforward_output_dense, self_attention_layer_norm',
      'LayerNormalization(feedforward_layer_norm) <- feedforward_residual'
    ]);
    expect(shape).toEqual([16, 64]);
    expect(steps[0].args).toEqual({ num_heads: 4, key_dim: 16, dropout: 0, kernel_initializer: 'glorot_uniform', bias_initializer: 'zeros' });
    expect(steps[0].call).toEqual({ inputNames: ['query', 'value'], args: { use_causal_mask: true } });
  });

  it('use_causal_mask=False: plain self-attention', () => {
    const { steps } = compose('TransformerDecoder', { intermediate_dim: 8, num_heads: 2 }, [4, 8], { callArgs: { use_causal_mask: false } });
    expect(steps[0].call!.args).toEqual({ use_causal_mask: false });
  });

  it('normalize_first=True: pre-norm, as the encoder', () => {
    const { steps } = compose('TransformerDecoder', { intermediate_dim: 8, num_heads: 2, normalize_first: true }, [4, 8]);
    expect(wiring(steps)).toEqual([
      'LayerNormalization(self_attention_layer_norm) <- x',
      'MultiHeadAttention(self_attention) <- self_attention_layer_norm, self_attention_layer_norm',
      'Add(self_attention_residual) <- self_attention, x',
      'LayerNormalization(feedforward_layer_norm) <- self_attention_residual',
      'Dense(feedforward_intermediate_dense) <- feedforward_layer_norm',
      'Dense(feedforward_output_dense) <- feedforward_intermediate_dense',
      'Add(feedforward_residual) <- feedforward_output_dense, self_attention_residual'
    ]);
    expect(steps[1].call!.args).toEqual({ use_causal_mask: true });
  });

  it('refuses encoder_sequence (cross-attention) by name, and the masks', () => {
    expect(() => compose('TransformerDecoder', { intermediate_dim: 8, num_heads: 2 }, [4, 8], { extra: { encoder_sequence: [6, 8] } })).toThrow(
      'TransformerDecoder is decoder-only here: encoder_sequence (cross-attention to an encoder) is not supported'
    );
    expect(() => compose('TransformerDecoder', { intermediate_dim: 8, num_heads: 2 }, [4, 8], { extra: { decoder_padding_mask: [4] } })).toThrow(
      "TransformerDecoder's decoder_padding_mask is not supported here"
    );
  });

  it('refuses a key_dim of 0, as KerasHub', () => {
    expect(() => compose('TransformerDecoder', { intermediate_dim: 8, num_heads: 4 }, [4, 3])).toThrow(/hidden_dim of 3 must be at least num_heads=4/);
  });
});

describe('TokenAndPositionEmbedding: compose', () => {
  it('token Embedding, PositionEmbedding on the embedded tokens, and their sum', () => {
    const { steps, shape } = compose('TokenAndPositionEmbedding', { vocabulary_size: 65, sequence_length: 32, embedding_dim: 64 }, [32]);
    expect(wiring(steps)).toEqual(['Embedding(token_embedding) <- x', 'PositionEmbedding(position_embedding) <- token_embedding', 'Add(add) <- token_embedding, position_embedding']);
    expect(steps[0].args).toEqual({ input_dim: 65, output_dim: 64, embeddings_initializer: 'uniform' });
    // KerasHub passes embeddings_initializer to the position table too (PositionEmbedding's own default is glorot_uniform).
    expect(steps[1].args).toEqual({ sequence_length: 32, initializer: 'uniform' });
    expect(shape).toEqual([32, 64]);
  });

  it('accepts an input shorter than sequence_length (the table is sliced), refuses a longer one', () => {
    expect(compose('TokenAndPositionEmbedding', { vocabulary_size: 10, sequence_length: 32, embedding_dim: 4, embeddings_initializer: 'glorot_uniform' }, [20]).steps[1].args).toEqual({
      sequence_length: 32,
      initializer: 'glorot_uniform'
    });
    let err: unknown;
    try {
      compose('TokenAndPositionEmbedding', { vocabulary_size: 10, sequence_length: 8, embedding_dim: 4 }, [16]);
    } catch (e) {
      err = e;
    }
    expect((err as LayerError).message).toBe("TokenAndPositionEmbedding's sequence_length=8 is shorter than its input: (16,) holds 16 positions");
    expect((err as LayerError).hint).toMatch(/sequence_length=16/);
  });

  it('refuses tie_weights=False and mask_zero=True, and bad sizes', () => {
    const def = getBlock('TokenAndPositionEmbedding')!;
    const v = (args: Record<string, ArgValue>) => () => def.validate!(withDefaults(def, args));
    const ok = { vocabulary_size: 10, sequence_length: 8, embedding_dim: 4 };
    expect(v(ok)).not.toThrow();
    expect(v({ ...ok, tie_weights: false })).toThrow(/only tie_weights=True/);
    expect(v({ ...ok, mask_zero: true })).toThrow(/mask_zero=True/);
    expect(v({ ...ok, vocabulary_size: 0 })).toThrow("TokenAndPositionEmbedding's vocabulary_size must be an integer of at least 1 but gets 0");
    expect(v({ ...ok, embeddings_initializer: 'normal' })).toThrow(/embeddings_initializer must be one of/);
    expect(v({ vocabulary_size: 10, sequence_length: 8 })).toThrow('TokenAndPositionEmbedding needs embedding_dim');
  });
});

describe('the refusals reach the learner at the block call, through the parser', () => {
  const program = (line: string) => `import keras
from keras import layers
import keras_hub
inputs = keras.Input(shape=(8,), dtype="int32")
x = keras_hub.layers.TokenAndPositionEmbedding(50, 8, 16)(inputs)
${line}
outputs = layers.Dense(5)(x)
model = keras.Model(inputs, outputs)
`;
  it.each([
    ['x = keras_hub.layers.TransformerDecoder(32, 4)(x, use_casual_mask=True)', /no argument 'use_casual_mask' — did you mean 'use_causal_mask'\?/],
    ['x = keras_hub.layers.TransformerDecoder(32, 4)(x, x)', /decoder-only here: encoder_sequence/],
    ['x = keras_hub.layers.TransformerDecoder(32, 4)(x, encoder_sequence=x)', /decoder-only here: encoder_sequence/],
    ['x = keras_hub.layers.TransformerEncoder(32, 32)(x)', /hidden_dim of 16 must be at least num_heads=32/],
    ['x = keras_hub.layers.TransformerEncoder(32, 4)(x, padding_mask=x)', /padding_mask is not supported here/],
    ['x = keras_hub.layers.TransformerEncoder(32, 4)(inputs)', /needs a sequence \(sequence_length, hidden_dim\) but gets \(8,\) here/],
    ['x = keras_hub.layers.TokenAndPositionEmbedding(50, 4, 16)(inputs)', /sequence_length=4 is shorter than its input/],
    ['x = keras_hub.layers.TokenAndPositionEmbedding(50, 8, 16, tie_weights=False)(inputs)', /only tie_weights=True/],
    ['x = keras_hub.layers.TransformerEncoder(32, 4, normalize_frist=True)(x)', /did you mean 'normalize_first'\?/]
  ])('%s', (line, message) => {
    const { spec, diagnostics } = parseProgram(program(line));
    expect(spec).toBeNull();
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0].message).toMatch(message);
    expect(diagnostics[0].span.line).toBe(6);
  });

  it('a correct program parses, with every node of a block carrying its BlockRef', () => {
    const { spec, diagnostics } = parseProgram(program('x = keras_hub.layers.TransformerDecoder(32, 4)(x)'));
    expect(diagnostics).toEqual([]);
    const blocks = spec!.layers.map((l) => l.block?.id ?? '-');
    expect(blocks).toEqual([...Array(3).fill('token_and_position_embedding'), ...Array(7).fill('transformer_decoder'), '-']);
  });
});
