import { describe, expect, it } from 'vitest';
import { encodeModel, float, GraphBuilder, makeModel, OnnxFormatError } from './graph';
import { formatBytes, inspectBytes, inspectModel, symbolicDims } from './inspect';
import { toInt8 } from './quantize';

function tiny() {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', ['batch', 2]);
  const w = g.initializer('dense/kernel', 'float32', [2, 3], Float32Array.from([1, 2, 3, 4, 5, 6]));
  const b = g.initializer('dense/bias', 'float32', [3], Float32Array.from([0, 0, 0]));
  const y = g.node('MatMul', [x, w], {}, { name: 'dense/matmul' });
  g.info(y, 'float32', ['batch', 3]);
  const z = g.node('Add', [y, b], {}, { name: 'dense/add' });
  const r = g.node('LeakyRelu', [z], { alpha: float(0.5) }, { name: 'act', outputNames: ['y'] });
  g.output(r, 'float32', ['batch', 3]);
  return makeModel(g.graph, { producerVersion: '0.1.0', metadata: { source: 'x' } });
}

describe('inspect', () => {
  it('summarises properties, nodes with shapes, initializers and ops', () => {
    const { info } = inspectBytes(encodeModel(tiny()));
    expect(info.producer).toBe('nn-playground');
    expect(info.producerVersion).toBe('0.1.0');
    expect(info.opsets).toEqual([{ domain: 'ai.onnx', version: 17 }]);
    expect(info.inputs.map((v) => [v.name, v.dims])).toEqual([['x', ['batch', 2]]]);
    expect(info.outputs.map((v) => v.name)).toEqual(['y']);
    expect(info.nodes.map((n) => n.op)).toEqual(['MatMul', 'Add', 'LeakyRelu']);
    expect(info.nodes[0].outputs[0].dims).toEqual(['batch', 3]); // from value_info
    expect(info.nodes[1].inputs[1]).toMatchObject({ name: 'dense/bias', source: 'initializer', dims: [3] });
    expect(info.nodes[1].from).toEqual(['dense/matmul']);
    expect(info.nodes[0].from).toEqual(['input:x']);
    expect(info.nodes[2].attrs).toBe('alpha=0.5');
    expect(info.initializers).toEqual([
      { name: 'dense/kernel', dtype: 'float32', dims: [2, 3], params: 6, bytes: 24 },
      { name: 'dense/bias', dtype: 'float32', dims: [3], params: 3, bytes: 12 }
    ]);
    expect(info.params).toBe(9);
    expect(info.bytes).toBe(36);
    expect(info.ops).toEqual([{ op: 'Add', count: 1 }, { op: 'LeakyRelu', count: 1 }, { op: 'MatMul', count: 1 }]);
    expect(symbolicDims(info.inputs)).toEqual(['batch']);
    expect(info.warnings).toEqual([]);
  });

  it('counts int8 weights in bytes', () => {
    const m = toInt8(tiny(), { minElements: 1 }).model;
    const info = inspectModel(m);
    expect(info.initializers.find((r) => r.name === 'dense/kernel_quantized')).toMatchObject({ dtype: 'int8', bytes: 6 });
    expect(info.ops[0]).toEqual({ op: 'Add', count: 1 });
    expect(info.ops.map((o) => o.op)).toContain('DequantizeLinear');
  });

  it('gives a message for bytes that are not a model', () => {
    const bytes = encodeModel(tiny());
    let seed = 7;
    const random = Uint8Array.from({ length: 4096 }, () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 24) & 255);
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array(), /empty/],
      [new TextEncoder().encode('hello, this is a text file\nwith two lines'), /not an ONNX model|no graph/],
      [random, /not an ONNX model|no graph|no nodes/],
      [bytes.slice(0, Math.floor(bytes.length * 0.6)), /not an ONNX model|truncated|no graph|bytes|values/]
    ];
    for (const [b, msg] of cases) {
      expect(() => inspectBytes(b)).toThrow(OnnxFormatError);
      expect(() => inspectBytes(b)).toThrow(msg);
    }
  });

  it('refuses a graph that reads a value nobody produces', () => {
    const m = tiny();
    m.graph.nodes[1].inputs[0] = 'ghost';
    expect(() => inspectModel(m)).toThrow(/reads ghost/);
    const e = tiny();
    e.graph.nodes = [];
    expect(() => inspectModel(e)).toThrow(/no nodes/);
  });

  it('formats sizes', () => {
    expect(formatBytes(100)).toBe('100 B');
    expect(formatBytes(2048)).toBe('2.0 KiB');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.00 MiB');
  });
});
