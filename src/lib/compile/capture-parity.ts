/**
 * WebGPU graph capture against eager, in the browser (Node has no WebGPU): the spiral example (Adam, or SGD with
 * `optimizer: 'sgd'`), `steps` batches of 32 in order, trained by TF.js eager on cpu (the app's trainModel) and by the
 * compiled trainer on ORT WebGPU with and without graph capture, from the same weights. Per-step losses of all three,
 * and ms per step of the compiled runs in steady state: the steps after the first 4 runs (each session's first run
 * and capture), losses read back once at the end. Exposed as `window.__captureParity` on
 * /bench for tests/e2e/graph-capture.spec.ts.
 */
import { bindData } from '$lib/data/bind';
import { makeToy } from '$lib/data/toys';
import { buildModel } from '$lib/engines/tfjs/build';
import { trainModel } from '$lib/engines/tfjs/train';
import { readTfjsWeights } from '$lib/engines/tfjs/weights';
import { EXAMPLES } from '$lib/examples';
import { parseProgram } from '$lib/keras/parse';
import { loadOrt } from '$lib/onnx/load-ort';
import { inferShapes } from '$lib/spec/shape';
import { CompiledTrainer } from './runner';

export interface ParityRun {
  losses: number[];
  capture: { active: boolean; error: string };
  provider: string;
  msPerStep: number;
}

export async function captureParity(opts: { steps?: number; optimizer?: 'adam' | 'sgd'; stepsPerRun?: number } = {}) {
  const steps = opts.steps ?? 50;
  const batch = 32;
  let source = EXAMPLES.find((e) => e.id === 'spiral')!.source;
  if (opts.optimizer === 'sgd') source = source.replace(/keras\.optimizers\.Adam\([^)]*\)/, 'keras.optimizers.SGD(learning_rate=0.1)');
  const spec = parseProgram(source).spec!;
  const bound = bindData(makeToy({ name: 'spiral', seed: 1, samples: batch * steps }), spec, inferShapes(spec).summary!.outputShapes[0]);
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
  const run = async (graphCapture: boolean): Promise<ParityRun> => {
    const t = await CompiledTrainer.create(ort, { spec, batchSize: batch, provider: 'webgpu', weights, seed: 1, stepsPerRun: opts.stepsPerRun, graphCapture: graphCapture ? undefined : false }); // capture: the default on webgpu
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
    const r = { losses, capture: t.graphCapture, provider: t.provider, msPerStep };
    await t.dispose();
    return r;
  };
  const plain = await run(false);
  const capture = await run(true);
  const rel = (a: number[]) => Math.max(...a.slice(0, Math.min(eager.length, full)).map((v, i) => Math.abs(v - eager[i]) / Math.max(Math.abs(eager[i]), 1e-6)));
  return { eager, plain, capture, relPlain: rel(plain.losses), relCapture: rel(capture.losses) };
}
