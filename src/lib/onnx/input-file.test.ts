import { describe, expect, it } from 'vitest';
import { parseInputFile, parseNpy, resolveShape } from './input-file';

const enc = (s: string) => new TextEncoder().encode(s);

function npy(descr: string, shape: number[], values: number[]): Uint8Array {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
  while ((10 + header.length + 1) % 64) header += ' ';
  header += '\n';
  const size = descr === '<f8' ? 8 : 4;
  const out = new Uint8Array(10 + header.length + values.length * size);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(enc(header), 10);
  const dv = new DataView(out.buffer, 10 + header.length);
  values.forEach((v, i) => (descr === '<f8' ? dv.setFloat64(i * 8, v, true) : dv.setFloat32(i * 4, v, true)));
  return out;
}

describe('input files', () => {
  it('reads JSON, CSV and .npy with their shapes', () => {
    expect(parseInputFile('x.json', enc('[[1, 2], [3, 4], [5, 6]]'))).toEqual({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [3, 2] });
    expect(parseInputFile('x.json', enc('{"data": [1, 2, 3, 4], "shape": [2, 2]}')).shape).toEqual([2, 2]);
    expect(parseInputFile('x.csv', enc('1,2\n3,4\n'))).toEqual({ data: Float32Array.from([1, 2, 3, 4]), shape: [2, 2] });
    expect(parseNpy(npy('<f4', [2, 3], [1, 2, 3, 4, 5, 6]))).toEqual({ data: Float32Array.from([1, 2, 3, 4, 5, 6]), shape: [2, 3] });
    expect(parseInputFile('x.npy', npy('<f8', [3], [0.5, 1, 2])).data).toEqual(Float32Array.from([0.5, 1, 2]));
  });

  it('says what is wrong with a bad file', () => {
    expect(() => parseInputFile('x.json', enc('[[1, 2], [3]]'))).toThrow(/ragged/);
    expect(() => parseInputFile('x.json', enc('[1, "a"]'))).toThrow(/string/);
    expect(() => parseInputFile('x.json', enc('{nope'))).toThrow(/not valid JSON/);
    expect(() => parseInputFile('x.csv', enc('1,2\n3,abc'))).toThrow(/line 2: "abc"/);
    expect(() => parseInputFile('x.npy', enc('hello'))).toThrow(/not a .npy/);
    expect(() => parseNpy(npy('<f4', [4, 4], [1, 2]))).toThrow(/truncated/);
  });

  it('fits values to an input shape, solving the batch', () => {
    expect(resolveShape(['batch', 2], { batch: 4 })).toEqual([4, 2]);
    expect(resolveShape(['batch', 2], {}, 10)).toEqual([5, 2]);
    expect(resolveShape([3, 2], {}, 6)).toEqual([3, 2]);
    expect(() => resolveShape(['batch', 2], {})).toThrow(/Give a size for batch/);
    expect(() => resolveShape(['batch', 2], {}, 7)).toThrow(/do not fill whole rows/);
    expect(() => resolveShape([3, 2], {}, 5)).toThrow(/needs 6 values/);
  });
});
