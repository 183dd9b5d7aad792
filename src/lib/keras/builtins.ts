/**
 * The table of names a program can reach: the `keras` module tree (built from the layer registry, so a new layer
 * needs no change here), Python builtins we accept or refuse, and the argument tables of the non-layer callables
 * (keras.Input, optimizers, regularizers, model.compile, model.fit).
 */
import { BLOCKS, LAYERS } from '$lib/layers';
import { REGULARIZER_CALLS, type RegularizerName } from '$lib/layers/regularizers';
import type { BlockDef, LayerDef } from '$lib/layers/types';
import { OPTIMIZER_LIST } from '$lib/optimizers';
import type { OptimizerName } from '$lib/spec/types';

/** Something a program can call. `display` is how messages name it. */
export type Callable =
  | { type: 'sequential'; display: string }
  | { type: 'model'; display: string }
  | { type: 'input'; display: string }
  | { type: 'layer'; display: string; def: LayerDef }
  /** A composite layer (KerasHub's TransformerEncoder), expanded into registry layers when called. */
  | { type: 'block'; display: string; def: BlockDef }
  | { type: 'optimizer'; display: string; name: OptimizerName }
  | { type: 'regularizer'; display: string; name: RegularizerName }
  | { type: 'range'; display: string }
  | { type: 'print'; display: string };

export interface Namespace {
  type: 'namespace';
  /** Dotted path, e.g. `keras.layers`. */
  path: string;
  members: Record<string, Namespace | Callable>;
  /** Names under this path that Keras has but the playground does not, with a hint each. */
  unsupported?: Record<string, string>;
  /** What an unknown member is called in messages ("layer", "optimizer"); unset = plain attribute. */
  memberNoun?: string;
  /** Members that live in another module (`TransformerEncoder` asked of keras.layers): name → where it is. */
  elsewhere?: Record<string, { path: string; hint: string }>;
}

export type Entry = Namespace | Callable;

// ---------------------------------------------------------------------------------------------------------------
// Optimizers, regularizers, losses and metrics: the registries' names (re-exported for the parser and the editor)

export { OPTIMIZERS, OPTIMIZER_STRINGS, DEFAULT_OPTIMIZER } from '$lib/optimizers';
export { REGULARIZERS, type RegularizerName } from '$lib/layers/regularizers';

/** Every string `compile(loss=...)` accepts → the spec's loss name (from the loss registry). */
export { LOSS_STRINGS as LOSSES } from '$lib/losses';

/** Every string `compile(metrics=[...])` accepts → the spec's metric name (from the metric registry). */
export { METRIC_STRINGS as METRICS } from '$lib/metrics';

// ---------------------------------------------------------------------------------------------------------------
// Parameter tables of the calls that are not layers

/** A parameter of a non-layer call. `unsupported` (a hint) marks Keras parameters the playground refuses. */
export interface ParamDef {
  name: string;
  required?: boolean;
  /** Can only be passed by name (Keras' `**kwargs`, e.g. a layer's `name=`). */
  keywordOnly?: boolean;
  unsupported?: string;
}

export const INPUT_PARAMS: readonly ParamDef[] = [
  { name: 'shape', required: true },
  { name: 'batch_size', unsupported: 'The batch size is set by model.fit(batch_size=...)' },
  { name: 'dtype' },
  { name: 'sparse', unsupported: 'Inputs are always dense here' },
  { name: 'batch_shape', unsupported: 'Use shape=(...) without the batch axis' },
  { name: 'name' }
];

export const SEQUENTIAL_PARAMS: readonly ParamDef[] = [
  { name: 'layers' },
  { name: 'trainable', unsupported: 'All layers are trainable here' },
  { name: 'name' }
];

export const MODEL_PARAMS: readonly ParamDef[] = [{ name: 'inputs', required: true }, { name: 'outputs', required: true }, { name: 'name' }];

export const COMPILE_PARAMS: readonly ParamDef[] = [
  { name: 'optimizer' },
  { name: 'loss' },
  { name: 'loss_weights', unsupported: 'Models here have a single loss' },
  { name: 'metrics' },
  { name: 'weighted_metrics', unsupported: 'Use metrics=[...]' },
  { name: 'run_eagerly', unsupported: 'The playground decides how to run the model' },
  { name: 'steps_per_execution', unsupported: 'The playground decides how to run the model' },
  { name: 'jit_compile', unsupported: 'The playground decides how to run the model' },
  { name: 'auto_scale_loss', unsupported: 'The playground decides how to run the model' }
];

const FIT_UNSUPPORTED = 'The playground supports x, y, epochs, batch_size, validation_split, shuffle and verbose';

export const FIT_PARAMS: readonly ParamDef[] = [
  { name: 'x' },
  { name: 'y' },
  { name: 'batch_size' },
  { name: 'epochs' },
  { name: 'verbose' },
  { name: 'callbacks', unsupported: 'The playground shows the training curves itself' },
  { name: 'validation_split' },
  { name: 'validation_data', unsupported: 'Use validation_split=... instead' },
  { name: 'shuffle' },
  { name: 'class_weight', unsupported: FIT_UNSUPPORTED },
  { name: 'sample_weight', unsupported: FIT_UNSUPPORTED },
  { name: 'initial_epoch', unsupported: FIT_UNSUPPORTED },
  { name: 'steps_per_epoch', unsupported: FIT_UNSUPPORTED },
  { name: 'validation_steps', unsupported: FIT_UNSUPPORTED },
  { name: 'validation_batch_size', unsupported: FIT_UNSUPPORTED },
  { name: 'validation_freq', unsupported: FIT_UNSUPPORTED }
];

export const SUMMARY_PARAMS: readonly ParamDef[] = [
  'line_length',
  'positions',
  'print_fn',
  'expand_nested',
  'show_trainable',
  'layer_range'
].map((name) => ({ name, unsupported: 'Call model.summary() without arguments' }));

/** Keras 3 `fit` defaults. */
export const FIT_DEFAULTS = { epochs: 1, batchSize: 32, validationSplit: 0, shuffle: true } as const;

/** The methods of a model object. */
export const MODEL_METHODS = ['add', 'compile', 'fit', 'summary'] as const;
export type ModelMethod = (typeof MODEL_METHODS)[number];

// ---------------------------------------------------------------------------------------------------------------
// The keras module tree

/** Is this layer or block in the Python module `module` (a LayerDef without `module` is in keras.layers)? */
function inModule(def: { module?: string }, module: 'keras.layers' | 'keras_hub.layers'): boolean {
  return (def.module ?? 'keras.layers') === module;
}

/** The layers and blocks of one Python module, from the registries. */
function layerEntries(module: 'keras.layers' | 'keras_hub.layers'): Record<string, Callable> {
  const out: Record<string, Callable> = {};
  for (const def of LAYERS) if (inModule(def, module)) out[def.kind] = { type: 'layer', display: def.kind, def };
  for (const def of BLOCKS) if (inModule(def, module)) out[def.kind] = { type: 'block', display: def.kind, def };
  return out;
}

/** The layers and blocks of the other module, to say where a name asked of this one lives. */
function elsewhere(module: 'keras.layers' | 'keras_hub.layers'): Record<string, { path: string; hint: string }> {
  const other = module === 'keras.layers' ? 'keras_hub.layers' : 'keras.layers';
  const hint = other === 'keras_hub.layers' ? 'Add import keras_hub at the top' : 'Add from keras import layers at the top';
  const path = (kind: string) => (other === 'keras_hub.layers' ? `keras_hub.layers.${kind}` : `layers.${kind}`);
  const out: Record<string, { path: string; hint: string }> = {};
  for (const kind of Object.keys(layerEntries(other))) out[kind] = { path: path(kind), hint };
  return out;
}

const INPUT: Callable = { type: 'input', display: 'keras.Input' };
const SEQUENTIAL: Callable = { type: 'sequential', display: 'keras.Sequential' };
const MODEL: Callable = { type: 'model', display: 'keras.Model' };

function optimizerEntries(): Record<string, Callable> {
  const out: Record<string, Callable> = {};
  for (const o of OPTIMIZER_LIST) out[o.className] = { type: 'optimizer', display: o.className, name: o.name };
  return out;
}

function regularizerEntries(): Record<string, Callable> {
  const out: Record<string, Callable> = {};
  for (const [display, name] of Object.entries(REGULARIZER_CALLS)) out[display] = { type: 'regularizer', display, name };
  return out;
}

const STRING_LOSS = 'Pass the loss as a string, e.g. loss="categorical_crossentropy"';

/** Builds the `keras` namespace. Called once; layers come from the registry. */
export function buildKeras(): Namespace {
  const layers: Namespace = {
    type: 'namespace',
    path: 'keras.layers',
    memberNoun: 'layer',
    members: { ...layerEntries('keras.layers'), Input: INPUT },
    unsupported: { InputLayer: 'Start the model with keras.Input(shape=(...))' },
    elsewhere: elsewhere('keras.layers')
  };
  const optimizers: Namespace = { type: 'namespace', path: 'keras.optimizers', memberNoun: 'optimizer', members: optimizerEntries() };
  const regularizers: Namespace = { type: 'namespace', path: 'keras.regularizers', memberNoun: 'regularizer', members: regularizerEntries() };
  const models: Namespace = { type: 'namespace', path: 'keras.models', members: { Sequential: SEQUENTIAL, Model: MODEL } };
  return {
    type: 'namespace',
    path: 'keras',
    members: { Sequential: SEQUENTIAL, Model: MODEL, Input: INPUT, layers, optimizers, regularizers, models },
    unsupported: {
      losses: STRING_LOSS,
      metrics: 'Pass metrics as strings, e.g. metrics=["accuracy"]',
      activations: 'Pass the activation as a string, e.g. activation="relu"',
      initializers: 'Pass the initializer as a string, e.g. kernel_initializer="he_normal"',
      callbacks: 'The playground shows the training curves itself',
      datasets: 'The data is predefined as x_train, y_train, x_test, y_test',
      utils: 'The playground prepares the data itself',
      backend: 'The playground picks the backend itself',
      ops: 'Build models from layers',
      random: 'The playground sets the random seed itself',
      applications: 'Build models from layers',
      saving: 'The playground saves your code itself',
      Functional: 'Use keras.Model(inputs, outputs)'
    }
  };
}

const HUB_MODELS = 'Pretrained KerasHub models and presets are not available here: build the model from keras_hub.layers (TransformerEncoder, TransformerDecoder, TokenAndPositionEmbedding, ...) and keras.layers';

/**
 * Builds the `keras_hub` namespace (KerasHub, `import keras_hub`): its `layers` hold the registry's layers and blocks
 * whose `module` is `keras_hub.layers`; pretrained models, tokenizers and the rest are refused with a hint.
 */
export function buildKerasHub(): Namespace {
  const layers: Namespace = {
    type: 'namespace',
    path: 'keras_hub.layers',
    memberNoun: 'layer',
    members: layerEntries('keras_hub.layers'),
    elsewhere: elsewhere('keras_hub.layers')
  };
  return {
    type: 'namespace',
    path: 'keras_hub',
    members: { layers },
    unsupported: {
      models: HUB_MODELS,
      presets: HUB_MODELS,
      tokenizers: 'The playground tokenizes the text data itself (one token per character): feed the token ids from keras.Input(shape=(seq_len,), dtype="int32")',
      samplers: 'The playground generates text from the trained model itself',
      metrics: 'Pass metrics to model.compile as strings, e.g. metrics=["accuracy"]',
      utils: 'The playground prepares the data itself',
      export: 'Export the model from the playground (ONNX, Keras script)'
    }
  };
}

/** The modules a program can import, by their root name (`import keras`, `import keras_hub`). */
export function buildRoots(): Record<'keras' | 'keras_hub', Namespace> {
  return { keras: buildKeras(), keras_hub: buildKerasHub() };
}

// ---------------------------------------------------------------------------------------------------------------
// Python builtins and predefined names

export const PYTHON_BUILTINS: Record<string, Callable> = {
  range: { type: 'range', display: 'range' },
  print: { type: 'print', display: 'print' }
};

/** The data sets the playground provides; they can only be passed to model.fit. */
export const DATA_NAMES = ['x_train', 'y_train', 'x_test', 'y_test'] as const;

/**
 * Numbers that sequence data predefines for the program (`parseProgram(source, { constants })`, the data side's
 * `dataConstants(name, settings)`), usable wherever a number is: `keras.Input(shape=(seq_len,))`,
 * `layers.Embedding(vocab_size, 32)`. Each with its doc and the data sets that define it (for the message when a
 * program uses one without such data).
 */
export const DATA_CONSTANTS: Record<string, { doc: string; definedBy: string }> = {
  vocab_size: {
    doc: 'The number of distinct tokens (characters) of the text data: the input_dim of an Embedding and the units of the last Dense layer.',
    definedBy: 'text data defines it (pick shakespeare, names, reverse, parity or your own text in the Data panel)'
  },
  seq_len: {
    doc: 'The length of each input sequence of the sequence data (its time steps): keras.Input(shape=(seq_len,)).',
    definedBy: 'sequence data defines it (pick shakespeare, names, reverse, sine_series, parity or your own text in the Data panel)'
  }
};

/** Builtins refused because they would run or load code. */
export const FORBIDDEN_BUILTINS = new Set([
  'eval',
  'exec',
  'compile',
  'open',
  '__import__',
  'getattr',
  'setattr',
  'delattr',
  'globals',
  'locals',
  'vars',
  'input',
  'breakpoint',
  'exit',
  'quit',
  'help',
  'dir',
  'memoryview',
  '__builtins__'
]);

/** Other Python builtins: they exist in Python but not in this subset. */
export const OTHER_BUILTINS = new Set(
  (
    'abs all any ascii bin bool bytearray bytes callable chr classmethod complex dict divmod enumerate filter float ' +
    'format frozenset hasattr hash hex id int isinstance issubclass iter len list map max min next object oct ord ' +
    'pow property repr reversed round set slice sorted staticmethod str sum super tuple type zip __name__ __file__'
  ).split(' ')
);

/** Hints for imports of modules other than keras. */
export function foreignModuleHint(root: string): { message: string; hint: string } {
  const supported = 'Supported: import keras, from keras import layers, optimizers, regularizers, from keras.layers import Dense, ..., import keras_hub';
  if (root === 'keras_nlp') {
    return { message: 'keras_nlp is the old name of KerasHub: import keras_hub instead', hint: 'import keras_hub, then keras_hub.layers.TransformerEncoder(...)' };
  }
  if (root === 'tensorflow' || root === 'tf_keras') {
    return { message: `${root} is not available here: the playground runs Keras 3 code`, hint: `Use import keras and from keras import layers (Keras 3 style). ${supported}` };
  }
  if (root === 'numpy' || root === 'pandas' || root === 'sklearn') {
    return { message: `${root} is not available here: the data is predefined as x_train, y_train, x_test, y_test`, hint: supported };
  }
  return { message: `Only keras and keras_hub can be imported here, not ${root}`, hint: supported };
}
