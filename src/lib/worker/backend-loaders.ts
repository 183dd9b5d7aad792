/**
 * How a worker loads and describes the TF.js backends that TF.js does not bundle (wasm, webgpu). Shared by the
 * training worker and the benchmark worker, so the race runs exactly what the app runs. Worker-side only: it
 * takes the worker's TF.js namespace and imports the backend packages on demand.
 */
import { probeWebGpu, type BackendLoaders, type BackendName } from '$lib/engines/backend';
import type { Tfjs } from '$lib/layers/types';
import { registerTrainingKernels, registerWasmTrainingKernels } from '$lib/engines/tfjs/kernels';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';

export function createBackendLoaders(tf: Tfjs): BackendLoaders {
  // Fast cpu gradients for Conv2D/pooling, and the Conv2DBackpropFilter kernel wasm lacks (CNNs train on wasm).
  registerTrainingKernels(tf);
  let wasmModule: typeof import('@tensorflow/tfjs-backend-wasm') | null = null;
  return {
    async load(name: BackendName) {
      if (name === 'wasm' && !wasmModule) {
        wasmModule = await import('@tensorflow/tfjs-backend-wasm');
        // Now that the package's kernels are registered: faster Conv2DBackpropInput and MaxPoolGrad replace them.
        registerWasmTrainingKernels(tf);
        // A file map (not setWasmPath) keeps TF.js free to pick the threaded SIMD build.
        wasmModule.setWasmPaths({
          'tfjs-backend-wasm.wasm': wasmPlain,
          'tfjs-backend-wasm-simd.wasm': wasmSimd,
          'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd
        });
        // TF.js caps XNNPACK threads at hardwareConcurrency / 2 (at most 8; see tfjs-backend-wasm's backend.cc).
        // Where that cap is 1, the threaded build would only start 8 idle pthread workers: use plain SIMD instead.
        const cores = navigator.hardwareConcurrency || 1;
        if (Math.floor(cores / 2) <= 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
        wasmModule.setThreadsCount(Math.min(8, Math.max(1, Math.floor(cores / 2))));
      }
      if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
    },
    async adapterInfo() {
      const gpu = await probeWebGpu();
      return 'adapter' in gpu ? gpu.adapter : undefined;
    },
    async wasmInfo() {
      return {
        simd: Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')),
        threadsSupported: Boolean(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
        threads: wasmModule ? wasmModule.getThreadsCount() : 1,
        logicalCores: navigator.hardwareConcurrency || 1
      };
    }
  };
}
