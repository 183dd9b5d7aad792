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

export type Dataset = ClassificationDataset | RegressionDataset;

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
