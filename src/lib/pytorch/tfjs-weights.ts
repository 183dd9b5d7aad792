/**
 * The weights of a TF.js layers-model export (model.json + the weights shard, what the worker's `exportModel` returns
 * for the trained model or a fresh one) as a `WeightMap`: node id → Keras weight name → shape + float32 data. The
 * manifest names weights `layer/weight` (their original Keras names), in the shard's order.
 */
import type { WeightMap } from '$lib/onnx/export';

export function weightsFromTfjsFiles(files: readonly { name: string; data: Uint8Array }[]): WeightMap {
  const json = files.find((f) => f.name.endsWith('.json'));
  if (!json) throw new Error('the TF.js export has no model.json');
  const manifest = (JSON.parse(new TextDecoder().decode(json.data)) as { weightsManifest: { paths: string[]; weights: { name: string; shape: number[]; dtype: string }[] }[] }).weightsManifest;
  const out: WeightMap = {};
  for (const group of manifest) {
    const parts = group.paths.map((p) => files.find((f) => f.name === p)?.data);
    if (parts.some((p) => !p)) throw new Error(`the TF.js export lacks ${group.paths.join(', ')}`);
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p!.byteLength, 0));
    let at = 0;
    for (const p of parts) (bytes.set(p!, at), (at += p!.byteLength));
    let offset = 0;
    for (const w of group.weights) {
      if (w.dtype !== 'float32') throw new Error(`weight ${w.name} is ${w.dtype}, not float32`);
      const n = w.shape.reduce((a, b) => a * b, 1);
      const data = new Float32Array(bytes.slice(offset, offset + 4 * n).buffer);
      offset += 4 * n;
      const slash = w.name.indexOf('/'); // node ids have no '/'; weight names may (Bidirectional's forward_lstm/kernel)
      const node = w.name.slice(0, slash);
      (out[node] ??= {})[w.name.slice(slash + 1)] = { shape: w.shape, data };
    }
  }
  return out;
}
