import { LayerError, type BlockDef } from './types';
import { checkTransformerArgs, composeTransformer, refuseMasks, TRANSFORMER_ARGS } from './transformer_layer_utils';

/**
 * KerasHub's `keras_hub.layers.TransformerDecoder`, decoder-only (GPT): causal self-attention then the feedforward
 * network, as the encoder (`transformer_layer_utils.ts`); KerasHub names its attention `self_attention`. The
 * cross-attention sublayer that a call with `encoder_sequence` adds is not offered: that call is refused by name.
 */
export const transformerDecoder: BlockDef = {
  kind: 'TransformerDecoder',
  module: 'keras_hub.layers',
  doc:
    'One Transformer decoder block (KerasHub), as in GPT: each position attends to itself and the positions before ' +
    'it only (causal self-attention: MultiHeadAttention with num_heads heads of key_dim = hidden_dim // num_heads, ' +
    'later positions masked out), then a feedforward network Dense(intermediate_dim, activation) → Dense(hidden_dim) ' +
    'per position; each sublayer adds its input back (residual) and is layer-normalized (after the add, or before ' +
    'the sublayer with normalize_first=True). (sequence_length, hidden_dim) → the same shape. Decoder-only here: no ' +
    'encoder_sequence (cross-attention). Parameters (num_heads dividing d): 4·(d² + d) + 2·d·f + f + d + 4·d (d = hidden_dim, ' +
    'f = intermediate_dim).',
  args: TRANSFORMER_ARGS,
  call: {
    tensors: [
      { name: 'decoder_sequence', required: true, doc: 'The sequence, shape (sequence_length, hidden_dim), e.g. the output of a TokenAndPositionEmbedding.' },
      { name: 'encoder_sequence', required: false, doc: 'An encoder\'s output to attend to (cross-attention). Not supported here: the decoder is decoder-only.' },
      { name: 'decoder_padding_mask', required: false, doc: 'Which positions are padding. Not supported here: masks are not carried between layers.' },
      { name: 'decoder_attention_mask', required: false, doc: 'Which positions may attend to which. Not supported here.' },
      { name: 'encoder_padding_mask', required: false, doc: 'Padding mask of encoder_sequence. Not supported here (no cross-attention).' },
      { name: 'encoder_attention_mask', required: false, doc: 'Attention mask of encoder_sequence. Not supported here (no cross-attention).' }
    ],
    args: [
      {
        name: 'use_causal_mask',
        type: 'bool',
        default: true,
        doc: 'True (the default): each position attends only to itself and earlier positions, so the model cannot peek at the token it predicts. False: every position sees the whole sequence.'
      }
    ]
  },
  validate(args) {
    checkTransformerArgs('TransformerDecoder', args);
  },
  compose(b, inputs, args, callArgs, callInputNames) {
    const a = checkTransformerArgs('TransformerDecoder', args);
    if (callInputNames.some((n) => n.startsWith('encoder_'))) {
      throw new LayerError(
        'TransformerDecoder is decoder-only here: encoder_sequence (cross-attention to an encoder) is not supported',
        'Call it on the decoder sequence alone, as in GPT: x = keras_hub.layers.TransformerDecoder(256, 4)(x)'
      );
    }
    refuseMasks('TransformerDecoder', callInputNames, ['decoder_padding_mask', 'decoder_attention_mask']);
    const x = inputs[callInputNames.indexOf('decoder_sequence')];
    if (x === undefined) throw new LayerError('TransformerDecoder needs its decoder_sequence', 'Call it on a tensor: x = keras_hub.layers.TransformerDecoder(256, 4)(x)');
    const causal = callArgs.use_causal_mask ?? true;
    if (typeof causal !== 'boolean') throw new LayerError(`TransformerDecoder's use_causal_mask must be True or False`);
    return composeTransformer('TransformerDecoder', b, x, a, 'self_attention', causal);
  }
};
