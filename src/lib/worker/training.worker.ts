/// <reference lib="webworker" />
/**
 * The training worker: loads TF.js (only here, never on the UI thread), registers the extra backends on
 * demand, and exposes the session API through comlink.
 */
import * as tf from '@tensorflow/tfjs';
import * as Comlink from 'comlink';
import { createBackendLoaders } from '$lib/worker/backend-loaders';
import { createSession } from './session';

const loaders = createBackendLoaders(tf);

const session = createSession({ tf, loaders, transfer: Comlink.transfer });

Comlink.expose({
  train: (request, onEvents) => session.train(request, onEvents),
  pause: () => session.pause(),
  resume: () => session.resume(),
  stop: () => session.stop(),
  reset: () => session.reset(),
  exportModel: async (spec, seed) => {
    const result = await session.exportModel(spec, seed);
    return Comlink.transfer(result, result.files.map((f) => f.data.buffer as ArrayBuffer));
  }
} satisfies import('./protocol').TrainingApi);
