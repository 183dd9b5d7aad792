import type { ArgValue } from '$lib/spec/types';
import { embedding } from './embedding';
import { LayerError, type ArgDef, type BlockDef } from './types';
import { checkBool, checkChoice, checkInt, formatTuple, withArgDefaults } from './util';

/** The Embedding layer's initializer names ("uniform", its default, and the shared ones): both tables take them. */
const INITIALIZERS = embedding.args.find((a) => a.name === 'embeddings_initializer')!.values!;

const ARGS: readonly ArgDef[] = [
  { name: 'vocabulary_size', type: 'int', min: 1, doc: 'Size of the vocabulary: token ids run from 0 to vocabulary_size - 1.' },
  { name: 'sequence_length', type: 'int', min: 1, doc: 'Number of positions with a learned vector: the longest sequence the layer accepts (at least the input\'s length).' },
  { name: 'embedding_dim', type: 'int', min: 1, doc: 'Size of each token and position vector: the model width (d_model) of the layers after it.' },
  {
    name: 'tie_weights',
    type: 'bool',
    default: true,
    doc: 'Whether a reverse projection (embeddings → vocabulary logits) reuses the token embeddings. Only True (the default) here: False adds a separate (embedding_dim, vocabulary_size) weight that this layer\'s call never uses.'
  },
  { name: 'embeddings_initializer', type: 'initializer', default: 'uniform', values: INITIALIZERS, doc: 'Initializer of both tables; "uniform" (the default) draws from U(-0.05, 0.05).' },
  { name: 'mask_zero', type: 'bool', default: false, doc: 'Whether id 0 is padding to be masked out downstream. Only False is supported here (masks are not carried between layers).' }
];

const KIND = 'TokenAndPositionEmbedding';

function check(raw: Record<string, ArgValue>) {
  const a = withArgDefaults(ARGS, raw);
  const vocabularySize = checkInt(KIND, 'vocabulary_size', a.vocabulary_size);
  const sequenceLength = checkInt(KIND, 'sequence_length', a.sequence_length);
  const embeddingDim = checkInt(KIND, 'embedding_dim', a.embedding_dim);
  const init = checkChoice(KIND, 'embeddings_initializer', a.embeddings_initializer, INITIALIZERS);
  if (!checkBool(KIND, 'tie_weights', a.tie_weights)) {
    throw new LayerError(
      `${KIND} supports only tie_weights=True here: False adds a reverse-projection weight that the layer's call never uses`,
      'Leave tie_weights out, and project to the vocabulary with a layers.Dense(vocab_size) at the end'
    );
  }
  if (checkBool(KIND, 'mask_zero', a.mask_zero)) {
    throw new LayerError(`${KIND} does not support mask_zero=True here (masks are not carried between layers)`, 'Leave mask_zero out: every id, 0 included, gets its own vector');
  }
  return { vocabularySize, sequenceLength, embeddingDim, init };
}

/**
 * KerasHub's `keras_hub.layers.TokenAndPositionEmbedding`: a token embedding (KerasHub's `token_embedding`, a
 * ReversibleEmbedding that is Keras' Embedding for a forward call) plus a learned position embedding
 * (`position_embedding`, KerasHub's PositionEmbedding on the embedded tokens), summed. Both tables use
 * `embeddings_initializer`.
 */
export const tokenAndPositionEmbedding: BlockDef = {
  kind: KIND,
  module: 'keras_hub.layers',
  doc:
    'Token ids → vectors that also say where each token is: the sum of a token embedding (row id of a trainable ' +
    '(vocabulary_size, embedding_dim) table) and a position embedding (row p of a trainable (sequence_length, ' +
    'embedding_dim) table for the token at position p). Attention by itself does not see order; this is how a ' +
    'Transformer learns it. (seq_len,) token ids → (seq_len, embedding_dim), with seq_len ≤ sequence_length. ' +
    'Parameters: (vocabulary_size + sequence_length) · embedding_dim.',
  args: ARGS,
  validate(args) {
    check(args);
  },
  compose(b, inputs, args) {
    const c = check(args);
    const ids = inputs[0];
    const shape = b.shape(ids);
    if (shape.length === 0) throw new LayerError(`${KIND} needs a sequence of token ids (seq_len,) but gets a scalar here`);
    const length = shape[shape.length - 1];
    if (length > c.sequenceLength) {
      throw new LayerError(
        `${KIND}'s sequence_length=${c.sequenceLength} is shorter than its input: ${formatTuple(shape)} holds ${length} positions`,
        `Use sequence_length=${length} (or more): there is one learned vector per position`
      );
    }
    const tokens = b.layer('Embedding', 'token_embedding', { input_dim: c.vocabularySize, output_dim: c.embeddingDim, embeddings_initializer: c.init }, [ids]);
    const positions = b.layer('PositionEmbedding', 'position_embedding', { sequence_length: c.sequenceLength, initializer: c.init }, [tokens]);
    return b.add('add', tokens, positions);
  }
};
