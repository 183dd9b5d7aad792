/**
 * Input values for the /onnx page from a user's file: .json (a number array, nested or flat, or
 * `{"data": [...], "shape": [...]}`), .csv / .txt (numbers separated by commas, spaces or new lines; one row per line),
 * or .npy (NumPy's format, little-endian float32/float64/int32/int64/uint8, C order). Pure; bad files throw an
 * Error with a message for the user. And how a flat list of numbers fits an input's shape.
 */
import type { Dim } from './graph';

export interface InputValues {
  data: Float32Array;
  /** The shape the file states (nested JSON, .npy, CSV rows × columns), when it states one. */
  shape?: number[];
}

function flattenJson(v: unknown, out: number[], shape: number[], depth: number): void {
  if (typeof v === 'number') {
    out.push(v);
    return;
  }
  if (!Array.isArray(v)) throw new Error(`The JSON holds ${v === null ? 'null' : typeof v} where a number or a list was expected`);
  if (shape.length <= depth) shape.push(v.length);
  else if (shape[depth] !== v.length) throw new Error('The JSON lists are ragged: rows of different lengths');
  for (const x of v) flattenJson(x, out, shape, depth + 1);
}

export function parseInputFile(name: string, bytes: Uint8Array): InputValues {
  const lower = name.toLowerCase();
  if (lower.endsWith('.npy')) return parseNpy(bytes);
  const text = new TextDecoder().decode(bytes).trim();
  if (!text) throw new Error(`${name} is empty`);
  if (lower.endsWith('.json') || text.startsWith('[') || text.startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new Error(`${name} is not valid JSON: ${(e as Error).message}`);
    }
    let stated: number[] | undefined;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as { data?: unknown; shape?: unknown };
      if (!('data' in o)) throw new Error('A JSON object needs a "data" list (and may give a "shape")');
      if (Array.isArray(o.shape) && o.shape.every((d) => Number.isInteger(d))) stated = o.shape as number[];
      v = o.data;
    }
    const out: number[] = [];
    const shape: number[] = [];
    flattenJson(v, out, shape, 0);
    if (!out.length) throw new Error(`${name} holds no numbers`);
    return { data: Float32Array.from(out), shape: stated ?? shape };
  }
  const lines = text.split(/\r?\n/).filter((l) => l.trim());
  const rows = lines.map((l, i) =>
    l
      .trim()
      .split(/[,;\s]+/)
      .map((t) => {
        const x = Number(t);
        if (t === '' || Number.isNaN(x)) throw new Error(`${name}, line ${i + 1}: "${t}" is not a number`);
        return x;
      })
  );
  const width = rows[0].length;
  const rect = rows.every((r) => r.length === width);
  return { data: Float32Array.from(rows.flat()), shape: rect ? (rows.length === 1 ? [width] : [rows.length, width]) : undefined };
}

export function parseNpy(bytes: Uint8Array): InputValues {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new Error('This is not a .npy file (no NUMPY header)');
  const major = bytes[6];
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLen));
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*True/.test(header);
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (!descr || shapeText === undefined) throw new Error('The .npy header could not be read');
  if (fortran) throw new Error('The .npy array is in Fortran order; save it in C order (np.ascontiguousarray)');
  const shape = shapeText
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const off = start + headerLen;
  const types: Record<string, [number, (o: number) => number]> = {
    '<f4': [4, (o) => dv.getFloat32(o, true)],
    '<f8': [8, (o) => dv.getFloat64(o, true)],
    '<i4': [4, (o) => dv.getInt32(o, true)],
    '<i8': [8, (o) => Number(dv.getBigInt64(o, true))],
    '|u1': [1, (o) => dv.getUint8(o)],
    '|i1': [1, (o) => dv.getInt8(o)]
  };
  const t = types[descr];
  if (!t) throw new Error(`The .npy data type ${descr} is not supported (use float32, float64, int32, int64 or uint8)`);
  if (off + count * t[0] > bytes.length) throw new Error(`The .npy file is truncated: shape (${shape.join(', ')}) needs ${count * t[0]} bytes of data`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) data[i] = t[1](off + i * t[0]);
  return { data, shape };
}

/**
 * The concrete shape for an input: symbolic dims from `sizes`, except that one symbolic dim left unset (or the
 * batch) is solved from `count` values when given. Throws when the values cannot fill the shape.
 */
export function resolveShape(dims: readonly Dim[], sizes: Record<string, number>, count?: number): number[] {
  const fixed = dims.map((d) => (typeof d === 'number' && d > 0 ? d : sizes[String(d)]));
  if (count === undefined) {
    const missing = dims.filter((d, i) => !(fixed[i] > 0));
    if (missing.length) throw new Error(`Give a size for ${missing.join(', ')}`);
    return fixed;
  }
  const known = fixed.reduce((a, b) => a * (b > 0 ? b : 1), 1);
  const free = fixed.map((d, i) => (d > 0 ? -1 : i)).filter((i) => i >= 0);
  if (free.length === 0) {
    if (known !== count) throw new Error(`The input needs ${known} values for shape [${fixed.join(', ')}], the file holds ${count}`);
    return fixed;
  }
  // Let the first symbolic dim (the batch) follow the file; the others must be set.
  const shape = dims.map((d, i) => (typeof d === 'number' && d > 0 ? d : i === free[0] ? -1 : sizes[String(d)]));
  if (shape.some((d, i) => i !== free[0] && !(d > 0))) throw new Error(`Give a size for ${dims.filter((d) => typeof d !== 'number').slice(1).join(', ')}`);
  const rest = shape.reduce((a, b, i) => (i === free[0] ? a : a * b), 1);
  if (count % rest !== 0) throw new Error(`${count} values do not fill whole rows of [${shape.map((d) => (d < 0 ? String(dims[free[0]]) : d)).join(', ')}] (${rest} values per row)`);
  shape[free[0]] = count / rest;
  return shape;
}
