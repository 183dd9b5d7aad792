import { describe, expect, it } from 'vitest';
import { parseProgram } from '$lib/keras/parse';
import { functionalSpec, spiralSpec } from '$lib/spec/fixtures';
import { inferShapes } from '$lib/spec/shape';
import { edgePath, graphSummary, layoutGraph, layoutModel, rankNodes, type GraphLayout, type PlacedNode } from './graph-layout';

/** A residual block: input → d1 → d2 → d3, add(d1, d3) → out. */
const residual = [
  { id: 'in', inputs: [] },
  { id: 'd1', inputs: ['in'] },
  { id: 'd2', inputs: ['d1'] },
  { id: 'd3', inputs: ['d2'] },
  { id: 'add', inputs: ['d1', 'd3'] },
  { id: 'out', inputs: ['add'] }
];

const overlaps = (a: PlacedNode, b: PlacedNode) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

function expectNoOverlap(layout: GraphLayout) {
  for (const a of layout.nodes) for (const b of layout.nodes) if (a !== b) expect(overlaps(a, b), `${a.id} overlaps ${b.id}`).toBe(false);
  for (const n of layout.nodes) {
    expect(n.x).toBeGreaterThanOrEqual(0);
    expect(n.y).toBeGreaterThanOrEqual(0);
    expect(n.x + n.width).toBeLessThanOrEqual(layout.width + 1e-9);
    expect(n.y + n.height).toBeLessThanOrEqual(layout.height + 1e-9);
  }
}

describe('rankNodes', () => {
  it('ranks by the longest path from an input', () => {
    const r = rankNodes(residual);
    expect(Object.fromEntries(r)).toEqual({ in: 0, d1: 1, d2: 2, d3: 3, add: 4, out: 5 });
  });

  it('ignores unknown inputs and survives a cycle', () => {
    expect(rankNodes([{ id: 'a', inputs: ['ghost'] }]).get('a')).toBe(0);
    expect(() => rankNodes([{ id: 'a', inputs: ['b'] }, { id: 'b', inputs: ['a'] }])).not.toThrow();
  });
});

describe('layoutGraph', () => {
  it('puts a chain in one straight column, top to bottom', () => {
    const l = layoutGraph([{ id: 'a', inputs: [] }, { id: 'b', inputs: ['a'] }, { id: 'c', inputs: ['b'] }]);
    const [a, b, c] = l.nodes;
    expect(a.x).toBe(b.x);
    expect(b.x).toBe(c.x);
    expect(a.y).toBeLessThan(b.y);
    expect(b.y).toBeLessThan(c.y);
    expect(l.ranks).toBe(3);
    expect(l.edges.map((e) => e.points.length)).toEqual([2, 2]);
    expectNoOverlap(l);
  });

  it('lays out left to right on request', () => {
    const l = layoutGraph([{ id: 'a', inputs: [] }, { id: 'b', inputs: ['a'] }], { direction: 'LR' });
    expect(l.nodes[0].y).toBe(l.nodes[1].y);
    expect(l.nodes[0].x + l.nodes[0].width).toBeLessThan(l.nodes[1].x);
    expect(l.width).toBeGreaterThan(l.height);
  });

  it('routes a skip connection through one bend point per rank it crosses, beside the nodes', () => {
    const l = layoutGraph(residual);
    expectNoOverlap(l);
    const skip = l.edges.find((e) => e.from === 'd1' && e.to === 'add')!;
    expect(skip.points).toHaveLength(4); // exit, two ranks crossed (d2, d3), entry
    const d2 = l.nodes.find((n) => n.id === 'd2')!;
    const bend = skip.points[1];
    expect(bend.x < d2.x || bend.x > d2.x + d2.width).toBe(true);
    // Edges leave the bottom of their source and enter the top of their target.
    const d1 = l.nodes.find((n) => n.id === 'd1')!;
    const add = l.nodes.find((n) => n.id === 'add')!;
    expect(skip.points[0].y).toBe(d1.y + d1.height);
    expect(skip.points[3].y).toBe(add.y);
  });

  it('spreads parallel branches side by side in one rank', () => {
    const l = layoutGraph([
      { id: 'in', inputs: [] },
      { id: 'a', inputs: ['in'] },
      { id: 'b', inputs: ['in'] },
      { id: 'c', inputs: ['in'] },
      { id: 'cat', inputs: ['a', 'b', 'c'] }
    ]);
    expectNoOverlap(l);
    const [inN, a, b, c, cat] = l.nodes;
    expect(a.y).toBe(b.y);
    expect(b.y).toBe(c.y);
    expect(a.x).toBeLessThan(b.x);
    expect(b.x).toBeLessThan(c.x);
    // The source and the merge sit centred over / under the branches.
    expect(Math.abs(inN.x - b.x)).toBeLessThan(1);
    expect(Math.abs(cat.x - b.x)).toBeLessThan(1);
  });

  it('handles an empty graph', () => {
    const l = layoutGraph([]);
    expect(l.nodes).toEqual([]);
    expect(l.ranks).toBe(0);
  });
});

describe('edgePath', () => {
  it('draws S-curves through the points', () => {
    expect(edgePath([{ x: 0, y: 0 }, { x: 10, y: 20 }])).toBe('M0,0 C0,10 10,10 10,20');
    expect(edgePath([{ x: 0, y: 0 }, { x: 20, y: 10 }], 'LR')).toBe('M0,0 C10,0 10,10 20,10');
    expect(edgePath([])).toBe('');
  });
});

describe('model graphs', () => {
  it('summarises the model for screen readers', () => {
    expect(graphSummary(spiralSpec())).toBe('Model graph: 3 layers, 0 merges');
    const spec = functionalSpec(
      [{ id: 'input_layer', shape: [4] }],
      [
        { id: 'dense', kind: 'Dense', args: { units: 8 }, inputs: ['input_layer'] },
        { id: 'dense_1', kind: 'Dense', args: { units: 8 }, inputs: ['dense'] },
        { id: 'add', kind: 'Add', args: {}, inputs: ['dense', 'dense_1'] },
        { id: 'dense_2', kind: 'Dense', args: { units: 3 }, inputs: ['add'] }
      ],
      ['dense_2']
    );
    expect(graphSummary(spec)).toBe('Model graph: 4 layers, 1 merge');
  });

  it('labels nodes with id, kind and output shape from a parsed functional program', () => {
    const { spec } = parseProgram(
      [
        'import keras',
        'from keras import layers',
        'inputs = keras.Input(shape=(4,))',
        'x = layers.Dense(8, activation="relu")(inputs)',
        'y = layers.Dense(8, activation="relu")(x)',
        'z = layers.Concatenate()([x, y])',
        'outputs = layers.Dense(3, activation="softmax")(z)',
        'model = keras.Model(inputs, outputs)'
      ].join('\n')
    );
    expect(spec).not.toBeNull();
    const shapes = inferShapes(spec!).summary!.shapes;
    const l = layoutModel(spec!, shapes);
    expect(l.nodes.map((n) => n.id)).toEqual([spec!.inputs[0].id, ...spec!.layers.map((x) => x.id)]);
    const cat = l.nodes.find((n) => n.kind === 'Concatenate')!;
    expect(cat.shapeText).toBe('(None, 16)');
    expect(cat.merge).toBe(true);
    expect(cat.title).toContain('inputs: dense, dense_1');
    const input = l.nodes[0];
    expect(input.input).toBe(true);
    expect(input.shapeText).toBe('(None, 4)');
    expect(l.nodes[l.nodes.length - 1].output).toBe(true);
    expect(l.edges).toHaveLength(5);
    expectNoOverlap(l);
    // Wide enough for the longest label.
    for (const n of l.nodes) expect(n.width).toBeGreaterThanOrEqual(`${n.kind} ${n.shapeText}`.length * 7);
    expect(graphSummary(spec!)).toBe('Model graph: 4 layers, 1 merge');
  });

  it('shows ? for unknown shapes', () => {
    const l = layoutModel(spiralSpec(), {});
    expect(l.nodes[1].shapeText).toBe('?');
    expect(l.nodes[0].shapeText).toBe('(None, 2)'); // an input's shape is in the spec
  });
});
