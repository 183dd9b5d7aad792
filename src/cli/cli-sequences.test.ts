/** The CLI with text and sequence data (issue 12): `# data: NAME`, --seq-len, the text copied next to the script, training. */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './run';

const tmp = mkdtempSync(join(tmpdir(), 'cli-seq-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`) });
  return { code, stdout, stderr };
}

const PARITY = join(tmp, 'parity.py');
writeFileSync(
  PARITY,
  '# Parity MLP — a Dense model on bit sequences\n# data: parity\nimport keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(10,)), layers.Dense(8, activation="tanh"), layers.Dense(1, activation="sigmoid")])\nmodel.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])\nmodel.fit(x_train, y_train, epochs=2, batch_size=16)\n'
);
const CHARS = join(tmp, 'chars.py');
writeFileSync(
  CHARS,
  '# data: names\nimport keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(16,)), layers.Reshape((16, 1)), layers.Dense(27, activation="softmax")])\nmodel.compile(optimizer="adam", loss="sparse_categorical_crossentropy")\nmodel.fit(x_train, y_train, epochs=1)\n'
);

describe('CLI: text and sequence data', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    tf.env().set('PROD', true);
  });

  it('export keras of "# data: parity" with --seq-len and --samples', async () => {
    const r = await cli('export', PARITY, '--format', 'keras', '--seq-len', '10', '--samples', '300', '--data-seed', '4');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('x_train, y_labels_train, x_test, y_labels_test = make_parity(seq_len=10, samples=300, seed=4)');
    const bad = await cli('export', PARITY, '--format', 'keras', '--seq-len', '7');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/sequences of 7 token ids/);
    const noise = await cli('export', PARITY, '--format', 'keras', '--noise', '0.2');
    expect(noise.code).toBe(2);
    expect(noise.stderr).toMatch(/no noise/);
  });

  it('export keras of a names program writes names.txt next to the script', async () => {
    const out = join(tmp, 'out', 'chars_model.py');
    const r = await cli('export', CHARS, '--format', 'keras', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Wrote .*names\.txt: the text the script reads/);
    expect(readFileSync(join(tmp, 'out', 'names.txt'))).toEqual(readFileSync('static/data/text/names.txt'));
    expect(readFileSync(out, 'utf8')).toContain('with open(os.path.join(DATA_DIR, "names.txt"), encoding="utf-8-sig") as f:');
  });

  it('export tfjs --epochs trains on parity', async () => {
    const out = join(tmp, 'parity-model');
    const r = await cli('export', PARITY, '--format', 'tfjs', '--epochs', '2', '--samples', '200', '--seq-len', '10', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('Training 2 epochs on the parity data (sequence length 10, 200 samples, data seed 1), TF.js cpu, seed 1');
    expect(lines[1]).toMatch(/^Epoch 1\/2 - \d+ms - loss: \d+\.\d{4} - accuracy: /);
    expect(existsSync(join(out, 'model.json'))).toBe(true);
  });
});
