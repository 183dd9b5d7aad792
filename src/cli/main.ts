/**
 * Entry point of `npm run cli -- <command> ...` (see `npm run cli -- help`). Runs with tsx and tsconfig.cli.json,
 * which maps `$lib` to src/lib, so it needs no `svelte-kit sync` first.
 */
import { runCli } from './run';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`)
});
