/**
 * The metric registry. Adding a metric = one file beside this one (a `MetricDef` and its variants) + one line here
 * (+ its log key in the epoch log and the charts, engines/tfjs/train.ts, if it has a new one).
 * The parser (`compile(metrics=[...])`), the printer, completion/hover and both engines read this list;
 * `MetricName` (the spec's metric names) is derived from it.
 */
import { accuracy } from './accuracy';
import { meanAbsoluteError } from './mean_absolute_error';
import { sparseCategoricalAccuracy } from './sparse_categorical_accuracy';
import type { MetricDef, MetricVariant } from './types';

export const METRIC_LIST = [accuracy, sparseCategoricalAccuracy, meanAbsoluteError] as const;

export type MetricName = (typeof METRIC_LIST)[number]['name'];

/** Key of a metric in the epoch log. */
export type MetricLogKey = (typeof METRIC_LIST)[number]['logKey'];

/** The function a metric resolves to (Keras' function name: `categorical_accuracy`, `mae`, ...). */
export type MetricKind = (typeof METRIC_LIST)[number]['variants'][number]['kind'];

/** The metrics by spec name. */
export const METRICS_BY_NAME = Object.fromEntries(METRIC_LIST.map((m) => [m.name, m])) as { readonly [N in MetricName]: MetricDef<N, MetricLogKey, MetricKind> };

/** Every string `compile(metrics=[...])` accepts → the spec's name (each name, then its aliases). */
export const METRIC_STRINGS: Readonly<Record<string, MetricName>> = Object.fromEntries(METRIC_LIST.flatMap((m) => [m.name, ...m.aliases].map((s) => [s, m.name])));

export function getMetric(name: string): MetricDef | undefined {
  return (METRICS_BY_NAME as Record<string, MetricDef>)[name];
}

const variants = new Map<string, MetricVariant>(METRIC_LIST.flatMap((m) => m.variants.map((v) => [v.kind, v] as const)));

/** A metric function by kind (what `resolve` returned), for the compiled step, which records the kind. */
export function metricVariant(kind: MetricKind): MetricVariant {
  const v = variants.get(kind);
  if (!v) throw new Error(`unsupported metric ${kind}`);
  return v;
}

export { type MetricDef, type MetricFn, type MetricVariant } from './types';
