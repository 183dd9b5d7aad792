/**
 * Test-only speed-ups for TF.js' cpu backend. Its gradient kernels for Conv2D's kernel (Conv2DBackpropFilter),
 * MaxPooling2D (MaxPoolGrad) and AveragePooling2D (AvgPoolGrad) index through `TensorBuffer.get(b, r, c, d)` per
 * element: a batch of 64 digits through examples/digits_cnn.py takes about 9 s, far too slow for unit tests. These
 * are the same sums over flat typed arrays (channels-last, no dilation), registered in place of the cpu kernels for
 * the test process; `fast-conv-grad.test.ts` checks each against TF.js' own. Anything else falls back to the
 * original kernel.
 */
import type * as TF from '@tensorflow/tfjs';

type Tfjs = typeof TF;

interface CpuBackend {
  data: { get(id: object): { values: Float32Array } };
  makeTensorInfo(shape: number[], dtype: string, values: Float32Array): TF.TensorInfo;
}

type Pair = number | [number, number];
type Pad = 'valid' | 'same' | number;
type Rounding = 'floor' | 'round' | 'ceil' | undefined;

function conv2DBackpropFilter(tf: Tfjs, original: TF.KernelConfig): TF.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: TF.TensorInfo; dy: TF.TensorInfo };
    const a = args.attrs as unknown as { strides: Pair; pad: Pad; dataFormat: 'NHWC' | 'NCHW'; dimRoundingMode?: Rounding; filterShape: [number, number, number, number] };
    if (a.dataFormat !== 'NHWC' || typeof a.pad === 'object') return original.kernelFunc(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode, false, 'channelsLast');
    const backend = args.backend as unknown as CpuBackend;
    const xv = backend.data.get(x.dataId).values;
    const dyv = backend.data.get(dy.dataId).values;
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
    return backend.makeTensorInfo([FH, FW, C, K], 'float32', Float32Array.from(dw));
  };
}

/** MaxPoolGrad (`max`) and AvgPoolGrad (`avg`): dy of each window goes to its first maximum, or spread evenly. */
function poolGrad(tf: Tfjs, kind: 'max' | 'avg'): TF.KernelFunc {
  return (args) => {
    const { dy, input } = args.inputs as { dy: TF.TensorInfo; input: TF.TensorInfo };
    const a = args.attrs as unknown as { filterSize: Pair; strides: Pair; pad: Pad; dimRoundingMode?: Rounding };
    const info = tf.backend_util.computePool2DInfo(input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
    const backend = args.backend as unknown as CpuBackend;
    const xv = backend.data.get(input.dataId).values;
    const dyv = backend.data.get(dy.dataId).values;
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
    return backend.makeTensorInfo(input.shape, 'float32', dx);
  };
}

/** Replaces the three slow cpu kernels; returns a function that puts the originals back. */
export function useFastCpuGradients(tf: Tfjs): () => void {
  const originals = ['Conv2DBackpropFilter', 'MaxPoolGrad', 'AvgPoolGrad'].map((name) => {
    const k = tf.getKernel(name, 'cpu');
    if (!k) throw new Error(`no cpu kernel ${name} to replace`);
    return k;
  });
  const fast: TF.KernelFunc[] = [conv2DBackpropFilter(tf, originals[0]), poolGrad(tf, 'max'), poolGrad(tf, 'avg')];
  originals.forEach((k, i) => {
    tf.unregisterKernel(k.kernelName, 'cpu');
    tf.registerKernel({ kernelName: k.kernelName, backendName: 'cpu', kernelFunc: fast[i] });
  });
  return () => {
    for (const k of originals) {
      tf.unregisterKernel(k.kernelName, 'cpu');
      tf.registerKernel(k);
    }
  };
}
