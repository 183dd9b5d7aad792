import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSequence } from '$lib/data/sequences';
import { functionalSpec } from '$lib/spec/fixtures';
import { attentionScoresTfjs } from '$lib/layers/multi_head_attention';
import { buildModel } from '$lib/engines/tfjs/build';
import { getLayer } from '$lib/layers';
import { focus, pattern } from './attention';
import { createSession } from './session';
import type { AttentionMap, TrainEvent, TrainRequest } from './protocol';

const loaders = { load: async () => undefined };
const T = 6;

/** ids → Embedding → causal self-attention (2 heads) + residual → attention (3 heads, not causal) → Dense softmax per position. */
function transformerSpec() {
  const spec = functionalSpec(
    [{ id: 'x', shape: [T] }],
    [
      { id: 'embedding', kind: 'Embedding', args: { input_dim: 10, output_dim: 8 }, inputs: ['x'] },
      { id: 'decoder_self_attention_layer', kind: 'MultiHeadAttention', args: { num_heads: 2, key_dim: 4 }, inputs: ['embedding', 'embedding'] },
      { id: 'add', kind: 'Add', args: {}, inputs: ['embedding', 'decoder_self_attention_layer'] },
      { id: 'mha', kind: 'MultiHeadAttention', args: { num_heads: 3, key_dim: 4 }, inputs: ['add', 'add'] },
      { id: 'dense', kind: 'Dense', args: { units: 10, activation: 'softmax' }, inputs: ['mha'] }
    ],
    ['dense'],
    { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] }
  );
  spec.layers[1].call = { inputNames: ['query', 'value'], args: { use_causal_mask: true } };
  spec.layers[1].block = { id: 'decoder', kind: 'TransformerDecoder', args: {}, inputs: ['embedding'], span: spec.layers[1].span };
  spec.layers[3].call = { inputNames: ['query', 'value'], args: { use_causal_mask: false } };
  spec.compile!.optimizer.learningRate = 0.01;
  spec.fit = { epochs: 2, batchSize: 32, validationSplit: 0, shuffle: true, x: 'x_train', y: 'y_train', span: spec.layers[0].span };
  return spec;
}

function rowsSumToOne(m: AttentionMap) {
  for (let r = 0; r < m.heads * m.queries; r++) {
    const row = m.probs.subarray(r * m.keys, (r + 1) * m.keys);
    expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  }
}

describe('attention maps through the session (in-process, the real MultiHeadAttention)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('a run sends the sample\'s maps before training and after each epoch, following a sample changed mid-run; on demand after', async () => {
    const ds = makeSequence({ name: 'reverse', seqLen: T, samples: 128, seed: 1 });
    const spec = transformerSpec();
    const sample = ds.test!.x.slice(0, T);
    const other = ds.test!.x.slice(T, 2 * T);
    const request: TrainRequest = {
      spec,
      data: { x: ds.x, xShape: [ds.n, T], y: ds.y, yShape: [ds.n, T], n: ds.n, numClasses: 10, target: 'sparse' },
      backend: 'cpu',
      seed: 1,
      attention: { x: sample }
    };
    const session = createSession({ tf, loaders, flushMs: 5 });
    const events: TrainEvent[] = [];
    let switched = false;
    await session.train(request, (es) => {
      events.push(...es);
      if (!switched && es.some((e) => e.type === 'attention' && e.epoch === 1)) {
        switched = true;
        session.setAttentionSample(other);
      }
    });
    expect(events.at(-1)).toMatchObject({ type: 'done', outcome: 'completed' });
    const maps = events.flatMap((e) => (e.type === 'attention' ? [e] : []));
    expect(maps.map((e) => e.epoch)).toEqual([0, 1, 2]);
    for (const e of maps) {
      expect(e.error).toBeUndefined();
      expect(e.maps.map((m) => [m.layer, m.title, m.heads, m.queries, m.keys])).toEqual([
        ['decoder_self_attention_layer', 'decoder · self_attention_layer', 2, T, T],
        ['mha', 'mha', 3, T, T]
      ]);
      e.maps.forEach(rowsSumToOne);
      // Causal: no query looks ahead (the upper triangle is exactly 0).
      const causal = e.maps[0];
      for (let r = 0; r < causal.heads * T; r++) for (let j = (r % T) + 1; j < T; j++) expect(causal.probs[r * T + j]).toBe(0);
    }
    // Training moved them.
    const diff = Math.max(...Array.from(maps[0].maps[1].probs, (p, i) => Math.abs(p - maps[1].maps[1].probs[i])));
    expect(diff).toBeGreaterThan(1e-4);

    // On demand after the run: the trained model, the maps of the last epoch for the sample it last followed.
    const ref = { spec, seed: 1, backend: 'cpu' as const };
    const now = await session.attention(ref, other);
    expect(now.ok).toBe(true);
    if (!now.ok) return;
    expect(now).toMatchObject({ trained: true, epoch: 2 });
    now.maps.forEach((m, k) => m.probs.forEach((p, i) => expect(p).toBeCloseTo(maps[2].maps[k].probs[i], 6)));
    // ...computed from this sample's tensors: the first layer sees the embedding of `other`.
    const model = buildModel(tf, spec, 1);
    const untrained = await createSession({ tf, loaders }).attention(ref, other);
    expect(untrained).toMatchObject({ ok: true, trained: false, epoch: 0 });
    const e = tf.tidy(() => model.getLayer('embedding').apply(tf.tensor(other, [1, T])) as tf.Tensor);
    const want = attentionScoresTfjs(tf, model.getLayer('decoder_self_attention_layer'), [e, e]);
    const wanted = want.dataSync();
    if (untrained.ok) untrained.maps[0].probs.forEach((p, i) => expect(Math.abs(p - wanted[i])).toBeLessThan(1e-6));
    tf.dispose([e, want]);
    model.dispose();

    expect(await session.attention(ref, new Float32Array(T + 1))).toMatchObject({ ok: false, message: expect.stringMatching(/The sample has 7 values; the model takes \(6\)/) });
  });
});

/** Runs once PositionEmbedding and LayerNormalization are in the registry (another branch of issue 13). */
const encoderLayers = Boolean(getLayer('PositionEmbedding') && getLayer('LayerNormalization'));

describe.runIf(encoderLayers)('an encoder learning reverse: its attention goes from uniform to the anti-diagonal', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('one self-attention layer (2 heads) with position embeddings, 3 epochs', async () => {
    const L = 8;
    const ds = makeSequence({ name: 'reverse', seqLen: L, samples: 2000, seed: 1 });
    const spec = functionalSpec(
      [{ id: 'x', shape: [L] }],
      [
        { id: 'embedding', kind: 'Embedding', args: { input_dim: 10, output_dim: 32 }, inputs: ['x'] },
        { id: 'position_embedding', kind: 'PositionEmbedding', args: { sequence_length: L }, inputs: ['embedding'] },
        { id: 'add', kind: 'Add', args: {}, inputs: ['embedding', 'position_embedding'] },
        { id: 'mha', kind: 'MultiHeadAttention', args: { num_heads: 2, key_dim: 16 }, inputs: ['add', 'add'] },
        { id: 'add_1', kind: 'Add', args: {}, inputs: ['add', 'mha'] },
        { id: 'layer_normalization', kind: 'LayerNormalization', args: {}, inputs: ['add_1'] },
        { id: 'dense', kind: 'Dense', args: { units: 10, activation: 'softmax' }, inputs: ['layer_normalization'] }
      ],
      ['dense'],
      { loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] }
    );
    spec.layers[3].call = { inputNames: ['query', 'value'], args: { use_causal_mask: false } };
    spec.compile!.optimizer.learningRate = 0.005;
    spec.fit = { epochs: 3, batchSize: 64, validationSplit: 0.1, shuffle: true, x: 'x_train', y: 'y_train', span: spec.layers[0].span };
    const request: TrainRequest = {
      spec,
      data: { x: ds.x, xShape: [ds.n, L], y: ds.y, yShape: [ds.n, L], n: ds.n, numClasses: 10, target: 'sparse' },
      backend: 'cpu',
      seed: 1,
      attention: { x: ds.test!.x.slice(0, L) }
    };
    const events: TrainEvent[] = [];
    await createSession({ tf, loaders, flushMs: 50 }).train(request, (es) => void events.push(...es));
    const logs = events.flatMap((e) => (e.type === 'epoch' ? [e.log] : []));
    expect(logs.at(-1)!.valAcc).toBeGreaterThanOrEqual(0.95);
    const maps = events.flatMap((e) => (e.type === 'attention' ? [e.maps[0]] : []));
    expect(maps).toHaveLength(4);
    const anti = (m: AttentionMap) => [0, 1].map((h) => pattern(m, h)!.antiDiagonal);
    // Untrained: close to uniform (1/8 on every position); trained: most of each row on the mirrored position.
    for (const h of [0, 1]) expect(focus(maps[0], h)).toBeLessThan(0.25);
    for (const a of anti(maps[0])) expect(a).toBeLessThan(0.2);
    for (const a of anti(maps[3])) expect(a).toBeGreaterThan(0.7);
  });
});

