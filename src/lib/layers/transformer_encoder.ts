import { LayerError, type BlockDef } from './types';
import { checkTransformerArgs, composeTransformer, refuseMasks, TRANSFORMER_ARGS } from './transformer_layer_utils';

/**
 * KerasHub's `keras_hub.layers.TransformerEncoder` ("Attention Is All You Need"): self-attention over the whole
 * sequence, then a two-layer feedforward network, each with a residual add and a layer normalization
 * (`transformer_layer_utils.ts` draws it). Its MultiHeadAttention is KerasHub's `self_attention_layer`.
 */
export const transformerEncoder: BlockDef = {
  kind: 'TransformerEncoder',
  module: 'keras_hub.layers',
  doc:
    'One Transformer encoder block (KerasHub): every position attends to every position of the sequence ' +
    '(MultiHeadAttention with num_heads heads of key_dim = hidden_dim // num_heads), then a feedforward network ' +
    'Dense(intermediate_dim, activation) → Dense(hidden_dim) is applied to each position; each of the two sublayers ' +
    'adds its input back (residual) and is layer-normalized (after the add, or before the sublayer with ' +
    'normalize_first=True). (sequence_length, hidden_dim) → the same shape; stack several for a deeper encoder. ' +
    'Parameters (num_heads dividing d): 4·(d² + d) for the attention, 2·d·f + f + d for the feedforward network, 4·d for the two norms ' +
    '(d = hidden_dim, f = intermediate_dim).',
  args: TRANSFORMER_ARGS,
  call: {
    tensors: [
      { name: 'inputs', required: true, doc: 'The sequence, shape (sequence_length, hidden_dim), e.g. the output of a TokenAndPositionEmbedding.' },
      { name: 'padding_mask', required: false, doc: 'Which positions are padding (batch, sequence_length). Not supported here: masks are not carried between layers.' },
      { name: 'attention_mask', required: false, doc: 'Which positions may attend to which (batch, sequence_length, sequence_length). Not supported here.' }
    ],
    args: []
  },
  validate(args) {
    checkTransformerArgs('TransformerEncoder', args);
  },
  compose(b, inputs, args, _callArgs, callInputNames) {
    const a = checkTransformerArgs('TransformerEncoder', args);
    refuseMasks('TransformerEncoder', callInputNames, ['padding_mask', 'attention_mask']);
    const x = inputs[callInputNames.indexOf('inputs')];
    if (x === undefined) throw new LayerError('TransformerEncoder needs its inputs: the sequence to encode', 'Call it on a tensor: x = keras_hub.layers.TransformerEncoder(128, 4)(x)');
    return composeTransformer('TransformerEncoder', b, x, a, 'self_attention_layer', false);
  }
};
