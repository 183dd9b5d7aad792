/**
 * Faults of the training worker, named for the user: what happened, what is kept, what to do. The client
 * (client.svelte.ts) classifies a failure with `faultOf` and the page offers a restart on the same or another backend.
 */
import { BACKEND_LABELS, type BackendName } from '$lib/engines/backend';
import type { FaultKind } from './protocol';

export interface Fault {
  kind: FaultKind;
  /** One sentence: what happened (with the raw error, when there is one). */
  message: string;
  /** The backend the run was on. */
  backend: BackendName;
}

/** Out-of-memory errors as browsers and TF.js word them. */
const OOM = /out of memory|allocation failed|Array buffer allocation|Cannot allocate|could not allocate|Maximum memory size|memory access out of bounds|OOM|Failed to allocate|RangeError: (Invalid typed array length|Array buffer)/i;
/** A lost GPU device (WebGPU's GPUDeviceLostInfo, a lost WebGL context). */
const LOST = /device (was |is )?lost|Device is lost|destroyed device|context lost|CONTEXT_LOST/i;

/** The fault kind of an error message from the worker, or null when it is an ordinary error (a bad model, a bad argument). */
export function faultKindOf(message: string): FaultKind | null {
  if (LOST.test(message)) return 'device-lost';
  if (OOM.test(message)) return 'oom';
  return null;
}

/** What the user reads for a fault of `kind` on `backend` (`detail`: the raw error). */
export function faultMessage(kind: FaultKind, backend: string, detail?: string): string {
  const raw = detail ? ` (${detail.replace(/^Uncaught /, '').replace(/^the GPU device was lost: /, '')})` : '';
  backend = BACKEND_LABELS[backend as BackendName] ?? backend;
  switch (kind) {
    case 'crash':
      return `The training worker crashed${raw}.`;
    case 'unresponsive':
      return `The training worker stopped answering${raw}.`;
    case 'oom':
      return `Training ran out of memory on ${backend}${raw}: a smaller model, batch or data set fits, or another backend may have more room.`;
    case 'device-lost':
      return `The GPU device was lost while training on ${backend}${raw}: the browser or the driver reset it. It can start again, or train on another backend.`;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The same for the other workers (ONNX Runtime: ort-client.ts; bench: bench/orchestrator.ts): one classifier, one
// watchdog, one set of test hooks.

/** The app's workers besides the training one, as the user reads them. */
export type WorkerName = 'ONNX Runtime' | 'bench';

/** A fault of a worker, thrown to the caller of the call it ended (the UI names it and offers a retry). */
export class WorkerFault extends Error {
  constructor(
    readonly kind: FaultKind,
    readonly worker: WorkerName,
    message: string
  ) {
    super(message);
    this.name = 'WorkerFault';
  }
}

/** What the user reads for a fault of `worker` (`backend`: the backend or provider it ran on; `detail`: the raw error). */
export function workerFaultMessage(worker: WorkerName, kind: FaultKind, backend: string, detail?: string): string {
  const raw = detail ? ` (${detail.replace(/^Uncaught /, '').replace(/^the GPU device was lost: /, '')})` : '';
  const on = BACKEND_LABELS[backend as BackendName] ?? backend;
  const next = `The next ${worker === 'bench' ? 'cell' : 'run'} starts a fresh worker.`;
  switch (kind) {
    case 'crash':
      return `The ${worker} worker crashed${raw}. ${next}`;
    case 'unresponsive':
      return `The ${worker} worker stopped answering${raw}. ${next}`;
    case 'oom':
      return `The ${worker} worker ran out of memory on ${on}${raw}: a smaller model or batch fits, or another backend may have more room. ${next}`;
    case 'device-lost':
      return `The GPU device was lost in the ${worker} worker on ${on}${raw}: the browser or the driver reset it. ${next}`;
  }
}

/**
 * Watches a worker while a call is in flight: its 'error' event (an uncaught error: a crash, or out of memory / a
 * lost GPU by its message) and, every `everyMs`, a ping that must answer within `timeoutMs()` (a worker that closed
 * itself or hangs never does). `onFault` is called once; `stop()` ends the watch.
 */
export function watchWorker(
  worker: Worker,
  ping: () => Promise<unknown>,
  opts: { everyMs?: number; timeoutMs: () => number },
  onFault: (kind: FaultKind, detail: string) => void
): () => void {
  let done = false;
  const fire = (kind: FaultKind, detail: string) => {
    if (done) return;
    stop();
    onFault(kind, detail);
  };
  const onError = (e: ErrorEvent) => {
    e.preventDefault?.();
    const message = e.message || 'unknown error';
    fire(faultKindOf(message) ?? 'crash', message);
  };
  worker.addEventListener('error', onError);
  let waiting = false;
  const interval = setInterval(() => {
    if (waiting) return;
    waiting = true;
    const limit = opts.timeoutMs();
    const timer = setTimeout(() => fire('unresponsive', `no answer for ${Math.round(limit / 1000)} s`), limit);
    void ping().then(
      () => {
        waiting = false;
        clearTimeout(timer);
      },
      () => clearTimeout(timer)
    );
  }, opts.everyMs ?? 2000);
  function stop() {
    done = true;
    clearInterval(interval);
    worker.removeEventListener('error', onError);
  }
  return stop;
}

/**
 * Worker side, tests only: makes the next call fail as a real fault would (`armed` by the worker's `testFault`):
 * 'throw' an uncaught error (the worker's 'error' event), 'close' the worker closes itself (no answer: the watchdog),
 * 'oom' / 'device-lost' the call throws what the browser says then. `destroyDevice` loses a real GPU device when the
 * worker has one (returns whether it did). The call then never answers (for 'throw' and 'close').
 */
export async function fireTestFault(kind: import('./protocol').TestFault, destroyDevice?: () => boolean): Promise<void> {
  if (kind === 'throw') {
    setTimeout(() => {
      throw new Error('injected crash (test)');
    });
    await new Promise(() => {});
  }
  if (kind === 'close') {
    (globalThis as unknown as { close?: () => void }).close?.();
    await new Promise(() => {});
  }
  if (kind === 'oom') throw new RangeError('Array buffer allocation failed (injected by a test)');
  if (destroyDevice?.()) return; // the call itself meets the lost device
  throw new Error('the GPU device was lost: destroyed (injected by a test)');
}

/** UI side, tests only: a worker's fault hooks on `window.__nnFaults[name]` (tests/e2e/faults.spec.ts). */
export function exposeFaultHooks(name: 'ort' | 'bench', hooks: { fault(kind: import('./protocol').TestFault): void; watchdog(ms: number): void }): void {
  const g = globalThis as unknown as { __nnFaults?: Record<string, unknown>; window?: unknown };
  if (!g.window) return;
  (g.__nnFaults ??= {})[name] = hooks;
}
