/**
 * The binary format of the shipped handwritten-digits set (`static/data/digits.bin`), its writer (used by
 * `src/cli/make-digits.ts` at build time) and its checked reader (used by `digits.ts` in the app).
 *
 * Layout, little-endian, one 24-byte header then the payload:
 *
 *   offset size
 *    0     4   magic "NNDG"
 *    4     1   format version (1)
 *    5     1   encoding of the payload: 0 = stored, 1 = zlib (deflate)
 *    6     1   image rows (28)
 *    7     1   image columns (28)
 *    8     4   number of training images (uint32)
 *   12     4   number of test images (uint32)
 *   16     4   payload bytes that follow the header (uint32)
 *   20     4   FNV-1a 32-bit checksum of the decoded body (uint32)
 *   24         payload: the body, stored or zlib-compressed
 *
 * The body: train labels (nTrain bytes), test labels (nTest bytes), train pixels (nTrain · rows · cols bytes),
 * test pixels (nTest · rows · cols). Labels are class indices 0..9, pixels are 0 (background) .. 255 (ink), row
 * by row. Labels come first and apart from the pixels so both compress well.
 *
 * Pure functions over byte arrays (no file system, no fetch): unit-tested on tiny packs.
 */
import { unzlibSync, zlibSync } from 'fflate';
import { mixSeed, Rng } from './rng';

export const DIGITS_MAGIC = 'NNDG';
export const DIGITS_FORMAT_VERSION = 1;
export const DIGITS_HEADER_BYTES = 24;
export const DIGITS_CLASSES = 10;

export const ENCODING_STORED = 0;
export const ENCODING_ZLIB = 1;

/** Images of one split: `pixels` holds n · rows · cols bytes, row-major per image. */
export interface DigitsSplitBytes {
  n: number;
  labels: Uint8Array;
  pixels: Uint8Array;
}

export interface DigitsPack {
  rows: number;
  cols: number;
  train: DigitsSplitBytes;
  test: DigitsSplitBytes;
}

export interface DigitsHeader {
  version: number;
  encoding: number;
  rows: number;
  cols: number;
  nTrain: number;
  nTest: number;
  payloadBytes: number;
  checksum: number;
}

/** A digits file that cannot be read: the message says what is wrong with it. */
export class DigitsFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DigitsFormatError';
  }
}

/** FNV-1a, 32 bits. */
export function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

/** A pixel intensity in [0, 1] → 0..255. */
export function toByte(v: number): number {
  return Math.min(255, Math.max(0, Math.round(v * 255)));
}

function checkSplit(what: string, s: DigitsSplitBytes, pixelsPerImage: number) {
  if (!Number.isInteger(s.n) || s.n < 0) throw new Error(`${what}: n must be a whole number, got ${s.n}`);
  if (s.labels.length !== s.n) throw new Error(`${what}: ${s.labels.length} labels for ${s.n} images`);
  if (s.pixels.length !== s.n * pixelsPerImage) throw new Error(`${what}: ${s.pixels.length} pixels for ${s.n} images of ${pixelsPerImage}`);
  for (let i = 0; i < s.n; i++) if (s.labels[i] >= DIGITS_CLASSES) throw new Error(`${what}: label ${s.labels[i]} of image ${i} is not a digit`);
}

/** Writes a pack (zlib-compressed unless `compress: false`). */
export function packDigits(pack: DigitsPack, opts: { compress?: boolean; level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 } = {}): Uint8Array {
  const { rows, cols, train, test } = pack;
  if (!(rows >= 1 && rows <= 255 && cols >= 1 && cols <= 255)) throw new Error(`image size ${rows}×${cols} does not fit the format`);
  const per = rows * cols;
  checkSplit('train', train, per);
  checkSplit('test', test, per);
  const body = new Uint8Array((train.n + test.n) * (1 + per));
  let o = 0;
  for (const part of [train.labels, test.labels, train.pixels, test.pixels]) {
    body.set(part, o);
    o += part.length;
  }
  const compress = opts.compress ?? true;
  const payload = compress ? zlibSync(body, { level: opts.level ?? 9, mem: 12 }) : body;
  const out = new Uint8Array(DIGITS_HEADER_BYTES + payload.length);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < 4; i++) out[i] = DIGITS_MAGIC.charCodeAt(i);
  out[4] = DIGITS_FORMAT_VERSION;
  out[5] = compress ? ENCODING_ZLIB : ENCODING_STORED;
  out[6] = rows;
  out[7] = cols;
  dv.setUint32(8, train.n, true);
  dv.setUint32(12, test.n, true);
  dv.setUint32(16, payload.length, true);
  dv.setUint32(20, fnv1a(body), true);
  out.set(payload, DIGITS_HEADER_BYTES);
  return out;
}

function asBytes(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

function printable(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => (b >= 32 && b < 127 ? String.fromCharCode(b) : '.')).join('');
}

/**
 * Reads and checks the header. Needs only the first DIGITS_HEADER_BYTES bytes (the loader uses it to learn the
 * file's full size early); `DIGITS_HEADER_BYTES + payloadBytes` is the size of the whole file.
 */
export function readDigitsHeader(data: ArrayBuffer | Uint8Array): DigitsHeader {
  const bytes = asBytes(data);
  if (bytes.length < DIGITS_HEADER_BYTES) {
    throw new DigitsFormatError(`The digits file is too short to be a digits pack: ${bytes.length} bytes, less than its ${DIGITS_HEADER_BYTES}-byte header`);
  }
  const magic = printable(bytes.subarray(0, 4));
  if (magic !== DIGITS_MAGIC) {
    const html = bytes[0] === 0x3c; // '<'
    throw new DigitsFormatError(
      `This is not a digits pack: it starts with "${magic}" instead of "${DIGITS_MAGIC}"` + (html ? ' (it looks like an HTML page — is the URL right?)' : '')
    );
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h: DigitsHeader = {
    version: bytes[4],
    encoding: bytes[5],
    rows: bytes[6],
    cols: bytes[7],
    nTrain: dv.getUint32(8, true),
    nTest: dv.getUint32(12, true),
    payloadBytes: dv.getUint32(16, true),
    checksum: dv.getUint32(20, true)
  };
  if (h.version !== DIGITS_FORMAT_VERSION) {
    throw new DigitsFormatError(`The digits pack has format version ${h.version}; this app reads version ${DIGITS_FORMAT_VERSION}`);
  }
  if (h.encoding !== ENCODING_STORED && h.encoding !== ENCODING_ZLIB) {
    throw new DigitsFormatError(`The digits pack uses an unknown encoding (${h.encoding})`);
  }
  if (h.rows === 0 || h.cols === 0) throw new DigitsFormatError(`The digits pack's header is corrupt: images of ${h.rows}×${h.cols} pixels`);
  return h;
}

/** Reads a whole pack, checking its length, encoding and checksum; throws DigitsFormatError with the reason. */
export function unpackDigits(data: ArrayBuffer | Uint8Array): DigitsPack {
  const bytes = asBytes(data);
  const h = readDigitsHeader(bytes);
  const expected = DIGITS_HEADER_BYTES + h.payloadBytes;
  if (bytes.length < expected) {
    throw new DigitsFormatError(`The digits pack is truncated: ${bytes.length} bytes of the ${expected} its header announces`);
  }
  if (bytes.length > expected) {
    throw new DigitsFormatError(`The digits pack is corrupt: ${bytes.length} bytes but its header announces ${expected}`);
  }
  const payload = bytes.subarray(DIGITS_HEADER_BYTES);
  const per = h.rows * h.cols;
  const bodyBytes = (h.nTrain + h.nTest) * (1 + per);
  let body: Uint8Array;
  if (h.encoding === ENCODING_ZLIB) {
    try {
      body = unzlibSync(payload, { out: new Uint8Array(bodyBytes) });
    } catch (e) {
      throw new DigitsFormatError(`The digits pack is corrupt: its compressed data cannot be decompressed (${(e as Error).message})`);
    }
  } else {
    body = payload;
  }
  if (body.length !== bodyBytes) {
    throw new DigitsFormatError(`The digits pack is corrupt: ${body.length} bytes of labels and pixels where ${h.nTrain} + ${h.nTest} images of ${h.rows}×${h.cols} need ${bodyBytes}`);
  }
  if (fnv1a(body) !== h.checksum) {
    throw new DigitsFormatError('The digits pack is corrupt: its checksum does not match its contents');
  }
  const nAll = h.nTrain + h.nTest;
  const labels = body.subarray(0, nAll);
  for (let i = 0; i < nAll; i++) {
    if (labels[i] >= DIGITS_CLASSES) throw new DigitsFormatError(`The digits pack is corrupt: image ${i} has the label ${labels[i]}, not a digit`);
  }
  const pixels = body.subarray(nAll);
  return {
    rows: h.rows,
    cols: h.cols,
    train: { n: h.nTrain, labels: labels.subarray(0, h.nTrain), pixels: pixels.subarray(0, h.nTrain * per) },
    test: { n: h.nTest, labels: labels.subarray(h.nTrain), pixels: pixels.subarray(h.nTrain * per) }
  };
}

/**
 * Splits images into train and test sets deterministically: stratified by class (each class gives its share of
 * the test set, rounded so the total is round(n · testFraction)), then each split's rows shuffled so classes are
 * interleaved (Keras' validation_split takes the last rows).
 */
export function splitDigits(
  images: { n: number; labels: Uint8Array; pixels: Uint8Array },
  rows: number,
  cols: number,
  testFraction: number,
  seed: number
): DigitsPack {
  const per = rows * cols;
  checkSplit('images', images, per);
  if (!(testFraction >= 0 && testFraction < 1)) throw new Error(`testFraction must be in [0, 1), got ${testFraction}`);
  const byClass: number[][] = Array.from({ length: DIGITS_CLASSES }, () => []);
  for (let i = 0; i < images.n; i++) byClass[images.labels[i]].push(i);

  // Largest-remainder apportionment of the test set over the classes.
  const total = Math.round(images.n * testFraction);
  const quota = byClass.map((idx) => idx.length * testFraction);
  const take = quota.map(Math.floor);
  let left = total - take.reduce((a, b) => a + b, 0);
  const byRemainder = quota.map((q, c) => [q - Math.floor(q), c]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, c] of byRemainder) {
    if (left <= 0) break;
    if (take[c] < byClass[c].length) {
      take[c]++;
      left--;
    }
  }

  const trainIdx: number[] = [];
  const testIdx: number[] = [];
  byClass.forEach((idx, c) => {
    const order = new Rng(mixSeed(seed, c, 0xd1c)).shuffle(idx.slice());
    testIdx.push(...order.slice(0, take[c]));
    trainIdx.push(...order.slice(take[c]));
  });
  const gather = (idx: number[], salt: number): DigitsSplitBytes => {
    new Rng(mixSeed(seed, salt, 0xd1c)).shuffle(idx);
    const labels = new Uint8Array(idx.length);
    const pixels = new Uint8Array(idx.length * per);
    idx.forEach((src, k) => {
      labels[k] = images.labels[src];
      pixels.set(images.pixels.subarray(src * per, (src + 1) * per), k * per);
    });
    return { n: idx.length, labels, pixels };
  };
  return { rows, cols, train: gather(trainIdx, 100), test: gather(testIdx, 101) };
}
