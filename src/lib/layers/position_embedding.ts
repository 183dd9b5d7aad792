import type { ArgValue, Shape } from '$lib/spec/types';
import type * as TF from '@tensorflow/tfjs';
import { INITIALIZER_NAMES, tfjsInitializer } from './initializers';
import { op } from './onnx-ops';
import { LayerError, type ArgDef, type LayerConformanceCase, type LayerDef, type Tfjs } from './types';
import { checkChoice, checkInt, formatTuple, withArgDefaults } from './util';
import { EMBEDDING_UNIFORM_LIMIT } from './embedding';

/**
 * The shared initializers plus Keras' "uniform" (U(-0.05, 0.05), as Embedding's default): KerasHub's
 * TokenAndPositionEmbedding passes its embeddings_initializer, "uniform" by default, to its PositionEmbedding.
 */
const INITIALIZERS = ['uniform', ...INITIALIZER_NAMES] as const;

const ARGS: readonly ArgDef[] = [
  { name: 'sequence_length', type: 'int', min: 1, doc: 'The longest sequence the layer can take: it learns one vector per position 0 … sequence_length - 1 (usually seq_len).' },
  { name: 'initializer', type: 'initializer', default: 'glorot_uniform', values: INITIALIZERS, doc: 'Initializer of the (sequence_length, features) embeddings matrix; "uniform" draws from U(-0.05, 0.05).' }
];

const K = 'PositionEmbedding';

function check(raw: Record<string, ArgValue>) {
  const a = withArgDefaults(ARGS, raw);
  const length = checkInt(K, 'sequence_length', a.sequence_length);
  const init = checkChoice(K, 'initializer', a.initializer, INITIALIZERS);
  return { a, length, init };
}

/** Steps and features of the input (its last two axes), refused when it has no such axes or more steps than learnt. */
export function positionEmbeddingShape(input: Shape, raw: Record<string, ArgValue>) {
  const c = check(raw);
  if (input.length < 2) {
    throw new LayerError(
      `${K} needs a sequence of vectors (steps, features) but gets ${formatTuple(input)} here`,
      `Call it on the token embeddings, not on the ids: x = layers.Embedding(vocab_size, dim)(inputs), then x + keras_hub.layers.PositionEmbedding(${input[0] ?? 'seq_len'})(x)`
    );
  }
  const steps = input[input.length - 2];
  const features = input[input.length - 1];
  if (steps > c.length) {
    throw new LayerError(
      `${K} learns ${c.length} positions (sequence_length=${c.length}) but its input has ${steps} steps`,
      `Use sequence_length=${steps} (or seq_len), at least the number of steps of the input`
    );
  }
  return { ...c, steps, features };
}

const classes = new WeakMap<object, new (cfg: PositionEmbeddingArgs) => TF.layers.Layer>();

interface PositionEmbeddingArgs {
  name: string;
  sequenceLength: number;
  initializer: string;
  seed: number;
}

/**
 * TF.js has no PositionEmbedding: this layer does what KerasHub's does. Its weight `embeddings` is
 * (sequence_length, features); its call takes the first `steps` rows (a Slice) and broadcasts them to the input's
 * shape (the input's values are not read). Registered for serialization as `PositionEmbedding`.
 */
export function positionEmbeddingLayer(tf: Tfjs, args: PositionEmbeddingArgs): TF.layers.Layer {
  let Cls = classes.get(tf);
  if (!Cls) {
    class PositionEmbedding extends tf.layers.Layer {
      static className = 'PositionEmbedding';
      cfg: PositionEmbeddingArgs;
      embeddings: TF.LayerVariable | null = null;
      constructor(cfg: PositionEmbeddingArgs) {
        super({ name: cfg.name });
        this.cfg = cfg;
      }
      build(inputShape: TF.Shape | TF.Shape[]) {
        const s = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
        const add = (this as unknown as { addWeight: (n: string, s: number[], d: string, i: unknown) => TF.LayerVariable }).addWeight.bind(this);
        const { initializer: name, seed } = this.cfg;
        const init = name === 'uniform' ? tf.initializers.randomUniform({ minval: -EMBEDDING_UNIFORM_LIMIT, maxval: EMBEDDING_UNIFORM_LIMIT, seed }) : tfjsInitializer(tf, name, seed);
        this.embeddings = add('embeddings', [this.cfg.sequenceLength, s[s.length - 1] as number], 'float32', init);
        this.built = true;
      }
      computeOutputShape(inputShape: TF.Shape | TF.Shape[]): TF.Shape {
        return (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as TF.Shape;
      }
      call(inputs: TF.Tensor | TF.Tensor[]): TF.Tensor {
        const x = Array.isArray(inputs) ? inputs[0] : inputs;
        return tf.tidy(() => {
          const steps = x.shape[x.rank - 2];
          const w = this.embeddings!.read();
          const rows = steps === w.shape[0] ? w : tf.slice(w, [0, 0], [steps, w.shape[1] as number]);
          // rows + 0·x rather than tf.broadcastTo: TF.js' broadcastTo is a Tile, whose gradient slices and adds once
          // per copy (a batch of 64: 128 kernels); a broadcast add's gradient is one Sum.
          return tf.add(tf.zerosLike(x), rows);
        });
      }
      getConfig() {
        return { ...super.getConfig(), sequenceLength: this.cfg.sequenceLength, initializer: this.cfg.initializer, seed: this.cfg.seed };
      }
    }
    // TF.js' serialization camel-cases string values on load (glorot_uniform → glorotUniform): turned back here.
    (PositionEmbedding as unknown as { fromConfig: unknown }).fromConfig = (cls: new (c: PositionEmbeddingArgs) => TF.layers.Layer, config: Record<string, unknown>) =>
      new cls({
        name: config.name as string,
        sequenceLength: config.sequenceLength as number,
        initializer: (config.initializer as string).replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`),
        seed: config.seed as number
      });
    tf.serialization.registerClass(PositionEmbedding);
    Cls = PositionEmbedding as unknown as new (cfg: PositionEmbeddingArgs) => TF.layers.Layer;
    classes.set(tf, Cls);
  }
  return new Cls(args);
}

const HEADER = 'import keras\nimport keras_hub\nfrom keras import layers\n';

/** A conformance case: token embeddings of `steps` ids plus their position embeddings, as KerasHub's docs write it. */
function tokensPlusPositions(name: string, steps: number, features: number, sequenceLength: string, extra = ''): LayerConformanceCase {
  return {
    name,
    source:
      `${HEADER}inputs = keras.Input(shape=(${steps}, ${features}))\n` +
      `x = layers.Dense(${features})(inputs)\n` +
      `positions = keras_hub.layers.PositionEmbedding(${sequenceLength}${extra})(x)\n` +
      `outputs = layers.Add()([x, positions])\n` +
      'model = keras.Model(inputs=inputs, outputs=outputs)\n'
  };
}

/** KerasHub `keras_hub.layers.PositionEmbedding`. */
export const positionEmbedding: LayerDef = {
  kind: K,
  module: 'keras_hub.layers',
  doc:
    'Learned position embeddings (KerasHub): one trainable vector per position 0 … sequence_length - 1, the ' +
    '`embeddings` matrix of shape (sequence_length, features). Called on a sequence (steps, features), usually the ' +
    'token embeddings, it returns the vectors of the first `steps` positions broadcast to the input\'s shape (the ' +
    'input\'s values are not used); add them to the tokens so the model knows the order: x = x + ' +
    'keras_hub.layers.PositionEmbedding(seq_len)(x). The input may not be longer than sequence_length. ' +
    'Parameters: sequence_length · features.',
  arity: 1,
  args: ARGS,
  validate(args) {
    check(args);
  },
  outputShape([input], args) {
    positionEmbeddingShape(input, args);
    return input;
  },
  params([input], args) {
    const p = positionEmbeddingShape(input, args);
    return { trainable: p.length * p.features, nonTrainable: 0 };
  },
  // 0: a slice of the weight and a broadcast (data movement only).
  flops: () => 0,
  toTfjs(node, { tf, seed }) {
    const c = check(node.args);
    return positionEmbeddingLayer(tf, { name: node.id, sequenceLength: c.length, initializer: c.init, seed });
  },
  // ONNX: the first `steps` rows of the embeddings (a Split into steps and the rest, first part; none when
  // steps = sequence_length), then Expand to the Shape of the input (batch axis included). Split rather than Slice:
  // its gradient rule (the rows' gradient, zeros for the rest) carries the train step's gradient into the weight.
  toOnnx(node, { g, inputs, inputShapes, weight }) {
    const p = positionEmbeddingShape(inputShapes[0], node.args);
    const w = weight('embeddings');
    const rows = p.steps === p.length ? w : g.nodeMulti('Split', [w, g.constInt64([p.steps, p.length - p.steps])], { axis: 0 }, { name: `${node.id}/first_steps`, outputs: 2 })[0];
    return op(g, node.id, 'Expand', [rows, op(g, node.id, 'Shape', [inputs[0]], {}, 'input_shape')]);
  },
  // PyTorch: the embeddings as a Parameter of Keras' shape; forward takes its first rows and expands them to x's shape.
  toPytorch(node, { attr, inputs, inputShapes }) {
    const p = positionEmbeddingShape(inputShapes[0], node.args);
    return {
      init: [`self.${attr} = nn.Parameter(torch.empty(${p.length}, ${p.features}))`],
      forward: `self.${attr}[:${p.steps}].expand_as(${inputs[0]})`,
      weights: [{ keras: 'embeddings', torch: attr, shape: [p.length, p.features], init: p.init === 'uniform' ? 'zeros' : p.init }],
      after: p.init === 'uniform' ? [`nn.init.uniform_(self.${attr}, -${EMBEDDING_UNIFORM_LIMIT}, ${EMBEDDING_UNIFORM_LIMIT})  # Keras' "uniform"`] : []
    };
  },
  weights: [{ name: 'embeddings', trainable: true }],
  conformance: [
    tokensPlusPositions('PositionEmbedding as long as the input, added to it', 5, 4, '5'),
    tokensPlusPositions('PositionEmbedding longer than the input (the first steps)', 4, 3, 'sequence_length=7', ', initializer="he_normal"')
  ]
};
