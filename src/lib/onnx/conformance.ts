/**
 * The ONNX conformance table: small Keras programs, each layer alone in several configurations (plus the example
 * programs, added by the runners from examples/). Each layer's cases live in its file (`LayerDef.conformance`);
 * this table gathers them from the registry. A runner parses each, builds it in TF.js with seeded random
 * weights (every weight random, BatchNormalization's moving statistics included), predicts on seeded random
 * inputs, exports it to ONNX, runs it in ONNX Runtime and compares: max |TF.js - ORT| ≤ CONFORMANCE_TOLERANCE.
 *
 * Runners: tests/unit/onnx-conformance.test.ts (node, TF.js cpu, ORT wasm) and the app's conformance page.
 * Data only: no node or TF.js imports here.
 */
import { dataConstants } from '$lib/data/constants';
import { Rng } from '$lib/data/rng';
import { LAYERS } from '$lib/layers';

export interface ConformanceCase {
  /** Unique, readable: `Conv2D same stride 2 on 7x5`. */
  name: string;
  /** The Keras layer kind the case is about (the "ops per layer" table groups by it). */
  layer: string;
  /** A Keras program (the playground's subset): a model named `model`. */
  source: string;
  /**
   * The data constants the program uses (`vocab_size`, `seq_len`: an example's data set defines them), passed to
   * `parseProgram(source, { constants })`. Int32 inputs are fed token ids in [0, vocab_size) (see conformanceInputs).
   */
  constants?: Record<string, number>;
}

/** Max abs difference allowed between TF.js and ONNX Runtime outputs (float32). */
export const CONFORMANCE_TOLERANCE = 1e-4;
/** Rows of random input per case. */
export const CONFORMANCE_BATCH = 3;

/** Every layer's cases (`LayerDef.conformance`, in the layer's file), in registry order. */
export const CONFORMANCE_CASES: readonly ConformanceCase[] = LAYERS.flatMap((def) => (def.conformance ?? []).map((c) => ({ ...c, layer: def.kind })));

/** The example programs as cases (`example spiral`), after the table: pass `EXAMPLES` (app) or the files (node). */
export function exampleCases(examples: readonly { id: string; source: string; data: string }[]): ConformanceCase[] {
  return examples.map((e) => ({ name: `example ${e.id}`, layer: 'example', source: e.source, constants: dataConstants(e.data) }));
}

/**
 * The random inputs of a case: for each model input (shape without the batch axis), CONFORMANCE_BATCH rows of
 * values uniform in [-2, 2), seeded, so every runner feeds the same numbers. An input given a vocabulary size in
 * `ids` (an int32 input: token ids) gets whole numbers uniform in [0, ids) instead.
 */
export function conformanceInputs(shapes: readonly number[][], seed: number, ids: readonly (number | undefined)[] = []): Float32Array[] {
  const rng = new Rng(seed);
  return shapes.map((shape, i) => {
    const vocab = ids[i];
    return Float32Array.from({ length: CONFORMANCE_BATCH * shape.reduce((a, b) => a * b, 1) }, () => (vocab ? rng.int(vocab) : rng.next() * 4 - 2));
  });
}

/** For `conformanceInputs`' `ids`: each int32 input's vocabulary (the case's `vocab_size`), undefined for float inputs. */
export function inputVocabularies(inputs: readonly { dtype?: string }[], c: ConformanceCase): (number | undefined)[] {
  return inputs.map((inp) => (inp.dtype === 'int32' ? c.constants?.vocab_size : undefined));
}
