/**
 * Binds a data set to what `model.fit(x_train, y_train)` means for this program: the features checked
 * against the model's input, the labels encoded for its loss and last layer (one-hot, sparse, 0/1 column).
 * Mismatches come back as one plain, actionable sentence.
 *
 * - Classification rows (toys): x is (n, features); the labels are encoded for the loss, as the playground
 *   prepares the data itself (no keras.utils.to_categorical needed for categorical_crossentropy).
 * - Images (digits): x is (n, 28, 28, 1) and the model's input must be exactly that sample shape. Like Keras, a
 *   model taking (784,) is NOT fed flattened images: the message suggests keras.Input(shape=(28, 28, 1)) +
 *   layers.Flatten(). Labels are encoded as for the toys (sparse or one-hot following the loss).
 * - Regression (sine, plane): mse / mae only, with one output unit per target; y passes through unchanged.
 */
import { formatTuple } from '$lib/spec/shape';
import type { LossName, ModelSpec, Shape } from '$lib/spec/types';
import type { BoundData, ClassificationDataset, Dataset, RegressionDataset, SequenceDataset } from './types';

/**
 * A failure may name the layer to point at (`nodeId`: a LayerNode's id, e.g. the Embedding whose input_dim is too
 * small or the last layer whose units do not match), so the UI can show the message at that layer's line.
 */
export type BindResult = { ok: true; data: BoundData } | { ok: false; message: string; nodeId?: string };

function plural(n: number, word: string): string {
  if (n === 1) return `1 ${word}`;
  return `${n} ${word.endsWith('s') ? `${word}es` : `${word}s`}`;
}

function lastLayerFix(numClasses: number): string {
  return `layers.Dense(${numClasses}, activation="softmax")`;
}

function oneHot(labels: Int32Array, k: number): Float32Array {
  const y = new Float32Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) y[i * k + labels[i]] = 1;
  return y;
}

function column(labels: Int32Array): Float32Array {
  return Float32Array.from(labels);
}

/** The shape of one sample of `ds.x`, without the batch axis: `[features]` for rows, e.g. [28, 28, 1] for images. */
export function sampleShape(ds: Dataset): Shape {
  if (ds.kind === 'sequence') return ds.sampleShape;
  return ds.kind === 'classification' && ds.sampleShape ? ds.sampleShape : [ds.features];
}

function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function size(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Why the model's input does not fit the data's samples, or null when it does. */
function inputMismatch(ds: Dataset, inShape: Shape): string | null {
  const sample = sampleShape(ds);
  if (sameShape(inShape, sample)) return null;
  const what = `the ${ds.name} data`;
  if (ds.kind === 'sequence') return sequenceInputMismatch(ds, inShape);
  if (sample.length === 1) {
    return `The model's input has shape ${formatTuple(inShape)} but ${what} has ${plural(ds.features, 'feature')} — use keras.Input(shape=${formatTuple(sample)})`;
  }
  // Images: Keras does not reshape x_train to fit the model, so neither do we.
  const images = `${what} holds images of shape ${formatTuple(sample)} (x_train is (${ds.n}, ${sample.join(', ')}))`;
  if (inShape.length === 1 && inShape[0] === size(sample)) {
    return `The model's input has shape ${formatTuple(inShape)} but ${images} — use keras.Input(shape=${formatTuple(sample)}) followed by layers.Flatten() to feed Dense layers`;
  }
  return `The model's input has shape ${formatTuple(inShape)} but ${images} — use keras.Input(shape=${formatTuple(sample)})`;
}

/**
 * @param outputShape the model's output shape without the batch axis (from `inferShapes`), e.g. [3].
 */
export function bindData(ds: Dataset, spec: ModelSpec, outputShape: Shape): BindResult {
  const fail = (message: string): BindResult => ({ ok: false, message });
  const what = `the ${ds.name} data`;
  const sample = sampleShape(ds);
  const yName = ds.kind === 'regression' ? 'targets' : 'labels';

  if (spec.inputs.length !== 1) {
    return fail(`The model has ${plural(spec.inputs.length, 'input')} but ${what} gives one array of features (x_train) — give the model a single keras.Input(shape=${formatTuple(sample)})`);
  }
  if (spec.outputs.length !== 1) {
    return fail(`The model has ${plural(spec.outputs.length, 'output')} but ${what} gives one array of ${yName} (y_train) — give the model a single output`);
  }
  const mismatch = inputMismatch(ds, spec.inputs[0].shape);
  if (mismatch) return fail(mismatch);
  if (!spec.compile) {
    return fail('The model is not compiled — call model.compile(optimizer=..., loss=...) before model.fit(...)');
  }
  if (ds.kind === 'sequence') return bindSequence(ds, spec, spec.compile.loss, outputShape);
  return ds.kind === 'regression' ? bindRegression(ds, spec.compile.loss, outputShape) : bindClassification(ds, spec.compile.loss, outputShape);
}

function bindRegression(ds: RegressionDataset, loss: LossName, outputShape: Shape): BindResult {
  const fail = (message: string): BindResult => ({ ok: false, message });
  const what = `the ${ds.name} data`;
  const What = `The ${ds.name} data`;
  const t = ds.targets;
  const fix = `layers.Dense(${t})`;
  if (loss !== 'mse' && loss !== 'mae') {
    return fail(`The loss ${loss} is for classification but ${what} is for regression (real-valued targets) — use loss="mse" or loss="mae"`);
  }
  if (!outputShape || outputShape.length !== 1) {
    const shown = outputShape ? formatTuple(outputShape) : 'an unknown shape';
    return fail(`The last layer outputs shape ${shown} but ${what} has ${plural(t, 'target')} per sample — end the model with ${fix}`);
  }
  if (outputShape[0] !== t) {
    return fail(`${What} has ${plural(t, 'target')} per sample but the last layer outputs ${plural(outputShape[0], 'unit')} — end the model with ${fix}`);
  }
  return { ok: true, data: { x: ds.x, xShape: [ds.n, ds.features], y: ds.y, yShape: [ds.n, t], n: ds.n, numClasses: 0, target: 'value' } };
}

function bindClassification(ds: ClassificationDataset, loss: LossName, outputShape: Shape): BindResult {
  const fail = (message: string): BindResult => ({ ok: false, message });
  const what = `the ${ds.name} data`;
  const What = `The ${ds.name} data`;
  const k = ds.numClasses;
  if (!outputShape || outputShape.length !== 1) {
    const shown = outputShape ? formatTuple(outputShape) : 'an unknown shape';
    return fail(`The last layer outputs shape ${shown} but ${what} has one label per sample — end the model with ${k === 2 && loss === 'binary_crossentropy' ? 'layers.Dense(1, activation="sigmoid")' : lastLayerFix(k)}`);
  }
  const units = outputShape[0];
  const n = ds.n;
  const x = ds.x;
  const xShape = [n, ...sampleShape(ds)];
  const ok = (y: Float32Array, yShape: number[], target: BoundData['target']): BindResult => ({
    ok: true,
    data: { x, xShape, y, yShape, n, numClasses: k, target }
  });

  switch (loss) {
    case 'categorical_crossentropy':
    case 'sparse_categorical_crossentropy': {
      if (k === 2 && units === 1) {
        return fail(`With one output unit use loss="binary_crossentropy" — or keep ${loss} and end the model with ${lastLayerFix(2)}`);
      }
      if (units !== k) {
        return fail(`${What} has ${plural(k, 'class')} but the last layer outputs ${plural(units, 'unit')} — use ${lastLayerFix(k)}`);
      }
      return loss === 'categorical_crossentropy' ? ok(oneHot(ds.labels, k), [n, k], 'onehot') : ok(column(ds.labels), [n], 'sparse');
    }
    case 'binary_crossentropy': {
      if (k !== 2) {
        return fail(`binary_crossentropy needs 2 classes but ${what} has ${k} — use loss="categorical_crossentropy" with ${lastLayerFix(k)}`);
      }
      if (units !== 1) {
        return fail(`binary_crossentropy needs one output unit but the last layer outputs ${units} — use layers.Dense(1, activation="sigmoid")`);
      }
      return ok(column(ds.labels), [n, 1], 'binary');
    }
    case 'mse':
    case 'mae': {
      if (units === k && k > 1) return ok(oneHot(ds.labels, k), [n, k], 'onehot');
      if (units === 1) return ok(column(ds.labels), [n, 1], 'index');
      return fail(`${What} has ${plural(k, 'class')} but the last layer outputs ${plural(units, 'unit')} — use layers.Dense(${k}) to predict one-hot labels, or layers.Dense(1) to predict the class index`);
    }
    default:
      return fail(`The loss ${String(loss)} is not supported here`);
  }
}

/** Rows used for training when fitting with this validation split (Keras: `floor(n * (1 - split))`). */
export function trainRows(n: number, validationSplit: number): number {
  if (!(validationSplit > 0)) return n;
  return Math.floor(n * (1 - validationSplit));
}

// --- Text and sequences -------------------------------------------------------------------------------------------

function tupleOf(shape: Shape): string {
  return formatTuple(shape);
}

/** Why the model's input does not fit sequence data (token ids (seq_len,) or a series (seq_len, 1)). */
function sequenceInputMismatch(ds: SequenceDataset, inShape: Shape): string {
  const T = ds.seqLen;
  const what = `the ${ds.name} data`;
  const dims = ds.sampleShape.join(', ');
  if (ds.vocabSize > 0) {
    const want = `keras.Input(shape=(${T},), dtype="int32")`;
    if (inShape.length === 2 && inShape[0] === T && inShape[1] === 1) {
      return `The model's input has shape ${tupleOf(inShape)} but ${what} holds token ids of shape (${T},) per sample (x_train is (${ds.n}, ${dims})) — use ${want} followed by layers.Embedding(${ds.vocabSize}, ...) or layers.Reshape((${T}, 1))`;
    }
    return `The model's input has shape ${tupleOf(inShape)} but ${what} holds sequences of ${T} token ids (x_train is (${ds.n}, ${dims})) — use ${want}`;
  }
  return `The model's input has shape ${tupleOf(inShape)} but ${what} holds windows of ${T} steps with 1 feature (x_train is (${ds.n}, ${dims})) — use keras.Input(shape=(${T}, 1))`;
}

function perStep(ds: SequenceDataset): boolean {
  return ds.targetShape.length === 1 && ds.targetShape[0] === ds.seqLen && ds.seqLen > 1;
}

function bindSequence(ds: SequenceDataset, spec: ModelSpec, loss: LossName, outputShape: Shape): BindResult {
  const what = `the ${ds.name} data`;
  const What = `The ${ds.name} data`;
  const last = spec.outputs[0];
  const fail = (message: string, nodeId?: string): BindResult => (nodeId ? { ok: false, message, nodeId } : { ok: false, message });
  const T = ds.seqLen;
  const n = ds.n;

  // An Embedding must have a row for every token id of the data.
  for (const layer of spec.layers) {
    if (layer.kind !== 'Embedding') continue;
    if (ds.vocabSize === 0) {
      return fail(`${What} holds real values, not token ids, so an Embedding cannot look them up — remove the Embedding and feed the (${T}, 1) windows to the RNN or Conv1D directly`, layer.id);
    }
    const dim = Number(layer.args.input_dim);
    if (Number.isFinite(dim) && dim < ds.vocabSize) {
      return fail(`The Embedding's input_dim is ${dim} but ${what} has ${ds.vocabSize} tokens (ids 0–${ds.vocabSize - 1}) — use layers.Embedding(vocab_size, ...) (vocab_size = ${ds.vocabSize})`, layer.id);
    }
  }

  const shown = outputShape ? tupleOf(outputShape) : 'an unknown shape';
  if (ds.task === 'value') {
    if (loss !== 'mse' && loss !== 'mae') {
      return fail(`The loss ${loss} is for classification but ${what} is for regression (real-valued targets) — use loss="mse" or loss="mae"`);
    }
    if (!outputShape || outputShape.length !== 1) {
      const steps = outputShape && outputShape.length === 2 && outputShape[0] === T;
      return fail(
        steps
          ? `The last layer outputs shape ${shown}, a prediction at every step, but ${what} has one target per sequence (the next value, y_train is (${n}, 1)) — drop return_sequences=True from the last recurrent layer (or pool over time) and end with layers.Dense(1)`
          : `The last layer outputs shape ${shown} but ${what} has one target per sequence (y_train is (${n}, 1)) — end the model with layers.Dense(1)`,
        last
      );
    }
    if (outputShape[0] !== 1) {
      return fail(`${What} has 1 target per sequence but the last layer outputs ${plural(outputShape[0], 'unit')} — end the model with layers.Dense(1)`, last);
    }
    return { ok: true, data: { x: ds.x, xShape: [n, ...ds.sampleShape], y: ds.y, yShape: [n, 1], n, numClasses: 0, target: 'value' } };
  }

  const k = ds.numClasses;
  if (perStep(ds)) {
    const fix = `layers.Dense(${k}, activation="softmax")`;
    if (!outputShape || outputShape.length !== 2) {
      const seq = outputShape && outputShape.length === 1;
      return fail(
        seq
          ? `The last layer outputs shape ${shown}, one prediction per sequence, but ${what} has a label at every step (y_train is (${n}, ${T})) — give the recurrent layers return_sequences=True (and keep the time axis) so that ${fix} predicts each step`
          : `The last layer outputs shape ${shown} but ${what} has a label at every step (y_train is (${n}, ${T})) — end the model with ${fix} on (${T}, features)`,
        last
      );
    }
    if (outputShape[0] !== T) {
      return fail(`The last layer outputs ${outputShape[0]} steps but ${what} has a label at each of its ${T} steps — keep the time axis at ${T} (padding="same" or "causal" in Conv1D, no pooling)`, last);
    }
    if (outputShape[1] !== k) {
      return fail(`${What} has ${plural(k, 'token')} (vocab_size = ${k}) but the last layer outputs ${plural(outputShape[1], 'unit')} per step — use ${fix}`, last);
    }
    switch (loss) {
      case 'sparse_categorical_crossentropy':
        return { ok: true, data: { x: ds.x, xShape: [n, T], y: ds.y, yShape: [n, T], n, numClasses: k, target: 'sparse' } };
      case 'categorical_crossentropy': {
        const y = new Float32Array(ds.y.length * k);
        for (let i = 0; i < ds.y.length; i++) y[i * k + ds.y[i]] = 1;
        return { ok: true, data: { x: ds.x, xShape: [n, T], y, yShape: [n, T, k], n, numClasses: k, target: 'onehot' } };
      }
      default:
        return fail(`The loss ${loss} does not fit ${what}: it has a class (one of ${k} tokens) at every step — use loss="sparse_categorical_crossentropy"`);
    }
  }

  // One class label per sequence (parity).
  if (outputShape && outputShape.length === 2) {
    return fail(`The last layer outputs shape ${shown}, a prediction at every step, but ${what} has one label per sequence (y_train is (${n}, 1)) — drop return_sequences=True from the last recurrent layer (or pool over time with layers.GlobalAveragePooling1D())`, last);
  }
  const asRows: ClassificationDataset = { kind: 'classification', name: ds.name, x: ds.x, labels: Int32Array.from(ds.y), n, features: ds.features, sampleShape: ds.sampleShape, numClasses: k };
  const r = bindClassification(asRows, loss, outputShape);
  return r.ok ? r : { ...r, nodeId: last };
}
