/**
 * Data sets as the app holds them (plain typed arrays: structured-clone and transfer friendly),
 * and the arrays a program's `x_train, y_train` are bound to for one model (see bind.ts).
 */

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
  features: number;
  numClasses: number;
  classNames?: string[];
  /** A held-out test set (`x_test, y_test`); not produced yet. */
  test?: ClassificationSplit;
}

export type Dataset = ClassificationDataset;

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
  numClasses: number;
  /** How `y` encodes the labels. */
  target: 'onehot' | 'sparse' | 'binary' | 'index';
}
