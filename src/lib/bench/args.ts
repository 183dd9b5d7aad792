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
  /** `--sweep` (quick) or `--sweep=full`: the size sweep instead of the suite; null: no sweep. */
  sweep: null | { full: boolean; widths: number[] | null; batches: number[] | null; kinds: ('train' | 'infer')[] };
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
  --sweep[=full]                      the size sweep instead of the suite: MLP widths × batches × engine/backend,
                                      ms per training step, and where a GPU backend starts to win (quick: a few
                                      minutes, cells over 300 ms per step stopped; full: inference too, 1 s limit)
  --widths 16,64,256,1024,2048        sweep widths (default: all five)
  --batches 32,256                    sweep batch sizes (default: both)
  --help                              this text

Options that take lists accept commas or repetition: --model tiny --model wide.`;

const LIST = ['model', 'engine', 'backend', 'mode'] as const;

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const lists: Record<(typeof LIST)[number], string[]> = { model: [], engine: [], backend: [], mode: [] };
  const out: BenchArgs = { filters: {}, json: null, build: true, overhead: true, help: false, sweep: null };
  const nums: Record<'widths' | 'batches', number[]> = { widths: [], batches: [] };
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
    else if (name === 'sweep') {
      if (inline !== undefined && inline !== 'full' && inline !== 'quick') throw new Error(`--sweep=${inline}: use --sweep (quick) or --sweep=full`);
      out.sweep = { full: inline === 'full', widths: null, batches: null, kinds: inline === 'full' ? ['train', 'infer'] : ['train'] };
    } else if (name === 'widths' || name === 'batches') {
      for (const v of value().split(',').map((x) => x.trim()).filter(Boolean)) {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 8192) throw new Error(`--${name}: "${v}" is not a whole number from 1 to 8192`);
        nums[name].push(n);
      }
    }
    else throw new Error(`Unknown option --${name} (see --help)`);
  }
  if (lists.model.length) out.filters.models = lists.model as ModelId[];
  if (lists.engine.length) out.filters.engines = lists.engine;
  if (lists.backend.length) out.filters.backends = lists.backend;
  if (lists.mode.length) out.filters.modes = lists.mode;
  validateFilters(out.filters);
  if ((nums.widths.length || nums.batches.length) && !out.sweep) throw new Error('--widths and --batches are options of --sweep');
  if (out.sweep) {
    if (nums.widths.length) out.sweep.widths = nums.widths;
    if (nums.batches.length) out.sweep.batches = nums.batches;
    // --mode picks what the sweep times: train-* modes the training step, infer the inference.
    const modes = out.filters.modes ?? [];
    if (modes.length) out.sweep.kinds = [...(modes.some((m) => m.startsWith('train')) ? ['train' as const] : []), ...(modes.some((m) => m.startsWith('infer')) ? ['infer' as const] : [])];
    if (out.filters.models?.length) throw new Error('--model does not apply to --sweep (the sweep races its own MLPs)');
  }
  return out;
}
