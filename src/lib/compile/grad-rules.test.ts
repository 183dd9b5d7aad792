/**
 * Every gradient rule vs TF.js `tf.grads` (cpu backend): a tiny graph op(inputs) → ReduceSum(output · R) with R
 * random, its generated backward pass run by ONNX Runtime (wasm), compared to TF.js on the same inputs.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs';
import { encodeModel, float, GraphBuilder, makeModel } from '$lib/onnx/graph';
import { Rng } from '$lib/data/rng';
import { parseProgram } from '$lib/keras/parse';
import { LAYERS } from '$lib/layers';
import type { LayerDef } from '$lib/layers/types';
import { EXAMPLES } from '$lib/examples';
import { CONFORMANCE_CASES, exampleCases } from '$lib/onnx/conformance';
import { lowerModel } from '$lib/onnx/export';
import type { ModelSpec } from '$lib/spec/types';
import { backprop, inferShapes, MissingRuleError, RULES, type OpRule, type Shapes } from './grad-rules';
import { checkCompiledSupport } from './train-step';

type T = tf.Tensor;
interface In {
  shape: number[];
  /** Values away from 0 (Log, Sqrt, Div). */
  positive?: boolean;
  /** Not differentiated (labels, masks). */
  constant?: boolean;
  /** Few distinct values (ties inside pooling windows). */
  ties?: boolean;
}

let seed = 1;
function rand(shape: number[], positive = false): Float32Array {
  const r = new Rng(seed++);
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => (positive ? r.uniform(0.5, 2) : r.uniform(-1.5, 1.5)));
}

function relErr(a: Float32Array, b: Float32Array): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-3);
}

const covered = new Set<string>();

async function check(ins: In[], onnx: (g: GraphBuilder, xs: string[]) => string, ref: (...xs: T[]) => T, tol = 1e-4): Promise<void> {
  const data = ins.map((i) => (i.ties ? rand(i.shape).map((v) => Math.round(v)) : rand(i.shape, i.positive)));
  const g = new GraphBuilder('rule');
  const names = ins.map((inp, k) => g.input(`x${k}`, 'float32', inp.shape));
  const y = onnx(g, names);
  const shapes: Shapes = new Map(ins.map((inp, k) => [names[k], inp.shape]));
  inferShapes(g, shapes);
  const yShape = shapes.get(y)!;
  const r = rand(yShape);
  const n0 = g.graph.nodes.length;
  const loss = g.node('ReduceSum', [g.node('Mul', [y, g.constFloat(r, yShape)])], { keepdims: 0 });
  inferShapes(g, shapes, n0);
  const forwardOps = g.graph.nodes.map((n) => n.op);
  forwardOps.forEach((op) => covered.add(op));
  const wrt = names.filter((_, k) => !ins[k].constant);
  const grads = backprop(g, loss, wrt, shapes);
  wrt.forEach((w, k) => g.output(g.node('Identity', [grads.get(w)!], {}, { outputNames: [`g${k}`] }), 'float32', shapes.get(w)!));
  g.output(loss, 'float32', []);
  const session = await ort.InferenceSession.create(encodeModel(makeModel(g.graph, { producerVersion: 'test' })), { executionProviders: ['wasm'] });
  const feeds = Object.fromEntries(names.map((n, k) => [n, new ort.Tensor('float32', data[k], ins[k].shape)]));
  const out = await session.run(feeds);
  await session.release();

  const tins = data.map((d, k) => tf.tensor(d, ins[k].shape));
  const diffIdx = ins.map((_, k) => k).filter((k) => !ins[k].constant);
  const f = (...xs: T[]) => {
    const all = [...tins];
    diffIdx.forEach((k, j) => (all[k] = xs[j]));
    return tf.sum(tf.mul(ref(...all), tf.tensor(r, yShape)));
  };
  const expectLoss = (f(...diffIdx.map((k) => tins[k])).dataSync() as Float32Array)[0];
  expect(Math.abs((out[loss].data as Float32Array)[0] - expectLoss) / Math.max(1, Math.abs(expectLoss))).toBeLessThan(1e-4);
  const tg = tf.grads(f)(diffIdx.map((k) => tins[k]));
  tg.forEach((t, j) => {
    const got = out[`g${j}`].data as Float32Array;
    const want = t.dataSync() as Float32Array;
    expect(got.length).toBe(want.length);
    expect(relErr(got, want), `gradient of input ${diffIdx[j]} (${forwardOps.join(',')})`).toBeLessThanOrEqual(tol);
  });
  tf.dispose([...tins, ...tg]);
}

const nchwToNhwc = (x: T) => tf.transpose(x, [0, 2, 3, 1]);
const nhwcToNchw = (x: T) => tf.transpose(x, [0, 3, 1, 2]);

/** (co, ci, kh, kw) → (co, ci, 2kh-1, 2kw-1) with zeros between the taps (a dilation-2 kernel as a plain one). */
function dilate2(w: T): T {
  const [co, ci, kh, kw] = w.shape;
  const a = tf.slice(tf.reshape(tf.stack([w, tf.zerosLike(w)], 3), [co, ci, kh * 2, kw]), [0, 0, 0, 0], [co, ci, 2 * kh - 1, kw]);
  return tf.slice(tf.reshape(tf.stack([a, tf.zerosLike(a)], 4), [co, ci, 2 * kh - 1, kw * 2]), [0, 0, 0, 0], [co, ci, 2 * kh - 1, 2 * kw - 1]);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('gradient rules vs tf.grads', () => {
  it('Add / Sub / Mul / Div with broadcasting', async () => {
    await check([{ shape: [3, 4] }, { shape: [4] }], (g, [a, b]) => g.node('Add', [a, b]), (a, b) => tf.add(a, b));
    await check([{ shape: [3, 4] }, { shape: [3, 1] }], (g, [a, b]) => g.node('Add', [a, b]), (a, b) => tf.add(a, b));
    await check([{ shape: [2, 3, 4] }, { shape: [1, 4] }], (g, [a, b]) => g.node('Sub', [a, b]), (a, b) => tf.sub(a, b));
    await check([{ shape: [1, 4] }, { shape: [3, 1] }], (g, [a, b]) => g.node('Mul', [a, b]), (a, b) => tf.mul(a, b));
    await check([{ shape: [3, 4] }, { shape: [4], positive: true }], (g, [a, b]) => g.node('Div', [a, b]), (a, b) => tf.div(a, b));
    // Dropout in training: x · mask (the mask is an input without gradient).
    await check([{ shape: [4, 5] }, { shape: [4, 5], constant: true }], (g, [a, m]) => g.node('Mul', [a, m]), (a, m) => tf.mul(a, m));
  });

  it('MatMul (2-D and batched) and Gemm', async () => {
    await check([{ shape: [5, 3] }, { shape: [3, 4] }], (g, [a, b]) => g.node('MatMul', [a, b]), (a, b) => tf.matMul(a, b));
    await check([{ shape: [2, 5, 3] }, { shape: [3, 4] }], (g, [a, b]) => g.node('MatMul', [a, b]), (a, b) => tf.matMul(a, tf.broadcastTo(b, [2, 3, 4])));
    await check(
      [{ shape: [5, 3] }, { shape: [4, 3] }, { shape: [4] }],
      (g, [a, b, c]) => g.node('Gemm', [a, b, c], { transB: 1, alpha: float(0.5), beta: float(2) }),
      (a, b, c) => tf.add(tf.mul(tf.matMul(a, b, false, true), 0.5), tf.mul(c, 2))
    );
  });

  it('activations', async () => {
    const x = [{ shape: [4, 6] }];
    await check(x, (g, [a]) => g.node('Relu', [a]), (a) => tf.relu(a));
    await check(x, (g, [a]) => g.node('LeakyRelu', [a], { alpha: float(0.2) }), (a) => tf.leakyRelu(a, 0.2));
    await check(x, (g, [a]) => g.node('Elu', [a], { alpha: float(1) }), (a) => tf.elu(a));
    await check(x, (g, [a]) => g.node('Sigmoid', [a]), (a) => tf.sigmoid(a));
    await check(x, (g, [a]) => g.node('Tanh', [a]), (a) => tf.tanh(a));
    await check(x, (g, [a]) => g.node('Softmax', [a], { axis: -1 }), (a) => tf.softmax(a));
    await check(x, (g, [a]) => g.node('Exp', [a]), (a) => tf.exp(a));
    await check(x, (g, [a]) => g.node('Neg', [a]), (a) => tf.neg(a));
    await check(x, (g, [a]) => g.node('Erf', [a]), (a) => tf.erf(a));
    await check(x, (g, [a]) => g.node('Abs', [a]), (a) => tf.abs(a));
    await check(x, (g, [a]) => g.node('Identity', [a]), (a) => a);
    await check([{ shape: [4, 6], positive: true }], (g, [a]) => g.node('Log', [a]), (a) => tf.log(a));
    await check([{ shape: [4, 6], positive: true }], (g, [a]) => g.node('Sqrt', [a]), (a) => tf.sqrt(a));
    await check(x, (g, [a]) => g.node('Clip', [a, g.constFloat(-0.5), g.constFloat(0.7)]), (a) => tf.clipByValue(a, -0.5, 0.7));
  });

  it('reductions', async () => {
    const x = [{ shape: [2, 3, 4] }];
    await check(x, (g, [a]) => g.node('ReduceSum', [a, g.constInt64([1])], { keepdims: 0 }), (a) => tf.sum(a, 1));
    await check(x, (g, [a]) => g.node('ReduceMean', [a], { axes: [0, 2], keepdims: 1 }), (a) => tf.mean(a, [0, 2], true));
    await check(x, (g, [a]) => g.node('ReduceLogSumExp', [a], { axes: [-1], keepdims: 0 }), (a) => tf.logSumExp(a, -1));
  });

  it('layout: Transpose, Reshape, Flatten, Concat', async () => {
    await check([{ shape: [2, 3, 4] }], (g, [a]) => g.node('Transpose', [a], { perm: [0, 2, 1] }), (a) => tf.transpose(a, [0, 2, 1]));
    await check([{ shape: [2, 3, 4] }], (g, [a]) => g.node('Reshape', [a, g.constInt64([4, -1])]), (a) => tf.reshape(a, [4, 6]));
    await check([{ shape: [2, 3, 4] }], (g, [a]) => g.node('Flatten', [a], { axis: 1 }), (a) => tf.reshape(a, [2, 12]));
    await check([{ shape: [2, 3] }, { shape: [2, 2] }, { shape: [2, 1] }], (g, xs) => g.node('Concat', xs, { axis: -1 }), (a, b, c) => tf.concat([a, b, c], -1));
  });

  it('Conv with strides, asymmetric pads, dilation; bias', async () => {
    // TF.js: NHWC, kernel (kh, kw, cin, cout), explicit padding [[0,0],[top,bottom],[left,right],[0,0]].
    const tfConv = (x: T, w: T, b: T | null, strides: number, pads: number[], dil: number) => {
      const y = tf.conv2d(nchwToNhwc(x) as tf.Tensor4D, tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D, strides, [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]], 'NHWC', dil);
      return nhwcToNchw(b ? tf.add(y, b) : y);
    };
    await check(
      [{ shape: [2, 3, 7, 7] }, { shape: [4, 3, 3, 3] }, { shape: [4] }],
      (g, [x, w, b]) => g.node('Conv', [x, w, b], { strides: [2, 2], pads: [1, 0, 1, 1], kernel_shape: [3, 3] }),
      (x, w, b) => tfConv(x, w, b, 2, [1, 0, 1, 1], 1)
    );
    await check(
      [{ shape: [1, 2, 6, 6] }, { shape: [3, 2, 2, 3] }],
      (g, [x, w]) => g.node('Conv', [x, w], { dilations: [2, 2], pads: [1, 1, 1, 1] }),
      // TF.js has no conv gradient for dilation > 1: the reference dilates the kernel by inserting zeros.
      (x, w) => tfConv(x, dilate2(w), null, 1, [1, 1, 1, 1], 1)
    );
    // 'same' padding as Keras writes it (auto_pad) with stride 2 on an even size.
    await check(
      [{ shape: [2, 2, 6, 6] }, { shape: [3, 2, 3, 3] }],
      (g, [x, w]) => g.node('Conv', [x, w], { strides: [2, 2], auto_pad: 'SAME_UPPER', kernel_shape: [3, 3] }),
      (x, w) => nhwcToNchw(tf.conv2d(nchwToNhwc(x) as tf.Tensor4D, tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D, 2, 'same'))
    );
  });

  it('MaxPool / AveragePool with strides and pads, GlobalAveragePool', async () => {
    await check(
      [{ shape: [2, 3, 7, 7] }],
      (g, [x]) => g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
      (x) => nhwcToNchw(tf.maxPool(nchwToNhwc(x) as tf.Tensor4D, 3, 2, 1))
    );
    await check(
      [{ shape: [2, 3, 6, 6] }],
      (g, [x]) => g.node('MaxPool', [x], { kernel_shape: [2, 2], strides: [2, 2] }),
      (x) => nhwcToNchw(tf.maxPool(nchwToNhwc(x) as tf.Tensor4D, 2, 2, 'valid'))
    );
    // Ties: the gradient goes to the first maximum of each window (row-major), as in TF.js.
    await check(
      [{ shape: [2, 2, 6, 6], ties: true }],
      (g, [x]) => g.node('MaxPool', [x], { kernel_shape: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1] }),
      (x) => nhwcToNchw(tf.maxPool(nchwToNhwc(x) as tf.Tensor4D, 3, 1, 'same'))
    );
    await check(
      [{ shape: [2, 3, 7, 7] }],
      (g, [x]) => g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2] }),
      (x) => nhwcToNchw(tf.avgPool(nchwToNhwc(x) as tf.Tensor4D, 3, 2, 'valid'))
    );
    await check(
      [{ shape: [2, 3, 6, 6] }],
      (g, [x]) => g.node('AveragePool', [x], { kernel_shape: [2, 2], strides: [2, 2] }),
      (x) => nhwcToNchw(tf.avgPool(nchwToNhwc(x) as tf.Tensor4D, 2, 2, 'valid'))
    );
    await check([{ shape: [2, 3, 4, 5] }], (g, [x]) => g.node('GlobalAveragePool', [x]), (x) => tf.mean(x, [2, 3], true));
  });

  it('1-D windows as height-1 images, as Conv1D and the 1-D poolings lower: causal and dilated, strided, "same" pads', async () => {
    const conv = (x: T, w: T, b: T | null, strides: [number, number], pads: number[]) => {
      const y = tf.conv2d(nchwToNhwc(x) as tf.Tensor4D, tf.transpose(w, [2, 3, 1, 0]) as tf.Tensor4D, strides, [[0, 0], [pads[0], pads[2]], [pads[1], pads[3]], [0, 0]], 'NHWC');
      return nhwcToNchw(b ? tf.add(y, b) : y);
    };
    // Conv1D(3, padding="causal", dilation_rate=2): (k - 1) · d = 4 zeros on the left only.
    await check(
      [{ shape: [2, 3, 1, 9] }, { shape: [4, 3, 1, 3] }, { shape: [4] }],
      (g, [x, w, b]) => g.node('Conv', [x, w, b], { kernel_shape: [1, 3], dilations: [1, 2], pads: [0, 4, 0, 0] }),
      (x, w, b) => conv(x, dilate2(w), b, [1, 1], [0, 4, 0, 0])
    );
    // Conv1D(3, strides=2, padding="causal") on an odd length.
    await check(
      [{ shape: [2, 2, 1, 9] }, { shape: [3, 2, 1, 3] }],
      (g, [x, w]) => g.node('Conv', [x, w], { kernel_shape: [1, 3], strides: [1, 2], pads: [0, 2, 0, 0] }),
      (x, w) => conv(x, w, null, [1, 2], [0, 2, 0, 0])
    );
    // MaxPooling1D(3, strides=2, padding="same") on 8 steps (one pad after), with ties.
    await check(
      [{ shape: [2, 3, 1, 8], ties: true }],
      (g, [x]) => g.node('MaxPool', [x], { kernel_shape: [1, 3], strides: [1, 2], pads: [0, 0, 0, 1] }),
      (x) => nhwcToNchw(tf.maxPool(nchwToNhwc(x) as tf.Tensor4D, [1, 3], [1, 2], 'same'))
    );
    // AveragePooling1D(4, strides=3, padding="same") on 10 steps: pads 1 | 2 left out of the averages.
    const ones = tf.ones([1, 4, 2, 1]) as tf.Tensor4D;
    await check(
      [{ shape: [2, 2, 1, 10] }],
      (g, [x]) => g.node('AveragePool', [x], { kernel_shape: [1, 4], strides: [1, 3], pads: [0, 1, 0, 2], count_include_pad: 0 }),
      (x) => {
        const sums = tf.depthwiseConv2d(nchwToNhwc(x) as tf.Tensor4D, ones, [1, 3], 'same');
        const counts = tf.depthwiseConv2d(tf.onesLike(nchwToNhwc(x)) as tf.Tensor4D, ones, [1, 3], 'same');
        return nhwcToNchw(tf.div(sums, counts));
      }
    );
  });

  it('AveragePool with pads: the true gradient (each window divides by the cells inside the input)', async () => {
    // TF.js' avgPoolGrad divides by the full window even where the forward pass excluded padding, so the reference
    // here is the forward pass itself through tf.grads of a differentiable formulation: conv with a ones kernel / counts.
    const counts = (x: T) => nhwcToNchw(tf.depthwiseConv2d(tf.onesLike(nchwToNhwc(x)) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 2, 'same'));
    await check(
      [{ shape: [1, 2, 6, 6] }],
      (g, [x]) => g.node('AveragePool', [x], { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }),
      (x) => {
        const sums = tf.depthwiseConv2d(nchwToNhwc(x) as tf.Tensor4D, tf.ones([3, 3, 2, 1]) as tf.Tensor4D, 2, 'same');
        const c = counts(x);
        return tf.div(nhwcToNchw(sums), c);
      }
    );
  });

  it('BatchNorm in training mode (composition) and Dropout mask', async () => {
    const eps = 1e-3;
    await check(
      [{ shape: [6, 2, 2, 3] }, { shape: [3] }, { shape: [3] }],
      (g, [x, gamma, beta]) => {
        const mean = g.node('ReduceMean', [x], { axes: [0, 1, 2], keepdims: 1 });
        const d = g.node('Sub', [x, mean]);
        const v = g.node('ReduceMean', [g.node('Mul', [d, d])], { axes: [0, 1, 2], keepdims: 1 });
        const inv = g.node('Div', [g.constFloat(1), g.node('Sqrt', [g.node('Add', [v, g.constFloat(eps)])])]);
        return g.node('Add', [g.node('Mul', [g.node('Mul', [d, inv]), gamma]), beta]);
      },
      (x, gamma, beta) => {
        const { mean, variance } = tf.moments(x, [0, 1, 2], false);
        return tf.batchNorm(x, mean, variance, beta, gamma, eps);
      }
    );
  });

  it('losses: softmax + cross-entropy fused, MSE, MAE, L1/L2', async () => {
    // Categorical cross-entropy from logits as the compiler writes it: mean(logsumexp(z) − Σ y·z), y one-hot.
    const onehot = (g: GraphBuilder) => g.constFloat(Float32Array.from({ length: 20 }, (_, i) => (i % 4 === (i >> 2) % 4 ? 1 : 0)), [5, 4]);
    await check(
      [{ shape: [5, 4] }],
      (g, [z]) => {
        const y = onehot(g);
        const lse = g.node('ReduceLogSumExp', [z], { axes: [-1], keepdims: 0 });
        const yz = g.node('ReduceSum', [g.node('Mul', [y, z]), g.constInt64([-1])], { keepdims: 0 });
        return g.node('ReduceMean', [g.node('Sub', [lse, yz])], { keepdims: 0 });
      },
      (z) => tf.mean(tf.metrics.categoricalCrossentropy(tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0], 'int32'), 4), tf.softmax(z)))
    );
    await check(
      [{ shape: [5, 2] }, { shape: [5, 2], constant: true }],
      (g, [p, y]) => {
        const d = g.node('Sub', [p, y]);
        return g.node('ReduceMean', [g.node('Mul', [d, d])], { keepdims: 0 });
      },
      (p, y) => tf.mean(tf.metrics.meanSquaredError(y, p))
    );
    await check(
      [{ shape: [5, 2] }, { shape: [5, 2], constant: true }],
      (g, [p, y]) => g.node('ReduceMean', [g.node('Abs', [g.node('Sub', [p, y])])], { keepdims: 0 }),
      (p, y) => tf.mean(tf.metrics.meanAbsoluteError(y, p))
    );
    await check(
      [{ shape: [3, 4] }],
      (g, [w]) => {
        const l1 = g.node('Mul', [g.constFloat(0.01), g.node('ReduceSum', [g.node('Abs', [w])], { keepdims: 0 })]);
        const l2 = g.node('Mul', [g.constFloat(0.02), g.node('ReduceSum', [g.node('Mul', [w, w])], { keepdims: 0 })]);
        return g.node('Add', [l1, l2]);
      },
      (w) => tf.regularizers.l1l2({ l1: 0.01, l2: 0.02 }).apply(w)
    );
  });

  it('catches a wrong rule (the check can fail)', async () => {
    const sigmoid = RULES.Sigmoid;
    RULES.Sigmoid = { ...sigmoid, grad: RULES.Tanh.grad };
    try {
      await expect(check([{ shape: [3, 4] }], (g, [a]) => g.node('Sigmoid', [a]), (a) => tf.sigmoid(a))).rejects.toThrow(/gradient of input 0/);
    } finally {
      RULES.Sigmoid = sigmoid;
    }
  });

  it('Reciprocal; Squeeze, Unsqueeze, Expand', async () => {
    await check([{ shape: [4, 6], positive: true }], (g, [a]) => g.node('Reciprocal', [a]), (a) => tf.reciprocal(a));
    await check([{ shape: [3, 1, 4] }], (g, [a]) => g.node('Squeeze', [a, g.constInt64([1])]), (a) => tf.squeeze(a, [1]));
    await check([{ shape: [3, 4] }], (g, [a]) => g.node('Unsqueeze', [a, g.constInt64([1, -1])]), (a) => tf.reshape(a, [3, 1, 4, 1]));
    await check([{ shape: [3, 1] }], (g, [a]) => g.node('Expand', [a, g.constInt64([2, 3, 4])]), (a) => tf.broadcastTo(a, [2, 3, 4]));
  });

  it('Where (with broadcasting) and the ops without gradient: Greater, Less, Equal, Not, Cast, Sign, ArgMax, ReduceMax, ConstantOfShape', async () => {
    // c: a constant input (no gradient) that the comparisons read; ties give exact zeros for Equal.
    await check(
      [{ shape: [3, 4], constant: true }, { shape: [3, 4] }, { shape: [4] }],
      (g, [c, a, b]) => g.node('Where', [g.node('Greater', [c, g.constFloat(0)]), a, b]),
      (c, a, b) => tf.where(tf.greater(c, 0), a, tf.broadcastTo(b, [3, 4]))
    );
    await check(
      [{ shape: [3, 4], constant: true, ties: true }, { shape: [3, 1] }, { shape: [3, 4] }],
      (g, [c, a, b]) => g.node('Where', [g.node('Not', [g.node('Equal', [c, g.constFloat(0)])]), a, b]),
      (c, a, b) => tf.where(tf.logicalNot(tf.equal(c, 0)), tf.broadcastTo(a, [3, 4]), b)
    );
    await check(
      [{ shape: [3, 4], constant: true }, { shape: [3, 4] }],
      (g, [c, a]) => g.node('Mul', [a, g.node('Cast', [g.node('Less', [c, g.constFloat(0)])], { to: 1 })]),
      (c, a) => tf.mul(a, tf.cast(tf.less(c, 0), 'float32'))
    );
    await check([{ shape: [3, 4], constant: true }, { shape: [3, 4] }], (g, [c, a]) => g.node('Mul', [a, g.node('Sign', [c])]), (c, a) => tf.mul(a, tf.sign(c)));
    await check(
      [{ shape: [4, 6], constant: true }, { shape: [4, 6] }],
      (g, [c, a]) => g.node('Mul', [a, g.node('Cast', [g.node('ArgMax', [c], { axis: 1, keepdims: 1 })], { to: 1 })]),
      (c, a) => tf.mul(a, tf.cast(tf.expandDims(tf.argMax(c, 1), 1), 'float32'))
    );
    await check(
      [{ shape: [4, 6], constant: true }, { shape: [4, 6] }],
      (g, [c, a]) => g.node('Mul', [a, g.node('ReduceMax', [c], { axes: [1], keepdims: 1 })]),
      (c, a) => tf.mul(a, tf.max(c, 1, true))
    );
    await check(
      [{ shape: [2, 3] }],
      (g, [a]) => g.node('Add', [a, g.node('ConstantOfShape', [g.constInt64([2, 3])], { value: { tensor: { name: 'value', dtype: 'float32', dims: [1], data: Float32Array.of(0.5) } } })]),
      (a) => tf.add(a, 0.5)
    );
  });

  it('Gather picks a step from a constant stack (its forward value checked); on the way to a trained value it is refused by name', async () => {
    await check(
      [{ shape: [3, 4, 5], constant: true }, { shape: [4, 5] }],
      (g, [stack, w]) => g.node('Mul', [g.node('Gather', [stack, g.constInt64(1)], { axis: 0 }), w]),
      (stack, w) => tf.mul(tf.gather(stack, 1, 0), w)
    );
    // Gather along another axis than 0 of a trained value has a shape rule but no gradient: backprop names the op.
    const g = new GraphBuilder('refuse');
    const x = g.input('x', 'float32', [3, 4]);
    const y = g.node('Gather', [x, g.constInt64([1, 0])], { axis: 1 });
    const loss = g.node('ReduceSum', [y], { keepdims: 0 });
    const shapes: Shapes = new Map([[x, [3, 4]]]);
    inferShapes(g, shapes);
    let err: unknown = null;
    try {
      backprop(g, loss, [x], shapes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingRuleError);
    expect((err as MissingRuleError).op).toBe('Gather');
    expect((err as Error).message).toContain('Gather');
  });

  // An Embedding's lookup: Gather(embeddings, Cast(ids → int32); int64 indices alike); the gradient of the matrix is a scatter-add of the
  // rows of gy, repeated ids adding up (id 2 appears three times, id 4 never).
  const IDS = [2, 0, 2, 5, 1, 2];
  const embeddingLookup = (g: GraphBuilder, w: string, ids: number[], dims: number[], to = 6) => g.node('Gather', [w, g.node('Cast', [g.constFloat(Float32Array.from(ids), dims)], { to })], { axis: 0 });
  const tfLookup = (w: T, ids: number[], dims: number[]) => tf.gather(w, tf.tensor(ids, dims, 'int32'), 0);

  it('Gather of a trained matrix (Embedding): scatter-add of the rows, repeated ids summed', async () => {
    await check([{ shape: [6, 3] }], (g, [w]) => embeddingLookup(g, w, IDS, [2, 3]), (w) => tfLookup(w, IDS, [2, 3]));
    await check([{ shape: [7, 2, 3] }], (g, [w]) => embeddingLookup(g, w, IDS, [6], 7), (w) => tfLookup(w, IDS, [6]));
    // Then a Dense on (batch, steps, dim), as in a language model: the gradient flows through MatMul into the lookup.
    await check(
      [{ shape: [6, 4] }, { shape: [4, 5] }],
      (g, [w, k]) => g.node('MatMul', [embeddingLookup(g, w, IDS, [3, 2]), k]),
      (w, k) => tf.matMul(tf.reshape(tfLookup(w, IDS, [3, 2]), [6, 4]), k).reshape([3, 2, 5])
    );
  });

  it('catches a wrong Gather rule (repeated ids overwritten instead of summed)', async () => {
    const gather = RULES.Gather;
    const grad = gather.grad as Exclude<OpRule['grad'], 'none'>;
    // A plausible bug: one-hot with each id's gradient scaled by 1 / its count, as if a repeated row were set, not added.
    RULES.Gather = {
      ...gather,
      grad: (c, gys, need) => {
        const [gx] = grad(c, gys, need);
        if (!gx) return [null, null];
        const counts = Float32Array.from({ length: c.shape(c.node.inputs[0])[0] }, (_, k) => 1 / Math.max(1, IDS.filter((i) => i === k).length));
        return [c.g.node('Mul', [gx, c.g.constFloat(counts, [counts.length, 1])]), null];
      }
    };
    try {
      await expect(check([{ shape: [6, 3] }], (g, [w]) => embeddingLookup(g, w, IDS, [2, 3]), (w) => tfLookup(w, IDS, [2, 3]))).rejects.toThrow(/gradient of input 0/);
    } finally {
      RULES.Gather = gather;
    }
  });

  it('ReduceMax (GlobalMaxPooling1D): the gradient goes to the maxima, every tie in full as TF.js does', async () => {
    await check([{ shape: [3, 7, 4] }], (g, [x]) => g.node('ReduceMax', [x], { axes: [1], keepdims: 0 }), (x) => tf.max(x, 1));
    await check([{ shape: [3, 5, 4], ties: true }], (g, [x]) => g.node('ReduceMax', [x], { axes: [1], keepdims: 1 }), (x) => tf.max(x, 1, true));
    await check([{ shape: [4, 6], ties: true }], (g, [x]) => g.node('ReduceMax', [x], { axes: [-1], keepdims: 0 }), (x) => tf.max(x, -1));
  });

  it('Split (the recurrent layers: time steps and gates), an output without gradient filled with zeros', async () => {
    const split = (g: GraphBuilder, x: string, sizes: number[], axis: number) => g.nodeMulti('Split', [x, g.constInt64(sizes)], { axis }, { outputs: sizes.length });
    // Gates along the last axis, the middle one unused: its gradient is zeros.
    await check([{ shape: [3, 5] }], (g, [x]) => {
      const [a, , c] = split(g, x, [2, 1, 2], -1);
      return g.node('Mul', [a, c]);
    }, (x) => {
      const [a, , c] = tf.split(x, [2, 1, 2], -1);
      return tf.mul(a, c);
    });
    // Time steps along axis 1, re-stacked in reverse order (go_backwards), one step dropped.
    await check([{ shape: [2, 3, 4] }], (g, [x]) => {
      const [a, b] = split(g, x, [1, 1, 1], 1);
      return g.node('Concat', [b, g.node('Tanh', [a])], { axis: 1 });
    }, (x) => {
      const [a, b] = tf.split(x, 3, 1);
      return tf.concat([b, tf.tanh(a)], 1);
    });
  });

  it('LayerNormalization over the last axes (with its Mean and InvStdDev outputs, and without), Scale and B of the normalised shape', async () => {
    // Keras' formula with TF.js ops: mean and biased variance over the axes from `from`, then · gamma + beta.
    const ln = (x: T, gamma: T, beta: T | null, from: number, eps: number) => {
      const { mean, variance } = tf.moments(x, Array.from({ length: x.rank - from }, (_, i) => from + i), true);
      const y = tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma);
      return beta ? tf.add(y, beta) : y;
    };
    await check(
      [{ shape: [3, 4, 5] }, { shape: [5] }, { shape: [5] }],
      (g, [x, s, b]) => g.nodeMulti('LayerNormalization', [x, s, b], { axis: -1, epsilon: { float: 1e-3 } }, { outputs: 3 })[0],
      (x, s, b) => ln(x, s, b, 2, 1e-3)
    );
    // Over the last two axes, no B, only Y (mean and deviation recomputed).
    await check([{ shape: [2, 3, 4] }, { shape: [3, 4] }], (g, [x, s]) => g.node('LayerNormalization', [x, s], { axis: 1, epsilon: { float: 0.01 } }), (x, s) => ln(x, s, null, 1, 0.01));
    // A constant Scale (scale=False: ones), B trained.
    await check(
      [{ shape: [4, 6] }, { shape: [6], constant: true }, { shape: [6] }],
      (g, [x, s, b]) => g.nodeMulti('LayerNormalization', [x, s, b], { axis: 1, epsilon: { float: 1e-3 } }, { outputs: 3 })[0],
      (x, s, b) => ln(x, s, b, 1, 1e-3)
    );
  });

  it('Shape (no gradient) and Expand to the Shape of a value (PositionEmbedding: its rows broadcast to the input)', async () => {
    await check([{ shape: [4, 3] }, { shape: [2, 4, 3], constant: true }], (g, [p, x]) => g.node('Expand', [p, g.node('Shape', [x])]), (p, x) => tf.broadcastTo(p, x.shape));
  });

  it('covers every rule in the table (a new rule without a check here fails)', () => {
    const unchecked = Object.keys(RULES).filter((op) => !covered.has(op));
    expect(unchecked, 'rules without a numeric check against tf.grads').toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Layer lowerings vs the table: an op a lowering emits either has a rule (and so a check above), or the compiler
// refuses the model with a message that names the op and the layer's line.

/** The training-mode forward graph of `spec` (placeholder weights), with the layer that emitted each node. */
function lowerForTraining(spec: ModelSpec): { op: string; layer: string; line: number }[] {
  const g = new GraphBuilder('ops');
  const owner: { layer: string; line: number }[] = [];
  const saved = LAYERS.map((def) => [def, def.toOnnx] as const);
  for (const [def, lower] of saved) {
    if (!lower) continue;
    (def as LayerDef).toOnnx = (node, ctx) => {
      const from = ctx.g.graph.nodes.length;
      const out = lower.call(def, node, ctx);
      for (let i = from; i < ctx.g.graph.nodes.length; i++) owner[i] ??= { layer: node.id, line: node.span.line };
      return out;
    };
  }
  try {
    lowerModel(g, spec, {
      training: true,
      nameOutputs: false,
      weight: (node, name) => g.input(`w:${node.id}/${name}:${g.graph.inputs.length}`, 'float32', []),
      updateState: () => undefined,
      dropoutMask: (node) => g.input(`mask:${node.id}:${g.graph.inputs.length}`, 'float32', [])
    });
  } finally {
    for (const [def, lower] of saved) (def as LayerDef).toOnnx = lower;
  }
  return g.graph.nodes.map((n, i) => ({ op: n.op, ...(owner[i] ?? { layer: '', line: 0 }) }));
}

type Support = (spec: ModelSpec) => ReturnType<typeof checkCompiledSupport>;

/** What is wrong with how the compiler treats the ops of `spec` that have no rule ([] when nothing). */
function refusalProblems(spec: ModelSpec, support: Support = checkCompiledSupport): { missing: string[]; problems: string[] } {
  const nodes = lowerForTraining(spec).filter((n) => !RULES[n.op]);
  if (nodes.length === 0) return { missing: [], problems: [] };
  const first = nodes[0];
  const r = support(spec);
  const problems: string[] = [];
  if (r.ok) problems.push(`${first.op} (line ${first.line}) has no rule, yet the compiler accepts the model`);
  else {
    if (r.op !== first.op || !r.message.includes(first.op)) problems.push(`the refusal does not name ${first.op}: op "${r.op}", "${r.message}"`);
    if (r.line !== first.line || !r.message.includes(`line ${first.line}`)) problems.push(`the refusal does not give ${first.op}'s layer line ${first.line}: line ${r.line}, "${r.message}"`);
  }
  return { missing: [...new Set(nodes.map((n) => n.op))], problems };
}

const compiled = (source: string, constants?: Record<string, number>): ModelSpec => {
  const r = parseProgram(/\.compile\(/.test(source) ? source : `${source}model.compile(optimizer="sgd", loss="mse")\n`, { constants });
  if (!r.spec) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.spec;
};

describe('layer lowerings vs the gradient table', () => {
  it('every op a layer lowering emits (each conformance case and example, training mode) has a rule, or the refusal names the op and the line', () => {
    const missing = new Map<string, string[]>();
    const problems: string[] = [];
    const kinds = new Set<string>();
    for (const c of [...CONFORMANCE_CASES, ...exampleCases(EXAMPLES)]) {
      const spec = compiled(c.source, c.constants);
      if (spec.inputs.length !== 1) continue; // refused earlier: one input, one output
      spec.layers.forEach((l) => kinds.add(l.kind));
      const r = refusalProblems(spec);
      r.missing.forEach((op) => missing.set(op, [...(missing.get(op) ?? []), c.name]));
      problems.push(...r.problems.map((p) => `${c.name}: ${p}`));
    }
    if (missing.size) console.log(`ops without a gradient rule (refused by name): ${[...missing].map(([op, cs]) => `${op} in ${cs.join(', ')}`).join('; ')}`);
    expect(problems).toEqual([]);
    // Every layer with a lowering was looked at (the merge layers through the examples' single-input graphs).
    console.log(`layer kinds lowered: ${[...kinds].sort().join(', ')}`);
    expect(LAYERS.filter((l) => l.toOnnx && !kinds.has(l.kind)).map((l) => l.kind)).toEqual([]);
  });

  it('a lowering that emits an op without a rule is refused by op and line; a refusal that does not name them fails this check', () => {
    const dense = LAYERS.find((l) => l.kind === 'Dense')! as LayerDef;
    const lower = dense.toOnnx!;
    // A Dense lowering that ends in an op the table lacks, as a future activation might.
    dense.toOnnx = (node, ctx) => ctx.g.node('HardSigmoid', [lower.call(dense, node, ctx)], {}, { name: `${node.id}/HardSigmoid` });
    try {
      const spec = compiled('import keras\nfrom keras import layers\nmodel = keras.Sequential([\n    keras.Input(shape=(2,)),\n    layers.Dense(3),\n])\n');
      expect(refusalProblems(spec)).toEqual({ missing: ['HardSigmoid'], problems: [] });
      // The check itself: a compiler that refused vaguely, or not at all, is caught.
      const vague: Support = () => ({ ok: false, op: 'lowering', layer: '', line: 0, message: 'The compiled step cannot train this model.' });
      expect(refusalProblems(spec, vague).problems).toHaveLength(2);
      expect(refusalProblems(spec, () => ({ ok: true })).problems).toEqual(['HardSigmoid (line 5) has no rule, yet the compiler accepts the model']);
    } finally {
      dense.toOnnx = lower;
    }
  });
});
