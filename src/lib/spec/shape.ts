import { getLayer } from '$lib/layers';
import { LayerError } from '$lib/layers/types';
import type { Diagnostic, ModelSpec, Shape } from './types';

export interface SummaryRow {
  id: string;
  kind: string; // 'InputLayer' for inputs
  outputShape: Shape;
  trainable: number;
  nonTrainable: number;
  flops: number;
  inputs: string[];
  line: number;
  /** The composite layer (KerasHub block) the row's node belongs to (`LayerNode.block`), for grouping its rows. */
  block?: { id: string; kind: string };
}

export interface ModelSummary {
  rows: SummaryRow[];
  shapes: Record<string, Shape>;
  trainable: number;
  nonTrainable: number;
  /** Forward FLOPs per sample. */
  flops: number;
  outputShapes: Shape[];
}

/** Larger models are refused: a browser tab cannot hold their weights, gradients and optimizer state. */
export const MAX_PARAMS = 50_000_000;
/** Activations kept for the backward pass, for one batch (float32), above which training would not fit. */
export const MAX_ACTIVATION_BYTES = 2 * 1024 ** 3;

export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

export function formatShape(shape: Shape): string {
  return shape.length === 0 ? '(None,)' : `(None, ${shape.join(', ')})`;
}

export function formatTuple(shape: Shape): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/**
 * Shape inference, parameter and FLOP counting over the spec's graph.
 * Returns the summary, or diagnostics located at the layer that cannot accept its input.
 */
export function inferShapes(spec: ModelSpec): { summary: ModelSummary | null; diagnostics: Diagnostic[] } {
  const shapes: Record<string, Shape> = {};
  const rows: SummaryRow[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const input of spec.inputs) {
    shapes[input.id] = input.shape;
    rows.push({ id: input.id, kind: 'InputLayer', outputShape: input.shape, trainable: 0, nonTrainable: 0, flops: 0, inputs: [], line: input.span.line });
  }
  for (const node of spec.layers) {
    const def = getLayer(node.kind);
    if (!def) {
      diagnostics.push({ severity: 'error', message: `Unknown layer ${node.kind}`, span: node.span });
      return { summary: null, diagnostics };
    }
    const inShapes = node.inputs.map((id) => shapes[id]);
    if (inShapes.some((s) => s === undefined)) {
      diagnostics.push({ severity: 'error', message: `${node.kind} is called on a tensor whose shape is unknown`, span: node.span });
      return { summary: null, diagnostics };
    }
    try {
      const out = def.outputShape(inShapes, node.args, node.call);
      const p = def.params(inShapes, node.args, node.call);
      shapes[node.id] = out;
      const row: SummaryRow = { id: node.id, kind: node.kind, outputShape: out, trainable: p.trainable, nonTrainable: p.nonTrainable, flops: def.flops(inShapes, node.args, node.call), inputs: node.inputs, line: node.span.line };
      if (node.block) row.block = { id: node.block.id, kind: node.block.kind };
      rows.push(row);
      const tooBig = sizeCheck(spec, rows);
      if (tooBig) {
        diagnostics.push({ severity: 'error', span: node.span, ...tooBig });
        return { summary: null, diagnostics };
      }
    } catch (e) {
      if (e instanceof LayerError) {
        diagnostics.push({ severity: 'error', message: e.message, hint: e.hint, span: node.span });
        return { summary: null, diagnostics };
      }
      throw e;
    }
  }
  const summary: ModelSummary = {
    rows,
    shapes,
    trainable: rows.reduce((a, r) => a + r.trainable, 0),
    nonTrainable: rows.reduce((a, r) => a + r.nonTrainable, 0),
    flops: rows.reduce((a, r) => a + r.flops, 0),
    outputShapes: spec.outputs.map((id) => shapes[id])
  };
  return { summary, diagnostics };
}

/** Refuses a model whose parameters or per-batch activations would not fit in a browser tab. */
function sizeCheck(spec: ModelSpec, rows: SummaryRow[]): { message: string; hint: string } | null {
  const params = rows.reduce((a, r) => a + r.trainable + r.nonTrainable, 0);
  if (params > MAX_PARAMS) {
    return {
      message: `The model reaches ${params.toLocaleString('en-US')} parameters here (${formatBytes(params * 4)} of float32 weights), more than the ${MAX_PARAMS / 1e6} M a browser can train`,
      hint: 'Use fewer units or filters, or pool / stride before large Dense layers.'
    };
  }
  const batch = spec.fit?.batchSize ?? 32;
  const elements = rows.reduce((a, r) => a + r.outputShape.reduce((x, y) => x * y, 1), 0);
  const bytes = elements * batch * 4;
  if (bytes > MAX_ACTIVATION_BYTES) {
    return {
      message: `The activations of one batch of ${batch} reach ${formatBytes(bytes)} here, more than a browser can hold (${formatBytes(MAX_ACTIVATION_BYTES)})`,
      hint: 'Use a smaller batch_size, fewer filters, or downsample earlier.'
    };
  }
  return null;
}
