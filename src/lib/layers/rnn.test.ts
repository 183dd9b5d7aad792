/**
 * The recurrent layers (SimpleRNN, LSTM, GRU; Bidirectional in bidirectional.test.ts): arguments and refusals, shapes
 * and Keras' parameter counts, the TF.js lowering against the float64 reference `rnnStates` (written from the Keras
 * formulas) for every layer and option, and that reference against PyTorch's nn.RNN / nn.LSTM / nn.GRU in float64
 * (the independent check; torch's GRU gates are r, z, n and reset-after).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '$lib/data/rng';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { parseProgram } from '$lib/keras/parse';
import type { ArgValue } from '$lib/spec/types';
import { needPython } from '$lib/test-python';
import { seq } from './conformance';
import { getLayer } from './index';
import { rnnStates, type RnnKind } from './rnn-reference';
import { orthogonalMatrix } from './rnn';
import { LayerError } from './types';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const T = 6;
const F = 3;
const B = 2;

function pyArgs(args: Record<string, ArgValue>): string {
  return Object.entries(args)
    .map(([k, v]) => (k === 'units' ? String(v) : `${k}=${typeof v === 'string' ? `"${v}"` : v === true ? 'True' : v === false ? 'False' : v === null ? 'None' : v}`))
    .join(', ');
}

/** Every option of each layer that changes the numbers. */
const CONFIGS: { kind: RnnKind; args: Record<string, ArgValue> }[] = [
  { kind: 'SimpleRNN', args: { units: 4 } },
  { kind: 'SimpleRNN', args: { units: 3, return_sequences: true } },
  { kind: 'SimpleRNN', args: { units: 3, return_sequences: true, go_backwards: true, activation: 'relu' } },
  { kind: 'SimpleRNN', args: { units: 2, use_bias: false, activation: 'gelu' } },
  { kind: 'LSTM', args: { units: 4 } },
  { kind: 'LSTM', args: { units: 3, return_sequences: true } },
  { kind: 'LSTM', args: { units: 3, return_sequences: true, go_backwards: true } },
  { kind: 'LSTM', args: { units: 2, use_bias: false, activation: 'relu', recurrent_activation: 'tanh' } },
  { kind: 'LSTM', args: { units: 3, unit_forget_bias: false, return_sequences: true, activation: 'swish' } },
  { kind: 'GRU', args: { units: 4 } },
  { kind: 'GRU', args: { units: 3, return_sequences: true } },
  { kind: 'GRU', args: { units: 3, return_sequences: true, go_backwards: true } },
  { kind: 'GRU', args: { units: 4, reset_after: false, return_sequences: true } },
  { kind: 'GRU', args: { units: 3, reset_after: false, go_backwards: true, use_bias: false } },
  { kind: 'GRU', args: { units: 2, use_bias: false, activation: 'elu', recurrent_activation: 'softmax', return_sequences: true } }
];

function randomX(seed: number): number[][][] {
  const rng = new Rng(seed);
  return Array.from({ length: B }, () => Array.from({ length: T }, () => Array.from({ length: F }, () => rng.next() * 4 - 2)));
}

describe('recurrent layers: arguments, shapes, parameters', () => {
  it("counts parameters as Keras' summary does", () => {
    const p = (kind: string, args: Record<string, ArgValue>, input = [5, 3]) => getLayer(kind)!.params([input], args).trainable;
    expect(p('SimpleRNN', { units: 4 })).toBe(3 * 4 + 16 + 4);
    expect(p('LSTM', { units: 4 })).toBe(4 * (12 + 16 + 4));
    expect(p('GRU', { units: 4 })).toBe(3 * (12 + 16 + 8)); // reset_after=True: bias (2, 12)
    expect(p('GRU', { units: 4, reset_after: false })).toBe(3 * (12 + 16 + 4));
    expect(p('LSTM', { units: 4, use_bias: false })).toBe(4 * 28);
    expect(getLayer('LSTM')!.flops([[5, 3]], { units: 4 })).toBe(5 * 2 * 16 * 7);
  });

  it('outputs the last state or the sequence', () => {
    expect(getLayer('LSTM')!.outputShape([[7, 3]], { units: 5 })).toEqual([5]);
    expect(getLayer('GRU')!.outputShape([[7, 3]], { units: 5, return_sequences: true })).toEqual([7, 5]);
  });

  it('refuses an input without a time axis, saying what to add', () => {
    for (const kind of ['SimpleRNN', 'LSTM', 'GRU']) {
      let err: unknown;
      try {
        getLayer(kind)!.outputShape([[16]], { units: 4 });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LayerError);
      expect((err as LayerError).message).toContain('no time axis');
      expect((err as LayerError).hint).toContain('layers.Embedding');
      expect((err as LayerError).hint).toContain('layers.Reshape((16, 1))');
    }
  });

  it('refuses dropout, recurrent_dropout, return_state and stateful by name', () => {
    const refuse = (args: Record<string, ArgValue>, word: string) => expect(() => getLayer('LSTM')!.validate!({ units: 2, ...args })).toThrow(word);
    refuse({ dropout: 0.2 }, 'dropout=0.2 is not supported');
    refuse({ recurrent_dropout: 0.1 }, 'recurrent_dropout=0.1 is not supported');
    refuse({ return_state: true }, 'return_state=True is not supported');
    refuse({ stateful: true }, 'stateful=True is not supported');
    expect(() => getLayer('GRU')!.validate!({ units: 2, dropout: 0 })).not.toThrow();
  });

  it('parses Keras programs and reports the missing time axis at the layer line', () => {
    const ok = parseProgram(seq('x', [5, 3], 'LSTM(4, return_sequences=True)', 'GRU(2, reset_after=False, return_sequences=True)', 'SimpleRNN(3, go_backwards=True)').source);
    expect(ok.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(ok.spec!.layers.map((l) => l.kind)).toEqual(['LSTM', 'GRU', 'SimpleRNN']);
    const bad = parseProgram(seq('x', [16], 'LSTM(4)').source);
    const err = bad.diagnostics.find((d) => d.severity === 'error');
    expect(err?.message).toContain('no time axis');
  });

  it("initialises as Keras: orthogonal recurrent kernel, LSTM forget-gate bias of ones, zero biases", () => {
    const spec = parseProgram(seq('x', [5, 3], 'LSTM(4, return_sequences=True)', 'GRU(3)').source).spec!;
    const model = buildModel(tf, spec, 11);
    const w = readTfjsWeights(model, spec);
    const [l, g] = spec.layers.map((n) => w[n.id]);
    expect(Array.from(l.bias.data)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(g.bias.shape).toEqual([2, 9]);
    expect(Array.from(g.bias.data).every((v) => v === 0)).toBe(true);
    // Rows of the (units, 4·units) orthogonal matrix are orthonormal.
    const r = l.recurrent_kernel.data;
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 4; j++) {
        let dot = 0;
        for (let k = 0; k < 16; k++) dot += r[i * 16 + k] * r[j * 16 + k];
        expect(Math.abs(dot - (i === j ? 1 : 0))).toBeLessThan(1e-5);
      }
    }
    // Seeded: the same seed gives the same weights.
    const again = readTfjsWeights(buildModel(tf, spec, 11), spec);
    expect(Array.from(again[spec.layers[0].id].recurrent_kernel.data)).toEqual(Array.from(r));
    model.dispose();
  });
});

describe('orthogonalMatrix (Keras\' orthogonal, seeded)', () => {
  it('has orthonormal rows (wide) or columns (tall), is seeded, and is fast at char-RNN sizes', () => {
    const gram = (m: Float32Array, rows: number, cols: number, byRows: boolean) => {
      const k = byRows ? rows : cols;
      let worst = 0;
      for (let i = 0; i < k; i++)
        for (let j = 0; j < k; j++) {
          let d = 0;
          for (let t = 0; t < (byRows ? cols : rows); t++) d += byRows ? m[i * cols + t] * m[j * cols + t] : m[t * cols + i] * m[t * cols + j];
          worst = Math.max(worst, Math.abs(d - (i === j ? 1 : 0)));
        }
      return worst;
    };
    expect(gram(orthogonalMatrix(5, 15, 1), 5, 15, true)).toBeLessThan(1e-6);
    expect(gram(orthogonalMatrix(12, 4, 2), 12, 4, false)).toBeLessThan(1e-6);
    expect(gram(orthogonalMatrix(6, 6, 3), 6, 6, true)).toBeLessThan(1e-6);
    expect(Array.from(orthogonalMatrix(3, 9, 4))).toEqual(Array.from(orthogonalMatrix(3, 9, 4)));
    expect(Array.from(orthogonalMatrix(3, 9, 4))).not.toEqual(Array.from(orthogonalMatrix(3, 9, 5)));
    const t0 = performance.now();
    orthogonalMatrix(256, 768, 1);
    const ms = performance.now() - t0;
    console.log(`orthogonalMatrix(256, 768): ${ms.toFixed(0)} ms (TF.js' orthogonal initializer: ~100 s on the cpu backend)`);
    expect(ms).toBeLessThan(5000);
  });
});

describe('TF.js lowering = float64 Keras formulas (rnnStates) ≤ 1e-5', () => {
  CONFIGS.forEach(({ kind, args }, n) => {
    it(`${kind}(${pyArgs(args)})`, () => {
      const spec = parseProgram(seq('x', [T, F], `${kind}(${pyArgs(args)})`).source).spec!;
      const model = buildModel(tf, spec, 3);
      randomizeWeights(tf, model, 100 + n);
      const x = randomX(200 + n);
      const y = model.predict(tf.tensor(x.flat(2), [B, T, F])) as tf.Tensor;
      const got = y.arraySync() as number[][] | number[][][];
      const w = readTfjsWeights(model, spec)[spec.layers[0].id];
      let worst = 0;
      for (let b = 0; b < B; b++) {
        const ref = rnnStates(kind, args, { kernel: w.kernel.data, recurrent_kernel: w.recurrent_kernel.data, bias: w.bias?.data }, x[b]).h;
        const want = args.return_sequences ? ref : [ref[T - 1]];
        const have = args.return_sequences ? (got[b] as number[][]) : [got[b] as number[]];
        expect(have.length).toBe(want.length);
        want.forEach((row, t) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - have[t][j])))));
      }
      expect(worst).toBeLessThanOrEqual(1e-5);
      tf.dispose(y);
      model.dispose();
    });
  });
});

describe('the float64 reference = PyTorch float64 (nn.RNN / nn.LSTM / nn.GRU, weights re-ordered)', () => {
  const py = needPython(['torch', 'numpy'], '/usr/bin/python3');
  // torch's GRU has no reset_after=False, and only tanh / relu activations with sigmoid gates.
  const cases = CONFIGS.filter(({ kind, args }) => {
    const act = (args.activation as string | undefined) ?? 'tanh';
    if (kind === 'GRU' && args.reset_after === false) return false;
    if (args.recurrent_activation !== undefined) return false;
    return kind === 'SimpleRNN' ? act === 'tanh' || act === 'relu' : act === 'tanh';
  });
  py.it(`agrees ≤ 1e-10 on ${cases.length} configurations${py.note}`, () => {
    const rng = new Rng(5);
    let jobs0 = 0;
    const jobs = cases.map(({ kind, args }) => {
      const units = args.units as number;
      const g = kind === 'LSTM' ? 4 : kind === 'GRU' ? 3 : 1;
      const rand = (k: number) => Array.from({ length: k }, () => rng.next() - 0.5);
      const w = {
        kernel: rand(F * g * units),
        recurrent_kernel: rand(units * g * units),
        bias: args.use_bias === false ? undefined : rand((kind === 'GRU' ? 2 : 1) * g * units)
      };
      const x = randomX(9 + jobs0++)[0];
      return { kind, args, units, w, x, ref: rnnStates(kind, args, w, x).h };
    });
    const script = `
import json, sys, numpy as np, torch
torch.set_default_dtype(torch.float64)
out = []
for j in json.load(sys.stdin):
    kind, a, u, w = j["kind"], j["args"], j["units"], j["w"]
    F = len(j["x"][0])
    x = torch.tensor(j["x"]).unsqueeze(0)
    if a.get("go_backwards"): x = torch.flip(x, [1])
    bias = w.get("bias") is not None
    g = {"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[kind]
    K = np.array(w["kernel"]).reshape(F, g * u).T            # (G·U, F), Keras gate blocks
    R = np.array(w["recurrent_kernel"]).reshape(u, g * u).T
    if kind == "SimpleRNN":
        m = torch.nn.RNN(F, u, nonlinearity=a.get("activation", "tanh"), bias=bias, batch_first=True)
    elif kind == "LSTM":
        m = torch.nn.LSTM(F, u, bias=bias, batch_first=True)   # torch i, f, g, o = Keras i, f, c, o
    else:
        m = torch.nn.GRU(F, u, bias=bias, batch_first=True)    # torch r, z, n; Keras z, r, h
        order = np.concatenate([np.arange(u, 2 * u), np.arange(0, u), np.arange(2 * u, 3 * u)])
        K, R = K[order], R[order]
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.tensor(K)); m.weight_hh_l0.copy_(torch.tensor(R))
        if bias:
            b = np.array(w["bias"]).reshape(-1, g * u)
            bi, bh = b[0], (b[1] if kind == "GRU" else np.zeros(g * u))
            if kind == "GRU": bi, bh = bi[order], bh[order]
            m.bias_ih_l0.copy_(torch.tensor(bi)); m.bias_hh_l0.copy_(torch.tensor(bh))
        y, _ = m(x)
    out.append(float(np.abs(y[0].numpy() - np.array(j["ref"])).max()))
print(json.dumps(out))
`;
    const r = spawnSync(py.python, ['-c', script], { input: JSON.stringify(jobs), encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const diffs = JSON.parse(r.stdout) as number[];
    expect(diffs.length).toBe(cases.length);
    console.log(`rnnStates vs torch float64: ${cases.map((c, i) => `${c.kind}(${pyArgs(c.args)}) ${diffs[i].toExponential(1)}`).join('; ')}`);
    for (const d of diffs) expect(d).toBeLessThanOrEqual(1e-10);
  });
});
