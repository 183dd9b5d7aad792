import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { bindData } from '../lib/data/bind';
import { makeToy, TOY_NAMES, type ToyName } from '../lib/data/toys';
import { makeRegression } from '../lib/data/regression';
import { parseDigits } from '../lib/data/digits';
import { parseProgram } from '../lib/keras/parse';
import { inferShapes } from '../lib/spec/shape';
import { buildModel } from '../lib/engines/tfjs/build';
import { trainModel } from '../lib/engines/tfjs/train';
import { useFastCpuGradients } from '../../tests/unit/fast-conv-grad';

const backend = process.env.BACKEND ?? 'cpu';
if (backend === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
await tf.setBackend(backend);
await tf.ready(); if (process.env.FAST) useFastCpuGradients(tf);
console.log('backend', tf.getBackend());
let digits: ReturnType<typeof parseDigits> | null = null;
const files = process.argv.slice(2);
for (const f of files) {
  const src = readFileSync(`examples/${f}.py`, 'utf8');
  const header = { data: /# data: (\w+)/.exec(src)?.[1] ?? 'spiral' };
  const spec = parseProgram(src).spec!;
  const out = inferShapes(spec).summary!.outputShapes[0];
  let ds;
  if (header.data === 'digits') ds = digits ??= parseDigits(readFileSync('static/data/digits.bin'));
  else if ((TOY_NAMES as string[]).includes(header.data)) ds = makeToy({ name: header.data as ToyName, seed: 1 });
  else ds = makeRegression({ name: header.data as 'sine', seed: 1 });
  const b = bindData(ds, spec, out);
  if (!b.ok) throw new Error(b.message);
  for (const seed of (process.env.SEEDS ?? '1').split(',').map(Number)) {
    const model = buildModel(tf, spec, seed);
    const t0 = performance.now();
    const r = await trainModel(tf, model, spec, b.data, { seed, epochs: process.env.EPOCHS ? Number(process.env.EPOCHS) : undefined }, {
      onEpoch: (l) => { if (header.data === 'digits' || l.epoch % 10 === 0 || l.epoch === 1) console.log(f, seed, JSON.stringify(l, (k, v) => typeof v === 'number' ? Number(v.toFixed(4)) : v)); },
      shouldStop: () => false, waitIfPaused: async () => {}
    });
    let test = '';
    if (header.data === 'digits') {
      const d = digits!;
      const acc = tf.tidy(() => {
        const x = tf.tensor(d.test.x, [d.test.n, 28, 28, 1]);
        const p = (model.predict(x) as tf.Tensor).argMax(-1);
        return p.equal(tf.tensor1d(d.test.labels, 'int32')).mean().dataSync()[0];
      });
      test = ` test acc ${acc.toFixed(4)}`;
    }
    const last = r.history[r.history.length - 1];
    console.log(`== ${f} seed ${seed}: ${r.status} epochs ${r.history.length} loss ${r.history[0].loss.toFixed(4)} -> ${last.loss.toFixed(4)} acc ${last.acc?.toFixed(4)} valAcc ${last.valAcc?.toFixed(4)} valLoss ${last.valLoss?.toFixed(4)} mae ${last.mae?.toFixed(4)} valMae ${last.valMae?.toFixed(4)}${test} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    model.optimizer?.dispose(); model.dispose();
  }
}
