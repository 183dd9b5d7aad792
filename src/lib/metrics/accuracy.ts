/**
 * "accuracy" / "acc", resolved the way Keras does: binary accuracy for one output unit or a loss with 0/1 targets,
 * sparse categorical accuracy for class-index targets, categorical accuracy otherwise (the loss says which through
 * its `accuracy` field).
 */
import { getLoss } from '$lib/losses';
import { asFloat, type MetricDef, type MetricVariant } from './types';

export const binaryAccuracy: MetricVariant<'binary_accuracy'> = {
  kind: 'binary_accuracy',
  toPytorch: (pred, y) => `((${pred} > 0.5).float() == ${y}).float().mean()`,
  toTfjs: (tf) => tf.metrics.binaryAccuracy,
  toOnnx: (g, pred, y) =>
    g.node('ReduceMean', [asFloat(g, g.node('Equal', [y, asFloat(g, g.node('Greater', [pred, g.constFloat(0.5)]))]))], { keepdims: 0 }, { name: 'metric/binary_accuracy' })
};

export const categoricalAccuracy: MetricVariant<'categorical_accuracy'> = {
  kind: 'categorical_accuracy',
  toPytorch: (pred, y) => `(${pred}.argmax(-1) == ${y}.argmax(-1)).float().mean()`,
  toTfjs: (tf) => tf.metrics.categoricalAccuracy,
  toOnnx(g, pred, y, producer) {
    // argmax(pred) == argmax(y) for a one-hot y, in float32 only: the prediction's largest value is the one at the
    // true class. (WebGPU has no int64 Equal or Cast from int64: an ArgMax comparison runs on the CPU there, and
    // one node off the GPU keeps ORT from using graph capture.) Differs from argmax only on exact ties.
    // When pred is Softmax(z) over the last axis, compared on the logits z: the softmax keeps their order, and the
    // cross-entropy computes Σ y·z already (the compiled step's peephole pass, compile/fuse.ts, shares it). A tie
    // then means equal logits (not logits whose softmax values round to the same float).
    const scores = producer?.op === 'Softmax' && !producer.domain && (producer.attrs.axis ?? -1) === -1 ? producer.inputs[0] : pred;
    const top = g.node('ReduceMax', [scores], { axes: [-1], keepdims: 0 });
    const atTrue = g.node('ReduceSum', [g.node('Mul', [scores, y]), g.constInt64([-1])], { keepdims: 0 });
    return g.node('ReduceMean', [asFloat(g, g.node('Equal', [top, atTrue]))], { keepdims: 0 }, { name: 'metric/categorical_accuracy' });
  }
};

export const sparseCategoricalAccuracy: MetricVariant<'sparse_categorical_accuracy'> = {
  kind: 'sparse_categorical_accuracy',
  toPytorch: (pred, y) => `(${pred}.argmax(-1) == ${y}).float().mean()`,
  toTfjs: (tf) => tf.metrics.sparseCategoricalAccuracy,
  toOnnx: (g, pred, y) =>
    g.node('ReduceMean', [asFloat(g, g.node('Equal', [y, asFloat(g, g.node('ArgMax', [pred], { axis: -1, keepdims: 0 }))]))], { keepdims: 0 }, { name: 'metric/sparse_categorical_accuracy' })
};

export const accuracy: MetricDef<'accuracy', 'acc', 'binary_accuracy' | 'sparse_categorical_accuracy' | 'categorical_accuracy'> = {
  name: 'accuracy',
  aliases: ['acc'],
  doc: 'Fraction of samples whose predicted class (or 0/1 label) is right.',
  logKey: 'acc',
  variants: [binaryAccuracy, sparseCategoricalAccuracy, categoricalAccuracy],
  resolve(loss, outputUnits) {
    const pairs = getLoss(loss)?.accuracy;
    if (outputUnits === 1 || pairs === 'binary') return binaryAccuracy;
    if (pairs === 'sparse') return sparseCategoricalAccuracy;
    return categoricalAccuracy;
  }
};
