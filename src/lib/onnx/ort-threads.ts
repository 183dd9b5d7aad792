/**
 * How many threads ONNX Runtime's WASM runs on, and why (pure: the worker's onnx/load-ort.ts reads the context and
 * calls `chooseOrtThreads`; unit-tested in ort-threads.test.ts).
 *
 * Default: ORT's own, min(4, ceil(cores / 2)): 1 thread on 2 logical cores, 2 on 4, 4 on 8 and more. ORT's pool
 * spins at every node's barrier, so a thread that the OS takes away (the page, the browser's GPU process, other
 * programs) stalls the whole step: on this 2-core machine, busy, 2 threads made the compiled training step of the
 * wide MLP and the digits CNN 2-4× slower than 1 (README, "What we learned"), while half the cores leaves room for
 * them. 4 is ORT's cap: the graphs here are small and more threads mostly wait on each other. The benchmark
 * (`--ort-threads`, `/bench?ort-threads=`) asks for other counts.
 */

export interface OrtThreads {
  /** Threads ORT's WASM runs on (its intra-op pool, the calling thread included). */
  threads: number;
  /** What was asked for (the default, or the benchmark's --ort-threads). */
  requested: number;
  /** Why fewer threads run than were asked for; null when they all run. */
  reason: string | null;
  /** Pthread workers ORT started (threads - 1 when they all started); null before its first session, or unknown. */
  workers: number | null;
}

export interface ThreadContext {
  crossOriginIsolated: boolean;
  /** `typeof SharedArrayBuffer !== 'undefined'`. */
  sharedArrayBuffer: boolean;
  /** A Worker constructor in this scope (ORT's pthreads are nested workers of ours). */
  workers: boolean;
  hardwareConcurrency: number;
}

export const MAX_DEFAULT_ORT_THREADS = 4;
/** The largest thread count accepted from a user (the benchmark's --ort-threads). */
export const MAX_ORT_THREADS = 16;

export const defaultOrtThreads = (cores: number) => Math.max(1, Math.min(MAX_DEFAULT_ORT_THREADS, Math.ceil((Math.floor(cores) || 1) / 2)));

/** Why `n` is not a thread count ORT accepts from us, or null when it is. */
export function invalidThreads(n: unknown): string | null {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_ORT_THREADS) return `a thread count is a whole number from 1 to ${MAX_ORT_THREADS}, not ${String(n)}`;
  return null;
}

/**
 * The thread count to give ORT: `requested` (or the default) when threads can run here, else 1 with why. Nothing
 * here starts a thread: `probeFailed` is the result of load-ort.ts's check that a nested worker can load ORT's script.
 */
export function chooseOrtThreads(ctx: ThreadContext, requested?: number, probeFailed?: string | null): Omit<OrtThreads, 'workers'> {
  const want = requested ?? defaultOrtThreads(ctx.hardwareConcurrency);
  const bad = invalidThreads(want);
  if (bad) throw new Error(`ONNX Runtime threads: ${bad}`);
  const one = (reason: string) => ({ threads: 1, requested: want, reason });
  if (want === 1) {
    const cores = Math.floor(ctx.hardwareConcurrency) || 1;
    return { threads: 1, requested: 1, reason: requested === undefined ? `${cores} logical core${cores === 1 ? '' : 's'}: ONNX Runtime's default is half the cores` : null };
  }
  if (!ctx.crossOriginIsolated) return one('the page is not cross-origin isolated (no COOP/COEP headers), so WASM threads cannot share memory');
  if (!ctx.sharedArrayBuffer) return one('SharedArrayBuffer is not available in this browser');
  if (!ctx.workers) return one('this browser cannot start workers from a worker, and ONNX Runtime runs its threads as workers');
  if (probeFailed) return one(`ONNX Runtime's thread script could not start in a worker (${probeFailed})`);
  return { threads: want, requested: want, reason: null };
}

/** "2 threads", "1 thread (the page is not cross-origin isolated…)". */
export function describeOrtThreads(t: Pick<OrtThreads, 'threads' | 'reason'>): string {
  return `${t.threads} thread${t.threads === 1 ? '' : 's'}${t.reason ? ` (${t.reason})` : ''}`;
}

const registry = new WeakMap<object, OrtThreads>();

/** Records what `ort` (one loaded ORT module) runs on; load-ort.ts calls it. */
export function recordOrtThreads(ort: object, t: OrtThreads): void {
  registry.set(ort, t);
}

/**
 * What `ort` runs on (ask after its first session): what load-ort.ts recorded, lowered to what really started, else
 * (ORT loaded some other way: tests, node) its own setting. ORT lowers `env.wasm.numThreads` to 1 where threads
 * cannot run; `workers` counts the pthread workers it started.
 */
export function ortThreadsOf(ort: { env?: { wasm?: { numThreads?: number } } }): OrtThreads {
  const known = registry.get(ort);
  const env = ort.env?.wasm?.numThreads;
  if (known) {
    // ORT had the last word: it falls back to 1 thread on its own when threads do not work.
    if (typeof env === 'number' && env >= 1 && env < known.threads) return { ...known, threads: env, reason: known.reason ?? 'ONNX Runtime found WebAssembly threads unsupported here' };
    if (known.workers !== null && known.workers + 1 < known.threads) {
      return { ...known, threads: known.workers + 1, reason: `ONNX Runtime started ${known.workers} of its ${known.threads - 1} thread workers` };
    }
    return { ...known };
  }
  const n = typeof env === 'number' && env >= 1 ? env : 1;
  return { threads: n, requested: n, reason: null, workers: null };
}
