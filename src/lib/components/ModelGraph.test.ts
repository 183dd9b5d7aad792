import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes } from '$lib/spec/shape';
import ModelGraph from './ModelGraph.svelte';

const program = [
  'import keras',
  'from keras import layers',
  'inputs = keras.Input(shape=(8,))',
  'x = layers.Dense(16, activation="relu")(inputs)',
  'y = layers.Dense(16, activation="relu")(x)',
  'z = layers.Add()([x, y])',
  'outputs = layers.Dense(2, activation="softmax")(z)',
  'model = keras.Model(inputs, outputs)'
].join('\n');

describe('ModelGraph', () => {
  it('renders an accessible SVG: one titled group per node, one path per edge', () => {
    const { spec } = parseProgram(program);
    const shapes = inferShapes(spec!).summary!.shapes;
    const { body } = render(ModelGraph, { props: { spec: spec!, shapes } });
    expect(body).toMatch(/<div[^>]*role="img"[^>]*aria-label="Model graph: 4 layers, 1 merge"/);
    const groups = body.match(/<g class="node[^"]*"/g) ?? [];
    expect(groups).toHaveLength(5);
    const titles = [...body.matchAll(/<title>([^<]*)<\/title>/g)].map((m) => m[1]);
    expect(titles).toHaveLength(5);
    expect(titles.find((t) => t.startsWith('add (Add)'))).toContain('output (None, 16); inputs: dense, dense_1');
    expect(body.match(/<path class="edge/g)).toHaveLength(5);
    expect(body).toContain('Dense (None, 2)');
  });
});
