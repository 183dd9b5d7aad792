import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes } from '$lib/spec/shape';
import ModelSummary from './ModelSummary.svelte';

const program = `import keras
from keras import layers
import keras_hub

inputs = keras.Input(shape=(8,), dtype="int32")
x = keras_hub.layers.TokenAndPositionEmbedding(50, 8, 32)(inputs)
x = keras_hub.layers.TransformerDecoder(64, 4)(x)
outputs = layers.Dense(50)(x)
model = keras.Model(inputs, outputs)
`;

/** The text of each body row's cells, tags stripped. */
function bodyRows(html: string): string[][] {
  const body = html.slice(html.indexOf('<tbody'), html.indexOf('</tbody>'));
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...r[1].matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1].replace(/<!--[\s\S]*?-->/g, '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim())
  );
}

describe('ModelSummary', () => {
  it('shows a block as one row (name, kind, output, parameters, FLOPs) with its layers indented under it', () => {
    const { spec } = parseProgram(program);
    const summary = inferShapes(spec!).summary!;
    const { body } = render(ModelSummary, { props: { summary, stale: false } });
    const rows = bodyRows(body);
    // KerasHub's model.summary() counts 1,856 and 8,544 parameters for these two blocks.
    expect(rows[0]).toEqual(['input_layer (InputLayer)', '(None, 8)', '0', '0']);
    expect(rows[1].slice(0, 3)).toEqual(['token_and_position_embedding (TokenAndPositionEmbedding) ▾ 3 layers', '(None, 8, 32)', '1,856']);
    expect(rows.slice(2, 5).map((r) => r[0])).toEqual(['token_embedding (Embedding)', 'position_embedding (PositionEmbedding)', 'add (Add)']);
    expect(rows[5].slice(0, 3)).toEqual(['transformer_decoder (TransformerDecoder) ▾ 7 layers', '(None, 8, 32)', '8,544']);
    expect(rows.slice(6, 13).map((r) => r[0])).toEqual([
      'self_attention (MultiHeadAttention)',
      'self_attention_residual (Add)',
      'self_attention_layer_norm (LayerNormalization)',
      'feedforward_intermediate_dense (Dense)',
      'feedforward_output_dense (Dense)',
      'feedforward_residual (Add)',
      'feedforward_layer_norm (LayerNormalization)'
    ]);
    expect(rows[13][0]).toBe('dense (Dense)');
    // The block's FLOPs are its layers' FLOPs summed.
    const blockFlops = summary.rows.filter((r) => r.block?.id === 'transformer_decoder').reduce((a, r) => a + r.flops, 0);
    expect(blockFlops).toBeGreaterThan(0);
    expect(rows[5][3]).toBe(`${(blockFlops / 1e3).toFixed(1)} k`);
    expect(body).toContain('aria-expanded="true"');
    expect(body).toContain('Total params');
  });
});
