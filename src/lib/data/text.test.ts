import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataConstants } from './constants';
import { makeSequence, SEQUENCE_NAMES } from './sequences';
import { builtinText, decodeText, loadText, makeTextDataset, TEXT_MAX_BYTES, TEXT_NAMES, TEXTS, textFromFile, textVocab } from './text';

const read = (name: 'shakespeare' | 'names') => builtinText(name, readFileSync(`static/${TEXTS[name].path}`, 'utf8'));

describe('shipped texts', () => {
  it.each(TEXT_NAMES)('%s: the fixed vocabulary size is the file\'s', (name) => {
    const text = read(name);
    expect(textVocab(text).length).toBe(TEXTS[name].vocabSize);
    expect(dataConstants(name)).toEqual({ vocab_size: TEXTS[name].vocabSize, seq_len: TEXTS[name].seqLen.default });
  });

  it('names: lower-case letters and the separator', () => {
    const text = read('names');
    expect(textVocab(text).join('')).toBe('.abcdefghijklmnopqrstuvwxyz');
    expect(text.startsWith('.emma.olivia.ava.')).toBe(true);
    expect(text.endsWith('.zzyzx.')).toBe(true);
  });
});

describe('makeTextDataset', () => {
  const text = read('shakespeare');
  const ds = makeTextDataset(text, { name: 'shakespeare', seqLen: 32, samples: 300, seed: 5 });

  it('windows: y is x shifted by one, taken from the text, starts in the first 90 %', () => {
    expect(ds.kind).toBe('sequence');
    expect(ds.x.length).toBe(300 * 32);
    expect(ds.y.length).toBe(300 * 32);
    expect(ds.sampleShape).toEqual([32]);
    expect(ds.targetShape).toEqual([32]);
    expect(ds.numClasses).toBe(65);
    const cut = Math.floor(text.length * 0.9);
    for (let i = 0; i < ds.n; i += 37) {
      const xs = decodeText(ds.x.subarray(i * 32, i * 32 + 32), ds.tokens!);
      const ys = decodeText(ds.y.subarray(i * 32, i * 32 + 32), ds.tokens!);
      expect(xs.slice(1)).toBe(ys.slice(0, 31));
      const at = text.indexOf(xs + ys[31]);
      expect(at).toBeGreaterThanOrEqual(0);
      expect(at + 33).toBeLessThanOrEqual(cut);
    }
  });

  it('the test set is the tail of the text', () => {
    const t = ds.test!;
    expect(t.n).toBe(30);
    const cut = Math.floor(text.length * 0.9);
    expect(decodeText(t.x.subarray(0, 32), ds.tokens!)).toBe(text.slice(cut, cut + 32));
    expect(decodeText(t.y.subarray(32, 64), ds.tokens!)).toBe(text.slice(cut + 33, cut + 65));
  });

  it('is seeded', () => {
    const again = makeTextDataset(text, { name: 'shakespeare', seqLen: 32, samples: 300, seed: 5 });
    const other = makeTextDataset(text, { name: 'shakespeare', seqLen: 32, samples: 300, seed: 6 });
    expect(again.x).toEqual(ds.x);
    expect(other.x).not.toEqual(ds.x);
  });

  it('refuses a text too short for the sequence length', () => {
    expect(() => makeTextDataset('abcdefghij'.repeat(3), { name: 'text', seqLen: 64 })).toThrow(/too short for sequences of 64/);
  });
});

describe('textFromFile', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  const good = 'To be, or not to be, that is the question:\r\nWhether \u2019tis nobler in the mind to suffer\r\nThe slings and arrows of outrageous fortune';
  it('accepts UTF-8 text, normalising line ends and the BOM', () => {
    const r = textFromFile(enc('\uFEFF' + good), 'hamlet.txt');
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.text.includes('\r')).toBe(false);
      expect(r.text.startsWith('To be')).toBe(true);
      expect(r.vocabSize).toBe(textVocab(r.text).length);
    }
  });
  it.each([
    ['empty', new Uint8Array(0), /is empty/],
    ['blank', enc('   \n\n  '), /is empty/],
    ['NUL bytes', new Uint8Array([72, 105, 0, 1, 2]), /not a text file/],
    ['invalid UTF-8', new Uint8Array([...enc(good), 0xff, 0xfe, 0x80]), /not UTF-8/],
    ['too large', new Uint8Array(TEXT_MAX_BYTES + 1).fill(97), /limit is 2\.0 MB/],
    ['too short', enc('hello'), /only 5 characters/],
    ['too many distinct characters', enc(Array.from({ length: 400 }, (_, i) => String.fromCodePoint(0x4e00 + i)).join('')), /400 distinct characters/]
  ])('refuses %s with a message', (_, bytes, message) => {
    const r = textFromFile(bytes as Uint8Array, 'x.txt');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });
});

describe('sequence data', () => {
  it('reverse: y is x reversed, digits 0-9', () => {
    const ds = makeSequence({ name: 'reverse', seqLen: 6, samples: 100, seed: 2 });
    expect(ds.x.length).toBe(600);
    for (let i = 0; i < 100; i++) for (let t = 0; t < 6; t++) expect(ds.y[i * 6 + t]).toBe(ds.x[i * 6 + 5 - t]);
    expect(Math.max(...ds.x)).toBe(9);
    expect(Math.min(...ds.x)).toBe(0);
    expect(ds.test!.n).toBe(10);
    expect(dataConstants('reverse', { seqLen: 6 })).toEqual({ vocab_size: 10, seq_len: 6 });
  });
  it('parity: y is 1 exactly when the count of ones is odd; classes about balanced', () => {
    const ds = makeSequence({ name: 'parity', seqLen: 5, samples: 1000, seed: 3 });
    let odd = 0;
    for (let i = 0; i < 1000; i++) {
      const ones = ds.x.subarray(i * 5, i * 5 + 5).reduce((a, b) => a + b, 0);
      expect(ds.y[i]).toBe(ones % 2);
      odd += ds.y[i];
    }
    expect(odd).toBeGreaterThan(400);
    expect(odd).toBeLessThan(600);
    expect(ds.targetShape).toEqual([1]);
  });
  it('sine_series: windows of one series, y the next value', () => {
    const ds = makeSequence({ name: 'sine_series', seqLen: 10, samples: 200, seed: 1 });
    expect(ds.sampleShape).toEqual([10, 1]);
    for (let i = 0; i + 1 < 200; i++) {
      expect(ds.x[(i + 1) * 10 + 9]).toBe(ds.y[i]);
      expect(ds.x[(i + 1) * 10]).toBe(ds.x[i * 10 + 1]);
    }
    expect(ds.test!.x[0]).toBe(ds.x[199 * 10 + 1]);
    expect(ds.series!.length).toBe(200 + 20 + 10);
    expect(ds.series![205]).toBe(ds.y[195]);
    expect(dataConstants('sine_series', { seqLen: 10 })).toEqual({ seq_len: 10 });
  });
  it.each(SEQUENCE_NAMES)('%s is deterministic for the seed', (name) => {
    expect(makeSequence({ name, seed: 4 }).x).toEqual(makeSequence({ name, seed: 4 }).x);
    expect(makeSequence({ name, seed: 4 }).x).not.toEqual(makeSequence({ name, seed: 5 }).x);
  });
});

describe('loadText', () => {
  const body = (s: string) => new Response(new TextEncoder().encode(s), { headers: { 'content-length': String(new TextEncoder().encode(s).length) } });
  it('downloads with progress and joins the names', async () => {
    const seen: [number, number | null][] = [];
    const text = await loadText('names', 'data/text/names.txt', (l, t) => seen.push([l, t]), { fetch: (async () => body('emma\nolivia\r\nava\n')) as typeof fetch });
    expect(text).toBe('.emma.olivia.ava.');
    expect(seen.at(-1)).toEqual([17, 17]);
  });
  it('says what failed: HTTP status, network, not UTF-8', async () => {
    await expect(loadText('shakespeare', 'u', undefined, { fetch: (async () => new Response('x', { status: 404 })) as typeof fetch })).rejects.toThrow(/Could not download the shakespeare text from u: HTTP 404/);
    await expect(loadText('shakespeare', 'u', undefined, { fetch: (async () => { throw new Error('offline'); }) as typeof fetch })).rejects.toThrow(/offline/);
    await expect(loadText('shakespeare', 'u', undefined, { fetch: (async () => new Response(new Uint8Array([0xff, 0xfe]))) as typeof fetch })).rejects.toThrow(/not UTF-8/);
  });
});
