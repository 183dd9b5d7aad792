/**
 * Signatures: one model of "something callable" (a layer, an optimizer, a regularizer, keras.Input, a model and its
 * methods) behind the editor's completion, hover and signature help (`language.ts`), and its Markdown. Generated
 * from the registries (layers, optimizers, losses, metrics, initializers, regularizers, activations) and the call
 * tables of `builtins.ts`, so a new entry documents itself; only the docs of the non-layer calls are written here.
 */
import { ACTIVATIONS } from '$lib/layers/activations';
import { INITIALIZER_DOCS } from '$lib/layers/initializers';
import { REGULARIZER_DOCS } from '$lib/layers/regularizers';
import type { ArgDef, ArgType, BlockDef, LayerDef } from '$lib/layers/types';
import { formatValue } from '$lib/layers/util';
import { LOSSES_BY_NAME } from '$lib/losses';
import { METRICS_BY_NAME } from '$lib/metrics';
import { INPUT_DTYPES, type OptimizerName } from '$lib/spec/types';
import {
  COMPILE_PARAMS,
  DEFAULT_OPTIMIZER,
  FIT_DEFAULTS,
  FIT_PARAMS,
  INPUT_PARAMS,
  LOSSES,
  METRICS,
  MODEL_PARAMS,
  OPTIMIZER_STRINGS,
  OPTIMIZERS,
  REGULARIZERS,
  SEQUENTIAL_PARAMS,
  type Callable,
  type ModelMethod,
  type ParamDef,
  type RegularizerName
} from './builtins';

// ---------------------------------------------------------------------------------------------------------------
// Docs of the calls that are not layers, optimizers or regularizers

const MODEL_METHOD_DOCS: Record<ModelMethod, string> = {
  add: 'Appends a layer to a Sequential model.',
  compile: 'Configures the model for training: the optimizer, the loss and the metrics to report.',
  fit: 'Trains the model on the data for a number of epochs (the playground runs it in the browser).',
  summary: 'Prints the layers, their output shapes and parameter counts (the playground also shows it beside the code).'
};

interface CallParamDoc {
  doc: string;
  type: string;
  /** Python repr of Keras' default; absent = required. */
  default?: string;
}

/** Docs of the parameters of the non-layer calls, keyed by the `ParamDef` names of `builtins.ts`. */
const CALL_PARAM_DOCS: Record<'input' | 'sequential' | 'model' | 'compile' | 'fit' | 'add', Record<string, CallParamDoc>> = {
  input: {
    shape: { doc: 'Shape of one sample, without the batch axis: (2,) for 2 features, (28, 28, 1) for an image, (seq_len,) for a sequence of token ids.', type: 'tuple of ints' },
    dtype: { doc: 'The type of the input values: "float32" (numbers), or "int32" for token ids fed to an Embedding.', type: 'str', default: 'None' },
    name: { doc: 'Name of the input.', type: 'str', default: 'None' }
  },
  sequential: {
    layers: { doc: 'The layers in order; start with keras.Input(shape=(...)).', type: 'list of layers', default: 'None' },
    name: { doc: 'Name of the model.', type: 'str', default: 'None' }
  },
  model: {
    inputs: { doc: 'The keras.Input tensor(s) of the model.', type: 'tensor or list of tensors' },
    outputs: { doc: 'The tensor(s) computed from the inputs by calling layers.', type: 'tensor or list of tensors' },
    name: { doc: 'Name of the model.', type: 'str', default: 'None' }
  },
  compile: {
    optimizer: { doc: 'The optimizer: a name such as "adam" (default settings) or an instance such as keras.optimizers.Adam(learning_rate=0.01).', type: 'str or optimizer', default: `"${DEFAULT_OPTIMIZER}"` },
    loss: { doc: 'The loss to minimise, by name.', type: 'str', default: 'None' },
    metrics: { doc: 'Metrics reported during training, e.g. ["accuracy"].', type: 'list of str', default: 'None' }
  },
  fit: {
    x: { doc: 'Training inputs: the predefined x_train.', type: 'array', default: 'None' },
    y: { doc: 'Training targets: the predefined y_train.', type: 'array', default: 'None' },
    batch_size: { doc: `Samples per gradient update; None means ${FIT_DEFAULTS.batchSize}.`, type: 'int', default: 'None' },
    epochs: { doc: 'Number of passes over the training data.', type: 'int', default: String(FIT_DEFAULTS.epochs) },
    verbose: { doc: 'Accepted for compatibility; the playground shows the progress itself.', type: 'int or "auto"', default: '"auto"' },
    validation_split: { doc: 'Fraction of the training data held out (from its end, as in Keras) to report validation metrics, in [0, 1).', type: 'float', default: '0.0' },
    shuffle: { doc: 'Whether to shuffle the training samples before each epoch.', type: 'bool', default: FIT_DEFAULTS.shuffle ? 'True' : 'False' }
  },
  add: {
    layer: { doc: 'The layer to append, e.g. layers.Dense(16, activation="relu").', type: 'layer' }
  }
};

const LAYER_NAME_DOC = 'Unique name of the layer; by default the snake_case class name plus a counter (dense, dense_1, ...).';

// ---------------------------------------------------------------------------------------------------------------
// Signatures: one model of "something callable" behind completion, hover and signature help

interface ValueOption {
  value: string;
  doc: string;
}

/** What kind of value a parameter takes, beyond its type (decides the value completions). */
type ValueKind = ArgType | 'optimizer' | 'loss' | 'metrics' | 'data' | 'other';

export interface Param {
  name: string;
  doc: string;
  /** Human-readable type. */
  type: string;
  /** Python repr of the default; undefined = required. */
  default?: string;
  keywordOnly?: boolean;
  /** Keras has it, the playground refuses it (hint). Not offered, still explained on hover. */
  unsupported?: string;
  valueKind: ValueKind;
  /** Allowed strings (written quoted in the code). */
  strings?: ValueOption[];
  /** For a layer-valued parameter (Bidirectional's `layer`): the layer kinds it takes (empty: any). */
  layers?: string[];
  /** The value is a list of `strings` (metrics). */
  list?: boolean;
  min?: number;
  max?: number;
}

/** `call`: calling a layer object that takes named tensors (`mha(query, value, use_causal_mask=True)`). */
type SigKind = 'layer' | 'optimizer' | 'regularizer' | 'input' | 'sequential' | 'model' | 'method' | 'call';

export interface Signature {
  kind: SigKind;
  /** Name as called (`Dense`, `compile`). */
  name: string;
  /** Where it lives (`keras.layers.Dense`, `model.compile`). */
  qualified: string;
  doc: string;
  params: Param[];
}

const TYPE_LABEL: Record<ArgType, string> = {
  int: 'int',
  float: 'float',
  bool: 'bool',
  string: 'str',
  shape: 'tuple of ints',
  int_or_tuple: 'int or tuple of ints',
  activation: 'str (activation)',
  initializer: 'str (initializer)',
  regularizer: 'regularizer',
  layer: 'layer (e.g. layers.LSTM(32))'
};

export function valueDoc(kind: ValueKind, value: string, fallback: string): string {
  switch (kind) {
    case 'activation':
      return (ACTIVATIONS as Record<string, { doc: string }>)[value]?.doc ?? fallback;
    case 'initializer':
      return (INITIALIZER_DOCS as Record<string, string>)[value] ?? fallback;
    case 'regularizer':
      return (REGULARIZER_DOCS as Record<string, string>)[value] ?? fallback;
    case 'optimizer': {
      const name = OPTIMIZER_STRINGS[value];
      return name ? `${OPTIMIZERS[name].className} with Keras' defaults (${optimizerDefaults(name)}). ${OPTIMIZERS[name].doc}` : fallback;
    }
    case 'loss': {
      const name = LOSSES[value];
      if (!name) return fallback;
      const doc = LOSSES_BY_NAME[name].doc;
      return name === value ? doc : `Same as "${name}": ${doc}`;
    }
    case 'metrics': {
      const name = METRICS[value];
      if (!name) return fallback;
      const doc = METRICS_BY_NAME[name].doc;
      return name === value ? doc : `Same as "${name}": ${doc}`;
    }
    default:
      // Other string values (padding, data_format) are listed by the layer's ArgDef `values`; its doc explains them.
      return fallback;
  }
}

function optimizerDefaults(name: OptimizerName): string {
  return OPTIMIZERS[name].args.map((a) => `${a.name}=${formatValue(a.default)}`).join(', ');
}

function paramFromArgDef(a: ArgDef): Param {
  return {
    name: a.name,
    doc: a.doc,
    type: TYPE_LABEL[a.type],
    default: a.default === undefined ? undefined : formatValue(a.default),
    valueKind: a.type,
    strings: a.type === 'layer' ? undefined : a.values?.map((v) => ({ value: v, doc: valueDoc(a.type, v, a.doc) })),
    layers: a.type === 'layer' ? [...(a.values ?? [])] : undefined,
    min: a.min,
    max: a.max
  };
}

/** Layers and KerasHub blocks alike: their constructor (blocks are layers to the learner). */
function layerSignature(def: LayerDef | BlockDef): Signature {
  return {
    kind: 'layer',
    name: def.kind,
    qualified: `${def.module ?? 'keras.layers'}.${def.kind}`,
    doc: def.doc,
    params: [...def.args.map(paramFromArgDef), { name: 'name', doc: LAYER_NAME_DOC, type: 'str', default: 'None', keywordOnly: true, valueKind: 'other' }]
  };
}

/**
 * Calling a layer or block object that takes named tensors and call keywords (`LayerDef.call` / `BlockDef.call`):
 * `MultiHeadAttention(...)(query, value, key=None, attention_mask=None, use_causal_mask=False)`. Null for the others
 * (called on one tensor or a list).
 */
export function callSignature(def: LayerDef | BlockDef): Signature | null {
  if (!def.call) return null;
  const tensors: Param[] = def.call.tensors.map((t) => ({ name: t.name, doc: t.doc, type: 'tensor', default: t.required ? undefined : 'None', valueKind: 'other' }));
  const name = `${def.kind}(...)`;
  return {
    kind: 'call',
    name,
    qualified: `${def.module ?? 'keras.layers'}.${name}`,
    doc: `Calls the ${def.kind} layer on its tensors: ${def.call.tensors.map((t) => `\`${t.name}\`${t.required ? '' : ' (optional)'}`).join(', ')}, then the call keywords by name.`,
    params: [...tensors, ...def.call.args.map((a) => ({ ...paramFromArgDef(a), keywordOnly: true }))]
  };
}

export function optimizerSignature(name: OptimizerName): Signature {
  const o = OPTIMIZERS[name];
  return { kind: 'optimizer', name: o.className, qualified: `keras.optimizers.${o.className}`, doc: o.doc, params: o.args.map(paramFromArgDef) };
}

function regularizerSignature(name: RegularizerName, display: string): Signature {
  return { kind: 'regularizer', name: display, qualified: `keras.regularizers.${display}`, doc: REGULARIZER_DOCS[name], params: REGULARIZERS[name].args.map(paramFromArgDef) };
}

const STRING_OPTIONS = (kind: ValueKind, names: Record<string, string>, fallback: string): ValueOption[] =>
  Object.keys(names).map((v) => ({ value: v, doc: valueDoc(kind, v, fallback) }));

function callParams(table: keyof typeof CALL_PARAM_DOCS, defs: readonly ParamDef[]): Param[] {
  return defs.map((p) => {
    const d = CALL_PARAM_DOCS[table][p.name];
    const param: Param = {
      name: p.name,
      doc: d?.doc ?? p.unsupported ?? '',
      type: d?.type ?? '',
      default: d ? d.default : p.required ? undefined : 'None',
      keywordOnly: p.keywordOnly,
      unsupported: p.unsupported,
      valueKind: 'other'
    };
    if (table === 'compile' && p.name === 'optimizer') {
      param.valueKind = 'optimizer';
      // Keras accepts "adam" and "Adam": offer the snake names, explain both on hover.
      param.strings = Object.entries(OPTIMIZER_STRINGS)
        .filter(([k, v]) => k === v)
        .map(([k]) => ({ value: k, doc: valueDoc('optimizer', k, '') }));
    } else if (table === 'compile' && p.name === 'loss') {
      param.valueKind = 'loss';
      param.strings = STRING_OPTIONS('loss', LOSSES, '');
    } else if (table === 'compile' && p.name === 'metrics') {
      param.valueKind = 'metrics';
      param.strings = STRING_OPTIONS('metrics', METRICS, '');
      param.list = true;
    } else if (table === 'fit' && (p.name === 'x' || p.name === 'y')) {
      param.valueKind = 'data';
    } else if (table === 'input' && p.name === 'dtype') {
      param.strings = INPUT_DTYPES.map((v) => ({ value: v, doc: v === 'int32' ? 'Integers: token ids for an Embedding.' : 'Floating-point numbers (the default).' }));
    } else if (table === 'fit' && p.name === 'shuffle') {
      param.valueKind = 'bool';
    }
    return param;
  });
}

const INPUT_SIG: Signature = {
  kind: 'input',
  name: 'Input',
  qualified: 'keras.Input',
  doc: 'A symbolic input tensor: the start of a model. Give the shape of one sample without the batch axis.',
  params: callParams('input', INPUT_PARAMS)
};
const SEQUENTIAL_SIG: Signature = {
  kind: 'sequential',
  name: 'Sequential',
  qualified: 'keras.Sequential',
  doc: 'A model that is a plain stack of layers, each feeding the next.',
  params: callParams('sequential', SEQUENTIAL_PARAMS)
};
const MODEL_SIG: Signature = {
  kind: 'model',
  name: 'Model',
  qualified: 'keras.Model',
  doc: 'A functional model: the graph of layer calls from `inputs` to `outputs` (branches and merges allowed).',
  params: callParams('model', MODEL_PARAMS)
};

export function methodSignature(method: ModelMethod): Signature {
  const params =
    method === 'compile'
      ? callParams('compile', COMPILE_PARAMS)
      : method === 'fit'
        ? callParams('fit', FIT_PARAMS)
        : method === 'add'
          ? callParams('add', [{ name: 'layer', required: true }])
          : [];
  return { kind: 'method', name: method, qualified: `model.${method}`, doc: MODEL_METHOD_DOCS[method], params };
}

export function callableSignature(fn: Callable): Signature | null {
  switch (fn.type) {
    case 'layer':
    case 'block':
      return layerSignature(fn.def);
    case 'optimizer':
      return optimizerSignature(fn.name);
    case 'regularizer':
      return regularizerSignature(fn.name, fn.display);
    case 'input':
      return INPUT_SIG;
    case 'sequential':
      return SEQUENTIAL_SIG;
    case 'model':
      return MODEL_SIG;
    default:
      return null;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Formatting

/** `units` or `activation=None`. */
export const paramLabel = (p: Param) => (p.default === undefined ? p.name : `${p.name}=${p.default}`);

export const shown = (sig: Signature) => sig.params.filter((p) => !p.unsupported);

export function signatureLabel(sig: Signature): { label: string; offsets: [number, number][] } {
  let label = `${sig.name}(`;
  const offsets: [number, number][] = [];
  shown(sig).forEach((p, i) => {
    if (i > 0) label += ', ';
    const text = paramLabel(p);
    offsets.push([label.length, label.length + text.length]);
    label += text;
  });
  return { label: label + ')', offsets };
}

/** `Dense(units, ...)`: the required parameters only. */
export function shortLabel(sig: Signature): string {
  const params = shown(sig);
  const required = params.filter((p) => p.default === undefined).map((p) => p.name);
  if (required.length < params.length) required.push('...');
  return `${sig.name}(${required.join(', ')})`;
}

function paramSummary(p: Param): string {
  const parts = [p.type || undefined, p.default === undefined ? 'required' : `default \`${p.default}\``].filter(Boolean);
  return `*${parts.join(', ')}*`;
}

function bounds(p: Param): string {
  if (p.min !== undefined && p.max !== undefined) return ` Between ${p.min} and ${p.max}.`;
  if (p.min !== undefined) return ` At least ${p.min}.`;
  if (p.max !== undefined) return ` At most ${p.max}.`;
  return '';
}

export function paramMarkdown(sig: Signature, p: Param, withValues: boolean): string {
  if (p.unsupported) return `**${p.name}** of \`${sig.qualified}\` is not supported here. ${p.unsupported}.`;
  let md = `**${p.name}** — ${paramSummary(p)}\n\n${p.doc}${bounds(p)}`;
  if (withValues && p.strings?.length) md += `\n\nValues: ${p.strings.map((s) => `\`"${s.value}"\``).join(', ')}`;
  if (withValues && p.layers?.length) md += `\n\nTakes: ${p.layers.map((k) => `\`layers.${k}(...)\``).join(', ')}`;
  return md;
}

export function signatureMarkdown(sig: Signature): string {
  const { label } = signatureLabel(sig);
  const prefix = sig.qualified.slice(0, sig.qualified.length - sig.name.length);
  let md = '```python\n' + prefix + label + '\n```\n\n' + sig.doc;
  const params = shown(sig);
  if (params.length) md += '\n\n' + params.map((p) => `- \`${p.name}\` — ${paramSummary(p)}. ${p.doc}`).join('\n');
  return md;
}
