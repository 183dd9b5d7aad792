/**
 * The benchmark suite ("race your backends"): which models, engines/backends and modes exist, the cells they make,
 * filters, and the result row. Plain data and pure functions, no TF.js and no bundler features, so the /bench page,
 * its worker and `npm run bench` (node, tsx) share it.
 */

export const MODEL_IDS = ['tiny', 'wide', 'cnn', 'residual', 'charrnn', 'tinygpt'] as const;
export type ModelId = (typeof MODEL_IDS)[number];

export interface ModelInfo {
  id: ModelId;
  title: string;
  /** The example program (examples/<example>.py) the model comes from. */
  example: string;
  /** In `--quick` runs. */
  quick: boolean;
}

export const MODELS: Record<ModelId, ModelInfo> = {
  tiny: { id: 'tiny', title: 'Tiny MLP', example: 'spiral', quick: true },
  wide: { id: 'wide', title: 'Wide MLP (4×512)', example: 'wide_mlp', quick: false },
  cnn: { id: 'cnn', title: 'Digits CNN', example: 'digits_cnn', quick: false },
  residual: { id: 'residual', title: 'Residual MLP', example: 'residual_mlp', quick: true },
  // A GRU(128) over 64 characters: three small MatMuls and a dozen elementwise kernels per time step, 64 times.
  charrnn: { id: 'charrnn', title: 'Char-GRU (64 steps)', example: 'char_gru_shakespeare', quick: false },
  tinygpt: { id: 'tinygpt', title: 'Tiny GPT (2 blocks, d_model 64, 64 steps)', example: 'tiny_gpt_shakespeare', quick: false }
};

/**
 * Models made at run time, not examples: `mine` (the program in the playground's editor) and the size sweep's MLPs
 * (`mlp-<width>`, bench/sweep.ts). Their specs are registered with models.ts `registerBenchModel`.
 */
export type CustomModelId = 'mine' | `mlp-${number}`;
export type AnyModelId = ModelId | CustomModelId;

/** A model's title for tables and charts (custom ones included). */
export function modelTitle(id: string): string {
  if (id in MODELS) return MODELS[id as ModelId].title;
  if (id === 'mine') return 'Your model (from the editor)';
  const m = /^mlp-(\d+)$/.exec(id);
  return m ? `MLP width ${m[1]}` : id;
}

export const ENGINES = ['tfjs', 'ort'] as const;
export type Engine = (typeof ENGINES)[number];
export const ENGINE_LABELS: Record<Engine, string> = { tfjs: 'TF.js', ort: 'ONNX Runtime' };

export type BackendId = 'cpu' | 'wasm' | 'webgl' | 'webgpu';

/** One engine on one backend: a column of the race. */
export interface Target {
  /** `tfjs-cpu`, `ort-webgpu`, ... */
  id: string;
  engine: Engine;
  backend: BackendId;
  label: string;
}

const BACKEND_LABEL: Record<BackendId, string> = { cpu: 'CPU', wasm: 'WASM', webgl: 'WebGL', webgpu: 'WebGPU' };

function target(engine: Engine, backend: BackendId): Target {
  return { id: `${engine}-${backend}`, engine, backend, label: `${ENGINE_LABELS[engine]} ${BACKEND_LABEL[backend]}` };
}

/** The CPU target comes first: it is the reference the others are compared with. */
export const TARGETS: Target[] = [
  target('tfjs', 'cpu'),
  target('tfjs', 'wasm'),
  target('tfjs', 'webgl'),
  target('tfjs', 'webgpu'),
  target('ort', 'wasm'),
  target('ort', 'webgpu')
];

export const MODES = ['train-eager', 'train-compiled', 'infer'] as const;
export type Mode = (typeof MODES)[number];

export const MODE_LABELS: Record<Mode, string> = {
  'train-eager': 'train (eager)',
  'train-compiled': 'train (compiled)',
  infer: 'infer'
};

/** Default training batch of each example (its `model.fit(batch_size=...)`), used when the spec is not at hand. */
export const TRAIN_BATCH: Record<ModelId, number> = { tiny: 32, wide: 32, cnn: 64, residual: 32, charrnn: 64, tinygpt: 64 };

/** A (mode, batch) pair as offered by the page's controls. */
export interface Workload {
  id: string;
  mode: Mode;
  /** null: the model's training batch. */
  batch: number | null;
  label: string;
}

export const WORKLOADS: Workload[] = [
  { id: 'train-eager', mode: 'train-eager', batch: null, label: 'Train step, eager (TF.js)' },
  { id: 'train-compiled', mode: 'train-compiled', batch: null, label: 'Train step, compiled (one ONNX graph)' },
  { id: 'infer-1', mode: 'infer', batch: 1, label: 'Inference, batch 1' },
  { id: 'infer-256', mode: 'infer', batch: 256, label: 'Inference, batch 256' }
];

export interface Cell {
  model: AnyModelId;
  engine: Engine;
  backend: BackendId;
  mode: Mode;
  batch: number;
}

/** Cells that must give the same numbers: same model, mode and batch (the engine and backend differ). */
export const referenceKey = (c: Pick<Cell, 'model' | 'mode' | 'batch'>) => `${c.model}|${c.mode}|${c.batch}`;

export const ORT_EAGER = 'unavailable: ONNX Runtime has no eager training; its training step is the compiled one (train-compiled)';
export const COMPILED_TFJS = "unavailable: TF.js trains eagerly; the compiled step (one ONNX graph) is in the ONNX Runtime rows: ONNX Runtime runs it on WASM, the playground's own kernels on WebGPU (ort-wasm, ort-webgpu)";

/** Why a cell cannot run at all, known before running it; null when it should run. */
export function staticUnavailable(cell: Pick<Cell, 'engine' | 'mode'>): string | null {
  if (cell.engine === 'ort' && cell.mode === 'train-eager') return ORT_EAGER;
  if (cell.engine === 'tfjs' && cell.mode === 'train-compiled') return COMPILED_TFJS;
  return null;
}

export interface Filters {
  models?: ModelId[];
  /** Engines (`tfjs`) or targets (`tfjs-wasm`). */
  engines?: string[];
  /** Backends on any engine (`wasm`). */
  backends?: string[];
  /** Modes (`infer`) or workloads (`infer-256`). */
  modes?: string[];
  /** Small models only, fewer repeats. */
  quick?: boolean;
  /** ONNX Runtime's WASM thread count for the ORT cells (default: onnx/ort-threads.ts, min(4, ceil(cores / 2))). */
  ortThreads?: number;
  /** Custom models (registered specs: the editor's program) raced too; with no `models`, only these. */
  extraModels?: AnyModelId[];
}

function pick<T>(all: readonly T[], wanted: readonly T[] | undefined): T[] {
  return wanted && wanted.length ? all.filter((x) => wanted.includes(x)) : [...all];
}

/** Throws on a name that matches nothing, with the names that would. */
export function validateFilters(f: Filters): void {
  const bad = (what: string, value: string, known: string[]) => {
    throw new Error(`Unknown ${what} "${value}"; use one of: ${known.join(', ')}`);
  };
  for (const m of f.models ?? []) if (!MODEL_IDS.includes(m)) bad('model', m, [...MODEL_IDS]);
  const engineNames = [...ENGINES, ...TARGETS.map((t) => t.id)];
  for (const e of f.engines ?? []) if (!engineNames.includes(e)) bad('engine', e, engineNames);
  const backendNames = [...new Set(TARGETS.map((t) => t.backend as string))];
  for (const b of f.backends ?? []) if (!backendNames.includes(b)) bad('backend', b, backendNames);
  const modeNames = [...MODES, ...WORKLOADS.map((w) => w.id)];
  for (const m of f.modes ?? []) if (!modeNames.includes(m)) bad('mode', m, [...new Set(modeNames)]);
}

/** The targets a filter keeps, in TARGETS order. */
export function selectTargets(f: Filters): Target[] {
  return TARGETS.filter(
    (t) =>
      (!f.engines?.length || f.engines.includes(t.engine) || f.engines.includes(t.id)) &&
      (!f.backends?.length || f.backends.includes(t.backend))
  );
}

export function selectModels(f: Filters): ModelId[] {
  const models = pick(MODEL_IDS, f.models);
  return f.quick && !f.models?.length ? models.filter((m) => MODELS[m].quick) : models;
}

export function selectWorkloads(f: Filters): Workload[] {
  return WORKLOADS.filter((w) => !f.modes?.length || f.modes.includes(w.mode) || f.modes.includes(w.id));
}

/**
 * Every cell a filter selects, interleaved: for each model, for each workload, every target in turn (CPU first,
 * so its outputs are the reference for the rest). Timing noise drifts over a run; interleaving spreads it evenly.
 */
export function planCells(f: Filters, trainBatch: (m: AnyModelId) => number = (m) => TRAIN_BATCH[m as ModelId] ?? 32): Cell[] {
  const cells: Cell[] = [];
  const extra = f.extraModels ?? [];
  for (const model of [...(extra.length && !f.models?.length ? [] : selectModels(f)), ...extra]) {
    for (const w of selectWorkloads(f)) {
      for (const t of selectTargets(f)) {
        cells.push({ model, engine: t.engine, backend: t.backend, mode: w.mode, batch: w.batch ?? trainBatch(model) });
      }
    }
  }
  return cells;
}

export interface RepeatOptions {
  /** Untimed calls after the first (timed as warm-up). */
  warmCalls: number;
  minRepeats: number;
  maxRepeats: number;
  /**
   * Timed repeats stop once this many ms are spent (after minRepeats), and at 4× this once there are 3 samples
   * (cells of seconds per call). Warm calls are cut to what fits it too (at least one).
   */
  budgetMs: number;
}

export const REPEATS_FULL: RepeatOptions = { warmCalls: 3, minRepeats: 10, maxRepeats: 100, budgetMs: 3000 };
export const REPEATS_QUICK: RepeatOptions = { warmCalls: 2, minRepeats: 5, maxRepeats: 50, budgetMs: 700 };

export type RowStatus = 'ok' | 'unavailable' | 'error';

/** One result: a cell and what it measured. Numbers are null where the cell did not run. */
export interface BenchRow {
  model: AnyModelId;
  engine: Engine;
  /** The backend asked for. */
  backend: BackendId;
  mode: Mode;
  batch: number;
  status: RowStatus;
  /** Why a cell is unavailable or failed. */
  reason: string | null;
  /** The backend that actually ran (differs from `backend` after a fallback). */
  actualBackend: string | null;
  /** "WebGPU (google swiftshader, software fallback adapter)", "WASM (SIMD on, 1 thread)", ... */
  backendDetail: string | null;
  /** Threads the row ran on: ONNX Runtime's WASM threads (ORT rows) or TF.js WASM's (tfjs-wasm); null elsewhere. */
  threads?: number | null;
  /** Backend start-up (once per worker, paid before the first cell that used it). */
  initMs: number | null;
  /** Model build plus the first call (kernel/shader compilation included). */
  warmupMs: number | null;
  medianMs: number | null;
  p10Ms: number | null;
  p90Ms: number | null;
  repeats: number;
  samplesPerSec: number | null;
  gflops: number | null;
  /** Forward FLOPs per sample (inferShapes). */
  flopsPerSample: number | null;
  /** What the cell holds after its timed calls (model, optimizer state, inputs): tf.memory() minus its value before the build. */
  tensors: number | null;
  bytes: number | null;
  /** Tensors that the timed calls left behind (0 when nothing leaks). */
  leakedTensors: number | null;
  /**
   * Largest |difference| from TF.js CPU on the same seeded weights and inputs: inference outputs, or the losses of
   * the first training steps (which carry each step's update into the next). 0 for the CPU row itself.
   */
  maxAbsDiff: number | null;
}

export function emptyRow(cell: Cell, status: RowStatus, reason: string | null): BenchRow {
  return {
    ...cell,
    status,
    reason,
    actualBackend: null,
    backendDetail: null,
    initMs: null,
    warmupMs: null,
    medianMs: null,
    p10Ms: null,
    p90Ms: null,
    repeats: 0,
    samplesPerSec: null,
    gflops: null,
    flopsPerSample: null,
    tensors: null,
    bytes: null,
    leakedTensors: null,
    maxAbsDiff: null
  };
}

export interface DeviceInfo {
  userAgent: string;
  hardwareConcurrency: number;
  crossOriginIsolated: boolean;
  /** WebGPU adapter seen by the page, or why there is none. */
  webgpu: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter: boolean } | { unavailable: string };
  /** The WebGL renderer string (from the TF.js WebGL worker, once it ran). */
  webglRenderer?: string;
  /** True when WebGPU or WebGL run on a software rasteriser (SwiftShader): their timings are not GPU timings. */
  softwareGpu: boolean;
  date: string;
}

/** Where the WebGPU adapter or WebGL renderer is a software one (SwiftShader, llvmpipe, a fallback adapter). */
export function isSoftwareGpu(d: Pick<DeviceInfo, 'webgpu' | 'webglRenderer'>): boolean {
  const soft = /swiftshader|llvmpipe|software|basic render/i;
  if ('vendor' in d.webgpu && (d.webgpu.isFallbackAdapter || soft.test(`${d.webgpu.vendor} ${d.webgpu.architecture} ${d.webgpu.description}`))) return true;
  return Boolean(d.webglRenderer && soft.test(d.webglRenderer));
}

export function describeDevice(d: DeviceInfo): string {
  const gpu =
    'unavailable' in d.webgpu
      ? `no WebGPU (${d.webgpu.unavailable})`
      : `WebGPU adapter: ${[d.webgpu.vendor, d.webgpu.architecture, d.webgpu.device, d.webgpu.description].filter(Boolean).join(' ') || 'unknown'}${d.webgpu.isFallbackAdapter ? ' (fallback adapter)' : ''}`;
  const parts = [
    d.userAgent,
    `${d.hardwareConcurrency} logical cores`,
    d.crossOriginIsolated ? 'cross-origin isolated' : 'NOT cross-origin isolated (WASM runs on one thread)',
    gpu
  ];
  if (d.webglRenderer) parts.push(`WebGL renderer: ${d.webglRenderer}`);
  if (d.softwareGpu) parts.push('WebGPU/WebGL run on a software rasteriser (SwiftShader): their timings are CPU timings, not GPU timings');
  return parts.join(' · ');
}

/** The app-overhead measurement: one epoch of the spiral through the app's worker pipeline vs bare model.fit. */
export interface OverheadRow {
  backend: BackendId;
  actualBackend: string | null;
  /** Median ms per epoch, trained by TrainingClient → worker → session → trainModel (the playground's path). */
  appEpochMs: number | null;
  /** Median ms per epoch of `model.fit` on the same model, data, batch size and backend, in a bench worker. */
  fitEpochMs: number | null;
  /** appEpochMs / fitEpochMs. */
  ratio: number | null;
  epochs: number;
  reason: string | null;
}

export interface BenchReport {
  device: DeviceInfo;
  quick: boolean;
  rows: BenchRow[];
  overhead?: OverheadRow[];
  /** The size sweep (bench/sweep.ts), when one ran. */
  sweep?: SweepResult;
}

/** The size sweep's results: MLP widths × batches × engine/backends, and where a GPU backend starts to win. */
export interface SweepResult {
  widths: number[];
  batches: number[];
  /** One row per cell (model `mlp-<width>`), in the BenchRow format; skipped cells are `unavailable` with the reason. */
  rows: BenchRow[];
  /** One per (mode, batch): the crossover width or null, and the sentence that says it. */
  crossovers: Crossover[];
  /** Max ms per step before a cell is skipped (estimated from the smaller widths). */
  maxStepMs: number;
}

export interface Crossover {
  /** Training steps (TF.js eager, ONNX Runtime compiled) or inference calls. */
  kind: 'train' | 'infer';
  batch: number;
  /** The smallest width from which a GPU backend beats the best CPU-side one (at it and every larger width measured), or null. */
  width: number | null;
  gpu: string | null;
  cpu: string | null;
  gpuMs: number | null;
  cpuMs: number | null;
  text: string;
}
