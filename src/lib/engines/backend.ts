/**
 * TF.js backend resolution with a fallback that never lies: the result names the backend that actually runs,
 * and every backend that was tried and failed, with the reason.
 * Runs in the worker (browser) and in node (tests); TF.js is passed in, never imported here.
 */
import type { Tfjs } from '$lib/layers/types';

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export const BACKEND_LABELS: Record<BackendName, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WASM',
  cpu: 'CPU'
};

export interface GpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
}

export interface BackendInfo {
  requested: BackendName;
  actual: BackendName;
  /** Backends tried before `actual`, with why each was not used. */
  failures: { backend: BackendName; reason: string }[];
  /** WebGPU only. */
  adapter?: GpuAdapterInfo;
  /** WebGL only: the GL renderer string when the driver exposes it. */
  webglRenderer?: string;
  /** WASM only. */
  wasm?: { simd: boolean; threadsSupported: boolean; threads: number; logicalCores: number; crossOriginIsolated: boolean };
  initMs: number;
  /**
   * A compiled run on WebGPU: ONNX Runtime's WebGPU provider owns the GPU in the worker, and TF.js (initial weights,
   * validation, pictures) runs on this backend (see worker/session.ts).
   */
  tfjs?: BackendName;
  /**
   * A compiled run: the ONNX Runtime provider of the training step, and on WASM its thread count (with why, when
   * fewer run than asked: onnx/ort-threads.ts).
   */
  ort?: { provider: string; threads: number; reason: string | null; /** The compiled step runs on the playground's own WebGPU kernels, not ORT. */ kernels?: boolean };
}

/** The order tried when a requested backend is not available: the next ones down the list. */
export function fallbackChain(requested: BackendName): BackendName[] {
  const i = BACKENDS.indexOf(requested);
  return [...BACKENDS.slice(i), ...BACKENDS.slice(0, i).reverse()];
}

export interface BackendLoaders {
  /** Imports and registers a backend that TF.js does not bundle (wasm, webgpu) and configures it. */
  load(name: BackendName): Promise<void>;
  /** WebGPU adapter details, read from navigator.gpu. */
  adapterInfo?(): Promise<GpuAdapterInfo | undefined>;
  wasmInfo?(): Promise<{ simd: boolean; threadsSupported: boolean; threads: number; logicalCores: number }>;
}

export function describe(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** The few members of a WebGPU adapter read here (the project does not depend on @webgpu/types). */
interface GpuAdapterLike {
  info?: Partial<Omit<GpuAdapterInfo, 'isFallbackAdapter'>> & { isFallbackAdapter?: boolean };
  isFallbackAdapter?: boolean;
}

/**
 * THE WebGPU availability check (TF.js backend resolution, the ORT provider fallback, the benchmark's device line
 * and the worker loaders all ask here): the adapter's details, or why there is none. `noApi`: navigator.gpu is missing.
 */
export async function probeWebGpu(): Promise<{ adapter: GpuAdapterInfo } | { unavailable: string; noApi: boolean }> {
  const g = globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<GpuAdapterLike | null> } } };
  if (!g.navigator?.gpu) return { unavailable: 'this browser has no WebGPU (navigator.gpu is missing)', noApi: true };
  const adapter = await g.navigator.gpu.requestAdapter().catch(() => null);
  if (!adapter) return { unavailable: 'no WebGPU adapter was found (the GPU or its driver is blocked)', noApi: false };
  const info = adapter.info ?? {};
  return {
    adapter: {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
      isFallbackAdapter: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter)
    }
  };
}

async function preflight(name: BackendName): Promise<string | null> {
  if (name === 'webgpu') {
    const gpu = await probeWebGpu();
    if ('unavailable' in gpu) return gpu.unavailable;
  }
  if (name === 'webgl' && typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') {
    return 'no OffscreenCanvas in this context, so WebGL cannot run here';
  }
  return null;
}

export async function resolveBackend(tf: Tfjs, requested: BackendName, loaders: BackendLoaders): Promise<BackendInfo> {
  const t0 = performance.now();
  const failures: BackendInfo['failures'] = [];
  for (const name of fallbackChain(requested)) {
    const why = await preflight(name);
    if (why) {
      failures.push({ backend: name, reason: why });
      continue;
    }
    try {
      await loaders.load(name);
      const ok = await tf.setBackend(name);
      if (!ok || tf.getBackend() !== name) {
        failures.push({ backend: name, reason: `TF.js could not initialise the ${BACKEND_LABELS[name]} backend` });
        continue;
      }
      await tf.ready();
      // A tiny op proves the backend really computes (a WebGL context can be created yet fail to run).
      const probe = tf.tidy(() => tf.add(tf.scalar(1), tf.scalar(2)));
      const v = (await probe.data())[0];
      probe.dispose();
      if (v !== 3) throw new Error(`a test computation returned ${v} instead of 3`);
      const info: BackendInfo = { requested, actual: name, failures, initMs: performance.now() - t0 };
      if (name === 'webgpu') info.adapter = await loaders.adapterInfo?.();
      if (name === 'wasm' && loaders.wasmInfo) {
        info.wasm = { ...(await loaders.wasmInfo()), crossOriginIsolated: Boolean(globalThis.crossOriginIsolated) };
      }
      if (name === 'webgl') info.webglRenderer = webglRenderer(tf);
      return info;
    } catch (e) {
      failures.push({ backend: name, reason: describe(e) });
    }
  }
  throw new Error(`No TF.js backend could start: ${failures.map((f) => `${f.backend}: ${f.reason}`).join('; ')}`);
}

function webglRenderer(tf: Tfjs): string | undefined {
  try {
    const backend = tf.backend() as unknown as { gpgpu?: { gl?: WebGL2RenderingContext } };
    const gl = backend.gpgpu?.gl;
    if (!gl) return undefined;
    const ext = gl.getExtension('WEBGL_debug_renderer_info');
    return String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  } catch {
    return undefined;
  }
}

/** A one-line description for the UI: "WebGPU (google swiftshader, fallback adapter)". */
export function describeBackend(info: BackendInfo): string {
  if (info.ort) {
    const o = info.ort;
    const threads = `${o.threads} thread${o.threads === 1 ? '' : 's'}${o.reason ? `: ${o.reason}` : ''}`;
    const runner = o.kernels ? "the playground's own WebGPU kernels" : `ONNX Runtime ${o.provider === 'webgpu' ? 'WebGPU' : `WASM (${threads})`}`;
    return `${describeBackend({ ...info, ort: undefined })}; compiled step on ${runner}`;
  }
  if (info.tfjs) return `${describeBackend({ ...info, tfjs: undefined })}; TF.js pictures and validation on ${BACKEND_LABELS[info.tfjs]}`;
  const label = BACKEND_LABELS[info.actual];
  if (info.actual === 'webgpu' && info.adapter) {
    const a = info.adapter;
    const name = [a.vendor, a.architecture, a.device].filter(Boolean).join(' ') || a.description || 'unknown adapter';
    return `${label} (${name}${a.isFallbackAdapter ? ', software fallback adapter' : ''})`;
  }
  if (info.actual === 'wasm' && info.wasm) {
    const w = info.wasm;
    return `${label} (SIMD ${w.simd ? 'on' : 'off'}, ${w.threads} thread${w.threads === 1 ? '' : 's'})`;
  }
  if (info.actual === 'webgl' && info.webglRenderer) return `${label} (${info.webglRenderer})`;
  return label;
}
