/**
 * The page side of the decode worker (inspect.worker.ts): started on first use; a file that takes too long or
 * crashes the worker ends as a message (the worker is replaced), never as a frozen page or a promise that never
 * settles.
 */
import * as Comlink from 'comlink';
import type { InspectOutcome, NodeRow } from './inspect';
import type { InspectWorkerApi } from './inspect.worker';

/** A decode that takes longer than this is stopped (the worker is terminated). */
export const INSPECT_TIMEOUT_MS = 30_000;

export class InspectClient {
  #worker: Worker | null = null;
  #api: Comlink.Remote<InspectWorkerApi> | null = null;

  #ensure(): { worker: Worker; api: Comlink.Remote<InspectWorkerApi> } {
    if (!this.#worker || !this.#api) {
      this.#worker = new Worker(new URL('./inspect.worker.ts', import.meta.url), { type: 'module', name: 'onnx-decode' });
      this.#api = Comlink.wrap<InspectWorkerApi>(this.#worker);
    }
    return { worker: this.#worker, api: this.#api };
  }

  /**
   * Decodes and summarises `bytes` in the worker. A File (Blob) is read there too: reading 100 MB into an
   * ArrayBuffer on the page held its thread for 250–480 ms. Bytes are transferred there and back: use the returned
   * `bytes` afterwards (a Uint8Array passed in is detached).
   */
  async inspect(bytes: Uint8Array | Blob, timeoutMs = INSPECT_TIMEOUT_MS): Promise<{ outcome: InspectOutcome; totalNodes: number; bytes: Uint8Array | null }> {
    const { worker, api } = this.#ensure();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onError: ((e: ErrorEvent) => void) | undefined;
    const guard = new Promise<{ outcome: InspectOutcome; totalNodes: number; bytes: null }>((resolve) => {
      const fail = (message: string) => {
        this.dispose();
        resolve({ outcome: { ok: false, message }, totalNodes: 0, bytes: null });
      };
      timer = setTimeout(() => fail(`Reading it took longer than ${Math.round(timeoutMs / 1000)} s and was stopped`), timeoutMs);
      onError = (e) => fail(`The file reader crashed (${e.message || 'out of memory?'})`);
      worker.addEventListener('error', onError);
    });
    try {
      return await Promise.race([api.inspect(bytes instanceof Blob ? bytes : Comlink.transfer(bytes, [bytes.buffer as ArrayBuffer])), guard]);
    } catch (e) {
      this.dispose();
      return { outcome: { ok: false, message: `The file reader failed (${e instanceof Error ? e.message : e})` }, totalNodes: 0, bytes: null };
    } finally {
      clearTimeout(timer);
      if (onError) worker.removeEventListener('error', onError);
    }
  }

  /**
   * Nodes `from`..`to` of the file read last (the first answer holds only the first ones). Empty once the worker
   * was replaced.
   */
  async nodes(from: number, to: number): Promise<NodeRow[]> {
    if (!this.#api) return [];
    return this.#api.nodes(from, to);
  }

  dispose() {
    this.#api?.[Comlink.releaseProxy]();
    this.#worker?.terminate();
    this.#api = null;
    this.#worker = null;
  }
}
