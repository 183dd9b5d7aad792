/** Activation names accepted as `activation=` strings, with their TF.js identifiers and docs. */
export const ACTIVATIONS = {
  linear: { tfjs: 'linear', doc: 'Identity: f(x) = x.' },
  relu: { tfjs: 'relu', doc: 'Rectified linear unit: max(x, 0).' },
  sigmoid: { tfjs: 'sigmoid', doc: 'Logistic sigmoid: 1 / (1 + exp(-x)), in (0, 1).' },
  tanh: { tfjs: 'tanh', doc: 'Hyperbolic tangent, in (-1, 1).' },
  softmax: { tfjs: 'softmax', doc: 'Softmax over the last axis: outputs sum to 1 (class probabilities).' },
  elu: { tfjs: 'elu', doc: 'Exponential linear unit: x if x > 0 else exp(x) - 1.' },
  gelu: { tfjs: 'gelu', doc: 'Gaussian error linear unit: x * Φ(x).' },
  swish: { tfjs: 'swish', doc: 'Swish / SiLU: x * sigmoid(x).' }
} as const;

export type ActivationName = keyof typeof ACTIVATIONS;
export const ACTIVATION_NAMES = Object.keys(ACTIVATIONS) as ActivationName[];

export function tfjsActivation(name: string): string {
  const a = (ACTIVATIONS as Record<string, { tfjs: string }>)[name];
  if (!a) throw new Error(`unknown activation ${name}`);
  return a.tfjs;
}
