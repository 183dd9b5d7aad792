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

export function formatShape(shape: Shape): string {
  return `(None, ${shape.join(', ')}${shape.length === 0 ? '' : ''})`.replace('(None, )', '(None,)');
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
      const out = def.outputShape(inShapes, node.args);
      const p = def.params(inShapes, node.args);
      shapes[node.id] = out;
      rows.push({ id: node.id, kind: node.kind, outputShape: out, trainable: p.trainable, nonTrainable: p.nonTrainable, flops: def.flops(inShapes, node.args), inputs: node.inputs, line: node.span.line });
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
