/**
 * Keras 3 `layers.MultiHeadAttention` (`keras/src/layers/attention/multi_head_attention.py`): arguments, the call's
 * tensors and keywords, shapes, parameter and FLOP counts, and its three lowerings (TF.js, ONNX, PyTorch).
 *
 * Keras' computation, for query (B, T, d_q), value (B, S, d_v), key (B, S, d_k) (key defaults to value):
 *   Q = query·Wq + bq   (B, T, heads, key_dim)      Wq (d_q, heads, key_dim), bq (heads, key_dim)   EinsumDense "query"
 *   K = key·Wk + bk     (B, S, heads, key_dim)      Wk (d_k, heads, key_dim), bk (heads, key_dim)   EinsumDense "key"
 *   V = value·Wv + bv   (B, S, heads, value_dim)    Wv (d_v, heads, value_dim), bv (heads, value_dim) EinsumDense "value"
 *   Q = Q / sqrt(key_dim)                            (scaled on the query, as Keras does)
 *   scores = einsum("bshk,bthk->bhts", K, Q)         (B, heads, T, S)
 *   P = masked softmax over S: where(mask, scores, −1e9), softmax, where(mask, P, 0)   (Keras' `Softmax` with a mask)
 *   P = dropout(P) in training
 *   ctx = einsum("bhts,bshv->bthv", P, V)            (B, T, heads, value_dim)
 *   out = einsum("bthv,hvo->bto", ctx, Wo) + bo      Wo (heads, value_dim, *output_shape), bo (*output_shape)
 * The mask is the AND of `attention_mask` (B, T, S) (non-zero = may attend; Keras casts it to bool) and, with
 * `use_causal_mask=True`, the lower-triangular causal mask (query i sees key j ≤ i, Keras' `_compute_causal_mask`).
 * A row masked entirely comes out as zeros (the final where), as Keras' Softmax layer does.
 *
 * Weight names: the Keras variable paths below the layer, `query/kernel`, `query/bias`, `key/kernel`, `key/bias`,
 * `value/kernel`, `value/bias`, `attention_output/kernel`, `attention_output/bias` (Keras: `mha.query_dense.kernel.path`
 * is `multi_head_attention/query/kernel`), in Keras' `layer.weights` order, with Keras' shapes; a Keras 3 `.weights.h5`
 * stores them as `query_dense/vars/0` (kernel), `query_dense/vars/1` (bias), likewise `key_dense`, `value_dense`,
 * `output_dense`. With use_bias=False there are no biases.
 */
import type { ArgValue, CallInfo, Shape } from '$lib/spec/types';
import type { GraphBuilder } from '$lib/onnx/graph';
import type { PytorchLowering } from '$lib/pytorch/types';
import { pyNum } from '$lib/pytorch/ops';
import type * as TF from '@tensorflow/tfjs';
import { INITIALIZER_NAMES, tfjsInitializer } from './initializers';
import { op } from './onnx-ops';
import { LayerError, type ArgDef, type CallDef, type Tfjs } from './types';
import { checkBool, checkInitializer, checkNumber, formatTuple, formatValue, sizeOf, withArgDefaults } from './util';

const KIND = 'MultiHeadAttention';

/** The constructor's Keras 3 arguments, in Keras' positional order (those supported, or refused by name). */
export const MHA_ARGS: readonly ArgDef[] = [
  { name: 'num_heads', type: 'int', min: 1, doc: 'Number of attention heads.' },
  { name: 'key_dim', type: 'int', min: 1, doc: 'Size of each attention head for query and key.' },
  { name: 'value_dim', type: 'int', default: null, min: 1, doc: 'Size of each attention head for value; None means key_dim.' },
  { name: 'dropout', type: 'float', default: 0, min: 0, max: 0.999, doc: 'Dropout probability on the attention probabilities (in training only).' },
  { name: 'use_bias', type: 'bool', default: true, doc: 'Whether the query, key, value and output projections use bias vectors.' },
  {
    name: 'output_shape',
    type: 'int_or_tuple',
    default: null,
    min: 1,
    doc: "The shape of the output besides the batch and sequence axes (an int or a tuple); None projects back to the query's feature size."
  },
  { name: 'attention_axes', type: 'int_or_tuple', default: null, doc: 'Axes over which the attention is applied; only None (the sequence axis) is supported here.' },
  { name: 'flash_attention', type: 'bool', default: null, doc: 'Whether the backend may use flash attention (a speed choice of the backend; the numbers are the same, and nothing changes here).' },
  { name: 'kernel_initializer', type: 'initializer', default: 'glorot_uniform', values: INITIALIZER_NAMES, doc: 'Initializer of the four projection kernels.' },
  { name: 'bias_initializer', type: 'initializer', default: 'zeros', values: INITIALIZER_NAMES, doc: 'Initializer of the four projection biases.' },
  { name: 'kernel_regularizer', type: 'regularizer', default: null, doc: 'Penalty on the projection kernels; only None is supported here.' },
  { name: 'bias_regularizer', type: 'regularizer', default: null, doc: 'Penalty on the projection biases; only None is supported here.' },
  { name: 'seed', type: 'int', default: null, doc: 'Seed of the dropout layer (the app seeds its dropout masks itself).' }
];

/** How the layer is called: `mha(query, value, key=None, attention_mask=None, ..., use_causal_mask=False)`. */
export const MHA_CALL: CallDef = {
  tensors: [
    { name: 'query', required: true, doc: 'Query tensor (batch, T, dim): the positions that ask.' },
    { name: 'value', required: true, doc: 'Value tensor (batch, S, dim): what is read out, and the key when no key is given (self-attention: the same tensor as query).' },
    { name: 'key', required: false, doc: 'Optional key tensor (batch, S, dim); the value is used when it is not given (the most common case).' },
    {
      name: 'attention_mask',
      required: false,
      doc: 'Optional mask (batch, T, S): 1 (non-zero) where query position t may attend to key position s, 0 where it may not.'
    }
  ],
  args: [
    { name: 'return_attention_scores', type: 'bool', default: false, doc: 'Whether to return the attention scores as well; only False here (the Inspect panel draws the attention maps).' },
    { name: 'training', type: 'bool', default: null, doc: 'Training mode (dropout); decided by fit and predict here, leave it out.' },
    { name: 'use_causal_mask', type: 'bool', default: false, doc: 'Whether each position may attend only to itself and earlier positions (a decoder, GPT-style).' }
  ]
};

export interface MhaConfig {
  numHeads: number;
  keyDim: number;
  valueDim: number;
  dropout: number;
  useBias: boolean;
  /** Keras' output_shape as a tuple, or null (the query's feature size). */
  outputShape: number[] | null;
  kernelInitializer: string;
  biasInitializer: string;
}

/** Validates the constructor's arguments (defaults filled) and returns the layer's configuration. */
export function mhaConfig(raw: Record<string, ArgValue>): MhaConfig {
  const a = withArgDefaults(MHA_ARGS, raw);
  const posInt = (name: string, v: ArgValue | undefined, hint: string): number => {
    if (v === undefined || v === null) throw new LayerError(`${KIND} needs ${name}`, hint);
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) throw new LayerError(`${KIND}'s ${name} must be a positive integer but gets ${formatValue(v)}`, hint);
    return v;
  };
  const numHeads = posInt('num_heads', a.num_heads, 'For example layers.MultiHeadAttention(num_heads=4, key_dim=16)');
  const keyDim = posInt('key_dim', a.key_dim, 'key_dim is the size of each head, often d_model // num_heads: layers.MultiHeadAttention(num_heads=4, key_dim=16)');
  const valueDim = a.value_dim === null || a.value_dim === undefined ? keyDim : posInt('value_dim', a.value_dim, 'Leave value_dim out to use key_dim');
  const dropout = checkNumber(KIND, 'dropout', a.dropout, 0, 0.999);
  let outputShape: number[] | null = null;
  if (a.output_shape !== null && a.output_shape !== undefined) {
    const v = a.output_shape;
    const dims = typeof v === 'number' ? [v] : Array.isArray(v) ? v : null;
    if (!dims || dims.length === 0 || !dims.every((d) => typeof d === 'number' && Number.isInteger(d) && d > 0)) {
      throw new LayerError(`${KIND}'s output_shape must be a positive integer or a tuple of them but gets ${formatValue(v)}`, 'For example output_shape=64, or leave it out to keep the query\'s width');
    }
    outputShape = dims as number[];
  }
  if (a.attention_axes !== null && a.attention_axes !== undefined) {
    throw new LayerError(`${KIND}'s attention_axes=${formatValue(a.attention_axes)} is not supported here`, 'Leave attention_axes out: the attention runs over the sequence axis of (steps, features) inputs');
  }
  if (a.flash_attention !== null && a.flash_attention !== undefined && checkBool(KIND, 'flash_attention', a.flash_attention) && dropout > 0) {
    // As Keras: flash attention never materialises the probabilities that dropout would drop.
    throw new LayerError(`${KIND}'s dropout=${dropout} is not supported with flash_attention=True`, 'Set dropout to 0.0, or leave flash_attention out');
  }
  for (const r of ['kernel_regularizer', 'bias_regularizer']) {
    if (a[r] !== null && a[r] !== undefined) throw new LayerError(`${KIND}'s ${r} is not supported here`, `Leave ${r} out`);
  }
  if (a.seed !== null && a.seed !== undefined && !Number.isInteger(a.seed)) throw new LayerError(`${KIND}'s seed must be an integer or None but gets ${formatValue(a.seed)}`);
  return {
    numHeads,
    keyDim,
    valueDim,
    dropout,
    useBias: checkBool(KIND, 'use_bias', a.use_bias),
    outputShape,
    kernelInitializer: checkInitializer(KIND, 'kernel_initializer', a.kernel_initializer),
    biasInitializer: checkInitializer(KIND, 'bias_initializer', a.bias_initializer)
  };
}

/** Where each call tensor sits in the node's inputs (key: the value's index when no key was given). */
export interface MhaRoles {
  query: number;
  value: number;
  key: number;
  /** Index of attention_mask, or null. */
  mask: number | null;
  causal: boolean;
}

const POSITIONAL = ['query', 'value', 'key', 'attention_mask'];

/**
 * The roles of a node's inputs from its `call` (the names the model builder bound each input to; without one, Keras'
 * positional order query, value, key, attention_mask) and the call keywords, checked.
 */
export function mhaRoles(count: number, call?: CallInfo): MhaRoles {
  const names = call?.inputNames ?? POSITIONAL.slice(0, count);
  if (names.length !== count) throw new LayerError(`${KIND} was called on ${count} tensors but ${names.length} are named`);
  for (const n of names) if (!POSITIONAL.includes(n)) throw new LayerError(`${KIND} has no call argument '${n}'`, `Its call is mha(query, value, key=None, attention_mask=None, use_causal_mask=False)`);
  const at = (n: string) => {
    const i = names.indexOf(n);
    return i < 0 ? null : i;
  };
  const query = at('query');
  const value = at('value');
  if (query === null || value === null) {
    throw new LayerError(`${KIND} needs a query and a value tensor`, 'Self-attention: mha(x, x); cross-attention: mha(queries, context)');
  }
  const args = call?.args ?? {};
  if (args.return_attention_scores === true) {
    throw new LayerError(`${KIND}'s return_attention_scores=True is not supported here`, 'Leave it out: the layer returns its output only; the Inspect panel draws the attention maps');
  }
  if (args.training !== null && args.training !== undefined) {
    throw new LayerError(`${KIND}'s call keyword training=${formatValue(args.training)} is not supported here`, 'Leave training out: fit trains with dropout, predict runs without');
  }
  const causal = args.use_causal_mask ?? false;
  if (typeof causal !== 'boolean') throw new LayerError(`${KIND}'s use_causal_mask must be True or False but gets ${formatValue(causal)}`);
  return { query, value, key: at('key') ?? value, mask: at('attention_mask'), causal };
}

/** The shapes (no batch axis) the layer works with, checked: every tensor a sequence (steps, features). */
export interface MhaShapes {
  tq: number;
  dq: number;
  tv: number;
  dv: number;
  dk: number;
  /** The attention_mask's shape, (T or 1, S or 1), if given. */
  mask: [number, number] | null;
  /** Output features: output_shape (flattened) or d_q. */
  out: number[];
}

function sequenceOf(role: string, s: Shape): [number, number] {
  if (s.length === 2) return s as [number, number];
  const hint =
    s.length === 1
      ? `${formatTuple(s)} has no time axis: for token ids add layers.Embedding(vocab_size, dim) before it; for one value per step add layers.Reshape(${formatTuple([s[0], 1])})`
      : `Attention over several axes (attention_axes) is not supported here: reshape to (steps, features) first, e.g. layers.Reshape(${formatTuple([sizeOf(s.slice(0, -1)), s[s.length - 1]])})`;
  throw new LayerError(`${KIND} needs a sequence (steps, features) as its ${role} but gets ${formatTuple(s)} here`, hint);
}

/** Checks the input shapes against Keras' rules and returns the sizes. */
export function mhaShapes(c: MhaConfig, inputs: Shape[], roles: MhaRoles): MhaShapes {
  const [tq, dq] = sequenceOf('query', inputs[roles.query]);
  const [tv, dv] = sequenceOf('value', inputs[roles.value]);
  const [tk, dk] = sequenceOf('key', inputs[roles.key]);
  // Keras' build: "All dimensions of `value` and `key`, except the last one, must be equal". Query and value may
  // differ in length (cross-attention) and in width (each has its own projection).
  if (tk !== tv) {
    throw new LayerError(
      `${KIND}'s key has ${tk} steps but its value has ${tv}: each key position is paired with the value at the same position`,
      'Give key and value the same length (the widths may differ), or leave key out to use the value'
    );
  }
  let mask: [number, number] | null = null;
  if (roles.mask !== null) {
    const m = inputs[roles.mask];
    const fits = (got: number, want: number) => got === want || got === 1;
    if (m.length !== 2 || !fits(m[0], tq) || !fits(m[1], tv)) {
      throw new LayerError(
        `${KIND}'s attention_mask must have the shape (query steps, value steps) = ${formatTuple([tq, tv])} but gets ${formatTuple(m)}`,
        `Row t of the mask says which of the ${tv} value positions query position t may attend to (1) or not (0)`
      );
    }
    mask = [m[0], m[1]];
  }
  return { tq, dq, tv, dv, dk, mask, out: c.outputShape ?? [dq] };
}

/** Keras' output shape: (T, *output_shape), or (T, d_q). */
export function mhaOutputShape(c: MhaConfig, s: MhaShapes): Shape {
  return [s.tq, ...s.out];
}

/** Keras' weight shapes (its layout), in Keras' `layer.weights` order. */
export function mhaWeightShapes(c: MhaConfig, s: MhaShapes): [string, number[]][] {
  const h = c.numHeads;
  const w: [string, number[]][] = [];
  const dense = (name: string, kernel: number[], bias: number[]) => {
    w.push([`${name}/kernel`, kernel]);
    if (c.useBias) w.push([`${name}/bias`, bias]);
  };
  dense('query', [s.dq, h, c.keyDim], [h, c.keyDim]);
  dense('key', [s.dk, h, c.keyDim], [h, c.keyDim]);
  dense('value', [s.dv, h, c.valueDim], [h, c.valueDim]);
  dense('attention_output', [h, c.valueDim, ...s.out], s.out);
  return w;
}

/**
 * Keras' parameter count: the four projections' kernels and biases,
 *   (d_q + d_k)·H·key_dim + d_v·H·value_dim + H·value_dim·o  [+ 2·H·key_dim + H·value_dim + o with use_bias],
 * o = prod(output_shape) or d_q.
 */
export function mhaParams(c: MhaConfig, s: MhaShapes): number {
  return mhaWeightShapes(c, s).reduce((n, [, shape]) => n + sizeOf(shape), 0);
}

/**
 * FLOPs per sample (multiply-add = 2; biases, the scale, the mask and the softmax not counted):
 *   projections  2·T·d_q·H·key_dim + 2·S·d_k·H·key_dim + 2·S·d_v·H·value_dim
 *   scores       2·H·T·S·key_dim        (Q·Kᵀ per head)
 *   mixing       2·H·T·S·value_dim      (P·V per head)
 *   output       2·T·H·value_dim·o
 */
export function mhaFlops(c: MhaConfig, s: MhaShapes): number {
  const h = c.numHeads;
  const o = sizeOf(s.out);
  const proj = 2 * s.tq * s.dq * h * c.keyDim + 2 * s.tv * s.dk * h * c.keyDim + 2 * s.tv * s.dv * h * c.valueDim;
  return proj + 2 * h * s.tq * s.tv * (c.keyDim + c.valueDim) + 2 * s.tq * h * c.valueDim * o;
}

/** Keras' `_large_negative_number` for float32: what a masked score is replaced with before the softmax. */
export const MASKED_SCORE = -1e9;

/** The causal mask (T, S) as 0/1 floats: query position i may attend to key position j ≤ i (Keras' row ≥ column). */
export function causalMask(tq: number, tv: number): Float32Array {
  const m = new Float32Array(tq * tv);
  for (let i = 0; i < tq; i++) for (let j = 0; j < tv; j++) m[i * tv + j] = j <= i ? 1 : 0;
  return m;
}

// ---------------------------------------------------------------------------------------------------------------
// TF.js

export interface MhaWeights {
  query: { kernel: TF.Tensor; bias?: TF.Tensor };
  key: { kernel: TF.Tensor; bias?: TF.Tensor };
  value: { kernel: TF.Tensor; bias?: TF.Tensor };
  attention_output: { kernel: TF.Tensor; bias?: TF.Tensor };
}

/**
 * The attention in TF.js ops. `inputs` are the node's tensors (node.inputs order). `dropMask(shape)` gives the
 * scaled keep-mask of the attention probabilities (B, H, T, S) when training with dropout. Returns the output and the
 * attention probabilities (after mask and softmax, before dropout).
 */
export function tfjsAttention(
  tf: Tfjs,
  c: MhaConfig,
  roles: MhaRoles,
  w: MhaWeights,
  inputs: TF.Tensor[],
  dropMask?: (shape: number[]) => TF.Tensor
): { output: TF.Tensor; probs: TF.Tensor } {
  const h = c.numHeads;
  const [b, tq, dq] = inputs[roles.query].shape as number[];
  const tv = inputs[roles.value].shape[1] as number;
  // (B, T, d) · (d, H·e) → (B, T, H, e) + bias (H, e): one matMul for all the heads.
  const project = (x: TF.Tensor, d: { kernel: TF.Tensor; bias?: TF.Tensor }, e: number) => {
    const [, t, f] = x.shape as number[];
    const y = tf.reshape(tf.matMul(tf.reshape(x, [b * t, f]), tf.reshape(d.kernel, [f, h * e])), [b, t, h, e]);
    return d.bias ? tf.add(y, d.bias) : y;
  };
  const q = tf.mul(project(inputs[roles.query], w.query, c.keyDim), 1 / Math.sqrt(c.keyDim));
  const k = project(inputs[roles.key], w.key, c.keyDim);
  const v = project(inputs[roles.value], w.value, c.valueDim);
  // (B, H, T, key_dim) · (B, H, key_dim, S) → (B, H, T, S)
  let scores = tf.matMul(tf.transpose(q, [0, 2, 1, 3]), tf.transpose(k, [0, 2, 3, 1]));
  let keep: TF.Tensor | null = null;
  if (roles.mask !== null) {
    const m = inputs[roles.mask];
    let allowed = tf.expandDims(m, 1); // (B, 1, T|1, S|1)
    if (roles.causal) allowed = tf.mul(allowed, tf.tensor(causalMask(tq, tv), [tq, tv]));
    keep = tf.notEqual(allowed, 0);
    scores = tf.where(tf.broadcastTo(keep, scores.shape), scores, tf.fill(scores.shape, MASKED_SCORE));
  } else if (roles.causal) {
    // Only the causal mask: no row is masked entirely, so adding −1e9 gives the same probabilities as Keras' where.
    const bias = Float32Array.from(causalMask(tq, tv), (x) => (x ? 0 : MASKED_SCORE));
    scores = tf.add(scores, tf.tensor(bias, [tq, tv]));
  }
  let probs = tf.softmax(scores, -1);
  if (keep) probs = tf.where(tf.broadcastTo(keep, probs.shape), probs, tf.zerosLike(probs));
  const dropped = dropMask ? tf.mul(probs, dropMask(probs.shape as number[])) : probs;
  // (B, H, T, S) · (B, H, S, value_dim) → (B, H, T, value_dim) → (B·T, H·value_dim)
  const ctx = tf.reshape(tf.transpose(tf.matMul(dropped, tf.transpose(v, [0, 2, 1, 3])), [0, 2, 1, 3]), [b * tq, h * c.valueDim]);
  const outShape = c.outputShape ?? [dq];
  const o = sizeOf(outShape);
  let out = tf.matMul(ctx, tf.reshape(w.attention_output.kernel, [h * c.valueDim, o]));
  if (w.attention_output.bias) out = tf.add(out, tf.reshape(w.attention_output.bias, [o]));
  return { output: tf.reshape(out, [b, tq, ...outShape]), probs };
}

export interface MhaLayerArgs {
  name: string;
  mha: MhaConfig;
  /** Roles as indices into the node's inputs (`node.inputs` order). */
  roles: MhaRoles;
  /**
   * For each of the node's inputs, its index in the list the TF.js layer is applied to: the node's distinct inputs, in
   * order of first use (`mha(h, h)` is applied to [h]; see `CallDef`).
   */
  slots: number[];
  seed: number;
}

/** `MhaLayerArgs.slots` for a node's input ids. */
export function distinctSlots(inputs: readonly string[]): number[] {
  const distinct = [...new Set(inputs)];
  return inputs.map((id) => distinct.indexOf(id));
}

/** What the TF.js layer offers beyond tfjs-layers' Layer (used by `attentionScoresTfjs` and the seeded dropout masks). */
export interface MhaTfjsLayer extends TF.layers.Layer {
  readonly kerasClassName: string;
  cfg: MhaLayerArgs;
  /** The attention probabilities (B, H, T, S) for the node's input tensors (no dropout). */
  attentionScores(inputs: TF.Tensor[]): TF.Tensor;
  /**
   * Makes training use these keep-masks (scaled by 1 / (1 − rate)) on the attention probabilities instead of random
   * ones: `$lib/compile/dropout-masks` passes its seeded masks, so eager and compiled steps drop the same entries.
   */
  useDropoutMask(mask: ((shape: number[]) => TF.Tensor) | null): void;
}

const classes = new WeakMap<object, new (cfg: MhaLayerArgs) => MhaTfjsLayer>();

/** The TF.js layer of MultiHeadAttention (one class per TF.js instance, registered for serialization). */
export function mhaLayer(tf: Tfjs, args: MhaLayerArgs): MhaTfjsLayer {
  let Cls = classes.get(tf);
  if (!Cls) {
    class KerasMultiHeadAttention extends tf.layers.Layer {
      static className = 'KerasMultiHeadAttention';
      cfg: MhaLayerArgs;
      readonly kerasClassName = KIND;
      w: Record<string, TF.LayerVariable> = {};
      private mask: ((shape: number[]) => TF.Tensor) | null = null;
      constructor(cfg: MhaLayerArgs) {
        super({ name: cfg.name });
        this.cfg = cfg;
      }
      /** The applied (distinct) inputs → the node's inputs, in node.inputs order. */
      private nodeOrder<X>(applied: X | X[]): X[] {
        const list = Array.isArray(applied) ? applied : [applied];
        return this.cfg.slots.map((i) => list[i]);
      }
      private shapesOf(inputShape: TF.Shape | TF.Shape[]): MhaShapes {
        const list = this.nodeOrder((Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as TF.Shape[]);
        return mhaShapes(this.cfg.mha, list.map((s) => s.slice(1) as number[]), this.cfg.roles);
      }
      build(inputShape: TF.Shape | TF.Shape[]) {
        const c = this.cfg.mha;
        const add = (this as unknown as { addWeight: (n: string, s: number[], d: string, i: unknown) => TF.LayerVariable }).addWeight.bind(this);
        // Keras' order (query, key, value, attention_output; kernel then bias), each weight its own seed.
        mhaWeightShapes(c, this.shapesOf(inputShape)).forEach(([name, shape], i) => {
          const init = name.endsWith('/kernel') ? c.kernelInitializer : c.biasInitializer;
          this.w[name] = add(name, shape, 'float32', tfjsInitializer(tf, init, this.cfg.seed + i));
        });
        this.built = true;
      }
      computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
        const list = this.nodeOrder((Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as TF.Shape[]);
        return [list[this.cfg.roles.query][0], ...mhaOutputShape(this.cfg.mha, this.shapesOf(inputShape))];
      }
      private weights4(): MhaWeights {
        const d = (n: string) => ({ kernel: this.w[`${n}/kernel`].read(), bias: this.w[`${n}/bias`]?.read() });
        return { query: d('query'), key: d('key'), value: d('value'), attention_output: d('attention_output') };
      }
      call(inputs: TF.Tensor | TF.Tensor[], kwargs: Record<string, unknown>): TF.Tensor {
        const xs = this.nodeOrder(inputs);
        const rate = this.cfg.mha.dropout;
        const training = Boolean(kwargs?.training) && rate > 0;
        return tf.tidy(() => {
          const drop = !training ? undefined : (this.mask ?? ((shape: number[]) => tf.div(tf.step(tf.sub(tf.randomUniform(shape), rate)), 1 - rate)));
          return tfjsAttention(tf, this.cfg.mha, this.cfg.roles, this.weights4(), xs, drop).output;
        });
      }
      attentionScores(inputs: TF.Tensor[]): TF.Tensor {
        // The node's tensors (node.inputs order), or the distinct ones the layer was applied to (`layer.input`).
        const xs = inputs.length === this.cfg.slots.length ? inputs : this.nodeOrder(inputs);
        return tf.tidy(() => tfjsAttention(tf, this.cfg.mha, this.cfg.roles, this.weights4(), xs).probs);
      }
      useDropoutMask(mask: ((shape: number[]) => TF.Tensor) | null) {
        this.mask = mask;
      }
      getConfig() {
        return { ...super.getConfig(), mha: this.cfg.mha as unknown as TF.serialization.ConfigDictValue, roles: this.cfg.roles as unknown as TF.serialization.ConfigDictValue, slots: this.cfg.slots, seed: this.cfg.seed };
      }
    }
    // Registered so that a saved model (the app's TF.js export) loads back. TF.js' serialization camel-cases the
    // config's string values on load (glorot_uniform → glorotUniform): fromConfig turns the initializers back.
    (KerasMultiHeadAttention as unknown as { fromConfig: unknown }).fromConfig = (cls: new (c: MhaLayerArgs) => MhaTfjsLayer, config: Record<string, unknown>) => {
      const snake = (s: string) => s.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
      const m = config.mha as MhaConfig;
      return new cls({
        name: config.name as string,
        mha: { ...m, kernelInitializer: snake(m.kernelInitializer), biasInitializer: snake(m.biasInitializer) },
        roles: config.roles as MhaRoles,
        slots: config.slots as number[],
        seed: config.seed as number
      });
    };
    tf.serialization.registerClass(KerasMultiHeadAttention);
    Cls = KerasMultiHeadAttention as unknown as new (cfg: MhaLayerArgs) => MhaTfjsLayer;
    classes.set(tf, Cls);
  }
  return new Cls(args);
}

/**
 * The attention probabilities (batch, heads, T_q, T_k) — after the mask and the softmax, before dropout — of a
 * MultiHeadAttention layer built by its `toTfjs`, for the tensors its node was called on (in `node.inputs` order; the
 * layer's own `layer.input` list, its distinct tensors, is accepted too). The caller owns the returned tensor.
 * Throws for any other layer.
 */
export function attentionScoresTfjs(tf: Tfjs, layer: TF.layers.Layer, inputs: TF.Tensor[]): TF.Tensor {
  const l = layer as Partial<MhaTfjsLayer>;
  if (l.kerasClassName !== KIND || typeof l.attentionScores !== 'function') throw new Error(`${layer.name} is not a MultiHeadAttention layer`);
  void tf;
  return l.attentionScores(inputs);
}

// ---------------------------------------------------------------------------------------------------------------
// ONNX

/**
 * The attention in ONNX ops (Keras layout in and out), for the export and the train step alike: per projection one
 * MatMul against the kernel seen as (d, H·e) (all heads at once), a Reshape to (B, T, H, e), the bias Add and a
 * Transpose to heads-first; one batched MatMul for the scores of all heads, the mask (an Add of a constant for the
 * causal mask alone; Where for an attention_mask), Softmax, one batched MatMul with V, Transpose and Reshape back,
 * one MatMul with the output kernel seen as (H·value_dim, o). About 20 nodes, independent of the number of heads.
 */
export function onnxAttention(
  g: GraphBuilder,
  id: string,
  c: MhaConfig,
  roles: MhaRoles,
  s: MhaShapes,
  inputs: string[],
  weight: (name: string) => string,
  dropMask?: (shape: number[]) => string
): string {
  const h = c.numHeads;
  const n = (opType: string, ins: string[], what: string, attrs = {}) => op(g, id, opType, ins, attrs, what);
  const shape = (dims: number[]) => g.constInt64(dims);
  // (B, T, d) → (B, T, H, e) (+ bias (H, e)); Reshape's 0 keeps the batch size.
  const project = (x: string, name: string, d: number, t: number, e: number) => {
    const kernel = n('Reshape', [weight(`${name}/kernel`), shape([d, h * e])], `${name}_kernel_2d`);
    let y = n('Reshape', [n('MatMul', [x, kernel], `${name}_matmul`), shape([0, t, h, e])], `${name}_heads`);
    if (c.useBias) y = n('Add', [y, weight(`${name}/bias`)], `${name}_bias`);
    return y;
  };
  let q = project(inputs[roles.query], 'query', s.dq, s.tq, c.keyDim);
  q = n('Mul', [q, g.constFloat(1 / Math.sqrt(c.keyDim), [], `${id}/scale`)], 'query_scale');
  const k = project(inputs[roles.key], 'key', s.dk, s.tv, c.keyDim);
  const v = project(inputs[roles.value], 'value', s.dv, s.tv, c.valueDim);
  const qh = n('Transpose', [q], 'query_t', { perm: [0, 2, 1, 3] }); // (B, H, T, key_dim)
  const kt = n('Transpose', [k], 'key_t', { perm: [0, 2, 3, 1] }); // (B, H, key_dim, S)
  const vh = n('Transpose', [v], 'value_t', { perm: [0, 2, 1, 3] }); // (B, H, S, value_dim)
  let scores = n('MatMul', [qh, kt], 'scores'); // (B, H, T, S)
  let keep: string | null = null;
  if (roles.mask !== null) {
    // Keras: where(mask, scores, −1e9), softmax, where(mask, probs, 0); mask = (attention_mask ≠ 0) [∧ causal].
    let allowed = n('Unsqueeze', [inputs[roles.mask], g.constInt64([1])], 'mask_heads'); // (B, 1, T, S)
    if (roles.causal) allowed = n('Mul', [allowed, g.constFloat(causalMask(s.tq, s.tv), [s.tq, s.tv], `${id}/causal`)], 'mask_causal');
    keep = n('Not', [n('Equal', [allowed, g.constFloat(0, [], `${id}/zero`)], 'mask_zero')], 'mask_keep');
    scores = n('Where', [keep, scores, g.constFloat(MASKED_SCORE, [], `${id}/masked`)], 'mask_scores');
  } else if (roles.causal) {
    const bias = Float32Array.from(causalMask(s.tq, s.tv), (x) => (x ? 0 : MASKED_SCORE));
    scores = n('Add', [scores, g.constFloat(bias, [s.tq, s.tv], `${id}/causal_bias`)], 'causal_mask');
  }
  let probs = n('Softmax', [scores], 'softmax', { axis: -1 });
  if (keep) probs = n('Where', [keep, probs, g.constFloat(0, [], `${id}/zero_probs`)], 'mask_probs');
  if (dropMask) probs = n('Mul', [probs, dropMask([h, s.tq, s.tv])], 'dropout');
  const ctx = n('Transpose', [n('MatMul', [probs, vh], 'mix')], 'mix_t', { perm: [0, 2, 1, 3] }); // (B, T, H, value_dim)
  const o = sizeOf(s.out);
  const flat = n('Reshape', [ctx, shape([0, s.tq, h * c.valueDim])], 'concat_heads');
  let out = n('MatMul', [flat, n('Reshape', [weight('attention_output/kernel'), shape([h * c.valueDim, o])], 'output_kernel_2d')], 'output_matmul');
  if (c.useBias) out = n('Add', [out, s.out.length === 1 ? weight('attention_output/bias') : n('Reshape', [weight('attention_output/bias'), shape([o])], 'output_bias_flat')], 'output_bias');
  return s.out.length === 1 ? out : n('Reshape', [out, shape([0, s.tq, ...s.out])], 'output_shape');
}

// ---------------------------------------------------------------------------------------------------------------
// PyTorch

/**
 * The PyTorch lowering: Keras-layout parameters (`<attr>_query_kernel` (d_q, H, key_dim), ...) and a function
 * `self.<attr>_run(query, value, key, mask)` computing Keras' formulas with torch.einsum (the einsums Keras'
 * EinsumDense and `_build_attention_equation` use).
 */
export function pytorchAttention(c: MhaConfig, roles: MhaRoles, s: MhaShapes, p: string, inputs: string[]): PytorchLowering {
  const init: string[] = [];
  const weights: NonNullable<PytorchLowering['weights']> = [];
  for (const [name, shape] of mhaWeightShapes(c, s)) {
    const t = `${p}_${name.replace('/', '_')}`;
    init.push(`self.${t} = nn.Parameter(torch.empty(${shape.join(', ')}))`);
    weights.push({ keras: name, torch: t, shape, init: name.endsWith('/kernel') ? c.kernelInitializer : c.biasInitializer });
  }
  const bias = (name: string) => (c.useBias ? ` + self.${p}_${name}_bias` : '');
  const o = sizeOf(s.out);
  const lines = [
    '',
    `def ${p}_run(query, value, key, mask=None):`,
    `    """Keras' MultiHeadAttention (${c.numHeads} heads, key_dim ${c.keyDim}, value_dim ${c.valueDim}${roles.causal ? ', causal' : ''}): (batch, T, ${s.out.join(', ')})."""`,
    `    q = torch.einsum("btd,dhk->bthk", query, self.${p}_query_kernel)${bias('query')}`,
    `    k = torch.einsum("bsd,dhk->bshk", key, self.${p}_key_kernel)${bias('key')}`,
    `    v = torch.einsum("bsd,dhk->bshk", value, self.${p}_value_kernel)${bias('value')}`,
    `    q = q * ${pyNum(1 / Math.sqrt(c.keyDim))}  # 1 / sqrt(key_dim), on the query as Keras does`,
    '    scores = torch.einsum("bshk,bthk->bhts", k, q)'
  ];
  const keep: string[] = [];
  if (roles.mask !== null) keep.push('(mask != 0)[:, None]');
  if (roles.causal) keep.push('torch.ones(q.shape[1], k.shape[1], dtype=torch.bool, device=q.device).tril()');
  if (keep.length) {
    lines.push(`    keep = ${keep.join(' & ')}  # may attend`, '    scores = scores.masked_fill(~keep, -1e9)');
  }
  lines.push('    probs = torch.softmax(scores, -1)');
  if (roles.mask !== null) lines.push('    probs = probs.masked_fill(~keep, 0.0)  # a row masked entirely gives zeros, as in Keras');
  if (c.dropout > 0) lines.push(`    probs = F.dropout(probs, ${pyNum(c.dropout)}, self.training)`);
  lines.push(
    '    ctx = torch.einsum("bhts,bshv->bthv", probs, v)',
    `    out = ctx.reshape(ctx.shape[0], ctx.shape[1], -1) @ self.${p}_attention_output_kernel.reshape(${c.numHeads * c.valueDim}, ${o})${c.useBias ? ` + self.${p}_attention_output_bias.reshape(${o})` : ''}`,
    s.out.length === 1 ? '    return out' : `    return out.reshape(out.shape[0], out.shape[1], ${s.out.join(', ')})`,
    `self.${p}_run = ${p}_run`
  );
  init.push(...lines);
  const args = [inputs[roles.query], inputs[roles.value], inputs[roles.key]];
  if (roles.mask !== null) args.push(inputs[roles.mask]);
  return { init, forward: `self.${p}_run(${args.join(', ')})`, weights };
}
