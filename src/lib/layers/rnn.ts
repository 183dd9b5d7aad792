/**
 * What SimpleRNN, LSTM, GRU (and Bidirectional, which wraps one of them) share: Keras 3 arguments, validation, shapes,
 * parameter and FLOP counts, and the three lowerings of the recurrence.
 *
 * Keras formulas (`keras/src/layers/rnn/*.py`), per time step t, from zero initial states:
 *   SimpleRNN  h = act(x·W + b + h₋·U)
 *   LSTM       [i f c o] = x·W + h₋·U + b;  c = ra(f)·c₋ + ra(i)·act(c̃);  h = ra(o)·act(c)
 *   GRU        [z r h] gates; reset_after=True:  z = ra(x·W_z + b_z + h₋·U_z + b'_z), r likewise,
 *              h̃ = act(x·W_h + b_h + r·(h₋·U_h + b'_h));  reset_after=False: h̃ = act(x·W_h + b_h + (r·h₋)·U_h);
 *              h = z·h₋ + (1 − z)·h̃
 * Weights (Keras layout): kernel (features, G·units), recurrent_kernel (units, G·units), bias (G·units), GRU with
 * reset_after=True bias (2, 3·units). go_backwards reads the sequence from its end and returns the outputs in that
 * (reversed) order, as Keras does.
 *
 * Lowerings:
 *   TF.js — one custom layer built from tf ops (`KerasRecurrent`), not tfjs-layers' LSTM/GRU/SimpleRNN: TF.js' GRU has
 *           no reset_after and its defaults differ (hard_sigmoid); one class keeps the three formulas in one place.
 *   ONNX  — the recurrence unrolled in time with primitive ops (MatMul, Add, Split, Squeeze, Sigmoid, Tanh, Mul, Sub,
 *           Unsqueeze, Concat), for the exported model and the compiled train step alike.
 */
import type { ArgValue, Shape } from '$lib/spec/types';
import type { GraphBuilder } from '$lib/onnx/graph';
import type * as TF from '@tensorflow/tfjs';
import { ACTIVATION_NAMES, LEAKY_RELU_SLOPE, onnxActivation, pytorchActivation } from './activations';
import type { PytorchWeight } from '$lib/pytorch/types';
import { INITIALIZER_NAMES, tfjsInitializer } from './initializers';
import { op } from './onnx-ops';
import { LayerError, type ArgDef, type Tfjs } from './types';
import { checkActivation, checkBool, checkInt, formatTuple, formatValue, withArgDefaults } from './util';
import type { RnnKind } from './rnn-reference';
import { Rng } from '$lib/data/rng';

export type { RnnKind } from './rnn-reference';
export const RNN_KINDS: readonly RnnKind[] = ['SimpleRNN', 'LSTM', 'GRU'];

/** Initializers accepted by the recurrent layers: the usual ones plus `orthogonal` (recurrent_kernel's default). */
export const RNN_INITIALIZER_NAMES = [...INITIALIZER_NAMES, 'orthogonal'] as const;

export const GATES: Record<RnnKind, number> = { SimpleRNN: 1, LSTM: 4, GRU: 3 };

/** Keras' snake_case name of a layer class, as in its default layer names (`simple_rnn`, `lstm`, `gru`). */
export const SNAKE: Record<RnnKind, string> = { SimpleRNN: 'simple_rnn', LSTM: 'lstm', GRU: 'gru' };

/** The Keras 3 arguments of each recurrent layer, in Keras' positional order (those supported or refused by name). */
export function rnnArgs(kind: RnnKind): ArgDef[] {
  const init = (name: string, def: string, doc: string): ArgDef => ({ name, type: 'initializer', default: def, values: RNN_INITIALIZER_NAMES, doc });
  const args: ArgDef[] = [
    { name: 'units', type: 'int', min: 1, doc: 'Dimensionality of the output space: the size of the hidden state.' },
    { name: 'activation', type: 'activation', default: 'tanh', values: ACTIVATION_NAMES, doc: 'Activation function to use (default tanh). None means linear.' }
  ];
  if (kind !== 'SimpleRNN') {
    args.push({ name: 'recurrent_activation', type: 'activation', default: 'sigmoid', values: ACTIVATION_NAMES, doc: 'Activation function of the gates (default sigmoid).' });
  }
  args.push(
    { name: 'use_bias', type: 'bool', default: true, doc: 'Whether the layer uses a bias vector.' },
    init('kernel_initializer', 'glorot_uniform', 'Initializer of the kernel weights, for the linear transformation of the inputs.'),
    init('recurrent_initializer', 'orthogonal', 'Initializer of the recurrent_kernel weights, for the linear transformation of the recurrent state.'),
    init('bias_initializer', 'zeros', 'Initializer of the bias vector.')
  );
  if (kind === 'LSTM') {
    args.push({ name: 'unit_forget_bias', type: 'bool', default: true, doc: 'If True, add 1 to the bias of the forget gate at initialization (and use zeros for its bias_initializer), as recommended by Jozefowicz et al.' });
  }
  args.push(
    { name: 'dropout', type: 'float', default: 0, min: 0, max: 1, doc: 'Fraction of the units to drop for the linear transformation of the inputs; only 0 is supported here.' },
    { name: 'recurrent_dropout', type: 'float', default: 0, min: 0, max: 1, doc: 'Fraction of the units to drop for the linear transformation of the recurrent state; only 0 is supported here.' },
    { name: 'seed', type: 'int', default: null, doc: 'Random seed for dropout (no effect here: dropout is 0).' },
    { name: 'return_sequences', type: 'bool', default: false, doc: 'Whether to return the last output in the output sequence (False, (units,)), or the full sequence (True, (steps, units)).' },
    { name: 'return_state', type: 'bool', default: false, doc: 'Whether to return the last state in addition to the output; not supported here.' },
    { name: 'go_backwards', type: 'bool', default: false, doc: 'If True, process the input sequence backwards and return the reversed sequence.' },
    { name: 'stateful', type: 'bool', default: false, doc: 'If True, the last state of each sample is the initial state of the sample in the next batch; not supported here.' },
    { name: 'unroll', type: 'bool', default: false, doc: 'Unroll the network (a speed/memory trade-off only; the numbers are the same).' }
  );
  if (kind === 'GRU') {
    args.push({ name: 'reset_after', type: 'bool', default: true, doc: 'GRU convention: whether to apply the reset gate after (True, Keras\' default, the cuDNN-compatible form) or before the matrix multiplication.' });
  }
  return args;
}

export interface RnnConfig {
  kind: RnnKind;
  units: number;
  activation: string | null;
  recurrentActivation: string | null;
  useBias: boolean;
  kernelInitializer: string;
  recurrentInitializer: string;
  biasInitializer: string;
  unitForgetBias: boolean;
  resetAfter: boolean;
  returnSequences: boolean;
  goBackwards: boolean;
}

function checkRnnInitializer(layer: string, name: string, v: ArgValue | undefined): string {
  if (typeof v !== 'string' || !(RNN_INITIALIZER_NAMES as readonly string[]).includes(v)) {
    throw new LayerError(`${layer}'s ${name} ${formatValue(v)} is not available here`, `Supported: ${RNN_INITIALIZER_NAMES.map((a) => `"${a}"`).join(', ')}`);
  }
  return v;
}

/** Validates a recurrent layer's arguments (defaults filled) and returns its configuration. */
export function rnnConfig(kind: RnnKind, raw: Record<string, ArgValue>): RnnConfig {
  const a = withArgDefaults(rnnArgs(kind), raw);
  const units = checkInt(kind, 'units', a.units);
  for (const name of ['dropout', 'recurrent_dropout']) {
    const v = a[name];
    if (typeof v !== 'number' || v < 0 || v >= 1) throw new LayerError(`${kind}'s ${name} must be a number in [0, 1) but gets ${formatValue(v)}`);
    if (v !== 0) throw new LayerError(`${kind}'s ${name}=${v} is not supported here: only ${name}=0`, `Leave ${name} out, or add a layers.Dropout before or after the ${kind}`);
  }
  if (checkBool(kind, 'return_state', a.return_state)) throw new LayerError(`${kind}'s return_state=True is not supported here`, 'Leave return_state out: the layer returns its output only');
  if (checkBool(kind, 'stateful', a.stateful)) throw new LayerError(`${kind}'s stateful=True is not supported here`, 'Leave stateful out: every batch starts from zero states');
  checkBool(kind, 'unroll', a.unroll);
  if (a.seed !== null && a.seed !== undefined && !Number.isInteger(a.seed)) throw new LayerError(`${kind}'s seed must be an integer or None but gets ${formatValue(a.seed)}`);
  return {
    kind,
    units,
    activation: checkActivation(kind, a.activation, true),
    recurrentActivation: kind === 'SimpleRNN' ? null : checkActivation(kind, a.recurrent_activation, true),
    useBias: checkBool(kind, 'use_bias', a.use_bias),
    kernelInitializer: checkRnnInitializer(kind, 'kernel_initializer', a.kernel_initializer),
    recurrentInitializer: checkRnnInitializer(kind, 'recurrent_initializer', a.recurrent_initializer),
    biasInitializer: checkRnnInitializer(kind, 'bias_initializer', a.bias_initializer),
    unitForgetBias: kind === 'LSTM' ? checkBool(kind, 'unit_forget_bias', a.unit_forget_bias) : false,
    resetAfter: kind === 'GRU' ? checkBool(kind, 'reset_after', a.reset_after) : false,
    returnSequences: checkBool(kind, 'return_sequences', a.return_sequences),
    goBackwards: checkBool(kind, 'go_backwards', a.go_backwards)
  };
}

/** Throws unless the input is a sequence (steps, features); the hint says what to add. */
export function requireSequence(layer: string, input: Shape): [number, number] {
  if (input.length === 2) return input as [number, number];
  if (input.length === 1) {
    throw new LayerError(
      `${layer} needs a sequence (steps, features) but gets ${formatTuple(input)} here: there is no time axis`,
      `add layers.Embedding(vocab_size, 16) before it for token ids, or layers.Reshape((${input[0]}, 1)) for ${input[0]} steps of one value`
    );
  }
  throw new LayerError(`${layer} needs a sequence (steps, features) but gets ${formatTuple(input)} here`, `add layers.Reshape((steps, features)) before it`);
}

export function rnnOutputShape(c: RnnConfig, input: Shape, layer: string = c.kind): Shape {
  const [steps] = requireSequence(layer, input);
  return c.returnSequences ? [steps, c.units] : [c.units];
}

/** Keras' parameter count: G·(F·U + U·U + U), GRU reset_after=True two biases: G·(F·U + U·U + 2U). */
export function rnnParams(c: RnnConfig, input: Shape): number {
  const [, f] = requireSequence(c.kind, input);
  const g = GATES[c.kind];
  const biases = c.useBias ? (c.resetAfter ? 2 : 1) : 0;
  return g * (f * c.units + c.units * c.units + biases * c.units);
}

/** FLOPs per sample: T · 2 · G · U · (F + U) (the two matrix products per step; gates and biases not counted). */
export function rnnFlops(c: RnnConfig, input: Shape): number {
  const [t, f] = requireSequence(c.kind, input);
  return t * 2 * GATES[c.kind] * c.units * (f + c.units);
}

/** Keras' weight shapes for a features-wide input. */
export function rnnWeightShapes(c: RnnConfig, features: number): Record<string, number[]> {
  const gu = GATES[c.kind] * c.units;
  const out: Record<string, number[]> = { kernel: [features, gu], recurrent_kernel: [c.units, gu] };
  if (c.useBias) out.bias = c.resetAfter ? [2, gu] : [gu];
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// TF.js

/** TF.js ops of an activation (Keras' definitions; gelu exact, leaky_relu slope 0.2). */
function tfActivation(tf: Tfjs, name: string | null): (x: TF.Tensor) => TF.Tensor {
  switch (name ?? 'linear') {
    case 'linear':
      return (x) => x;
    case 'tanh':
      return (x) => tf.tanh(x);
    case 'sigmoid':
      return (x) => tf.sigmoid(x);
    case 'relu':
      return (x) => tf.relu(x);
    case 'leaky_relu':
      return (x) => tf.leakyRelu(x, LEAKY_RELU_SLOPE);
    case 'elu':
      return (x) => tf.elu(x);
    case 'swish':
      return (x) => tf.mul(x, tf.sigmoid(x));
    case 'gelu':
      return (x) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.div(x, Math.SQRT2))));
    case 'softmax':
      return (x) => tf.softmax(x, -1);
    default:
      throw new Error(`unknown activation ${name}`);
  }
}

/**
 * Keras' `orthogonal` initializer for a (rows, cols) matrix, seeded: a standard normal (max, min) matrix, its QR
 * decomposition with R's diagonal made positive (here: modified Gram–Schmidt in float64, which yields exactly that
 * Q), transposed when rows < cols. TF.js' own orthogonal initializer takes 13 s for (128, 384) and 100 s for
 * (256, 768) on the cpu backend; this takes milliseconds.
 */
export function orthogonalMatrix(rows: number, cols: number, seed: number): Float32Array {
  const n = Math.max(rows, cols);
  const m = Math.min(rows, cols);
  const rng = new Rng(seed);
  // Columns of the (n, m) matrix, each a Float64Array of n.
  const q = Array.from({ length: m }, () => Float64Array.from({ length: n }, () => rng.normal()));
  for (let j = 0; j < m; j++) {
    const v = q[j];
    for (let i = 0; i < j; i++) {
      const qi = q[i];
      let dot = 0;
      for (let k = 0; k < n; k++) dot += qi[k] * v[k];
      for (let k = 0; k < n; k++) v[k] -= dot * qi[k];
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += v[k] * v[k];
    norm = Math.sqrt(norm);
    for (let k = 0; k < n; k++) v[k] /= norm;
  }
  const out = new Float32Array(rows * cols);
  // rows ≥ cols: out = Q (n = rows, m = cols); rows < cols: out = Qᵀ (m = rows, n = cols).
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = rows >= cols ? q[c][r] : q[r][c];
  return out;
}

export function tfjsRnnInitializer(tf: Tfjs, name: string, seed: number) {
  // orthogonal: zeros here, then written by `addRnnWeights` (orthogonalMatrix).
  return name === 'orthogonal' ? tf.initializers.zeros() : tfjsInitializer(tf, name, seed);
}

/**
 * Runs the recurrence in TF.js ops over x (batch, T, F). Returns the hidden state after every step, in processing
 * order (each (batch, units)).
 */
export function tfjsRecurrence(tf: Tfjs, c: RnnConfig, w: { kernel: TF.Tensor; recurrent: TF.Tensor; bias?: TF.Tensor }, x: TF.Tensor): TF.Tensor[] {
  const [b, t, f] = x.shape as number[];
  const u = c.units;
  const gu = GATES[c.kind] * u;
  const act = tfActivation(tf, c.activation);
  const ract = tfActivation(tf, c.recurrentActivation);
  let inBias: TF.Tensor | undefined;
  let recBias: TF.Tensor | undefined;
  if (w.bias) {
    if (c.resetAfter) {
      const [b0, b1] = tf.unstack(w.bias, 0);
      inBias = b0;
      recBias = b1;
    } else inBias = w.bias;
  }
  let xw = tf.reshape(tf.matMul(tf.reshape(x, [b * t, f]), w.kernel), [b, t, gu]);
  if (inBias) xw = tf.add(xw, inBias);
  let steps = tf.unstack(xw, 1);
  // A reversed copy: reversing the array tf.unstack returned in place would also reorder the outputs TF.js' tape
  // recorded for its gradient (the eager gradients then come out in the wrong time order).
  if (c.goBackwards) steps = steps.slice().reverse();
  let h: TF.Tensor = tf.zeros([b, u]);
  let cell: TF.Tensor = tf.zeros([b, u]);
  const out: TF.Tensor[] = [];
  const uh = c.kind === 'GRU' && !c.resetAfter ? tf.split(w.recurrent, [2 * u, u], 1) : null;
  for (const xt of steps) {
    if (c.kind === 'SimpleRNN') {
      h = act(tf.add(xt, tf.matMul(h, w.recurrent)));
    } else if (c.kind === 'LSTM') {
      const z = tf.add(xt, tf.matMul(h, w.recurrent));
      const [zi, zf, zc, zo] = tf.split(z, 4, 1);
      cell = tf.add(tf.mul(ract(zf), cell), tf.mul(ract(zi), act(zc)));
      h = tf.mul(ract(zo), act(cell));
    } else {
      const [xz, xr, xh] = tf.split(xt, 3, 1);
      let hh: TF.Tensor;
      let z: TF.Tensor;
      if (c.resetAfter) {
        let inner = tf.matMul(h, w.recurrent);
        if (recBias) inner = tf.add(inner, recBias);
        const [rz, rr, rh] = tf.split(inner, 3, 1);
        z = ract(tf.add(xz, rz));
        const r = ract(tf.add(xr, rr));
        hh = act(tf.add(xh, tf.mul(r, rh)));
      } else {
        const [rz, rr] = tf.split(tf.matMul(h, uh![0]), 2, 1);
        z = ract(tf.add(xz, rz));
        const r = ract(tf.add(xr, rr));
        hh = act(tf.add(xh, tf.matMul(tf.mul(r, h), uh![1])));
      }
      h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
    }
    out.push(h);
  }
  return out;
}

/** The layer's output from the per-step states: the stacked sequence (batch, T, units) or the last state. */
export function tfjsRnnOutput(tf: Tfjs, c: RnnConfig, states: TF.Tensor[], reverse = false): TF.Tensor {
  if (!c.returnSequences) return states[states.length - 1];
  return tf.stack(reverse ? states.slice().reverse() : states, 1);
}

/** Adds one RNN's weights to a TF.js layer under `prefix` (e.g. '' or 'forward_lstm/'), with Keras' initializers. */
export function addRnnWeights(tf: Tfjs, layer: TF.layers.Layer, c: RnnConfig, features: number, seed: number, prefix: string) {
  const shapes = rnnWeightShapes(c, features);
  const add = (layer as unknown as { addWeight: (n: string, s: number[], d: string, i: unknown) => TF.LayerVariable }).addWeight.bind(layer);
  const kernel = add(`${prefix}kernel`, shapes.kernel, 'float32', tfjsRnnInitializer(tf, c.kernelInitializer, seed));
  const recurrent = add(`${prefix}recurrent_kernel`, shapes.recurrent_kernel, 'float32', tfjsRnnInitializer(tf, c.recurrentInitializer, seed + 1));
  for (const [v, init, s] of [
    [kernel, c.kernelInitializer, seed],
    [recurrent, c.recurrentInitializer, seed + 1]
  ] as const) {
    if (init !== 'orthogonal') continue;
    const [r, k] = v.shape as number[];
    const t = tf.tensor(orthogonalMatrix(r, k, s), [r, k]);
    v.write(t);
    t.dispose();
  }
  let bias: TF.LayerVariable | undefined;
  if (shapes.bias) {
    bias = add(`${prefix}bias`, shapes.bias, 'float32', tfjsRnnInitializer(tf, c.biasInitializer, seed + 2));
    if (c.unitForgetBias) {
      // Keras: concat([bias_initializer(units), ones(units), bias_initializer(2·units)]).
      const u = c.units;
      const v = bias.read();
      const parts = tf.split(v, [u, u, 2 * u]);
      const next = tf.concat([parts[0], tf.ones([u]), parts[2]]);
      bias.write(next);
      tf.dispose([...parts, next]);
    }
  }
  return { kernel, recurrent, bias };
}

/** Undoes TF.js' camel-casing of a saved config's strings (`glorotUniform` → `glorot_uniform`), layer kinds kept. */
export function unCamelConfig(v: unknown, key = ''): unknown {
  const bare = (x: string) => x.replace(/_/g, '').toLowerCase();
  if (typeof v === 'string') return key === 'kind' ? (RNN_KINDS.find((k) => bare(k) === bare(v)) ?? v) : v.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
  if (Array.isArray(v)) return v.map((x) => unCamelConfig(x));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unCamelConfig(x, k)]));
  return v;
}

const classes = new WeakMap<object, new (cfg: RecurrentLayerArgs) => TF.layers.Layer>();

export interface RecurrentLayerArgs {
  name: string;
  rnn: RnnConfig;
  seed: number;
}

/** The TF.js layer of SimpleRNN / LSTM / GRU (one class per TF.js instance, registered for serialization). */
export function recurrentLayer(tf: Tfjs, args: RecurrentLayerArgs): TF.layers.Layer {
  let Cls = classes.get(tf);
  if (!Cls) {
    class KerasRecurrent extends tf.layers.Layer {
      static className = 'KerasRecurrent';
      cfg: RecurrentLayerArgs;
      /** The Keras class the pictures show (`kerasClassName`), not the TF.js class the layer is serialized as. */
      readonly kerasClassName: string;
      w: ReturnType<typeof addRnnWeights> | null = null;
      constructor(cfg: RecurrentLayerArgs) {
        super({ name: cfg.name });
        this.cfg = cfg;
        this.kerasClassName = cfg.rnn.kind;
      }
      build(inputShape: TF.Shape | TF.Shape[]) {
        const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
        this.w = addRnnWeights(tf, this, this.cfg.rnn, s[2] as number, this.cfg.seed, '');
        this.built = true;
      }
      computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
        const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
        return this.cfg.rnn.returnSequences ? [s[0], s[1], this.cfg.rnn.units] : [s[0], this.cfg.rnn.units];
      }
      call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return tf.tidy(() => {
          const w = this.w!;
          const states = tfjsRecurrence(tf, this.cfg.rnn, { kernel: w.kernel.read(), recurrent: w.recurrent.read(), bias: w.bias?.read() }, x);
          return tfjsRnnOutput(tf, this.cfg.rnn, states);
        });
      }
      getConfig() {
        return { ...super.getConfig(), rnn: this.cfg.rnn as unknown as TF.serialization.ConfigDictValue, seed: this.cfg.seed };
      }
    }
    // Registered so that a saved model (the app's TF.js export) loads back. TF.js' serialization camel-cases the
    // config's string values on load (glorot_uniform → glorotUniform): fromConfig turns them back.
    (KerasRecurrent as unknown as { fromConfig: unknown }).fromConfig = (cls: new (c: RecurrentLayerArgs) => TF.layers.Layer, config: Record<string, unknown>) =>
      new cls({ name: config.name as string, rnn: unCamelConfig(config.rnn) as RnnConfig, seed: config.seed as number });
    tf.serialization.registerClass(KerasRecurrent);
    Cls = KerasRecurrent as unknown as new (cfg: RecurrentLayerArgs) => TF.layers.Layer;
    classes.set(tf, Cls);
  }
  return new Cls(args);
}

// ---------------------------------------------------------------------------------------------------------------
// ONNX (unrolled)

/**
 * The recurrence unrolled in ONNX ops over x (batch, T, F) (Keras layout). `w` names the weight values (Keras
 * layout). Returns the hidden state value after every step, in processing order (each (batch, units)).
 * Step 0 starts from zero states without materialising them (h₋·U = 0), so no batch-sized constant is needed.
 * Per step: SimpleRNN 4 ops, LSTM 13, GRU 15 (+ 2 to take the step's slice).
 */
export function onnxRecurrence(g: GraphBuilder, id: string, c: RnnConfig, x: string, steps: number, w: { kernel: string; recurrent: string; bias?: string }): string[] {
  const u = c.units;
  const n = (opType: string, inputs: string[], what: string, attrs = {}) => op(g, id, opType, inputs, attrs, what);
  const split = (v: string, sizes: number[], what: string, axis = -1) => g.nodeMulti('Split', [v, g.constInt64(sizes)], { axis }, { name: `${id}/${what}`, outputs: sizes.length });
  const act = (v: string, what: string) => onnxActivation(g, c.activation, v, `${id}/${what}`);
  const ract = (v: string, what: string) => onnxActivation(g, c.recurrentActivation, v, `${id}/${what}`);
  let inBias: string | undefined;
  let recBias: string | undefined;
  if (w.bias) {
    if (c.resetAfter) {
      const [b0, b1] = split(w.bias, [1, 1], 'bias_rows', 0);
      inBias = n('Squeeze', [b0, g.constInt64([0])], 'input_bias');
      recBias = n('Squeeze', [b1, g.constInt64([0])], 'recurrent_bias');
    } else inBias = w.bias;
  }
  let xw = n('MatMul', [x, w.kernel], 'input_matmul');
  if (inBias) xw = n('Add', [xw, inBias], 'input_bias_add');
  const parts = steps === 1 ? [xw] : split(xw, Array(steps).fill(1), 'steps', 1);
  let xs = parts.map((p, t) => n('Squeeze', [p, g.constInt64([1])], `x${t}`));
  if (c.goBackwards) xs = xs.reverse();
  const one = g.constFloat(1, [], `${id}/one`);
  let uzr: string | undefined;
  let uh: string | undefined;
  if (c.kind === 'GRU' && !c.resetAfter) [uzr, uh] = split(w.recurrent, [2 * u, u], 'recurrent_split');
  let h: string | null = null;
  let cell: string | null = null;
  const out: string[] = [];
  xs.forEach((xt, t) => {
    const s = `t${t}`;
    if (c.kind === 'SimpleRNN') {
      const pre = h ? n('Add', [xt, n('MatMul', [h, w.recurrent], `${s}_rec`)], `${s}_pre`) : xt;
      h = act(pre, s);
    } else if (c.kind === 'LSTM') {
      const z = h ? n('Add', [xt, n('MatMul', [h, w.recurrent], `${s}_rec`)], `${s}_pre`) : xt;
      const [zi, zf, zc, zo] = split(z, [u, u, u, u], `${s}_gates`);
      const i = ract(zi, `${s}_i`);
      const gc = act(zc, `${s}_g`);
      const ig = n('Mul', [i, gc], `${s}_ig`);
      cell = cell ? n('Add', [n('Mul', [ract(zf, `${s}_f`), cell], `${s}_fc`), ig], `${s}_c`) : ig;
      h = n('Mul', [ract(zo, `${s}_o`), act(cell, `${s}_ac`)], `${s}_h`);
    } else {
      const [xz, xr, xh] = split(xt, [u, u, u], `${s}_xgates`);
      let z: string, hh: string;
      if (c.resetAfter) {
        let rz: string | null = null, rr: string | null = null, rh: string | null = null;
        const inner = h ? (recBias ? n('Add', [n('MatMul', [h, w.recurrent], `${s}_rec`), recBias], `${s}_rec_bias`) : n('MatMul', [h, w.recurrent], `${s}_rec`)) : recBias ?? null;
        if (inner) [rz, rr, rh] = split(inner, [u, u, u], `${s}_rgates`);
        z = ract(rz ? n('Add', [xz, rz], `${s}_zpre`) : xz, `${s}_z`);
        if (rh) {
          const r = ract(n('Add', [xr, rr!], `${s}_rpre`), `${s}_r`);
          hh = act(n('Add', [xh, n('Mul', [r, rh], `${s}_rh`)], `${s}_hpre`), `${s}_hh`);
        } else hh = act(xh, `${s}_hh`);
      } else if (h) {
        const [rz, rr] = split(n('MatMul', [h, uzr!], `${s}_rec`), [u, u], `${s}_rgates`);
        z = ract(n('Add', [xz, rz], `${s}_zpre`), `${s}_z`);
        const r = ract(n('Add', [xr, rr], `${s}_rpre`), `${s}_r`);
        hh = act(n('Add', [xh, n('MatMul', [n('Mul', [r, h], `${s}_rh`), uh!], `${s}_rech`)], `${s}_hpre`), `${s}_hh`);
      } else {
        z = ract(xz, `${s}_z`);
        hh = act(xh, `${s}_hh`);
      }
      const keep = n('Mul', [n('Sub', [one, z], `${s}_1mz`), hh], `${s}_new`);
      h = h ? n('Add', [n('Mul', [z, h], `${s}_old`), keep], `${s}_h`) : keep;
    }
    out.push(h!);
  });
  return out;
}

/** The layer's ONNX output from the per-step states: stacked (batch, T, units) or the last one. */
export function onnxRnnOutput(g: GraphBuilder, id: string, c: RnnConfig, states: string[], reverse = false): string {
  if (!c.returnSequences) return states[states.length - 1];
  const ordered = reverse ? states.slice().reverse() : states;
  const un = ordered.map((s, t) => op(g, id, 'Unsqueeze', [s, g.constInt64([1])], {}, `seq${t}`));
  return un.length === 1 ? un[0] : op(g, id, 'Concat', un, { axis: 1 }, 'sequence');
}


// ---------------------------------------------------------------------------------------------------------------
// ONNX (inference export): the ONNX RNN / LSTM / GRU ops

/**
 * Whether the export can use the ONNX op: the layer's activations are the ONNX ops' defaults (tanh; gates sigmoid),
 * Keras' defaults too. Other activations are exported unrolled, as in the train step (the op's `activations`
 * attribute would need a STRINGS attribute, which the graph writer does not have).
 */
export function hasOnnxRnnOp(c: RnnConfig): boolean {
  return c.activation === 'tanh' && (c.kind === 'SimpleRNN' || c.recurrentActivation === 'sigmoid');
}

/**
 * One ONNX `RNN` / `LSTM` / `GRU` node for the layer (direction "reverse" for go_backwards), its Keras weights
 * re-laid in the graph: kernel (F, G·U) → W (1, G·U, F), recurrent_kernel → R (1, G·U, U), bias → B (1, 2·G·U) =
 * [input bias, recurrent bias]. Gate order: LSTM Keras i, f, c, o → ONNX i, o, f, c; GRU z, r, h in both (reset_after
 * ↔ linear_before_reset=1; reset_after=False: recurrent bias 0). Returns the states stacked in input-position order
 * (batch, T, units) — ONNX's Y, where a reverse pass's Y[t] is the state after reading x[t] — and the last state.
 */
export function onnxRnnOp(g: GraphBuilder, id: string, c: RnnConfig, x: string, w: { kernel: string; recurrent: string; bias?: string }): { aligned: string; last: string } {
  const u = c.units;
  const gu = GATES[c.kind] * u;
  const n = (opType: string, inputs: string[], what: string, attrs = {}) => op(g, id, opType, inputs, attrs, what);
  const reorder = (v: string, what: string) => {
    if (c.kind !== 'LSTM') return v;
    const [i, f, cc, o] = g.nodeMulti('Split', [v, g.constInt64([u, u, u, u])], { axis: -1 }, { name: `${id}/${what}_gates`, outputs: 4 });
    return n('Concat', [i, o, f, cc], `${what}_iofc`, { axis: -1 });
  };
  // (rows, G·U) Keras → (1, G·U, rows) ONNX.
  const lay = (v: string, what: string) => n('Unsqueeze', [n('Transpose', [reorder(v, what)], `${what}_t`, { perm: [1, 0] }), g.constInt64([0])], what);
  const inputs = [n('Transpose', [x], 'to_time_major', { perm: [1, 0, 2] }), lay(w.kernel, 'W'), lay(w.recurrent, 'R')];
  if (w.bias) {
    let b: string;
    if (c.resetAfter) b = n('Reshape', [w.bias, g.constInt64([1, 2 * gu])], 'B');
    else b = n('Unsqueeze', [n('Concat', [reorder(w.bias, 'Wb'), g.constFloat(new Float32Array(gu), [gu], `${id}/Rb`)], 'B_flat', { axis: 0 }), g.constInt64([0])], 'B');
    inputs.push(b);
  }
  const attrs: Record<string, import('$lib/onnx/graph').AttrValue> = { hidden_size: u, direction: c.goBackwards ? 'reverse' : 'forward' };
  if (c.kind === 'GRU') attrs.linear_before_reset = c.resetAfter ? 1 : 0;
  const opType = c.kind === 'SimpleRNN' ? 'RNN' : c.kind;
  const [y, yh] = g.nodeMulti(opType, inputs, attrs, { name: `${id}/${opType}`, outputs: 2 });
  // Y (T, 1, batch, U) → (batch, T, U); Y_h (1, batch, U) → (batch, U).
  const aligned = n('Transpose', [n('Squeeze', [y, g.constInt64([1])], 'Y')], 'to_batch_major', { perm: [1, 0, 2] });
  return { aligned, last: n('Squeeze', [yh, g.constInt64([0])], 'Y_h') };
}

/**
 * Reverses a (batch, T, units) value along time (inference only): Gather of the steps T−1, …, 0. (A Slice with step
 * −1 and an end of −2⁶² lost a step on ORT's WebGPU provider: 27 values for 36 in the browser conformance run.)
 */
export function onnxFlipTime(g: GraphBuilder, id: string, v: string, steps: number): string {
  return op(g, id, 'Gather', [v, g.constInt64(Array.from({ length: steps }, (_, t) => steps - 1 - t))], { axis: 1 }, 'flip_time');
}

/**
 * The layer's output in the export: Keras' sequence is in processing order (reversed with go_backwards), or, with
 * `flipped` (Bidirectional's backward copy), flipped back to input order.
 */
export function onnxRnnOpOutput(g: GraphBuilder, id: string, c: RnnConfig, r: { aligned: string; last: string }, steps: number, flipped = false): string {
  if (!c.returnSequences) return r.last;
  return c.goBackwards !== flipped ? onnxFlipTime(g, id, r.aligned, steps) : r.aligned;
}

// ---------------------------------------------------------------------------------------------------------------
// PyTorch: Keras-layout parameters and an explicit loop over time (Keras' formulas, any activation). torch's
// nn.LSTM / nn.GRU would need the gates re-ordered (GRU: r, z, n), which the weight map (an axis permutation) cannot
// express; the loop keeps the weights exactly Keras' (same names, shapes, fans for the initializers).

/**
 * `__init__` lines for one recurrence named `p` (a Python identifier): its parameters and a function `self.<p>_run(x)`
 * returning the state after each step (batch, steps, units), in processing order; and its weights for the map.
 */
export function pytorchRecurrence(c: RnnConfig, p: string, features: number, kerasPrefix = ''): { init: string[]; run: (x: string) => string; weights: PytorchWeight[]; after: string[] } {
  const u = c.units;
  const shapes = rnnWeightShapes(c, features);
  const act = (v: string) => pytorchActivation(c.activation, v);
  const ract = (v: string) => pytorchActivation(c.recurrentActivation, v);
  const init = [
    `self.${p}_kernel = nn.Parameter(torch.empty(${shapes.kernel.join(', ')}))`,
    `self.${p}_recurrent_kernel = nn.Parameter(torch.empty(${shapes.recurrent_kernel.join(', ')}))`,
    ...(shapes.bias ? [`self.${p}_bias = nn.Parameter(torch.empty(${shapes.bias.join(', ')}))`] : []),
    '',
    `def ${p}_run(x):`,
    `    """Keras' ${c.kind} over x (batch, steps, features) from zero states: the state after each step (batch, steps, ${u})${c.goBackwards ? ', the sequence read backwards (go_backwards)' : ''}."""`
  ];
  const inBias = shapes.bias ? (c.resetAfter ? ` + self.${p}_bias[0]` : ` + self.${p}_bias`) : '';
  init.push(`    xw = x @ self.${p}_kernel${inBias}`, `    R = self.${p}_recurrent_kernel`, `    h = x.new_zeros(x.shape[0], ${u})`);
  if (c.kind === 'LSTM') init.push(`    c = x.new_zeros(x.shape[0], ${u})`);
  init.push('    hs = []', `    for t in ${c.goBackwards ? 'reversed(range(x.shape[1]))' : 'range(x.shape[1])'}:`);
  const b = (s: string) => init.push(`        ${s}`);
  if (c.kind === 'SimpleRNN') b(`h = ${act('xw[:, t] + h @ R')}`);
  else if (c.kind === 'LSTM') {
    b('i, f, g, o = (xw[:, t] + h @ R).chunk(4, -1)  # Keras\' gate order i, f, c, o');
    b(`c = ${ract('f')} * c + ${ract('i')} * ${act('g')}`);
    b(`h = ${ract('o')} * ${act('c')}`);
  } else {
    b('xz, xr, xh = xw[:, t].chunk(3, -1)  # Keras\' gate order z, r, h');
    if (c.resetAfter) {
      b(`rz, rr, rh = (h @ R${shapes.bias ? ` + self.${p}_bias[1]` : ''}).chunk(3, -1)  # reset_after=True`);
      b(`z, r = ${ract('xz + rz')}, ${ract('xr + rr')}`);
      b(`hh = ${act('xh + r * rh')}`);
    } else {
      b(`rz, rr = (h @ R[:, :${2 * u}]).chunk(2, -1)  # reset_after=False`);
      b(`z, r = ${ract('xz + rz')}, ${ract('xr + rr')}`);
      b(`hh = ${act(`xh + (r * h) @ R[:, ${2 * u}:]`)}`);
    }
    b('h = z * h + (1 - z) * hh');
  }
  b('hs.append(h)');
  init.push('    return torch.stack(hs, 1)', `self.${p}_run = ${p}_run`);
  const weights: PytorchWeight[] = [
    { keras: `${kerasPrefix}kernel`, torch: `${p}_kernel`, shape: shapes.kernel, init: c.kernelInitializer },
    { keras: `${kerasPrefix}recurrent_kernel`, torch: `${p}_recurrent_kernel`, shape: shapes.recurrent_kernel, init: c.recurrentInitializer },
    ...(shapes.bias ? [{ keras: `${kerasPrefix}bias`, torch: `${p}_bias`, shape: shapes.bias, init: c.biasInitializer }] : [])
  ];
  // Keras' unit_forget_bias: the forget gate's bias starts at 1.
  const after = c.unitForgetBias && shapes.bias ? [`self.${p}_bias.data[${u}:${2 * u}] = 1.0  # unit_forget_bias`] : [];
  return { init, run: (x) => `self.${p}_run(${x})`, weights, after };
}

/** The LayerDef of SimpleRNN / LSTM / GRU, from its kind and hover doc. */
export function makeRnnLayer(kind: RnnKind, doc: string, conformance: import('./types').LayerConformanceCase[]): import('./types').LayerDef {
  return {
    kind,
    doc,
    arity: 1,
    args: rnnArgs(kind),
    validate(args) {
      rnnConfig(kind, args);
    },
    outputShape([input], args) {
      return rnnOutputShape(rnnConfig(kind, args), input);
    },
    params([input], args) {
      return { trainable: rnnParams(rnnConfig(kind, args), input), nonTrainable: 0 };
    },
    flops([input], args) {
      return rnnFlops(rnnConfig(kind, args), input);
    },
    toTfjs(node, { tf, seed }) {
      return recurrentLayer(tf, { name: node.id, rnn: rnnConfig(kind, node.args), seed });
    },
    toOnnx(node, { g, inputs, inputShapes, weight, training }) {
      const c = rnnConfig(kind, node.args);
      const [steps] = requireSequence(kind, inputShapes[0]);
      const w = { kernel: weight('kernel'), recurrent: weight('recurrent_kernel'), bias: c.useBias ? weight('bias') : undefined };
      // Export: the ONNX op where it has the layer's activations; the train step: unrolled (primitive ops with rules).
      if (!training && hasOnnxRnnOp(c)) return onnxRnnOpOutput(g, node.id, c, onnxRnnOp(g, node.id, c, inputs[0], w), steps);
      return onnxRnnOutput(g, node.id, c, onnxRecurrence(g, node.id, c, inputs[0], steps, w));
    },
    // PyTorch: the explicit loop of `pytorchRecurrence`; the last state `[:, -1]` unless return_sequences.
    toPytorch(node, { attr, inputs, inputShapes }) {
      const c = rnnConfig(kind, node.args);
      const [, features] = requireSequence(kind, inputShapes[0]);
      const r = pytorchRecurrence(c, attr, features);
      const all = r.run(inputs[0]);
      return { init: r.init, forward: c.returnSequences ? all : `${all}[:, -1]`, weights: r.weights, after: r.after };
    },
    weights: [
      { name: 'kernel', trainable: true },
      { name: 'recurrent_kernel', trainable: true },
      { name: 'bias', trainable: true }
    ],
    conformance
  };
}
