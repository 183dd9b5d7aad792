/// <reference lib="webworker" />
/**
 * The ONNX Runtime worker: loads onnxruntime-web lazily (only here), serves its .wasm from the app (a `?url`
 * import, so the build contains it and nothing is fetched from a CDN), makes the fp16/int8 variants, and runs a
 * model on the chosen execution provider. It reports the provider that really ran: WebGPU is asked for alone, so
 * a missing adapter fails loudly (and the run falls back to wasm, saying why), and ORT's own node-placement log
 * says which nodes ran on the CPU anyway.
 */
import * as Comlink from 'comlink';
import type * as Ort from 'onnxruntime-web';
import { decodeModel } from './graph';
import { captureOrtLog, loadOrt } from './load-ort';
import { makeVariant, VARIANTS, type Variant } from './quantize';
import { probeWebGpu } from '$lib/engines/backend';
import { fireTestFault } from '$lib/worker/faults';
import type { TestFault } from '$lib/worker/protocol';
import { createOrtSession, EP_NAMES, parsePlacements, runBatched, type OrtProvider, type Placement, type TensorIn } from './ort-run';

export interface OrtRunOptions {
  batchSize?: number;
  passes?: number;
}

export interface OrtRunResult {
  requested: OrtProvider;
  /** What ran the model's nodes, in words: "WebGPU", "wasm", "WebGPU (3 of 9 nodes on wasm: Shape, …)". */
  provider: string;
  /** The session's provider list as created: ['webgpu'] or ['wasm']. */
  sessionProvider: OrtProvider;
  /** Why the requested provider did not run (null when it did). */
  fallback: string | null;
  placements: Placement[];
  outputs: { name: string; dims: number[]; data: Float32Array }[];
  msPerBatch: number;
  firstRunMs: number;
  loadMs: number;
  batches: number;
  batchSize: number;
  adapter?: string;
}

async function adapterText(): Promise<string | undefined> {
  const gpu = await probeWebGpu();
  return 'adapter' in gpu ? [gpu.adapter.vendor, gpu.adapter.architecture].filter(Boolean).join(' ') || 'unknown adapter' : undefined;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** A session on `provider` through the shared fallback (ort-run.ts), with ORT's node placements from its verbose log. */
async function createSession(ort: typeof Ort, bytes: Uint8Array, provider: OrtProvider) {
  const { value, lines } = await captureOrtLog(ort, () => createOrtSession(ort, bytes, provider, { logSeverityLevel: 0, logVerbosityLevel: 0, graphOptimizationLevel: 'all' }));
  return { ...value, placements: parsePlacements(lines) };
}

function describePlacements(requested: OrtProvider, placements: Placement[]): string {
  if (!placements.length) return requested === 'webgpu' ? 'WebGPU' : 'wasm';
  const total = placements.reduce((a, p) => a + p.count, 0);
  const main = requested === 'webgpu' ? placements.find((p) => p.provider !== 'CPUExecutionProvider') : placements.find((p) => p.provider === 'CPUExecutionProvider');
  const others = placements.filter((p) => p !== main);
  const name = (p: Placement) => EP_NAMES[p.provider] ?? p.provider;
  if (!main) return `${others.map(name).join(', ')} (all ${total} nodes)`;
  if (!others.length) return requested === 'webgpu' ? 'WebGPU' : 'wasm';
  const rest = others.map((p) => `${p.count} of ${total} nodes on ${name(p)}${p.nodes.length ? `: ${p.nodes.map((n) => n.split(' ')[0]).join(', ')}` : ''}`);
  return `${requested === 'webgpu' ? 'WebGPU' : 'wasm'} (${rest.join('; ')})`;
}

/** Tests only: the fault the next call has (faults.ts fireTestFault). */
let armed: TestFault | null = null;

async function armedFault(): Promise<void> {
  const kind = armed;
  armed = null;
  // A lost device is said in the browser's words (ORT's WebGPU device is not reachable without starting it).
  if (kind) await fireTestFault(kind);
}

const api = {
  /** The client's watchdog: answers while the worker lives and its event loop turns. */
  ping(): true {
    return true;
  },

  /** Tests only: the next `run` or `variants` call has this fault. */
  testFault(kind: TestFault): void {
    armed = kind;
  },

  async version(): Promise<{ version: string; webgpu: boolean; crossOriginIsolated: boolean }> {
    const ort = await loadOrt();
    return { version: ort.env.versions?.web ?? '', webgpu: !('unavailable' in (await probeWebGpu())), crossOriginIsolated: self.crossOriginIsolated };
  },

  /** fp32 / fp16 / int8 files of one model (bytes and sizes). */
  async variants(fp32: Uint8Array, which: Variant[] = VARIANTS): Promise<{ variant: Variant; data: Uint8Array; bytes: number; converted: number }[]> {
    await armedFault();
    const model = decodeModel(fp32);
    const out = which.map((v) => {
      const r = v === 'fp32' ? { bytes: fp32, info: { bytes: fp32.byteLength, converted: [] as string[] } } : makeVariant(model, v);
      return { variant: v, data: r.bytes, bytes: r.info.bytes, converted: r.info.converted.length };
    });
    return out;
  },

  /** `feeds`: by input name, or a list in the order of the model's inputs. */
  async run(bytes: Uint8Array, provider: OrtProvider, feeds: Record<string, TensorIn> | TensorIn[], opts: OrtRunOptions = {}): Promise<OrtRunResult> {
    const ort = await loadOrt();
    await armedFault();
    const t0 = performance.now();
    const adapter = provider === 'webgpu' ? await adapterText() : undefined;
    let created: Awaited<ReturnType<typeof createSession>>;
    try {
      created = await createSession(ort, bytes, provider);
    } catch (e) {
      throw new Error(`ONNX Runtime could not load this model: ${message(e)}`);
    }
    const { session, placements, provider: sessionProvider } = created;
    const fallback = created.fallbacks.length ? created.fallbacks.map((f) => f.reason).join('; ') : null;
    const loadMs = performance.now() - t0;
    try {
      let named = feeds as Record<string, TensorIn>;
      if (Array.isArray(feeds)) {
        if (feeds.length !== session.inputNames.length) throw new Error(`the model takes ${session.inputNames.length} inputs (${session.inputNames.join(', ')}), ${feeds.length} were given`);
        named = Object.fromEntries(session.inputNames.map((n, i) => [n, feeds[i]]));
      }
      // Session creation logs verbosely (for the node placements); runs log errors only.
      const r = await runBatched(ort, session, named, { ...opts, runOptions: { logSeverityLevel: 3 } });
      const provided = fallback ? `wasm (WebGPU unavailable: ${fallback})` : describePlacements(sessionProvider, placements);
      const result: OrtRunResult = { requested: provider, provider: provided, sessionProvider, fallback, placements, loadMs, adapter, ...r };
      return Comlink.transfer(result, r.outputs.map((o) => o.data.buffer as ArrayBuffer));
    } catch (e) {
      throw new Error(`ONNX Runtime failed to run the model: ${message(e)}`);
    } finally {
      await session.release().catch(() => undefined);
    }
  }
};

export type OrtWorkerApi = typeof api;

Comlink.expose(api);
