/**
 * TF.js LayersModel → the files of the TF.js "layers-model" format: `model.json` (topology + weights manifest) and
 * one weights shard, `group1-shard1of1.bin` (the names `tensorflowjs_converter` uses). The pair loads with
 * `tf.loadLayersModel('.../model.json')` from a web server, or with `loadTfjsModel` below from the bytes.
 * TF.js is passed in (never imported here), so this runs in the worker, the page and node alike.
 */
import type { Tfjs } from '$lib/layers/types';
import type * as TF from '@tensorflow/tfjs';

export const TFJS_MODEL_FILE = 'model.json';
export const TFJS_WEIGHTS_FILE = 'group1-shard1of1.bin';

export interface ExportedFile {
  name: string;
  data: Uint8Array;
}

export interface TfjsExport {
  /** The content of model.json (TF.js' `ModelJSON`), whose weightsManifest points at `TFJS_WEIGHTS_FILE`. */
  modelJson: TF.io.ModelJSON;
  /** All weights, in the manifest's order (little-endian float32 for the float weights). */
  weightsBin: Uint8Array;
  /** model.json (UTF-8) and the weights shard, ready to write or download. */
  files: ExportedFile[];
}

function joinWeightData(data: TF.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  const buffers = Array.isArray(data) ? data : [data];
  const out = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let at = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return out;
}

/** Serialises a model (topology, weights, and its training config when compiled) to the TF.js layers-model files. */
export async function exportTfjsModel(tf: Tfjs, model: TF.LayersModel): Promise<TfjsExport> {
  let artifacts: TF.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    })
  );
  if (!artifacts?.modelTopology) throw new Error('TF.js returned no model topology');
  const weightsBin = joinWeightData(artifacts.weightData);
  const modelJson: TF.io.ModelJSON = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [TFJS_WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }]
  };
  if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  const json = new TextEncoder().encode(JSON.stringify(modelJson));
  return {
    modelJson,
    weightsBin,
    files: [
      { name: TFJS_MODEL_FILE, data: json },
      { name: TFJS_WEIGHTS_FILE, data: weightsBin }
    ]
  };
}

/**
 * A copy of the bytes as a standalone ArrayBuffer: a Uint8Array may view part of a larger buffer (node's Buffers
 * from readFileSync do, and their `slice` does not copy).
 */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}

/**
 * Loads a layers-model from its files (model.json and the shards its weightsManifest names), e.g. the output of
 * `exportTfjsModel` or files read from disk. Paths in the manifest are resolved by file name (`./x.bin` → `x.bin`).
 */
export async function loadTfjsModel(tf: Tfjs, files: ExportedFile[] | Record<string, Uint8Array>): Promise<TF.LayersModel> {
  const byName = new Map<string, Uint8Array>(Array.isArray(files) ? files.map((f) => [f.name, f.data]) : Object.entries(files));
  const jsonBytes = byName.get(TFJS_MODEL_FILE);
  if (!jsonBytes) throw new Error(`${TFJS_MODEL_FILE} is missing`);
  const modelJson = JSON.parse(new TextDecoder().decode(jsonBytes)) as TF.io.ModelJSON;
  const handler: TF.io.IOHandler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: TF.io.WeightsManifestEntry[] = [];
        const shards: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const path of group.paths) {
            const name = path.replace(/^\.\//, '').split('/').pop() ?? path;
            const data = byName.get(name);
            if (!data) throw new Error(`The weights file ${path} named in ${TFJS_MODEL_FILE} is missing`);
            shards.push(toArrayBuffer(data));
          }
        }
        return [specs, shards.length === 1 ? shards[0] : shards];
      })
  };
  return tf.loadLayersModel(handler);
}
