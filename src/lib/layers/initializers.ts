import type { Tfjs } from './types';

/** TF.js' Initializer class (not exported as a type by the tfjs namespace). */
export type TfjsInitializer = ReturnType<Tfjs['initializers']['zeros']>;

export const INITIALIZER_NAMES = ['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'zeros', 'ones'] as const;
export type InitializerName = (typeof INITIALIZER_NAMES)[number];

/** Hover / completion docs of the initializer strings. */
export const INITIALIZER_DOCS: Record<InitializerName, string> = {
  glorot_uniform: 'Glorot (Xavier) uniform: U(-l, l) with l = sqrt(6 / (fan_in + fan_out)). Keras\' default for kernels.',
  glorot_normal: 'Glorot (Xavier) normal: truncated normal with stddev sqrt(2 / (fan_in + fan_out)).',
  he_uniform: 'He uniform: U(-l, l) with l = sqrt(6 / fan_in). Suits ReLU layers.',
  he_normal: 'He normal: truncated normal with stddev sqrt(2 / fan_in). Suits ReLU layers.',
  zeros: 'All zeros. Keras\' default for biases.',
  ones: 'All ones.'
};

/** A seeded TF.js initializer for a Keras initializer name, so the same seed gives the same weights. */
export function tfjsInitializer(tf: Tfjs, name: string, seed: number): TfjsInitializer {
  switch (name as InitializerName) {
    case 'glorot_uniform':
      return tf.initializers.glorotUniform({ seed });
    case 'glorot_normal':
      return tf.initializers.glorotNormal({ seed });
    case 'he_uniform':
      return tf.initializers.heUniform({ seed });
    case 'he_normal':
      return tf.initializers.heNormal({ seed });
    case 'zeros':
      return tf.initializers.zeros();
    case 'ones':
      return tf.initializers.ones();
    default:
      throw new Error(`unknown initializer ${name}`);
  }
}
