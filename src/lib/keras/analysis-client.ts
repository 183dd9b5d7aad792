/**
 * The page's side of the analysis worker. `analyse` answers null where there is no Worker (unit tests, the
 * prerender) or when the worker failed (it is then dropped, and the next call starts a new one): the caller then
 * analyses on its own thread, as before the worker, so a program is never left unanalysed.
 */
import * as Comlink from 'comlink';
import type { Analysis } from './analysis';
import type { AnalysisWorkerApi } from './analysis.worker';

/** An analysis slower than this is given up on (the worker is replaced) and done on the page instead. */
const ANALYSIS_TIMEOUT_MS = 10_000;

export class AnalysisClient {
  #worker: Worker | null = null;
  #api: Comlink.Remote<AnalysisWorkerApi> | null = null;

  #ensure(): Comlink.Remote<AnalysisWorkerApi> | null {
    if (typeof Worker === 'undefined') return null;
    if (!this.#api) {
      this.#worker = new Worker(new URL('./analysis.worker.ts', import.meta.url), { type: 'module', name: 'analysis' });
      this.#api = Comlink.wrap<AnalysisWorkerApi>(this.#worker);
    }
    return this.#api;
  }

  async analyse(code: string, constants: Record<string, number>): Promise<Analysis | null> {
    let api: Comlink.Remote<AnalysisWorkerApi> | null;
    try {
      api = this.#ensure();
    } catch {
      return null;
    }
    if (!api) return null;
    const worker = this.#worker!;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onError: (() => void) | undefined;
    const failed = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ANALYSIS_TIMEOUT_MS);
      onError = () => resolve(null);
      worker.addEventListener('error', onError);
    });
    try {
      const answer = await Promise.race([api.analyse(code, constants), failed]);
      if (!answer) this.dispose();
      return answer;
    } catch {
      this.dispose();
      return null;
    } finally {
      clearTimeout(timer);
      if (onError) worker.removeEventListener('error', onError);
    }
  }

  dispose() {
    this.#worker?.terminate();
    this.#worker = null;
    this.#api = null;
  }
}
