import { describe, expect, it } from 'vitest';
import { chooseOrtThreads, defaultOrtThreads, describeOrtThreads, invalidThreads, ortThreadsOf, recordOrtThreads, type ThreadContext } from './ort-threads';
import { parseBenchArgs } from '$lib/bench/args';
import { describeBackend } from '$lib/engines/backend';

const isolated = (cores: number): ThreadContext => ({ crossOriginIsolated: true, sharedArrayBuffer: true, workers: true, hardwareConcurrency: cores });

describe('ONNX Runtime thread count', () => {
  it("defaults to ORT's min(4, ceil(logical cores / 2)) when threads can run", () => {
    expect([1, 2, 3, 4, 6, 8, 16, 0].map(defaultOrtThreads)).toEqual([1, 1, 2, 2, 3, 4, 4, 1]);
    expect(chooseOrtThreads(isolated(4))).toEqual({ threads: 2, requested: 2, reason: null });
    expect(chooseOrtThreads(isolated(16))).toEqual({ threads: 4, requested: 4, reason: null });
    expect(chooseOrtThreads(isolated(2))).toEqual({ threads: 1, requested: 1, reason: "2 logical cores: ONNX Runtime's default is half the cores" });
  });

  it('honours an explicit count, above the default too', () => {
    expect(chooseOrtThreads(isolated(16), 1)).toEqual({ threads: 1, requested: 1, reason: null });
    expect(chooseOrtThreads(isolated(2), 8)).toEqual({ threads: 8, requested: 8, reason: null });
  });

  it('falls back to one thread, saying why', () => {
    const one = (ctx: Partial<ThreadContext>, probe?: string) => chooseOrtThreads({ ...isolated(8), ...ctx }, undefined, probe);
    expect(one({ crossOriginIsolated: false })).toMatchObject({ threads: 1, requested: 4, reason: expect.stringMatching(/not cross-origin isolated/) });
    expect(one({ sharedArrayBuffer: false })).toMatchObject({ threads: 1, reason: expect.stringMatching(/SharedArrayBuffer/) });
    expect(one({ workers: false })).toMatchObject({ threads: 1, reason: expect.stringMatching(/workers from a worker/) });
    expect(one({}, 'Failed to fetch dynamically imported module')).toMatchObject({ threads: 1, reason: expect.stringMatching(/could not start in a worker \(Failed to fetch/) });
    expect(one({ hardwareConcurrency: 1 })).toMatchObject({ threads: 1, reason: expect.stringMatching(/^1 logical core:/) });
  });

  it('refuses counts that are not whole numbers from 1 to 16', () => {
    for (const n of [0, -1, 1.5, 17, Number.NaN]) expect(invalidThreads(n)).toMatch(/whole number from 1 to 16/);
    expect(invalidThreads(3)).toBeNull();
    expect(() => chooseOrtThreads(isolated(2), 0)).toThrow(/whole number/);
  });

  it('reports what ORT really runs: its own fallback to 1 wins over what was recorded', () => {
    const ort = { env: { wasm: { numThreads: 2 } } };
    recordOrtThreads(ort, { threads: 2, requested: 2, reason: null, workers: 1 });
    expect(ortThreadsOf(ort)).toEqual({ threads: 2, requested: 2, reason: null, workers: 1 });
    ort.env.wasm.numThreads = 1; // what ORT does when WebAssembly threads turn out unsupported
    expect(ortThreadsOf(ort)).toMatchObject({ threads: 1, reason: expect.stringMatching(/unsupported/) });
    const short = { env: { wasm: { numThreads: 4 } } };
    recordOrtThreads(short, { threads: 4, requested: 4, reason: null, workers: 1 });
    expect(ortThreadsOf(short)).toMatchObject({ threads: 2, reason: 'ONNX Runtime started 1 of its 3 thread workers' });
    expect(ortThreadsOf({ env: { wasm: {} } })).toEqual({ threads: 1, requested: 1, reason: null, workers: null });
    expect(describeOrtThreads({ threads: 2, reason: null })).toBe('2 threads');
    expect(describeOrtThreads({ threads: 1, reason: 'why' })).toBe('1 thread (why)');
  });

  it('"Backend in use" names the compiled step\'s ORT threads', () => {
    const base = { requested: 'wasm' as const, actual: 'wasm' as const, failures: [], initMs: 1, wasm: { simd: true, threadsSupported: false, threads: 1, logicalCores: 2, crossOriginIsolated: true } };
    expect(describeBackend({ ...base, ort: { provider: 'wasm', threads: 2, reason: null } })).toBe('WASM (SIMD on, 1 thread); compiled step on ONNX Runtime WASM (2 threads)');
    expect(describeBackend({ ...base, ort: { provider: 'wasm', threads: 1, reason: 'not isolated' } })).toBe('WASM (SIMD on, 1 thread); compiled step on ONNX Runtime WASM (1 thread: not isolated)');
    expect(describeBackend(base)).toBe('WASM (SIMD on, 1 thread)');
    // On WebGPU the playground's own kernels run the step: ORT is not named for it.
    expect(describeBackend({ ...base, ort: { provider: 'webgpu', threads: 1, reason: null, kernels: true } })).toBe("WASM (SIMD on, 1 thread); compiled step on the playground's own WebGPU kernels");
    expect(describeBackend({ ...base, ort: { provider: 'webgpu', threads: 1, reason: null } })).toBe('WASM (SIMD on, 1 thread); compiled step on ONNX Runtime WebGPU');
  });

  it('npm run bench -- --ort-threads takes a list of counts', () => {
    expect(parseBenchArgs(['--ort-threads', '1,2']).ortThreads).toEqual([1, 2]);
    expect(parseBenchArgs(['--ort-threads=2', '--ort-threads', '2,4']).ortThreads).toEqual([2, 4]);
    expect(parseBenchArgs([]).ortThreads).toBeUndefined();
    expect(() => parseBenchArgs(['--ort-threads', 'two'])).toThrow(/--ort-threads: a thread count is a whole number from 1 to 16, not "two"/);
    expect(() => parseBenchArgs(['--ort-threads', '0'])).toThrow(/not 0/);
  });
});
