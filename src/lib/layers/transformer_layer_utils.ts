/**
 * What KerasHub's TransformerEncoder and TransformerDecoder (decoder-only) share: their constructor arguments, their
 * validation, and the block they build (keras_hub/src/layers/modeling/transformer_encoder.py, transformer_decoder.py):
 *
 *   residual = x;  [norm_first: x = LN(x)]  x = MHA(query=x, value=x);  x = Dropout(x);  x = x + residual;  [else: x = LN(x)]
 *   residual = x;  [norm_first: x = LN(x)]  x = Dense(out=hidden)(Dense(intermediate, activation)(x));  x = Dropout(x);
 *   x = x + residual;  [else: x = LN(x)]
 *
 * with hidden = the input's last axis and key_dim = hidden // num_heads. The parts are named as KerasHub names its
 * sublayers, so node ids read like Keras weight paths (`transformer_encoder_self_attention_layer` holds what Keras
 * stores under `transformer_encoder/self_attention_layer/`).
 */
import type { ArgValue } from '$lib/spec/types';
import { ACTIVATION_NAMES } from './activations';
import { INITIALIZER_NAMES } from './initializers';
import { LayerError, type ArgDef, type BlockBuilder, type BlockTensor } from './types';
import { checkActivation, checkBool, checkInitializer, checkInt, checkNumber, formatTuple, withArgDefaults } from './util';

/** The constructor arguments of both blocks, in KerasHub's order and with its defaults. */
export const TRANSFORMER_ARGS: readonly ArgDef[] = [
  { name: 'intermediate_dim', type: 'int', min: 1, doc: 'Width of the feedforward network\'s hidden layer (often 4 × the model width, e.g. 256 for d_model 64).' },
  { name: 'num_heads', type: 'int', min: 1, doc: 'Number of attention heads; each head gets key_dim = hidden_dim // num_heads, hidden_dim being the input\'s last axis.' },
  { name: 'dropout', type: 'float', default: 0, min: 0, max: 0.999, doc: 'Dropout rate, shared by the attention weights and the outputs of the attention and feedforward sublayers; 0 (the default) for none.' },
  { name: 'activation', type: 'activation', default: 'relu', values: ACTIVATION_NAMES, doc: 'Activation of the feedforward network\'s hidden layer ("relu" by default; GPT-2 uses "gelu").' },
  { name: 'layer_norm_epsilon', type: 'float', default: 1e-5, min: 0, doc: 'Epsilon of the layer normalizations (added to the variance before the square root); 1e-5 by default.' },
  { name: 'kernel_initializer', type: 'initializer', default: 'glorot_uniform', values: INITIALIZER_NAMES, doc: 'Initializer of the kernels of the attention and feedforward Dense layers.' },
  { name: 'bias_initializer', type: 'initializer', default: 'zeros', values: INITIALIZER_NAMES, doc: 'Initializer of the biases of the attention and feedforward Dense layers.' },
  {
    name: 'normalize_first',
    type: 'bool',
    default: false,
    doc: 'True: normalize the inputs of the attention and feedforward sublayers ("pre-norm", as GPT-2). False (the default): normalize their outputs after the residual add ("post-norm", as BERT and the original Transformer).'
  }
];

export interface TransformerArgs {
  intermediateDim: number;
  numHeads: number;
  dropout: number;
  activation: string | null;
  epsilon: number;
  kernelInitializer: string;
  biasInitializer: string;
  normalizeFirst: boolean;
}

/** Checks the arguments (defaults filled where missing) and returns them typed. */
export function checkTransformerArgs(kind: string, raw: Record<string, ArgValue>): TransformerArgs {
  const a = withArgDefaults(TRANSFORMER_ARGS, raw);
  return {
    intermediateDim: checkInt(kind, 'intermediate_dim', a.intermediate_dim),
    numHeads: checkInt(kind, 'num_heads', a.num_heads),
    dropout: checkNumber(kind, 'dropout', a.dropout, 0, 0.999),
    // keras.activations.get(None) is the identity, as for Dense.
    activation: checkActivation(kind, a.activation, true),
    epsilon: checkNumber(kind, 'layer_norm_epsilon', a.layer_norm_epsilon, 0),
    kernelInitializer: checkInitializer(kind, 'kernel_initializer', a.kernel_initializer),
    biasInitializer: checkInitializer(kind, 'bias_initializer', a.bias_initializer),
    normalizeFirst: checkBool(kind, 'normalize_first', a.normalize_first)
  };
}

/**
 * Refuses the mask tensors of a block's call by name: masks are not carried between layers here, so every position
 * attends to every other one (or to the earlier ones, with the decoder's causal mask).
 */
export function refuseMasks(kind: string, callInputNames: string[], maskNames: readonly string[]): void {
  const given = callInputNames.filter((n) => maskNames.includes(n));
  if (given.length > 0) {
    throw new LayerError(
      `${kind}'s ${given.join(' and ')} ${given.length > 1 ? 'are' : 'is'} not supported here (masks are not carried between layers)`,
      'Leave it out: every position of the sequence is attended to (the decoder still hides later positions with its causal mask)'
    );
  }
}

/**
 * Builds the transformer block on `x` (shape `(sequence_length, hidden_dim)`): the self-attention sublayer (its
 * MultiHeadAttention part named `attentionPart`: `self_attention_layer` in the encoder, `self_attention` in the
 * decoder), then the feedforward sublayer, each with its residual add and layer normalization placed by
 * `normalize_first`. Dropout layers are added only for a non-zero rate (at 0 they are the identity, in Keras too).
 */
export function composeTransformer(kind: string, b: BlockBuilder, x: BlockTensor, args: TransformerArgs, attentionPart: string, useCausalMask: boolean): BlockTensor {
  const shape = b.shape(x);
  if (shape.length !== 2) {
    throw new LayerError(
      `${kind} needs a sequence (sequence_length, hidden_dim) but gets ${formatTuple(shape)} here`,
      shape.length === 1 ? 'Turn token ids into vectors first, e.g. keras_hub.layers.TokenAndPositionEmbedding(vocab_size, seq_len, d_model)' : undefined
    );
  }
  const hiddenDim = shape[1];
  // KerasHub: key_dim = int(hidden_dim // num_heads), refused only when it comes out 0 (a hidden_dim not divisible by
  // num_heads is accepted: the attention output is projected back to hidden_dim).
  const keyDim = Math.floor(hiddenDim / args.numHeads);
  if (keyDim === 0) {
    throw new LayerError(
      `${kind}'s attention key_dim = hidden_dim // num_heads comes out 0: the hidden_dim of ${hiddenDim} must be at least num_heads=${args.numHeads}`,
      `Use fewer heads (num_heads ≤ ${hiddenDim}) or a wider input (e.g. embedding_dim = num_heads × 16)`
    );
  }
  const init = { kernel_initializer: args.kernelInitializer, bias_initializer: args.biasInitializer };
  const norm = (part: string, t: BlockTensor) => b.layer('LayerNormalization', part, { epsilon: args.epsilon }, [t]);
  const drop = (part: string, t: BlockTensor) => (args.dropout > 0 ? b.layer('Dropout', part, { rate: args.dropout }, [t]) : t);

  // Self-attention sublayer.
  let residual = x;
  let h = args.normalizeFirst ? norm('self_attention_layer_norm', x) : x;
  h = b.layer('MultiHeadAttention', attentionPart, { num_heads: args.numHeads, key_dim: keyDim, dropout: args.dropout, ...init }, [h, h], {
    inputNames: ['query', 'value'],
    args: { use_causal_mask: useCausalMask }
  });
  h = drop('self_attention_dropout', h);
  h = b.add('self_attention_residual', h, residual);
  if (!args.normalizeFirst) h = norm('self_attention_layer_norm', h);

  // Feedforward sublayer.
  residual = h;
  if (args.normalizeFirst) h = norm('feedforward_layer_norm', h);
  h = b.layer('Dense', 'feedforward_intermediate_dense', { units: args.intermediateDim, activation: args.activation, ...init }, [h]);
  h = b.layer('Dense', 'feedforward_output_dense', { units: hiddenDim, ...init }, [h]);
  h = drop('feedforward_dropout', h);
  h = b.add('feedforward_residual', h, residual);
  if (!args.normalizeFirst) h = norm('feedforward_layer_norm', h);
  return h;
}
