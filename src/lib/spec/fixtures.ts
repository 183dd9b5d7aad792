/**
 * Hand-built ModelSpecs for tests (what the parser should produce for the examples), with dummy spans.
 * Not used at run time.
 */
import { getLayer } from '$lib/layers';
import type { ArgValue, CompileSpec, FitSpec, LayerNode, LossName, MetricName, ModelSpec, OptimizerName, Shape, Span } from './types';
import { SPEC_VERSION } from './types';

export function dummySpan(line = 1): Span {
  return { from: 0, to: 0, line, col: 1, endLine: line, endCol: 1 };
}

const KERAS_PREFIX: Record<string, string> = { Dense: 'dense', Dropout: 'dropout', Activation: 'activation' };

/** Fills in the registry's defaults for the arguments not given. */
export function withDefaults(kind: string, args: Record<string, ArgValue>): Record<string, ArgValue> {
  const def = getLayer(kind);
  if (!def) throw new Error(`unknown layer ${kind}`);
  const out: Record<string, ArgValue> = {};
  for (const a of def.args) {
    if (a.name in args) out[a.name] = args[a.name];
    else if (a.default !== undefined) out[a.name] = a.default;
  }
  return out;
}

export interface LayerSketch {
  kind: string;
  args: Record<string, ArgValue>;
}

export interface SequentialSketch {
  input: Shape;
  layers: LayerSketch[];
  optimizer?: OptimizerName;
  learningRate?: number;
  optimizerArgs?: Record<string, ArgValue>;
  loss?: LossName;
  metrics?: MetricName[];
  epochs?: number;
  batchSize?: number;
  validationSplit?: number;
  /** Leave out model.compile / model.fit. */
  noCompile?: boolean;
  noFit?: boolean;
}

/** A Sequential ModelSpec with Keras-style layer names (dense, dense_1, ...). */
export function sequentialSpec(s: SequentialSketch): ModelSpec {
  const counts: Record<string, number> = {};
  let prev = 'input_layer';
  const layers: LayerNode[] = s.layers.map((l, i) => {
    const prefix = KERAS_PREFIX[l.kind] ?? l.kind.toLowerCase();
    const c = counts[prefix] ?? 0;
    counts[prefix] = c + 1;
    const id = c === 0 ? prefix : `${prefix}_${c}`;
    const node: LayerNode = { id, kind: l.kind, args: withDefaults(l.kind, l.args), inputs: [prev], span: dummySpan(i + 3) };
    prev = id;
    return node;
  });
  const compile: CompileSpec | null = s.noCompile
    ? null
    : {
        optimizer: { name: s.optimizer ?? 'adam', learningRate: s.learningRate ?? 0.001, args: s.optimizerArgs ?? {}, span: dummySpan(10) },
        loss: s.loss ?? 'categorical_crossentropy',
        metrics: s.metrics ?? ['accuracy'],
        span: dummySpan(10)
      };
  const fit: FitSpec | null = s.noFit
    ? null
    : {
        epochs: s.epochs ?? 1,
        batchSize: s.batchSize ?? 32,
        validationSplit: s.validationSplit ?? 0,
        shuffle: true,
        x: 'x_train',
        y: 'y_train',
        span: dummySpan(12)
      };
  return {
    version: SPEC_VERSION,
    style: 'sequential',
    modelName: 'model',
    inputs: [{ id: 'input_layer', name: 'input_layer', shape: s.input, span: dummySpan(2) }],
    layers,
    outputs: [prev],
    compile,
    fit
  };
}

/** examples/spiral.py: 2-16-16-3 relu/softmax, Adam(0.01), categorical_crossentropy, 100 epochs, batch 32, split 0.2. */
export function spiralSpec(overrides: Partial<SequentialSketch> = {}): ModelSpec {
  return sequentialSpec({
    input: [2],
    layers: [
      { kind: 'Dense', args: { units: 16, activation: 'relu' } },
      { kind: 'Dense', args: { units: 16, activation: 'relu' } },
      { kind: 'Dense', args: { units: 3, activation: 'softmax' } }
    ],
    optimizer: 'adam',
    learningRate: 0.01,
    loss: 'categorical_crossentropy',
    metrics: ['accuracy'],
    epochs: 100,
    batchSize: 32,
    validationSplit: 0.2,
    ...overrides
  });
}

/** A 2-class model with one sigmoid unit and binary_crossentropy (circle / xor). */
export function binarySpec(overrides: Partial<SequentialSketch> = {}): ModelSpec {
  return sequentialSpec({
    input: [2],
    layers: [
      { kind: 'Dense', args: { units: 8, activation: 'tanh' } },
      { kind: 'Dense', args: { units: 1, activation: 'sigmoid' } }
    ],
    optimizer: 'adam',
    learningRate: 0.03,
    loss: 'binary_crossentropy',
    metrics: ['accuracy'],
    epochs: 20,
    batchSize: 32,
    validationSplit: 0.2,
    ...overrides
  });
}

/** A functional spec with a given graph (layers given with ids and inputs). */
export function functionalSpec(inputs: { id: string; shape: Shape }[], layers: (LayerSketch & { id: string; inputs: string[] })[], outputs: string[], compile?: Partial<CompileSpec>): ModelSpec {
  return {
    version: SPEC_VERSION,
    style: 'functional',
    modelName: 'model',
    inputs: inputs.map((i, k) => ({ id: i.id, name: i.id, shape: i.shape, span: dummySpan(k + 1) })),
    layers: layers.map((l, k) => ({ id: l.id, kind: l.kind, args: withDefaults(l.kind, l.args), inputs: l.inputs, span: dummySpan(k + 5) })),
    outputs,
    compile: {
      optimizer: { name: 'adam', learningRate: 0.001, args: {}, span: dummySpan(20) },
      loss: 'categorical_crossentropy',
      metrics: ['accuracy'],
      span: dummySpan(20),
      ...compile
    },
    fit: null
  };
}
