import type { ArgValue, LayerNode, Shape } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';

/** The TF.js namespace, passed in so layer files never import TF.js at run time (it loads in the worker only). */
export type Tfjs = typeof TF;

export type ArgType =
  | 'int'
  | 'float'
  | 'bool'
  | 'string'
  | 'shape' // tuple of ints
  | 'int_or_tuple' // 3 or (3, 3)
  | 'activation'
  | 'initializer'
  | 'regularizer';

export interface ArgDef {
  /** Keras argument name. */
  name: string;
  type: ArgType;
  /** Default value; `undefined` means required. */
  default?: ArgValue;
  /** Allowed string values (for completion and validation). */
  values?: readonly string[];
  /** Inclusive bounds for numbers. */
  min?: number;
  max?: number;
  /** One-line doc shown in hover and completion. */
  doc: string;
}

/** A problem found by a layer's own validation, reported at the layer's span. */
export class LayerError extends Error {
  constructor(
    message: string,
    public hint?: string
  ) {
    super(message);
  }
}

export interface ParamCount {
  trainable: number;
  nonTrainable: number;
}

export interface TfjsLowerContext {
  tf: Tfjs;
  /** Seed for this layer's initialisers (derived from the run seed and the layer index). */
  seed: number;
}

export interface LayerDef {
  /** Keras class name (`Dense`). */
  kind: string;
  /** One-paragraph doc for hover. */
  doc: string;
  /** Arguments in Keras positional order. */
  args: readonly ArgDef[];
  /** How many inputs the layer takes: 1, or 'many' for merge layers (Add, Concatenate). */
  arity: 1 | 'many';
  /** Extra validation of argument values beyond types/bounds (throw LayerError). */
  validate?(args: Record<string, ArgValue>): void;
  /** Output shape (no batch axis) for these input shapes; throw LayerError when the input cannot be accepted. */
  outputShape(inputs: Shape[], args: Record<string, ArgValue>): Shape;
  /** Parameter count for these input shapes. */
  params(inputs: Shape[], args: Record<string, ArgValue>): ParamCount;
  /** Multiply-adds ×2 per sample (forward pass). */
  flops(inputs: Shape[], args: Record<string, ArgValue>): number;
  /** The TF.js layer for this node. */
  toTfjs(node: LayerNode, ctx: TfjsLowerContext): TF.layers.Layer;
}
