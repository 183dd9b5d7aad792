/**
 * Attention maps: for one input sample, the attention probabilities of every MultiHeadAttention layer of a model,
 * each head a query × key matrix, read from the TF.js model in the worker. The layer computes them itself
 * (`attentionScoresTfjs` of layers/multi_head_attention.ts, injected as `AttentionScoresFn`) from the tensors it was
 * called on; those come from a sub-model running the model's input up to the attention layers' inputs (built once
 * per model). Only small typed arrays cross to the UI, which draws them as heatmaps (AttentionMaps.svelte).
 *
 * The pure helpers at the end (the sample a learner picks, its axis labels, how focused a map is) are shared with
 * the UI.
 */
import type { Tfjs } from '$lib/layers/types';
import type { LayerNode, ModelSpec } from '$lib/spec/types';
import type { SequenceDataset } from '$lib/data/types';
import { showToken } from '$lib/components/sequence-view';
import type * as TF from '@tensorflow/tfjs';

/** The layer kind whose attention is drawn. */
export const ATTENTION_KIND = 'MultiHeadAttention';

/** One attention layer's probabilities for one sample. */
export interface AttentionMap {
  /** The node's id (its layer name). */
  layer: string;
  /** How the picture names it: "transformer_decoder · self_attention_layer" for a part of a KerasHub block, else the id. */
  title: string;
  heads: number;
  /** Query positions (rows). */
  queries: number;
  /** Key positions (columns). */
  keys: number;
  /** Row-major heads × queries × keys: `probs[(h * queries + i) * keys + j]` is how much query i of head h attends to key j. */
  probs: Float32Array;
}

/**
 * The attention probabilities (batch, heads, T_q, T_k) of the TF.js layer built for a MultiHeadAttention node, given
 * the tensors the node was called on (in `node.inputs` order). Synchronous (run inside `tf.tidy`).
 */
export type AttentionScoresFn = (tf: Tfjs, layer: TF.layers.Layer, inputs: TF.Tensor[]) => TF.Tensor;

/** The spec's MultiHeadAttention nodes, in model order. */
export function attentionNodes(spec: Pick<ModelSpec, 'layers'>): LayerNode[] {
  return spec.layers.filter((n) => n.kind === ATTENTION_KIND);
}

/** "transformer_decoder · self_attention_layer" for a node of a KerasHub block (named `${block}_${part}`), else its id. */
export function attentionTitle(node: Pick<LayerNode, 'id' | 'block'>): string {
  const b = node.block;
  if (!b) return node.id;
  const part = node.id.startsWith(`${b.id}_`) ? node.id.slice(b.id.length + 1) : node.id;
  return `${b.id} · ${part}`;
}

/** Where an attention layer's inputs come from: -1 the model's input, else an output of the probe model. */
interface Probe {
  key: string;
  model: TF.LayersModel | null;
  layers: { node: LayerNode; layer: TF.layers.Layer; sources: number[] }[];
}

const probes = new WeakMap<TF.LayersModel, Probe>();

/** The sub-model from the model's input to every attention layer's inputs (rebuilt only when the nodes change). */
function probeFor(tf: Tfjs, model: TF.LayersModel, nodes: LayerNode[]): Probe {
  const key = nodes.map((n) => n.id).join(',');
  const cached = probes.get(model);
  if (cached?.key === key) return cached;
  const outputs: TF.SymbolicTensor[] = [];
  const layers: Probe['layers'] = [];
  const input = model.inputs[0];
  for (const node of nodes) {
    let layer: TF.layers.Layer;
    try {
      layer = model.getLayer(node.id);
    } catch {
      continue; // not in this model (a spec edited since it was built)
    }
    const ins = layer.input;
    const list = Array.isArray(ins) ? ins : [ins];
    const sources = list.map((t) => {
      if (t === input) return -1;
      let i = outputs.indexOf(t);
      if (i < 0) i = outputs.push(t) - 1;
      return i;
    });
    layers.push({ node, layer, sources });
  }
  const probe: Probe = { key, model: outputs.length ? tf.model({ inputs: model.inputs, outputs }) : null, layers };
  probes.set(model, probe);
  return probe;
}

/**
 * The attention maps of every MultiHeadAttention layer of `model` (built from `spec`) for one sample `x` (shaped
 * `inputShape`, the model's input without the batch axis), in inference mode (dropout off). Empty when the model has
 * none, or more than one input.
 */
export async function attentionMaps(
  tf: Tfjs,
  model: TF.LayersModel,
  spec: Pick<ModelSpec, 'layers'>,
  x: Float32Array,
  inputShape: number[],
  scores: AttentionScoresFn
): Promise<AttentionMap[]> {
  const nodes = attentionNodes(spec);
  if (!nodes.length || model.inputs.length !== 1) return [];
  const probe = probeFor(tf, model, nodes);
  if (!probe.layers.length) return [];
  const outs = tf.tidy(() => {
    const input = tf.tensor(x, [1, ...inputShape], 'float32');
    const fed = probe.model ? (probe.model.apply(input, { training: false }) as TF.Tensor | TF.Tensor[]) : [];
    const list = Array.isArray(fed) ? fed : [fed];
    return probe.layers.map(({ layer, sources }) => {
      const p = scores(tf, layer, sources.map((s) => (s < 0 ? input : list[s])));
      // (1, heads, T_q, T_k); a layer without a heads axis counts as one head.
      return p.rank === 3 ? p.expandDims(1) : p;
    });
  });
  try {
    const values = await Promise.all(outs.map((t) => t.data() as Promise<Float32Array>));
    return probe.layers.map(({ node }, i) => {
      const [, heads, queries, keys] = outs[i].shape;
      return { layer: node.id, title: attentionTitle(node), heads, queries, keys, probs: new Float32Array(values[i].subarray(0, heads * queries * keys)) };
    });
  } finally {
    tf.dispose(outs);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Shared with the UI (pure).

/** The held-out sequence a learner picks for the maps: x_test when the data has one, else x_train. */
export function attentionSplit(d: SequenceDataset): { x: Float32Array; n: number; held: boolean } {
  return d.test && d.test.n > 0 ? { x: d.test.x, n: d.test.n, held: true } : { x: d.x, n: d.n, held: false };
}

/** Sequence `i` (0-based, clamped) of the split, as the model's input, with a label for each position. */
export function attentionSample(d: SequenceDataset, i: number): { index: number; x: Float32Array; labels: string[] } {
  const split = attentionSplit(d);
  const index = Math.max(0, Math.min(split.n - 1, Math.floor(i) || 0));
  const x = split.x.slice(index * d.features, (index + 1) * d.features);
  return { index, x, labels: positionLabels(x, d) };
}

/**
 * What each position of a sample is, for the axes: the character (text), the token id (reverse, parity), or the
 * position number when x holds real values (one label per time step).
 */
export function positionLabels(x: ArrayLike<number>, d: Pick<SequenceDataset, 'vocabSize' | 'tokens' | 'seqLen'>): string[] {
  if (!d.vocabSize) return Array.from({ length: d.seqLen }, (_, t) => String(t + 1));
  const tokens = d.tokens;
  return Array.from(x, (v) => (tokens ? showToken(tokens[v] ?? '?') : String(v)));
}

/**
 * How focused a head is: the mean over its query rows of the largest probability in the row. 1/keys for uniform
 * attention (every key alike), 1 when each query looks at exactly one key.
 */
export function focus(m: Pick<AttentionMap, 'probs' | 'queries' | 'keys'>, head: number): number {
  const { probs, queries, keys } = m;
  let sum = 0;
  for (let i = 0; i < queries; i++) {
    let best = 0;
    const row = (head * queries + i) * keys;
    for (let j = 0; j < keys; j++) best = Math.max(best, probs[row + j]);
    sum += best;
  }
  return queries ? sum / queries : 0;
}

/**
 * Where a square map's weight lies, averaged over its query rows: on the diagonal (each position attends to itself),
 * the anti-diagonal (to the mirrored position, what reversing a sequence needs) and the previous position (a causal
 * model's usual first pattern). Null when queries and keys differ in number (cross-attention).
 */
export function pattern(m: Pick<AttentionMap, 'probs' | 'queries' | 'keys'>, head: number): { diagonal: number; antiDiagonal: number; previous: number } | null {
  const { probs, queries: n, keys } = m;
  if (n !== keys || n === 0) return null;
  let diagonal = 0;
  let antiDiagonal = 0;
  let previous = 0;
  for (let i = 0; i < n; i++) {
    const row = (head * n + i) * n;
    diagonal += probs[row + i];
    antiDiagonal += probs[row + n - 1 - i];
    if (i > 0) previous += probs[row + i - 1];
  }
  return { diagonal: diagonal / n, antiDiagonal: antiDiagonal / n, previous: n > 1 ? previous / (n - 1) : 0 };
}
