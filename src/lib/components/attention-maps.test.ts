import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import AttentionMaps from './AttentionMaps.svelte';
import { TrainingClient } from '$lib/worker/client.svelte';
import type { SequenceDataset } from '$lib/data/types';

const data = {
  kind: 'sequence',
  name: 'tiny',
  seqLen: 3,
  features: 3,
  sampleShape: [3],
  vocabSize: 3,
  tokens: ['a', ' ', 'b'],
  x: Float32Array.from([0, 1, 2, 2, 1, 0]),
  n: 2,
  test: { x: Float32Array.from([2, 1, 0, 0, 0, 2]), y: new Float32Array(6), n: 2 }
} as unknown as SequenceDataset;

/** Two layers: a causal one with 2 heads (block part), a plain one with 1 head. */
function maps() {
  const causal = Float32Array.from([1, 0, 0, 0.5, 0.5, 0, 0.2, 0.3, 0.5, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
  const anti = Float32Array.from([0, 0, 1, 0, 1, 0, 1, 0, 0]);
  return [
    { layer: 'transformer_decoder_self_attention_layer', title: 'transformer_decoder · self_attention_layer', heads: 2, queries: 3, keys: 3, probs: causal },
    { layer: 'mha', title: 'mha', heads: 1, queries: 3, keys: 3, probs: anti }
  ];
}

describe('AttentionMaps (server-rendered)', () => {
  it('a grid of layers × heads, each map named by layer and head with how focused it is, the tokens on its axes', () => {
    const client = new TrainingClient();
    client.attention = { epoch: 4, trained: true, maps: maps() };
    const { body } = render(AttentionMaps, { props: { client, data, model: null } });
    expect(body).toContain('aria-label="Attention maps"');
    expect(body).toMatch(/<caption[^>]*>Attention of sequence 1, after epoch 4 <span[^>]*>\(each map: query positions down, key positions across\)<\/span><\/caption>/);
    expect(body).toMatch(/<th scope="col"[^>]*>Head 2<\/th>/);
    expect(body).toMatch(/<th scope="row" class="layer[^"]*">transformer_decoder · self_attention_layer<\/th>/);
    expect(body).toContain(
      'aria-label="Attention of transformer_decoder · self_attention_layer, head 2: 3 query positions (rows) × 3 key positions (columns); average strongest weight 1.00 (uniform would be 0.33)"'
    );
    expect(body).toContain('aria-label="Attention of transformer_decoder · self_attention_layer, head 1: 3 query positions (rows) × 3 key positions (columns); average strongest weight 0.67');
    expect(body).toContain('aria-label="Attention of mha, head 1:');
    expect(body).not.toContain('Attention of mha, head 2');
    // The held-out sequence 1 is "b␣a": its tokens on both axes of each map, and the enlarged first map.
    expect(body).toMatch(/data-testid="attention-tokens"[^>]*><!--\[--><span[^>]*>b<\/span><span[^>]*>␣<\/span><span[^>]*>a<\/span>/);
    // Both axes of the three maps and of the enlarged one.
    expect(body.match(/style="width: 16px;">␣<\/span>/g)).toHaveLength(4);
    expect(body.match(/style="height: 16px; line-height: 16px;">␣<\/span>/g)).toHaveLength(4);
    expect(body).toContain('Enlarged: attention of transformer_decoder · self_attention_layer, head 1');
    expect(body).toContain('aria-label="Enlarge mha, head 1"');
    expect(body).toMatch(/<label[^>]*>Held-out sequence/);
    // The enlarged map (the first head: 1, 0.5, 0.5 on the diagonal, 0, 0.5, 0.2 on the anti-diagonal, 0.5, 0.3 before it) in numbers.
    expect(body).toMatch(/diagonal \(itself\) <strong>0\.67<\/strong>, on the anti-diagonal \(the mirrored\s+position\) <strong>0\.23<\/strong>, on the previous position <strong>0\.40<\/strong>/);
  });

  it('before any maps: says what it waits for; untrained maps say so; an error is an alert', () => {
    const client = new TrainingClient();
    expect(render(AttentionMaps, { props: { client, data, model: null } }).body).toContain('Fix the program to see its attention.');
    client.attention = { epoch: 0, trained: false, maps: maps() };
    expect(render(AttentionMaps, { props: { client, data, model: null } }).body).toContain('initial weights, not trained yet');
    client.attentionError = 'The attention maps could not be computed: boom';
    expect(render(AttentionMaps, { props: { client, data, model: null } }).body).toMatch(/role="alert"[^>]*>The attention maps could not be computed: boom/);
  });
});

describe('AttentionMaps: maps of another sequence than the chosen one', () => {
  it('labels the axes with the tokens of the sequence the maps are of, and says the new maps are coming', () => {
    const client = new TrainingClient();
    client.attention = { epoch: 1, trained: true, maps: maps(), sample: Float32Array.from([0, 0, 1]) };
    const { body } = render(AttentionMaps, { props: { client, data, model: null } });
    expect(body).toMatch(/<caption[^>]*>Attention of the sequence chosen before \(updating…\), after epoch 1/);
    expect(body).toMatch(/class="xticks[^"]*" aria-hidden="true"><!--\[--><span[^>]*>a<\/span><span[^>]*>a<\/span><span[^>]*>␣<\/span>/);
    client.attention = { ...client.attention, sample: Float32Array.from([2, 1, 0]) };
    expect(render(AttentionMaps, { props: { client, data, model: null } }).body).toMatch(/<caption[^>]*>Attention of sequence 1, after epoch 1/);
  });
});
