/**
 * The analysis of a program as the playground shows it: parse (with the data's constants), then shape inference
 * when the parse has no error. Plain data in and out, so it runs the same on the page (`analyseProgram`) and in
 * the analysis worker (analysis.worker.ts, through `AnalysisClient`).
 */
import { parseProgram } from './parse';
import { inferShapes, type ModelSummary } from '$lib/spec/shape';
import type { Diagnostic, ModelSpec } from '$lib/spec/types';

export interface Analysis {
  diagnostics: Diagnostic[];
  /** The model and its summary when the program has no error and its shapes infer; else null. */
  model: { spec: ModelSpec; summary: ModelSummary } | null;
}

/** parseProgram with the data's constants (`ParseOptions.constants`). */
const parse = parseProgram as (source: string, opts?: { constants?: Record<string, number> }) => ReturnType<typeof parseProgram>;

export function analyseProgram(code: string, constants: Record<string, number>): Analysis {
  const result = parse(code, { constants });
  if (result.spec && !result.diagnostics.some((d) => d.severity === 'error')) {
    const { summary } = inferShapes(result.spec);
    if (summary) return { diagnostics: result.diagnostics, model: { spec: result.spec, summary } };
  }
  return { diagnostics: result.diagnostics, model: null };
}
