/**
 * The PyTorch lowering contract: what a layer (`LayerDef.toPytorch`), an optimizer (`OptimizerDef.toPytorch`), a
 * loss (`LossDef.toPytorch`) and a metric variant (`MetricVariant.toPytorch`) give the printer of `train.py`
 * (`./print.ts`). Everything is Python source text; nothing here runs Python.
 *
 * Layout: between layers, tensors keep Keras' layout (batch first, channels last), so Dense, Flatten, Reshape,
 * Concatenate and the merges read their arguments exactly as Keras does; a layer whose torch op wants NCHW
 * (Conv2D, the poolings, BatchNormalization over an image) permutes in and out itself.
 */
import type { Shape } from '$lib/spec/types';

export interface PytorchLowerContext {
  /** The node's attribute in the generated `nn.Module` (`self.<attr>`), a Python identifier made from its id. */
  attr: string;
  /** Python expressions of the node's inputs, in call order (Keras layout). */
  inputs: string[];
  /** Shapes of the inputs and of the output, without the batch axis. */
  inputShapes: Shape[];
  outputShape: Shape;
}

/** How one Keras weight of a layer maps to a tensor of its torch module. */
export interface PytorchWeight {
  /** Keras weight name (`kernel`, `moving_mean`). */
  keras: string;
  /** The tensor, relative to the model: `dense.weight`, `batch_normalization.running_var`. */
  torch: string;
  /** Shape of the Keras weight (Keras layout). */
  shape: number[];
  /** Axis permutation from Keras' layout to torch's (`np.transpose(w, perm)`); absent: the same layout. */
  perm?: number[];
  /** The Keras initializer of the weight (`glorot_uniform`, `zeros`, ...), written out in `reset_parameters`. */
  init: string;
}

export interface PytorchLowering {
  /** Lines of `__init__` that build the node's submodule(s), `self.<attr> = nn.Linear(2, 16)`; may be empty. */
  init: string[];
  /** A Python expression of `ctx.inputs` computing the node's output (Keras layout). */
  forward: string;
  /** The node's weights and where they live in torch. */
  weights?: PytorchWeight[];
  /** Penalty terms the layer adds to the loss (Keras regularizers), Python expressions over `self`. */
  penalties?: string[];
  /** Lines of `__init__` run after `reset_parameters` (e.g. freezing a gamma that Keras does not have). */
  after?: string[];
}

/** A layer, optimizer, loss or metric without a PyTorch lowering: refused by name. */
export class PytorchUnsupported extends Error {}
