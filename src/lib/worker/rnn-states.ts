/**
 * Inspect an RNN: the hidden state (and LSTM cell state) of every SimpleRNN / LSTM / GRU layer at every time step
 * for one input, computed in float64 from the layer's weights and its input (its input is the previous layer's
 * activation for the sample) by the layers' reference forward `rnnStates` (layers/rnn-reference.ts). The UI draws
 * them as heatmaps, units × time.
 */
import type { LayerActivation } from '$lib/engines/tfjs/inspect';
import type { ArgValue, ModelSpec } from '$lib/spec/types';
import type { RnnKind, RnnWeights } from '$lib/layers/rnn-reference';
import type * as TF from '@tensorflow/tfjs';

export const RNN_KINDS = ['SimpleRNN', 'LSTM', 'GRU'] as const satisfies readonly RnnKind[];
export type { RnnKind };

export interface RnnLayerStates {
  /** The layer's name (its id in the program). */
  layer: string;
  kind: RnnKind;
  /** 'forward' / 'backward' for the two halves of a Bidirectional layer. */
  direction?: 'forward' | 'backward';
  units: number;
  steps: number;
  /** The layer read its input last step first (go_backwards, the backward half): the steps are in reading order. */
  reversed?: boolean;
  /** Hidden state after each step, time-major: `h[t * units + j]`, in the order the layer reads its input. */
  h: Float32Array;
  /** LSTM only: the cell state after each step, same layout. */
  c?: Float32Array;
}

/** One weight of a layer, named as in Keras ("kernel", "recurrent_kernel", "bias"), in Keras layout. */
export interface NamedWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** The reference forward (layers/rnn-reference.ts `rnnStates`): per-step hidden (and cell) states of one sequence `x` (steps × features). */
export type RnnStatesFn = (
  kind: RnnKind,
  args: Record<string, unknown>,
  weights: RnnWeights,
  x: number[][]
) => { h: ArrayLike<number>[]; c?: ArrayLike<number>[] };

/** A layer's weights by their Keras names. */
function byKerasName(weights: NamedWeight[]): RnnWeights | null {
  const get = (n: string) => weights.find((w) => w.name === n)?.values;
  const kernel = get('kernel');
  const recurrent_kernel = get('recurrent_kernel');
  if (!kernel || !recurrent_kernel) return null;
  const bias = get('bias');
  return bias ? { kernel, recurrent_kernel, bias } : { kernel, recurrent_kernel };
}

/** "lstm/kernel" or "bidirectional/forward_lstm/recurrent_kernel" → "kernel" / "recurrent_kernel". */
function shortName(name: string): string {
  const last = name.split('/').pop() ?? name;
  return last.replace(/_\d+$/, '');
}

function rows(values: Float32Array, shape: number[]): number[][] {
  const steps = shape[0];
  const features = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: steps }, (_, t) => Array.from(values.subarray(t * features, (t + 1) * features)));
}

function pack(states: ArrayLike<number>[], units: number): Float32Array {
  const out = new Float32Array(states.length * units);
  states.forEach((s, t) => {
    for (let j = 0; j < units; j++) out[t * units + j] = s[j];
  });
  return out;
}

/**
 * The states of every recurrent layer of `model` (built from `spec`) for the sample `x` (the model's input, without
 * the batch axis), given the sample's activations through every layer (`sampleActivations`).
 */
export function rnnLayerStates(
  model: TF.LayersModel,
  spec: ModelSpec,
  x: Float32Array,
  inputShape: number[],
  activations: LayerActivation[],
  rnnStates: RnnStatesFn
): RnnLayerStates[] {
  const out: RnnLayerStates[] = [];
  const byName = new Map(activations.map((a) => [a.layer, a]));
  for (const node of spec.layers) {
    const inner = node.kind === 'Bidirectional' ? (node.args.layer as { kind?: string; args?: Record<string, ArgValue> } | undefined) : { kind: node.kind, args: node.args };
    if (!inner?.kind || !(RNN_KINDS as readonly string[]).includes(inner.kind)) continue;
    const kind = inner.kind as RnnKind;
    const args = inner.args ?? {};
    let layer: TF.layers.Layer;
    try {
      layer = model.getLayer(node.id);
    } catch {
      continue;
    }
    const src = node.inputs[0];
    const input = spec.inputs.some((i) => i.id === src) ? { values: x, shape: inputShape } : byName.get(src);
    if (!input || input.shape.length !== 2 || input.values.length < input.shape[0] * input.shape[1]) continue;
    const seq = rows(input.values, input.shape);
    const all = layer.getWeights().map((w, i) => ({ name: shortName(layer.weights[i].name), shape: w.shape, values: w.dataSync() as Float32Array }));
    const units = Number(args.units);
    const halves: [RnnLayerStates['direction'], NamedWeight[], Record<string, ArgValue>][] =
      node.kind === 'Bidirectional'
        ? [
            ['forward', all.slice(0, all.length / 2), args],
            ['backward', all.slice(all.length / 2), { ...args, go_backwards: !args.go_backwards }]
          ]
        : [[undefined, all, args]];
    for (const [direction, named, a] of halves) {
      const weights = byKerasName(named);
      if (!weights) continue;
      const r = rnnStates(kind, a, weights, seq);
      const s: RnnLayerStates = { layer: node.id, kind, units, steps: r.h.length, h: pack(r.h, units) };
      if (direction) s.direction = direction;
      if (a.go_backwards === true) s.reversed = true;
      if (r.c) s.c = pack(r.c, units);
      out.push(s);
    }
  }
  return out;
}
