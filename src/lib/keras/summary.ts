/**
 * `model.summary()` text in the style of Keras 3 (box-drawn table, totals with their size in float32 bytes).
 * Sequential models list their layers; functional models also list their inputs, and add a "Connected to" column
 * when the graph is not a simple chain. A KerasHub block is one row, as Keras shows it (its class, its output, the
 * parameters of everything it holds).
 */
import { formatShape, type ModelSummary, type SummaryRow } from '$lib/spec/shape';
import type { ModelSpec } from '$lib/spec/types';

/** Keras' `readable_memory_size`: 1484 → "1.45 KB". */
export function readableSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let size = bytes;
  for (const unit of units) {
    if (size / 1024 < 1) return `${size.toFixed(2)} ${unit}`;
    size /= 1024;
  }
  return `${size.toFixed(2)} ${units[units.length - 1]}`;
}

/** 1199882 → "1,199,882". */
function thousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** True when every layer has one input and every node feeds at most one layer (Keras' "sequential-like"). */
function isChain(spec: ModelSpec, rows: SummaryRow[]): boolean {
  if (spec.inputs.length !== 1 || spec.outputs.length !== 1) return false;
  const consumers = new Map<string, number>();
  for (const layer of rows) {
    if (layer.kind === 'InputLayer') continue;
    if (layer.inputs.length !== 1) return false;
    const n = (consumers.get(layer.inputs[0]) ?? 0) + 1;
    if (n > 1) return false;
    consumers.set(layer.inputs[0], n);
  }
  return true;
}

/**
 * The rows as Keras lists them: the rows of one block (`SummaryRow.block`) become one, where the block starts, named
 * and typed as the block, with the output shape of its last row, the sum of their parameters and FLOPs, and the
 * tensors the block was called on.
 */
export function blockRows(spec: ModelSpec, rows: SummaryRow[]): SummaryRow[] {
  const out: SummaryRow[] = [];
  const open = new Map<string, SummaryRow>();
  // A block's output (its last node) is the block itself to the rows that read it.
  const blockOf = new Map<string, string>();
  for (const r of rows) if (r.block) blockOf.set(r.id, r.block.id);
  const outputs = new Map([...blockOf].filter(([id, block]) => rows.findLast((r) => r.block?.id === block)?.id === id));
  const reads = (ids: string[]) => ids.map((id) => outputs.get(id) ?? id);
  for (const r of rows) {
    if (!r.block) {
      out.push({ ...r, inputs: reads(r.inputs) });
      continue;
    }
    const row = open.get(r.block.id);
    if (row) {
      row.outputShape = r.outputShape;
      row.trainable += r.trainable;
      row.nonTrainable += r.nonTrainable;
      row.flops += r.flops;
      continue;
    }
    const ref = spec.layers.find((n) => n.id === r.id)?.block;
    const first: SummaryRow = { ...r, id: r.block.id, kind: r.block.kind, inputs: reads(ref?.inputs ?? r.inputs) };
    open.set(r.block.id, first);
    out.push(first);
  }
  return out;
}

type Cell = string[]; // lines

function table(headers: string[], rows: Cell[][], minWidths: number[], rightAligned: boolean[]): string {
  const widths = headers.map((h, c) => Math.max(minWidths[c], h.length, ...rows.map((r) => Math.max(...r[c].map((l) => l.length)))));
  const pad = (text: string, c: number) => (rightAligned[c] ? text.padStart(widths[c]) : text.padEnd(widths[c]));
  const rule = (left: string, fill: string, mid: string, right: string) => left + widths.map((w) => fill.repeat(w + 2)).join(mid) + right;
  const out = [rule('┏', '━', '┳', '┓'), '┃' + headers.map((h, c) => ` ${pad(h, c)} `).join('┃') + '┃', rule('┡', '━', '╇', '┩')];
  rows.forEach((row, i) => {
    const height = Math.max(...row.map((cell) => cell.length));
    for (let l = 0; l < height; l++) out.push('│' + row.map((cell, c) => ` ${pad(cell[l] ?? '', c)} `).join('│') + '│');
    if (i < rows.length - 1) out.push(rule('├', '─', '┼', '┤'));
  });
  out.push(rule('└', '─', '┴', '┘'));
  return out.join('\n');
}

/** The text Keras' `model.summary()` prints for this model (the summary comes from `inferShapes(spec)`). */
export function formatSummary(spec: ModelSpec, summary: ModelSummary): string {
  const functional = spec.style === 'functional';
  // Keras lists the InputLayer rows of functional models only.
  const rows: SummaryRow[] = blockRows(spec, summary.rows).filter((r) => functional || r.kind !== 'InputLayer');
  const chain = !functional || isChain(spec, rows);
  const layerCell = (r: SummaryRow): Cell => {
    const text = `${r.id} (${r.kind})`;
    return text.length <= 31 ? [text] : [r.id, `(${r.kind})`];
  };
  const cells: Cell[][] = rows.map((r) => {
    const base: Cell[] = [layerCell(r), [formatShape(r.outputShape)], [thousands(r.trainable + r.nonTrainable)]];
    return chain ? base : [...base, r.inputs.length === 0 ? ['-'] : r.inputs.map((id) => `${id}[0][0]`)];
  });
  const headers = ['Layer (type)', 'Output Shape', 'Param #', ...(chain ? [] : ['Connected to'])];
  const total = summary.trainable + summary.nonTrainable;
  const line = (label: string, n: number) => ` ${label}: ${thousands(n)} (${readableSize(n * 4)})`;
  return [
    `Model: "${functional ? 'functional' : 'sequential'}"`,
    table(headers, cells, [31, 22, 13, 20], [false, false, true, false]),
    line('Total params', total),
    line('Trainable params', summary.trainable),
    line('Non-trainable params', summary.nonTrainable)
  ].join('\n');
}
