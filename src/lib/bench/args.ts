/** Command-line options of `npm run bench` (pure, so it is unit-tested; src/cli/bench.ts does the work). */
import { validateFilters, type Filters, type ModelId } from './suite';
import { invalidThreads } from '$lib/onnx/ort-threads';

export interface BenchArgs {
  filters: Filters;
  json: string | null;
  build: boolean;
  overhead: boolean;
  help: boolean;
  /** `--ort-threads 1,2`: ONNX Runtime's WASM thread counts, one pass of the ORT cells each ([] = the app's default). */
  ortThreads?: number[];
}

export const BENCH_USAGE = `npm run bench -- [options]

Builds the app, serves it with vite preview, and runs the /bench suite in headless Chromium
(/usr/bin/chromium, or CHROME_PATH). Prints one row per cell and the app-overhead ratio.

  --model tiny,wide,cnn,residual,charrnn,tinygpt   models (default: all; --quick: tiny,residual)
  --engine tfjs|ort|tfjs-wasm|...     engines, or engine-backend targets (default: all)
  --backend cpu,wasm,webgl,webgpu     backends on any engine (default: all)
  --mode train-eager|train-compiled|infer|infer-1|infer-256   modes or mode-batch (default: all)
  --quick                             small models, fewer repeats (about 2 minutes here)
  --ort-threads 1,2                   ONNX Runtime WASM thread counts: the ORT cells run once per count
                                      (default: the app's, min(4, ceil(cores / 2)); the first count runs the rest too)
  --json FILE                         also write { device, versions, ortThreads, rows, overhead } to FILE
  --no-build                          serve the existing build/ instead of running vite build
  --no-overhead                       skip the app-overhead measurement
  --help                              this text

Options that take lists accept commas or repetition: --model tiny --model wide.`;

const LIST = ['model', 'engine', 'backend', 'mode'] as const;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const lists: Record<(typeof LIST)[number], string[]> = { model: [], engine: [], backend: [], mode: [] };
  const out: BenchArgs = { filters: {}, json: null, build: true, overhead: true, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`Unexpected argument "${arg}" (options start with --; see --help)`);
    const [, name, inline] = m;
    const value = () => {
      if (inline !== undefined) return inline;
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
      return v;
    };
    if ((LIST as readonly string[]).includes(name)) {
      lists[name as (typeof LIST)[number]].push(...value().split(',').map((s) => s.trim()).filter(Boolean));
    } else if (name === 'json') out.json = value();
    else if (name === 'quick') out.filters.quick = true;
    else if (name === 'ort-threads') {
      for (const v of value().split(',').map((s) => s.trim()).filter(Boolean)) {
        const n = /^\d+$/.test(v) ? Number(v) : Number.NaN;
        const bad = invalidThreads(n);
        if (bad) throw new Error(`--ort-threads: ${bad.replace(/not NaN$/, `not "${v}"`)}`);
        out.ortThreads ??= [];
        if (!out.ortThreads.includes(n)) out.ortThreads.push(n);
      }
    }
    else if (name === 'no-build') out.build = false;
    else if (name === 'no-overhead') out.overhead = false;
    else if (name === 'help') out.help = true;
    else throw new Error(`Unknown option --${name} (see --help)`);
  }
  if (lists.model.length) out.filters.models = lists.model as ModelId[];
  if (lists.engine.length) out.filters.engines = lists.engine;
  if (lists.backend.length) out.filters.backends = lists.backend;
  if (lists.mode.length) out.filters.modes = lists.mode;
  validateFilters(out.filters);
  return out;
}
