import { describe, expect, it } from 'vitest';
import { faultKindOf, faultMessage } from './faults';

describe('faults are named', () => {
  it('tells out-of-memory and a lost GPU from ordinary errors', () => {
    expect(faultKindOf('RangeError: Array buffer allocation failed')).toBe('oom');
    expect(faultKindOf('WebAssembly.Memory.grow(): Maximum memory size exceeded')).toBe('oom');
    expect(faultKindOf('the GPU device was lost: Device was destroyed')).toBe('device-lost');
    expect(faultKindOf('WebGL context lost')).toBe('device-lost');
    expect(faultKindOf("Layer 'dense' got 3 inputs")).toBeNull();
  });

  it('says what happened, on which backend, with the raw error', () => {
    expect(faultMessage('oom', 'wasm', 'Array buffer allocation failed')).toBe(
      'Training ran out of memory on WASM (Array buffer allocation failed): a smaller model, batch or data set fits, or another backend may have more room.'
    );
    expect(faultMessage('device-lost', 'webgpu', 'the GPU device was lost: Device was destroyed')).toMatch(/^The GPU device was lost while training on WebGPU \(Device was destroyed\)/);
    expect(faultMessage('crash', 'cpu', 'Uncaught Error: boom')).toBe('The training worker crashed (Error: boom).');
  });
});
