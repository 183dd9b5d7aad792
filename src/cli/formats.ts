/**
 * The export formats of `cli export --format NAME`. Each format is one entry of FORMATS: its help text, the options
 * it reads besides the common ones (--format, --out, --seed), and its `run`. A new format (onnx, ...) is one more
 * entry; `run.ts` needs no change.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bindData } from '../lib/data/bind';
import { parseDigits } from '../lib/data/digits';
import { makeRegression } from '../lib/data/regression';
import { makeToy } from '../lib/data/toys';
import { makeSequence, type SequenceParams } from '../lib/data/sequences';
import { builtinText, makeTextDataset, TEXTS, type TextName } from '../lib/data/text';
import { textFileName } from '../lib/data/sequence-script';
import type { ClassificationDataset, Dataset } from '../lib/data/types';
import { buildModel } from '../lib/engines/tfjs/build';
import { exportTfjsModel } from '../lib/engines/tfjs/export';
import { readTfjsWeights } from '../lib/engines/tfjs/weights';
import { trainModel } from '../lib/engines/tfjs/train';
import { EPOCH_METRICS, type EpochLog } from '../lib/worker/protocol';
import { isRegressionData, isSequenceData, isTextData, isToyData, printKerasScript, SCRIPT_DATASETS } from '../lib/keras/print';
import { exportOnnx, opHistogram } from '../lib/onnx/export';
import { encodeModel } from '../lib/onnx/graph';
import { getLayer } from '../lib/layers';
import type { Tfjs } from '../lib/layers/types';
import type { ModelSpec } from '../lib/spec/types';
import { CliFailure, intOption, UsageError } from './args';
import { chooseData, DATA_OPTIONS, describeData, DIGITS_TRAIN_SAMPLES, type DataChoice, type Program } from './program';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

export interface ExportContext {
  program: Program;
  /** All options given (already checked against `options` of the format). */
  options: Map<string, string>;
  /** Weight-initialisation seed (--seed, default 1). */
  seed: number;
  seedGiven: boolean;
  /** --out as given, if given. */
  out: string | undefined;
  io: CliIo;
}

export interface ExportFormat {
  name: string;
  /** Help lines describing what the format writes. */
  help: string[];
  /** Options this format reads besides --format, --out and --seed. */
  options: readonly string[];
  run(ctx: ExportContext): Promise<void>;
}

const DATA_HINT = `Pick data the model fits with --data ${SCRIPT_DATASETS.join('|')} (and --classes K for spiral or gaussians)`;

/** The digits the app ships, read from disk for training in the CLI. */
const DIGITS_FILE = fileURLToPath(new URL('../../static/data/digits.bin', import.meta.url));
const DIGITS_HINT = 'static/data/digits.bin ships with the repository; npx tsx src/cli/make-digits.ts writes it again';

function dataOrigin(choice: DataChoice): string {
  if (choice.origin === 'header') return ' (from the file\'s "# data:" line)';
  if (choice.origin === 'default') return ' (the default)';
  return '';
}

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** TF.js for node, on the cpu backend, without its "install tfjs-node" banner. Loaded only when a format needs it. */
async function loadTf(): Promise<Tfjs> {
  const mod = (await import('@tensorflow/tfjs')) as Tfjs & { default?: Tfjs };
  const tf = typeof mod.env === 'function' ? mod : (mod.default as Tfjs);
  tf.env().set('PROD', true);
  // Fast cpu gradients for Conv2D and pooling (see src/lib/engines/tfjs/kernels.ts).
  (await import('../lib/engines/tfjs/kernels')).registerTrainingKernels(tf);
  await tf.setBackend('cpu');
  await tf.ready();
  return tf;
}

function fmt(v: number): string {
  return Math.abs(v) >= 1e-4 || v === 0 ? v.toFixed(4) : v.toExponential(3);
}

/** Keras-style epoch line: `Epoch 3/10 - 12ms - loss: 0.4012 - accuracy: 0.8625 - val_loss: ...`. */
export function epochLine(log: EpochLog, total: number): string {
  const parts = [`Epoch ${log.epoch}/${total}`, `${Math.round(log.ms + log.valMs)}ms`];
  // Keras' order: the training metrics, then the validation ones.
  const metrics = [...EPOCH_METRICS.filter((m) => !m.label.startsWith('val_')), ...EPOCH_METRICS.filter((m) => m.label.startsWith('val_'))];
  for (const m of metrics) {
    const v = log[m.key];
    if (typeof v === 'number') parts.push(`${m.label}: ${fmt(v)}`);
  }
  return parts.join(' - ');
}

function shownPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The shipped digits (static/data/digits.bin), decoded with the app's own parseDigits. */
function readDigits(): ReturnType<typeof parseDigits> {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(DIGITS_FILE);
  } catch (e) {
    throw new CliFailure(`Cannot read the digits data ${shownPath(DIGITS_FILE)}: ${(e as Error).message}`, DIGITS_HINT);
  }
  try {
    return parseDigits(bytes);
  } catch (e) {
    throw new CliFailure(`${shownPath(DIGITS_FILE)} is not a valid digits file: ${(e as Error).message}`, DIGITS_HINT);
  }
}

/**
 * The data set to train on in the CLI, with a note when it is not all of it: the toys and regressions are generated
 * as in the playground; the digits are the first --samples training images of the shipped file (its rows are
 * shuffled, so the first ones are a fair sample), by default a subset (DIGITS_TRAIN_SAMPLES): TF.js' cpu backend
 * is slow on images.
 */
function trainingData(choice: DataChoice, spec: ModelSpec): { ds: Dataset; note?: string } {
  const d = choice.data;
  if (isToyData(d)) return { ds: makeToy(d) };
  if (isRegressionData(d)) return { ds: makeRegression(d) };
  if (isSequenceData(d)) return { ds: makeSequence(d as SequenceParams) };
  if (isTextData(d)) {
    const name = d.name as TextName;
    const file = fileURLToPath(new URL(`../../static/${TEXTS[name].path}`, import.meta.url));
    let text: string;
    try {
      text = builtinText(name, readFileSync(file, 'utf8'));
    } catch (e) {
      throw new CliFailure(`Cannot read the ${name} text ${shownPath(file)}: ${(e as Error).message}`, `static/${TEXTS[name].path} ships with the repository`);
    }
    return { ds: makeTextDataset(text, d) };
  }
  const all = readDigits();
  const n = choice.digitsSamples ?? Math.min(all.n, spec.layers.some((l) => getLayer(l.kind)?.heavyOnCpu) ? DIGITS_TRAIN_SAMPLES.conv : DIGITS_TRAIN_SAMPLES.dense);
  if (n > all.n) throw new UsageError(`--samples must be between 1 and ${all.n} for the digits data (the training images of ${shownPath(DIGITS_FILE)}), got ${n}`);
  const ds: ClassificationDataset = { ...all, x: all.x.subarray(0, n * all.features), labels: all.labels.subarray(0, n), n, test: undefined };
  const note =
    n < all.n
      ? `Using the first ${n} of the ${all.n} training images of ${shownPath(DIGITS_FILE)}: TF.js on the cpu is slow on images (--samples N picks another number, up to ${all.n})`
      : `Using all ${n} training images of ${shownPath(DIGITS_FILE)}`;
  return { ds, note };
}

/** Creates the directory (and its parents), or fails when the path is a file. */
function ensureDir(dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new CliFailure(`${dir} exists and is not a directory`, 'Give --out a directory for --format tfjs');
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new CliFailure(`Cannot create the directory ${dir}: ${(e as Error).message}`);
  }
}

function write(path: string, data: string | Uint8Array): void {
  try {
    writeFileSync(path, data);
  } catch (e) {
    throw new CliFailure(`Cannot write ${path}: ${(e as Error).message}`);
  }
}

const keras: ExportFormat = {
  name: 'keras',
  help: [
    'a Python script meant to run unchanged in Keras 3: numpy code generating the data set (same',
    'distribution as the playground, not the same numbers; for the digits Keras\' own MNIST,',
    'keras.datasets.mnist.load_data(); for text and sequence data the same numbers, via a Python port',
    'of the playground\'s random number generator, reading shakespeare.txt / names.txt next to the',
    'script: --out copies it there), the program, and its model.fit(...). --seq-len N for sequences.',
    '--out FILE.py (default: standard output); --seed N adds keras.utils.set_random_seed(N).'
  ],
  options: DATA_OPTIONS,
  async run({ program, options, seed, seedGiven, out, io }) {
    const choice = chooseData(options, program);
    let script: string;
    try {
      script = printKerasScript(program.spec, choice.data, program.source, { seed: seedGiven ? seed : undefined, title: basename(program.file) });
    } catch (e) {
      throw new CliFailure(`${program.file} cannot train on ${describeData(choice.data)}${dataOrigin(choice)}: ${(e as Error).message}`, DATA_HINT);
    }
    if (out === undefined || out === '-') {
      io.out(script.replace(/\n$/, ''));
      return;
    }
    if (existsSync(out) && statSync(out).isDirectory()) throw new CliFailure(`${out} is a directory`, 'Give --out the path of the .py file to write');
    ensureDir(dirname(out));
    write(out, script);
    io.out(`Wrote ${out}: the ${program.spec.style} model, trained on ${describeData(choice.data)}.`);
    copyText(choice.data, dirname(out), io);
  }
};

/** A script that reads a shipped text (shakespeare.txt, names.txt) from its own folder: put the file there. */
function copyText(data: DataChoice['data'], dir: string, io: { out(text: string): void }) {
  if (!isTextData(data) || !(data.name in TEXTS)) return;
  const name = data.name as TextName;
  const target = join(dir, textFileName(name));
  if (existsSync(target)) return;
  write(target, readFileSync(fileURLToPath(new URL(`../../static/${TEXTS[name].path}`, import.meta.url))));
  io.out(`Wrote ${target}: the text the script reads.`);
}

const tfjs: ExportFormat = {
  name: 'tfjs',
  help: [
    'a TF.js layers model: DIR/model.json and DIR/group1-shard1of1.bin (load with',
    'tf.loadLayersModel(".../model.json")). Weights come from --seed: the same seed gives',
    'byte-identical weights. --out DIR is required; --epochs N trains first (TF.js cpu) on the',
    'data set and prints each epoch (the digits: a subset of the shipped training images, see',
    '--samples).'
  ],
  options: ['epochs', ...DATA_OPTIONS],
  async run({ program, options, seed, out, io }) {
    if (out === undefined) throw new UsageError('--format tfjs needs --out DIR, the directory to write model.json and its weights to');
    const epochs = intOption(options, 'epochs', 1, 100_000);
    if (existsSync(out) && !statSync(out).isDirectory()) throw new CliFailure(`${out} exists and is not a directory`, 'Give --out a directory for --format tfjs');
    let training: { choice: DataChoice; data: Extract<ReturnType<typeof bindData>, { ok: true }>['data']; note?: string } | undefined;
    if (epochs !== undefined) {
      const choice = chooseData(options, program, 'train');
      const { ds, note } = trainingData(choice, program.spec);
      const bound = bindData(ds, program.spec, program.summary.outputShapes[0]);
      if (!bound.ok) throw new CliFailure(`${program.file} cannot train on ${describeData(choice.data)}${dataOrigin(choice)}: ${bound.message}`, DATA_HINT);
      training = { choice, data: bound.data, note };
    } else {
      const unused = DATA_OPTIONS.filter((o) => options.has(o));
      if (unused.length) io.err(`note: ${unused.map((o) => `--${o}`).join(', ')} ${unused.length === 1 ? 'is' : 'are'} only used with --epochs N (training before the export)`);
    }
    const tf = await loadTf();
    const model = buildModel(tf, program.spec, seed);
    try {
      if (training && epochs !== undefined) {
        io.out(`Training ${epochs} epoch${epochs === 1 ? '' : 's'} on ${describeData(training.choice.data)}, TF.js ${tf.getBackend()}, seed ${seed}`);
        if (training.note) io.out(training.note);
        const result = await trainModel(tf, model, program.spec, training.data, { seed, epochs }, {
          onEpoch: (log) => io.out(epochLine(log, epochs)),
          shouldStop: () => false,
          waitIfPaused: async () => {}
        });
        if (result.status === 'diverged') throw new CliFailure(`Training stopped: ${result.message}`, 'Nothing was written');
      }
      const exported = await exportTfjsModel(tf, model);
      ensureDir(out);
      for (const f of exported.files) write(join(out, f.name), f.data);
      const [json, bin] = exported.files;
      io.out(`Wrote ${join(out, json.name)} (${kb(json.data.byteLength)}) and ${join(out, bin.name)} (${model.countParams()} parameters, ${kb(bin.data.byteLength)}).`);
    } finally {
      model.optimizer?.dispose();
      model.dispose();
    }
  }
};

/** The app's version (package.json), written as the ONNX producer_version. */
function appVersion(): string {
  try {
    return (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

const onnx: ExportFormat = {
  name: 'onnx',
  help: [
    'an ONNX model (opset 17, IR 8) for inference: --out FILE.onnx is required. Its weights are the',
    'initial ones of --seed, the same as --format tfjs with that seed; input named after the Keras',
    'Input, laid out like x_train (batch, ..., channels), batch size free; the program in metadata.'
  ],
  options: [],
  async run({ program, seed, out, io }) {
    if (out === undefined) throw new UsageError('--format onnx needs --out FILE.onnx, the file to write');
    if (existsSync(out) && statSync(out).isDirectory()) throw new CliFailure(`${out} is a directory`, 'Give --out the path of the .onnx file to write');
    const tf = await loadTf();
    const model = buildModel(tf, program.spec, seed);
    let bytes: Uint8Array;
    let histogram: [string, number][];
    try {
      const m = exportOnnx(program.spec, readTfjsWeights(model, program.spec), { source: program.source, seed, producerVersion: appVersion() });
      bytes = encodeModel(m);
      histogram = opHistogram(m);
    } catch (e) {
      throw new CliFailure(`${program.file}: ${(e as Error).message}`);
    } finally {
      model.optimizer?.dispose();
      model.dispose();
    }
    ensureDir(dirname(out) || '.');
    write(out, bytes);
    const nodes = histogram.reduce((a, [, n]) => a + n, 0);
    io.out(`Wrote ${out} (${kb(bytes.byteLength)}): ONNX opset 17, ${nodes} nodes, weights of seed ${seed}.`);
    io.out(`Ops: ${histogram.map(([op, n]) => `${op} ${n}`).join(', ')}`);
  }
};

const pytorch: ExportFormat = {
  name: 'pytorch',
  help: [
    'a PyTorch program: DIR/train.py (the model as an nn.Module, the data as numpy code, the loss,',
    'optimizer and fit settings; --weights, --predict, --epochs, --compile; runs under torchrun) and',
    'DIR/weights.npz (the weights of --seed, as --format tfjs, in Keras\' layout). --out DIR is required.'
  ],
  options: DATA_OPTIONS,
  async run({ program, options, seed, out, io }) {
    if (out === undefined) throw new UsageError('--format pytorch needs --out DIR, the directory to write train.py and weights.npz to');
    const { exportPytorch } = await import('../lib/pytorch/export');
    const choice = chooseData(options, program);
    const tf = await loadTf();
    const model = buildModel(tf, program.spec, seed);
    let exp: Awaited<ReturnType<typeof exportPytorch>>;
    try {
      exp = exportPytorch(program.spec, readTfjsWeights(model, program.spec), choice.data, { title: basename(program.file) });
    } catch (e) {
      throw new CliFailure(`${program.file}: ${(e as Error).message}`);
    } finally {
      model.optimizer?.dispose();
      model.dispose();
    }
    ensureDir(out);
    for (const f of exp.files) write(join(out, f.name), f.data);
    copyText(choice.data, out, io);
    io.out(`Wrote ${join(out, 'train.py')}, ${join(out, 'weights.npz')} (weights of seed ${seed}) and ${join(out, 'README.md')}, data: ${describeData(choice.data)}${dataOrigin(choice)}.`);
    io.out(`Run: cd ${out} && python3 train.py --weights weights.npz   (or torchrun --nproc_per_node=2 train.py --weights weights.npz)`);
  }
};

/** The formats of `export --format`, by name. */
export const FORMATS: Record<string, ExportFormat> = { keras, tfjs, onnx, pytorch };
