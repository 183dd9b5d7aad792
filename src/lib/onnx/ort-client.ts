/**
 * The UI side of the ONNX Runtime worker: starts it on first use (so ORT is never loaded on the UI thread or
 * before it is needed), and turns a crash or a hang into a message instead of a promise that never settles.
 * Faults (worker/faults.ts: a crash, no answer to the watchdog's ping, out of memory, a lost GPU device) reject the
 * call with a `WorkerFault` that names them; the worker is replaced, so a retry starts clean.
 */
import * as Comlink from 'comlink';
import type { Variant } from './quantize';
import type { OrtProvider, TensorIn } from './ort-run';
import type { OrtRunOptions, OrtRunResult, OrtWorkerApi } from './ort.worker';
import { exposeFaultHooks, faultKindOf, watchWorker, workerFaultMessage, WorkerFault } from '$lib/worker/faults';
import type { FaultKind, TestFault } from '$lib/worker/protocol';

export type { OrtRunResult } from './ort.worker';

export class OrtClient {
  #worker: Worker | null = null;
  #api: Comlink.Remote<OrtWorkerApi> | null = null;
  /**
   * How long the worker may take to answer a ping during a call before it counts as gone: by default the call's own
   * time limit (creating a session for a large model blocks the worker; a live worker is never cut off earlier than
   * the limit). A test shortens it.
   */
  watchdogMs: number | null = null;

  constructor() {
    // Tests only (tests/e2e/faults.spec.ts): the next call has this fault; a shorter watchdog.
    exposeFaultHooks('ort', { fault: (k) => void this.testFault(k), watchdog: (ms) => (this.watchdogMs = ms) });
  }

  #ensure(): Comlink.Remote<OrtWorkerApi> {
    if (this.#api) return this.#api;
    const worker = new Worker(new URL('./ort.worker.ts', import.meta.url), { type: 'module', name: 'onnxruntime' });
    // Outside a call an uncaught error only ends this worker: the next call starts a fresh one.
    worker.addEventListener('error', () => {
      if (this.#worker === worker) this.dispose();
    });
    this.#worker = worker;
    this.#api = Comlink.wrap<OrtWorkerApi>(worker);
    return this.#api;
  }

  /** Tests only: the worker's next call has this fault (worker/faults.ts fireTestFault). */
  async testFault(kind: TestFault): Promise<void> {
    await this.#ensure().testFault(kind);
  }

  /** Runs one call with a time limit; on a fault or timeout the worker is replaced and the call rejects. */
  async #call<T>(f: (api: Comlink.Remote<OrtWorkerApi>) => Promise<T>, timeoutMs: number, what: string, provider: string): Promise<T> {
    const api = this.#ensure();
    const worker = this.#worker!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopWatch = () => {};
    const fault = (kind: FaultKind, detail: string) => new WorkerFault(kind, 'ONNX Runtime', `${what} failed. ${workerFaultMessage('ONNX Runtime', kind, provider, detail)}`);
    const guard = new Promise<never>((_, reject) => {
      stopWatch = watchWorker(worker, () => api.ping(), { timeoutMs: () => this.watchdogMs ?? timeoutMs }, (kind, detail) => {
        reject(fault(kind, detail));
        this.dispose();
      });
      timer = setTimeout(() => {
        reject(fault('unresponsive', `${what} took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`));
        this.dispose();
      }, timeoutMs);
    });
    try {
      return await Promise.race([f(api), guard]);
    } catch (e) {
      if (e instanceof WorkerFault) throw e;
      // Out of memory or a lost GPU inside ORT (an error the call returns): named, and the worker is replaced.
      const message = e instanceof Error ? e.message : String(e);
      const kind = faultKindOf(message);
      if (!kind) throw e;
      this.dispose();
      throw fault(kind, message.replace(/^ONNX Runtime failed to run the model: /, ''));
    } finally {
      clearTimeout(timer);
      stopWatch();
    }
  }

  variants(fp32: Uint8Array, which?: Variant[]) {
    return this.#call((api) => api.variants(fp32, which), 60_000, 'Making the variants', 'wasm');
  }

  run(model: Uint8Array, provider: OrtProvider, feeds: Record<string, TensorIn> | TensorIn[], opts: OrtRunOptions = {}, timeoutMs = 120_000): Promise<OrtRunResult> {
    return this.#call((api) => api.run(model, provider, feeds, opts), timeoutMs, 'Running the model in ONNX Runtime', provider);
  }

  dispose() {
    this.#api?.[Comlink.releaseProxy]();
    this.#worker?.terminate();
    this.#worker = null;
    this.#api = null;
  }
}
