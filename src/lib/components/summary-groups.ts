/**
 * The model summary's rows grouped by composite layer (`LayerNode.block`, e.g. KerasHub's TransformerEncoder): a
 * block is one row (its name, kind, output shape, and the parameters and FLOPs of everything it holds), with the rows
 * of its layers under it; a layer outside any block is a row of its own. Pure, so it is tested without a DOM.
 */
import type { Shape } from '$lib/spec/types';
import type { SummaryRow } from '$lib/spec/shape';

export interface BlockGroup {
  type: 'block';
  /** The block's layer name (`transformer_decoder`); `key` is unique even if its rows were not contiguous. */
  id: string;
  key: string;
  kind: string;
  /** The block's output: that of its last row (the block's output is its last node). */
  outputShape: Shape;
  trainable: number;
  nonTrainable: number;
  flops: number;
  /** Its layers, in model order, each with its name inside the block (`feedforward_output_dense`). */
  rows: { row: SummaryRow; part: string }[];
}

export type SummaryItem = { type: 'row'; key: string; row: SummaryRow } | BlockGroup;

/** The name of a block's node inside the block: its id without the `${block id}_` prefix the builder gives it. */
export function partName(rowId: string, blockId: string): string {
  return rowId.startsWith(`${blockId}_`) ? rowId.slice(blockId.length + 1) : rowId;
}

/** Groups consecutive rows of one block (the builder adds a block's nodes together) into a `BlockGroup`. */
export function groupSummaryRows(rows: readonly SummaryRow[]): SummaryItem[] {
  const items: SummaryItem[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const block = row.block;
    if (!block) {
      items.push({ type: 'row', key: row.id, row });
      continue;
    }
    const last = items[items.length - 1];
    let group: BlockGroup;
    if (last?.type === 'block' && last.id === block.id) group = last;
    else {
      const n = seen.get(block.id) ?? 0;
      seen.set(block.id, n + 1);
      group = { type: 'block', id: block.id, key: n === 0 ? `block:${block.id}` : `block:${block.id}#${n}`, kind: block.kind, outputShape: row.outputShape, trainable: 0, nonTrainable: 0, flops: 0, rows: [] };
      items.push(group);
    }
    group.rows.push({ row, part: partName(row.id, block.id) });
    group.outputShape = row.outputShape;
    group.trainable += row.trainable;
    group.nonTrainable += row.nonTrainable;
    group.flops += row.flops;
  }
  return items;
}

/** FLOPs for a table cell: 1.23 G, 4.56 M, 7.8 k, or the number. */
export function formatFlops(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(2)} G` : n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} k` : `${n}`;
}
