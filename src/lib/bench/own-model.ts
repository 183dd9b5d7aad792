/**
 * "Race your own model": the program in the playground's editor as a benchmark model. The page reads the current
 * session (the one the playground saves, see state/sessions.ts), and `ownBenchModel` parses it with the app's parser
 * and the data's constants, as the playground does. A program with problems is refused with each one located, so
 * the learner knows what to fix. Pure (no IndexedDB here): unit-tested.
 */
import { dataConstants } from '$lib/data/constants';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes } from '$lib/spec/shape';
import type { Diagnostic } from '$lib/spec/types';
import type { BenchModel } from './models';

/** The session fields the own model needs. */
export interface OwnProgram {
  code: string;
  /** The Data panel's settings: the data set's name (text and sequence data predefine vocab_size, seq_len). */
  data: { name: string; seqLen?: number };
  /** The session's name, shown with the model. */
  name?: string;
}

export type OwnModelResult = { ok: true; model: BenchModel; summary: string } | { ok: false; message: string };

/** Problems listed in a refusal, at most; the rest are counted. */
const SHOWN = 3;

function located(d: Diagnostic): string {
  return `line ${d.span.line}: ${d.message}`;
}

/** The editor's program as a bench model (id `mine`), or why not, with each problem's line. */
export function ownBenchModel(p: OwnProgram): OwnModelResult {
  if (!p.code.trim()) return { ok: false, message: 'The editor is empty: write a model in the playground first.' };
  const constants = dataConstants(p.data.name, { seqLen: typeof p.data.seqLen === 'number' ? p.data.seqLen : undefined });
  const { spec, diagnostics } = parseProgram(p.code, { constants });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (errors.length || !spec) {
    if (!errors.length) return { ok: false, message: 'Your program defines no model (no keras.Sequential or keras.Model): fix it in the playground.' };
    const n = errors.length;
    const list = errors.slice(0, SHOWN).map(located).join('; ');
    const more = n > SHOWN ? `; and ${n - SHOWN} more` : '';
    return { ok: false, message: `Your program has ${n === 1 ? '1 problem' : `${n} problems`}: ${list}${more}. Fix ${n === 1 ? 'it' : 'them'} in the playground.` };
  }
  const { summary } = inferShapes(spec);
  if (!summary) return { ok: false, message: 'The shapes of your program could not be worked out: open it in the playground to see why.' };
  if (spec.inputs.length !== 1) {
    return { ok: false, message: `Your model has ${spec.inputs.length} inputs; the bench makes random inputs for models with one input only.` };
  }
  const model: BenchModel = { id: 'mine', spec, summary, trainBatch: spec.fit?.batchSize ?? 32 };
  const params = summary.trainable.toLocaleString('en-US');
  const shape = `(${spec.inputs[0].shape.join(', ')}${spec.inputs[0].shape.length === 1 ? ',' : ''})`;
  return { ok: true, model, summary: `${p.name ? `“${p.name}”: ` : ''}${spec.layers.length} layers, ${params} trainable weights, input ${shape}, batch ${model.trainBatch}` };
}
