/**
 * Hostile files and links: mutated inputs through the same functions the app runs on them, with a fixed seed.
 *
 * - 1000 mutated .onnx files through `inspectFile` (what the /onnx page's decode worker runs), made from models the
 *   project exports (examples → exportOnnxBytes, and an int8 variant) and from two ONNX files written by hand here,
 *   byte by byte (the project's encoder never touches them).
 * - 1000 mutated CSV uploads through `readCsv` and, when read, `csvDataset` (what the Data panel runs).
 * - 1000 mutated share links through `decodeShare` (what opening a `#share=` link runs).
 * - 1000 hostile .txt uploads through `Playground.setText` (what the Data panel runs on a dropped .txt: textFromFile,
 *   makeTextDataset, then the program is bound to it): binary bytes, invalid UTF-8, NULs, UTF-16, huge, empty, short,
 *   too many distinct characters, mutated real text. A refused file must leave the data set as it was.
 *
 * Each input must end in a valid result or a message for the user within 5 s: "crashed" (an exception that is not the
 * function's own message, or a result that is not usable) and "hung" (over 5 s) must both be 0. Counts are printed.
 * Reproduce: `npx vitest run tests/unit/fuzz.test.ts` (FUZZ_SEED=n to try other seeds; the default is fixed).
 */
import * as tf from '@tensorflow/tfjs';
import { deflateSync, strToU8 } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { csvDataset, DEFAULT_CSV_SETTINGS, readCsv } from '$lib/data/csv';
import { buildModel } from '$lib/engines/tfjs/build';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { EXAMPLES } from '$lib/examples';
import { parseProgram } from '$lib/keras/parse';
import { exportOnnx, exportOnnxBytes } from '$lib/onnx/export';
import { inspectFile } from '$lib/onnx/inspect';
import { makeVariant } from '$lib/onnx/quantize';
import { decodeShare, encodeShare, MAX_SHARE_CHARS, ShareLinkError, toBase64Url } from '$lib/state/share';
import { Playground } from '$lib/state/playground.svelte';
import { TEXT_MAX_BYTES } from '$lib/data/text';

const SEED = Number(process.env.FUZZ_SEED ?? 20261203);
const N = 1000;
const HANG_MS = 5000;

/** mulberry32: small, fixed, seeded. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: <T>(xs: readonly T[]): T => xs[int(xs.length)] };
}
type Rng = ReturnType<typeof rng>;

interface Counts {
  tried: number;
  valid: number;
  refused: number;
  crashed: number;
  hung: number;
  slowestMs: number;
  crashes: string[];
}

const counts = (): Counts => ({ tried: 0, valid: 0, refused: 0, crashed: 0, hung: 0, slowestMs: 0, crashes: [] });

/** Runs one input: `f` answers 'valid' or 'refused' (with its message checked), or throws (a crash). */
function trial(c: Counts, label: string, f: () => 'valid' | 'refused') {
  c.tried++;
  const t0 = performance.now();
  let r: 'valid' | 'refused' | 'crashed';
  try {
    r = f();
  } catch (e) {
    r = 'crashed';
    if (c.crashes.length < 5) c.crashes.push(`${label}: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
  const ms = performance.now() - t0;
  c.slowestMs = Math.max(c.slowestMs, ms);
  if (ms > HANG_MS) c.hung++;
  else if (r === 'valid') c.valid++;
  else if (r === 'refused') c.refused++;
  else c.crashed++;
}

function report(what: string, c: Counts) {
  console.log(
    `fuzz ${what} (seed ${SEED}): tried ${c.tried}, valid ${c.valid}, refused with a message ${c.refused}, crashed ${c.crashed}, hung ${c.hung}; slowest ${c.slowestMs.toFixed(0)} ms` +
      (c.crashes.length ? `\n  ${c.crashes.join('\n  ')}` : '')
  );
  expect(c.tried).toBe(N);
  expect(c.crashes).toEqual([]);
  expect(c.crashed).toBe(0);
  expect(c.hung).toBe(0);
  expect(c.valid + c.refused).toBe(N);
}

// ---- mutations of bytes -------------------------------------------------------------------------------------------

function mutateBytes(r: Rng, src: Uint8Array): { bytes: Uint8Array; how: string } {
  const b = Uint8Array.from(src);
  const at = () => r.int(Math.max(1, b.length));
  switch (r.int(8)) {
    case 0: {
      const flips = 1 + r.int(8);
      for (let i = 0; i < flips; i++) b[at()] ^= 1 << r.int(8);
      return { bytes: b, how: `${flips} bit flips` };
    }
    case 1: {
      const n = r.int(b.length);
      return { bytes: b.slice(0, n), how: `truncated to ${n}` };
    }
    case 2: {
      // A length or a varint made huge or wrong: 0xff runs read as enormous lengths.
      const i = at();
      const n = 1 + r.int(6);
      for (let k = 0; k < n && i + k < b.length; k++) b[i + k] = r.next() < 0.7 ? 0xff : r.int(256);
      return { bytes: b, how: `wrong length at ${i}` };
    }
    case 3: {
      const i = at();
      const n = 1 + r.int(64);
      return { bytes: Uint8Array.from([...b.subarray(0, i), ...b.subarray(i + n)]), how: `deleted ${n} at ${i}` };
    }
    case 4: {
      const i = at();
      const extra = Array.from({ length: 1 + r.int(32) }, () => r.int(256));
      return { bytes: Uint8Array.from([...b.subarray(0, i), ...extra, ...b.subarray(i)]), how: `inserted ${extra.length} at ${i}` };
    }
    case 5: {
      const i = at();
      const n = 1 + r.int(256);
      b.fill(0, i, i + n);
      return { bytes: b, how: `zeroed ${n} at ${i}` };
    }
    case 6: {
      // A slice copied over another place (a field repeated, a tag in the wrong spot).
      const i = at();
      const j = at();
      const n = 1 + r.int(128);
      b.copyWithin(j, i, i + n);
      return { bytes: b, how: `copied ${n} from ${i} to ${j}` };
    }
    default: {
      const n = r.int(b.length);
      const garbage = Array.from({ length: 1 + r.int(64) }, () => r.int(256));
      return { bytes: Uint8Array.from([...b.subarray(0, n), ...garbage]), how: `cut at ${n} + garbage` };
    }
  }
}

// ---- ONNX -----------------------------------------------------------------------------------------------------------

/** Protobuf by hand: field keys, varints, length-delimited parts. */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}
const key = (field: number, wire: number) => varint(field * 8 + wire);
const vi = (field: number, n: number) => [...key(field, 0), ...varint(n)];
const ld = (field: number, bytes: number[]) => [...key(field, 2), ...varint(bytes.length), ...bytes];
const str = (field: number, s: string) => ld(field, [...new TextEncoder().encode(s)]);
const f32 = (xs: number[]) => [...new Uint8Array(Float32Array.from(xs).buffer)];
const tensorType = (dims: (number | string)[]) =>
  ld(1, [...vi(1, 1), ...ld(2, dims.flatMap((d) => ld(1, typeof d === 'number' ? vi(1, d) : str(2, d))))]);
const valueInfo = (name: string, dims: (number | string)[]) => [...str(1, name), ...ld(2, tensorType(dims))];

/**
 * Two ONNX files the project did not make (written field by field from onnx.proto): Y = Relu(X + W) with W in
 * float_data (not raw_data, which our exporter uses), an opset import of 13, IR 7, producer "hand"; and one with a
 * Gemm whose weights are raw_data, an attribute of each kind the viewer reads, and a doc string.
 */
function handWritten(): Uint8Array[] {
  const w = [...str(8, 'W'), ...vi(1, 3), ...vi(2, 1), ...ld(4, f32([0.5, -1, 2]))];
  const add = [...str(1, 'X'), ...str(1, 'W'), ...str(2, 'S'), ...str(3, 'add0'), ...str(4, 'Add')];
  const relu = [...str(1, 'S'), ...str(2, 'Y'), ...str(3, 'relu0'), ...str(4, 'Relu')];
  const g1 = [...ld(1, add), ...ld(1, relu), ...str(2, 'hand_graph'), ...ld(5, w), ...ld(11, valueInfo('X', ['N', 3])), ...ld(12, valueInfo('Y', ['N', 3]))];
  const m1 = [...vi(1, 7), ...str(2, 'hand'), ...str(3, '1.0'), ...ld(7, g1), ...ld(8, [...str(1, ''), ...vi(2, 13)])];

  const B = [...str(8, 'B'), ...vi(1, 2), ...vi(1, 4), ...vi(2, 1), ...ld(9, f32([1, 2, 3, 4, 5, 6, 7, 8]))];
  const attrs = [
    ld(5, [...str(1, 'alpha'), ...key(2, 5), ...f32([1]), ...vi(20, 1)]),
    ld(5, [...str(1, 'transB'), ...vi(3, 1), ...vi(20, 2)]),
    ld(5, [...str(1, 'note'), ...ld(4, [...new TextEncoder().encode('by hand')]), ...vi(20, 3)])
  ].flat();
  const gemm = [...str(1, 'X'), ...str(1, 'B'), ...str(2, 'Y'), ...str(3, 'gemm0'), ...str(4, 'Gemm'), ...attrs, ...str(6, 'a Gemm')];
  const g2 = [...ld(1, gemm), ...str(2, 'g2'), ...ld(5, B), ...ld(11, valueInfo('X', [1, 4])), ...ld(12, valueInfo('Y', [1, 2]))];
  const m2 = [...vi(1, 8), ...str(2, 'hand'), ...ld(7, g2), ...ld(8, vi(2, 17)), ...str(6, 'written byte by byte')];
  return [Uint8Array.from(m1), Uint8Array.from(m2)];
}

function parsed(source: string) {
  const { spec } = parseProgram(source);
  if (!spec) throw new Error('example does not parse');
  return spec;
}

let onnxSeeds: { name: string; bytes: Uint8Array }[] = [];

beforeAll(async () => {
  await tf.setBackend('cpu');
  for (const id of ['spiral', 'xor', 'residual_mlp', 'bn_dropout_cnn', 'sine_regression']) {
    const ex = EXAMPLES.find((e) => e.id === id);
    if (!ex) continue;
    const spec = parsed(ex.source);
    const model = buildModel(tf, spec, 7);
    const weights = readTfjsWeights(model, spec);
    model.dispose();
    onnxSeeds.push({ name: id, bytes: exportOnnxBytes(spec, weights, { source: ex.source, seed: 7 }) });
    if (id === 'spiral') onnxSeeds.push({ name: 'spiral-int8', bytes: makeVariant(exportOnnx(spec, weights, { seed: 7 }), 'int8').bytes });
  }
  onnxSeeds = onnxSeeds.concat(handWritten().map((bytes, i) => ({ name: `hand-${i + 1}`, bytes })));
});

describe('fuzz: hostile files and links', () => {
  it('1000 mutated .onnx files: each is read or refused with a message, none crashes or hangs', () => {
    // The seeds themselves are valid (so the mutations start from real files).
    expect(onnxSeeds.length).toBeGreaterThanOrEqual(5);
    for (const s of onnxSeeds) expect(inspectFile(s.bytes), s.name).toMatchObject({ ok: true });
    expect(onnxSeeds.filter((s) => s.name.startsWith('hand')).length).toBe(2);

    const r = rng(SEED);
    const c = counts();
    for (let i = 0; i < N; i++) {
      const seed = onnxSeeds[i % onnxSeeds.length];
      const { bytes, how } = mutateBytes(r, seed.bytes);
      trial(c, `${seed.name}, ${how}`, () => {
        const out = inspectFile(bytes);
        if (!out.ok) {
          if (out.unexpected) throw new Error(out.message);
          if (typeof out.message !== 'string' || out.message.length < 10) throw new Error(`no message: ${out.message}`);
          return 'refused';
        }
        // The worker posts the summary to the page: it must be cloneable, and whole.
        structuredClone(out.info);
        if (!Array.isArray(out.info.nodes) || out.info.nodes.length === 0 || !Number.isFinite(out.info.params)) throw new Error('odd summary');
        return 'valid';
      });
    }
    report('onnx', c);
  });

  it('1000 mutated CSV uploads: each is read (finite numbers) or refused with a message', () => {
    const r = rng(SEED + 1);
    const seeds: string[] = [];
    // A mix of what people upload: numbers, text categories, quotes, semicolons, CRLF, a BOM, missing values.
    const g = rng(7);
    seeds.push(['x,y,label', ...Array.from({ length: 40 }, (_, i) => `${(g.next() * 4 - 2).toFixed(3)},${(g.next() * 4 - 2).toFixed(3)},${i % 3}`)].join('\n'));
    seeds.push(['size;colour;price', ...Array.from({ length: 30 }, (_, i) => `${i};${g.pick(['red', 'green', 'blue'])};${(g.next() * 100).toFixed(2)}`)].join('\r\n'));
    seeds.push('\uFEFF"a","b, with comma","target"\n' + Array.from({ length: 25 }, (_, i) => `"${i}.5","${i * 2}","${i % 2 ? 'yes' : 'no'}"`).join('\n'));
    seeds.push(Array.from({ length: 20 }, (_, i) => `${i}\t${i * i}\t${Math.sin(i).toFixed(4)}`).join('\n'));
    const junk = ['"', ',', ';', '\n', '\r\n', '\t', 'NaN', 'Infinity', '-', '1e309', '', ' ', 'é', '\u0000', '""', '1,2,3', '\uFEFF'];
    const c = counts();
    for (let i = 0; i < N; i++) {
      const src = seeds[i % seeds.length];
      let text: string;
      let how: string;
      const k = r.int(5);
      if (k === 0) {
        // Byte-level damage, read back as text (as a file of another encoding or a broken download would be).
        const m = mutateBytes(r, new TextEncoder().encode(src));
        text = new TextDecoder().decode(m.bytes);
        how = m.how;
      } else {
        const chars = [...src];
        const edits = 1 + r.int(6);
        for (let e = 0; e < edits; e++) {
          const at = r.int(chars.length + 1);
          const op = r.int(3);
          if (op === 0) chars.splice(at, 1 + r.int(5));
          else if (op === 1) chars.splice(at, 0, r.pick(junk));
          else chars[at] = r.pick(junk);
        }
        text = chars.join('');
        if (k === 4) text = text.slice(0, r.int(text.length + 1));
        how = `${edits} character edits${k === 4 ? ' + cut' : ''}`;
      }
      trial(c, how, () => {
        const table = readCsv(text, 'upload.csv');
        if (!table.ok) {
          if (!table.message) throw new Error('refused without a message');
          return 'refused';
        }
        const ds = csvDataset(table.value, DEFAULT_CSV_SETTINGS, 1);
        if (!ds.ok) {
          if (!ds.message) throw new Error('refused without a message');
          return 'refused';
        }
        const d = ds.value.dataset as { x: Float32Array; n: number; features: number };
        if (d.x.length !== d.n * d.features) throw new Error('x does not fit n × features');
        for (const v of d.x) if (!Number.isFinite(v)) throw new Error(`non-finite feature ${v}`);
        return 'valid';
      });
    }
    report('csv', c);
  });

  it('1000 mutated share links: each opens as plain data or is refused with a message; none runs anything', () => {
    const r = rng(SEED + 2);
    const program = (code: string) => ({ code, data: { name: 'spiral', samples: 600, noise: 0.1 }, backend: 'wasm', seed: 1 });
    const spiral = EXAMPLES.find((e) => e.id === 'spiral')!.source;
    const payloads = [encodeShare(program(spiral)), encodeShare({ ...program('x = 1\n'), uploadedData: 'mine.csv' }), encodeShare(program(spiral.repeat(8)))];
    const jsons = [JSON.stringify({ v: 1, ...program(spiral) }), '{"v":1,"code":"","data":{"name":"xor"},"backend":"cpu","seed":0}'];
    const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const weird = ['.', '%', '=', '+', '/', ' ', '#', '&', '\n', '0.', '2.', '999999.', '\u00e9'];
    const c = counts();
    for (let i = 0; i < N; i++) {
      let payload: string;
      let how: string;
      const k = r.int(5);
      if (k <= 1) {
        // Characters of the link changed, cut, or added (copy-paste damage, a chat app mangling it).
        const chars = [...payloads[i % payloads.length]];
        const edits = 1 + r.int(5);
        for (let e = 0; e < edits; e++) {
          const at = r.int(chars.length + 1);
          const op = r.int(4);
          if (op === 0) chars.splice(at, 1 + r.int(4));
          else if (op === 1) chars.splice(at, 0, r.pick([...b64]));
          else if (op === 2) chars[at] = r.pick(weird);
          else chars.length = at;
        }
        payload = chars.join('');
        how = `${edits} link edits`;
      } else if (k === 2) {
        // The compressed bytes damaged but the text still valid base64url.
        const m = mutateBytes(r, deflateSync(strToU8(jsons[i % jsons.length])));
        payload = `1.${toBase64Url(m.bytes)}`;
        how = `deflate ${m.how}`;
      } else if (k === 3) {
        // Valid compression of damaged JSON (it reaches the field checks).
        const m = mutateBytes(r, strToU8(jsons[i % jsons.length]));
        payload = `1.${toBase64Url(deflateSync(m.bytes))}`;
        how = `json ${m.how}`;
      } else {
        // Over-long links, long runs of padding, and compressed "bombs".
        const which = r.int(3);
        if (which === 0) payload = `1.${'A'.repeat(MAX_SHARE_CHARS + r.int(10_000))}`;
        else if (which === 1) payload = `1.${toBase64Url(deflateSync(strToU8(`{"v":1,"code":"${'a'.repeat(2_000_000 + r.int(1_000_000))}"}`), { level: 9 }))}`;
        else payload = `${r.int(3)}.${toBase64Url(Uint8Array.from({ length: r.int(4000) }, () => r.int(256)))}`;
        how = ['over-long', 'bomb', 'random bytes'][which];
      }
      const mustBeTooLarge = how === 'over-long' || how === 'bomb';
      trial(c, how, () => {
        try {
          const p = decodeShare(payload);
          if (mustBeTooLarge) throw new Error(`${how} link was opened`);
          // Plain data only: strings and numbers, as the keeper expects them.
          if (typeof p.code !== 'string' || typeof p.backend !== 'string' || !Number.isFinite(p.seed) || typeof p.data?.name !== 'string') throw new Error('odd program');
          JSON.stringify(p);
          return 'valid';
        } catch (e) {
          if (mustBeTooLarge && !(e instanceof ShareLinkError && e.kind === 'too-large')) throw new Error(`${how} not refused as too large: ${e}`);
          if (e instanceof ShareLinkError && e.message.length > 20) return 'refused';
          throw e;
        }
      });
    }
    report('share links', c);
  });
});

describe('fuzz: hostile .txt uploads', () => {
  it('1000 hostile .txt uploads: each becomes the text data set (ids within the vocabulary) or is refused with a message, changing nothing', () => {
    const r = rng(SEED + 3);
    const enc = new TextEncoder();
    const prose = 'It was the best of times, it was the worst of times; it was the age of wisdom, it was the age of foolishness.\n';
    const seeds: Uint8Array[] = [
      enc.encode(prose.repeat(12)),
      enc.encode(['emma', 'olivia', 'ava', 'isabella', 'sophia', 'mia', 'amelia', 'harper'].join('\n').repeat(20)),
      enc.encode('Ça va? Überall grüße, naïve café — “quotes” and emoji 🙂🚀, 中文字符.\r\n'.repeat(15)),
      enc.encode('\uFEFF' + 'tab\tseparated\tline\r\n'.repeat(30))
    ];
    // A character model over the uploaded text (vocab_size and seq_len come from the data).
    const code = `import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(seq_len,)), layers.Embedding(vocab_size, 8), layers.Dense(vocab_size, activation="softmax")])\nmodel.compile(optimizer="adam", loss="sparse_categorical_crossentropy")\nmodel.fit(x_train, y_train, epochs=1, batch_size=32)\n`;
    const p = new Playground();
    p.code = code;
    p.analyse();
    expect(p.setText('seed.txt', seeds[0])).toBeNull();
    const c = counts();
    for (let i = 0; i < N; i++) {
      let input: Uint8Array | ArrayBuffer | string;
      let how: string;
      const k = r.int(12);
      const seed = seeds[i % seeds.length];
      if (k <= 3) {
        const m = mutateBytes(r, seed);
        input = m.bytes;
        how = m.how;
      } else if (k === 4) {
        input = Uint8Array.from({ length: r.int(20_000) }, () => r.int(256));
        how = 'random bytes';
      } else if (k === 5) {
        // Invalid UTF-8: lone continuation bytes, overlongs, surrogates encoded, a cut multi-byte character.
        const bad = r.pick([[0x80], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0xff, 0xfe]]);
        const at = r.int(seed.length);
        input = Uint8Array.from([...seed.subarray(0, at), ...bad, ...seed.subarray(at)]);
        how = `invalid UTF-8 ${bad.map((x) => x.toString(16)).join(' ')} at ${at}`;
      } else if (k === 6) {
        // UTF-16 (what Notepad once saved): NULs between the letters.
        const t = new TextDecoder().decode(seed);
        const u16 = new Uint8Array(2 + t.length * 2);
        u16.set([0xff, 0xfe]);
        for (let j = 0; j < t.length; j++) u16.set([t.charCodeAt(j) & 0xff, t.charCodeAt(j) >> 8], 2 + j * 2);
        input = u16;
        how = 'UTF-16';
      } else if (k === 7) {
        const which = r.int(4);
        input = [new Uint8Array(0), enc.encode(' \n\t\r\n '.repeat(1 + r.int(50))), enc.encode('short text'), new ArrayBuffer(0)][which];
        how = ['empty', 'whitespace', 'short', 'empty ArrayBuffer'][which];
      } else if (k === 8) {
        // Huge: over the limit by a little or a lot (rarely, just under it: a valid 2 MB text).
        const over = r.next() < 0.9;
        const size = over ? TEXT_MAX_BYTES + 1 + r.int(3_000_000) : TEXT_MAX_BYTES - r.int(1000);
        const big = new Uint8Array(size);
        for (let j = 0; j < size; j += seed.length) big.set(seed.subarray(0, Math.min(seed.length, size - j)), j);
        // Cut at a character boundary so only the size decides.
        input = over ? big : enc.encode(new TextDecoder().decode(big).replace(/\uFFFD/g, ''));
        how = over ? `huge (${size} bytes)` : `just under the limit (${size} bytes)`;
      } else if (k === 9) {
        // More distinct characters than a character vocabulary takes (CJK, symbols).
        const n = 200 + r.int(400);
        input = Array.from({ length: n * 2 }, (_, j) => String.fromCodePoint(0x4e00 + ((j * 7919) % n))).join('');
        how = `${n} distinct characters (string)`;
      } else if (k === 10) {
        // Text already decoded (a string), with a NUL or control characters put in.
        const t = [...new TextDecoder().decode(seed)];
        t.splice(r.int(t.length), 0, r.pick(['\0', '\u0007', '\u001b[31m', '\uFFFF', '\uD800']));
        input = t.join('');
        how = 'string with a control character';
      } else {
        // NUL bytes in otherwise good text.
        const b = Uint8Array.from(seed);
        for (let j = 0; j < 1 + r.int(4); j++) b[r.int(b.length)] = 0;
        input = b;
        how = 'NUL bytes';
      }
      if (r.next() < 0.2 && input instanceof Uint8Array) input = input.slice().buffer;
      const before = { data: JSON.stringify(p.data), text: p.uploadedText };
      trial(c, how, () => {
        const message = p.setText(`upload-${i}.txt`, input);
        if (message !== null) {
          if (typeof message !== 'string' || message.length < 10) throw new Error(`refused without a message: ${message}`);
          if (JSON.stringify(p.data) !== before.data || p.uploadedText !== before.text) throw new Error(`refused but changed the data set (${message})`);
          return 'refused';
        }
        if (p.data.name !== 'text' || p.uploadedText?.fileName !== `upload-${i}.txt`) throw new Error('accepted but not in use');
        const ds = p.dataset;
        if (ds?.kind !== 'sequence') throw new Error(`accepted but no sequence data set (${ds?.kind})`);
        if (!p.binding?.ok) throw new Error(`accepted but the program does not bind: ${p.binding?.message}`);
        const { x, vocabSize } = ds as unknown as { x: Float32Array; vocabSize: number };
        for (let j = 0; j < x.length; j += 97) if (!(x[j] >= 0 && x[j] < vocabSize && Number.isInteger(x[j]))) throw new Error(`token id ${x[j]} outside the vocabulary`);
        return 'valid';
      });
    }
    report('txt', c);
  });
});

describe('what the fuzz found', () => {
  it('a CSV number beyond float32 (1e39, 1e309) is refused with its row and column, not trained on as Infinity', () => {
    for (const big of ['1e39', '-1e309']) {
      const r = readCsv(`a,b,y\n1,2,0\n3,${big},1\n5,6,0\n7,8,1\n9,10,0\n11,12,1\n`, 'big.csv');
      expect(r).toMatchObject({ ok: false, row: 3, column: 'b' });
      expect((r as { message: string }).message).toBe(`Row 3, column 'b': '${big}' is too large (numbers here must be within ±3.4e38)`);
    }
  });
});
