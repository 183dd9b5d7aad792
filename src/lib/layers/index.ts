/**
 * The layer registry. Adding a layer = one file beside this one + one line here.
 * The parser, shape inference, editor completion/hover and the engines all read this list.
 */
import { activation } from './activation';
import { dense } from './dense';
import { dropout } from './dropout';
import type { LayerDef } from './types';

export const LAYERS: readonly LayerDef[] = [dense, activation, dropout];

const byKind = new Map(LAYERS.map((l) => [l.kind, l]));

export function getLayer(kind: string): LayerDef | undefined {
  return byKind.get(kind);
}

export const LAYER_KINDS = LAYERS.map((l) => l.kind);

export type { LayerDef, ArgDef } from './types';
