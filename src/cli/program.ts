/**
 * Reading a program file for the CLI: the source, its parse (diagnostics as `FILE:LINE:COL: message`), and the
 * data set it trains on (`--data` and friends, else the file's `# data: NAME` header line, else spiral).
 */
import { readFileSync, statSync } from 'node:fs';
import { resolveToyParams, TOY_NAMES, TOYS, type ToyName } from '../lib/data/toys';
import { parseProgram } from '../lib/keras/parse';
import type { ScriptData } from '../lib/keras/print';
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
export function loadProgram(file: string): Program {
  const source = readSource(file);
  const { spec, diagnostics } = parseProgram(source);
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

export const DATA_OPTIONS = ['data', 'samples', 'noise', 'data-seed', 'classes'] as const;

export interface DataChoice {
  data: Required<ScriptData>;
  /** Where the data set's name came from, for messages. */
  origin: '--data' | 'header' | 'default';
}

/**
 * The toy data set the program trains on: `--data` (or the file's `# data:` line, else spiral) with `--samples`,
 * `--noise`, `--data-seed` and `--classes` checked against the toy's ranges; the playground's defaults otherwise.
 */
export function chooseData(options: Map<string, string>, program: Pick<Program, 'file' | 'source'>): DataChoice {
  const flag = choiceOption(options, 'data', TOY_NAMES);
  let name: ToyName = 'spiral';
  let origin: DataChoice['origin'] = 'default';
  if (flag) {
    name = flag;
    origin = '--data';
  } else {
    const header = dataHeader(program.source);
    if (header !== undefined) {
      if (!(TOY_NAMES as readonly string[]).includes(header)) {
        throw new CliFailure(
          `${program.file} trains on the ${header} data (its "# data: ${header}" line), which the CLI cannot generate`,
          `The CLI has the toy data sets ${TOY_NAMES.join(', ')}: pass one with --data`
        );
      }
      name = header as ToyName;
      origin = 'header';
    }
  }
  const info = TOYS[name];
  const samples = intOption(options, 'samples', info.samples.min, info.samples.max);
  const noise = numberOption(options, 'noise', info.noise.min, info.noise.max);
  const seed = intOption(options, 'data-seed', 0, 0xffffffff - 1);
  let classes: number | undefined;
  if (options.has('classes')) {
    if (info.classes.min === info.classes.max) {
      const k = intOption(options, 'classes', 1, 1000);
      if (k !== info.classes.min) throw new UsageError(`The ${name} data always has ${info.classes.min} classes; --classes ${k} does not apply`);
      classes = k;
    } else classes = intOption(options, 'classes', info.classes.min, info.classes.max);
  }
  return { data: resolveToyParams({ name, samples, noise, seed, classes }), origin };
}

/** How a data choice reads in messages: "the spiral data (600 samples, noise 0.1, 3 classes, data seed 1)". */
export function describeData(d: Required<ScriptData>): string {
  return `the ${d.name} data (${d.samples} samples, noise ${d.noise}, ${d.classes} classes, data seed ${d.seed})`;
}
