/**
 * Running a model in ONNX Runtime (Web): batching a data set through a session with timings, and reading which
 * execution provider each node was placed on from ORT's own log. Pure over an injected `ort` namespace, so the
 * ORT worker uses it in the browser and vitest runs it in node.
 */
import { inputTensor } from './export-feeds';
import type * as Ort from 'onnxruntime-web';
import { describe, probeWebGpu } from '$lib/engines/backend';

export type OrtProvider = 'wasm' | 'webgpu';
export const ORT_PROVIDERS: OrtProvider[] = ['wasm', 'webgpu'];
export const PROVIDER_LABELS: Record<OrtProvider, string> = { wasm: 'WASM', webgpu: 'WebGPU' };

/** A float32 tensor as it crosses the worker boundary. */
export interface TensorIn {
  dims: number[];
  data: Float32Array;
}

export interface Placement {
  /** ORT's provider names (JsExecutionProvider = WebGPU through JSEP, CPUExecutionProvider = wasm). */
  provider: string;
  count: number;
  /** "OpType (node name)" as ORT lists them (empty when it says "All nodes"). */
  nodes: string[];
}

/**
 * Parses ORT's verbose "Node placements" log (session_state.cc, VerifyEachNodeIsAssignedToAnEp):
 *   Node placements
 *    All nodes placed on [CPUExecutionProvider]. Number of nodes: 2
 * or
 *    Node(s) placed on [JsExecutionProvider]. Number of nodes: 5
 *     MatMul (dense/matmul)
 */
export function parsePlacements(lines: readonly string[]): Placement[] {
  let out: Placement[] = [];
  let current: Placement | null = null;
  for (const raw of lines) {
    const at = raw.indexOf('VerifyEachNodeIsAssignedToAnEp]');
    if (at < 0) continue;
    const line = raw.slice(at + 'VerifyEachNodeIsAssignedToAnEp]'.length).trim();
    if (line === 'Node placements') {
      out = []; // a later session's log replaces an earlier one
      current = null;
      continue;
    }
    const m = /(?:All nodes|Node\(s\)) placed on \[(\w+)\]\. Number of nodes: (\d+)/.exec(line);
    if (m) {
      current = { provider: m[1], count: Number(m[2]), nodes: [] };
      out.push(current);
    } else if (current && line) current.nodes.push(line);
  }
  return out;
}

export const EP_NAMES: Record<string, string> = {
  CPUExecutionProvider: 'wasm (CPU)',
  JsExecutionProvider: 'WebGPU',
  WebGpuExecutionProvider: 'WebGPU'
};

/** Median of a list (NaN when empty). */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export interface BatchedResult {
  /** Each output, all rows concatenated. */
  outputs: { name: string; dims: number[]; data: Float32Array }[];
  batches: number;
  /** Median wall time of one `run()` over the timed passes, and the first (warm-up) run. */
  msPerBatch: number;
  firstRunMs: number;
  batchSize: number;
}

/**
 * Runs `feeds` through the session in batches of `batchSize` rows along axis 0 (every input must have the same
 * number of rows). One warm-up run, then `passes` timed passes over all batches.
 */
export async function runBatched(ort: typeof Ort, session: Ort.InferenceSession, feeds: Record<string, TensorIn>, opts: { batchSize?: number; passes?: number; now?: () => number; runOptions?: Ort.InferenceSession.RunOptions } = {}): Promise<BatchedResult> {
  const now = opts.now ?? (() => performance.now());
  const ro = opts.runOptions ?? {};
  const names = Object.keys(feeds);
  if (!names.length) throw new Error('The model takes no inputs');
  const rows = feeds[names[0]].dims[0];
  for (const n of names) {
    if (feeds[n].dims[0] !== rows) throw new Error(`Input ${n} has ${feeds[n].dims[0]} rows, ${names[0]} has ${rows}`);
    const count = feeds[n].dims.reduce((a, b) => a * b, 1);
    if (count !== feeds[n].data.length) throw new Error(`Input ${n}: shape [${feeds[n].dims.join(', ')}] needs ${count} values, got ${feeds[n].data.length}`);
  }
  const batchSize = Math.max(1, Math.min(rows, opts.batchSize ?? rows));
  const batches = Math.ceil(rows / batchSize);
  const slice = (b: number) =>
    Object.fromEntries(
      names.map((n) => {
        const { dims, data } = feeds[n];
        const per = data.length / rows;
        const r0 = b * batchSize;
        const r1 = Math.min(rows, r0 + batchSize);
        return [n, inputTensor(ort, session, n, data.subarray(r0 * per, r1 * per), [r1 - r0, ...dims.slice(1)])];
      })
    );
  const t0 = now();
  const first = await session.run(slice(0), ro);
  const firstRunMs = now() - t0;
  const parts: Record<string, { dims: number[]; chunks: Float32Array[] }> = {};
  const collect = (out: Ort.InferenceSession.OnnxValueMapType) => {
    for (const name of session.outputNames) {
      const t = out[name] as Ort.Tensor;
      const data = t.data as Float32Array | Uint16Array;
      if (t.type !== 'float32') throw new Error(`Output ${name} is ${t.type}; only float32 outputs are compared`);
      (parts[name] ??= { dims: [...t.dims], chunks: [] }).chunks.push(new Float32Array(data as Float32Array));
      t.dispose?.();
    }
  };
  collect(first);
  const times: number[] = [];
  const passes = Math.max(1, opts.passes ?? 1);
  for (let p = 0; p < passes; p++) {
    for (let b = p === 0 ? 1 : 0; b < batches; b++) {
      const feed = slice(b);
      const s = now();
      const out = await session.run(feed, ro);
      times.push(now() - s);
      if (p === 0) collect(out);
      else for (const name of session.outputNames) (out[name] as Ort.Tensor).dispose?.();
    }
  }
  if (!times.length) {
    // One batch only: time it again so the figure is not the warm-up.
    for (let i = 0; i < 3; i++) {
      const feed = slice(0);
      const s = now();
      const out = await session.run(feed, ro);
      times.push(now() - s);
      for (const name of session.outputNames) (out[name] as Ort.Tensor).dispose?.();
    }
  }
  const outputs = session.outputNames.map((name) => {
    const { dims, chunks } = parts[name];
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const data = new Float32Array(total);
    let o = 0;
    for (const c of chunks) {
      data.set(c, o);
      o += c.length;
    }
    return { name, dims: [rows, ...dims.slice(1)], data };
  });
  return { outputs, batches, msPerBatch: median(times), firstRunMs, batchSize };
}

/** One provider tried and not used, and why. */
export interface ProviderFallback {
  tried: OrtProvider;
  reason: string;
}

/**
 * THE ONNX Runtime provider fallback (the ORT worker, the compiled trainer, the comparison and the benchmark's ORT
 * cells create their sessions here): `requested` first — for webgpu, after the shared WebGPU check
 * (engines/backend.ts `probeWebGpu`) — then wasm. Returns the session, the provider that created it and every
 * error met on the way; throws (naming every error) when no provider could create it.
 * `webgpuOptions` are added to `options` for the webgpu session only (e.g. preferredOutputLocation).
 */
export async function createOrtSession(
  ort: typeof Ort,
  bytes: Uint8Array,
  requested: OrtProvider,
  options: Omit<Ort.InferenceSession.SessionOptions, 'executionProviders'> = {},
  webgpuOptions: Omit<Ort.InferenceSession.SessionOptions, 'executionProviders'> = {}
): Promise<{ session: Ort.InferenceSession; provider: OrtProvider; fallbacks: ProviderFallback[] }> {
  const fallbacks: ProviderFallback[] = [];
  const chain: OrtProvider[] = requested === 'webgpu' ? ['webgpu', 'wasm'] : ['wasm'];
  for (const provider of chain) {
    if (provider === 'webgpu') {
      const gpu = await probeWebGpu();
      if ('unavailable' in gpu) {
        fallbacks.push({ tried: provider, reason: gpu.unavailable });
        continue;
      }
    }
    try {
      const extra = provider === 'webgpu' ? webgpuOptions : {};
      const session = await ort.InferenceSession.create(bytes, { ...options, ...extra, executionProviders: [provider] });
      return { session, provider, fallbacks };
    } catch (e) {
      fallbacks.push({ tried: provider, reason: describe(e) });
    }
  }
  throw new Error(fallbacks.map((f) => `${f.tried}: ${f.reason}`).join('; '));
}
