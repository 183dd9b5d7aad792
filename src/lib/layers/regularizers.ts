/**
 * Weight regularizers (`kernel_regularizer=regularizers.l2(0.01)`): the Keras calls and their arguments and docs
 * (parser, completion, hover), the value the parser produces and its TF.js lowering. The penalty is added to the
 * loss, as in Keras: l1 · Σ|w| + l2 · Σw².
 */
import type { ArgValue } from '$lib/spec/types';
import { LayerError, type ArgDef, type Tfjs } from './types';
import { formatValue } from './util';

export const REGULARIZER_NAMES = ['l1', 'l2', 'l1_l2'] as const;
export type RegularizerType = (typeof REGULARIZER_NAMES)[number];
/** The name of a regularizer function (`keras.regularizers.l2`). */
export type RegularizerName = RegularizerType;

/**
 * Keras 3 regularizer calls, as the parser sees them: `a.args` in Keras positional order with Keras 3 defaults
 * (`l2(0.01)` is an alias of `L2(0.01)`; `l1_l2` defaults to 0, 0). A spec stores `{ type, l1?, l2? }`, e.g.
 * `{ type: 'l2', l2: 0.01 }`.
 */
export const REGULARIZERS: Record<RegularizerName, { args: readonly ArgDef[] }> = {
  l1: { args: [{ name: 'l1', type: 'float', default: 0.01, min: 0, doc: 'L1 factor.' }] },
  l2: { args: [{ name: 'l2', type: 'float', default: 0.01, min: 0, doc: 'L2 factor.' }] },
  l1_l2: {
    args: [
      { name: 'l1', type: 'float', default: 0, min: 0, doc: 'L1 factor.' },
      { name: 'l2', type: 'float', default: 0, min: 0, doc: 'L2 factor.' }
    ]
  }
};

/** The names under `keras.regularizers` (functions and their class aliases) → the regularizer. */
export const REGULARIZER_CALLS: Readonly<Record<string, RegularizerName>> = { l1: 'l1', l2: 'l2', l1_l2: 'l1_l2', L1: 'l1', L2: 'l2', L1L2: 'l1_l2' };

export const REGULARIZER_DOCS: Record<RegularizerType, string> = {
  l1: 'L1 penalty l1 · Σ|w| added to the loss (pushes weights to exactly 0). Default l1=0.01.',
  l2: 'L2 penalty (weight decay) l2 · Σw² added to the loss (keeps weights small). Default l2=0.01.',
  l1_l2: 'Both penalties, l1 · Σ|w| + l2 · Σw².'
};

/**
 * Factors used when a field is missing: Keras 3's `L1(l1=0.01)`, `L2(l2=0.01)`, `L1L2(l1=0.0, l2=0.0)`; a bare string
 * ("l1_l2") gets Keras' string defaults, 0.01 each. The parser normally writes both fields.
 */
const DEFAULTS: Record<RegularizerType, { l1: number; l2: number }> = {
  l1: { l1: 0.01, l2: 0 },
  l2: { l1: 0, l2: 0.01 },
  l1_l2: { l1: 0, l2: 0 }
};

const isType = (v: unknown): v is RegularizerType => typeof v === 'string' && (REGULARIZER_NAMES as readonly string[]).includes(v);

/** The regularizer's type and factors, or null for None; throws LayerError for anything else. */
export function regularizerFactors(layer: string, argName: string, v: ArgValue | undefined): { type: RegularizerType; l1: number; l2: number } | null {
  if (v === null || v === undefined) return null;
  if (isType(v)) return { type: v, ...(v === 'l1_l2' ? { l1: 0.01, l2: 0.01 } : DEFAULTS[v]) };
  if (typeof v === 'object' && !Array.isArray(v) && isType(v.type)) {
    const type = v.type;
    const d = DEFAULTS[type];
    const factor = (k: 'l1' | 'l2'): number => {
      const x = v[k];
      if (x === undefined || x === null) return d[k];
      if (typeof x !== 'number' || !Number.isFinite(x) || x < 0) {
        throw new LayerError(`${layer}'s ${argName} needs a non-negative ${k} factor but gets ${formatValue(x)}`);
      }
      return x;
    };
    const l1 = type === 'l2' ? 0 : factor('l1');
    const l2 = type === 'l1' ? 0 : factor('l2');
    return { type, l1, l2 };
  }
  throw new LayerError(`${layer}'s ${argName} must be a regularizer such as regularizers.l2(0.01), or None`, 'Supported: regularizers.l1(...), regularizers.l2(...), regularizers.l1_l2(l1=..., l2=...)');
}

/** Throws LayerError unless the value is None or a valid regularizer. */
export function checkRegularizer(layer: string, argName: string, v: ArgValue | undefined): void {
  regularizerFactors(layer, argName, v);
}

export type TfjsRegularizer = ReturnType<Tfjs['regularizers']['l1l2']>;

/** The TF.js regularizer for a spec value (undefined for None). */
export function tfjsRegularizer(tf: Tfjs, v: ArgValue | undefined): TfjsRegularizer | undefined {
  const r = regularizerFactors('The layer', 'regularizer', v);
  if (r === null) return undefined;
  switch (r.type) {
    case 'l1':
      return tf.regularizers.l1({ l1: r.l1 });
    case 'l2':
      return tf.regularizers.l2({ l2: r.l2 });
    case 'l1_l2':
      return tf.regularizers.l1l2({ l1: r.l1, l2: r.l2 });
  }
}

/** The PyTorch penalty term of a regularizer on the tensor `w` (Python), or null for None: l1 · Σ|w| + l2 · Σw². */
export function pytorchPenalty(layer: string, argName: string, v: ArgValue | undefined, w: string): string | null {
  const f = regularizerFactors(layer, argName, v);
  if (!f) return null;
  const terms = [];
  if (f.l1) terms.push(`${f.l1} * ${w}.abs().sum()`);
  if (f.l2) terms.push(`${f.l2} * ${w}.pow(2).sum()`);
  return terms.length ? terms.join(' + ') : null;
}
