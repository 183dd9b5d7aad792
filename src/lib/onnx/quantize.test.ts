import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { decodeModel, encodeModel, GraphBuilder, makeModel, type OnnxModel } from './graph';
import { classAgreement, foldWeightTransposes, fromHalfBits, makeVariant, maxAbsDiff, toFp16, toHalfBits, toInt8 } from './quantize';

/** A seeded MLP 8 → 32 (relu) → 32 (Gemm, relu) → 4, plus a Conv model, with random weights. */
function rand(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

function mlp(): OnnxModel {
  const r = rand(1);
  const g = new GraphBuilder('mlp');
  const x = g.input('x', 'float32', ['batch', 8]);
  const w1 = g.initializer('dense/kernel', 'float32', [8, 32], Float32Array.from({ length: 256 }, r));
  const b1 = g.initializer('dense/bias', 'float32', [32], Float32Array.from({ length: 32 }, r));
  const h = g.node('Relu', [g.node('Add', [g.node('MatMul', [x, w1]), b1])]);
  const w2 = g.initializer('gemm/weight', 'float32', [32, 32], Float32Array.from({ length: 1024 }, r));
  const b2 = g.initializer('gemm/bias', 'float32', [32], Float32Array.from({ length: 32 }, r));
  const h2 = g.node('Relu', [g.node('Gemm', [h, w2, b2], { transB: 1 })]);
  const w3 = g.initializer('out/kernel', 'float32', [32, 4], Float32Array.from({ length: 128 }, r));
  const y = g.node('Softmax', [g.node('MatMul', [h2, w3])], { axis: -1 }, { outputNames: ['y'] });
  g.output(y, 'float32', ['batch', 4]);
  return makeModel(g.graph, { producerVersion: 'test' });
}

function cnn(): OnnxModel {
  const r = rand(2);
  const g = new GraphBuilder('cnn');
  const x = g.input('x', 'float32', ['batch', 3, 6, 6]);
  const w = g.initializer('conv/kernel', 'float32', [5, 3, 3, 3], Float32Array.from({ length: 135 }, r));
  const b = g.initializer('conv/bias', 'float32', [5], Float32Array.from({ length: 5 }, r));
  const y = g.node('Conv', [x, w, b], { pads: [1, 1, 1, 1] }, { outputNames: ['y'] });
  g.output(y, 'float32', ['batch', 5, 6, 6]);
  return makeModel(g.graph, { producerVersion: 'test' });
}

/** A Keras-layout kernel (kh, kw, cin, cout) transposed to ONNX's (cout, cin, kh, kw) in the graph, as the exporter does. */
function kerasCnn(): OnnxModel {
  const r = rand(5);
  const g = new GraphBuilder('kcnn');
  const x = g.input('x', 'float32', ['batch', 3, 6, 6]);
  const k = g.initializer('conv/kernel', 'float32', [3, 3, 3, 5], Float32Array.from({ length: 135 }, r));
  const w = g.node('Transpose', [k], { perm: [3, 2, 0, 1] }, { name: 'conv/kernel_oihw' });
  const y = g.node('Conv', [x, w], { pads: [1, 1, 1, 1] }, { outputNames: ['y'] });
  g.output(y, 'float32', ['batch', 5, 6, 6]);
  return makeModel(g.graph, { producerVersion: 'test' });
}

async function run(m: OnnxModel | Uint8Array, x: Float32Array, dims: number[]) {
  const s = await ort.InferenceSession.create(m instanceof Uint8Array ? m : encodeModel(m), { executionProviders: ['wasm'] });
  const out = await s.run({ x: new ort.Tensor('float32', x, dims) });
  await s.release();
  return out[s.outputNames[0]].data as Float32Array;
}

describe('float16 bits', () => {
  it('rounds like a half-precision float', () => {
    for (const v of [0, 1, -2, 0.5, 65504, 1 / 3, 1e-5, 6e-8, -0.1]) {
      const back = fromHalfBits(toHalfBits(v));
      expect(Math.abs(back - v)).toBeLessThanOrEqual(Math.max(Math.abs(v) * 2 ** -11, 2 ** -25));
    }
    expect(toHalfBits(1)).toBe(0x3c00);
    expect(toHalfBits(-2)).toBe(0xc000);
    expect(toHalfBits(65504)).toBe(0x7bff);
    expect(toHalfBits(1e6)).toBe(0x7c00);
    expect(toHalfBits(2 ** -24)).toBe(1);
    expect(Number.isNaN(fromHalfBits(toHalfBits(NaN)))).toBe(true);
  });
});

describe('quantized variants', () => {
  const x = Float32Array.from({ length: 64 * 8 }, rand(3));

  it('fp16 stores the weights as float16 behind a Cast and stays close to fp32 in ORT', async () => {
    const fp32 = mlp();
    const { model, converted } = toFp16(fp32);
    expect(converted).toEqual(['dense/kernel', 'dense/bias', 'gemm/weight', 'gemm/bias', 'out/kernel']);
    const back = decodeModel(encodeModel(model));
    expect(back.graph.initializers.find((t) => t.name === 'dense/kernel_fp16')?.dtype).toBe('float16');
    expect(back.graph.nodes.filter((n) => n.op === 'Cast')).toHaveLength(5);
    expect(back.graph.inputs[0].dtype).toBe('float32');
    const a = await run(fp32, x, [64, 8]);
    const b = await run(model, x, [64, 8]);
    const d = maxAbsDiff(a, b);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(2e-3);
    const v = makeVariant(fp32, 'fp16');
    // 1440 weights: 2 bytes saved on each (less the Cast nodes' few bytes).
    expect(makeVariant(fp32, 'fp32').info.bytes - v.info.bytes).toBeGreaterThan(0.8 * 2 * 1440);
  });

  it('int8 quantizes per channel with DequantizeLinear and stays close to fp32 in ORT', async () => {
    const fp32 = mlp();
    const { model, converted } = toInt8(fp32);
    expect(converted).toEqual(['dense/kernel', 'gemm/weight', 'out/kernel']); // biases stay float32
    const dq = model.graph.nodes.filter((n) => n.op === 'DequantizeLinear');
    expect(dq.map((n) => n.attrs.axis)).toEqual([1, 0, 1]); // MatMul [in,out] → 1; Gemm transB → 0
    const q = model.graph.initializers.find((t) => t.name === 'dense/kernel_quantized')!;
    expect(q.dtype).toBe('int8');
    expect(Math.max(...Array.from(q.data as Int8Array, Math.abs))).toBe(127);
    const a = await run(fp32, x, [64, 8]);
    const b = await run(encodeModel(model), x, [64, 8]);
    const d = maxAbsDiff(a, b);
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(0.02);
    expect(classAgreement(a, b, 64).agreement).toBeGreaterThan(0.9);
    const sizes = ['fp32', 'int8'].map((v) => makeVariant(fp32, v as 'fp32' | 'int8').info.bytes);
    // 1408 quantized weights: 3 bytes saved on each, less scales and the DequantizeLinear nodes.
    expect(sizes[0] - sizes[1]).toBeGreaterThan(0.7 * 3 * 1408);
  });

  it('int8 per tensor and per channel on a Conv kernel both load in ORT', async () => {
    const fp32 = cnn();
    const xc = Float32Array.from({ length: 2 * 3 * 36 }, rand(4));
    const ref = await run(fp32, xc, [2, 3, 6, 6]);
    for (const perChannel of [true, false]) {
      const { model } = toInt8(fp32, { perChannel });
      expect(model.graph.nodes[0].attrs).toEqual(perChannel ? { axis: 0 } : {});
      const out = await run(model, xc, [2, 3, 6, 6]);
      expect(maxAbsDiff(ref, out)).toBeLessThan(0.02);
    }
    const fp16 = await run(toFp16(fp32).model, xc, [2, 3, 6, 6]);
    expect(maxAbsDiff(ref, fp16)).toBeLessThan(2e-3);
  });

  it('folds the kernel Transpose, so a Keras-layout Conv kernel is quantized per output channel', async () => {
    const fp32 = kerasCnn();
    const folded = foldWeightTransposes(fp32);
    expect(folded.graph.nodes.map((n) => n.op)).toEqual(['Conv']);
    expect(folded.graph.initializers[0]).toMatchObject({ name: 'conv/kernel_oihw', dims: [5, 3, 3, 3] });
    const xc = Float32Array.from({ length: 2 * 3 * 36 }, rand(6));
    const ref = await run(fp32, xc, [2, 3, 6, 6]);
    expect(maxAbsDiff(ref, await run(folded, xc, [2, 3, 6, 6]))).toBeLessThan(1e-6);
    const { model } = toInt8(fp32);
    expect(model.graph.nodes.map((n) => n.op)).toEqual(['DequantizeLinear', 'Conv']);
    expect(model.graph.nodes[0].attrs).toEqual({ axis: 0 });
    expect(maxAbsDiff(ref, await run(model, xc, [2, 3, 6, 6]))).toBeLessThan(0.02);
    expect(toFp16(fp32).model.graph.nodes.map((n) => n.op)).toEqual(['Cast', 'Conv']);
  });

  it('leaves the fp32 model untouched', () => {
    for (const fp32 of [mlp(), kerasCnn()]) {
      const before = encodeModel(fp32);
      toFp16(fp32);
      toInt8(fp32);
      expect(encodeModel(fp32)).toEqual(before);
    }
  });

  it('maxAbsDiff refuses different lengths and sees NaN', () => {
    expect(() => maxAbsDiff([1, 2], [1])).toThrow();
    expect(maxAbsDiff([1, NaN], [1, 2])).toBeNaN();
    expect(maxAbsDiff([1, 2], [1.5, 2])).toBe(0.5);
  });
});
