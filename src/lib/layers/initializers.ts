import type { Tfjs } from './types';

/** TF.js' Initializer class (not exported as a type by the tfjs namespace). */
export type TfjsInitializer = ReturnType<Tfjs['initializers']['zeros']>;

export const INITIALIZER_NAMES = ['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'zeros', 'ones'] as const;
export type InitializerName = (typeof INITIALIZER_NAMES)[number];

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
