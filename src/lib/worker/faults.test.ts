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

describe('faults of the ONNX Runtime and bench workers', () => {
  it('are named with the worker, the backend and the raw error, and say a retry starts afresh', async () => {
    const { workerFaultMessage } = await import('./faults');
    expect(workerFaultMessage('ONNX Runtime', 'crash', 'wasm', 'Uncaught Error: injected crash (test)')).toBe(
      'The ONNX Runtime worker crashed (Error: injected crash (test)). The next run starts a fresh worker.'
    );
    expect(workerFaultMessage('bench', 'oom', 'cpu', 'Array buffer allocation failed')).toMatch(/^The bench worker ran out of memory on CPU \(Array buffer allocation failed\)/);
    expect(workerFaultMessage('bench', 'device-lost', 'webgpu', 'the GPU device was lost: destroyed')).toMatch(/^The GPU device was lost in the bench worker on WebGPU \(destroyed\)/);
    expect(workerFaultMessage('ONNX Runtime', 'unresponsive', 'wasm', 'no answer for 3 s')).toMatch(/stopped answering \(no answer for 3 s\)/);
  });

  it('the watchdog names a worker that stops answering, and an uncaught error in it', async () => {
    const { watchWorker } = await import('./faults');
    const listeners: ((e: ErrorEvent) => void)[] = [];
    const worker = { addEventListener: (_: string, f: (e: ErrorEvent) => void) => listeners.push(f), removeEventListener: () => {} } as unknown as Worker;
    const silent = await new Promise<string>((resolve) => watchWorker(worker, () => new Promise(() => {}), { everyMs: 5, timeoutMs: () => 20 }, (kind, detail) => resolve(`${kind}: ${detail}`)));
    expect(silent).toBe('unresponsive: no answer for 0 s');
    let alive = 0;
    const stop = watchWorker(worker, async () => alive++, { everyMs: 5, timeoutMs: () => 20 }, () => (alive = -1e9));
    await new Promise((r) => setTimeout(r, 80));
    expect(alive).toBeGreaterThan(2);
    listeners[listeners.length - 1]({ message: 'Uncaught RangeError: Array buffer allocation failed', preventDefault() {} } as ErrorEvent);
    expect(alive).toBeLessThan(0);
    stop();
  });
});
