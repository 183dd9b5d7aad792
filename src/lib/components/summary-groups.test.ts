import { describe, expect, it } from 'vitest';
import type { SummaryRow } from '$lib/spec/shape';
import { formatFlops, groupSummaryRows, partName } from './summary-groups';

const row = (id: string, p: number, flops: number, shape: number[], block?: { id: string; kind: string }): SummaryRow =>
  ({ id, kind: 'Dense', outputShape: shape, trainable: p, nonTrainable: 0, flops, inputs: [], line: 1, ...(block ? { block } : {}) });

describe('groupSummaryRows', () => {
  const tpe = { id: 'token_and_position_embedding', kind: 'TokenAndPositionEmbedding' };
  const dec = { id: 'transformer_decoder', kind: 'TransformerDecoder' };
  const dec1 = { id: 'transformer_decoder_1', kind: 'TransformerDecoder' };
  const rows = [
    row('input_layer', 0, 0, [8]),
    row('token_and_position_embedding_token_embedding', 1600, 0, [8, 32], tpe),
    row('token_and_position_embedding_position_embedding', 256, 0, [8, 32], tpe),
    row('token_and_position_embedding_add', 0, 256, [8, 32], tpe),
    row('transformer_decoder_self_attention', 4224, 100, [8, 32], dec),
    row('transformer_decoder_feedforward_layer_norm', 64, 10, [8, 32], dec),
    row('transformer_decoder_1_self_attention', 4224, 100, [8, 32], dec1),
    row('transformer_decoder_1_feedforward_output_dense', 10, 1, [8, 5], dec1),
    row('dense', 165, 320, [8, 5])
  ];

  it('one item per block, summing its parameters and FLOPs, with the output shape of its last layer', () => {
    const items = groupSummaryRows(rows);
    expect(items.map((i) => (i.type === 'row' ? i.row.id : `${i.id} [${i.rows.map((r) => r.part).join(', ')}]`))).toEqual([
      'input_layer',
      'token_and_position_embedding [token_embedding, position_embedding, add]',
      'transformer_decoder [self_attention, feedforward_layer_norm]',
      'transformer_decoder_1 [self_attention, feedforward_output_dense]',
      'dense'
    ]);
    const b = items[1];
    expect(b.type === 'block' && [b.kind, b.trainable, b.nonTrainable, b.flops]).toEqual(['TokenAndPositionEmbedding', 1856, 0, 256]);
    const d1 = items[3];
    expect(d1.type === 'block' && [d1.trainable, d1.flops, d1.outputShape]).toEqual([4234, 101, [8, 5]]);
    // Nothing is lost: the items add up to the summary's rows.
    const total = items.reduce((a, i) => a + (i.type === 'row' ? i.row.trainable : i.trainable), 0);
    expect(total).toBe(rows.reduce((a, r) => a + r.trainable, 0));
    expect(new Set(items.map((i) => i.key)).size).toBe(items.length);
  });

  it('rows without blocks stay as they are', () => {
    const plain = [row('a', 1, 1, [2]), row('b', 2, 2, [3])];
    expect(groupSummaryRows(plain)).toEqual([
      { type: 'row', key: 'a', row: plain[0] },
      { type: 'row', key: 'b', row: plain[1] }
    ]);
  });

  it('a block interrupted by another row gets two groups with distinct keys', () => {
    const items = groupSummaryRows([row('blk_a', 1, 0, [2], dec), row('x', 1, 0, [2]), row('blk_b', 1, 0, [2], dec)]);
    expect(items.map((i) => i.key)).toEqual(['block:transformer_decoder', 'x', 'block:transformer_decoder#1']);
  });

  it('part names drop the block prefix only', () => {
    expect(partName('transformer_encoder_1_self_attention_layer', 'transformer_encoder_1')).toBe('self_attention_layer');
    expect(partName('other', 'transformer_encoder')).toBe('other');
    expect(formatFlops(1234567)).toBe('1.23 M');
    expect(formatFlops(999)).toBe('999');
  });
});
