/**
 * Helpers shared by the layer files: argument normalisation (int-or-tuple, axis), Keras shape arithmetic and the
 * Python-style formatting used in messages. No TF.js here.
 */
import type { ArgValue, Shape } from '$lib/spec/types';
import { ACTIVATION_NAMES } from './activations';
import { INITIALIZER_NAMES } from './initializers';
import { LayerError, type ArgDef, type LayerDef } from './types';

export type Pair = [number, number];

/** Number of values in a shape. */
export function sizeOf(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Python's repr of a tuple of ints: `(64,)`, `(8, 8, 1)`, `()`. */
export function formatTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
}

/** Python's repr of an argument value, for messages: `"same"`, `None`, `True`, `(3, 3)`. */
export function formatValue(v: ArgValue | undefined): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'string') return `"${v}"`;
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.length === 1 ? `(${formatValue(v[0])},)` : `(${v.map(formatValue).join(', ')})`;
  return `{${Object.entries(v)
    .map(([k, x]) => `${k}: ${formatValue(x)}`)
    .join(', ')}}`;
}

/** The arguments with the defaults of `defs` filled in for the ones missing (the parser normally did this). */
export function withArgDefaults(defs: readonly ArgDef[], args: Record<string, ArgValue>): Record<string, ArgValue> {
  const out: Record<string, ArgValue> = { ...args };
  for (const a of defs) if (out[a.name] === undefined && a.default !== undefined) out[a.name] = a.default;
  return out;
}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v);
}

/** Requires a whole number ≥ min. */
export function checkInt(layer: string, name: string, v: ArgValue | undefined, min = 1): number {
  if (v === undefined) throw new LayerError(`${layer} needs ${name}`);
  if (!isInt(v) || v < min) throw new LayerError(`${layer}'s ${name} must be an integer of at least ${min} but gets ${formatValue(v)}`);
  return v;
}

/** Requires a number in [min, max] (either bound optional). */
export function checkNumber(layer: string, name: string, v: ArgValue | undefined, min?: number, max?: number, exclusiveMin = false): number {
  const range =
    min !== undefined && max !== undefined
      ? `between ${min} and ${max}`
      : min !== undefined
        ? exclusiveMin
          ? `greater than ${min}`
          : `at least ${min}`
        : `at most ${max}`;
  if (typeof v !== 'number' || !Number.isFinite(v) || (min !== undefined && (exclusiveMin ? v <= min : v < min)) || (max !== undefined && v > max)) {
    throw new LayerError(`${layer}'s ${name} must be a number ${range} but gets ${formatValue(v)}`);
  }
  return v;
}

export function checkBool(layer: string, name: string, v: ArgValue | undefined): boolean {
  if (typeof v !== 'boolean') throw new LayerError(`${layer}'s ${name} must be True or False but gets ${formatValue(v)}`);
  return v;
}

/** Requires one of `values`. */
export function checkChoice<T extends string>(layer: string, name: string, v: ArgValue | undefined, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T)) {
    throw new LayerError(`${layer}'s ${name} must be one of ${values.map((x) => `"${x}"`).join(', ')} but gets ${formatValue(v)}`);
  }
  return v as T;
}

/** An activation name, or None where `nullable`. */
export function checkActivation(layer: string, v: ArgValue | undefined, nullable: boolean): string | null {
  if (v === null && nullable) return null;
  if (typeof v !== 'string' || !(ACTIVATION_NAMES as readonly string[]).includes(v)) {
    throw new LayerError(`${layer} has no activation ${formatValue(v)} here`, `Supported: ${ACTIVATION_NAMES.map((a) => `"${a}"`).join(', ')}${nullable ? ' or None' : ''}`);
  }
  return v;
}

export function checkInitializer(layer: string, name: string, v: ArgValue | undefined): string {
  if (typeof v !== 'string' || !(INITIALIZER_NAMES as readonly string[]).includes(v)) {
    throw new LayerError(`${layer}'s ${name} ${formatValue(v)} is not available here`, `Supported: ${INITIALIZER_NAMES.map((a) => `"${a}"`).join(', ')}`);
  }
  return v;
}

/** `data_format`: only channels-last (Keras' default) is supported. */
export function checkDataFormat(layer: string, v: ArgValue | undefined): void {
  if (v === null || v === undefined || v === 'channels_last') return;
  if (v === 'channels_first') {
    throw new LayerError(`${layer} supports only data_format="channels_last" here`, 'Images are (height, width, channels) here; leave data_format out');
  }
  throw new LayerError(`${layer}'s data_format must be "channels_last" but gets ${formatValue(v)}`);
}

/** The `data_format` argument of the channels-last layers; `layout` names the axes of one sample, e.g. "steps, channels". */
export function channelsLastArg(layout: string): ArgDef {
  return { name: 'data_format', type: 'string', default: null, values: ['channels_last'], doc: `Only "channels_last" (${layout}), Keras' default, is supported here.` };
}

/** The arguments of the global poolings: data_format and keepdims (`keepdimsDoc` says which axes it keeps). */
export function globalPoolingArgs(layout: string, keepdimsDoc: string): readonly ArgDef[] {
  return [channelsLastArg(layout), { name: 'keepdims', type: 'bool', default: false, doc: keepdimsDoc }];
}

/** Checks the arguments of `globalPoolingArgs` (`raw` as written) and returns keepdims. */
export function checkGlobalPooling(layer: string, defs: readonly ArgDef[], raw: Record<string, ArgValue>): { keepdims: boolean } {
  const a = withArgDefaults(defs, raw);
  checkDataFormat(layer, a.data_format);
  return { keepdims: checkBool(layer, 'keepdims', a.keepdims) };
}

/**
 * What every single-input layer without weights (the poolings) has in common: its kind, doc and arguments, one
 * input, validation by its `check`, and no parameters. The layer adds its shapes, FLOPs and lowerings.
 */
export function weightlessLayer(
  kind: string,
  doc: string,
  args: readonly ArgDef[],
  check: (raw: Record<string, ArgValue>) => unknown
): Pick<LayerDef, 'kind' | 'doc' | 'arity' | 'args' | 'validate' | 'params'> {
  return {
    kind,
    doc,
    arity: 1,
    args,
    validate(raw) {
      check(raw);
    },
    params: () => ({ trainable: 0, nonTrainable: 0 })
  };
}

/**
 * Normalises an int-or-tuple argument (`3` or `(3, 3)`) to a pair, as Keras does for kernel_size, strides, pool_size
 * and dilation_rate.
 */
export function toPair(layer: string, name: string, v: ArgValue | undefined, min = 1): Pair {
  if (isInt(v)) {
    if (v < min) throw new LayerError(`${layer}'s ${name} must be at least ${min} but gets ${v}`);
    return [v, v];
  }
  if (Array.isArray(v) && v.length === 2 && v.every(isInt)) {
    const [a, b] = v as number[];
    if (a < min || b < min) throw new LayerError(`${layer}'s ${name} must hold integers of at least ${min} but gets ${formatValue(v)}`);
    return [a, b];
  }
  if (v === undefined) throw new LayerError(`${layer} needs ${name}`);
  throw new LayerError(`${layer}'s ${name} must be an integer or a tuple of 2 integers but gets ${formatValue(v)}`, `For example ${name}=3 or ${name}=(3, 3)`);
}

/**
 * Keras' output length along one spatial axis of a convolution or pooling window (TF's rule):
 * valid: floor((in - k_eff) / s) + 1, same: ceil(in / s), where k_eff = (k - 1) · dilation + 1.
 * Returns 0 or less when a valid window does not fit.
 */
export function windowOutputLength(input: number, kernel: number, stride: number, padding: string, dilation = 1): number {
  const k = (kernel - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(input / stride) : Math.floor((input - k) / stride) + 1;
}

function squareRoot(n: number): number | undefined {
  const r = Math.round(Math.sqrt(n));
  return r * r === n ? r : undefined;
}

/** A plausible `(height, width, channels)` for a flat size: (s, s, 1) for a square, (s, s, 3) for 3 squares. */
export function imageShapeFor(input: Shape): Shape | undefined {
  if (input.length === 2) return [input[0], input[1], 1];
  const n = sizeOf(input);
  const s1 = squareRoot(n);
  if (s1 !== undefined && s1 > 1) return [s1, s1, 1];
  const s3 = n % 3 === 0 ? squareRoot(n / 3) : undefined;
  if (s3 !== undefined && s3 > 1) return [s3, s3, 3];
  return undefined;
}

/** Throws unless the input is an image `(height, width, channels)`; the hint suggests a Reshape where one fits. */
export function requireImage(layer: string, input: Shape): [number, number, number] {
  if (input.length === 3) return input as [number, number, number];
  const guess = input.length <= 2 ? imageShapeFor(input) : undefined;
  const hint = guess
    ? `add layers.Reshape(${formatTuple(guess)}) before it`
    : input.length > 3
      ? undefined
      : 'add layers.Reshape((height, width, channels)) before it';
  throw new LayerError(`${layer} needs (height, width, channels) but gets ${formatTuple(input)} here`, hint);
}

/**
 * Resolves a Keras `axis` (which counts the batch axis: -1 is the last axis, 1 the first after the batch) to an index
 * into a shape without the batch axis, or throws.
 */
export function resolveAxis(layer: string, axis: number, input: Shape): number {
  const rank = input.length + 1;
  if (axis === 0 || axis === -rank) throw new LayerError(`${layer} cannot work along the batch axis (axis=${axis})`, 'axis=-1 is the last axis');
  if (axis >= rank || axis < -rank) throw new LayerError(`${layer}'s axis=${axis} is out of range for an input of shape ${formatTuple(input)}`, `Use an axis between 1 and ${rank - 1}, or -1 for the last one`);
  return (axis < 0 ? rank + axis : axis) - 1;
}

/**
 * Normalises a 1-D int-or-tuple argument (`3` or `(3,)`) to one int, as Keras does for Conv1D's kernel_size, strides,
 * dilation_rate and the 1-D poolings' pool_size.
 */
export function toSingle(layer: string, name: string, v: ArgValue | undefined, min = 1): number {
  const x = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (isInt(x)) {
    if (x < min) throw new LayerError(`${layer}'s ${name} must be at least ${min} but gets ${formatValue(v)}`);
    return x;
  }
  if (v === undefined) throw new LayerError(`${layer} needs ${name}`);
  throw new LayerError(`${layer}'s ${name} must be an integer or a tuple of 1 integer but gets ${formatValue(v)}`, `For example ${name}=3 or ${name}=(3,)`);
}

/**
 * Throws unless the input is a sequence `(steps, channels)` (a time axis, then features); the hint says what adds the
 * missing axis: an Embedding for token ids, a Reshape for one value per step.
 */
export function requireSequence(layer: string, input: Shape): [number, number] {
  if (input.length === 2) return input as [number, number];
  const hint =
    input.length === 1
      ? `${formatTuple(input)} has no time axis: for token ids add layers.Embedding(vocab_size, dim) before it; for one value per step add layers.Reshape(${formatTuple([input[0], 1])}) before it`
      : input.length === 3
        ? `an image (height, width, channels) wants the 2D layer; or add layers.Reshape(${formatTuple([input[0] * input[1], input[2]])}) before it`
        : undefined;
  throw new LayerError(`${layer} needs a sequence (steps, channels) but gets ${formatTuple(input)} here`, hint);
}

/**
 * Pads (before, after) and output length of a 1-D window (Conv1D, the 1-D poolings) as Keras computes them: "valid"
 * none, "same" TF's split (the odd one after), "causal" (Conv1D) all (k - 1) · dilation before; then
 * out = floor((in + before + after - k_eff) / stride) + 1, k_eff = (k - 1) · dilation + 1 (0 or less: does not fit).
 */
export function window1d(input: number, kernel: number, stride: number, padding: string, dilation = 1): { pads: [number, number]; out: number } {
  const eff = (kernel - 1) * dilation + 1;
  let pads: [number, number] = [0, 0];
  if (padding === 'causal') pads = [eff - 1, 0];
  else if (padding === 'same') {
    const o = Math.ceil(input / stride);
    const total = Math.max((o - 1) * stride + eff - input, 0);
    pads = [Math.floor(total / 2), total - Math.floor(total / 2)];
  }
  return { pads, out: Math.floor((input + pads[0] + pads[1] - eff) / stride) + 1 };
}
