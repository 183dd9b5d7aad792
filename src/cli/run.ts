/**
 * The CLI's commands: `check FILE`, `export FILE --format NAME ...`, `help`. `runCli` returns the exit status and
 * writes through `io`, so tests can run it in-process; `main.ts` binds it to the process.
 */
import { didYouMean } from '../lib/keras/diagnostics';
import { formatSummary } from '../lib/keras/summary';
import { CliFailure, EXIT, intOption, parseArgs, UsageError } from './args';
import { FORMATS, type CliIo } from './formats';
import { DIGITS_TRAIN_SAMPLES, loadProgram } from './program';

const COMMANDS = ['check', 'export', 'help'] as const;

function formatHelp(): string {
  const formats = Object.values(FORMATS).flatMap((f) => [`  ${f.name.padEnd(8)}${f.help[0]}`, ...f.help.slice(1).map((l) => `          ${l}`)]);
  return [
    'NN playground CLI: check and export the Keras programs the playground reads.',
    '',
    'Usage:',
    '  npm run cli -- check FILE',
    `  npm run cli -- export FILE --format ${Object.keys(FORMATS).join('|')} [--out PATH] [--seed N] [options]`,
    '  npm run cli -- help',
    '',
    'Commands:',
    '  check FILE    Reads FILE (never runs it) and prints its model.summary(). Problems are printed to',
    '                stderr as FILE:LINE:COL: message lines (with a hint where there is one).',
    '  export FILE   Writes the program\'s model in one of these formats:',
    ...formats.map((l) => `    ${l}`),
    '  help          Prints this help.',
    '',
    'Export options:',
    '  --format NAME     ' + Object.keys(FORMATS).join(' or '),
    '  --out PATH        Where to write (see the formats).',
    '  --seed N          Weight-initialisation seed, 0 or more (default 1).',
    '  --epochs N        tfjs: train N epochs before exporting.',
    '  --data NAME       The data set: the toys spiral, circle, xor, gaussians; the regressions sine,',
    '                    plane; digits (MNIST images); the texts shakespeare, names; the sequences',
    '                    reverse, parity, sine_series. Default: the file\'s "# data: NAME" header',
    '                    line when it has one, else spiral.',
    '  --samples N       Number of points, 20 to 5000 (default: toys 600, sine and plane 400). digits,',
    '                    tfjs --epochs only: train on the first N shipped training images (default',
    `                    ${DIGITS_TRAIN_SAMPLES.dense}, or ${DIGITS_TRAIN_SAMPLES.conv} for models with Conv2D layers: TF.js on the cpu is slow).`,
    '  --noise X         Noise, 0 to 1 (default 0.1). Not for digits.',
    '  --data-seed N     Seed of the generated data set (default 1). Not for digits.',
    '  --seq-len N       Text and sequences: time steps per sample (seq_len; default per data set).',
    '  --classes K       Classes: spiral 2 to 6 (default 3), gaussians 2 to 8 (default 3); circle and xor have 2.',
    '',
    'Exit status: 0 done; 1 the program has errors, or does not fit the data, or training diverged;',
    '2 bad usage (unknown command or option, bad value, missing or unreadable file).',
    '',
    'Examples:',
    '  npm run cli -- check examples/spiral.py',
    '  npm run cli -- export examples/spiral.py --format keras --out spiral_keras.py',
    '  npm run cli -- export examples/spiral.py --format tfjs --seed 7 --epochs 20 --out models/spiral',
    '  npm run cli -- export examples/spiral.py --format pytorch --out spiral_torch  (then: python3 spiral_torch/train.py --weights spiral_torch/weights.npz)'
  ].join('\n');
}

/** The single FILE argument of a command. */
function fileArg(command: string, positionals: string[]): string {
  if (positionals.length === 0) throw new UsageError(`${command} needs a FILE`, `npm run cli -- ${command} examples/spiral.py`);
  if (positionals.length > 1) throw new UsageError(`${command} takes one FILE, got ${positionals.length} arguments: ${positionals.join(' ')}`);
  return positionals[0];
}

function check(argv: string[], io: CliIo): number {
  const { positionals } = parseArgs(argv, []);
  const program = loadProgram(fileArg('check', positionals));
  for (const w of program.warnings) io.err(w);
  io.out(formatSummary(program.spec, program.summary));
  return EXIT.ok;
}

const COMMON_EXPORT_OPTIONS = ['format', 'out', 'seed'];

async function exportCommand(argv: string[], io: CliIo): Promise<number> {
  const allOptions = [...new Set([...COMMON_EXPORT_OPTIONS, ...Object.values(FORMATS).flatMap((f) => f.options)])];
  const { positionals, options } = parseArgs(argv, allOptions);
  const file = fileArg('export', positionals);
  const formatName = options.get('format');
  const names = Object.keys(FORMATS);
  if (formatName === undefined) throw new UsageError(`export needs --format ${names.join('|')}`);
  const format = FORMATS[formatName];
  if (!format) throw new UsageError(`Unknown format "${formatName}"`, `Formats: ${names.join(', ')}`);
  for (const name of options.keys()) {
    if (!COMMON_EXPORT_OPTIONS.includes(name) && !format.options.includes(name)) {
      const users = Object.values(FORMATS).filter((f) => f.options.includes(name)).map((f) => `--format ${f.name}`);
      throw new UsageError(`--${name} does not apply to --format ${format.name}`, users.length ? `It is used by ${users.join(', ')}` : undefined);
    }
  }
  const seed = intOption(options, 'seed', 0, 0xffffffff) ?? 1;
  const program = loadProgram(file, options);
  for (const w of program.warnings) io.err(w);
  await format.run({ program, options, seed, seedGiven: options.has('seed'), out: options.get('out'), io });
  return EXIT.ok;
}

/** Runs the CLI on `argv` (the arguments after the script name); returns the exit status. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) {
      io.err(formatHelp());
      return EXIT.usage;
    }
    if (command === 'help' || command === '--help' || command === '-h' || rest.includes('--help') || rest.includes('-h')) {
      io.out(formatHelp());
      return EXIT.ok;
    }
    switch (command) {
      case 'check':
        return check(rest, io);
      case 'export':
        return await exportCommand(rest, io);
      default: {
        const guess = didYouMean(command, COMMANDS);
        throw new UsageError(`Unknown command "${command}"${guess ? ` — did you mean ${guess}?` : ''}`, `Commands: ${COMMANDS.join(', ')}; see npm run cli -- help`);
      }
    }
  } catch (e) {
    if (e instanceof UsageError || e instanceof CliFailure) {
      io.err(e instanceof UsageError ? `error: ${e.message}` : e.message);
      if (e.hint) io.err(`  hint: ${e.hint}`);
      return e instanceof UsageError ? EXIT.usage : EXIT.failed;
    }
    io.err(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT.failed;
  }
}
