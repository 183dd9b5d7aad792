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
