import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import {
  DIGITS_HEADER_BYTES,
  DigitsFormatError,
  fnv1a,
  packDigits,
  readDigitsHeader,
  splitDigits,
  toByte,
  unpackDigits,
  type DigitsPack
} from './digits-pack';
import { loadDigits, parseDigits } from './digits';

/** n images of rows×cols, image i has label i % 10 and every pixel equal to (i * 7 + j) % 256. */
function images(n: number, rows = 4, cols = 4) {
  const per = rows * cols;
  const labels = Uint8Array.from({ length: n }, (_, i) => i % 10);
  const pixels = Uint8Array.from({ length: n * per }, (_, k) => (Math.floor(k / per) * 7 + (k % per)) % 256);
  return { n, labels, pixels };
}

function tinyPack(nTrain = 6, nTest = 3, rows = 4, cols = 4): DigitsPack {
  const all = images(nTrain + nTest, rows, cols);
  const per = rows * cols;
  return {
    rows,
    cols,
    train: { n: nTrain, labels: all.labels.slice(0, nTrain), pixels: all.pixels.slice(0, nTrain * per) },
    test: { n: nTest, labels: all.labels.slice(nTrain), pixels: all.pixels.slice(nTrain * per) }
  };
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DigitsFormatError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('digits pack format', () => {
  for (const compress of [true, false]) {
    it(`round-trips (${compress ? 'zlib' : 'stored'})`, () => {
      const pack = tinyPack();
      const bytes = packDigits(pack, { compress });
      expect(String.fromCharCode(...bytes.subarray(0, 4))).toBe('NNDG');
      const h = readDigitsHeader(bytes);
      expect(h).toMatchObject({ version: 1, encoding: compress ? 1 : 0, rows: 4, cols: 4, nTrain: 6, nTest: 3 });
      expect(bytes.length).toBe(DIGITS_HEADER_BYTES + h.payloadBytes);
      const back = unpackDigits(bytes);
      expect(back.rows).toBe(4);
      for (const s of ['train', 'test'] as const) {
        expect(back[s].n).toBe(pack[s].n);
        expect(Array.from(back[s].labels)).toEqual(Array.from(pack[s].labels));
        expect(Array.from(back[s].pixels)).toEqual(Array.from(pack[s].pixels));
      }
      // Also from an ArrayBuffer slice that does not start at offset 0 of its buffer.
      const padded = new Uint8Array(bytes.length + 8);
      padded.set(bytes, 8);
      expect(unpackDigits(padded.subarray(8)).train.n).toBe(6);
    });
  }

  it('compresses real-looking (mostly blank) images', () => {
    const pack = tinyPack(200, 50, 28, 28);
    for (const s of [pack.train, pack.test]) s.pixels.forEach((_, k) => (s.pixels[k] = k % 784 < 600 ? 0 : s.pixels[k]));
    expect(packDigits(pack).length).toBeLessThan(packDigits(pack, { compress: false }).length / 2);
  });

  it('refuses inconsistent input when packing', () => {
    const p = tinyPack();
    expect(() => packDigits({ ...p, train: { ...p.train, n: 5 } })).toThrow(/labels for 5 images/);
    expect(() => packDigits({ ...p, test: { ...p.test, labels: Uint8Array.of(1, 2, 12) } })).toThrow(/label 12/);
    expect(() => packDigits({ ...p, rows: 300 })).toThrow(/does not fit/);
  });

  it('explains what is wrong with a bad file', () => {
    const good = packDigits(tinyPack());
    expect(errorOf(() => unpackDigits(good.subarray(0, 10)))).toMatch(/too short .* 10 bytes/);
    expect(errorOf(() => unpackDigits(new TextEncoder().encode('<!DOCTYPE html><html><body>Not found</body></html>')))).toMatch(
      /not a digits pack: it starts with "<!DO" .*HTML page/
    );
    const v2 = good.slice();
    v2[4] = 2;
    expect(errorOf(() => unpackDigits(v2))).toBe('The digits pack has format version 2; this app reads version 1');
    const enc = good.slice();
    enc[5] = 7;
    expect(errorOf(() => unpackDigits(enc))).toMatch(/unknown encoding \(7\)/);
    expect(errorOf(() => unpackDigits(good.subarray(0, good.length - 5)))).toMatch(/truncated: \d+ bytes of the \d+ its header announces/);
    expect(errorOf(() => unpackDigits(Uint8Array.from([...good, 0])))).toMatch(/corrupt/);
    // A flipped byte in the compressed stream: either inflate fails or the checksum catches it.
    const flipped = good.slice();
    flipped[DIGITS_HEADER_BYTES + 10] ^= 0xff;
    expect(errorOf(() => unpackDigits(flipped))).toMatch(/corrupt/);
    const stored = packDigits(tinyPack(), { compress: false });
    const bad = stored.slice();
    bad[bad.length - 1] ^= 1;
    expect(errorOf(() => unpackDigits(bad))).toBe('The digits pack is corrupt: its checksum does not match its contents');
    // A label out of range with a matching checksum (a broken writer).
    const badLabel = stored.slice();
    badLabel[DIGITS_HEADER_BYTES] = 11;
    new DataView(badLabel.buffer).setUint32(20, fnv1a(badLabel.subarray(DIGITS_HEADER_BYTES)), true);
    expect(errorOf(() => unpackDigits(badLabel))).toMatch(/image 0 has the label 11/);
    // Counts in the header that do not match the body.
    const counts = stored.slice();
    new DataView(counts.buffer).setUint32(8, 7, true);
    expect(errorOf(() => unpackDigits(counts))).toMatch(/need \d+/);
  });

  it('maps intensities to bytes exactly for k/255 rounded to 3 decimals (the mnist package)', () => {
    for (let k = 0; k < 256; k++) expect(toByte(Math.round((k / 255) * 1000) / 1000)).toBe(k);
    expect(toByte(-0.1)).toBe(0);
    expect(toByte(1.2)).toBe(255);
  });
});

describe('splitDigits', () => {
  const all = images(1000, 2, 2);
  // Uneven classes: drop some 5s.
  const keep = Array.from({ length: 1000 }, (_, i) => i).filter((i) => !(all.labels[i] === 5 && i % 3 === 0));
  const src = {
    n: keep.length,
    labels: Uint8Array.from(keep, (i) => all.labels[i]),
    pixels: Uint8Array.from(keep.flatMap((i) => Array.from(all.pixels.subarray(i * 4, i * 4 + 4))))
  };

  it('splits 80/20, stratified by class, keeping every image once', () => {
    const p = splitDigits(src, 2, 2, 0.2, 1);
    expect(p.train.n + p.test.n).toBe(src.n);
    expect(p.test.n).toBe(Math.round(src.n * 0.2));
    for (let c = 0; c < 10; c++) {
      const inClass = src.labels.filter((l) => l === c).length;
      const inTest = p.test.labels.filter((l) => l === c).length;
      expect(Math.abs(inTest - inClass * 0.2)).toBeLessThan(1);
    }
    // Every image (identified by its first pixel and label) appears exactly once.
    const key = (l: number, px: Uint8Array, i: number) => `${l}:${Array.from(px.subarray(i * 4, i * 4 + 4)).join(',')}`;
    const seen = [...Array.from(p.train.labels, (l, i) => key(l, p.train.pixels, i)), ...Array.from(p.test.labels, (l, i) => key(l, p.test.pixels, i))].sort();
    expect(seen).toEqual(Array.from(src.labels, (l, i) => key(l, src.pixels, i)).sort());
  });

  it('is deterministic for the seed, shuffled, and differs across seeds', () => {
    const a = splitDigits(src, 2, 2, 0.2, 1);
    const b = splitDigits(src, 2, 2, 0.2, 1);
    const c = splitDigits(src, 2, 2, 0.2, 2);
    expect(Array.from(a.train.pixels)).toEqual(Array.from(b.train.pixels));
    expect(Array.from(a.train.labels)).not.toEqual(Array.from(c.train.labels));
    // Interleaved classes: the last 20% of the training rows (validation_split) has every digit.
    const tail = new Set(a.train.labels.subarray(Math.floor(a.train.n * 0.8)));
    expect(tail.size).toBe(10);
  });
});

describe('parseDigits', () => {
  it('decodes to floats in [0, 1] of shape (n, rows, cols, 1) with the test split', () => {
    const pack = tinyPack(6, 3, 4, 4);
    const ds = parseDigits(packDigits(pack).buffer as ArrayBuffer);
    expect(ds).toMatchObject({ kind: 'classification', name: 'digits', n: 6, features: 16, sampleShape: [4, 4, 1], numClasses: 10 });
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    expect(ds.x).toBeInstanceOf(Float32Array);
    expect(ds.x.length).toBe(6 * 16);
    expect(ds.labels).toBeInstanceOf(Int32Array);
    expect(Array.from(ds.labels)).toEqual([0, 1, 2, 3, 4, 5]);
    for (let k = 0; k < ds.x.length; k++) expect(ds.x[k]).toBeCloseTo(pack.train.pixels[k] / 255, 6);
    expect(ds.test.n).toBe(3);
    expect(Array.from(ds.test.labels)).toEqual([6, 7, 8]);
    expect(ds.test.x[16]).toBeCloseTo(pack.test.pixels[16] / 255, 6);
    expect(Math.max(...ds.x)).toBeLessThanOrEqual(1);
  });

  it('refuses a pack with no training images, and bad bytes', () => {
    expect(() => parseDigits(packDigits(tinyPack(0, 2)))).toThrow(/no training images/);
    expect(() => parseDigits(new Uint8Array(100))).toThrow(DigitsFormatError);
  });

  it('the shipped static/data/digits.bin has the expected header (the file itself is not read in full)', () => {
    const path = 'static/data/digits.bin';
    const fd = openSync(path, 'r');
    const head = new Uint8Array(DIGITS_HEADER_BYTES);
    readSync(fd, head, 0, DIGITS_HEADER_BYTES, 0);
    closeSync(fd);
    const h = readDigitsHeader(head);
    expect(h).toMatchObject({ version: 1, encoding: 1, rows: 28, cols: 28, nTrain: 12000, nTest: 2000 });
    expect(statSync(path).size).toBe(DIGITS_HEADER_BYTES + h.payloadBytes);
  });
});

/** A fetch that answers with the bytes in chunks of `chunk` bytes. */
function fakeFetch(bytes: Uint8Array, init: { chunk?: number; headers?: Record<string, string>; status?: number } = {}) {
  return vi.fn(async (_url: string | URL | Request, _opts?: RequestInit) => {
    const chunk = init.chunk ?? 7;
    let o = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (o >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(o, o + chunk));
        o += chunk;
      }
    });
    return new Response(init.status && init.status >= 400 ? 'nope' : body, { status: init.status ?? 200, statusText: init.status === 404 ? 'Not Found' : '', headers: init.headers });
  }) as unknown as typeof fetch;
}

describe('loadDigits', () => {
  const bytes = packDigits(tinyPack(20, 5, 4, 4));

  it('streams the file, reporting progress with the total from the header', async () => {
    const progress: [number, number | null][] = [];
    const f = fakeFetch(bytes, { chunk: 10 });
    const ds = await loadDigits('/data/digits.bin', (l, t) => progress.push([l, t]), { fetch: f });
    expect(f).toHaveBeenCalledWith('/data/digits.bin', expect.anything());
    expect(ds.n).toBe(20);
    expect(ds.test.n).toBe(5);
    expect(progress[0]).toEqual([0, null]);
    expect(progress[1]).toEqual([10, null]);
    expect(progress[2]).toEqual([20, null]);
    expect(progress[3]).toEqual([30, bytes.length]);
    expect(progress[progress.length - 1]).toEqual([bytes.length, bytes.length]);
    for (let i = 1; i < progress.length; i++) expect(progress[i][0]).toBeGreaterThan(progress[i - 1][0]);
  });

  it('uses Content-Length before the header arrives, unless the response is content-encoded', async () => {
    const plain: (number | null)[] = [];
    await loadDigits('u', (_l, t) => plain.push(t), { fetch: fakeFetch(bytes, { headers: { 'content-length': String(bytes.length) } }) });
    expect(plain[0]).toBe(bytes.length);
    const gz: (number | null)[] = [];
    await loadDigits('u', (_l, t) => gz.push(t), { fetch: fakeFetch(bytes, { headers: { 'content-length': '12', 'content-encoding': 'gzip' } }) });
    expect(gz[0]).toBeNull();
    expect(gz[gz.length - 1]).toBe(bytes.length);
  });

  it('gives clear errors for HTTP failures, network failures and bad files', async () => {
    await expect(loadDigits('/x.bin', undefined, { fetch: fakeFetch(bytes, { status: 404 }) })).rejects.toThrow(
      'Could not download the digits data from /x.bin: HTTP 404 Not Found'
    );
    const down = vi.fn(async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    await expect(loadDigits('/x.bin', undefined, { fetch: down })).rejects.toThrow('Could not download the digits data from /x.bin: fetch failed');
    const html = new TextEncoder().encode('<!doctype html><html><head></head><body>SPA fallback</body></html>');
    await expect(loadDigits('/x.bin', undefined, { fetch: fakeFetch(html) })).rejects.toThrow(/not a digits pack.*HTML page/);
    await expect(loadDigits('/x.bin', undefined, { fetch: fakeFetch(bytes.subarray(0, bytes.length - 3)) })).rejects.toThrow(/truncated/);
  });
});
