/**
 * The UI side of the ONNX Runtime worker: starts it on first use (so ORT is never loaded on the UI thread or
 * before it is needed), and turns a crash or a hang into a message instead of a promise that never settles.
 */
import * as Comlink from 'comlink';
import type { Variant } from './quantize';
import type { OrtProvider, TensorIn } from './ort-run';
import type { OrtRunOptions, OrtRunResult, OrtWorkerApi } from './ort.worker';
import { faultKindOf } from '$lib/worker/faults';

export type { OrtRunResult } from './ort.worker';

export class OrtClient {
  #worker: Worker | null = null;
  #api: Comlink.Remote<OrtWorkerApi> | null = null;
  #crash: ((e: Error) => void)[] = [];

  #ensure(): Comlink.Remote<OrtWorkerApi> {
    if (this.#api) return this.#api;
    const worker = new Worker(new URL('./ort.worker.ts', import.meta.url), { type: 'module', name: 'onnxruntime' });
    worker.addEventListener('error', (e) => {
      const kind = faultKindOf(e.message || '');
      const err = new Error(`The ONNX Runtime worker ${kind === 'oom' ? 'ran out of memory' : kind === 'device-lost' ? 'lost its GPU device' : 'crashed'}: ${e.message || 'unknown error'}. It starts afresh on the next run.`);
      for (const f of this.#crash.splice(0)) f(err);
      this.dispose();
    });
    this.#worker = worker;
    this.#api = Comlink.wrap<OrtWorkerApi>(worker);
    return this.#api;
  }

  /** Runs one call with a time limit; on a crash or timeout the worker is replaced and the call rejects. */
  async #call<T>(f: (api: Comlink.Remote<OrtWorkerApi>) => Promise<T>, timeoutMs: number, what: string): Promise<T> {
    const api = this.#ensure();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onCrash: (e: Error) => void = () => {};
    const guard = new Promise<never>((_, reject) => {
      onCrash = reject;
      this.#crash.push(reject);
      timer = setTimeout(() => {
        reject(new Error(`${what} took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`));
        this.dispose();
      }, timeoutMs);
    });
    try {
      return await Promise.race([f(api), guard]);
    } catch (e) {
      // Out of memory or a lost GPU inside ORT: named, and the worker is replaced so the next run starts clean.
      const message = e instanceof Error ? e.message : String(e);
      const kind = faultKindOf(message);
      if (!kind) throw e;
      this.dispose();
      throw new Error(`${what} failed: ONNX Runtime ${kind === 'oom' ? 'ran out of memory' : 'lost its GPU device'} (${message}). The next run starts a fresh worker.`);
    } finally {
      clearTimeout(timer);
      this.#crash = this.#crash.filter((r) => r !== onCrash);
    }
  }

  variants(fp32: Uint8Array, which?: Variant[]) {
    return this.#call((api) => api.variants(fp32, which), 60_000, 'Making the variants');
  }

  run(model: Uint8Array, provider: OrtProvider, feeds: Record<string, TensorIn> | TensorIn[], opts: OrtRunOptions = {}, timeoutMs = 120_000): Promise<OrtRunResult> {
    return this.#call((api) => api.run(model, provider, feeds, opts), timeoutMs, 'Running the model in ONNX Runtime');
  }

  dispose() {
    this.#api?.[Comlink.releaseProxy]();
    this.#worker?.terminate();
    this.#worker = null;
    this.#api = null;
  }
}
