/**
 * WebGPU graph capture against eager, in the browser (Node has no WebGPU): the spiral example (Adam, or SGD with
 * `optimizer: 'sgd'`), `steps` batches of 32 in order, trained by TF.js eager on cpu (the app's trainModel) and by the
 * compiled trainer on ORT WebGPU with and without graph capture, from the same weights. Per-step losses of all three,
 * and on the playground's own WebGPU kernels (wgsl-plan.ts), and ms per step of the compiled runs in steady state: the steps after the first 4 runs (each session's first run
 * and capture), losses read back once at the end. Exposed as `window.__captureParity` on
 * /bench for tests/e2e/graph-capture.spec.ts. With `model: 'gru'` (or a `source`), a sequence model on `reverse`
 * instead; `wasm` adds the compiled step on ORT wasm, `placements` lists the step's nodes ORT keeps off WebGPU.
 */
import { bindData } from '$lib/data/bind';
import { makeSequence } from '$lib/data/sequences';
import { makeToy } from '$lib/data/toys';
import { buildModel } from '$lib/engines/tfjs/build';
import { trainModel } from '$lib/engines/tfjs/train';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { EXAMPLES } from '$lib/examples';
import { parseProgram } from '$lib/keras/parse';
import { captureOrtLog, loadOrt } from '$lib/onnx/load-ort';
import { encodeModel } from '$lib/onnx/graph';
import { parsePlacements, type Placement } from '$lib/onnx/ort-run';
import { compileTrainStep } from './train-step';
import { legalizeForWebGpu } from './webgpu-legalize';
import { inferShapes } from '$lib/spec/shape';
import { CompiledTrainer } from './runner';

export interface ParityRun {
  losses: number[];
  capture: { active: boolean; error: string };
  kernels: { active: boolean; dispatchesPerStep: number; error: string };
  provider: string;
  msPerStep: number;
  /** Graph build + session or kernel creation, ms. */
  compileMs: number;
}

/**
 * A tiny char-GRU (the char_gru_shakespeare example's layers, small): token ids through Embedding, GRU with
 * return_sequences and a per-step Dense softmax, sparse cross-entropy, on the `reverse` data (vocabulary 10).
 */
export const tinyGru = (seqLen: number, units: number) =>
  [
    'import keras',
    'from keras import layers',
    'model = keras.Sequential([',
    `    keras.Input(shape=(${seqLen},), dtype="int32"),`,
    '    layers.Embedding(10, 8),',
    `    layers.GRU(${units}, return_sequences=True),`,
    '    layers.Dense(10, activation="softmax"),',
    '])',
    'model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])',
    ''
  ].join('\n');

export interface ParityOptions {
  steps?: number;
  optimizer?: 'adam' | 'sgd';
  stepsPerRun?: number;
  /** 'spiral' (default) or 'gru': `tinyGru(seqLen, units)` on `reverse`; or `source` on `reverse`. */
  model?: 'spiral' | 'gru';
  source?: string;
  seqLen?: number;
  units?: number;
  batch?: number;
  /** Also run the compiled step on ORT wasm (`wasm` in the result). */
  wasm?: boolean;
  /** Also list the K-step graph's nodes that ORT WebGPU does not place on WebGPU (`offGpu` in the result). */
  placements?: boolean;
  /** false: list the placements of the graph before webgpu-legalize.ts. */
  legalize?: boolean;
  /** false: leave out the run on the playground's own WebGPU kernels (`kernels` in the result). */
  kernels?: boolean;
}

export async function captureParity(opts: ParityOptions = {}) {
  const steps = opts.steps ?? 50;
  const seq = opts.model === 'gru' || !!opts.source;
  const batch = opts.batch ?? (seq ? 8 : 32);
  let source = opts.source ?? (seq ? tinyGru(opts.seqLen ?? 4, opts.units ?? 4) : EXAMPLES.find((e) => e.id === 'spiral')!.source);
  if (opts.optimizer === 'sgd') source = source.replace(/keras\.optimizers\.Adam\([^)]*\)/, 'keras.optimizers.SGD(learning_rate=0.1)');
  const parsed = parseProgram(source);
  if (!parsed.spec) throw new Error(parsed.diagnostics.map((d) => d.message).join('; '));
  const spec = parsed.spec;
  const ds = seq ? makeSequence({ name: 'reverse', seed: 1, seqLen: opts.seqLen ?? 4, samples: Math.max(20, batch * steps) }) : makeToy({ name: 'spiral', seed: 1, samples: batch * steps });
  const bound = bindData(ds, spec, inferShapes(spec).summary!.outputShapes[0]);
  if (!bound.ok) throw new Error(bound.message);
  const data = bound.data;
  const tf = await import('@tensorflow/tfjs');
  await tf.setBackend('cpu');
  const model = buildModel(tf, spec, 1);
  const weights = readTfjsWeights(model, spec);
  const eager: number[] = [];
  await trainModel(tf, model, spec, data, { seed: 1, epochs: 1, batchSize: batch, validationSplit: 0, shuffle: false }, {
    onEpoch: () => {},
    onBatch: (b) => void eager.push(b.loss),
    shouldStop: () => false,
    waitIfPaused: async () => {}
  });
  model.dispose();
  const ort = await loadOrt();
  const rx = data.x.length / data.n;
  const ry = data.y.length / data.n;
  const full = Math.floor(data.n / batch);
  /** 'kernels': the playground's own WebGPU kernels (the default on webgpu); 'ort' / 'capture': ONNX Runtime without / with graph capture. */
  const run = async (mode: 'kernels' | 'ort' | 'capture', provider: 'webgpu' | 'wasm' = 'webgpu'): Promise<ParityRun> => {
    const t = await CompiledTrainer.create(ort, { spec, batchSize: batch, provider, weights, seed: 1, stepsPerRun: opts.stepsPerRun, graphCapture: mode === 'capture' ? undefined : false, kernels: mode === 'kernels' }); // capture: the default on ORT webgpu
    const K = t.stepsPerRun;
    const warm = Math.min(4 * K, steps - K);
    let t0 = performance.now();
    for (let s = 0; s < steps; s++) {
      if (s === warm) t0 = performance.now();
      const b = s % full; // past the data set's size (timing runs), the batches repeat; eager covers the first pass
      await t.step(data.x.subarray(b * batch * rx, (b + 1) * batch * rx), data.y.subarray(b * batch * ry, (b + 1) * batch * ry));
    }
    await t.flush();
    const losses = (await t.readLosses()).map((r) => r.loss);
    const msPerStep = (performance.now() - t0) / (steps - warm);
    const r = { losses, capture: t.graphCapture, kernels: t.kernels, provider: t.provider, msPerStep, compileMs: t.compileMs };
    await t.dispose();
    return r;
  };
  let offGpu: Placement[] | null = null;
  if (opts.placements) {
    const step = compileTrainStep(spec, { batchSize: batch, steps: opts.stepsPerRun ?? 4, weights });
    const probe = await captureOrtLog(ort, () => ort.InferenceSession.create(encodeModel(opts.legalize === false ? step.model : legalizeForWebGpu(step.model).model), { executionProviders: ['webgpu'], graphOptimizationLevel: 'all', logSeverityLevel: 0, logVerbosityLevel: 0 }));
    await probe.value.release();
    offGpu = parsePlacements(probe.lines).filter((p) => p.provider !== 'JsExecutionProvider');
  }
  const wasm = opts.wasm ? await run('ort', 'wasm') : null;
  const kernels = opts.kernels === false ? null : await run('kernels');
  const plain = await run('ort');
  const capture = await run('capture');
  const rel = (a: number[]) => Math.max(...a.slice(0, Math.min(eager.length, full)).map((v, i) => Math.abs(v - eager[i]) / Math.max(Math.abs(eager[i]), 1e-6)));
  return { eager, offGpu, wasm, kernels, plain, capture, relWasm: wasm ? rel(wasm.losses) : null, relKernels: kernels ? rel(kernels.losses) : null, relPlain: rel(plain.losses), relCapture: rel(capture.losses) };
}
