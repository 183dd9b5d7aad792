/**
 * The layer registry. Adding a layer = one file + one line here.
 * The file says everything about its layer (`LayerDef` in `types.ts`): Keras name, arguments with defaults and docs,
 * validation, output shape, parameters, FLOPs, TF.js and ONNX lowerings, its weights, and its conformance cases.
 * The parser, shape inference, editor completion/hover, the engines, the compiled train step and the tests all read
 * this list; no file outside this folder names a layer. Conventions (shapes, parameter and FLOP counting, TF.js
 * lowering): see the top of `types.ts`.
 */
import { activation } from './activation';
import { add } from './add';
import { averagePooling2d } from './average_pooling2d';
import { batchNormalization } from './batch_normalization';
import { bidirectional } from './bidirectional';
import { concatenate } from './concatenate';
import { conv2d } from './conv2d';
import { dense } from './dense';
import { dropout } from './dropout';
import { flatten } from './flatten';
import { globalAveragePooling2d } from './global_average_pooling2d';
import { gru } from './gru';
import { leakyRelu } from './leaky_relu';
import { lstm } from './lstm';
import { maxPooling2d } from './max_pooling2d';
import { relu } from './relu';
import { reshape } from './reshape';
import { embedding } from './embedding';
import { conv1d } from './conv1d';
import { maxPooling1d } from './max_pooling1d';
import { averagePooling1d } from './average_pooling1d';
import { globalAveragePooling1d } from './global_average_pooling1d';
import { globalMaxPooling1d } from './global_max_pooling1d';
import { simpleRnn } from './simple_rnn';
import { transformerEncoder } from './transformer_encoder';
import { transformerDecoder } from './transformer_decoder';
import { tokenAndPositionEmbedding } from './token_and_position_embedding';
import { layerNormalization } from './layer_normalization';
import { positionEmbedding } from './position_embedding';
import { multiHeadAttention } from './multi_head_attention';
import type { BlockDef, LayerDef } from './types';

export const LAYERS: readonly LayerDef[] = [
  dense,
  conv2d,
  maxPooling2d,
  averagePooling2d,
  globalAveragePooling2d,
  flatten,
  dropout,
  batchNormalization,
  activation,
  relu,
  leakyRelu,
  reshape,
  add,
  concatenate,
  embedding,
  conv1d,
  maxPooling1d,
  averagePooling1d,
  globalAveragePooling1d,
  globalMaxPooling1d,
  simpleRnn,
  lstm,
  gru,
  bidirectional,
  layerNormalization,
  positionEmbedding,
  multiHeadAttention
];

/** Composite layers (KerasHub blocks), expanded by the model builder into the layers above; one file + one line each. */
export const BLOCKS: readonly BlockDef[] = [tokenAndPositionEmbedding, transformerEncoder, transformerDecoder];

const byKind = new Map(LAYERS.map((l) => [l.kind, l]));
const blockByKind = new Map(BLOCKS.map((b) => [b.kind, b]));

export function getBlock(kind: string): BlockDef | undefined {
  return blockByKind.get(kind);
}

export function getLayer(kind: string): LayerDef | undefined {
  return byKind.get(kind);
}

export const LAYER_KINDS = LAYERS.map((l) => l.kind);

export type { LayerDef, ArgDef, BlockDef } from './types';
