/**
 * The Keras model builder: what the program's Keras calls build. Layers (from the layer registry), keras.Input,
 * keras.Sequential / model.add, the functional graph and keras.Model, optimizers and regularizers (from their
 * registries), model.compile / fit / summary; at the end, the model the program trains as a ModelSpec.
 */
import { getLayer } from '$lib/layers';
import { LayerError, type ArgDef, type BlockBuilder, type BlockDef, type CallDef, type LayerDef } from '$lib/layers/types';
import { defaultLearningRate } from '$lib/optimizers';
import { INPUT_DTYPES, SPEC_VERSION, type ArgValue, type BlockRef, type CallInfo, type InputDtype, type InputNode, type LayerNode, type LossName, type MetricName, type ModelSpec, type OptimizerSpec, type Shape, type Span } from '$lib/spec/types';
import { ArgumentConverter, regularizerConfig } from './arguments';
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
  SUMMARY_PARAMS,
  type Callable,
  type ModelMethod,
  type ParamDef,
  type RegularizerName
} from './builtins';
import { quoteList, suggestion, type LineIndex } from './diagnostics';
import { describe, KerasError, NONE, POISON, type Arg, type BlockInstance, type CallArgs, type GraphNode, type LayerInstance, type ModelObject, type Reporter, type Value } from './values';

/**
 * A default argument value for one layer. Most are numbers, strings, booleans or null, which need no copy:
 * structuredClone on every default of every layer took ~50 ms of the 249 ms analysis of a 1500-line program
 * (a CPU profile in Chromium).
 */
function copyDefault<T>(v: T): T {
  return v === null || typeof v !== 'object' ? v : structuredClone(v);
}

/** Upper bound that keeps a pathological program from freezing the editor. */
const MAX_LAYERS = 1000;

/** Keras' `to_snake_case`, which names layers: Dense → dense, Conv2D → conv2d, MaxPooling2D → max_pooling2d. */
export function toSnakeCase(name: string): string {
  return name
    .replace(/\W+/g, '')
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

export class ModelBuilder {
  /** Every keras.Input and layer call, in creation order (which is a topological order). */
  private readonly graph = new Map<string, GraphNode>();
  private readonly models: ModelObject[] = [];
  private readonly usedIds = new Set<string>();
  private readonly idCounters = new Map<string, number>();
  private layerCount = 0;

  private readonly converter: ArgumentConverter;

  constructor(
    private readonly r: Reporter,
    private readonly index: LineIndex
  ) {
    this.converter = new ArgumentConverter(r);
  }

  /** Calls one of the Keras constructors (not range / print, which the interpreter handles). */
  call(fn: Exclude<Callable, { type: 'range' | 'print' }>, args: CallArgs): Value {
    switch (fn.type) {
      case 'layer':
        return this.constructLayer(fn.def, args);
      case 'block':
        return this.constructBlock(fn.def, args);
      case 'input':
        return this.makeInput(fn.display, args);
      case 'sequential':
        return this.makeSequential(fn.display, args);
      case 'model':
        return this.makeFunctional(fn.display, args);
      case 'optimizer':
        return this.makeOptimizer(fn.name, fn.display, args);
      case 'regularizer':
        return this.makeRegularizer(fn.name, fn.display, args);
    }
  }

  /** Allocates a Keras-style unique name: explicit `name=`, or `prefix`, `prefix_1`, ... */
  private allocateId(owner: string, prefix: string, nameArg: Arg | undefined): string | undefined {
    if (nameArg) {
      const v = nameArg.value;
      if (v.kind === 'poison') return undefined;
      if (v.kind !== 'string' || v.value === '') {
        this.r.report(`${owner} argument 'name' must be a non-empty string, got ${describe(v)}`, nameArg.span);
        return undefined;
      }
      if (this.usedIds.has(v.value)) {
        this.r.report(`The name "${v.value}" is already used by another layer`, nameArg.span, 'Layer names must be unique');
        return undefined;
      }
      this.usedIds.add(v.value);
      return v.value;
    }
    let n = this.idCounters.get(prefix) ?? 0;
    let id: string;
    do {
      id = n === 0 ? prefix : `${prefix}_${n}`;
      n++;
    } while (this.usedIds.has(id));
    this.idCounters.set(prefix, n);
    this.usedIds.add(id);
    return id;
  }

  // --- layers ---

  /**
   * A layer's or block's constructor call: binds and converts its arguments (defaults filled in), runs its
   * `validate`, and allocates its Keras name. Null when something was reported.
   */
  private configure(def: LayerDef | BlockDef, args: CallArgs): { id: string; values: Record<string, ArgValue> } | null {
    let ok = true;
    for (const kw of args.keywords) {
      if (kw.name === 'input_shape' || kw.name === 'input_dim' || kw.name === 'batch_input_shape') {
        this.r.report(`${kw.name}= is Keras 2 style and is not supported`, kw.nameSpan, 'In Keras 3, start the model with keras.Input(shape=(...)) instead');
        ok = false;
      }
    }
    if (!ok) return null;
    const params: ParamDef[] = [...def.args.map((a) => ({ name: a.name, required: a.default === undefined })), { name: 'name', keywordOnly: true }];
    const { bound, ok: bindOk } = this.converter.bind(def.kind, params, args);
    ok = bindOk;
    const values: Record<string, ArgValue> = {};
    for (const a of def.args) {
      const arg = bound.get(a.name);
      if (arg) {
        const v = this.converter.convert(def.kind, a, arg);
        if (v === undefined) ok = false;
        else values[a.name] = v;
      } else if (a.default !== undefined) values[a.name] = copyDefault(a.default);
    }
    if (!ok) return null;
    try {
      def.validate?.(values);
    } catch (e) {
      if (e instanceof LayerError) {
        this.r.report(e.message, args.span, e.hint);
        return null;
      }
      throw e;
    }
    const id = this.allocateId(def.kind, toSnakeCase(def.kind), bound.get('name'));
    if (id === undefined) return null;
    if (++this.layerCount > MAX_LAYERS) throw new KerasError(`Too many layers (more than ${MAX_LAYERS})`, args.span, undefined, true);
    return { id, values };
  }

  private constructLayer(def: LayerDef, args: CallArgs): Value {
    const c = this.configure(def, args);
    return c ? { kind: 'layer', layer: { def, id: c.id, args: c.values, span: args.span, used: false } } : POISON;
  }

  private constructBlock(def: BlockDef, args: CallArgs): Value {
    const c = this.configure(def, args);
    return c ? { kind: 'block', block: { def, id: c.id, args: c.values, span: args.span, used: false } } : POISON;
  }

  /** `layer(x)` or `merge_layer([a, b])` in the functional API; `mha(q, v, use_causal_mask=True)` for a layer with `call`. */
  callLayer(layer: LayerInstance, args: CallArgs): Value {
    const kind = layer.def.kind;
    if (layer.def.call) {
      const bound = this.bindCall(kind, layer.def.call, args);
      if (layer.used) this.r.fail('Calling the same layer twice (shared layers) is not supported yet', args.span, 'Create a new layer for each use');
      if (!bound) return POISON;
      layer.used = true;
      const node: LayerNode = { id: layer.id, kind, args: layer.args, inputs: bound.ids, span: layer.span, call: { inputNames: bound.inputNames, args: bound.callArgs } };
      this.graph.set(node.id, { kind: 'layer', node });
      return { kind: 'tensor', id: node.id };
    }
    const ids = this.plainCallInputs(kind, layer.def.arity, args);
    if (layer.used) this.r.fail('Calling the same layer twice (shared layers) is not supported yet', args.span, 'Create a new layer for each use');
    if (!ids) return POISON;
    layer.used = true;
    const node: LayerNode = { id: layer.id, kind, args: layer.args, inputs: ids, span: layer.span };
    this.graph.set(node.id, { kind: 'layer', node });
    return { kind: 'tensor', id: node.id };
  }

  /** The input of a layer called on one tensor (`arity` 1) or on a list of tensors ('many'); null when poisoned. */
  private plainCallInputs(kind: string, arity: 1 | 'many', args: CallArgs): string[] | null {
    if (args.keywords.length > 0) {
      this.r.fail(`Calling a layer with keyword arguments (${args.keywords[0].name}=...) is not supported`, args.keywords[0].nameSpan, `Call it on its input only: ${kind}(...)(x)`);
    }
    if (args.positional.length !== 1) this.r.fail(`A layer is called on one input: ${kind}(...)(x), got ${args.positional.length} arguments`, args.span);
    const input = args.positional[0];
    const v = input.value;
    const notTensor = (got: Value): never =>
      this.r.fail(`Layers are called on tensors (from keras.Input(...) or another layer), got ${describe(got)}`, input.span, 'inputs = keras.Input(shape=(2,)); x = layers.Dense(16)(inputs)');
    if (v.kind === 'poison') return null;
    if (arity === 'many') {
      if (v.kind === 'tensor') this.r.fail(`${kind} merges several tensors: call it on a list, e.g. ${kind}()([a, b])`, input.span);
      if (v.kind !== 'list' && v.kind !== 'tuple') return notTensor(v);
      if (v.items.some((i) => i.kind === 'poison')) return null;
      return v.items.map((item, i) => (item.kind === 'tensor' ? item.id : this.r.fail(`${kind} merges tensors, got ${describe(item)}`, v.spans[i])));
    }
    if (v.kind === 'list' || v.kind === 'tuple') this.r.fail(`${kind} takes one tensor, not a ${v.kind}`, input.span);
    if (v.kind !== 'tensor') return notTensor(v);
    return [v.id];
  }

  /**
   * Binds the call of a layer or block with named tensors and call keywords (`LayerDef.call`, `BlockDef.call`) as
   * Python would: tensors by position (in `call.tensors` order) or by name, the other keywords by name only. Returns
   * the tensors given (in `call.tensors` order, an optional one given as None left out), the parameter each was given
   * for, and the keywords with their defaults; null when something was reported.
   */
  private bindCall(kind: string, call: CallDef, args: CallArgs): { ids: string[]; inputNames: string[]; callArgs: Record<string, ArgValue> } | null {
    const owner = `${kind}.call`;
    const params: ParamDef[] = [
      ...call.tensors.map((t) => ({ name: t.name, required: t.required })),
      ...call.args.map((a) => ({ name: a.name, required: a.default === undefined, keywordOnly: true })),
      { name: 'training', keywordOnly: true, unsupported: 'The playground sets training=True while it trains and False when it evaluates or generates' }
    ];
    const { bound, ok: bindOk } = this.converter.bind(owner, params, args);
    let ok = bindOk;
    const ids: string[] = [];
    const inputNames: string[] = [];
    const example = call.tensors.filter((t) => t.required).map(() => 'x').join(', ');
    for (const t of call.tensors) {
      const arg = bound.get(t.name);
      if (!arg) continue;
      const v = arg.value;
      if (v.kind === 'poison') ok = false;
      else if (v.kind === 'tensor') {
        ids.push(v.id);
        inputNames.push(t.name);
      } else if (v.kind === 'none' && !t.required) continue;
      else {
        const what = v.kind === 'list' || v.kind === 'tuple' ? `one tensor, not a ${v.kind}` : `a tensor (from keras.Input(...) or another layer), got ${describe(v)}`;
        this.r.report(`${owner} argument '${t.name}' must be ${what}`, arg.span, `Call it on tensors, e.g. ${kind}(...)(${example})`);
        ok = false;
      }
    }
    const callArgs: Record<string, ArgValue> = {};
    for (const a of call.args) {
      const arg = bound.get(a.name);
      if (arg) {
        const v = this.converter.convert(owner, a, arg);
        if (v === undefined) ok = false;
        else callArgs[a.name] = v;
      } else if (a.default !== undefined) callArgs[a.name] = copyDefault(a.default);
    }
    return ok ? { ids, inputNames, callArgs } : null;
  }

  /** `a + b` on two tensors: an Add layer, named like Keras names the op (`add`, `add_1`, ...), written with `+`. */
  addTensors(a: string, b: string, span: Span): Value {
    const id = this.allocateId('+', 'add', undefined) as string;
    if (++this.layerCount > MAX_LAYERS) throw new KerasError(`Too many layers (more than ${MAX_LAYERS})`, span, undefined, true);
    const node: LayerNode = { id, kind: 'Add', args: {}, inputs: [a, b], span, operator: '+' };
    this.graph.set(id, { kind: 'layer', node });
    return { kind: 'tensor', id };
  }

  // --- blocks (KerasHub's composite layers) ---

  /** Shapes of the graph's tensors (no batch axis), computed on demand for the blocks that need them. */
  private readonly shapes = new Map<string, Shape>();

  /**
   * The shape of a tensor of the graph, from the layer registry; undefined when a layer before it cannot take its
   * input (reported at that layer, as shape inference would report it).
   */
  private shapeOf(id: string): Shape | undefined {
    const known = this.shapes.get(id);
    if (known) return known;
    const g = this.graph.get(id);
    if (!g) return undefined;
    let shape: Shape;
    if (g.kind === 'input') shape = g.node.shape;
    else {
      const node = g.node;
      const def = getLayer(node.kind);
      if (!def) return undefined;
      const ins: Shape[] = [];
      for (const i of node.inputs) {
        const s = this.shapeOf(i);
        if (!s) return undefined;
        ins.push(s);
      }
      try {
        shape = def.outputShape(ins, node.args, node.call);
      } catch (e) {
        if (e instanceof LayerError) {
          this.r.report(e.message, node.span, e.hint);
          return undefined;
        }
        throw e;
      }
    }
    this.shapes.set(id, shape);
    return shape;
  }

  /**
   * `block(x)`: binds the call like a layer's, then expands the block into registry layers with its `compose`. The
   * nodes are named `${block id}_${part}`, carry one BlockRef and the block's constructor span; a LayerError while
   * composing (an argument or a shape the block's layers refuse) is reported at the call, naming the block.
   */
  callBlock(block: BlockInstance, args: CallArgs): Value {
    const def = block.def;
    const kind = def.kind;
    let ids: string[] | null;
    let inputNames: string[] = [];
    let callArgs: Record<string, ArgValue> = {};
    if (def.call) {
      const bound = this.bindCall(kind, def.call, args);
      ids = bound && bound.ids;
      if (bound) ({ inputNames, callArgs } = bound);
    } else ids = this.plainCallInputs(kind, 1, args);
    if (block.used) this.r.fail('Calling the same layer twice (shared layers) is not supported yet', args.span, `Create a new ${kind} for each use`);
    if (!ids) return POISON;
    block.used = true;
    const ref: BlockRef = { id: block.id, kind, args: block.args, inputs: ids, span: block.span };
    if (def.call) {
      ref.callArgs = callArgs;
      ref.callInputNames = inputNames;
    }
    const shapes = new Map<string, Shape>();
    for (const id of ids) {
      const s = this.shapeOf(id);
      if (!s) return POISON;
      shapes.set(id, s);
    }
    const added: LayerNode[] = [];
    const place = (node: LayerNode): string => {
      const def = getLayer(node.kind);
      if (!def) throw new Error(`${kind} uses the layer ${node.kind}, which is not in the layer registry`);
      if (++this.layerCount > MAX_LAYERS) throw new KerasError(`Too many layers (more than ${MAX_LAYERS})`, args.span, undefined, true);
      shapes.set(node.id, def.outputShape(node.inputs.map((t) => builder.shape(t)), node.args, node.call));
      added.push(node);
      return node.id;
    };
    const partId = (part: string) => this.allocateId(kind, `${block.id}_${part}`, undefined) as string;
    const builder: BlockBuilder = {
      layer: (layerKind, part, layerArgs, inputs, call) => {
        const ldef = getLayer(layerKind);
        if (!ldef) throw new Error(`${kind} uses the layer ${layerKind}, which is not in the layer registry`);
        const values: Record<string, ArgValue> = {};
        for (const a of ldef.args) {
          if (layerArgs[a.name] !== undefined) values[a.name] = layerArgs[a.name];
          else if (a.default !== undefined) values[a.name] = copyDefault(a.default);
          else throw new Error(`${kind} gives ${layerKind} no '${a.name}'`);
        }
        for (const k of Object.keys(layerArgs)) if (!ldef.args.some((a) => a.name === k)) throw new Error(`${kind} gives ${layerKind} an unknown argument '${k}'`);
        ldef.validate?.(values);
        const node: LayerNode = { id: partId(part), kind: layerKind, args: values, inputs: [...inputs], span: block.span, block: ref };
        if (ldef.call) {
          const names = call?.inputNames ?? ldef.call.tensors.slice(0, inputs.length).map((t) => t.name);
          const info: CallInfo = { inputNames: [...names], args: {} };
          for (const a of ldef.call.args) {
            const given = call?.args?.[a.name];
            if (given !== undefined) info.args[a.name] = given;
            else if (a.default !== undefined) info.args[a.name] = copyDefault(a.default);
          }
          node.call = info;
        }
        return place(node);
      },
      add: (part, a, b) => place({ id: partId(part), kind: 'Add', args: {}, inputs: [a, b], span: block.span, block: ref }),
      shape: (t) => {
        const s = shapes.get(t);
        if (!s) throw new Error(`${kind}: ${t} is not a tensor of this block`);
        return s;
      }
    };
    let out: string;
    try {
      out = def.compose(builder, [...ids], structuredClone(block.args), structuredClone(callArgs), [...inputNames]);
    } catch (e) {
      if (e instanceof LayerError) {
        const message = e.message.startsWith(kind) ? e.message : `${kind} '${block.id}': ${e.message}`;
        this.r.report(message, args.span, e.hint);
        return POISON;
      }
      throw e;
    }
    if (added.length === 0 || out !== added[added.length - 1].id) throw new Error(`${kind}.compose must return the output of the last layer it adds`);
    for (const node of added) {
      this.graph.set(node.id, { kind: 'layer', node });
      this.shapes.set(node.id, shapes.get(node.id) as Shape);
    }
    return { kind: 'tensor', id: out };
  }

  // --- inputs and models ---

  private makeInput(owner: string, args: CallArgs): Value {
    const { bound, ok } = this.converter.bind(owner, INPUT_PARAMS, args);
    const shapeArg = bound.get('shape');
    const shape = shapeArg ? this.converter.convert(owner, { name: 'shape', type: 'shape', doc: '' }, shapeArg) : undefined;
    const dtypeArg = bound.get('dtype');
    let dtype: InputDtype | undefined;
    if (dtypeArg && dtypeArg.value.kind !== 'none') {
      const v = dtypeArg.value;
      if (v.kind === 'poison') return POISON;
      const hint = 'Use dtype="int32" for token ids (fed to an Embedding), or leave it out for float32';
      if (v.kind !== 'string') {
        this.r.report(`${owner} argument 'dtype' must be a string such as "int32", got ${describe(v)}`, dtypeArg.span, hint);
        return POISON;
      }
      if (!(INPUT_DTYPES as readonly string[]).includes(v.value)) {
        this.r.report(`${owner}(dtype="${v.value}") is not supported here: inputs are "float32" or "int32"`, dtypeArg.span, hint);
        return POISON;
      }
      dtype = v.value as InputDtype;
    }
    if (!ok || shape === undefined) return POISON;
    const id = this.allocateId(owner, 'input_layer', bound.get('name'));
    if (id === undefined) return POISON;
    const node: InputNode = { id, name: id, shape: shape as number[], span: args.span };
    // float32 is Keras' default: the spec leaves it out (so specs without dtype stay as they were).
    if (dtype === 'int32') node.dtype = dtype;
    this.graph.set(id, { kind: 'input', node });
    return { kind: 'tensor', id };
  }

  private newModel(style: ModelObject['style'], span: Span): ModelObject {
    const model: ModelObject = { style, varName: null, inputs: [], layers: [], outputs: [], compile: null, fit: null, span, broken: false, compileFailed: false };
    this.models.push(model);
    return model;
  }

  private checkName(owner: string, arg: Arg | undefined): boolean {
    if (!arg || arg.value.kind === 'string' || arg.value.kind === 'poison') return true;
    this.r.report(`${owner} name must be a string, got ${describe(arg.value)}`, arg.span);
    return false;
  }

  private makeSequential(owner: string, args: CallArgs): Value {
    const { bound, ok } = this.converter.bind(owner, SEQUENTIAL_PARAMS, args);
    const model = this.newModel('sequential', args.span);
    model.broken = !ok || !this.checkName(owner, bound.get('name'));
    const layersArg = bound.get('layers');
    if (layersArg) {
      const v = layersArg.value;
      if (v.kind === 'list' || v.kind === 'tuple') {
        v.items.forEach((item, i) => {
          const r = this.r.guard(() => {
            this.addToSequential(model, item, v.spans[i]);
            return NONE;
          });
          if (r.kind === 'poison') model.broken = true;
        });
      } else if (v.kind === 'poison') model.broken = true;
      else if (v.kind !== 'none') {
        this.r.report(`${owner} takes a list of layers, got ${describe(v)}`, layersArg.span, 'keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3)])');
        model.broken = true;
      }
    }
    return { kind: 'model', model };
  }

  private addToSequential(model: ModelObject, v: Value, span: Span): void {
    if (v.kind === 'poison') {
      model.broken = true;
      return;
    }
    const last = model.layers.length > 0 ? model.layers[model.layers.length - 1].id : model.inputs[0]?.id;
    if (v.kind === 'tensor') {
      const g = this.graph.get(v.id);
      if (g?.kind !== 'input') {
        this.r.fail('A Sequential model takes layers, not the output of a layer call', span, 'Remove the (...) after the layer, or build the model with keras.Model(inputs, outputs)');
      }
      if (last !== undefined) this.r.fail('keras.Input(...) must come first in a Sequential model', span);
      model.inputs = [g.node];
      return;
    }
    if (v.kind === 'block') {
      this.r.fail(`${v.block.def.kind} cannot be used in a Sequential model here`, span, `Use the functional API: x = keras_hub.layers.${v.block.def.kind}(...)(x), then keras.Model(inputs, outputs)`);
    }
    if (v.kind === 'layer') {
      const layer = v.layer;
      if (layer.used) this.r.fail('Using the same layer twice (shared layers) is not supported yet', span, 'Create a new layer for each use');
      if (layer.def.call) {
        const names = layer.def.call.tensors.filter((t) => t.required).map((t) => t.name);
        this.r.fail(`${layer.def.kind} is called on named tensors (${names.join(', ')}), so it cannot be used in a Sequential model`, span, `Use the functional API: x = layers.${layer.def.kind}(...)(${names.map(() => 'x').join(', ')}), then keras.Model(inputs, outputs)`);
      }
      if (layer.def.arity === 'many') {
        this.r.fail(`${layer.def.kind} merges several tensors, so it cannot be used in a Sequential model`, span, 'Use the functional API: keras.Model(inputs, outputs)');
      }
      layer.used = true;
      model.layers.push({ id: layer.id, kind: layer.def.kind, args: layer.args, inputs: last === undefined ? [] : [last], span: layer.span });
      return;
    }
    if (v.kind === 'model') this.r.fail('Nesting a model inside a Sequential model is not supported yet', span);
    this.r.fail(`A Sequential model takes layers, got ${describe(v)}`, span, 'keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3)])');
  }

  /** Tensors in an `inputs=` / `outputs=` argument (one tensor or a list); null if poisoned. */
  private tensorsOf(owner: string, what: string, arg: Arg): string[] | null {
    const v = arg.value;
    const items = v.kind === 'list' || v.kind === 'tuple' ? v.items.map((item, i) => ({ item, span: v.spans[i] })) : [{ item: v, span: arg.span }];
    const ids: string[] = [];
    for (const { item, span } of items) {
      if (item.kind === 'poison') return null;
      if (item.kind !== 'tensor') this.r.fail(`${owner} ${what} must be tensors, got ${describe(item)}`, span, 'inputs = keras.Input(shape=(2,)); outputs = layers.Dense(3)(inputs); keras.Model(inputs, outputs)');
      ids.push(item.id);
    }
    if (ids.length === 0) this.r.fail(`${owner} needs at least one tensor in ${what}`, arg.span);
    return ids;
  }

  private makeFunctional(owner: string, args: CallArgs): Value {
    const { bound, ok } = this.converter.bind(owner, MODEL_PARAMS, args);
    const inputsArg = bound.get('inputs');
    const outputsArg = bound.get('outputs');
    const broken = (): Value => {
      const model = this.newModel('functional', args.span);
      model.broken = true;
      return { kind: 'model', model };
    };
    if (!ok || !inputsArg || !outputsArg || !this.checkName(owner, bound.get('name'))) return broken();
    const inIds = this.tensorsOf(owner, 'inputs', inputsArg);
    const outIds = this.tensorsOf(owner, 'outputs', outputsArg);
    if (!inIds || !outIds) return broken();
    const inputs: InputNode[] = [];
    for (const id of inIds) {
      const g = this.graph.get(id);
      if (g?.kind !== 'input') this.r.fail(`${owner} inputs must come straight from keras.Input(...); this is the output of layer '${id}'`, inputsArg.span);
      inputs.push(g.node);
    }
    // Walk back from the outputs: the layers they depend on, and the inputs they reach.
    const needed = new Set<string>();
    const stack = [...outIds];
    while (stack.length > 0) {
      const id = stack.pop() as string;
      if (needed.has(id)) continue;
      needed.add(id);
      const g = this.graph.get(id);
      if (g?.kind === 'layer') stack.push(...g.node.inputs);
    }
    for (const id of needed) {
      const g = this.graph.get(id);
      if (g?.kind === 'input' && !inIds.includes(id)) {
        this.r.fail(`The outputs depend on the input '${id}', which is not in the model's inputs`, inputsArg.span, `Add it: keras.Model([${[...inIds, id].join(', ')}], ...)`);
      }
    }
    for (const input of inputs) {
      if (!needed.has(input.id)) this.r.report(`The input '${input.id}' is not connected to the outputs`, inputsArg.span, undefined, 'warning');
    }
    const model = this.newModel('functional', args.span);
    model.inputs = inputs;
    model.layers = [...this.graph.values()].filter((g): g is { kind: 'layer'; node: LayerNode } => g.kind === 'layer' && needed.has(g.node.id)).map((g) => g.node);
    model.outputs = outIds;
    return { kind: 'model', model };
  }

  // --- optimizers and regularizers ---

  private makeOptimizer(name: OptimizerSpec['name'], owner: string, args: CallArgs): Value {
    const table = OPTIMIZERS[name].args;
    const { bound, ok: bindOk } = this.converter.bind(owner, table.map((a) => ({ name: a.name })), args);
    let ok = bindOk;
    let learningRate = table[0].default as number;
    const extras: Record<string, ArgValue> = {};
    for (const def of table) {
      const arg = bound.get(def.name);
      if (!arg) continue;
      const v = this.converter.convert(owner, def, arg);
      if (v === undefined) ok = false;
      else if (def.name === 'learning_rate') {
        if ((v as number) <= 0) {
          this.r.report(`${owner} argument 'learning_rate' must be greater than 0, got ${v}`, arg.span);
          ok = false;
        }
        learningRate = v as number;
      } else extras[def.name] = v; // only what was written: the engines apply Keras' defaults
    }
    if (!ok) return POISON;
    return { kind: 'optimizer', optimizer: { name, learningRate, args: extras, span: args.span } };
  }

  private makeRegularizer(name: RegularizerName, owner: string, args: CallArgs): Value {
    const table = REGULARIZERS[name].args;
    const { bound, ok: bindOk } = this.converter.bind(owner, table.map((a) => ({ name: a.name })), args);
    let ok = bindOk;
    const values = new Map<string, ArgValue>();
    for (const def of table) {
      const arg = bound.get(def.name);
      if (!arg) continue;
      const v = this.converter.convert(owner, def, arg);
      if (v === undefined) ok = false;
      else values.set(def.name, v);
    }
    return ok ? { kind: 'regularizer', config: regularizerConfig(name, values) } : POISON;
  }

  // --- model methods ---

  callMethod(model: ModelObject, method: ModelMethod, args: CallArgs): Value {
    const owner = `${model.varName ?? 'model'}.${method}`;
    switch (method) {
      case 'add': {
        if (model.style !== 'sequential') this.r.fail(`${owner}(...) only works on keras.Sequential models`, args.span, 'In the functional API, call the layer on a tensor: x = layers.Dense(16)(x)');
        const { bound, ok } = this.converter.bind(owner, [{ name: 'layer', required: true }], args);
        const arg = bound.get('layer');
        if (!ok || !arg) {
          model.broken = true;
          return NONE;
        }
        try {
          this.addToSequential(model, arg.value, arg.span);
        } catch (e) {
          model.broken = true;
          throw e;
        }
        return NONE;
      }
      case 'compile':
        this.compile(model, owner, args);
        return NONE;
      case 'fit':
        this.fit(model, owner, args);
        return NONE;
      case 'summary':
        this.converter.bind(owner, SUMMARY_PARAMS, args);
        return NONE;
    }
  }

  private compile(model: ModelObject, owner: string, args: CallArgs): void {
    const { bound, ok: bindOk } = this.converter.bind(owner, COMPILE_PARAMS, args);
    let ok = bindOk;
    // Optimizer: a string, or an optimizer object. Keras' default is DEFAULT_OPTIMIZER ("rmsprop").
    let optimizer: OptimizerSpec | undefined;
    const optArg = bound.get('optimizer');
    const names = Object.keys(OPTIMIZERS);
    if (!optArg) optimizer = { name: DEFAULT_OPTIMIZER, learningRate: defaultLearningRate(DEFAULT_OPTIMIZER), args: {}, span: args.span };
    else if (optArg.value.kind === 'string') {
      const name = OPTIMIZER_STRINGS[optArg.value.value];
      if (name) optimizer = { name, learningRate: defaultLearningRate(name), args: {}, span: optArg.span };
      else this.r.report(`Unknown optimizer "${optArg.value.value}"${suggestion(optArg.value.value, names, '"')}`, optArg.span, `Supported: ${quoteList(names)}, or keras.optimizers.Adam(learning_rate=...)`);
    } else if (optArg.value.kind === 'optimizer') optimizer = optArg.value.optimizer;
    else if (optArg.value.kind !== 'poison') {
      this.r.report(`optimizer must be a string such as "adam" or an optimizer such as keras.optimizers.Adam(...), got ${describe(optArg.value)}`, optArg.span);
    }
    if (!optimizer) ok = false;
    // Loss: a string.
    let loss: LossName | undefined;
    const lossArg = bound.get('loss');
    const lossNames = Object.keys(LOSSES);
    if (!lossArg) {
      if (bindOk) this.r.report(`${owner}(...) needs a loss, e.g. loss="categorical_crossentropy"`, args.span, `Supported: ${quoteList(lossNames)}`);
    } else if (lossArg.value.kind === 'string') {
      loss = LOSSES[lossArg.value.value];
      if (!loss) this.r.report(`Unknown loss "${lossArg.value.value}"${suggestion(lossArg.value.value, lossNames, '"')}`, lossArg.span, `Supported: ${quoteList(lossNames)}`);
    } else if (lossArg.value.kind !== 'poison') {
      this.r.report(`loss must be a string such as "categorical_crossentropy", got ${describe(lossArg.value)}`, lossArg.span, `Supported: ${quoteList(lossNames)}`);
    }
    if (!loss) ok = false;
    // Metrics: a list of strings.
    const metrics: MetricName[] = [];
    const metricsArg = bound.get('metrics');
    const metricNames = Object.keys(METRICS);
    if (metricsArg && metricsArg.value.kind !== 'none') {
      const v = metricsArg.value;
      if (v.kind === 'list' || v.kind === 'tuple') {
        v.items.forEach((item, i) => {
          if (item.kind === 'poison') ok = false;
          else if (item.kind !== 'string') {
            this.r.report(`Metrics are given as strings such as "accuracy", got ${describe(item)}`, v.spans[i], `Supported: ${quoteList(metricNames)}`);
            ok = false;
          } else if (!METRICS[item.value]) {
            this.r.report(`Unknown metric "${item.value}"${suggestion(item.value, metricNames, '"')}`, v.spans[i], `Supported: ${quoteList(metricNames)}`);
            ok = false;
          } else if (!metrics.includes(METRICS[item.value])) metrics.push(METRICS[item.value]);
        });
      } else if (v.kind !== 'poison') {
        this.r.report(`metrics must be a list, e.g. metrics=["accuracy"], got ${describe(v)}`, metricsArg.span);
        ok = false;
      } else ok = false;
    }
    if (ok && optimizer && loss) model.compile = { optimizer, loss, metrics, span: args.span };
    else model.compileFailed = true;
  }

  private fit(model: ModelObject, owner: string, args: CallArgs): void {
    const { bound, ok: bindOk } = this.converter.bind(owner, FIT_PARAMS, args);
    let ok = bindOk;
    // x and y: the predefined data sets.
    const data = (param: 'x' | 'y'): string | undefined => {
      const arg = bound.get(param);
      const expected = param === 'x' ? 'x_train or x_test' : 'y_train or y_test';
      if (!arg) {
        if (bindOk) this.r.report(`${owner}(...) needs the training data, e.g. ${owner}(x_train, y_train)`, args.span);
        return undefined;
      }
      const v = arg.value;
      if (v.kind === 'poison') return undefined;
      if (v.kind !== 'data' || !v.name.startsWith(`${param}_`)) {
        this.r.report(`${owner}'s ${param} must be ${expected}, got ${describe(v)}`, arg.span, 'The data sets are predefined as x_train, y_train, x_test, y_test');
        return undefined;
      }
      return v.name;
    };
    const x = data('x');
    const y = data('y');
    if (x === undefined || y === undefined) ok = false;
    else if (x.slice(2) !== y.slice(2)) {
      this.r.report(`${y} does not go with ${x}: use y_${x.slice(2)}`, bound.get('y')?.span ?? args.span);
      ok = false;
    }
    const num = (name: string, def: ArgDef, fallback: number): number => {
      const arg = bound.get(name);
      if (!arg) return fallback;
      const v = this.converter.convert(owner, def, arg);
      if (v === undefined) ok = false;
      return typeof v === 'number' ? v : fallback;
    };
    const epochs = num('epochs', { name: 'epochs', type: 'int', min: 1, doc: '' }, FIT_DEFAULTS.epochs);
    const batchSize = num('batch_size', { name: 'batch_size', type: 'int', min: 1, default: null, doc: '' }, FIT_DEFAULTS.batchSize);
    const validationSplit = num('validation_split', { name: 'validation_split', type: 'float', min: 0, max: 0.99, doc: '' }, FIT_DEFAULTS.validationSplit);
    let shuffle: boolean = FIT_DEFAULTS.shuffle;
    const shuffleArg = bound.get('shuffle');
    if (shuffleArg) {
      const v = this.converter.convert(owner, { name: 'shuffle', type: 'bool', doc: '' }, shuffleArg);
      if (v === undefined) ok = false;
      else shuffle = v as boolean;
    }
    const verbose = bound.get('verbose');
    if (verbose && !(verbose.value.kind === 'string' && verbose.value.value === 'auto') && !(verbose.value.kind === 'number' && [0, 1, 2].includes(verbose.value.value))) {
      this.r.report(`${owner} argument 'verbose' must be "auto", 0, 1 or 2, got ${describe(verbose.value)}`, verbose.span);
      ok = false;
    }
    if (model.compile === null) {
      if (!model.compileFailed && !model.broken) {
        this.r.report(`Call ${model.varName ?? 'model'}.compile(...) before ${owner}(...)`, args.span, 'Training needs an optimizer and a loss: model.compile(optimizer="adam", loss="categorical_crossentropy")');
      }
      ok = false;
    }
    if (!ok || x === undefined || y === undefined) return;
    if (model.fit) this.r.report(`${owner}(...) is called more than once; the playground trains with the last call`, args.span, undefined, 'warning');
    model.fit = { epochs, batchSize, validationSplit, shuffle, x, y, span: args.span };
  }

  // --- result ---

  /** The model the program builds, as a spec (null if anything failed). */
  finish(): ModelSpec | null {
    if (this.models.length === 0) {
      if (this.r.errorCount() === 0) {
        this.r.report('No model found: define one with keras.Sequential([...]) or keras.Model(inputs, outputs)', this.index.lineSpan(1));
      }
      return null;
    }
    // The model that is trained, else the one compiled, else the last one built.
    const model = [...this.models].reverse().find((m) => m.fit) ?? [...this.models].reverse().find((m) => m.compile) ?? this.models[this.models.length - 1];
    if (this.r.errorCount() > 0 || model.broken) return null;
    if (model.style === 'sequential') {
      const first = model.layers[0];
      if (model.inputs.length === 0) {
        this.r.report('The model has no input: start it with keras.Input(shape=(...))', first?.span ?? model.span, 'keras.Sequential([keras.Input(shape=(2,)), layers.Dense(16), ...])');
        return null;
      }
      if (!first) {
        this.r.report('The model has no layers', model.span, 'Add layers after keras.Input(...), e.g. layers.Dense(3)');
        return null;
      }
      model.outputs = [model.layers[model.layers.length - 1].id];
    }
    return {
      version: SPEC_VERSION,
      style: model.style,
      modelName: model.varName ?? 'model',
      inputs: model.inputs,
      layers: model.layers,
      outputs: model.outputs,
      compile: model.compile,
      fit: model.fit
    };
  }
}