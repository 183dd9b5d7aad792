/**
 * The float64 reference forward of Keras' recurrent layers (SimpleRNN, LSTM, GRU), written from the Keras 3 formulas
 * (`keras/src/layers/rnn/{simple_rnn,lstm,gru}.py`), for ONE sequence. It is the layers' independent reference in the
 * tests and what the Inspect panel draws (hidden state, and the LSTM cell state, at every time step).
 *
 * Weights in Keras layout: kernel (features, G·units), recurrent_kernel (units, G·units), bias (G·units) — GRU with
 * reset_after=True: bias (2, 3·units) (row 0 the input bias, row 1 the recurrent bias). Gate order along G·units:
 * LSTM i, f, c, o; GRU z, r, h. All flat, row-major.
 */

export type RnnKind = 'SimpleRNN' | 'LSTM' | 'GRU';

export interface RnnWeights {
  kernel: ArrayLike<number>;
  recurrent_kernel: ArrayLike<number>;
  bias?: ArrayLike<number>;
}

export interface RnnStates {
  /** Hidden state after each step, in processing order (reversed input order with go_backwards), (T, units). */
  h: number[][];
  /** LSTM only: the cell state after each step. */
  c?: number[][];
}

/** Keras activations in float64 (softmax over the units vector). */
export function activationF64(name: string | null, v: number[]): number[] {
  const erf = (x: number): number => {
    // JS has no erf. |x| < 2.5: its Maclaurin series, summed to float64 precision; beyond: 1 − erfc(x) with erfc's
    // continued fraction (Laplace), evaluated from the tail.
    if (Math.abs(x) >= 2.5) {
      const a = Math.abs(x);
      let t = a;
      for (let k = 80; k >= 1; k--) t = a + k / 2 / t;
      return Math.sign(x) * (1 - Math.exp(-a * a) / (Math.sqrt(Math.PI) * t));
    }
    let sum = x;
    let term = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  };
  const sig = (x: number) => 1 / (1 + Math.exp(-x));
  switch (name ?? 'linear') {
    case 'linear':
      return v.slice();
    case 'tanh':
      return v.map(Math.tanh);
    case 'sigmoid':
      return v.map(sig);
    case 'relu':
      return v.map((x) => Math.max(x, 0));
    case 'leaky_relu':
      return v.map((x) => (x > 0 ? x : 0.2 * x));
    case 'elu':
      return v.map((x) => (x > 0 ? x : Math.exp(x) - 1));
    case 'swish':
      return v.map((x) => x * sig(x));
    case 'gelu':
      return v.map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2)));
    case 'softmax': {
      const m = Math.max(...v);
      const e = v.map((x) => Math.exp(x - m));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((x) => x / s);
    }
    default:
      throw new Error(`no float64 activation ${name}`);
  }
}

/** v (n) · M (n, m), M flat row-major; plus `add` (m) where given. */
function vecMat(v: number[], m: ArrayLike<number>, cols: number, add?: ArrayLike<number>, addOffset = 0): number[] {
  const out = new Array<number>(cols).fill(0);
  for (let j = 0; j < cols; j++) {
    let s = add ? add[addOffset + j] : 0;
    for (let i = 0; i < v.length; i++) s += v[i] * m[i * cols + j];
    out[j] = s;
  }
  return out;
}

const slice = (v: number[], k: number, u: number) => v.slice(k * u, (k + 1) * u);

/**
 * Hidden (and LSTM cell) states of a Keras RNN over one sequence `x` (T, features), from zero initial states.
 * `args` are the layer's Keras arguments (units, activation, recurrent_activation, use_bias, reset_after,
 * go_backwards; defaults as in Keras).
 */
export function rnnStates(kind: RnnKind, args: Record<string, unknown>, weights: RnnWeights, x: number[][]): RnnStates {
  const units = args.units as number;
  const act = (args.activation === undefined ? 'tanh' : args.activation) as string | null;
  const ract = (args.recurrent_activation === undefined ? 'sigmoid' : args.recurrent_activation) as string | null;
  const useBias = args.use_bias !== false;
  const resetAfter = args.reset_after !== false;
  const gates = kind === 'LSTM' ? 4 : kind === 'GRU' ? 3 : 1;
  const G = gates * units;
  const seqIn = args.go_backwards === true ? x.slice().reverse() : x;
  let h = new Array<number>(units).fill(0);
  let c = new Array<number>(units).fill(0);
  const hs: number[][] = [];
  const cs: number[][] = [];
  const bias = useBias ? weights.bias : undefined;
  for (const xt of seqIn) {
    if (kind === 'SimpleRNN') {
      const pre = vecMat(xt, weights.kernel, G, bias);
      const rec = vecMat(h, weights.recurrent_kernel, G);
      h = activationF64(act, pre.map((p, j) => p + rec[j]));
    } else if (kind === 'LSTM') {
      const xz = vecMat(xt, weights.kernel, G, bias);
      const rz = vecMat(h, weights.recurrent_kernel, G);
      const z = xz.map((p, j) => p + rz[j]);
      const i = activationF64(ract, slice(z, 0, units));
      const f = activationF64(ract, slice(z, 1, units));
      const g = activationF64(act, slice(z, 2, units));
      const o = activationF64(ract, slice(z, 3, units));
      c = c.map((cp, j) => f[j] * cp + i[j] * g[j]);
      const ac = activationF64(act, c);
      h = o.map((oj, j) => oj * ac[j]);
      cs.push(c.slice());
    } else {
      // GRU. reset_after=True: bias (2, 3U): input bias row 0, recurrent bias row 1.
      const xw = vecMat(xt, weights.kernel, G, bias, 0);
      const [xz, xr, xh] = [0, 1, 2].map((k) => slice(xw, k, units));
      let z: number[], r: number[], hh: number[];
      if (resetAfter) {
        const inner = vecMat(h, weights.recurrent_kernel, G, bias, G);
        const [rz, rr, rh] = [0, 1, 2].map((k) => slice(inner, k, units));
        z = activationF64(ract, xz.map((v, j) => v + rz[j]));
        r = activationF64(ract, xr.map((v, j) => v + rr[j]));
        hh = activationF64(act, xh.map((v, j) => v + r[j] * rh[j]));
      } else {
        const inner = vecMat(h, weights.recurrent_kernel, G);
        z = activationF64(ract, xz.map((v, j) => v + inner[j]));
        r = activationF64(ract, xr.map((v, j) => v + inner[units + j]));
        // (r * h) · U_h: the candidate's recurrent part uses the reset hidden state.
        const rh = h.map((hj, j) => r[j] * hj);
        const uh: number[] = new Array(units).fill(0);
        for (let j = 0; j < units; j++) for (let i = 0; i < units; i++) uh[j] += rh[i] * weights.recurrent_kernel[i * G + 2 * units + j];
        hh = activationF64(act, xh.map((v, j) => v + uh[j]));
      }
      h = h.map((hp, j) => z[j] * hp + (1 - z[j]) * hh[j]);
    }
    hs.push(h.slice());
  }
  return kind === 'LSTM' ? { h: hs, c: cs } : { h: hs };
}

/** One picture of the Inspect heatmap: a state over time, (steps, units), rows in input-position order. */
export interface StateHeatmap {
  /** `hidden state`, `cell state`, `forward hidden state`, ... */
  label: string;
  /** [step][unit]; step t is the state after reading input step t (for a backward pass too). */
  values: number[][];
}

/**
 * The Inspect panel's states of a recurrent layer node (SimpleRNN, LSTM, GRU, or Bidirectional wrapping one) for one
 * input sequence `x` (steps, features) — the layer's input, i.e. the previous layer's output for the sample —
 * from its Keras arguments and its weights by Keras name (as `readTfjsWeights` gives them: `kernel`, ... or, for
 * Bidirectional, `forward_lstm/kernel`, ...). Rows are in input order: a backward pass (go_backwards, Bidirectional's
 * backward copy) is flipped back, so step t of every picture lines up with input step t. Null for other layers.
 */
export function recurrentStates(kind: string, args: Record<string, unknown>, weights: Record<string, { data: ArrayLike<number> }>, x: number[][]): StateHeatmap[] | null {
  const pick = (prefix: string): RnnWeights => ({ kernel: weights[`${prefix}kernel`].data, recurrent_kernel: weights[`${prefix}recurrent_kernel`].data, bias: weights[`${prefix}bias`]?.data });
  const run = (k: RnnKind, a: Record<string, unknown>, prefix: string, label: string): StateHeatmap[] => {
    const s = rnnStates(k, a, pick(prefix), x);
    const order = <T>(rows: T[]) => (a.go_backwards === true ? rows.slice().reverse() : rows);
    const out = [{ label: `${label}hidden state`, values: order(s.h) }];
    if (s.c) out.push({ label: `${label}cell state`, values: order(s.c) });
    return out;
  };
  if (kind === 'SimpleRNN' || kind === 'LSTM' || kind === 'GRU') return run(kind, args, '', '');
  if (kind === 'Bidirectional') {
    const layer = args.layer as { kind: RnnKind; args: Record<string, unknown> };
    const inner = { SimpleRNN: 'simple_rnn', LSTM: 'lstm', GRU: 'gru' }[layer.kind];
    return [
      ...run(layer.kind, layer.args, `forward_${inner}/`, 'forward '),
      ...run(layer.kind, { ...layer.args, go_backwards: layer.args.go_backwards !== true }, `backward_${inner}/`, 'backward ')
    ];
  }
  return null;
}
