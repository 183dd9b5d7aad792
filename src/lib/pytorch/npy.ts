/**
 * .npy and .npz writers (NumPy's format 1.0: magic, version, a little-endian header dict padded to 64 bytes, then
 * the raw data; an .npz is a zip of .npy files), for the weights and test inputs handed to Python.
 */
import { zipSync } from 'fflate';

export interface NpyArray {
  shape: readonly number[];
  data: Float32Array | Int32Array | Float64Array;
}

function descr(data: NpyArray['data']): string {
  if (data instanceof Float32Array) return '<f4';
  if (data instanceof Float64Array) return '<f8';
  return '<i4';
}

/** One array as a .npy file (C order, little-endian). */
export function encodeNpy({ shape, data }: NpyArray): Uint8Array {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n !== data.length) throw new Error(`npy: shape (${shape.join(', ')}) holds ${n} values but the data has ${data.length}`);
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '${descr(data)}', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic (6) + version (2) + header length (2) + header + '\n' is a multiple of 64.
  const pad = 64 - ((10 + header.length + 1) % 64);
  header += ' '.repeat(pad % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0], 0);
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  // Typed arrays are little-endian on every platform this runs on (x86, ARM).
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/** Arrays by name as an .npz (`np.load(path)[name]`); names may contain '/' (`dense/kernel`). */
export function encodeNpz(arrays: Record<string, NpyArray>): Uint8Array {
  const files: Record<string, Uint8Array> = {};
  for (const [name, a] of Object.entries(arrays)) files[`${name}.npy`] = encodeNpy(a);
  return zipSync(files, { level: 0 });
}
