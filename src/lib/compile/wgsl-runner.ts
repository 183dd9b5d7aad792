/**
 * Runs a compiled step graph on WebGPU through the playground's own kernels (wgsl-plan.ts) instead of ONNX Runtime:
 * the default for the compiled trainer on WebGPU (runner.ts) when every op of the step is in the kernel table.
 *
 * One run = one command buffer: the carried state (flat parameters, optimizer state) is copied into the arena, x, y,
 * lr and the masks are written into it, every kernel is dispatched in one compute pass (WebGPU orders dispatches and
 * makes each one's writes visible to the next), the new state is copied out to the state buffers and the loss and
 * metric into fresh buffers read only by `readLosses`. Nothing is read back during training.
 *
 * The carried values stay ORT tensors (`Tensor.fromGpuBuffer` with a download function) so that the trainer's
 * getWeights / getOptimizerState read them as before. The device is one of our own (made once per worker): while
 * the kernels run the step, no ORT session touches these buffers.
 */
import type * as OrtNs from 'onnxruntime-web';
import { bufBytes, carried, MAP_READ, readBuffer, sizeOf, USAGE } from './graph-capture';
import type { CompiledStep } from './train-step';
import { planWgsl, type WgslPlan } from './wgsl-plan';
import type { OrtModule } from './runner';

type Tensor = OrtNs.Tensor;

/** The WebGPU members used here (the project does not depend on @webgpu/types). */
interface GpuBuf {
  size: number;
  mapAsync(mode: number, offset?: number, size?: number): Promise<void>;
  getMappedRange(offset?: number, size?: number): ArrayBuffer;
  unmap(): void;
  destroy(): void;
}
interface Pass {
  setPipeline(p: unknown): void;
  setBindGroup(i: number, g: unknown): void;
  dispatchWorkgroups(x: number, y?: number): void;
  end(): void;
}
interface Encoder {
  copyBufferToBuffer(a: GpuBuf, ao: number, b: GpuBuf, bo: number, size: number): void;
  beginComputePass(): Pass;
  finish(): unknown;
}
interface ShaderModule {
  getCompilationInfo(): Promise<{ messages: readonly { type: string; message: string; lineNum: number }[] }>;
}
interface Pipeline {
  getBindGroupLayout(i: number): unknown;
}
export interface GpuDevice {
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  createBuffer(d: { size: number; usage: number }): GpuBuf;
  createCommandEncoder(): Encoder;
  createShaderModule(d: { code: string }): ShaderModule;
  createComputePipelineAsync(d: { layout: 'auto'; compute: { module: ShaderModule; entryPoint: string } }): Promise<Pipeline>;
  createBindGroup(d: { layout: unknown; entries: { binding: number; resource: { buffer: GpuBuf; offset?: number; size?: number } }[] }): unknown;
  pushErrorScope(filter: string): void;
  popErrorScope(): Promise<{ message: string } | null>;
  queue: { writeBuffer(b: GpuBuf, offset: number, data: ArrayBufferView): void; submit(cmds: unknown[]): void; onSubmittedWorkDone(): Promise<void> };
  lost: Promise<{ message: string }>;
}

let ownDevice: Promise<GpuDevice> | null = null;
/** Compiled pipelines by kernel source, per device. */
const pipelineCache = new WeakMap<GpuDevice, Map<string, Promise<Pipeline>>>();

/** The WebGPU device of the kernels (one per worker, made on first use, made again after a loss). */
function kernelDevice(): Promise<GpuDevice> {
  ownDevice ??= (async () => {
    const gpu = (globalThis.navigator as unknown as { gpu?: { requestAdapter(): Promise<{ limits: Record<string, number>; requestDevice(d?: object): Promise<GpuDevice> } | null> } }).gpu;
    if (!gpu) throw new Error('this browser has no WebGPU (navigator.gpu)');
    const adapter = await gpu.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter');
    const device = await adapter.requestDevice({
      requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize }
    });
    void device.lost.then(() => (ownDevice = null));
    return device;
  })();
  ownDevice.catch(() => (ownDevice = null));
  return ownDevice;
}

/**
 * The losses and metrics of successive runs, appended to one mappable buffer until it is read: readLosses after 8 runs
 * maps once, not 16 times (each map waits a round trip to the GPU: ~2.8 ms on SwiftShader, whatever the size).
 */
interface LogSegment {
  buf: GpuBuf;
  used: number;
  read: Promise<Float32Array> | null;
}
const LOG_FLOATS = 4096;

function readSegment(seg: LogSegment): Promise<Float32Array> {
  seg.read ??= (async () => {
    const bytes = Math.max(4, seg.used * 4);
    await seg.buf.mapAsync(MAP_READ, 0, bytes);
    const out = new Float32Array(seg.buf.getMappedRange(0, bytes).slice(0));
    seg.buf.unmap();
    seg.buf.destroy();
    return out;
  })();
  return seg.read;
}

export class WgslStep {
  /** Kernels (dispatches) per run. */
  readonly dispatches: number;
  /** The loss log's open segment (see `keep` in `run`). */
  private log: LogSegment | null = null;
  private constructor(
    private ort: OrtModule,
    private device: GpuDevice,
    private step: CompiledStep,
    readonly plan: WgslPlan,
    private arena: GpuBuf,
    private offsets: GpuBuf,
    private pipelines: Pipeline[],
    private bindGroups: unknown[],
    /** The state buffers: carried input name → buffer holding its current value after a run. */
    private state: Map<string, GpuBuf>
  ) {
    this.dispatches = plan.kernels.length;
  }

  /** Plan the step's kernels (throws UnsupportedGraph for an op outside the table), compile them, check them once. */
  static async create(ort: OrtModule, step: CompiledStep): Promise<WgslStep> {
    const device = await kernelDevice();
    const maxElems = Math.floor(Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize) / 4);
    const plan = planWgsl(step.model, { maxArena: maxElems });
    device.pushErrorScope('validation');
    const arena = device.createBuffer({ size: Math.max(16, plan.arenaSize * 4), usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST });
    for (const c of plan.constants) device.queue.writeBuffer(arena, c.offset * 4, c.data);
    // Each kernel's arena offsets, in a slot of its own (storage bindings start at multiples of 256 bytes).
    const stride = Math.ceil((Math.max(1, ...plan.kernels.map((k) => k.offsets.length)) * 4) / 256) * 256;
    const offsets = device.createBuffer({ size: Math.max(256, plan.kernels.length * stride), usage: USAGE.STORAGE | USAGE.COPY_DST });
    const table = new Uint32Array((plan.kernels.length * stride) / 4);
    plan.kernels.forEach((k, i) => table.set(k.offsets, (i * stride) / 4));
    device.queue.writeBuffer(offsets, 0, table);
    // Kernels with the same source (the K unrolled steps, an RNN's time steps: only their offsets differ) share a
    // pipeline: a software GPU spends ~20 ms compiling each one.
    // Per device, across steps: the K = 1 step that runs an epoch's last batches reuses the K-step's pipelines.
    const cache = pipelineCache.get(device) ?? new Map<string, Promise<Pipeline>>();
    pipelineCache.set(device, cache);
    const modules = new Map<string, ShaderModule>();
    const pipelines = await Promise.all(
      plan.kernels.map((k) => {
        let p = cache.get(k.wgsl);
        if (!p) {
          const module = device.createShaderModule({ code: k.wgsl });
          modules.set(k.wgsl, module);
          p = device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
          cache.set(k.wgsl, p);
          p.catch(() => cache.delete(k.wgsl));
        }
        return p;
      })
    ).catch(async (e) => {
      for (const [code, m] of modules) {
        const info = await m.getCompilationInfo();
        const err = info.messages.find((x) => x.type === 'error');
        if (err) throw new Error(`a kernel did not compile: ${err.message} (line ${err.lineNum} of\n${code})`);
      }
      throw e;
    });
    const bindGroups = pipelines.map((p, i) =>
      device.createBindGroup({
        layout: p.getBindGroupLayout(0),
        entries: [
          { binding: 0, resource: { buffer: arena } },
          { binding: 1, resource: { buffer: offsets, offset: i * stride, size: stride } }
        ]
      })
    );
    const state = new Map<string, GpuBuf>();
    for (const t of carried(step)) state.set(t.input, device.createBuffer({ size: bufBytes(t.shape), usage: USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST }));
    const self = new WgslStep(ort, device, step, plan, arena, offsets, pipelines, bindGroups, state);
    // One dry run over the arena as it is (no state copied in or out): a kernel WebGPU rejects shows up here.
    const enc = device.createCommandEncoder();
    self.encode(enc);
    device.queue.submit([enc.finish()]);
    const error = await device.popErrorScope();
    if (error) {
      self.dispose();
      throw new Error(`WebGPU rejected a kernel: ${error.message}`);
    }
    return self;
  }

  private encode(enc: Encoder): void {
    const pass = enc.beginComputePass();
    this.plan.kernels.forEach((k, i) => {
      pass.setPipeline(this.pipelines[i]);
      pass.setBindGroup(0, this.bindGroups[i]);
      pass.dispatchWorkgroups(k.groups[0], k.groups[1]);
    });
    pass.end();
  }

  /** A state buffer as the trainer's ORT tensor (read back on demand; the buffer stays ours). */
  private wrap(buf: GpuBuf, shape: number[]): Tensor {
    return this.ort.Tensor.fromGpuBuffer(buf as unknown as OrtNs.Tensor.GpuBufferType, {
      dataType: 'float32',
      dims: shape,
      download: () => readBuffer(this.device as unknown as Parameters<typeof readBuffer>[0], buf, sizeOf(shape))
    }) as Tensor;
  }

  /** One run (K steps): `values` (the carried state, as the trainer holds it) are replaced by the new ones. */
  async run(values: Map<string, Tensor>, host: Map<string, Float32Array>): Promise<{ loss: Tensor; metric: Tensor | null }> {
    const { device, plan, step } = this;
    const enc = device.createCommandEncoder();
    for (const t of carried(step)) {
      const v = values.get(t.input);
      if (!v) throw new Error(`no value for ${t.input}`);
      const at = plan.inputs.get(t.input)!.offset * 4;
      if (v.location === 'gpu-buffer') enc.copyBufferToBuffer(v.gpuBuffer as unknown as GpuBuf, 0, this.arena, at, sizeOf(t.shape) * 4);
      else device.queue.writeBuffer(this.arena, at, v.data as Float32Array);
    }
    for (const [name, data] of host) {
      const i = plan.inputs.get(name);
      if (!i) throw new Error(`the step has no input ${name}`);
      device.queue.writeBuffer(this.arena, i.offset * 4, data);
    }
    this.encode(enc);
    for (const t of carried(step)) enc.copyBufferToBuffer(this.arena, plan.outputs.get(t.output)!.offset * 4, this.state.get(t.input)!, 0, sizeOf(t.shape) * 4);
    // Loss and metric: copied into the open segment of the loss log; reading any of them maps the whole segment once.
    const keep = (name: string | null): Tensor | null => {
      if (!name) return null;
      const o = plan.outputs.get(name)!;
      const n = sizeOf(o.shape);
      if (!this.log || this.log.read || this.log.used + n > LOG_FLOATS) this.log = { buf: device.createBuffer({ size: LOG_FLOATS * 4, usage: USAGE.MAP_READ | USAGE.COPY_DST }), used: 0, read: null };
      const seg = this.log;
      const at = seg.used;
      seg.used += n;
      enc.copyBufferToBuffer(this.arena, o.offset * 4, seg.buf, at * 4, n * 4);
      return this.ort.Tensor.fromGpuBuffer(seg.buf as unknown as OrtNs.Tensor.GpuBufferType, {
        dataType: 'float32',
        dims: o.shape,
        download: async () => (await readSegment(seg)).slice(at, at + n)
      }) as Tensor;
    };
    const result = { loss: keep(step.outputs.loss)!, metric: keep(step.outputs.metric) };
    device.queue.submit([enc.finish()]);
    for (const t of carried(step)) {
      const old = values.get(t.input);
      if (old && old.location === 'gpu-buffer' && (old.gpuBuffer as unknown) !== this.state.get(t.input)) old.dispose();
      values.set(t.input, this.wrap(this.state.get(t.input)!, t.shape));
    }
    return result;
  }

  dispose(): void {
    if (this.log && !this.log.read) this.log.buf.destroy();
    this.arena.destroy();
    this.offsets.destroy();
    for (const b of this.state.values()) b.destroy();
  }
}
