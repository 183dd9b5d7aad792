/**
 * The CLI: a few spawns of the real `npm run cli` command line (tsx, as package.json defines it; run concurrently,
 * about a second each), and the rest in-process through `runCli`.
 */
import * as tf from '@tensorflow/tfjs';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { loadTfjsModel, TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE } from '$lib/engines/tfjs/export';
import { parseProgram } from '$lib/keras/parse';
import { needPython } from '$lib/test-python';
import { runCli } from './run';

const tmp = mkdtempSync(join(tmpdir(), 'cli-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const BROKEN = join(tmp, 'broken.py');
writeFileSync(
  BROKEN,
  'import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, activation="rleu")])\nmodel.compile(loss="mse")\nmodel.fit(x_train, y_train, epoch=3)\n'
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The `cli` script of package.json (e.g. `tsx --tsconfig tsconfig.cli.json src/cli/main.ts`), run without npm. */
function spawnCli(args: string[]): Promise<Run> {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  const [bin, ...rest] = pkg.scripts.cli.split(/\s+/);
  const command = join('node_modules', '.bin', bin);
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...rest, ...args], { env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function cli(...argv: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { out: (t) => (stdout += `${t}\n`), err: (t) => (stderr += `${t}\n`) });
  return { code, stdout, stderr };
}

const py = needPython();

describe('npm run cli (spawned)', () => {
  const dir = (name: string) => join(tmp, name);
  let runs: Record<'check' | 'broken' | 'a' | 'b' | 'c' | 'keras' | 'checkDigits' | 'kerasSine', Run>;

  beforeAll(async () => {
    const spiral = 'examples/spiral.py';
    const [check, broken, a, b, c, keras, checkDigits, kerasSine] = await Promise.all([
      spawnCli(['check', spiral]),
      spawnCli(['check', BROKEN]),
      spawnCli(['export', spiral, '--format', 'tfjs', '--seed', '7', '--out', dir('a')]),
      spawnCli(['export', spiral, '--format=tfjs', '--seed=7', '--out', dir('b')]),
      spawnCli(['export', spiral, '--format', 'tfjs', '--seed', '8', '--out', dir('c')]),
      spawnCli(['export', spiral, '--format', 'keras', '--seed', '3', '--out', dir('keras/spiral.py')]),
      spawnCli(['check', 'examples/digits_cnn.py']),
      spawnCli(['export', 'examples/sine_regression.py', '--format', 'keras', '--out', dir('keras/sine.py')])
    ]);
    runs = { check, broken, a, b, c, keras, checkDigits, kerasSine };
  });

  it('check prints the summary and exits 0', () => {
    expect(runs.check.stderr).toBe('');
    expect(runs.check.code).toBe(0);
    expect(runs.check.stdout).toContain('Model: "sequential"');
    expect(runs.check.stdout).toContain('│ dense_2 (Dense)                 │ (None, 3)              │            51 │');
    expect(runs.check.stdout).toContain('Total params: 371 (1.45 KB)');
  });

  it('check of a broken program prints FILE:LINE:COL: lines with hints to stderr and exits 1', () => {
    expect(runs.broken.code).toBe(1);
    expect(runs.broken.stdout).toBe('');
    const lines = runs.broken.stderr.trim().split('\n');
    expect(lines[0]).toBe(`${BROKEN}:3:79: Unknown activation "rleu" — did you mean "relu"?`);
    expect(lines[1]).toMatch(/^ {2}hint: Supported: "relu"/);
    expect(lines[2]).toBe(`${BROKEN}:5:29: model.fit has no argument 'epoch' — did you mean 'epochs'?`);
  });

  it('export tfjs writes model.json and the weights; the same seed gives byte-identical files, another seed other weights', () => {
    for (const r of [runs.a, runs.b, runs.c]) expect(r.code, r.stderr).toBe(0);
    expect(runs.a.stdout).toContain(`Wrote ${join(dir('a'), TFJS_MODEL_FILE)}`);
    const bin = (d: string) => readFileSync(join(dir(d), TFJS_WEIGHTS_FILE));
    const json = (d: string) => readFileSync(join(dir(d), TFJS_MODEL_FILE), 'utf8');
    expect(bin('a').byteLength).toBe(371 * 4);
    expect(bin('b').equals(bin('a'))).toBe(true);
    expect(json('b')).toBe(json('a'));
    expect(bin('c').equals(bin('a'))).toBe(false);
    expect(JSON.parse(json('a')).weightsManifest[0].paths).toEqual([TFJS_WEIGHTS_FILE]);
  });

  it('export tfjs holds the weights buildModel makes for that seed in this process too', async () => {
    await tf.setBackend('cpu');
    const spec = parseProgram(readFileSync('examples/spiral.py', 'utf8')).spec!;
    const built = buildModel(tf, spec, 7);
    const loaded = await loadTfjsModel(tf, {
      [TFJS_MODEL_FILE]: readFileSync(join(dir('a'), TFJS_MODEL_FILE)),
      [TFJS_WEIGHTS_FILE]: readFileSync(join(dir('a'), TFJS_WEIGHTS_FILE))
    });
    const predict = (m: tf.LayersModel) => tf.tidy(() => Array.from((m.predict(tf.tensor2d([[0.1, -0.7], [0.9, 0.3]])) as tf.Tensor).dataSync()));
    expect(predict(loaded)).toEqual(predict(built));
    built.dispose();
    loaded.dispose();
  });

  it('check reads the digits CNN (images in, no data needed)', () => {
    expect(runs.checkDigits.code, runs.checkDigits.stderr).toBe(0);
    expect(runs.checkDigits.stderr).toBe('');
    expect(runs.checkDigits.stdout).toContain('│ conv2d (Conv2D)                 │ (None, 26, 26, 16)     │           160 │');
    expect(runs.checkDigits.stdout).toContain('Total params: 12,810 (50.04 KB)');
  });

  it('export keras writes the regression data from the file\'s "# data: sine" line', () => {
    expect(runs.kerasSine.code, runs.kerasSine.stderr).toBe(0);
    expect(runs.kerasSine.stdout).toBe(`Wrote ${dir('keras/sine.py')}: the sequential model, trained on the sine data (400 samples, noise 0.1, data seed 1).\n`);
    const script = readFileSync(dir('keras/sine.py'), 'utf8');
    expect(script).toContain('x_train, y_train = make_sine(samples=400, noise=0.1, seed=1)\n');
    expect(script).toContain(readFileSync('examples/sine_regression.py', 'utf8').trim());
  });

  py.it(`export keras writes scripts that python3 -m py_compile accepts${py.note}`, () => {
    expect(runs.keras.code, runs.keras.stderr).toBe(0);
    const file = dir('keras/spiral.py');
    const script = readFileSync(file, 'utf8');
    expect(script).toContain('keras.utils.set_random_seed(3)');
    expect(script).toContain(readFileSync('examples/spiral.py', 'utf8').trim());
    const r = spawnSync('python3', ['-m', 'py_compile', file, dir('keras/sine.py')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });
});

describe('runCli (in-process)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    tf.env().set('PROD', true);
  });

  it('help prints the usage and exits 0; no command prints it to stderr and exits 2', async () => {
    const help = await cli('help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('npm run cli -- export FILE --format keras|tfjs');
    expect((await cli('export', '--help')).code).toBe(0);
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage:');
  });

  it('refuses bad usage with exit status 2 and a message that says what to do', async () => {
    const cases: [string[], RegExp][] = [
      [['chek', 'examples/spiral.py'], /Unknown command "chek" — did you mean check\?/],
      [['check'], /check needs a FILE/],
      [['check', 'examples/spiral.py', 'extra.py'], /check takes one FILE/],
      [['check', join(tmp, 'missing.py')], /missing\.py: no such file/],
      [['check', tmp], /is not a file/],
      [['check', 'examples/spiral.py', '--format', 'keras'], /Unknown option --format/],
      [['export', 'examples/spiral.py'], /export needs --format keras\|tfjs/],
      [['export', 'examples/spiral.py', '--format', 'tflite'], /Unknown format "tflite"[\s\S]*Formats: keras, tfjs, onnx/],
      [['export', 'examples/spiral.py', '--fromat', 'tfjs'], /Unknown option --fromat — did you mean --format\?/],
      [['export', 'examples/spiral.py', '--format', 'tfjs'], /--format tfjs needs --out DIR/],
      [['export', 'examples/spiral.py', '--format', 'tfjs', '--out'], /--out needs a value/],
      [['export', 'examples/spiral.py', '--format', 'tfjs', '--out', tmp, '--seed', 'abc'], /--seed must be a whole number, got "abc"/],
      [['export', 'examples/spiral.py', '--format', 'tfjs', '--out', tmp, '--epochs', '0'], /--epochs must be between 1 and/],
      [['export', 'examples/spiral.py', '--format', 'keras', '--epochs', '3'], /--epochs does not apply to --format keras/],
      [['export', 'examples/spiral.py', '--format', 'keras', '--data', 'spirals'], /--data must be one of circle, xor, gaussians, spiral, moons, sine, plane, digits, shakespeare, names, reverse, parity, sine_series; got "spirals" — did you mean spiral\?/],
      [['export', 'examples/digits_cnn.py', '--format', 'keras', '--noise', '0.2', '--samples', '50'], /--samples, --noise do not apply to the digits data: the Keras script loads Keras' own MNIST/],
      [['export', 'examples/digits_cnn.py', '--format', 'tfjs', '--out', tmp, '--epochs', '1', '--data-seed', '2'], /--data-seed does not apply to the digits data: they are fixed images/],
      [['export', 'examples/sine_regression.py', '--format', 'keras', '--classes', '3'], /The sine data is for regression .*--classes does not apply/],
      [['export', 'examples/sine_regression.py', '--format', 'keras', '--samples', '10'], /--samples must be between 20 and 5000, got 10/],
      [['export', 'examples/spiral.py', '--format', 'keras', '--noise', '2'], /--noise must be between 0 and 1, got 2/],
      [['export', 'examples/spiral.py', '--format', 'keras', '--data', 'xor', '--classes', '3'], /The xor data always has 2 classes/],
      [['export', 'examples/spiral.py', '--format', 'keras', '--seed', '1', '--seed', '2'], /--seed is given twice/]
    ];
    for (const [argv, message] of cases) {
      const r = await cli(...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(message);
    }
  });

  it('exits 1 when the program does not fit the data, naming the data and how to pick another', async () => {
    const r = await cli('export', 'examples/circle_l2.py', '--format', 'keras', '--data', 'spiral');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('examples/circle_l2.py cannot train on the spiral data (600 samples, noise 0.1, 3 classes, data seed 1): binary_crossentropy needs 2 classes');
    expect(r.stderr).toContain('hint: Pick data the model fits with --data');
  });

  it('exits 1 when the program does not fit a regression or the digits, or names a data set the CLI does not know', async () => {
    const sine = await cli('export', 'examples/digits_cnn.py', '--format', 'keras', '--data', 'sine');
    expect(sine.code).toBe(1);
    expect(sine.stderr).toContain("examples/digits_cnn.py cannot train on the sine data (400 samples, noise 0.1, data seed 1): The model's input has shape (28, 28, 1) but the sine data has 1 feature");
    const digits = await cli('export', 'examples/sine_regression.py', '--format', 'keras', '--data', 'digits');
    expect(digits.code).toBe(1);
    expect(digits.stderr).toContain("examples/sine_regression.py cannot train on the digits data (MNIST, 28×28 images): The model's input has shape (1,) but the digits data holds images");
    const file = join(tmp, 'mnist.py');
    writeFileSync(file, readFileSync('examples/digits_mlp.py', 'utf8').replace('# data: digits', '# data: mnist'));
    const unknown = await cli('export', file, '--format', 'keras');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`${file} trains on the mnist data (its "# data: mnist" line), which the CLI does not know`);
    expect(unknown.stderr).toContain('hint: The CLI has the data sets circle, xor, gaussians, spiral, moons, sine, plane, digits');
  });

  it('check and export keras of the digits CNN and the sine regression, in-process', async () => {
    const check = await cli('check', 'examples/sine_regression.py');
    expect(check.code, check.stderr).toBe(0);
    expect(check.stdout).toContain('Total params: 1,153');
    const r = await cli('export', 'examples/digits_cnn.py', '--format', 'keras', '--seed', '4');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('(x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()\n');
    expect(r.stdout).toContain('y_train = y_train.astype("int32")\n');
    expect(r.stdout).toContain('keras.utils.set_random_seed(4)');
    expect(r.stdout).toContain(readFileSync('examples/digits_cnn.py', 'utf8').trim());
  });

  it('takes the data set from the file\'s "# data:" line, and writes the script to stdout without --out', async () => {
    const r = await cli('export', 'examples/circle_l2.py', '--format', 'keras', '--samples', '200', '--noise', '0.3', '--data-seed', '9');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('x_train, labels_train = make_circle(samples=200, noise=0.3, classes=2, seed=9)');
    expect(r.stdout).toContain('y_train = labels_train.astype("float32").reshape(-1, 1)');
    expect(r.stdout.endsWith('\n')).toBe(true);
    expect(r.stdout.endsWith('\n\n')).toBe(false);
  });

  it('export --epochs trains first, printing each epoch, and writes a model that loads', async () => {
    const out = join(tmp, 'trained');
    const r = await cli('export', 'examples/xor.py', '--format', 'tfjs', '--seed', '2', '--epochs', '3', '--samples', '200', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('Training 3 epochs on the xor data (200 samples, noise 0.1, 2 classes, data seed 1), TF.js cpu, seed 2');
    for (let e = 1; e <= 3; e++) expect(lines[e]).toMatch(new RegExp(`^Epoch ${e}/3 - \\d+ms - loss: \\d+\\.\\d{4}`));
    expect(lines[4]).toMatch(/^Wrote .*model\.json/);
    const model = await loadTfjsModel(tf, {
      [TFJS_MODEL_FILE]: readFileSync(join(out, TFJS_MODEL_FILE)),
      [TFJS_WEIGHTS_FILE]: readFileSync(join(out, TFJS_WEIGHTS_FILE))
    });
    const p = tf.tidy(() => Array.from((model.predict(tf.tensor2d([[0.5, 0.5], [0.5, -0.5]])) as tf.Tensor).dataSync()));
    expect(p).toHaveLength(2);
    expect(p.every((v) => v > 0 && v < 1), String(p)).toBe(true);
    model.dispose();
  });

  it('export --epochs trains on a regression, and on a subset of the shipped digits (saying so)', async () => {
    const sine = await cli('export', 'examples/sine_regression.py', '--format', 'tfjs', '--epochs', '2', '--samples', '100', '--out', join(tmp, 'sine'));
    expect(sine.code, sine.stderr).toBe(0);
    const sineLines = sine.stdout.trim().split('\n');
    expect(sineLines[0]).toBe('Training 2 epochs on the sine data (100 samples, noise 0.1, data seed 1), TF.js cpu, seed 1');
    expect(sineLines[1]).toMatch(/^Epoch 1\/2 - \d+ms - loss: \d+\.\d{4} - mae: \d+\.\d{4} - val_loss: /);
    expect(sineLines[3]).toMatch(/^Wrote .*model\.json .*\(1153 parameters/);

    const digits = await cli('export', 'examples/digits_mlp.py', '--format', 'tfjs', '--epochs', '1', '--samples', '64', '--out', join(tmp, 'digits'));
    expect(digits.code, digits.stderr).toBe(0);
    const lines = digits.stdout.trim().split('\n');
    expect(lines[0]).toBe('Training 1 epoch on the digits data (MNIST, 28×28 images), TF.js cpu, seed 1');
    expect(lines[1]).toMatch(/^Using the first 64 of the \d+ training images of static\/data\/digits\.bin: TF\.js on the cpu is slow on images/);
    expect(lines[2]).toMatch(/^Epoch 1\/1 - \d+ms - loss: \d+\.\d{4} - accuracy: /);
    expect(lines[3]).toMatch(/^Wrote .*model\.json/);
    expect(existsSync(join(tmp, 'digits', TFJS_WEIGHTS_FILE))).toBe(true);

    const tooMany = await cli('export', 'examples/digits_mlp.py', '--format', 'tfjs', '--epochs', '1', '--samples', '999999', '--out', join(tmp, 'digits'));
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/--samples must be between 1 and \d+ for the digits data/);
  });

  it('reports program errors of export like check, and writes nothing', async () => {
    const out = join(tmp, 'not-written');
    const r = await cli('export', BROKEN, '--format', 'tfjs', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^${BROKEN.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:79: `));
    expect(existsSync(out)).toBe(false);
  });
});
