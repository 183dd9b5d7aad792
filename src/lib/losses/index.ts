/**
 * The loss registry. Adding a loss = one file beside this one (a `LossDef`) + one line here.
 * The parser (`compile(loss="...")`), the printer, completion/hover, the metrics' "accuracy" resolution and both
 * engines read this list; `LossName` (the spec's loss names) is derived from it.
 */
import { binaryCrossentropy } from './binary_crossentropy';
import { categoricalCrossentropy } from './categorical_crossentropy';
import { meanAbsoluteError } from './mean_absolute_error';
import { meanSquaredError } from './mean_squared_error';
import { sparseCategoricalCrossentropy } from './sparse_categorical_crossentropy';
import type { LossDef } from './types';

export const LOSS_LIST = [categoricalCrossentropy, sparseCategoricalCrossentropy, binaryCrossentropy, meanSquaredError, meanAbsoluteError] as const;

export type LossName = (typeof LOSS_LIST)[number]['name'];

/** The losses by spec name. */
export const LOSSES_BY_NAME = Object.fromEntries(LOSS_LIST.map((l) => [l.name, l])) as { readonly [N in LossName]: LossDef<N> };

/** Every string `compile(loss=...)` accepts → the spec's name (each name, then its aliases). */
export const LOSS_STRINGS: Readonly<Record<string, LossName>> = Object.fromEntries(LOSS_LIST.flatMap((l) => [l.name, ...l.aliases].map((s) => [s, l.name])));

export function getLoss(name: string): LossDef | undefined {
  return (LOSSES_BY_NAME as Record<string, LossDef>)[name];
}

/** The def of a spec's loss; throws for a name not in the registry. */
export function lossDef(name: string): LossDef {
  const def = getLoss(name);
  if (!def) throw new Error(`unsupported loss ${String(name)}`);
  return def;
}

/** The shape y must have per sample (no batch axis) for this loss and output shape. */
export function targetShape(loss: string, outputShape: number[]): number[] {
  return lossDef(loss).sparseTargets ? outputShape.slice(0, -1) : outputShape;
}

export { KERAS_EPSILON, type LossDef, type LossOnnxContext } from './types';
