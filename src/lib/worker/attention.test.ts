import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LayerNode } from '$lib/spec/types';
import type { SequenceDataset } from '$lib/data/types';
import { attentionMaps, attentionSample, attentionTitle, focus, pattern, positionLabels, type AttentionScoresFn } from './attention';
import { createAttentionPictures } from './pictures';
import type { TrainEvent, TrainRequest } from './protocol';

/**
 * A small multi-head attention built from ops (test-only): query/key/value kernels (d, heads·key_dim), an output
 * kernel, scaled dot-product, optional causal mask. Stands for the real layer in what the maps need of it: a TF.js
 * layer called on [query, value] and a function giving its probabilities.
 */
class StandInAttention extends tf.layers.Layer {
  static className = 'StandInAttention';
  heads: number;
  keyDim: number;
  causal: boolean;
  private kernels: tf.LayerVariable[] = [];

  constructor(args: { name: string; heads: number; keyDim: number; causal: boolean }) {
    super({ name: args.name });
    this.heads = args.heads;
    this.keyDim = args.keyDim;
    this.causal = args.causal;
  }

  build(inputShape: tf.Shape | tf.Shape[]) {
    const d = (inputShape as tf.Shape[])[0].at(-1)!;
    const hk = this.heads * this.keyDim;
    const init = (seed: number) => tf.initializers.randomNormal({ mean: 0, stddev: 1, seed });
    this.kernels = [
      this.addWeight('query', [d, hk], 'float32', init(1)),
      this.addWeight('key', [d, hk], 'float32', init(2)),
      this.addWeight('value', [d, hk], 'float32', init(3)),
      this.addWeight('out', [hk, d], 'float32', init(4))
    ];
    this.built = true;
  }

  computeOutputShape(inputShape: tf.Shape | tf.Shape[]) {
    return (inputShape as tf.Shape[])[0];
  }

  /** (b, T, d) → (b, heads, T, key_dim) through kernel k. */
  private project(x: tf.Tensor, k: number): tf.Tensor {
    const [b, t] = x.shape;
    const y = tf.matMul(tf.reshape(x, [-1, x.shape[2]!]), this.kernels[k].read());
    return tf.transpose(tf.reshape(y, [b, t, this.heads, this.keyDim]), [0, 2, 1, 3]);
  }

  probs(query: tf.Tensor, value: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const q = this.project(query, 0);
      const k = this.project(value, 1);
      let s = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(this.keyDim));
      if (this.causal) {
        const [tq, tk] = s.shape.slice(2);
        const lower = tf.linalg.bandPart(tf.ones([tq, tk]), -1, 0).cast('bool');
        s = tf.where(lower.reshape([1, 1, tq, tk]).tile([s.shape[0]!, s.shape[1]!, 1, 1]), s, tf.fill(s.shape, -1e9));
      }
      return tf.softmax(s);
    });
  }

  call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [query, value] = inputs as tf.Tensor[];
      const p = this.probs(query, value);
      const v = this.project(value, 2);
      const [b, , t] = p.shape;
      const o = tf.reshape(tf.transpose(tf.matMul(p, v), [0, 2, 1, 3]), [-1, this.heads * this.keyDim]);
      return tf.reshape(tf.matMul(o, this.kernels[3].read()), [b, t, -1]);
    });
  }
}

const standInScores: AttentionScoresFn = (_tf, layer, inputs) => (layer as StandInAttention).probs(inputs[0], inputs[1] ?? inputs[0]);

const T = 5;
const D = 6;
const VOCAB = 7;

/** ids → Embedding → attention 1 (causal) → + residual → attention 2 (not causal) → Dense, and the nodes a spec would have. */
function build() {
  const input = tf.input({ shape: [T], dtype: 'int32', name: 'tokens' });
  const emb = tf.layers.embedding({ inputDim: VOCAB, outputDim: D, embeddingsInitializer: tf.initializers.randomNormal({ stddev: 1, seed: 5 }), name: 'embedding' });
  const e = emb.apply(input) as tf.SymbolicTensor;
  const a1 = new StandInAttention({ name: 'transformer_decoder_self_attention_layer', heads: 2, keyDim: 3, causal: true });
  const h1 = a1.apply([e, e]) as tf.SymbolicTensor;
  const r = tf.layers.add({ name: 'add' }).apply([e, h1]) as tf.SymbolicTensor;
  const a2 = new StandInAttention({ name: 'mha', heads: 3, keyDim: 2, causal: false });
  const h2 = a2.apply([r, r]) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: VOCAB, name: 'dense' }).apply(h2) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  const block = { id: 'transformer_decoder', kind: 'TransformerDecoder', args: {}, inputs: ['embedding'], span: null as never };
  const node = (id: string, inputs: string[], extra: Partial<LayerNode> = {}) => ({ id, kind: 'MultiHeadAttention', args: {}, inputs, span: null as never, ...extra }) as LayerNode;
  const layers: LayerNode[] = [
    { id: 'embedding', kind: 'Embedding', args: {}, inputs: ['tokens'], span: null as never },
    node('transformer_decoder_self_attention_layer', ['embedding', 'embedding'], { block }),
    { id: 'add', kind: 'Add', args: {}, inputs: ['embedding', 'transformer_decoder_self_attention_layer'], span: null as never },
    node('mha', ['add', 'add']),
    { id: 'dense', kind: 'Dense', args: {}, inputs: ['mha'], span: null as never }
  ];
  return { model, layers, a1, a2, emb };
}

// Float64 reference of the stand-in (from its weights), to check the maps were computed on this sample's tensors.
type M = number[][];
const mat = (w: tf.Tensor): M => w.arraySync() as M;
const mm = (a: M, b: M): M => a.map((r) => b[0].map((_, j) => r.reduce((s, v, k) => s + v * b[k][j], 0)));
function refAttention(layer: StandInAttention, x: M): { probs: number[][][]; out: M } {
  const [wq, wk, wv, wo] = layer.getWeights().map(mat);
  const [q, k, v] = [mm(x, wq), mm(x, wk), mm(x, wv)];
  const probs: number[][][] = [];
  const concat: M = x.map(() => []);
  for (let h = 0; h < layer.heads; h++) {
    const cols = (m: M) => m.map((r) => r.slice(h * layer.keyDim, (h + 1) * layer.keyDim));
    const [qh, kh, vh] = [cols(q), cols(k), cols(v)];
    const p = qh.map((qi, i) => {
      const s = kh.map((kj, j) => (layer.causal && j > i ? -Infinity : qi.reduce((a, b, c) => a + b * kj[c], 0) / Math.sqrt(layer.keyDim)));
      const m = Math.max(...s);
      const e = s.map((z) => Math.exp(z - m));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((z) => z / sum);
    });
    probs.push(p);
    p.forEach((row, i) => vh[0].forEach((_, c) => concat[i].push(row.reduce((a, w, j) => a + w * vh[j][c], 0))));
  }
  return { probs, out: mm(concat, wo) };
}

describe('attention maps of a model (stand-in attention layer)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('names a block part "block · part", a plain layer by its id', () => {
    const { layers } = build();
    expect(attentionTitle(layers[1])).toBe('transformer_decoder · self_attention_layer');
    expect(attentionTitle(layers[3])).toBe('mha');
  });

  it('every attention layer, heads × queries × keys, rows summing to 1, the causal one lower-triangular, equal to a float64 reference', async () => {
    const { model, layers, a1, a2, emb } = build();
    const ids = [3, 1, 4, 1, 5];
    const maps = await attentionMaps(tf, model, { layers }, Float32Array.from(ids), [T], standInScores);
    expect(maps.map((m) => [m.layer, m.title, m.heads, m.queries, m.keys])).toEqual([
      ['transformer_decoder_self_attention_layer', 'transformer_decoder · self_attention_layer', 2, T, T],
      ['mha', 'mha', 3, T, T]
    ]);
    for (const m of maps) {
      expect(m.probs).toBeInstanceOf(Float32Array);
      expect(m.probs.length).toBe(m.heads * T * T);
      for (let r = 0; r < m.heads * T; r++) {
        const row = Array.from(m.probs.subarray(r * T, (r + 1) * T));
        expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        if (m.layer !== 'mha') row.forEach((p, j) => j > r % T && expect(p).toBe(0)); // causal: no look ahead
      }
    }
    // The inputs were this sample's: the embedding rows of its ids, then embedding + the first layer's output.
    const table = mat(emb.getWeights()[0]);
    const x = ids.map((i) => table[i]);
    const r1 = refAttention(a1, x);
    const x2 = x.map((row, i) => row.map((v, c) => v + r1.out[i][c]));
    const r2 = refAttention(a2, x2);
    const close = (got: Float32Array, want: number[][][]) => want.flat(2).forEach((v, i) => expect(Math.abs(got[i] - v)).toBeLessThan(1e-4));
    close(maps[0].probs, r1.probs);
    close(maps[1].probs, r2.probs);
    // Not uniform (so the comparison could tell a wrong input): some row of the second layer has a weight far from 1/T.
    expect(Math.max(...Array.from(maps[1].probs).map((p) => Math.abs(p - 1 / T)))).toBeGreaterThan(0.1);
    expect(tf.memory().numTensors).toBeLessThan(1000);
  });

  it('leaks no tensors, and a model without attention layers has no maps', async () => {
    const { model, layers } = build();
    await attentionMaps(tf, model, { layers }, Float32Array.from([0, 1, 2, 3, 4]), [T], standInScores);
    const before = tf.memory().numTensors;
    await attentionMaps(tf, model, { layers }, Float32Array.from([0, 1, 2, 3, 4]), [T], standInScores);
    expect(tf.memory().numTensors).toBe(before);
    expect(await attentionMaps(tf, model, { layers: layers.filter((l) => l.kind !== 'MultiHeadAttention') }, Float32Array.from([0, 1, 2, 3, 4]), [T], standInScores)).toEqual([]);
  });
});

describe('attention pictures of a run', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('before training and after each epoch, following a sample changed during the run, once per epoch', async () => {
    const { model, layers } = build();
    const events: TrainEvent[] = [];
    const request = { spec: { layers }, data: { xShape: [10, T] }, attention: { x: Float32Array.from([3, 1, 4, 1, 5]) } } as unknown as TrainRequest;
    let chosen: Float32Array | null = null;
    const pictures = createAttentionPictures(tf, model, request, (e) => events.push(e), { scores: standInScores, sample: () => chosen }, 0);
    await pictures.start();
    await pictures.epoch(1);
    chosen = Float32Array.from([0, 0, 0, 0, 0]);
    await pictures.epoch(2);
    await pictures.end(2);
    const maps = events.map((e) => (e.type === 'attention' ? e : null));
    expect(maps.map((e) => e?.epoch)).toEqual([0, 1, 2]);
    const first = maps[0]!.maps[1].probs;
    expect(Array.from(maps[1]!.maps[1].probs)).toEqual(Array.from(first)); // same weights, same sample
    // The same token everywhere: every key looks alike, so (without the causal mask) each row is uniform.
    maps[2]!.maps[1].probs.forEach((p) => expect(p).toBeCloseTo(1 / T, 5));
    await pictures.end(3);
    expect(events.at(-1)).toMatchObject({ type: 'attention', epoch: 3 });
    // Spaced out (default): an epoch right after a picture is skipped, the end is not.
    const spaced = createAttentionPictures(tf, model, request, (e) => events.push(e), { scores: standInScores });
    events.length = 0;
    await spaced.start();
    await spaced.epoch(1);
    await spaced.end(1);
    expect(events.map((e) => e.type === 'attention' && e.epoch)).toEqual([0, 1]);
  });

  it('nothing without a sample, a scores function or a sample of the right size; a failure is said once and training goes on', async () => {
    const { model, layers } = build();
    const events: TrainEvent[] = [];
    const base = { spec: { layers }, data: { xShape: [10, T] } } as unknown as TrainRequest;
    await createAttentionPictures(tf, model, base, (e) => events.push(e), { scores: standInScores }).start();
    await createAttentionPictures(tf, model, { ...base, attention: { x: new Float32Array(T) } }, (e) => events.push(e), {}).start();
    await createAttentionPictures(tf, model, { ...base, attention: { x: new Float32Array(T + 1) } }, (e) => events.push(e), { scores: standInScores }).start();
    expect(events).toEqual([]);
    const broken = createAttentionPictures(tf, model, { ...base, attention: { x: new Float32Array(T) } }, (e) => events.push(e), {
      scores: () => {
        throw new Error('boom');
      }
    });
    await broken.start();
    await broken.epoch(1);
    expect(events).toEqual([{ type: 'attention', epoch: 0, maps: [], error: 'The attention maps could not be computed: boom' }]);
  });
});

describe('the sample and its labels', () => {
  const d = {
    kind: 'sequence',
    name: 'tiny',
    seqLen: 3,
    features: 3,
    sampleShape: [3],
    vocabSize: 3,
    tokens: ['a', ' ', '\n'],
    x: Float32Array.from([0, 1, 2, 2, 1, 0]),
    n: 2,
    test: { x: Float32Array.from([1, 1, 0, 0, 0, 2]), y: new Float32Array(6), n: 2 }
  } as unknown as SequenceDataset;

  it('picks held-out sequence i (clamped), labelled by its characters, ids or positions', () => {
    const s = attentionSample(d, 1);
    expect(s.index).toBe(1);
    expect(Array.from(s.x)).toEqual([0, 0, 2]);
    expect(s.labels).toEqual(['a', 'a', '⏎']);
    expect(attentionSample(d, 9).index).toBe(1);
    expect(attentionSample({ ...d, test: undefined }, 0).labels).toEqual(['a', '␣', '⏎']);
    expect(positionLabels([2, 0, 1], { ...d, tokens: undefined })).toEqual(['2', '0', '1']);
    expect(positionLabels([0.5, 0.2, 0.1], { ...d, vocabSize: 0, tokens: undefined })).toEqual(['1', '2', '3']);
  });

  it('focus: 1/keys when uniform, 1 when each query looks at one key', () => {
    const uniform = { probs: new Float32Array(8).fill(0.25), queries: 2, keys: 4 };
    expect(focus(uniform, 0)).toBeCloseTo(0.25);
    const sharp = { probs: Float32Array.from([0, 0, 0, 1, 0, 0, 1, 0]), queries: 2, keys: 4 };
    expect(focus(sharp, 0)).toBe(1);
  });

  it('pattern: the weight on the diagonal, the anti-diagonal and the previous position; none for cross-attention', () => {
    const anti = { probs: Float32Array.from([0, 0, 1, 0, 1, 0, 1, 0, 0]), queries: 3, keys: 3 };
    expect(pattern(anti, 0)).toEqual({ diagonal: 1 / 3, antiDiagonal: 1, previous: 0 });
    const twoHeads = { probs: Float32Array.from([1, 0, 0, 1, 0, 1, 1, 0]), queries: 2, keys: 2 };
    expect(pattern(twoHeads, 0)).toEqual({ diagonal: 1, antiDiagonal: 0, previous: 0 });
    expect(pattern(twoHeads, 1)).toEqual({ diagonal: 0, antiDiagonal: 1, previous: 1 });
    expect(pattern({ probs: new Float32Array(6), queries: 2, keys: 3 }, 0)).toBeNull();
  });
});
