/**
 * Downloading a data file shipped with the app (digits, texts) with progress as bytes arrive, and plain messages that
 * name what failed: the request, the HTTP status, or the connection after some bytes. An abort passes through
 * unchanged (the caller cancelled).
 */

export type ProgressFn = (loaded: number, total: number | null) => void;

export interface LoadOptions {
  /** Defaults to the global fetch (tests pass their own). */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

export interface DownloadOptions extends LoadOptions {
  onProgress?: ProgressFn;
  /**
   * For files whose header says their size: called once the first `bytes` have arrived, returns the whole file's
   * size (reliable even when the server compresses the transfer, where Content-Length is not the file's size). A
   * throw (a bad header) cancels the download before the rest arrives.
   */
  sizeFromHeader?: { bytes: number; size(head: Uint8Array): number };
}

function concat(chunks: Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].length === length) return chunks[0];
  const out = new Uint8Array(length);
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/**
 * The bytes at `url`. `what` names the file in messages ("the digits data"). `total` passed to `onProgress` is the
 * file's size once known: from `sizeFromHeader`, before that from Content-Length when the response is not
 * content-encoded, else null.
 */
export async function downloadBytes(what: string, url: string, opts: DownloadOptions = {}): Promise<Uint8Array> {
  const { onProgress, sizeFromHeader } = opts;
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new Error(`Could not download ${what} from ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new Error(`Could not download ${what} from ${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);

  const header = res.headers.get('content-length');
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  let total: number | null = header && !encoded && Number(header) > 0 ? Number(header) : null;

  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    onProgress?.(bytes.length, bytes.length);
    return bytes;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let headerRead = !sizeFromHeader;
  onProgress?.(0, total);
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new Error(`The download of ${what} from ${url} failed after ${loaded} bytes: ${(e as Error).message}`);
    }
    if (r.done) break;
    chunks.push(r.value);
    loaded += r.value.length;
    if (!headerRead && sizeFromHeader && loaded >= sizeFromHeader.bytes) {
      headerRead = true;
      try {
        total = sizeFromHeader.size(concat(chunks, loaded).subarray(0, sizeFromHeader.bytes));
      } catch (e) {
        void reader.cancel().catch(() => undefined);
        throw e;
      }
    }
    onProgress?.(loaded, total);
  }
  const bytes = concat(chunks, loaded);
  if (!sizeFromHeader) onProgress?.(bytes.length, bytes.length);
  return bytes;
}
