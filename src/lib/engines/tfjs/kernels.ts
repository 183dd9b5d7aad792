/**
 * Extra TF.js kernels that make convolutional models trainable, fast, on the CPU and WASM backends.
 *
 * - WASM: TF.js 4.22's wasm backend has no `Conv2DBackpropFilter` kernel (the gradient of a Conv2D layer's kernel),
 *   so a CNN could not train on it at all. `registerWasmTrainingKernels` adds one: dW = im2col(x)ᵀ · dy, the
 *   transposed patch matrix built in JS from the input read off the wasm heap (`readSync`), written back with the backend's
 *   `makeOutput`, and multiplied by the backend's own BatchMatMul (XNNPACK). (The native Conv3DBackpropFilterV2 seen
 *   as depth 1 was tried: ~6× slower, and its sums are wrong for strides > 1.) Its native Conv2DBackpropInput and
 *   MaxPoolGrad are replaced too, by the same matrix product + JS scatter and by the JS pooling gradient: for
 *   examples/digits_cnn.py (batch 64) a training step drops from ~360 ms to ~70 ms in node (tf.profile).
 *   kernels.test.ts checks every one against the cpu backend.
 * - CPU: TF.js' cpu kernels for `Conv2DBackpropFilter`, `MaxPoolGrad` and `AvgPoolGrad` index element by element
 *   through `TensorBuffer.get(b, r, c, d)`: a batch of 64 digits through examples/digits_cnn.py takes seconds.
 *   `useFastCpuGradients` replaces them with the same sums over flat typed arrays (channels-last, no dilation;
 *   anything else falls back to the original kernel).
 *
 * `kernels.test.ts` checks every kernel here against TF.js' own (cpu) gradients. `registerTrainingKernels` is what the
 * app calls: in the training and benchmark workers (through backend-loaders.ts) and in node (CLI, tests).
 */
import type * as TF from '@tensorflow/tfjs';

type Tfjs = typeof TF;

interface CpuBackend {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TF.TensorInfo;
}

interface WasmBackend {
  readSync(dataId: object): Float32Array;
  disposeData(dataId: object, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: Float32Array): TF.TensorInfo;
}

type Pair = number | [number, number];
type Pad = 'valid' | 'same' | number | unknown;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

interface FilterGradAttrs {
  strides: Pair;
  pad: Pad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: Rounding;
  filterShape: [number, number, number, number];
}

/**
 * dW[fr, fc, c, k] = Σ_{b, yr, yc} x[b, yr·SH + fr − top, yc·SW + fc − left, c] · dy[b, yr, yc, k], channels last.
 * Summed in float64 for stability, returned as float32.
 */
export function conv2dFilterGrad(xv: ArrayLike<number>, dyv: ArrayLike<number>, info: TF.backend_util.Conv2DInfo): Float32Array {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: K, filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const { top, left } = info.padInfo;
  const dw = new Float64Array(FH * FW * C * K);
  for (let b = 0; b < B; b++) {
    for (let yr = 0; yr < OH; yr++) {
      for (let yc = 0; yc < OW; yc++) {
        const dyo = ((b * OH + yr) * OW + yc) * K;
        for (let fr = 0; fr < FH; fr++) {
          const xr = yr * SH + fr - top;
          if (xr < 0 || xr >= H) continue;
          for (let fc = 0; fc < FW; fc++) {
            const xc = yc * SW + fc - left;
            if (xc < 0 || xc >= W) continue;
            const xo = ((b * H + xr) * W + xc) * C;
            const wo = (fr * FW + fc) * C * K;
            for (let c = 0; c < C; c++) {
              const xval = xv[xo + c];
              if (xval === 0) continue;
              const o = wo + c * K;
              for (let k = 0; k < K; k++) dw[o + k] += xval * dyv[dyo + k];
            }
          }
        }
      }
    }
  }
  return Float32Array.from(dw);
}

function filterGradInfo(tf: Tfjs, x: TF.TensorInfo, a: FilterGradAttrs) {
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad as 'valid' | 'same' | number,
    a.dimRoundingMode,
    false,
    'channelsLast'
  );
}

function cpuConv2DBackpropFilter(tf: Tfjs, original: TF.KernelConfig): TF.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: TF.TensorInfo; dy: TF.TensorInfo };
    const a = args.attrs as unknown as FilterGradAttrs;
    if (a.dataFormat !== 'NHWC' || typeof a.pad === 'object') return original.kernelFunc(args);
    const backend = args.backend as unknown as CpuBackend;
    const dw = conv2dFilterGrad(backend.data.get(x.dataId).values, backend.data.get(dy.dataId).values, filterGradInfo(tf, x, a));
    return backend.makeTensorInfo([...a.filterShape], 'float32', dw);
  };
}

/**
 * Patches of x, transposed: row (fr, fc, c), column (b, yr, yc) → x[b, yr·SH + fr − top, yc·SW + fc − left, c] (0
 * outside). Transposed so that dW = patches · dy needs no transposition in the matrix product.
 */
export function im2colT(xv: ArrayLike<number>, info: TF.backend_util.Conv2DInfo): Float32Array {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const { top, left } = info.padInfo;
  const rows = B * OH * OW;
  const out = new Float32Array(rows * FH * FW * C);
  for (let fr = 0; fr < FH; fr++) {
    for (let fc = 0; fc < FW; fc++) {
      for (let c = 0; c < C; c++) {
        const base = ((fr * FW + fc) * C + c) * rows;
        let p = 0;
        for (let b = 0; b < B; b++) {
          for (let yr = 0; yr < OH; yr++) {
            const xr = yr * SH + fr - top;
            const rowOk = xr >= 0 && xr < H;
            const xrow = (b * H + xr) * W;
            for (let yc = 0; yc < OW; yc++, p++) {
              const xc = yc * SW + fc - left;
              if (rowOk && xc >= 0 && xc < W) out[base + p] = xv[(xrow + xc) * C + c];
            }
          }
        }
      }
    }
  }
  return out;
}

/** Largest im2col matrix (floats) the wasm kernel builds; bigger convolutions take the direct JS loop. */
const MAX_PATCH_FLOATS = 64 * 1024 * 1024;

/**
 * Conv2DBackpropFilter for the wasm backend (which has none): dW = im2col(x)ᵀ · dy, the patches built in JS and the
 * product run by the backend's own BatchMatMul (XNNPACK). Very large patch matrices fall back to the direct loop.
 */
export function wasmConv2DBackpropFilter(tf: Tfjs): TF.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: TF.TensorInfo; dy: TF.TensorInfo };
    const a = args.attrs as unknown as FilterGradAttrs;
    if (a.dataFormat !== 'NHWC') throw new Error("Conv2DBackpropFilter on wasm supports only dataFormat 'NHWC' (channels last)");
    if (x.dtype !== 'float32' || dy.dtype !== 'float32') throw new Error(`Conv2DBackpropFilter on wasm needs float32 tensors, got ${x.dtype} and ${dy.dtype}`);
    const backend = args.backend as unknown as WasmBackend;
    const info = filterGradInfo(tf, x, a);
    const rows = info.batchSize * info.outHeight * info.outWidth;
    const cols = info.filterHeight * info.filterWidth * info.inChannels;
    const matMul = tf.getKernel('BatchMatMul', 'wasm');
    if (matMul && rows * cols <= MAX_PATCH_FLOATS) {
      const patches = backend.makeOutput([1, cols, rows], 'float32', undefined, im2colT(backend.readSync(x.dataId), info));
      try {
        const out = matMul.kernelFunc({
          inputs: { a: patches, b: { ...dy, shape: [1, rows, info.outChannels] } },
          backend: args.backend,
          attrs: { transposeA: false, transposeB: false } as unknown as TF.NamedAttrMap
        }) as TF.TensorInfo;
        return { ...out, shape: [...a.filterShape] };
      } finally {
        backend.disposeData(patches.dataId);
      }
    }
    const dw = conv2dFilterGrad(backend.readSync(x.dataId), backend.readSync(dy.dataId), info);
    return backend.makeOutput([...a.filterShape], 'float32', undefined, dw);
  };
}

type PoolAttrs = { filterSize: Pair; strides: Pair; pad: Pad; dimRoundingMode?: Rounding };

/** MaxPoolGrad (`max`) and AvgPoolGrad (`avg`): dy of each window goes to its first maximum, or spread evenly. */
export function poolGradValues(kind: 'max' | 'avg', xv: ArrayLike<number>, dyv: ArrayLike<number>, info: TF.backend_util.Conv2DInfo): Float32Array {
  const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
  const { top, left } = info.padInfo;
  const dx = new Float32Array(B * H * W * C);
  const mult = 1 / (FH * FW);
  for (let b = 0; b < B; b++) {
    for (let yr = 0; yr < OH; yr++) {
      const r0 = Math.max(0, yr * SH - top);
      const r1 = Math.min(H, yr * SH - top + FH);
      for (let yc = 0; yc < OW; yc++) {
        const c0 = Math.max(0, yc * SW - left);
        const c1 = Math.min(W, yc * SW - left + FW);
        for (let d = 0; d < C; d++) {
          const g = dyv[((b * OH + yr) * OW + yc) * C + d];
          if (kind === 'avg') {
            for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) dx[((b * H + r) * W + c) * C + d] += g * mult;
            continue;
          }
          let best = -Infinity;
          let at = -1;
          for (let r = r0; r < r1; r++) {
            for (let c = c0; c < c1; c++) {
              const i = ((b * H + r) * W + c) * C + d;
              if (xv[i] > best) {
                best = xv[i];
                at = i;
              }
            }
          }
          if (at >= 0) dx[at] += g;
        }
      }
    }
  }
  return dx;
}

function poolInfo(tf: Tfjs, input: TF.TensorInfo, a: PoolAttrs) {
  return tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad as 'valid' | 'same' | number, a.dimRoundingMode);
}

/** MaxPoolGrad / AvgPoolGrad on cpu over flat arrays. */
function cpuPoolGrad(tf: Tfjs, kind: 'max' | 'avg', original: TF.KernelConfig): TF.KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: TF.TensorInfo; input: TF.TensorInfo };
    const a = args.attrs as unknown as PoolAttrs;
    if (typeof a.pad === 'object') return original.kernelFunc(args);
    const backend = args.backend as unknown as CpuBackend;
    const dx = poolGradValues(kind, backend.data.get(input.dataId).values, backend.data.get(dy.dataId).values, poolInfo(tf, input, a));
    return backend.makeTensorInfo(input.shape, 'float32', dx);
  };
}

/** MaxPoolGrad on wasm in JS (the native one is several times slower for the examples' shapes). */
function wasmMaxPoolGrad(tf: Tfjs, original: TF.KernelConfig): TF.KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: TF.TensorInfo; input: TF.TensorInfo };
    const a = args.attrs as unknown as PoolAttrs;
    if (typeof a.pad === 'object' || input.dtype !== 'float32') return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    const dx = poolGradValues('max', backend.readSync(input.dataId), backend.readSync(dy.dataId), poolInfo(tf, input, a));
    return backend.makeOutput([...input.shape], 'float32', undefined, dx);
  };
}

/**
 * Conv2DBackpropInput on wasm: dx = col2im(dy · Wᵀ), the product by the backend's BatchMatMul (XNNPACK), the
 * scatter-add in JS. Falls back to the native kernel for very large patch matrices.
 */
function wasmConv2DBackpropInput(tf: Tfjs, original: TF.KernelConfig): TF.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: TF.TensorInfo; filter: TF.TensorInfo };
    const a = args.attrs as unknown as { strides: Pair; pad: Pad; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: Rounding; inputShape: [number, number, number, number] };
    const matMul = tf.getKernel('BatchMatMul', 'wasm');
    if (!matMul || a.dataFormat !== 'NHWC' || dy.dtype !== 'float32' || filter.dtype !== 'float32') return original.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(a.inputShape, filter.shape as [number, number, number, number], a.strides, 1, a.pad as 'valid' | 'same' | number, a.dimRoundingMode, false, 'channelsLast');
    const { batchSize: B, inHeight: H, inWidth: W, inChannels: C, outHeight: OH, outWidth: OW, outChannels: K, filterHeight: FH, filterWidth: FW, strideHeight: SH, strideWidth: SW } = info;
    const rows = B * OH * OW;
    const cols = FH * FW * C;
    if (rows * cols > MAX_PATCH_FLOATS) return original.kernelFunc(args);
    const backend = args.backend as unknown as WasmBackend;
    // (rows, K) · Wᵀ (K, cols) → (rows, cols): the gradient of every patch. Wᵀ is small: transposed here, so the
    // product needs no transposition (much faster in the backend).
    const wv = backend.readSync(filter.dataId);
    const wt = new Float32Array(cols * K);
    for (let q = 0; q < cols; q++) for (let k = 0; k < K; k++) wt[k * cols + q] = wv[q * K + k];
    const wT = backend.makeOutput([1, K, cols], 'float32', undefined, wt);
    let pv: Float32Array;
    try {
      const prod = matMul.kernelFunc({
        inputs: { a: { ...dy, shape: [1, rows, K] }, b: wT },
        backend: args.backend,
        attrs: { transposeA: false, transposeB: false } as unknown as TF.NamedAttrMap
      }) as TF.TensorInfo;
      pv = backend.readSync(prod.dataId);
      backend.disposeData(prod.dataId);
    } finally {
      backend.disposeData(wT.dataId);
    }
    const { top, left } = info.padInfo;
    const dx = new Float32Array(B * H * W * C);
    let o = 0;
    for (let b = 0; b < B; b++) {
      for (let yr = 0; yr < OH; yr++) {
        for (let yc = 0; yc < OW; yc++) {
          for (let fr = 0; fr < FH; fr++) {
            const xr = yr * SH + fr - top;
            for (let fc = 0; fc < FW; fc++) {
              const xc = yc * SW + fc - left;
              if (xr < 0 || xr >= H || xc < 0 || xc >= W) {
                o += C;
                continue;
              }
              const xo = ((b * H + xr) * W + xc) * C;
              for (let c = 0; c < C; c++) dx[xo + c] += pv[o++];
            }
          }
        }
      }
    }
    return backend.makeOutput([...a.inputShape], 'float32', undefined, dx);
  };
}

const CPU_KERNELS = ['Conv2DBackpropFilter', 'MaxPoolGrad', 'AvgPoolGrad'] as const;
/** Marks our own kernel functions, so registering twice is a no-op. */
const FAST = Symbol.for('nn-playground.fast-kernel');

function mark(f: TF.KernelFunc): TF.KernelFunc {
  (f as unknown as Record<symbol, boolean>)[FAST] = true;
  return f;
}

function isOurs(k: TF.KernelConfig | undefined): boolean {
  return Boolean(k && (k.kernelFunc as unknown as Record<symbol, boolean>)[FAST]);
}

/** Replaces the three slow cpu gradient kernels; returns a function that puts the originals back. Idempotent. */
export function useFastCpuGradients(tf: Tfjs): () => void {
  const current = CPU_KERNELS.map((name) => {
    const k = tf.getKernel(name, 'cpu');
    if (!k) throw new Error(`no cpu kernel ${name} to replace`);
    return k;
  });
  if (current.every(isOurs)) return () => undefined;
  const fast = [cpuConv2DBackpropFilter(tf, current[0]), cpuPoolGrad(tf, 'max', current[1]), cpuPoolGrad(tf, 'avg', current[2])].map(mark);
  current.forEach((k, i) => {
    tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel({ kernelName: k.kernelName, backendName: 'cpu', kernelFunc: fast[i] });
  });
  return () => {
    for (const k of current) {
      tf.unregisterKernel(k.kernelName, 'cpu');
      tf.registerKernel(k);
    }
  };
}

/**
 * Adds Conv2DBackpropFilter to the wasm backend unless it already has one (a future TF.js may ship it), and replaces
 * its Conv2DBackpropInput and MaxPoolGrad with faster ones. Call it after importing `@tensorflow/tfjs-backend-wasm`
 * and before the backend starts (the replacements need the package's kernels registered; calling it earlier only
 * adds Conv2DBackpropFilter, and calling it again later completes it). Returns a function that undoes it (tests).
 */
export function registerWasmTrainingKernels(tf: Tfjs): () => void {
  const undo: (() => void)[] = [];
  if (!tf.getKernel('Conv2DBackpropFilter', 'wasm')) {
    tf.registerKernel({ kernelName: 'Conv2DBackpropFilter', backendName: 'wasm', kernelFunc: mark(wasmConv2DBackpropFilter(tf)) });
    undo.push(() => tf.unregisterKernel('Conv2DBackpropFilter', 'wasm'));
  }
  // Faster replacements, once the wasm backend's own kernels are registered (after importing the package).
  const replace = (name: string, make: (original: TF.KernelConfig) => TF.KernelFunc) => {
    const original = tf.getKernel(name, 'wasm');
    if (!original || isOurs(original)) return;
    tf.unregisterKernel(name, 'wasm');
    tf.registerKernel({ ...original, kernelFunc: mark(make(original)) });
    undo.push(() => {
      tf.unregisterKernel(name, 'wasm');
      tf.registerKernel(original);
    });
  };
  replace('Conv2DBackpropInput', (o) => wasmConv2DBackpropInput(tf, o));
  replace('MaxPoolGrad', (o) => wasmMaxPoolGrad(tf, o));
  return () => undo.reverse().forEach((f) => f());
}

/** Everything above: fast cpu gradients and the missing wasm kernel. Safe to call more than once. */
export function registerTrainingKernels(tf: Tfjs): void {
  useFastCpuGradients(tf);
  registerWasmTrainingKernels(tf);
}
