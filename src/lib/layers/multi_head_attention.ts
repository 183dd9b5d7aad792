import type { LayerConformanceCase, LayerDef } from './types';

export { attentionScoresTfjs } from './attention';
import { distinctSlots, MHA_ARGS, MHA_CALL, mhaConfig, mhaFlops, mhaLayer, mhaOutputShape, mhaParams, mhaRoles, mhaShapes, onnxAttention, pytorchAttention } from './attention';

/** A functional Keras program around one attention call (`body` defines `out` from the inputs). */
function program(name: string, inputs: { name: string; shape: number[] }[], body: string[]): LayerConformanceCase {
  const tuple = (s: number[]) => (s.length === 1 ? `(${s[0]},)` : `(${s.join(', ')})`);
  const lines = [
    'import keras',
    'from keras import layers',
    ...inputs.map((i) => `${i.name} = keras.Input(shape=${tuple(i.shape)}, name="${i.name}")`),
    ...body,
    `model = keras.Model(inputs=${inputs.length === 1 ? inputs[0].name : `[${inputs.map((i) => i.name).join(', ')}]`}, outputs=out)`
  ];
  return { name, source: `${lines.join('\n')}\n` };
}

/**
 * Keras `layers.MultiHeadAttention`, called as Keras calls it: `mha(query, value, key=None, attention_mask=None,
 * use_causal_mask=False)` (formulas, weights and lowerings in `./attention.ts`).
 */
export const multiHeadAttention: LayerDef = {
  kind: 'MultiHeadAttention',
  doc:
    'Multi-head attention (Vaswani et al., 2017, "Attention is all you need"). Each head projects the query to Q, ' +
    'the key to K (key_dim wide) and the value to V (value_dim wide); every query position t takes a weighted ' +
    'average of the V rows, with weights softmax(Q_t · K_s / sqrt(key_dim)) over the key positions s; the heads are ' +
    'concatenated and projected back to the query\'s width (or output_shape). Self-attention: `mha(x, x)`; a ' +
    'decoder (GPT): `mha(x, x, use_causal_mask=True)`, so position t only sees positions ≤ t. Input (steps, ' +
    'features); output (query steps, query features). Parameters: (d_q + d_k)·heads·key_dim + d_v·heads·value_dim + ' +
    'heads·value_dim·d_out, plus biases.',
  arity: 'many',
  call: MHA_CALL,
  args: MHA_ARGS,
  validate(args) {
    mhaConfig(args);
  },
  outputShape(inputs, args, call) {
    const c = mhaConfig(args);
    return mhaOutputShape(c, mhaShapes(c, inputs, mhaRoles(inputs.length, call)));
  },
  params(inputs, args, call) {
    const c = mhaConfig(args);
    return { trainable: mhaParams(c, mhaShapes(c, inputs, mhaRoles(inputs.length, call))), nonTrainable: 0 };
  },
  // See `mhaFlops`: the four projections, Q·Kᵀ and P·V for every head.
  flops(inputs, args, call) {
    const c = mhaConfig(args);
    return mhaFlops(c, mhaShapes(c, inputs, mhaRoles(inputs.length, call)));
  },
  toTfjs(node, { tf, seed }) {
    return mhaLayer(tf, { name: node.id, mha: mhaConfig(node.args), roles: mhaRoles(node.inputs.length, node.call), slots: distinctSlots(node.inputs), seed });
  },
  // ONNX: MatMul / Reshape / Add / Transpose / Softmax (+ the mask's Add or Where, + the dropout Mul in training);
  // see `onnxAttention`.
  toOnnx(node, { g, inputs, inputShapes, weight, training, dropoutMask }) {
    const c = mhaConfig(node.args);
    const roles = mhaRoles(inputs.length, node.call);
    const s = mhaShapes(c, inputShapes, roles);
    let drop: ((shape: number[]) => string) | undefined;
    if (training && c.dropout > 0) {
      if (!dropoutMask) throw new Error(`MultiHeadAttention ${node.id}: the train-step graph must provide dropoutMask`);
      drop = (shape) => dropoutMask(c.dropout, shape);
    }
    return onnxAttention(g, node.id, c, roles, s, inputs, weight, drop);
  },
  // PyTorch: Keras-layout parameters and torch.einsum (see `pytorchAttention`).
  toPytorch(node, { attr, inputs, inputShapes }) {
    const c = mhaConfig(node.args);
    const roles = mhaRoles(inputs.length, node.call);
    return pytorchAttention(c, roles, mhaShapes(c, inputShapes, roles), attr, inputs);
  },
  weights: ['query', 'key', 'value', 'attention_output'].flatMap((d) => [
    { name: `${d}/kernel`, trainable: true },
    { name: `${d}/bias`, trainable: true }
  ]),
  // The attention probabilities are dropped with the app's seeded masks (shape (heads, T_q, T_k) per sample).
  dropoutRate: (args) => (typeof args.dropout === 'number' ? args.dropout : 0),
  conformance: [
    program('MultiHeadAttention self-attention', [{ name: 'x', shape: [5, 6] }], ['out = layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x)']),
    program('MultiHeadAttention cross-attention (query 4 steps, value 6 steps, other widths)', [{ name: 'q', shape: [4, 5] }, { name: 'v', shape: [6, 3] }], ['out = layers.MultiHeadAttention(num_heads=3, key_dim=2)(q, v)']),
    program('MultiHeadAttention key given', [{ name: 'q', shape: [4, 5] }, { name: 'v', shape: [6, 3] }, { name: 'k', shape: [6, 2] }], ['out = layers.MultiHeadAttention(2, 4)(q, v, key=k)']),
    program('MultiHeadAttention causal self-attention', [{ name: 'x', shape: [6, 4] }], ['out = layers.MultiHeadAttention(num_heads=2, key_dim=4)(x, x, use_causal_mask=True)']),
    program('MultiHeadAttention causal cross-attention (query 5, value 3 steps)', [{ name: 'q', shape: [5, 4] }, { name: 'v', shape: [3, 4] }], ['out = layers.MultiHeadAttention(num_heads=2, key_dim=2)(q, v, use_causal_mask=True)']),
    program('MultiHeadAttention value_dim != key_dim', [{ name: 'x', shape: [5, 6] }], ['out = layers.MultiHeadAttention(num_heads=2, key_dim=3, value_dim=5)(x, x)']),
    program('MultiHeadAttention output_shape=7', [{ name: 'x', shape: [4, 6] }], ['out = layers.MultiHeadAttention(num_heads=2, key_dim=3, output_shape=7)(x, x)']),
    program('MultiHeadAttention output_shape=(2, 3)', [{ name: 'x', shape: [4, 6] }], ['out = layers.MultiHeadAttention(num_heads=2, key_dim=3, output_shape=(2, 3))(x, x)']),
    program('MultiHeadAttention use_bias=False', [{ name: 'x', shape: [5, 6] }], ['out = layers.MultiHeadAttention(num_heads=3, key_dim=2, use_bias=False)(x, x)']),
    // The mask comes from a second input through a ReLU, so about half of it is 0 (the random inputs lie in [-2, 2)),
    // and some rows are masked entirely (they come out as zeros in Keras).
    program(
      'MultiHeadAttention attention_mask from a second input',
      [{ name: 'x', shape: [5, 4] }, { name: 'm', shape: [5, 5] }],
      ['mask = layers.ReLU()(m)', 'out = layers.MultiHeadAttention(num_heads=2, key_dim=3)(x, x, attention_mask=mask)']
    ),
    program(
      'MultiHeadAttention attention_mask and causal mask',
      [{ name: 'q', shape: [4, 4] }, { name: 'v', shape: [5, 3] }, { name: 'm', shape: [4, 5] }],
      ['mask = layers.ReLU()(m)', 'out = layers.MultiHeadAttention(num_heads=2, key_dim=2)(q, v, attention_mask=mask, use_causal_mask=True)']
    ),
    program('MultiHeadAttention in a small encoder block', [{ name: 'x', shape: [6, 8] }], [
      'h = layers.Dense(8)(x)',
      'a = layers.MultiHeadAttention(num_heads=4, key_dim=2, dropout=0.1)(h, h)',
      'r = layers.Add()([h, a])',
      'out = layers.Dense(3)(r)'
    ])
  ]
};
