/**
 * Loads onnxruntime-web lazily inside a worker (the ONNX Runtime worker, the training worker's compiled step and the
 * benchmark worker all use this), serving its .wasm from the app: a `?url` import, so the build contains it and
 * nothing is fetched from a CDN. One thread: ORT's pthreads would re-load the bundled worker script.
 *
 * `captureOrtLog` collects ORT's own log lines (printed through console) while a function runs, so the caller can
 * read the "Node placements" section (node count after graph optimization; see onnx/ort-run.ts parsePlacements).
 */
import jsepWasm from 'onnxruntime-web/ort-wasm-simd-threaded.jsep.wasm?url';
import type * as Ort from 'onnxruntime-web';

export type OrtModule = typeof Ort;

let ortPromise: Promise<OrtModule> | null = null;
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

export function loadOrt(): Promise<OrtModule> {
  ortPromise ??= (async () => {
    const ort = await import('onnxruntime-web');
    ort.env.wasm.wasmPaths = { wasm: new URL(jsepWasm, self.location.href).href };
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
    // ORT reads the log level once, when its wasm starts: verbose, so session creation prints its node placements
    // (swallowed by the console hook unless an error).
    ort.env.logLevel = 'verbose';
    hookConsole();
    return ort;
  })();
  ortPromise.catch(() => (ortPromise = null));
  return ortPromise;
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
