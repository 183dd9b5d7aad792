/**
 * Data sets as the app holds them (plain typed arrays: structured-clone and transfer friendly),
 * and the arrays a program's `x_train, y_train` are bound to for one model (see bind.ts).
 */
import type { Shape } from '$lib/spec/types';


/** Rows of features with one integer class label per row. */
export interface ClassificationSplit {
  /** Features, row-major: n × features. */
  x: Float32Array;
  /** Class index per row, in [0, numClasses). */
  labels: Int32Array;
  n: number;
}

export interface ClassificationDataset extends ClassificationSplit {
  kind: 'classification';
  /** Short name used in messages ("the spiral data has 3 classes"). */
  name: string;
  /** Values per row (the product of `sampleShape`). */
  features: number;
  /**
   * Shape of one sample without the batch axis, e.g. [28, 28, 1] for images (`x` is row-major, channels last).
   * Absent for flat rows, which means `[features]`.
   */
  sampleShape?: Shape;
  numClasses: number;
  classNames?: string[];
  /** A held-out test set (`x_test, y_test`), where the data set has one (digits). */
  test?: ClassificationSplit;
}

/** Rows of features with real-valued targets. */
export interface RegressionSplit {
  /** Features, row-major: n × features. */
  x: Float32Array;
  /** Targets, row-major: n × targets. */
  y: Float32Array;
  n: number;
}

export interface RegressionDataset extends RegressionSplit {
  kind: 'regression';
  /** Short name used in messages ("the sine data has 1 target"). */
  name: string;
  features: number;
  targets: number;
  /** A held-out test set (`x_test, y_test`); not produced for the generated data sets. */
  test?: RegressionSplit;
}

/** Sequences of one data set split: `x` row-major n × sampleShape, `y` row-major n × targetShape. */
export interface SequenceSplit {
  /** Token ids (as floats: text, reverse, parity) or real values (sine_series), row-major n × sampleShape. */
  x: Float32Array;
  /** Class ids (as floats) or real values, row-major n × targetShape. */
  y: Float32Array;
  n: number;
}

/**
 * Text and sequence data (see text.ts and sequences.ts): `x_train` is (n, seq_len) token ids or (n, seq_len, 1)
 * values; `y_train` is per step (n, seq_len) — the next character at each position, the reversed sequence — or per
 * sequence (n, 1) — parity's bit, the series' next value.
 */
export interface SequenceDataset extends SequenceSplit {
  kind: 'sequence';
  /** Short name used in messages ("the shakespeare data has 65 tokens"). */
  name: string;
  /** Time steps per sample (`seq_len`). */
  seqLen: number;
  /** Shape of one sample of x: [seqLen] for token ids, [seqLen, 1] for a series. */
  sampleShape: Shape;
  /** Values per sample of x (the product of `sampleShape`). */
  features: number;
  /** Shape of one sample's target: [seqLen] (per step) or [1] (per sequence). */
  targetShape: Shape;
  /** 'classes': y holds class ids in [0, numClasses); 'value': real-valued targets (regression). */
  task: 'classes' | 'value';
  /** Classes of y (the vocabulary for text and reverse, 2 for parity); 0 for real-valued targets. */
  numClasses: number;
  /** Size of the input vocabulary (`vocab_size`: ids in x lie in [0, vocabSize)); 0 when x holds real values. */
  vocabSize: number;
  /** Id → displayed token (text: the character; reverse: '0'–'9'; parity: '0', '1'). */
  tokens?: string[];
  /** A held-out test set (`x_test, y_test`): the tail of the text for text data. */
  test?: SequenceSplit;
  /**
   * sine_series: the whole series the windows are cut from (window i is series[i .. i + seqLen), its target
   * series[i + seqLen]; the test windows follow the training ones), for the prediction and forecast pictures.
   */
  series?: Float32Array;
}

export type Dataset = ClassificationDataset | RegressionDataset | SequenceDataset;

/**
 * `x_train, y_train` as the compiled model wants them: the targets already encoded for its loss
 * (one-hot, sparse labels, 0/1 column). Row order is the data set's order: the last
 * `validation_split` fraction of rows is the validation set, as in Keras.
 */
export interface BoundData {
  /** Row-major, shape `xShape` (with the batch axis first). */
  x: Float32Array;
  xShape: number[];
  /** Row-major, shape `yShape` (with the batch axis first). */
  y: Float32Array;
  yShape: number[];
  /** Number of rows. */
  n: number;
  /** Number of classes; 0 for regression data. */
  numClasses: number;
  /** How `y` encodes the labels; 'value' for regression targets (passed through as they are). */
  target: 'onehot' | 'sparse' | 'binary' | 'index' | 'value';
}
