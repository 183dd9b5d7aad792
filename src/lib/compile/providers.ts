/** Which ONNX Runtime execution provider the compiled step uses for the TF.js backend chosen in the app (UI-safe: no ORT). */
export type CompiledProvider = 'wasm' | 'webgpu';

export function compiledProviderFor(backend: string): { provider: CompiledProvider; note: string | null } {
  if (backend === 'webgpu') return { provider: 'webgpu', note: null };
  if (backend === 'wasm') return { provider: 'wasm', note: null };
  return {
    provider: 'wasm',
    note: `ONNX Runtime Web has no ${backend === 'cpu' ? 'plain-JavaScript CPU' : 'WebGL training'} path: the compiled step runs on ONNX Runtime's WASM provider (WebGPU if you choose WebGPU).`
  };
}
