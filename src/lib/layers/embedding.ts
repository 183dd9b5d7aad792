import type { ArgValue } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { INITIALIZER_NAMES, tfjsInitializer } from './initializers';
import { seq } from './conformance';
import { op } from './onnx-ops';
import { checkRegularizer, pytorchPenalty, REGULARIZER_NAMES, tfjsRegularizer } from './regularizers';
import { LayerError, type ArgDef, type LayerDef, type Tfjs } from './types';
import { checkBool, checkChoice, checkInt, withArgDefaults } from './util';

/**
 * Keras' Embedding initializers: its default "uniform" is RandomUniform(-0.05, 0.05) (Keras' `RandomUniform` defaults),
 * which only this layer offers here; the other names are the shared ones.
 */
const EMBEDDING_INITIALIZERS = ['uniform', ...INITIALIZER_NAMES] as const;
/** Keras' "uniform": U(-0.05, 0.05). */
export const EMBEDDING_UNIFORM_LIMIT = 0.05;

const ARGS: readonly ArgDef[] = [
  { name: 'input_dim', type: 'int', min: 1, doc: 'Size of the vocabulary: token ids run from 0 to input_dim - 1 (e.g. vocab_size).' },
  { name: 'output_dim', type: 'int', min: 1, doc: 'Size of each embedding vector (the dense vector a token id is replaced by).' },
  { name: 'embeddings_initializer', type: 'initializer', default: 'uniform', values: EMBEDDING_INITIALIZERS, doc: 'Initializer of the embeddings matrix; "uniform" (the default) draws from U(-0.05, 0.05).' },
  { name: 'embeddings_regularizer', type: 'regularizer', default: null, values: REGULARIZER_NAMES, doc: 'Penalty on the embeddings matrix added to the loss, e.g. regularizers.l2(0.01); None for none.' },
  { name: 'mask_zero', type: 'bool', default: false, doc: 'Whether id 0 is a padding value to be masked out downstream. Only False is supported here.' }
];

function check(raw: Record<string, ArgValue>) {
  const a = withArgDefaults(ARGS, raw);
  const inputDim = checkInt('Embedding', 'input_dim', a.input_dim);
  const outputDim = checkInt('Embedding', 'output_dim', a.output_dim);
  const init = checkChoice('Embedding', 'embeddings_initializer', a.embeddings_initializer, EMBEDDING_INITIALIZERS);
  checkRegularizer('Embedding', 'embeddings_regularizer', a.embeddings_regularizer);
  if (checkBool('Embedding', 'mask_zero', a.mask_zero)) {
    throw new LayerError('Embedding does not support mask_zero=True here (masks are not propagated to the next layers)', 'Leave mask_zero out: every id, 0 included, gets its own vector');
  }
  return { a, inputDim, outputDim, init };
}

/**
 * TF.js differentiates Gather with UnsortedSegmentSum, which its wasm backend lacks: an Embedding could not train
 * there. The layer's call keeps TF.js' forward pass (cast to int32, gather the rows) and gives the embeddings the same
 * gradient, the scatter-add of the output gradient's rows at the ids, as onehot(ids)ᵀ · dy (OneHot and MatMul run on
 * every backend; the compiled step's Gather rule is the same product). Only the call changes: the layer, its config
 * and its weights stay TF.js' Embedding.
 */
function scatterAddByMatMul(tf: Tfjs, layer: TF.layers.Layer, inputDim: number): TF.layers.Layer {
  const l = layer as unknown as { embeddings: TF.LayerVariable };
  layer.call = (inputs) =>
    tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as TF.Tensor;
      const ids = tf.reshape(x.dtype === 'int32' ? x : tf.cast(x, 'int32'), [-1]) as TF.Tensor1D;
      // The ids are saved for the gradient (the tidy around the call disposes its own tensors before backprop).
      const lookup = tf.customGrad((...args: (TF.Tensor | TF.GradSaveFunc)[]) => {
        const [w, save] = args as [TF.Tensor, TF.GradSaveFunc];
        save([ids]);
        return {
          value: tf.gather(w, ids),
          gradFunc: (dy: TF.Tensor | TF.Tensor[], saved: TF.Tensor[]) => [tf.matMul(tf.oneHot(saved[0] as TF.Tensor1D, inputDim), dy as TF.Tensor2D, true, false)]
        };
      });
      const rows = lookup(l.embeddings.read()) as TF.Tensor2D;
      return tf.reshape(rows, [...x.shape, rows.shape[1]]);
    });
  return layer;
}

/** Keras `layers.Embedding`: token ids → dense vectors, by row lookup in a trainable (input_dim, output_dim) matrix. */
export const embedding: LayerDef = {
  kind: 'Embedding',
  doc:
    'Turns non-negative integer ids (token indices) into dense vectors of fixed size: each id i is replaced by row i ' +
    'of the trainable `embeddings` matrix of shape (input_dim, output_dim), e.g. [[4], [20]] → [[0.25, 0.1], [0.6, -0.2]]. ' +
    'Usually the first layer of a text model, on an input such as keras.Input(shape=(seq_len,), dtype="int32"): ' +
    '(seq_len,) → (seq_len, output_dim). Ids must be below input_dim (the vocabulary size). ' +
    'Parameters: input_dim · output_dim.',
  arity: 1,
  args: ARGS,
  validate(args) {
    check(args);
  },
  outputShape([input], args) {
    const { outputDim } = check(args);
    return [...input, outputDim];
  },
  params(_inputs, args) {
    const { inputDim, outputDim } = check(args);
    return { trainable: inputDim * outputDim, nonTrainable: 0 };
  },
  // 0: a row lookup (data movement only), as most FLOP counters count it.
  flops: () => 0,
  toTfjs(node, { tf, seed }) {
    const c = check(node.args);
    // tfjs-layers' Embedding casts its input to int32 and gathers rows, as Keras does; its default initializer
    // (randomUniform, ±0.05) is Keras' "uniform", made explicit here so that it is seeded.
    const layer = tf.layers.embedding({
      name: node.id,
      inputDim: c.inputDim,
      outputDim: c.outputDim,
      embeddingsInitializer:
        c.init === 'uniform' ? tf.initializers.randomUniform({ minval: -EMBEDDING_UNIFORM_LIMIT, maxval: EMBEDDING_UNIFORM_LIMIT, seed }) : tfjsInitializer(tf, c.init, seed),
      embeddingsRegularizer: tfjsRegularizer(tf, c.a.embeddings_regularizer)
    });
    return scatterAddByMatMul(tf, layer, c.inputDim);
  },
  // ONNX: Cast the ids to int32 (the graph input may be float, as in the train step, or int32), then Gather the rows of
  // the embeddings matrix (axis 0): (batch, ...) → (batch, ..., output_dim). A float id is truncated, as TF.js' cast.
  // int32 rather than int64 indices: ORT's WebGPU EP casts to and from int64 only in some configurations (elsewhere
  // the node falls back to the CPU, which graph capture refuses); int32 Cast and Gather run on every EP.
  toOnnx(node, { g, inputs, weight }) {
    check(node.args);
    const ids = op(g, node.id, 'Cast', [inputs[0]], { to: 6 }, 'ids');
    return op(g, node.id, 'Gather', [weight('embeddings'), ids], { axis: 0 });
  },
  // PyTorch: nn.Embedding(input_dim, output_dim) on the ids as long; its weight is Keras' embeddings matrix as is.
  // Keras' "uniform" (±0.05) is not one of the printer's initializers: it is drawn after reset_parameters.
  toPytorch(node, { attr, inputs }) {
    const c = check(node.args);
    const penalty = pytorchPenalty('Embedding', 'embeddings_regularizer', c.a.embeddings_regularizer, `self.${attr}.weight`);
    return {
      init: [`self.${attr} = nn.Embedding(${c.inputDim}, ${c.outputDim})`],
      forward: `self.${attr}(${inputs[0]}.long())`,
      weights: [{ keras: 'embeddings', torch: `${attr}.weight`, shape: [c.inputDim, c.outputDim], init: c.init === 'uniform' ? 'zeros' : c.init }],
      penalties: penalty ? [penalty] : [],
      after: c.init === 'uniform' ? [`nn.init.uniform_(self.${attr}.weight, -${EMBEDDING_UNIFORM_LIMIT}, ${EMBEDDING_UNIFORM_LIMIT})  # Keras' "uniform"`] : []
    };
  },
  weights: [{ name: 'embeddings', trainable: true }],
  // The conformance inputs are floats in [-2, 2): a ReLU (or a Dense + ReLU) before the Embedding makes them valid ids
  // (non-negative, truncated by the cast as Keras truncates a float id).
  conformance: [
    seq('Embedding of ids 0..1 (relu of the inputs)', [6], 'ReLU()', 'Embedding(3, 4)'),
    seq('Embedding of ids 0..~8 (Dense + relu), then Dense on (steps, dim)', [5], 'Dense(7)', 'ReLU(max_value=9.5)', 'Embedding(12, 3)', 'Dense(2)'),
    seq('Embedding of a (steps, features) grid of ids', [4, 3], 'ReLU()', 'Embedding(2, 5)', 'Flatten()')
  ]
};

