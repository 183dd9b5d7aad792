/**
 * The page's side of the analysis worker. `analyse` answers null where there is no Worker (unit tests, the
 * prerender) or when the worker failed (it is then dropped, and the next call starts a new one): the caller then
 * analyses on its own thread, as before the worker, so a program is never left unanalysed. An analysis that runs
 * past ANALYSIS_TIMEOUT_MS is stopped (the worker replaced) and answered with a problem at the program's start:
 * doing it on the page instead would freeze the page for as long.
 */
import * as Comlink from 'comlink';
import type { Analysis } from './analysis';
import type { AnalysisWorkerApi } from './analysis.worker';

/** An analysis slower than this is stopped (the worker is replaced) and reported as a problem. */
export const ANALYSIS_TIMEOUT_MS = 10_000;

function timedOut(code: string): Analysis {
  const firstLine = code.split('\n', 1)[0].length;
  const span = { from: 0, to: firstLine, line: 1, col: 1, endLine: 1, endCol: firstLine + 1 };
  return { diagnostics: [{ severity: 'error', message: `Checking the program took longer than ${ANALYSIS_TIMEOUT_MS / 1000} s and was stopped`, span, hint: 'make it shorter or simpler' }], model: null };
}

export class AnalysisClient {
  #worker: Worker | null = null;
  #api: Comlink.Remote<AnalysisWorkerApi> | null = null;
  /** How to end each call in flight when the worker goes (their answers will never come). */
  #pending = new Set<(r: 'error') => void>();

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
    const failed = new Promise<'timeout' | 'error'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), ANALYSIS_TIMEOUT_MS);
      onError = () => resolve('error');
      worker.addEventListener('error', onError);
      this.#pending.add(onError);
    });
    try {
      const answer = await Promise.race([api.analyse(code, constants), failed]);
      if (typeof answer === 'object') return answer;
      this.dispose();
      return answer === 'timeout' ? timedOut(code) : null;
    } catch {
      this.dispose();
      return null;
    } finally {
      clearTimeout(timer);
      if (onError) {
        worker.removeEventListener('error', onError);
        this.#pending.delete(onError);
      }
    }
  }

  dispose() {
    this.#worker?.terminate();
    this.#worker = null;
    this.#api = null;
    for (const end of [...this.#pending]) end('error');
  }
}
