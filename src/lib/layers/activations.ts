/**
 * Activation names accepted as `activation=` strings (Keras 3 names), with their TF.js lowering and docs.
 * `tfjs` is TF.js' string activation, or null where TF.js has none and a layer is used instead (leaky_relu).
 */
import type { GraphBuilder } from '$lib/onnx/graph';
import { f32, op } from './onnx-ops';
import type { Tfjs } from './types';
import type * as TF from '@tensorflow/tfjs';

/** Keras 3's `leaky_relu` default `negative_slope` (TF.js' LeakyReLU defaults to 0.3, so it is always passed). */
export const LEAKY_RELU_SLOPE = 0.2;

export const ACTIVATIONS = {
  relu: { tfjs: 'relu', doc: 'Rectified linear unit: max(x, 0).' },
  sigmoid: { tfjs: 'sigmoid', doc: 'Logistic sigmoid: 1 / (1 + exp(-x)), in (0, 1).' },
  tanh: { tfjs: 'tanh', doc: 'Hyperbolic tangent, in (-1, 1).' },
  softmax: { tfjs: 'softmax', doc: 'Softmax over the last axis: outputs sum to 1 (class probabilities).' },
  linear: { tfjs: 'linear', doc: 'Identity: f(x) = x.' },
  leaky_relu: { tfjs: null, doc: 'Leaky ReLU: x if x > 0 else 0.2 · x (Keras\' default negative_slope=0.2).' },
  elu: { tfjs: 'elu', doc: 'Exponential linear unit: x if x > 0 else exp(x) - 1.' },
  gelu: { tfjs: 'gelu', doc: 'Gaussian error linear unit: x · Φ(x), with the exact (erf) Φ, as Keras\' default approximate=False.' },
  swish: { tfjs: 'swish', doc: 'Swish / SiLU: x · sigmoid(x).' }
} as const satisfies Record<string, { tfjs: string | null; doc: string }>;

export type ActivationName = keyof typeof ACTIVATIONS;
export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationName[];

function lookup(name: string): { tfjs: string | null; doc: string } {
  const a = (ACTIVATIONS as Record<string, { tfjs: string | null; doc: string }>)[name];
  if (!a) throw new Error(`unknown activation ${name}`);
  return a;
}

/**
 * Lowering of an `activation=` argument fused into a layer (Dense, Conv2D): the TF.js string to give the layer, and
 * the layers to apply after it (a LeakyReLU for leaky_relu, whose layer keeps the node's output shape).
 */
export function fusedActivation(tf: Tfjs, name: string | null, nodeId: string): { activation: string; after: TF.layers.Layer[] } {
  if (name === null || name === undefined) return { activation: 'linear', after: [] };
  const a = lookup(name);
  if (a.tfjs !== null) return { activation: a.tfjs, after: [] };
  return { activation: 'linear', after: [activationLayer(tf, name, `${nodeId}__${name}`)] };
}

/** A standalone TF.js layer computing the activation (for `layers.Activation`). */
export function activationLayer(tf: Tfjs, name: string, layerName: string): TF.layers.Layer {
  const a = lookup(name);
  if (name === 'leaky_relu') return tf.layers.leakyReLU({ name: layerName, alpha: LEAKY_RELU_SLOPE });
  return tf.layers.activation({ name: layerName, activation: a.tfjs as never });
}

/**
 * ONNX lowering of an activation applied to `x` (any rank, Keras layout). Returns `x` itself for linear / None.
 * Ops: relu Relu · sigmoid Sigmoid · tanh Tanh · softmax Softmax(axis=-1) · leaky_relu LeakyRelu(alpha=0.2) ·
 * elu Elu(alpha=1) · gelu x · 0.5 · (1 + Erf(x / √2)) (Div, Erf, Add, Mul, Mul; the exact form TF.js and Keras use) ·
 * swish x · Sigmoid(x) (Sigmoid, Mul).
 */
export function onnxActivation(g: GraphBuilder, name: string | null, x: string, nodeId: string): string {
  if (name === null || name === undefined) return x;
  lookup(name);
  switch (name as ActivationName) {
    case 'linear':
      return x;
    case 'relu':
      return op(g, nodeId, 'Relu', [x]);
    case 'sigmoid':
      return op(g, nodeId, 'Sigmoid', [x]);
    case 'tanh':
      return op(g, nodeId, 'Tanh', [x]);
    case 'softmax':
      return op(g, nodeId, 'Softmax', [x], { axis: -1 });
    case 'leaky_relu':
      return op(g, nodeId, 'LeakyRelu', [x], { alpha: f32(LEAKY_RELU_SLOPE) });
    case 'elu':
      return op(g, nodeId, 'Elu', [x], { alpha: f32(1) });
    case 'gelu': {
      const scaled = op(g, nodeId, 'Div', [x, g.constFloat(Math.SQRT2, [], `${nodeId}/sqrt2`)], {}, 'gelu_div');
      const erf = op(g, nodeId, 'Erf', [scaled], {}, 'gelu_erf');
      const cdf = op(g, nodeId, 'Add', [erf, g.constFloat(1, [], `${nodeId}/one`)], {}, 'gelu_add');
      const xcdf = op(g, nodeId, 'Mul', [x, cdf], {}, 'gelu_mul');
      return op(g, nodeId, 'Mul', [xcdf, g.constFloat(0.5, [], `${nodeId}/half`)], {}, 'gelu');
    }
    case 'swish':
      return op(g, nodeId, 'Mul', [x, op(g, nodeId, 'Sigmoid', [x], {}, 'swish_sigmoid')], {}, 'swish');
  }
}

/**
 * PyTorch lowering of an activation applied to the Python expression `x` (any rank, Keras layout): relu F.relu ·
 * sigmoid torch.sigmoid · tanh torch.tanh · softmax torch.softmax(dim=-1) (the last axis, as Keras) · leaky_relu
 * F.leaky_relu(0.2) (Keras' slope, not torch's 0.01) · elu F.elu · gelu F.gelu (exact erf form, Keras'
 * approximate=False) · swish F.silu. Returns `x` itself for linear / None.
 */
export function pytorchActivation(name: string | null, x: string): string {
  if (name === null || name === undefined) return x;
  lookup(name);
  switch (name as ActivationName) {
    case 'linear':
      return x;
    case 'relu':
      return `F.relu(${x})`;
    case 'sigmoid':
      return `torch.sigmoid(${x})`;
    case 'tanh':
      return `torch.tanh(${x})`;
    case 'softmax':
      return `torch.softmax(${x}, dim=-1)`;
    case 'leaky_relu':
      return `F.leaky_relu(${x}, ${LEAKY_RELU_SLOPE})`;
    case 'elu':
      return `F.elu(${x})`;
    case 'gelu':
      return `F.gelu(${x})`;
    case 'swish':
      return `F.silu(${x})`;
  }
}
