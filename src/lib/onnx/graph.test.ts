import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { decodeModel, encodeModel, float, GraphBuilder, makeModel, OnnxFormatError } from './graph';

function tiny() {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', ['batch', 2]);
  const w = g.initializer('w', 'float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
  const y = g.node('MatMul', [x, w]);
  const z = g.node('LeakyRelu', [g.node('Add', [y, g.constFloat(-10)])], { alpha: float(0.5) }, { outputNames: ['y'] });
  g.output(z, 'float32', ['batch', 3]);
  return makeModel(g.graph, { producerVersion: '0.1.0', metadata: { source: 'print(1)' } });
}

describe('ONNX graph encoding', () => {
  it('round-trips through onnx-proto', () => {
    const m = decodeModel(encodeModel(tiny()));
    expect(m.opsets['']).toBe(17);
    expect(m.graph.inputs[0].dims).toEqual(['batch', 2]);
    expect(m.graph.nodes.map((n) => n.op)).toEqual(['MatMul', 'Add', 'LeakyRelu']);
    expect(m.graph.nodes[2].attrs.alpha).toEqual({ float: 0.5 });
    expect(Array.from(m.graph.initializers[0].data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(m.metadata.source).toBe('print(1)');
  });

  it('runs in onnxruntime-web (wasm) in node', async () => {
    const s = await ort.InferenceSession.create(encodeModel(tiny()), { executionProviders: ['wasm'] });
    const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1, 0, 1]), [2, 2]) });
    expect(Array.from(out.y.data as Float32Array)).toEqual([-2.5, -1.5, -0.5, -3, -2, -1].map((v, i) => [(1 + 4 - 10) * 0.5, (2 + 5 - 10) * 0.5, (3 + 6 - 10) * 0.5, (4 - 10) * 0.5, (5 - 10) * 0.5, (6 - 10) * 0.5][i]));
  });

  it('refuses bytes that are not a model with a message', () => {
    expect(() => decodeModel(new Uint8Array())).toThrow(OnnxFormatError);
    expect(() => decodeModel(new TextEncoder().encode('hello, this is a text file'))).toThrow(/not an ONNX model/);
  });
});
