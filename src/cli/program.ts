/**
 * Reading a program file for the CLI: the source, its parse (diagnostics as `FILE:LINE:COL: message`), and the
 * data set it trains on (`--data` and friends, else the file's `# data: NAME` header line, else spiral): any of
 * the playground's data sets (toys, regressions, digits).
 */
import { readFileSync, statSync } from 'node:fs';
import { REGRESSIONS, resolveRegressionParams } from '../lib/data/regression';
import { resolveToyParams, TOYS, type ToyName } from '../lib/data/toys';
import type { DatasetName } from '../lib/examples';
import { parseProgram } from '../lib/keras/parse';
import { SEQUENCES } from '../lib/data/sequences';
import { dataConstants } from '../lib/data/constants';
import { TEXTS } from '../lib/data/text';
import { isRegressionData, isSequenceData, isTextData, isToyData, resolveScriptData, SCRIPT_DATASETS, type ResolvedScriptData, type ScriptData } from '../lib/keras/print';
import { inferShapes, type ModelSummary } from '../lib/spec/shape';
import type { Diagnostic, ModelSpec } from '../lib/spec/types';
import { choiceOption, CliFailure, intOption, numberOption, UsageError } from './args';

export interface Program {
  file: string;
  source: string;
  spec: ModelSpec;
  summary: ModelSummary;
  /** Warnings, already formatted (`FILE:LINE:COL: warning: ...`). */
  warnings: string[];
}

export function readSource(file: string): string {
  let isFile = false;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new UsageError(`${file}: no such file`);
  }
  if (!isFile) throw new UsageError(`${file} is not a file`);
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${file}: cannot be read (${(e as Error).message})`);
  }
}

/** `FILE:LINE:COL: message`, with the hint on the next line. Warnings and infos are marked as such. */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  const kind = d.severity === 'error' ? '' : `${d.severity}: `;
  const line = `${file}:${d.span.line}:${d.span.col}: ${kind}${d.message}`;
  return d.hint ? `${line}\n  hint: ${d.hint}` : line;
}

/**
 * Reads and parses a program. Errors in it throw a CliFailure whose message lists them, one `FILE:LINE:COL:` line
 * each (exit status 1).
 */
export function loadProgram(file: string, options?: Map<string, string>): Program {
  const source = readSource(file);
  const { spec, diagnostics } = parse(source, { constants: programConstants(source, options) });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const warnings = diagnostics.filter((d) => d.severity !== 'error').map((d) => formatDiagnostic(file, d));
  if (!spec || errors.length > 0) {
    const lines = errors.map((d) => formatDiagnostic(file, d));
    throw new CliFailure(lines.length ? [...warnings, ...lines].join('\n') : `${file}: no model could be read from this program`);
  }
  const { summary, diagnostics: shapeDiagnostics } = inferShapes(spec);
  if (!summary) throw new CliFailure(shapeDiagnostics.map((d) => formatDiagnostic(file, d)).join('\n'));
  return { file, source, spec, summary, warnings };
}

/** parseProgram with the data's constants (`ParseOptions.constants`). */
const parse = parseProgram as (source: string, opts?: { constants?: Record<string, number> }) => ReturnType<typeof parseProgram>;

/**
 * What the program's data predefines (`vocab_size`, `seq_len` for text and sequences): the data set of `--data`, else
 * of the file's `# data:` line, with `--seq-len` when given.
 */
export function programConstants(source: string, options?: Map<string, string>): Record<string, number> {
  const name = options?.get('data') ?? dataHeader(source) ?? '';
  const seqLen = options?.has('seq-len') ? Number(options.get('seq-len')) : undefined;
  return dataConstants(name, { seqLen });
}

/** The `# data: NAME` line among the comment lines the file starts with (the examples' header convention). */
export function dataHeader(source: string): string | undefined {
  for (const line of source.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const t = line.trim();
    if (t === '') continue;
    if (!t.startsWith('#')) break;
    const m = /^#\s*data:\s*([A-Za-z0-9_-]+)\s*$/.exec(t);
    if (m) return m[1].toLowerCase();
  }
  return undefined;
}

export const DATA_OPTIONS = ['data', 'samples', 'noise', 'data-seed', 'classes', 'seq-len'] as const;

/**
 * How many of the shipped digits' training images `export --format tfjs --epochs N` trains on unless --samples
 * says: TF.js' cpu backend takes seconds per epoch for 1000 images through Dense layers, but about a tenth of a
 * second per image through convolutions (their gradients are slow there).
 */
export const DIGITS_TRAIN_SAMPLES = { dense: 1000, conv: 200 } as const;

export interface DataChoice {
  data: ResolvedScriptData;
  /** Where the data set's name came from, for messages. */
  origin: '--data' | 'header' | 'default';
  /** The digits, when training in the CLI: --samples, how many of the shipped training images to use (default: DIGITS_TRAIN_SAMPLES). */
  digitsSamples?: number;
}

/** `--classes` (checked against the toy's range; a fixed number of classes must be given as that number). */
function classesOption(options: Map<string, string>, name: ToyName): number | undefined {
  if (!options.has('classes')) return undefined;
  const info = TOYS[name];
  if (info.classes.min === info.classes.max) {
    const k = intOption(options, 'classes', 1, 1000);
    if (k !== info.classes.min) throw new UsageError(`The ${name} data always has ${info.classes.min} classes; --classes ${k} does not apply`);
    return k;
  }
  return intOption(options, 'classes', info.classes.min, info.classes.max);
}

/**
 * The data set the program trains on: `--data` (or the file's `# data:` line, else spiral) with `--samples`,
 * `--noise`, `--data-seed` and `--classes` checked against the data set's ranges; the playground's defaults
 * otherwise. `use` is what the data is for: a Keras `script` (the digits are Keras' own MNIST there, so none of the
 * options apply to them), or `train`ing in the CLI (where `--samples N` takes the first N of the shipped digits).
 */
export function chooseData(options: Map<string, string>, program: Pick<Program, 'file' | 'source'>, use: 'script' | 'train' = 'script'): DataChoice {
  const flag = choiceOption(options, 'data', SCRIPT_DATASETS);
  let name: DatasetName = 'spiral';
  let origin: DataChoice['origin'] = 'default';
  if (flag) {
    name = flag;
    origin = '--data';
  } else {
    const header = dataHeader(program.source);
    if (header !== undefined) {
      if (!(SCRIPT_DATASETS as readonly string[]).includes(header)) {
        throw new CliFailure(
          `${program.file} trains on the ${header} data (its "# data: ${header}" line), which the CLI does not know`,
          `The CLI has the data sets ${SCRIPT_DATASETS.join(', ')}: pass one with --data`
        );
      }
      name = header as DatasetName;
      origin = 'header';
    }
  }
  const data: ScriptData = { name } as ScriptData;
  if (isToyData(data)) {
    const info = TOYS[data.name];
    const samples = intOption(options, 'samples', info.samples.min, info.samples.max);
    const noise = numberOption(options, 'noise', info.noise.min, info.noise.max);
    const seed = intOption(options, 'data-seed', 0, 0xffffffff - 1);
    return { data: resolveToyParams({ name: data.name, samples, noise, seed, classes: classesOption(options, data.name) }), origin };
  }
  if (options.has('seq-len') && !isTextData(data) && !isSequenceData(data)) throw new UsageError(`--seq-len applies to text and sequence data only, not to the ${data.name} data`);
  if (isTextData(data) || isSequenceData(data)) {
    const info = isSequenceData(data) ? SEQUENCES[data.name] : TEXTS[data.name as keyof typeof TEXTS];
    if (options.has('classes')) throw new UsageError(`The ${data.name} data has a fixed vocabulary; --classes does not apply`);
    const noiseRange = 'noise' in info ? info.noise : null;
    if (options.has('noise') && !noiseRange) throw new UsageError(`The ${data.name} data has no noise; --noise does not apply`);
    const seqLen = intOption(options, 'seq-len', info.seqLen.min, info.seqLen.max);
    const samples = intOption(options, 'samples', info.samples.min, info.samples.max);
    const noise = noiseRange ? numberOption(options, 'noise', noiseRange.min, noiseRange.max) : undefined;
    const seed = intOption(options, 'data-seed', 0, 0xffffffff - 1);
    return { data: resolveScriptData({ ...data, seqLen, samples, seed, ...(noise !== undefined ? { noise } : {}) } as ScriptData), origin };
  }
  if (isRegressionData(data)) {
    const info = REGRESSIONS[data.name];
    if (options.has('classes')) throw new UsageError(`The ${data.name} data is for regression (real-valued targets, no classes); --classes does not apply`);
    const samples = intOption(options, 'samples', info.samples.min, info.samples.max);
    const noise = numberOption(options, 'noise', info.noise.min, info.noise.max);
    const seed = intOption(options, 'data-seed', 0, 0xffffffff - 1);
    return { data: resolveRegressionParams({ name: data.name, samples, noise, seed }), origin };
  }
  // The digits: fixed images, nothing to generate.
  const unused = (use === 'train' ? ['noise', 'data-seed', 'classes'] : ['samples', 'noise', 'data-seed', 'classes']).filter((o) => options.has(o));
  if (unused.length) {
    const why = use === 'train' ? 'they are fixed images (--samples N picks how many to train on)' : "the Keras script loads Keras' own MNIST as it is";
    throw new UsageError(`${unused.map((o) => `--${o}`).join(', ')} ${unused.length === 1 ? 'does' : 'do'} not apply to the digits data: ${why}`);
  }
  const digitsSamples = use === 'train' ? intOption(options, 'samples', 1, 1_000_000) : undefined;
  return { data: { name: 'digits' }, origin, digitsSamples };
}

/**
 * How a data choice reads in messages: "the spiral data (600 samples, noise 0.1, 3 classes, data seed 1)",
 * "the sine data (400 samples, noise 0.1, data seed 1)", "the digits data (MNIST, 28×28 images)".
 */
export function describeData(d: ResolvedScriptData): string {
  if (d.name === 'digits') return 'the digits data (MNIST, 28×28 images)';
  if ('seqLen' in d) return `the ${d.name} data (sequence length ${d.seqLen}, ${d.samples} samples${'noise' in d && d.name === 'sine_series' ? `, noise ${d.noise}` : ''}, data seed ${d.seed})`;
  if ('classes' in d) return `the ${d.name} data (${d.samples} samples, noise ${d.noise}, ${d.classes} classes, data seed ${d.seed})`;
  return `the ${d.name} data (${d.samples} samples, noise ${d.noise}, data seed ${d.seed})`;
}
