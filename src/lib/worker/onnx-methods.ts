/**
 * The training worker's ONNX side: the current (trained) model — or, with none, the spec built with its seed —
 * exported to .onnx bytes, its TF.js predictions for the comparison with ONNX Runtime, and one conformance case
 * (seeded random weights and inputs → TF.js outputs + the exported file). Pure over an injected TF.js, like
 * session.ts, so vitest runs it in-process.
 */
import { Rng } from '$lib/data/rng';
import { resolveBackend, type BackendLoaders, type BackendName } from '$lib/engines/backend';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { exportOnnxBytes } from '$lib/onnx/export';
import type { Tfjs } from '$lib/layers/types';
import type { ModelSpec } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';

export interface OnnxExportRequest {
  /** The Keras program (stored in the file's metadata). */
  source?: string;
  producerVersion?: string;
}

export interface NamedTensor {
  name: string;
  dims: number[];
  data: Float32Array;
}

export interface PredictResult {
  /** The first output, all rows. */
  data: Float32Array;
  shape: number[];
  /** Median ms of one `predict` + read-back of a batch (after one warm-up batch). */
  msPerBatch: number;
  batches: number;
  backend: string;
  trained: boolean;
}

export interface ConformanceRun {
  onnx: Uint8Array;
  inputs: NamedTensor[];
  outputs: NamedTensor[];
  backend: string;
}

export interface PredictOptions {
  /** Rows per `predict` call (default 256). */
  batchSize?: number;
  /** With no trained model in the worker: the TF.js backend to start (with the app's fallback); default: as is. */
  backend?: BackendName;
}

export interface OnnxMethods {
  exportOnnx(spec: ModelSpec, seed: number, opts?: OnnxExportRequest): Promise<{ data: Uint8Array; trained: boolean }>;
  predict(spec: ModelSpec, seed: number, x: Float32Array, xShape: number[], opts?: PredictOptions): Promise<PredictResult>;
  /** `ids[i]`: input i takes token ids, drawn in [0, ids[i]) (an int32 input; see `inputVocabularies`). */
  conformanceCase(spec: ModelSpec, seed: number, rows: number, backend?: BackendName, ids?: (number | undefined)[]): Promise<ConformanceRun>;
}

export function createOnnxMethods(tf: Tfjs, current: () => TF.LayersModel | null, loaders?: BackendLoaders): OnnxMethods {
  /** Starts the requested backend when no model holds one (a trained model stays on the backend it trained on). */
  async function ensureBackend(backend?: BackendName) {
    if (!backend || current() || !loaders || tf.getBackend() === backend) return;
    await resolveBackend(tf, backend, loaders);
  }

  /** Runs `f` on the current model, or on a fresh one of `spec` with `seed` (disposed after). */
  async function withModel<T>(spec: ModelSpec, seed: number, f: (m: TF.LayersModel, trained: boolean) => Promise<T>): Promise<T> {
    const m = current();
    if (m) return f(m, true);
    const fresh = buildModel(tf, spec, seed);
    try {
      return await f(fresh, false);
    } finally {
      fresh.optimizer?.dispose();
      fresh.dispose();
    }
  }

  return {
    exportOnnx(spec, seed, opts = {}) {
      return withModel(spec, seed, async (m, trained) => {
        const weights = readTfjsWeights(m, spec);
        const data = exportOnnxBytes(spec, weights, { source: opts.source, producerVersion: opts.producerVersion, seed: trained ? undefined : seed });
        return { data, trained };
      });
    },

    async predict(spec, seed, x, xShape, opts = {}) {
      const batchSize = opts.batchSize ?? 256;
      await ensureBackend(opts.backend);
      return withModel(spec, seed, async (m, trained) => {
        const rows = xShape[0];
        const per = x.length / rows;
        const size = Math.max(1, Math.min(rows, batchSize));
        const chunks: Float32Array[] = [];
        const times: number[] = [];
        let shape: number[] = [];
        const batches = Math.ceil(rows / size);
        for (let b = 0; b < batches; b++) {
          const r0 = b * size;
          const r1 = Math.min(rows, r0 + size);
          const t0 = performance.now();
          const input = tf.tensor(x.subarray(r0 * per, r1 * per), [r1 - r0, ...xShape.slice(1)]);
          const out = m.predict(input) as TF.Tensor | TF.Tensor[];
          const first = Array.isArray(out) ? out[0] : out;
          const data = (await first.data()) as Float32Array;
          if (b > 0 || batches === 1) times.push(performance.now() - t0);
          shape = [rows, ...first.shape.slice(1)];
          chunks.push(new Float32Array(data));
          tf.dispose([input, ...(Array.isArray(out) ? out : [out])]);
        }
        const data = new Float32Array(chunks.reduce((a, c) => a + c.length, 0));
        let o = 0;
        for (const c of chunks) {
          data.set(c, o);
          o += c.length;
        }
        times.sort((a, b) => a - b);
        return { data, shape, msPerBatch: times[times.length >> 1], batches, backend: tf.getBackend(), trained };
      });
    },

    async conformanceCase(spec, seed, rows, backend, ids = []) {
      await ensureBackend(backend);
      const model = buildModel(tf, spec, seed);
      try {
        randomizeWeights(tf, model, seed);
        const rng = new Rng(seed + 1);
        const inputs: NamedTensor[] = spec.inputs.map((inp, i) => {
          const dims = [rows, ...inp.shape];
          const vocab = ids[i];
          const data = Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => (vocab ? rng.int(vocab) : rng.uniform(-1, 1)));
          return { name: inp.name || inp.id, dims, data };
        });
        const xs = inputs.map((t) => tf.tensor(t.data, t.dims));
        const out = model.predict(xs.length === 1 ? xs[0] : xs) as TF.Tensor | TF.Tensor[];
        const outs = Array.isArray(out) ? out : [out];
        const outputs: NamedTensor[] = [];
        for (let i = 0; i < outs.length; i++) {
          outputs.push({ name: spec.outputs[i], dims: [...outs[i].shape], data: new Float32Array((await outs[i].data()) as Float32Array) });
        }
        tf.dispose([...xs, ...outs]);
        const onnx = exportOnnxBytes(spec, readTfjsWeights(model, spec), { seed });
        return { onnx, inputs, outputs, backend: tf.getBackend() };
      } finally {
        model.optimizer?.dispose();
        model.dispose();
      }
    }
  };
}
