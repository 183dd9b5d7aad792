/**
 * Loads onnxruntime-web lazily inside a worker (the ONNX Runtime worker, the training worker's compiled step and the
 * benchmark worker all use this), serving its .wasm from the app: a `?url` import, so the build contains it and
 * nothing is fetched from a CDN.
 *
 * Threads: ORT's WASM starts its pthreads as `new Worker(new URL(import.meta.url), { name: 'em-pthread' })`, the URL of
 * its Emscripten script. Bundled, that script is inside our worker bundle, so each pthread would re-load the whole
 * worker. So the script (ort-wasm-simd-threaded.jsep.mjs) is served as a file of its own (`?url`), and
 * `env.wasm.wasmPaths.mjs` points ORT at it: ORT imports it from there (not the bundled copy), and its pthreads load
 * only it. The thread count: ort-threads.ts (ORT's min(4, ceil(cores / 2)), or 1 with the reason: not cross-origin isolated, no
 * nested workers, or the script failed to load in a probe worker).
 *
 * `captureOrtLog` collects ORT's own log lines (printed through console) while a function runs, so the caller can
 * read the "Node placements" section (node count after graph optimization; see onnx/ort-run.ts parsePlacements).
 */
import jsepWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import jsepMjs from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.mjs?url';
import type * as Ort from 'onnxruntime-web';
import { chooseOrtThreads, invalidThreads, ortThreadsOf, recordOrtThreads, type OrtThreads } from './ort-threads';

export type OrtModule = typeof Ort;

let ortPromise: Promise<OrtModule> | null = null;
let loadedRequest: number | undefined;
let threads: OrtThreads | null = null;
let loadedModule: OrtModule | null = null;
let capture: string[] | null = null;
let hooked = false;

function hookConsole() {
  if (hooked) return;
  hooked = true;
  const isOrt = (a: unknown[]) => typeof a[0] === 'string' && /\[[VIWEF]:onnxruntime/.test(a[0]);
  for (const k of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    const orig = console[k].bind(console);
    console[k] = (...args: unknown[]) => {
      if (isOrt(args)) {
        capture?.push(args.map(String).join(' '));
        if (/\[[EF]:onnxruntime/.test(String(args[0]))) orig(...args);
        return;
      }
      orig(...args);
    };
  }
}

/** How long the probe worker may take to load ORT's script (a busy machine takes a second or two). */
const PROBE_MS = 20_000;

/**
 * Checks that a worker started from here can import ORT's script (what each pthread does): null when it can, else
 * why not (a missing file, a wrong MIME type, a Content-Security-Policy that blocks workers).
 */
async function probeThreadScript(url: string): Promise<string | null> {
  let worker: Worker | null = null;
  let blobUrl: string | null = null;
  try {
    blobUrl = URL.createObjectURL(new Blob([`import(${JSON.stringify(url)}).then(() => postMessage('ok'), (e) => postMessage(String(e && e.message || e)));`], { type: 'text/javascript' }));
    const w = new Worker(blobUrl, { type: 'module', name: 'ort-thread-probe' });
    worker = w;
    return await new Promise<string | null>((resolve) => {
      const timer = setTimeout(() => resolve(`no answer within ${PROBE_MS / 1000} s`), PROBE_MS);
      w.onmessage = (e) => {
        clearTimeout(timer);
        resolve(e.data === 'ok' ? null : String(e.data));
      };
      w.onerror = (e) => {
        clearTimeout(timer);
        resolve(e.message || 'the worker failed to start');
      };
    });
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  } finally {
    worker?.terminate();
    if (blobUrl) URL.revokeObjectURL(blobUrl);
  }
}

/** Counts the pthread workers ORT starts (each loads `scriptUrl`), so what runs is measured, not assumed. */
function countPthreads(scriptUrl: string, t: OrtThreads) {
  const Native = (globalThis as { Worker?: typeof Worker }).Worker;
  if (!Native) return;
  t.workers = 0;
  (globalThis as { Worker?: typeof Worker }).Worker = class extends Native {
    constructor(url: string | URL, opts?: WorkerOptions) {
      super(url, opts);
      if (String(url) === scriptUrl && opts?.name?.startsWith('em-pthread')) t.workers = (t.workers ?? 0) + 1;
    }
  };
}

/**
 * ONNX Runtime, loaded once per worker. `threads`: ORT's thread count (default: ort-threads.ts); only the first call
 * sets it (ORT starts its threads once), and a later call asking for another count is refused.
 */
export function loadOrt(opts: { threads?: number } = {}): Promise<OrtModule> {
  if (opts.threads !== undefined) {
    const bad = invalidThreads(opts.threads);
    if (bad) return Promise.reject(new Error(`ONNX Runtime threads: ${bad}`));
    if (ortPromise && loadedRequest !== opts.threads) {
      const asked = opts.threads;
      return ortPromise.then((ort) => {
        if (threads && threads.requested !== asked) throw new Error(`ONNX Runtime already runs in this worker with ${threads.requested} thread(s) asked; it cannot change to ${asked}`);
        return ort;
      });
    }
  }
  loadedRequest ??= opts.threads;
  ortPromise ??= (async () => {
    const ort = await import('onnxruntime-web');
    const mjs = new URL(jsepMjs, self.location.href).href;
    const ctx = {
      crossOriginIsolated: Boolean(globalThis.crossOriginIsolated),
      sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined',
      workers: typeof Worker !== 'undefined',
      hardwareConcurrency: (typeof navigator !== 'undefined' && navigator.hardwareConcurrency) || 1
    };
    let choice = chooseOrtThreads(ctx, opts.threads);
    if (choice.threads > 1) choice = chooseOrtThreads(ctx, opts.threads, await probeThreadScript(mjs));
    const t: OrtThreads = { ...choice, workers: null };
    if (t.threads > 1) countPthreads(mjs, t);
    threads = t;
    recordOrtThreads(ort, t);
    loadedModule = ort;
    // Both files named: ORT imports its script from `mjs` (not the copy inside this bundle), so its pthreads load that.
    ort.env.wasm.wasmPaths = { mjs, wasm: new URL(jsepWasm, self.location.href).href };
    ort.env.wasm.numThreads = t.threads;
    ort.env.wasm.proxy = false;
    // ORT reads the log level once, when its wasm starts: verbose, so session creation prints its node placements
    // (swallowed by the console hook unless an error).
    ort.env.logLevel = 'verbose';
    hookConsole();
    return ort;
  })();
  ortPromise.catch(() => {
    ortPromise = null;
    loadedRequest = undefined;
  });
  return ortPromise;
}

/** ORT's threads in this worker, as they run (ort-threads.ts ortThreadsOf; null until loadOrt ran). */
export function loadedOrtThreads(): OrtThreads | null {
  return loadedModule ? ortThreadsOf(loadedModule) : null;
}

/** Runs `f` with ORT's verbose log on, returning its result and the log lines it printed. */
export async function captureOrtLog<T>(ort: OrtModule, f: () => Promise<T>): Promise<{ value: T; lines: string[] }> {
  hookConsole();
  const lines: string[] = [];
  capture = lines;
  void ort;
  try {
    return { value: await f(), lines };
  } finally {
    capture = null;
  }
}
