/**
 * What Conv1D and Conv2D share: the arguments after `groups` (activation, bias, initializers, regularizers), their
 * checks, the groups=1 check, and how those arguments reach TF.js and PyTorch.
 */
import type { ArgValue } from '$lib/spec/types';
import { ACTIVATION_NAMES } from './activations';
import { INITIALIZER_NAMES, tfjsInitializer } from './initializers';
import { checkRegularizer, pytorchPenalty, REGULARIZER_NAMES, tfjsRegularizer } from './regularizers';
import { LayerError, type ArgDef, type Tfjs } from './types';
import { checkActivation, checkBool, checkInitializer } from './util';

/** The convolutions' trailing arguments in Keras' positional order; `useBiasDoc` is each layer's wording of use_bias. */
export function convWeightArgs(useBiasDoc: string): readonly ArgDef[] {
  return [
    { name: 'activation', type: 'activation', default: null, values: ACTIVATION_NAMES, doc: 'Activation applied to the output; None means linear.' },
    { name: 'use_bias', type: 'bool', default: true, doc: useBiasDoc },
    { name: 'kernel_initializer', type: 'initializer', default: 'glorot_uniform', values: INITIALIZER_NAMES, doc: 'Initializer of the kernel weights.' },
    { name: 'bias_initializer', type: 'initializer', default: 'zeros', values: INITIALIZER_NAMES, doc: 'Initializer of the biases.' },
    { name: 'kernel_regularizer', type: 'regularizer', default: null, values: REGULARIZER_NAMES, doc: 'Penalty on the kernel weights added to the loss, e.g. regularizers.l2(0.01); None for none.' },
    { name: 'bias_regularizer', type: 'regularizer', default: null, values: REGULARIZER_NAMES, doc: 'Penalty on the biases added to the loss; None for none.' }
  ];
}

/** Checks the arguments of `convWeightArgs` (`a` with its defaults filled in), in their order. */
export function checkConvWeights(kind: string, a: Record<string, ArgValue>): void {
  checkActivation(kind, a.activation, true);
  checkBool(kind, 'use_bias', a.use_bias);
  checkInitializer(kind, 'kernel_initializer', a.kernel_initializer);
  checkInitializer(kind, 'bias_initializer', a.bias_initializer);
  checkRegularizer(kind, 'kernel_regularizer', a.kernel_regularizer);
  checkRegularizer(kind, 'bias_regularizer', a.bias_regularizer);
}

/** Only groups=1 is supported. */
export function checkConvGroups(kind: string, groups: ArgValue | undefined): void {
  if (groups !== 1) throw new LayerError(`${kind} supports only groups=1 here but gets groups=${String(groups)}`, 'Leave groups out');
}

/** The TF.js layer config of the `convWeightArgs` (`activation`: what fusedActivation leaves to the layer). */
export function tfjsConvWeightConfig(tf: Tfjs, a: Record<string, ArgValue>, activation: string, seed: number) {
  return {
    activation: activation as never,
    useBias: a.use_bias as boolean,
    kernelInitializer: tfjsInitializer(tf, a.kernel_initializer as string, seed),
    biasInitializer: tfjsInitializer(tf, a.bias_initializer as string, seed + 1),
    kernelRegularizer: tfjsRegularizer(tf, a.kernel_regularizer),
    biasRegularizer: tfjsRegularizer(tf, a.bias_regularizer)
  };
}

/** The PyTorch loss penalties of the kernel and bias regularizers of the module `self.<attr>`. */
export function pytorchConvPenalties(kind: string, attr: string, a: Record<string, ArgValue>): string[] {
  const penalties = [pytorchPenalty(kind, 'kernel_regularizer', a.kernel_regularizer, `self.${attr}.weight`), pytorchPenalty(kind, 'bias_regularizer', a.bias_regularizer, `self.${attr}.bias`)];
  return penalties.filter((p): p is string => p !== null);
}
