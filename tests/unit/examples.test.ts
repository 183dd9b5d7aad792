/**
 * Every program in examples/: it parses cleanly, its model has the parameter counts worked out by hand below, it is
 * valid Python, and it trains (loss falls over 3 epochs on TF.js' cpu backend) on the data set its header names.
 * Together the examples must use every layer of the registry, every optimizer and every loss.
 *
 * The digits examples train on a small synthetic stand-in of the same shape (blurred class-dependent blobs), not on
 * the shipped static/data/digits.bin, to stay fast; and with the cpu backend's three slowest gradient kernels
 * replaced by equivalent fast ones (`useFastCpuGradients` in src/lib/engines/tfjs/kernels.ts, checked against TF.js'
 * own in kernels.test.ts).
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataset } from '$lib/compile/test-helpers';
import { bindData } from '$lib/data/bind';
import { dataConstants } from '$lib/data/constants';
import { isSequenceName } from '$lib/data/sequences';
import { isTextName } from '$lib/data/text';
import { makeRegression, REGRESSION_NAMES, type RegressionName } from '$lib/data/regression';
import { Rng } from '$lib/data/rng';
import { makeToy, TOY_NAMES, type ToyName } from '$lib/data/toys';
import type { ClassificationDataset, Dataset } from '$lib/data/types';
import { buildModel } from '$lib/engines/tfjs/build';
import { useFastCpuGradients } from '$lib/engines/tfjs/kernels';
import { trainModel } from '$lib/engines/tfjs/train';
import { LEGACY_HEADERS, parseExampleHeader, type DatasetName, type ExampleHeader } from '$lib/examples';
import { LOSSES, OPTIMIZERS } from '$lib/keras/builtins';
import { parseProgram } from '$lib/keras/parse';
import { LAYER_KINDS } from '$lib/layers';
import { inferShapes } from '$lib/spec/shape';
import type { ModelSpec } from '$lib/spec/types';
import { needPython } from '$lib/test-python';

const DIR = 'examples';
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.py'))
  .sort();

/**
 * Parameter counts by hand (Keras' model.summary()): Dense in·units + units; Conv2D k·k·C_in·filters (+ filters
 * with a bias); BatchNormalization 4·C of which 2·C (moving mean and variance) are non-trainable; the other layers
 * have none.
 */
const EXPECTED: Record<string, { trainable: number; nonTrainable: number }> = {
  // Dense 2→8: 2·8+8 = 24; Dense 8→1: 8+1 = 9. Total 33.
  xor: { trainable: 33, nonTrainable: 0 },
  // Dense 2→16: 48; Dense 16→16: 256+16 = 272; Dense 16→3: 48+3 = 51. Total 371.
  spiral: { trainable: 371, nonTrainable: 0 },
  // Dense 2→16: 48; Dense 16→16: 272; Dense 16→1: 17. Total 337 (the L2 penalty adds no weights).
  circle_l2: { trainable: 337, nonTrainable: 0 },
  // Dense 1→32: 32+32 = 64; Dense 32→32: 1024+32 = 1056; Dense 32→1: 33. Total 1153.
  sine_regression: { trainable: 1153, nonTrainable: 0 },
  // Dense 2→1: 2+1 = 3.
  plane_regression: { trainable: 3, nonTrainable: 0 },
  // Flatten 28·28·1 = 784; Dense 784→128: 100352+128 = 100480; Dropout 0; Dense 128→10: 1280+10 = 1290. Total 101770.
  digits_mlp: { trainable: 101_770, nonTrainable: 0 },
  // Conv2D 3×3, 1→16: 9·16+16 = 160 → (26, 26, 16); MaxPool → (13, 13, 16);
  // Conv2D 3×3, 16→32: 9·16·32+32 = 4640 → (11, 11, 32); MaxPool → (5, 5, 32); Flatten → 800;
  // Dense 800→10: 8000+10 = 8010. Total 160+4640+8010 = 12810.
  digits_cnn: { trainable: 12_810, nonTrainable: 0 },
  // Dense 2→32: 96; two blocks of Dense 32→32 twice: 2·2·1056 = 4224; Add, Activation 0;
  // Concatenate (32 + 2) → 34; Dense 34→3: 102+3 = 105. Total 96+4224+105 = 4425.
  residual_mlp: { trainable: 4425, nonTrainable: 0 },
  // Dense 2→512: 2·512+512 = 1536; three Dense 512→512: 3·(262144+512) = 787968; Dense 512→3: 1536+3 = 1539.
  // Total 1536+787968+1539 = 791043.
  wide_mlp: { trainable: 791_043, nonTrainable: 0 },
  // Conv2D 3×3, 1→8, no bias: 72; BN(8): 16 + 16; AvgPool → (14, 14, 8);
  // Conv2D 3×3, 8→16, no bias: 1152; BN(16): 32 + 32; AvgPool → (7, 7, 16);
  // Conv2D 3×3, 16→32, no bias: 4608; BN(32): 64 + 64; GAP keepdims → (1, 1, 32); Dropout;
  // Conv2D 1×1, 32→10: 320+10 = 330; Reshape → (10,); Activation.
  // Trainable 72+16+1152+32+4608+64+330 = 6274; non-trainable 16+32+64 = 112; total 6386.
  bn_dropout_cnn: { trainable: 6274, nonTrainable: 112 },
  // Dense 2→16: 48; Dense 16→16: 272; Dense 16→1: 17 (ReLU and LeakyReLU have no weights). Total 337.
  capped_relu: { trainable: 337, nonTrainable: 0 },
  // Sequences. Embedding V·d; Conv1D k·C_in·filters + filters; SimpleRNN F·U + U·U + U; LSTM 4·(F·U + U·U + U);
  // GRU (reset_after=True, two bias rows) 3·(F·U + U·U + 2·U); Bidirectional twice its layer. None depends on seq_len.
  // Embedding 65·32 = 2080; GRU 3·(32·128 + 128·128 + 256) = 62208; Dense 128→65: 8320+65 = 8385. Total 72673.
  char_gru_shakespeare: { trainable: 72_673, nonTrainable: 0 },
  // Embedding 27·16 = 432; GRU 3·(16·64 + 64·64 + 128) = 15744; Dense 64→27: 1728+27 = 1755. Total 17931.
  names_gru: { trainable: 17_931, nonTrainable: 0 },
  // Embedding 432; Conv1D 2·16·64+64 = 2112; two Conv1D 2·64·64+64 = 8256; Dense 1755. Total 20811.
  names_causal_conv: { trainable: 20_811, nonTrainable: 0 },
  // LSTM 4·(1·32 + 32·32 + 32) = 4352; Dense 32+1 = 33. Total 4385.
  sine_lstm: { trainable: 4385, nonTrainable: 0 },
  // Conv1D 5·1·16+16 = 96; Conv1D 3·16·16+16 = 784; poolings 0; Dense 16+1 = 17. Total 897.
  sine_conv1d: { trainable: 897, nonTrainable: 0 },
  // Embedding 2·4 = 8; SimpleRNN 4·16 + 16·16 + 16 = 336; Dense 17. Total 361.
  parity_simple_rnn: { trainable: 361, nonTrainable: 0 },
  // Embedding 8; LSTM 4·(4·16 + 16·16 + 16) = 1344; Dense 17. Total 1369.
  parity_lstm: { trainable: 1369, nonTrainable: 0 },
  // Embedding 8; Conv1D 3·4·16+16 = 208; Dense 17. Total 233.
  parity_conv1d: { trainable: 233, nonTrainable: 0 },
  // Embedding 10·16 = 160; Bidirectional(LSTM 64) on 16: 2·4·(16·64 + 64·64 + 64) = 41472; on 128:
  // 2·4·(128·64 + 64·64 + 64) = 98816; Dense 128→10: 1290. Total 141738.
  reverse_bidirectional: { trainable: 141_738, nonTrainable: 0 },
  // MultiHeadAttention(h heads, key_dim k) on width d: query, key, value kernels d·h·k + biases h·k each, output kernel
  // h·k·d + bias d; LayerNormalization 2·d; PositionEmbedding seq_len·d.
  // Tiny GPT, seq_len 64, vocab 65, d 64, 4 heads of 16: Embedding 65·64 = 4160; PositionEmbedding 64·64 = 4096; per
  // block LN 128 + MHA 3·(4096+64) + (4096+64) = 16640 + LN 128 + Dense 64→256 16640 + Dense 256→64 16448 = 49984, two
  // blocks 99968; final LN 128; Dense 64→65 4225. Total 112577.
  tiny_gpt_shakespeare: { trainable: 112_577, nonTrainable: 0 },
  // seq_len 12, vocab 2, d 16: Embedding 32; PositionEmbedding 192; MHA(2, 8) 3·(256+16) + (256+16) = 1088;
  // Dense 16→32 544; Dense 32→1 33. Total 1889.
  parity_attention: { trainable: 1889, nonTrainable: 0 },
  // seq_len 8, vocab 10, d 32: TokenAndPositionEmbedding 10·32 + 8·32 = 576; TransformerEncoder(64, 2): MHA(2, 16)
  // 3·(1024+32) + (1024+32) = 4224, LN 64, Dense 32→64 2112, Dense 64→32 2080, LN 64 = 8544; Dense 32→10 330. Total 9450.
  reverse_transformer: { trainable: 9450, nonTrainable: 0 },
  // seq_len 16, vocab 27, d 32: TokenAndPositionEmbedding 864 + 512; TransformerDecoder(64, 2) 8544 (as the encoder);
  // Dense 32→27 891. Total 10811.
  names_transformer: { trainable: 10_811, nonTrainable: 0 }
};

/**
 * The text and sequence examples train (below) at a short sequence length, on a few windows, so three epochs of an
 * RNN stay quick on the cpu backend; their parameter counts do not depend on seq_len.
 */
const TRAIN_SEQ_LEN = 8;
const SEQUENCE_ROWS = 96;

interface Loaded {
  id: string;
  path: string;
  source: string;
  header: ExampleHeader;
  spec: ModelSpec;
}

function load(file: string): Loaded {
  const path = join(DIR, file);
  const source = readFileSync(path, 'utf8');
  const id = file.replace(/\.py$/, '');
  const header = parseExampleHeader(source) ?? LEGACY_HEADERS[id];
  const result = parseProgram(source, { constants: dataConstants(header.data) });
  return { id, path, source, header, spec: result.spec as ModelSpec };
}

/**
 * A deterministic stand-in for the digits: n images (28, 28, 1) in [0, 1], class c drawn as two blurred blobs at
 * angles 36°·c and 36°·c + 90° on a circle around the centre, jittered by a pixel or two, plus faint noise.
 */
function syntheticDigits(n: number, seed = 7): ClassificationDataset {
  const rng = new Rng(seed);
  const x = new Float32Array(n * 784);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 10;
    labels[i] = c;
    const blobs = [0, Math.PI / 2].map((d) => {
      const a = (2 * Math.PI * c) / 10 + d;
      return [14 + 8 * Math.cos(a) + rng.uniform(-1.5, 1.5), 14 + 8 * Math.sin(a) + rng.uniform(-1.5, 1.5)];
    });
    for (let r = 0; r < 28; r++) {
      for (let col = 0; col < 28; col++) {
        let v = 0;
        for (const [bx, by] of blobs) v += Math.exp(-((col - bx) ** 2 + (r - by) ** 2) / (2 * 2.5 ** 2));
        x[i * 784 + r * 28 + col] = Math.min(1, v + rng.uniform(0, 0.05));
      }
    }
  }
  // Shuffle rows so validation_split sees every class.
  const order = rng.permutation(n);
  const xs = new Float32Array(n * 784);
  const ls = new Int32Array(n);
  order.forEach((src, k) => {
    xs.set(x.subarray(src * 784, (src + 1) * 784), k * 784);
    ls[k] = labels[src];
  });
  return { kind: 'classification', name: 'digits', x: xs, labels: ls, n, features: 784, sampleShape: [28, 28, 1], numClasses: 10 };
}

/**
 * Fewer rows for the examples that are slow on TF.js' pure-JS cpu backend: wide_mlp (a benchmark model, ~0.8 M
 * weights) takes about a second per batch there, so it trains on 100 spiral points (3 batches of 32 per epoch).
 */
const ROWS: Record<string, number> = { wide_mlp: 100 };

function dataFor(name: DatasetName, id = '', seqLen?: number): Dataset {
  if (name === 'digits') return syntheticDigits(DIGITS_STAND_IN);
  if (isTextName(name) || isSequenceName(name)) return dataset(name, SEQUENCE_ROWS, seqLen);
  if ((TOY_NAMES as string[]).includes(name)) return makeToy({ name: name as ToyName, seed: 1, samples: ROWS[id] });
  if ((REGRESSION_NAMES as string[]).includes(name)) return makeRegression({ name: name as RegressionName, seed: 1 });
  throw new Error(`no data set ${name}`);
}

/** Images in the digits stand-in: enough for 3 batches of 64 per epoch after validation_split=0.1. */
const DIGITS_STAND_IN = 160;

const examples = FILES.map(load);

describe('examples/', () => {
  it('has an expected parameter count for every example, and an example for every count', () => {
    expect(FILES.map((f) => f.replace(/\.py$/, '')).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(examples.map((e) => [e.id, e] as const))('%s', (id, ex) => {
    it('has a header naming its data set', () => {
      expect(ex.header, `${id}.py needs "# Title — description" and "# data: <name>" as its first two lines`).toBeTruthy();
      expect(ex.header.title.length).toBeGreaterThan(2);
      expect(ex.header.description.length).toBeGreaterThan(10);
      if (id !== 'spiral') expect(parseExampleHeader(ex.source)).toEqual(ex.header);
    });

    it('parses with no diagnostics', () => {
      expect(parseProgram(ex.source, { constants: dataConstants(ex.header.data) }).diagnostics).toEqual([]);
      expect(ex.spec).not.toBeNull();
      expect(ex.spec.compile).not.toBeNull();
      expect(ex.spec.fit).toMatchObject({ x: 'x_train', y: 'y_train' });
    });

    it('has the parameter counts worked out by hand', () => {
      const { summary, diagnostics } = inferShapes(ex.spec);
      expect(diagnostics).toEqual([]);
      expect({ trainable: summary!.trainable, nonTrainable: summary!.nonTrainable }).toEqual(EXPECTED[id]);
    });

    it('binds to its data set', () => {
      const r = bindData(dataFor(ex.header.data), ex.spec, inferShapes(ex.spec).summary!.outputShapes[0]);
      expect(r.ok ? '' : r.message).toBe('');
    });
  });

  it('together use every layer, every optimizer (SGD with momentum and Nesterov too) and every loss', () => {
    const kinds = new Set(examples.flatMap((e) => e.spec.layers.map((l) => l.kind)));
    expect([...LAYER_KINDS].filter((k) => !kinds.has(k)), 'layers without an example').toEqual([]);
    const optimizers = new Set(examples.map((e) => e.spec.compile!.optimizer.name));
    expect(Object.keys(OPTIMIZERS).filter((o) => !optimizers.has(o as never)), 'optimizers without an example').toEqual([]);
    const nesterov = examples.some((e) => {
      const o = e.spec.compile!.optimizer;
      return o.name === 'sgd' && (o.args.momentum as number) > 0 && o.args.nesterov === true;
    });
    expect(nesterov, 'an example with SGD(momentum=..., nesterov=True)').toBe(true);
    const losses = new Set(examples.map((e) => e.spec.compile!.loss));
    expect([...new Set(Object.values(LOSSES))].filter((l) => !losses.has(l)), 'losses without an example').toEqual([]);
    // A kernel regularizer and the functional API with a loop are shown somewhere too.
    expect(examples.some((e) => e.spec.layers.some((l) => l.args.kernel_regularizer))).toBe(true);
    expect(examples.some((e) => e.spec.style === 'functional' && /^for \w+ in range\(/m.test(e.source))).toBe(true);
  });

  const py = needPython();
  py.it(`python3 -m py_compile accepts every example${py.note}`, () => {
    // One python3 for all the files; the cache prefix keeps __pycache__ out of examples/.
    const cache = mkdtempSync(join(tmpdir(), 'pycache-'));
    try {
      const r = spawnSync('python3', ['-m', 'py_compile', ...FILES.map((f) => join(DIR, f))], { env: { ...process.env, PYTHONPYCACHEPREFIX: cache }, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });

  describe('training', () => {
    let restore = () => {};
    beforeAll(async () => {
      await tf.setBackend('cpu');
      restore = useFastCpuGradients(tf);
    });
    afterAll(() => restore());

    it.each(examples.map((e) => [e.id, e] as const))('%s: the loss falls over 3 epochs', async (_id, ex) => {
      const sequences = isTextName(ex.header.data) || isSequenceName(ex.header.data);
      const spec = sequences ? parseProgram(ex.source, { constants: dataConstants(ex.header.data, { seqLen: TRAIN_SEQ_LEN }) }).spec! : ex.spec;
      const r = bindData(dataFor(ex.header.data, ex.id, TRAIN_SEQ_LEN), spec, inferShapes(spec).summary!.outputShapes[0]);
      if (!r.ok) throw new Error(r.message);
      const model = buildModel(tf, spec, 1);
      try {
        const result = await trainModel(tf, model, spec, r.data, { seed: 1, epochs: 3 }, { onEpoch: () => {}, shouldStop: () => false, waitIfPaused: async () => {} });
        expect(result.status).toBe('completed');
        const losses = result.history.map((l) => l.loss);
        expect(losses).toHaveLength(3);
        for (const l of losses) expect(Number.isFinite(l)).toBe(true);
        expect(losses[2], `losses ${losses.join(', ')}`).toBeLessThan(losses[0]);
      } finally {
        model.optimizer?.dispose();
        model.dispose();
      }
    });
  });
});
