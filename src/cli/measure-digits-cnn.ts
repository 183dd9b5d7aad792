/**
 * Measures examples/digits_cnn.py in node on a TF.js backend with the app's kernels (src/lib/engines/tfjs/kernels.ts):
 * ms per epoch (wall, and CPU time of the process, which includes the test evaluation) on the shipped digits and
 * the test accuracy (x_test, y_test) after each epoch.
 *
 *   npx tsx --tsconfig tsconfig.cli.json src/cli/measure-digits-cnn.ts [cpu|wasm] [epochs] [train rows, 0 = all] [slow]
 *
 * `slow` leaves TF.js' own kernels (on wasm the CNN then cannot train: no Conv2DBackpropFilter).
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { parseProgram } from '$lib/keras/parse';
import { parseDigits } from '$lib/data/digits';
import { bindData } from '$lib/data/bind';
import { inferShapes } from '$lib/spec/shape';
import { buildModel } from '$lib/engines/tfjs/build';
import { trainModel } from '$lib/engines/tfjs/train';
import { registerTrainingKernels } from '$lib/engines/tfjs/kernels';

const backend = process.argv[2] ?? 'wasm';
const epochs = Number(process.argv[3] ?? 1);
const nTrain = Number(process.argv[4] ?? 0);
const fast = process.argv[5] !== 'slow';
tf.env().set('PROD', true);
if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
if (fast) registerTrainingKernels(tf);
await tf.setBackend(backend);
const spec = parseProgram(readFileSync('examples/digits_cnn.py', 'utf8')).spec!;
let ds = parseDigits(readFileSync('static/data/digits.bin'));
if (nTrain) ds = { ...ds, n: nTrain, x: ds.x.subarray(0, nTrain * 784), labels: ds.labels.subarray(0, nTrain) };
const { summary } = inferShapes(spec);
const bound = bindData(ds, spec, summary!.outputShapes[0]);
if (!bound.ok) throw new Error(bound.message);
const model = buildModel(tf, spec, 1);
const t0 = Date.now();
// CPU time (user + system) per epoch: steadier than wall time on a shared machine (TF.js cpu/wasm run on one thread here).
let cpu0 = process.cpuUsage();
await trainModel(tf, model, spec, bound.data, { seed: 1, epochs }, {
  onEpoch: (log) => {
    const used = process.cpuUsage(cpu0);
    cpu0 = process.cpuUsage();
    const acc = tf.tidy(() => {
      const pred = (model.predict(tf.tensor(ds.test.x, [ds.test.n, 28, 28, 1])) as tf.Tensor).argMax(-1).dataSync();
      let ok = 0;
      for (let i = 0; i < ds.test.n; i++) if (pred[i] === ds.test.labels[i]) ok++;
      return ok / ds.test.n;
    });
    console.log(JSON.stringify({ backend: tf.getBackend(), epoch: log.epoch, ms: Math.round(log.ms), cpuMs: Math.round((used.user + used.system) / 1000), rows: bound.data.n, loss: +log.loss.toFixed(4), valAcc: log.valAcc, testAcc: acc }));
  },
  shouldStop: () => false,
  waitIfPaused: async () => undefined
});
console.log(`total ${((Date.now() - t0) / 1000).toFixed(1)} s`);
