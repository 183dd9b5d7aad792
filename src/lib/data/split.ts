/**
 * The train/validation split: what trains is the program's `model.fit(..., validation_split=...)`. When the program
 * does not write validation_split (the parser then fills in Keras' default, 0), the Data panel's split is used, as if
 * the program had said it.
 */
import type { ModelSpec } from '$lib/spec/types';

/** The program's own validation_split, or undefined when its fit(...) call does not write one (or there is none). */
export function programValidationSplit(spec: ModelSpec | null | undefined, code: string): number | undefined {
  const fit = spec?.fit;
  if (!fit) return undefined;
  const call = code.slice(fit.span.from, fit.span.to);
  return /\bvalidation_split\s*=/.test(call) ? fit.validationSplit : undefined;
}

/** The split that trains: the program's, else the panel's (clamped to [0, 0.9]). */
export function effectiveValidationSplit(spec: ModelSpec | null | undefined, code: string, panelSplit: number | undefined): number {
  const own = programValidationSplit(spec, code);
  if (own !== undefined) return own;
  const v = Number(panelSplit);
  return Number.isFinite(v) ? Math.min(0.9, Math.max(0, v)) : 0;
}
