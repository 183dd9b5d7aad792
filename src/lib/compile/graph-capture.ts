/**
 * WebGPU graph capture for the compiled trainer (runner.ts): on by default on webgpu (`graphCapture: false` turns it off).
 */
import { encodeModel, GraphBuilder, makeModel } from '$lib/onnx/graph';
import type * as OrtNs from 'onnxruntime-web';
import type { CompiledStep, TensorSlot } from './train-step';
import type { OrtModule } from './runner';

type Tensor = OrtNs.Tensor;
type Session = OrtNs.InferenceSession;

export const sizeOf = (s: number[]) => s.reduce((a, b) => a * b, 1);

/** The tensors a run reads and returns new values of: the flat parameter vector and every state tensor. */
export const carried = (s: CompiledStep): TensorSlot[] => (s.flat ? [s.flat, ...s.state] : s.state);

// WebGPU graph capture. The wrong losses first seen here (0.125 relative vs eager) were NOT capture's: the bound
// buffers were sized n·4 bytes (the spiral's 371 parameters: 1484 bytes), while ORT pads every tensor to a multiple of
// 16 bytes and its vec4 kernels read and write the last, partial vec4 past the end of such a buffer (WebGPU's robust
// access then drops or clamps it). The same fixed buffers WITHOUT enableGraphCapture gave the same wrong losses;
// padded to 16 bytes, capture matches eager (TF.js cpu) to 2e-7 over 50 steps, sgd and adam (see the report of
// branch h7 and tests/e2e/graph-capture.spec.ts). Node has no WebGPU, so the unit tests never reach this code.
// What compiled-step.md measured: ORT's default WebGPU backend
// captures a session's dispatches once and replays them (one submit, no per-node JS) only when EVERY input and
// output is a `Tensor.fromGpuBuffer` on `ort.env.webgpu.device` (each buffer ≥ 16 bytes and a multiple of 16) and a session always sees
// the same buffers. The carried state (flat params, optimizer state) therefore lives in two fixed buffer sets, and
// two sessions of the same graph alternate: A reads set 0 and writes set 1, B reads set 1 and writes set 0.
// x, y, lr and the masks are uploaded into fixed buffers (queue.writeBuffer) before each run; loss and metric are
// written to fixed buffers and copied after each run into a fresh read-back buffer (pending until readLosses).
// Each run reads its inputs and writes only other buffers, so a run is idempotent (ORT may execute the capture run
// and then replay it). Runs of other sizes (partial batch, flush) take the plain path: their inputs are the
// wrapped set buffers, and their ORT-owned outputs are copied back into the current set before the next capture run.

/** The few WebGPU members used here (the project does not depend on @webgpu/types). */
interface GpuBuf {
  size: number;
  mapAsync(mode: number): Promise<void>;
  getMappedRange(): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}
interface GpuDev {
  createBuffer(d: { size: number; usage: number }): GpuBuf;
  createCommandEncoder(): { copyBufferToBuffer(a: GpuBuf, ao: number, b: GpuBuf, bo: number, size: number): void; finish(): unknown };
  queue: { writeBuffer(b: GpuBuf, offset: number, data: Float32Array): void; submit(cmds: unknown[]): void };
}
export const USAGE = { MAP_READ: 0x0001, COPY_SRC: 0x0004, COPY_DST: 0x0008, STORAGE: 0x0080 };
export const MAP_READ = 0x0001;
/** Ops whose output ORT may alias to the input (a buffer copy when the output is bound to a buffer of its own). */
const ALIASING = new Set(['Reshape', 'Identity', 'Squeeze', 'Unsqueeze', 'Flatten']);

/** y = x + 0 on one float: run on WebGPU with a CPU output, it makes ORT submit the commands it still holds. */
function flushModel() {
  const g = new GraphBuilder('flush');
  g.input('x', 'float32', [1]);
  g.output(g.node('Add', ['x', g.constFloat([0], [1])], {}, { outputNames: ['y'] }), 'float32', [1]);
  return makeModel(g.graph, { producerVersion: 'flush' });
}
/** Bytes of a bound buffer: ORT's padded size (a multiple of 16, at least 16), or its vec4 kernels run past the end. */
export const bufBytes = (shape: number[]) => Math.max(16, Math.ceil((sizeOf(shape) * 4) / 16) * 16);

/** Copy `n` floats of a GPU buffer to the host (through a mapped read-back buffer). Also used by wgsl-runner.ts. */
export async function readBuffer(device: GpuDev, buf: GpuBuf, n: number): Promise<Float32Array> {
  const size = Math.max(16, Math.ceil((n * 4) / 16) * 16);
  const staging = device.createBuffer({ size, usage: USAGE.MAP_READ | USAGE.COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(buf, 0, staging, 0, Math.min(size, buf.size));
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(MAP_READ);
  const out = new Float32Array(staging.getMappedRange().slice(0, n * 4));
  staging.unmap();
  staging.destroy();
  return out;
}

export class GraphCapture {
  /** sets[i]: carried input name → buffer; session i reads sets[i] and writes sets[1 − i]. */
  private cur = 0;
  private constructor(
    private ort: OrtModule,
    private device: GpuDev,
    private step: CompiledStep,
    private sessions: [Session, Session],
    private sets: [Map<string, GpuBuf>, Map<string, GpuBuf>],
    private inputs: Map<string, { buf: GpuBuf; shape: number[] }>,
    private outputs: Map<string, { buf: GpuBuf; shape: number[] }>,
    private flusher: Session
  ) {}

  /** Runs of each session so far: its first is a plain run (ORT leaves its last dispatches unsubmitted), then capture. */
  private runs = [0, 0];
  /** Whether a captured session ran last (see `leave`). */
  private capturedLast = false;

  /**
   * To call before a plain (uncaptured) session runs with GPU-buffer inputs. ORT 1.30 (JSEP) registers a run's
   * external buffers before it records which session runs, and refuses a buffer that differs from the one that session
   * had at that index while the session that ran LAST is a captured one: "Registering a different external buffer under
   * graph capture mode is not supported yet". The K = 1 session of the epoch's last batches (fed the other set's
   * buffers each epoch) failed so at the second epoch. One run of the tiny flush session makes it the last one.
   */
  async leave(): Promise<void> {
    if (!this.capturedLast) return;
    await this.flusher.run({ x: new this.ort.Tensor('float32', Float32Array.of(0), [1]) });
    this.capturedLast = false;
  }

  static async create(ort: OrtModule, step: CompiledStep): Promise<GraphCapture> {
    // An output written by an aliasing op (Reshape, Identity, ...) reaches its bound buffer through a buffer copy,
    // which ORT does not record in the capture: every replay would leave that output stale.
    for (const o of step.model.graph.outputs) {
      const producer = step.model.graph.nodes.find((n) => n.outputs.includes(o.name));
      if (producer && ALIASING.has(producer.op)) throw new Error(`output ${o.name} comes from ${producer.op}, whose copy into the bound buffer a captured graph does not replay`);
    }
    const bytes = encodeModel(step.model);
    const opts: OrtNs.InferenceSession.SessionOptions = { graphOptimizationLevel: 'all', executionProviders: ['webgpu'], enableGraphCapture: true, preferredOutputLocation: 'gpu-buffer' };
    const a = await ort.InferenceSession.create(bytes, opts);
    let b: Session;
    try {
      b = await ort.InferenceSession.create(bytes, opts);
    } catch (e) {
      await a.release();
      throw e;
    }
    const device = (await ort.env.webgpu.device) as unknown as GpuDev;
    if (!device?.createBuffer) {
      await a.release();
      await b.release();
      throw new Error('ort.env.webgpu.device is not available');
    }
    const usage = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;
    const make = (shape: number[]) => device.createBuffer({ size: bufBytes(shape), usage });
    const sets: [Map<string, GpuBuf>, Map<string, GpuBuf>] = [new Map(), new Map()];
    for (const t of carried(step)) for (const set of sets) set.set(t.input, make(t.shape));
    const inputs = new Map<string, { buf: GpuBuf; shape: number[] }>();
    const put = (name: string, shape: number[]) => inputs.set(name, { buf: make(shape), shape });
    put(step.inputs.x, step.inputs.xShape);
    put(step.inputs.y, step.inputs.yShape);
    put(step.inputs.lr, []);
    for (const m of step.masks) put(m.input, m.shape);
    const outputs = new Map<string, { buf: GpuBuf; shape: number[] }>();
    outputs.set(step.outputs.loss, { buf: make([step.steps]), shape: [step.steps] });
    if (step.outputs.metric) outputs.set(step.outputs.metric, { buf: make([step.steps]), shape: [step.steps] });
    const flusher = await ort.InferenceSession.create(encodeModel(flushModel()), { executionProviders: ['webgpu'] });
    return new GraphCapture(ort, device, step, [a, b], sets, inputs, outputs, flusher);
  }

  private wrap(buf: GpuBuf, shape: number[], download = true): Tensor {
    return this.ort.Tensor.fromGpuBuffer(buf as unknown as OrtNs.Tensor.GpuBufferType, {
      dataType: 'float32',
      dims: shape,
      download: download ? () => this.read(buf, sizeOf(shape)) : undefined
    }) as Tensor;
  }

  private read(buf: GpuBuf, n: number): Promise<Float32Array> {
    return readBuffer(this.device, buf, n);
  }

  /** One captured run: `values` (carried state, as the trainer holds it) are replaced by the new ones on success. */
  async run(values: Map<string, Tensor>, host: Map<string, Float32Array>): Promise<{ loss: Tensor; metric: Tensor | null }> {
    const { device, step } = this;
    const set = this.sets[this.cur];
    const next = this.sets[1 - this.cur];
    // Bring the carried values into the current set (after create, or after a plain run of another size).
    const enc = this.device.createCommandEncoder();
    let copies = 0;
    for (const t of carried(step)) {
      const v = values.get(t.input)!;
      const dst = set.get(t.input)!;
      if (v.location === 'gpu-buffer') {
        if ((v.gpuBuffer as unknown) !== dst) {
          enc.copyBufferToBuffer(v.gpuBuffer as unknown as GpuBuf, 0, dst, 0, sizeOf(t.shape) * 4);
          copies++;
        }
      } else {
        device.queue.writeBuffer(dst, 0, v.data as Float32Array);
      }
    }
    if (copies) device.queue.submit([enc.finish()]);
    for (const [name, data] of host) device.queue.writeBuffer(this.inputs.get(name)!.buf, 0, data);
    const feeds: Record<string, Tensor> = {};
    for (const t of carried(step)) feeds[t.input] = this.wrap(set.get(t.input)!, t.shape, false);
    for (const [name, i] of this.inputs) feeds[name] = this.wrap(i.buf, i.shape, false);
    const fetches: Record<string, Tensor> = {};
    for (const t of carried(step)) fetches[t.output] = this.wrap(next.get(t.input)!, t.shape, false);
    for (const [name, o] of this.outputs) fetches[name] = this.wrap(o.buf, o.shape, false);
    this.capturedLast = true;
    await this.sessions[this.cur].run(feeds, fetches);
    // A session's first run is not captured, and ORT returns from it with up to 15 dispatches still in its command
    // encoder (submitted at its next flush). Everything queued after this point (the loss copy below, the next run's
    // writeBuffer of x, y, lr and masks) would execute BEFORE them. A tiny session with a CPU output makes ORT flush.
    if (this.runs[this.cur]++ === 0) {
      await this.flusher.run({ x: new this.ort.Tensor('float32', Float32Array.of(0), [1]) });
      this.capturedLast = false;
    }
    // Loss and metric: copied out now (the fixed buffers are overwritten by the next run), read in readLosses.
    const keep = (name: string | null): Tensor | null => {
      if (!name) return null;
      const o = this.outputs.get(name)!;
      const copy = device.createBuffer({ size: o.buf.size, usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
      const e = device.createCommandEncoder();
      e.copyBufferToBuffer(o.buf, 0, copy, 0, o.buf.size);
      device.queue.submit([e.finish()]);
      return this.ort.Tensor.fromGpuBuffer(copy as unknown as OrtNs.Tensor.GpuBufferType, {
        dataType: 'float32',
        dims: o.shape,
        download: () => this.read(copy, sizeOf(o.shape)),
        dispose: () => copy.destroy()
      }) as Tensor;
    };
    const result = { loss: keep(step.outputs.loss)!, metric: keep(step.outputs.metric) };
    // Success (nothing below throws short of a broken device): the new state is in `next`. Values that are not set
    // buffers (plain-path outputs) are ORT's: free them.
    for (const t of carried(step)) {
      const old = values.get(t.input);
      const b = old?.location === 'gpu-buffer' ? (old.gpuBuffer as unknown) : null;
      if (old && b !== set.get(t.input) && b !== next.get(t.input) && old.location === 'gpu-buffer') old.dispose();
      values.set(t.input, this.wrap(next.get(t.input)!, t.shape));
    }
    this.cur = 1 - this.cur;
    return result;
  }

  async dispose(): Promise<void> {
    await this.flusher.release().catch(() => undefined);
    for (const s of this.sessions) await s.release().catch(() => undefined);
    for (const set of this.sets) for (const b of set.values()) b.destroy();
    for (const i of [...this.inputs.values(), ...this.outputs.values()]) i.buf.destroy();
  }
}
