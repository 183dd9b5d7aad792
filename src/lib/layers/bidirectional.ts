/**
 * Keras `layers.Bidirectional`: wraps one recurrent layer (SimpleRNN, LSTM, GRU) and runs a copy of it over the
 * sequence in each direction. The wrapped layer arrives as the argument value `{ kind: 'LSTM', args: {...} }` (the
 * parser builds it with the inner layer's LayerDef).
 *
 * As in Keras 3 (`keras/src/layers/rnn/bidirectional.py`): the forward copy is the layer as written, the backward copy
 * the same layer with go_backwards flipped; each has its own weights, named here `forward_<name>/kernel`,
 * `backward_<name>/recurrent_kernel`, ... (`<name>` Keras' default layer name: simple_rnn, lstm, gru). With
 * return_sequences the backward copy's outputs (produced from the last step to the first) are flipped in time so that
 * position t of both halves describes step t. merge_mode "concat" (default) concatenates the two along the last axis,
 * "sum" adds them, "mul" multiplies, "ave" averages; None (a list of two outputs) is not supported.
 */
import type { ArgValue, Shape } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { seq } from './conformance';
import { op } from './onnx-ops';
import {
  addRnnWeights,
  hasOnnxRnnOp,
  onnxRnnOp,
  onnxRnnOpOutput,
  pytorchRecurrence,
  onnxRecurrence,
  onnxRnnOutput,
  requireSequence,
  RNN_KINDS,
  rnnConfig,
  rnnFlops,
  rnnOutputShape,
  rnnParams,
  SNAKE,
  tfjsRecurrence,
  tfjsRnnOutput,
  unCamelConfig,
  type RnnConfig,
  type RnnKind
} from './rnn';
import { LayerError, type ArgDef, type LayerDef, type Tfjs } from './types';
import { checkChoice, formatValue, withArgDefaults } from './util';

export const MERGE_MODES = ['concat', 'sum', 'mul', 'ave'] as const;
export type MergeMode = (typeof MERGE_MODES)[number];

const ARGS: readonly ArgDef[] = [
  { name: 'layer', type: 'layer', values: ['SimpleRNN', 'LSTM', 'GRU'], doc: 'The recurrent layer to wrap: layers.SimpleRNN, layers.LSTM or layers.GRU (with its own arguments).' },
  { name: 'merge_mode', type: 'string', default: 'concat', values: MERGE_MODES, doc: 'How the forward and backward outputs are combined: "concat" (default, twice the units), "sum", "mul" or "ave".' }
];

export interface BidiConfig {
  forward: RnnConfig;
  backward: RnnConfig;
  mergeMode: MergeMode;
  /** Keras' default name of the wrapped layer (`lstm`), for the weight names. */
  inner: string;
}

/** Validates Bidirectional's arguments (the wrapped layer's with its own LayerDef rules) and returns both copies. */
export function bidiConfig(raw: Record<string, ArgValue>): BidiConfig {
  const a = withArgDefaults(ARGS, raw);
  const layer = a.layer;
  if (layer === undefined) throw new LayerError('Bidirectional needs the layer to wrap', 'For example layers.Bidirectional(layers.LSTM(32))');
  if (layer === null || typeof layer !== 'object' || Array.isArray(layer) || typeof layer.kind !== 'string') {
    throw new LayerError(`Bidirectional's layer must be a recurrent layer but gets ${formatValue(layer)}`, 'For example layers.Bidirectional(layers.LSTM(32))');
  }
  const kind = layer.kind as string;
  if (!(RNN_KINDS as readonly string[]).includes(kind)) {
    throw new LayerError(`Bidirectional can wrap SimpleRNN, LSTM or GRU but gets ${kind}`, 'For example layers.Bidirectional(layers.GRU(32))');
  }
  if (a.merge_mode === null) throw new LayerError('Bidirectional\'s merge_mode=None (two separate outputs) is not supported here', 'Use merge_mode="concat" (the default), "sum", "mul" or "ave"');
  const mergeMode = checkChoice('Bidirectional', 'merge_mode', a.merge_mode, MERGE_MODES);
  const args = (layer.args ?? {}) as Record<string, ArgValue>;
  const forward = rnnConfig(kind as RnnKind, args);
  return { forward, backward: { ...forward, goBackwards: !forward.goBackwards }, mergeMode, inner: SNAKE[kind as RnnKind] };
}

function outShape(c: BidiConfig, input: Shape): Shape {
  const s = rnnOutputShape(c.forward, input, 'Bidirectional');
  if (c.mergeMode !== 'concat') return s;
  return [...s.slice(0, -1), 2 * s[s.length - 1]];
}

const KERNELS = ['kernel', 'recurrent_kernel', 'bias'];

/** The Keras weight names of one direction: `forward_lstm/kernel`, ... */
export function bidiWeightName(c: BidiConfig, dir: 'forward' | 'backward', name: string): string {
  return `${dir}_${c.inner}/${name}`;
}

const classes = new WeakMap<object, new (cfg: { name: string; bidi: BidiConfig; seed: number }) => TF.layers.Layer>();

function tfMerge(tf: Tfjs, mode: MergeMode, a: TF.Tensor, b: TF.Tensor): TF.Tensor {
  switch (mode) {
    case 'concat':
      return tf.concat([a, b], -1);
    case 'sum':
      return tf.add(a, b);
    case 'mul':
      return tf.mul(a, b);
    case 'ave':
      return tf.mul(tf.add(a, b), 0.5);
  }
}

function bidirectionalLayer(tf: Tfjs, cfg: { name: string; bidi: BidiConfig; seed: number }): TF.layers.Layer {
  let Cls = classes.get(tf);
  if (!Cls) {
    class KerasBidirectional extends tf.layers.Layer {
      static className = 'KerasBidirectional';
      /** The Keras class the pictures show (`kerasClassName`). */
      readonly kerasClassName = 'Bidirectional';
      cfg: { name: string; bidi: BidiConfig; seed: number };
      fw: ReturnType<typeof addRnnWeights> | null = null;
      bw: ReturnType<typeof addRnnWeights> | null = null;
      constructor(c: { name: string; bidi: BidiConfig; seed: number }) {
        super({ name: c.name });
        this.cfg = c;
      }
      build(inputShape: TF.Shape | TF.Shape[]) {
        const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
        const b = this.cfg.bidi;
        this.fw = addRnnWeights(tf, this, b.forward, s[2] as number, this.cfg.seed, `forward_${b.inner}/`);
        this.bw = addRnnWeights(tf, this, b.backward, s[2] as number, this.cfg.seed + 3, `backward_${b.inner}/`);
        this.built = true;
      }
      computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
        const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
        return [s[0], ...outShape(this.cfg.bidi, [s[1] as number, s[2] as number])];
      }
      call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        const b = this.cfg.bidi;
        return tf.tidy(() => {
          const run = (c: RnnConfig, w: ReturnType<typeof addRnnWeights>) => tfjsRecurrence(tf, c, { kernel: w.kernel.read(), recurrent: w.recurrent.read(), bias: w.bias?.read() }, x);
          const y = tfjsRnnOutput(tf, b.forward, run(b.forward, this.fw!));
          const yRev = tfjsRnnOutput(tf, b.backward, run(b.backward, this.bw!), true);
          return tfMerge(tf, b.mergeMode, y, yRev);
        });
      }
      getConfig() {
        return { ...super.getConfig(), bidi: this.cfg.bidi as unknown as TF.serialization.ConfigDictValue, seed: this.cfg.seed };
      }
    }
    // See KerasRecurrent: TF.js camel-cases the saved config's strings; fromConfig turns them back.
    (KerasBidirectional as unknown as { fromConfig: unknown }).fromConfig = (cls: new (c: { name: string; bidi: BidiConfig; seed: number }) => TF.layers.Layer, config: Record<string, unknown>) =>
      new cls({ name: config.name as string, bidi: unCamelConfig(config.bidi) as BidiConfig, seed: config.seed as number });
    tf.serialization.registerClass(KerasBidirectional);
    Cls = KerasBidirectional as unknown as new (cfg: { name: string; bidi: BidiConfig; seed: number }) => TF.layers.Layer;
    classes.set(tf, Cls);
  }
  return new Cls(cfg);
}

export const bidirectional: LayerDef = {
  kind: 'Bidirectional',
  doc:
    'Bidirectional wrapper for RNNs: runs the wrapped layer over the sequence forwards and a copy of it (its own ' +
    'weights) backwards, then merges the two outputs — merge_mode="concat" (default: 2 · units), "sum", "mul" or ' +
    '"ave". With return_sequences=True the backward outputs are flipped back so that step t of both halves ' +
    'describes input step t. Example: layers.Bidirectional(layers.LSTM(32, return_sequences=True)). Parameters: ' +
    'twice those of the wrapped layer.',
  arity: 1,
  args: ARGS,
  validate(args) {
    bidiConfig(args);
  },
  outputShape([input], args) {
    return outShape(bidiConfig(args), input);
  },
  params([input], args) {
    return { trainable: 2 * rnnParams(bidiConfig(args).forward, input), nonTrainable: 0 };
  },
  // Twice the wrapped layer's: 2 · T · 2 · G · U · (F + U).
  flops([input], args) {
    return 2 * rnnFlops(bidiConfig(args).forward, input);
  },
  toTfjs(node, { tf, seed }) {
    return bidirectionalLayer(tf, { name: node.id, bidi: bidiConfig(node.args), seed });
  },
  // ONNX: each direction as its wrapped layer lowers (export: the ONNX RNN / LSTM / GRU op; train step: unrolled), the
  // backward outputs in input order; then Concat / Add / Mul.
  toOnnx(node, { g, inputs, inputShapes, weight, training }) {
    const c = bidiConfig(node.args);
    const [steps] = requireSequence('Bidirectional', inputShapes[0]);
    const w = (dir: 'forward' | 'backward', rc: RnnConfig) => ({
      kernel: weight(bidiWeightName(c, dir, 'kernel')),
      recurrent: weight(bidiWeightName(c, dir, 'recurrent_kernel')),
      bias: rc.useBias ? weight(bidiWeightName(c, dir, 'bias')) : undefined
    });
    // Two ONNX GRU ops with reset_after=False (linear_before_reset=0) in one graph came out wrong on ORT's WebGPU
    // provider (0.18 off; right on wasm, and one such GRU alone is right): those copies are exported unrolled.
    const nativeOp = (rc: RnnConfig) => hasOnnxRnnOp(rc) && !(rc.kind === 'GRU' && !rc.resetAfter);
    const copy = (dir: 'forward' | 'backward', rc: RnnConfig) => {
      const id = `${node.id}/${dir}`;
      if (!training && nativeOp(rc)) return onnxRnnOpOutput(g, id, rc, onnxRnnOp(g, id, rc, inputs[0], w(dir, rc)), steps, dir === 'backward');
      return onnxRnnOutput(g, id, rc, onnxRecurrence(g, id, rc, inputs[0], steps, w(dir, rc)), dir === 'backward');
    };
    const y = copy('forward', c.forward);
    const yRev = copy('backward', c.backward);
    switch (c.mergeMode) {
      case 'concat':
        return op(g, node.id, 'Concat', [y, yRev], { axis: -1 }, 'merge');
      case 'sum':
        return op(g, node.id, 'Add', [y, yRev], {}, 'merge');
      case 'mul':
        return op(g, node.id, 'Mul', [y, yRev], {}, 'merge');
      case 'ave':
        return op(g, node.id, 'Mul', [op(g, node.id, 'Add', [y, yRev], {}, 'merge_sum'), g.constFloat(0.5, [], `${node.id}/half`)], {}, 'merge');
    }
  },
  // PyTorch: two explicit loops (`pytorchRecurrence`), the backward one's sequence flipped back (torch.flip), merged.
  toPytorch(node, { attr, inputs, inputShapes }) {
    const c = bidiConfig(node.args);
    const [, features] = requireSequence('Bidirectional', inputShapes[0]);
    const fw = pytorchRecurrence(c.forward, `${attr}_forward`, features, `forward_${c.inner}/`);
    const bw = pytorchRecurrence(c.backward, `${attr}_backward`, features, `backward_${c.inner}/`);
    const y = c.forward.returnSequences ? fw.run(inputs[0]) : `${fw.run(inputs[0])}[:, -1]`;
    const yRev = c.forward.returnSequences ? `torch.flip(${bw.run(inputs[0])}, [1])` : `${bw.run(inputs[0])}[:, -1]`;
    const merged = { concat: `torch.cat([${y}, ${yRev}], -1)`, sum: `${y} + ${yRev}`, mul: `${y} * ${yRev}`, ave: `(${y} + ${yRev}) / 2` }[c.mergeMode];
    return { init: [...fw.init, ...bw.init], forward: merged, weights: [...fw.weights, ...bw.weights], after: [...fw.after, ...bw.after] };
  },
  weights: (['forward', 'backward'] as const).flatMap((dir) => RNN_KINDS.flatMap((k) => KERNELS.map((w) => ({ name: `${dir}_${SNAKE[k]}/${w}`, trainable: true })))),
  conformance: [
    seq('Bidirectional LSTM concat', [5, 3], 'Bidirectional(layers.LSTM(3))'),
    seq('Bidirectional GRU return_sequences sum', [5, 2], 'Bidirectional(layers.GRU(3, return_sequences=True), merge_mode="sum")'),
    seq('Bidirectional SimpleRNN return_sequences ave', [4, 3], 'Bidirectional(layers.SimpleRNN(2, return_sequences=True), merge_mode="ave")'),
    seq('Bidirectional GRU reset_after=False go_backwards mul', [4, 3], 'Bidirectional(layers.GRU(2, reset_after=False, go_backwards=True, return_sequences=True), merge_mode="mul")')
  ]
};
