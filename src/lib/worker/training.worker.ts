/// <reference lib="webworker" />
/**
 * The training worker: loads TF.js (only here, never on the UI thread), registers the extra backends on
 * demand, and exposes the session API through comlink.
 */
import * as tf from '@tensorflow/tfjs';
import * as Comlink from 'comlink';
import { createBackendLoaders } from '$lib/worker/backend-loaders';
import { createSession } from './session';
import { captureOrtLog, loadOrt } from '$lib/onnx/load-ort';

const loaders = createBackendLoaders(tf);

// ONNX Runtime (compiled engine, eager-vs-compiled) is imported only when first used.
const session = createSession({ tf, loaders, transfer: Comlink.transfer, loadOrt, captureOrtLog });

/** Event batches posted to the page (the soak compares them with those the page applied: the message backlog). */
let posted = 0;
/** Read by `npm run soak` (scripts/soak.ts) through the browser's worker inspection: TF.js memory and messages posted. */
(self as unknown as { __nnStats: () => object }).__nnStats = () => ({ tensors: tf.memory().numTensors, bytes: tf.memory().numBytes, posted });

Comlink.expose({
  ...session,
  train: (request, onEvents) =>
    session.train(request, (events) => {
      posted++;
      onEvents(events);
    }),
  // The exported files' buffers move to the UI thread instead of being copied.
  exportModel: async (spec, seed) => {
    const result = await session.exportModel(spec, seed);
    return Comlink.transfer(result, result.files.map((f) => f.data.buffer as ArrayBuffer));
  },
  exportOnnx: async (spec, seed, opts) => {
    const result = await session.exportOnnx(spec, seed, opts);
    return Comlink.transfer(result, [result.data.buffer as ArrayBuffer]);
  },
  predict: async (spec, seed, x, xShape, opts) => {
    const result = await session.predict(spec, seed, x, xShape, opts);
    return Comlink.transfer(result, [result.data.buffer as ArrayBuffer]);
  }
} satisfies import('./protocol').TrainingApi);
