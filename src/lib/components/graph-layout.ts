/**
 * Layered layout of a model graph for `ModelGraph.svelte` (pure, no DOM).
 *
 * Nodes are ranked by their longest path from an input, so every edge points forward; edges spanning several ranks
 * go through dummy points (one per rank crossed) that take a narrow slot, so they bend around the nodes in between.
 * Within a rank, nodes are ordered by the mean position of their neighbours (a few down/up sweeps), then each node
 * is pulled towards its predecessors while keeping the nodes of the rank apart.
 */
import type { ModelSpec, Shape } from '$lib/spec/types';

export type Direction = 'TB' | 'LR';

export interface GraphInputNode {
  id: string;
  /** Ids of the nodes feeding this one (unknown ids are ignored). */
  inputs: readonly string[];
}

export interface LayoutOptions {
  direction: Direction;
  nodeWidth: number;
  nodeHeight: number;
  /** Space between ranks (along the direction). */
  rankGap: number;
  /** Space between neighbours in a rank. */
  nodeGap: number;
  /** Width of the slot an edge passing through a rank takes. */
  dummySize: number;
  margin: number;
}

export interface PlacedNode {
  id: string;
  rank: number;
  /** Position in its rank (0 = leftmost / topmost), counting the dummies. */
  order: number;
  /** Top-left corner. */
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface Point {
  x: number;
  y: number;
}

export interface PlacedEdge {
  from: string;
  to: string;
  /** From the source's exit side, through the dummies, to the target's entry side. */
  points: Point[];
}

export interface GraphLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  width: number;
  height: number;
  /** Number of ranks (the longest path has `ranks` nodes). */
  ranks: number;
}

export const DEFAULT_LAYOUT: LayoutOptions = { direction: 'TB', nodeWidth: 150, nodeHeight: 40, rankGap: 28, nodeGap: 16, dummySize: 8, margin: 8 };

interface Slot {
  id: string;
  dummy: boolean;
  rank: number;
  preds: Slot[];
  succs: Slot[];
  /** Cross-axis centre. */
  pos: number;
  order: number;
}

/** Longest-path rank of each node (sources are rank 0). Cycles, which a spec never has, are broken arbitrarily. */
export function rankNodes(nodes: readonly GraphInputNode[]): Map<string, number> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const rank = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = rank.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    const node = byId.get(id)!;
    let r = 0;
    for (const i of node.inputs) if (byId.has(i)) r = Math.max(r, visit(i) + 1);
    visiting.delete(id);
    rank.set(id, r);
    return r;
  };
  for (const n of nodes) visit(n.id);
  return rank;
}

export function layoutGraph(nodes: readonly GraphInputNode[], options: Partial<LayoutOptions> = {}): GraphLayout {
  const o: LayoutOptions = { ...DEFAULT_LAYOUT, ...options };
  const ranks = rankNodes(nodes);
  const rankCount = nodes.length ? Math.max(...ranks.values()) + 1 : 0;
  const layers: Slot[][] = Array.from({ length: rankCount }, () => []);
  const slots = new Map<string, Slot>();
  for (const n of nodes) {
    const s: Slot = { id: n.id, dummy: false, rank: ranks.get(n.id)!, preds: [], succs: [], pos: 0, order: 0 };
    slots.set(n.id, s);
    layers[s.rank].push(s);
  }
  // Edges, with a chain of dummies through each rank they cross.
  const chains: { from: string; to: string; path: Slot[] }[] = [];
  let dummies = 0;
  for (const n of nodes) {
    const target = slots.get(n.id)!;
    for (const input of n.inputs) {
      const source = slots.get(input);
      if (!source) continue;
      const path: Slot[] = [source];
      for (let r = source.rank + 1; r < target.rank; r++) {
        const d: Slot = { id: `__dummy${dummies++}`, dummy: true, rank: r, preds: [], succs: [], pos: 0, order: 0 };
        layers[r].push(d);
        path.push(d);
      }
      path.push(target);
      for (let i = 1; i < path.length; i++) {
        path[i - 1].succs.push(path[i]);
        path[i].preds.push(path[i - 1]);
      }
      chains.push({ from: source.id, to: target.id, path });
    }
  }

  // Order within ranks: barycentre sweeps (stable sorts keep the program's order among ties).
  const renumber = (layer: Slot[]) => layer.forEach((s, i) => (s.order = i));
  layers.forEach(renumber);
  const mean = (xs: Slot[], fallback: number) => (xs.length ? xs.reduce((a, s) => a + s.order, 0) / xs.length : fallback);
  for (let sweep = 0; sweep < 4; sweep++) {
    const down = sweep % 2 === 0;
    const seq = down ? layers.slice(1) : layers.slice(0, -1).reverse();
    for (const layer of seq) {
      const keyed = layer.map((s) => ({ s, k: mean(down ? s.preds : s.succs, s.order) }));
      keyed.sort((a, b) => a.k - b.k);
      keyed.forEach(({ s }, i) => {
        layer[i] = s;
        s.order = i;
      });
    }
  }

  // Cross-axis positions: pack each rank, then pull nodes towards their predecessors without overlapping.
  const crossSize = (s: Slot) => (s.dummy ? o.dummySize : o.direction === 'TB' ? o.nodeWidth : o.nodeHeight);
  const minGap = (a: Slot, b: Slot) => (crossSize(a) + crossSize(b)) / 2 + o.nodeGap;
  for (const layer of layers) {
    let at = 0;
    layer.forEach((s, i) => {
      if (i > 0) at += minGap(layer[i - 1], s);
      s.pos = at;
    });
    const shift = at / 2;
    for (const s of layer) s.pos -= shift;
  }
  for (let pass = 0; pass < 2; pass++) {
    for (const layer of pass === 0 ? layers.slice(1) : layers.slice(0, -1).reverse()) {
      const wants = layer.map((s) => {
        const ns = pass === 0 ? s.preds : s.succs;
        return ns.length ? ns.reduce((a, n) => a + n.pos, 0) / ns.length : s.pos;
      });
      // Left to right: no closer than the minimum gap to the left neighbour ...
      const placed = wants.slice();
      for (let i = 1; i < layer.length; i++) placed[i] = Math.max(placed[i], placed[i - 1] + minGap(layer[i - 1], layer[i]));
      // ... then shift the whole rank so that, on average, nodes sit where they want to.
      const drift = wants.reduce((a, w, i) => a + (w - placed[i]), 0) / Math.max(1, layer.length);
      layer.forEach((s, i) => (s.pos = placed[i] + drift));
    }
  }

  // Coordinates.
  const all = layers.flat();
  const minPos = all.length ? Math.min(...all.map((s) => s.pos - crossSize(s) / 2)) : 0;
  const maxPos = all.length ? Math.max(...all.map((s) => s.pos + crossSize(s) / 2)) : 0;
  const mainSize = o.direction === 'TB' ? o.nodeHeight : o.nodeWidth;
  const cross = (s: Slot) => s.pos - minPos + o.margin;
  const main = (rank: number) => o.margin + rank * (mainSize + o.rankGap);
  const point = (c: number, m: number): Point => (o.direction === 'TB' ? { x: c, y: m } : { x: m, y: c });

  const placedNodes: PlacedNode[] = nodes.map((n) => {
    const s = slots.get(n.id)!;
    const c = cross(s);
    const tl = point(c - crossSize(s) / 2, main(s.rank));
    return { id: n.id, rank: s.rank, order: s.order, x: tl.x, y: tl.y, width: o.nodeWidth, height: o.nodeHeight };
  });
  const edges: PlacedEdge[] = chains.map(({ from, to, path }) => {
    const points = path.map((s, i) => {
      if (i === 0) return point(cross(s), main(s.rank) + mainSize);
      if (i === path.length - 1) return point(cross(s), main(s.rank));
      return point(cross(s), main(s.rank) + mainSize / 2);
    });
    return { from, to, points };
  });
  const crossExtent = maxPos - minPos + 2 * o.margin;
  const mainExtent = rankCount ? main(rankCount - 1) + mainSize + o.margin : 2 * o.margin;
  return {
    nodes: placedNodes,
    edges,
    width: o.direction === 'TB' ? crossExtent : mainExtent,
    height: o.direction === 'TB' ? mainExtent : crossExtent,
    ranks: rankCount
  };
}

/** An SVG path through the points: straight along the direction where aligned, smooth S-curves elsewhere. */
export function edgePath(points: readonly Point[], direction: Direction = 'TB'): string {
  if (points.length === 0) return '';
  const f = (n: number) => Math.round(n * 10) / 10;
  let d = `M${f(points[0].x)},${f(points[0].y)}`;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (direction === 'TB') {
      const my = (a.y + b.y) / 2;
      d += ` C${f(a.x)},${f(my)} ${f(b.x)},${f(my)} ${f(b.x)},${f(b.y)}`;
    } else {
      const mx = (a.x + b.x) / 2;
      d += ` C${f(mx)},${f(a.y)} ${f(mx)},${f(b.y)} ${f(b.x)},${f(b.y)}`;
    }
  }
  return d;
}

// ---------------------------------------------------------------------------------------------------------------
// Model specs

export interface ModelGraphNode extends PlacedNode {
  kind: string;
  /** `(None, 16)`, or '?' when the shape is unknown. */
  shapeText: string;
  /** Text of the node's <title>. */
  title: string;
  input: boolean;
  output: boolean;
  merge: boolean;
}

export interface ModelGraphLayout extends Omit<GraphLayout, 'nodes'> {
  nodes: ModelGraphNode[];
  direction: Direction;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function shapeText(shape: Shape | undefined): string {
  return shape ? `(None, ${shape.join(', ')})`.replace('(None, )', '(None,)') : '?';
}

/** The accessible summary: "Model graph: 6 layers, 1 merge" (inputs named when there are several). */
export function graphSummary(spec: ModelSpec): string {
  const merges = spec.layers.filter((l) => l.inputs.length > 1).length;
  const inputs = spec.inputs.length > 1 ? `${plural(spec.inputs.length, 'input')}, ` : '';
  return `Model graph: ${inputs}${plural(spec.layers.length, 'layer')}, ${plural(merges, 'merge')}`;
}

/** Monospace estimate of a label's width at `fontSize` (no DOM to measure with). */
const textWidth = (s: string, fontSize: number) => s.length * fontSize * 0.62;

/** Lays out a spec's inputs and layers, sizing the nodes to fit their two lines of text. */
export function layoutModel(spec: ModelSpec, shapes: Record<string, Shape>, options: Partial<LayoutOptions> & { fontSize?: number } = {}): ModelGraphLayout {
  const fontSize = options.fontSize ?? 12;
  const outputs = new Set(spec.outputs);
  const info = [
    ...spec.inputs.map((i) => ({ id: i.id, kind: 'Input', inputs: [] as string[], shape: shapes[i.id] ?? i.shape })),
    ...spec.layers.map((l) => ({ id: l.id, kind: l.kind, inputs: l.inputs, shape: shapes[l.id] }))
  ];
  const lines = info.flatMap((n) => [n.id, `${n.kind} ${shapeText(n.shape)}`]);
  const nodeWidth = Math.max(options.nodeWidth ?? 0, Math.ceil(Math.max(90, ...lines.map((l) => textWidth(l, fontSize))) + 20));
  const direction = options.direction ?? 'TB';
  const layout = layoutGraph(info, { ...options, nodeWidth, nodeHeight: options.nodeHeight ?? Math.round(fontSize * 3.4) });
  const byId = new Map(info.map((n) => [n.id, n]));
  return {
    ...layout,
    direction,
    nodes: layout.nodes.map((p) => {
      const n = byId.get(p.id)!;
      const shape = shapeText(n.shape);
      const from = n.inputs.length ? `; input${n.inputs.length > 1 ? 's' : ''}: ${n.inputs.join(', ')}` : '';
      return {
        ...p,
        kind: n.kind,
        shapeText: shape,
        title: `${n.id} (${n.kind}), output ${shape}${from}${outputs.has(n.id) ? '; model output' : ''}`,
        input: n.kind === 'Input',
        output: outputs.has(n.id),
        merge: n.inputs.length > 1
      };
    })
  };
}
