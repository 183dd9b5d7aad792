import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseProgram } from '$lib/keras/parse';
import { functionalSpec } from '$lib/spec/fixtures';
import type { ModelSpec } from '$lib/spec/types';
import { buildModel } from './build';
import { exportTfjsModel, loadTfjsModel, TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE } from './export';

beforeAll(async () => {
  await tf.setBackend('cpu');
  tf.env().set('PROD', true); // no "install tfjs-node" banner
});

function spiral(): ModelSpec {
  const { spec, diagnostics } = parseProgram(readFileSync('examples/spiral.py', 'utf8'));
  if (!spec) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return spec;
}

const points = () => tf.tensor2d([[0, 0], [0.5, -0.25], [-1, 1], [0.3, 0.9]]);

function predict(model: tf.LayersModel): number[] {
  return tf.tidy(() => Array.from((model.predict(points()) as tf.Tensor).dataSync()));
}

describe('exportTfjsModel', () => {
  it('writes model.json + one shard that loadLayersModel reads back to the same predictions', async () => {
    const model = buildModel(tf, spiral(), 42);
    const out = await exportTfjsModel(tf, model);
    expect(out.files.map((f) => f.name)).toEqual([TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE]);
    expect(out.modelJson.format).toBe('layers-model');
    expect(out.modelJson.weightsManifest).toHaveLength(1);
    expect(out.modelJson.weightsManifest[0].paths).toEqual([TFJS_WEIGHTS_FILE]);
    // 2·16+16 + 16·16+16 + 16·3+3 float32 weights.
    expect(out.weightsBin.byteLength).toBe((2 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3) * 4);
    expect(JSON.parse(new TextDecoder().decode(out.files[0].data))).toEqual(out.modelJson);

    const loaded = await loadTfjsModel(tf, out.files);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(predict(loaded)).toEqual(predict(model));

    // Also through TF.js' own in-memory loader (topology + specs + bytes).
    const viaMemory = await tf.loadLayersModel(
      tf.io.fromMemory({ modelTopology: out.modelJson.modelTopology, weightSpecs: out.modelJson.weightsManifest[0].weights, weightData: out.weightsBin.slice().buffer })
    );
    expect(predict(viaMemory)).toEqual(predict(model));
    model.dispose();
    loaded.dispose();
    viaMemory.dispose();
  });

  it('is deterministic for a seed and differs across seeds', async () => {
    const bin = async (seed: number) => {
      const m = buildModel(tf, spiral(), seed);
      const { weightsBin } = await exportTfjsModel(tf, m);
      m.dispose();
      return Buffer.from(weightsBin);
    };
    const a = await bin(7);
    expect((await bin(7)).equals(a)).toBe(true);
    expect((await bin(8)).equals(a)).toBe(false);
  });

  it('round-trips a functional model with a merge and a fused leaky_relu chain', async () => {
    const spec = functionalSpec(
      [{ id: 'inp', shape: [4] }],
      [
        { id: 'a', kind: 'Dense', args: { units: 8, activation: 'leaky_relu' }, inputs: ['inp'] },
        { id: 'b', kind: 'Dense', args: { units: 8, activation: 'tanh' }, inputs: ['inp'] },
        { id: 'sum', kind: 'Add', args: {}, inputs: ['a', 'b'] },
        { id: 'bn', kind: 'BatchNormalization', args: {}, inputs: ['sum'] },
        { id: 'out', kind: 'Dense', args: { units: 2, activation: 'softmax' }, inputs: ['bn'] }
      ],
      ['out']
    );
    const model = buildModel(tf, spec, 3);
    const out = await exportTfjsModel(tf, model);
    const loaded = await loadTfjsModel(tf, Object.fromEntries(out.files.map((f) => [f.name, f.data])));
    const x = tf.tensor2d([[1, 2, 3, 4], [-1, 0.5, 0, 2]]);
    const p = (m: tf.LayersModel) => Array.from((m.predict(x) as tf.Tensor).dataSync());
    expect(p(loaded)).toEqual(p(model));
    model.dispose();
    loaded.dispose();
    x.dispose();
  });

  it('loads from byte views into larger buffers (as node Buffers from readFileSync are)', async () => {
    const model = buildModel(tf, spiral(), 5);
    const out = await exportTfjsModel(tf, model);
    const views = out.files.map(({ name, data }) => {
      const big = new Uint8Array(data.byteLength + 24).fill(0xff);
      big.set(data, 8);
      return { name, data: big.subarray(8, 8 + data.byteLength) };
    });
    const loaded = await loadTfjsModel(tf, views);
    expect(predict(loaded)).toEqual(predict(model));
    model.dispose();
    loaded.dispose();
  });

  it('says which file is missing', async () => {
    const model = buildModel(tf, spiral(), 1);
    const out = await exportTfjsModel(tf, model);
    await expect(loadTfjsModel(tf, [out.files[0]])).rejects.toThrow(TFJS_WEIGHTS_FILE);
    model.dispose();
  });
});
