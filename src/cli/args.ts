/**
 * Command-line parsing for the CLI: `--name value` and `--name=value` options, positionals, and strict conversion
 * of option values with messages that say what was expected. Problems throw `UsageError` (exit status 2).
 */
import { didYouMean } from '../lib/keras/diagnostics';

/** Exit statuses. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A problem with how the CLI was called (unknown command or option, bad value, missing or unreadable file). */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly hint?: string
  ) {
    super(message);
  }
}

/** A problem with the program or the export itself (exit status 1); `details` are printed as they are. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly hint?: string
  ) {
    super(message);
  }
}

export interface ParsedArgs {
  positionals: string[];
  /** Option name (without `--`) → value. */
  options: Map<string, string>;
}

/**
 * Splits `argv` into positionals and `--option value` pairs. Every option takes a value; `known` lists the option
 * names the command accepts (others are refused, with a suggestion).
 */
export function parseArgs(argv: readonly string[], known: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const m = /^--([A-Za-z][\w-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (!m) throw new UsageError(`Unknown option ${arg}`, `Options are written --name value, e.g. --format keras`);
    const name = m[1];
    if (!known.includes(name)) {
      const guess = didYouMean(name, known);
      throw new UsageError(`Unknown option --${name}${guess ? ` — did you mean --${guess}?` : ''}`, known.length ? `Options: ${known.map((k) => `--${k}`).join(', ')}` : 'This command takes no options');
    }
    if (options.has(name)) throw new UsageError(`--${name} is given twice`);
    let value = m[2];
    if (value === undefined) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    options.set(name, value);
  }
  return { positionals, options };
}

/** An integer option in [min, max], or undefined when absent. */
export function intOption(options: Map<string, string>, name: string, min: number, max: number): number | undefined {
  const raw = options.get(name);
  if (raw === undefined) return undefined;
  const v = /^[+-]?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(v)) throw new UsageError(`--${name} must be a whole number, got "${raw}"`);
  if (v < min || v > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${v}`);
  return v;
}

/** A number option in [min, max], or undefined when absent. */
export function numberOption(options: Map<string, string>, name: string, min: number, max: number): number | undefined {
  const raw = options.get(name);
  if (raw === undefined) return undefined;
  const v = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(v)) throw new UsageError(`--${name} must be a number, got "${raw}"`);
  if (v < min || v > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${v}`);
  return v;
}

/** One of `choices`, or undefined when absent. */
export function choiceOption<T extends string>(options: Map<string, string>, name: string, choices: readonly T[]): T | undefined {
  const raw = options.get(name);
  if (raw === undefined) return undefined;
  if ((choices as readonly string[]).includes(raw)) return raw as T;
  const guess = didYouMean(raw, choices);
  throw new UsageError(`--${name} must be one of ${choices.join(', ')}; got "${raw}"${guess ? ` — did you mean ${guess}?` : ''}`);
}
