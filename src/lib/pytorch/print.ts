/**
 * ModelSpec (+ the data settings) → a runnable PyTorch `train.py`: an `nn.Module` with the Keras model's layers and
 * numbers (each layer file's `toPytorch`), Keras' initializers, the same data (the numpy code of the Keras export,
 * `printNumpyData`), loss, optimizer, batch size and epochs, per-epoch metrics as the playground prints them, and a
 * CLI: `--weights weights.npz` (the playground's weights, Keras layout), `--predict x.npy --out y.npy`, `--epochs`,
 * `--compile` (torch.compile). The same file runs under `torchrun --nproc_per_node=N` (DistributedDataParallel +
 * DistributedSampler; gloo on CPU, nccl on GPU; rank 0 prints and saves).
 *
 * Every line of the program records the ModelSpec node it comes from (`origins`: a layer or input id, or
 * 'compile' / 'fit'), so the app can show Keras and PyTorch side by side with corresponding lines highlighted.
 */
import { getLayer, LAYERS } from '$lib/layers';
import { isRegressionData, isSequenceData, isTextData, isToyData, printNumpyData, type ScriptData } from '$lib/keras/print';
import { getLoss, KERAS_EPSILON } from '$lib/losses';
import { getMetric } from '$lib/metrics';
import { getOptimizer } from '$lib/optimizers';
import { inferShapes } from '$lib/spec/shape';
import type { ModelSpec, Shape } from '$lib/spec/types';
import { PytorchUnsupported, type PytorchLowering, type PytorchWeight } from './types';

/** The printed program and, per line, the ModelSpec node (or 'compile' / 'fit') it comes from. */
export interface PytorchProgram {
  code: string;
  /** `origins[i]` is the origin of line i + 1 of `code` (0-based index), or null. */
  origins: (string | null)[];
  /** Keras weight key in weights.npz (`dense/kernel`) → torch tensor, transpose: what `load_weights` does. */
  weights: { key: string; torch: string; perm: number[] | null }[];
}

export interface PytorchOptions {
  /** Shown in the header (the file name). */
  title?: string;
}

/** Names a torch.nn.Module already has (or the script uses): a node with one of them gets a trailing `_`. */
const RESERVED = new Set(
  [
    'False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield',
    'self training forward penalty reset_parameters to eval train cuda cpu float double half apply state_dict modules children parameters buffers type zero_grad register_buffer requires_grad_ named_modules',
    'torch nn F np math os sys time'
  ]
    .join(' ')
    .split(' ')
);

/** Python identifiers for the spec's nodes (inputs and layers), unique, made from their ids / names. */
function identifiers(spec: ModelSpec): Map<string, string> {
  const used = new Set<string>();
  const out = new Map<string, string>();
  const make = (id: string, raw: string) => {
    let base = raw.replace(/[^A-Za-z0-9_]/g, '_') || 'x';
    if (/^[0-9]/.test(base)) base = `_${base}`;
    if (RESERVED.has(base)) base = `${base}_`;
    let name = base;
    for (let i = 1; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    out.set(id, name);
  };
  for (const i of spec.inputs) make(i.id, i.name || i.id);
  for (const l of spec.layers) make(l.id, l.id);
  return out;
}

const PRELUDE = `EPS = ${KERAS_EPSILON}  # Keras' epsilon(): probabilities are clipped to [EPS, 1 - EPS] before a log.


# --- Keras' layout and initializers in torch ----------------------------------------------------------------
# Tensors between layers keep Keras' layout (batch, ..., channels), so Dense, Flatten, Reshape and Concatenate
# read them as Keras does; image layers go to torch's NCHW and back around their op.


def to_nchw(x):
    return x.permute(0, 3, 1, 2)


def to_nhwc(x):
    return x.permute(0, 2, 3, 1)


def avg_pool_exclude_pad(x, kernel, stride, pads):
    """Keras' AveragePooling2D(padding="same"): the padding is left out of each average (pads: top, left, bottom, right)."""
    t, l, b, r = pads
    total = F.avg_pool2d(F.pad(x, (l, r, t, b)), kernel, stride)
    count = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), (l, r, t, b)), kernel, stride)
    return total / count


def keras_init_(t, name, fan_in, fan_out):
    """Keras' initializer \`name\` on tensor t, with Keras' fans (Dense: in, units; Conv2D: kh*kw*cin, kh*kw*cout)."""
    with torch.no_grad():
        if name == "zeros":
            return t.zero_()
        if name == "ones":
            return t.fill_(1.0)
        if name == "glorot_uniform":
            limit = math.sqrt(6.0 / (fan_in + fan_out))
            return t.uniform_(-limit, limit)
        if name == "he_uniform":
            limit = math.sqrt(6.0 / fan_in)
            return t.uniform_(-limit, limit)
        # Keras' normal variance scaling draws a normal truncated at 2 stddev, its stddev raised by 1 / 0.8796...
        # so that the truncated values keep the intended variance.
        scale = 2.0 / (fan_in + fan_out) if name == "glorot_normal" else 2.0 / fan_in
        std = math.sqrt(scale) / 0.87962566103423978
        return nn.init.trunc_normal_(t, 0.0, std, -2 * std, 2 * std)`;

/** Keras' fans of a weight of this (Keras) shape: `compute_fans`. */
function fans(shape: number[]): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const rf = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * rf, shape[shape.length - 1] * rf];
}

const indent = (s: string, n = 4) => (s ? ' '.repeat(n) + s : s);

/** Throws PytorchUnsupported naming the first layer, loss, optimizer or metric without a PyTorch lowering. */
export function checkPytorchSupport(spec: ModelSpec): void {
  for (const node of spec.layers) {
    const def = getLayer(node.kind);
    if (!def?.toPytorch) {
      throw new PytorchUnsupported(`${node.kind} (${node.id}, line ${node.span.line}) has no PyTorch lowering yet: the PyTorch export supports ${supportedKinds().join(', ')}`);
    }
  }
  if (spec.compile) {
    const c = spec.compile;
    if (!getOptimizer(c.optimizer.name)?.toPytorch) throw new PytorchUnsupported(`The optimizer ${c.optimizer.name} has no PyTorch lowering yet`);
    if (!getLoss(c.loss)?.toPytorch) throw new PytorchUnsupported(`The loss ${c.loss} has no PyTorch lowering yet`);
  }
}

/** The layer kinds the PyTorch export supports. */
export function supportedKinds(): string[] {
  return LAYERS.filter((l) => l.toPytorch).map((l) => l.kind);
}

const MNIST_CALL = 'keras.datasets.mnist.load_data()';

/** keras.datasets.mnist.load_data() without Keras: the same file, from the same place, in the same cache. */
const MNIST_LOADER = `def mnist_load_data():
    """keras.datasets.mnist.load_data() without Keras: the same mnist.npz, cached where Keras caches it."""
    import urllib.request

    path = os.path.join(os.path.expanduser("~"), ".keras", "datasets", "mnist.npz")
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        urllib.request.urlretrieve("https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz", path)
    with np.load(path) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
`;

/** The data code (numpy, from the Keras export) as the body of `load_data()`, or a body that says why there is none. */
function dataBody(spec: ModelSpec, data: ScriptData | undefined): string[] {
  if (!spec.compile) return ['raise SystemExit("This program has no compile(...): there is nothing to train (use --weights and --predict)")'];
  if (!data) return ['raise SystemExit("No data set was given to the export: use --weights and --predict")'];
  let code: string;
  try {
    code = printNumpyData(spec, data, false);
  } catch (e) {
    return [`raise SystemExit(${JSON.stringify(`The model cannot train on this data set: ${(e as Error).message}`)})`];
  }
  if (isTextData(data) || isSequenceData(data)) {
    // Text and sequences: the Keras export's Python port of the playground's generator (the same arrays); the text
    // files are read from the program's folder. Token ids go to torch as int64 when the input is keras.Input(dtype="int32").
    const ids = (spec.inputs[0] as { dtype?: string } | undefined)?.dtype === 'int32';
    const body = code.replace(/\n$/, '').split('\n');
    return [`"""x_train, y_train: the ${data.name} data, with the Python code of the playground's Keras export."""`, ...body, `return x_train.astype(${ids ? 'np.int64' : 'np.float32'}), y_train`];
  }
  // The digits: Keras' MNIST, as in the Keras export, read without Keras (mnist_load_data, below).
  const mnist = code.includes(MNIST_CALL);
  const lines = code.replace(MNIST_CALL, 'mnist_load_data()').replace(/\n$/, '').split('\n');
  const imports = mnist ? MNIST_LOADER.split('\n') : [];
  const what = isToyData(data) ? `the ${data.name} toy data` : isRegressionData(data) ? `the ${data.name} regression data` : 'the digits';
  // keras.Input(dtype="int32"): token ids, which torch's embeddings take as int64.
  const xType = spec.inputs[0]?.dtype === 'int32' ? 'np.int64' : 'np.float32';
  return [`"""x_train, y_train: ${what}, with the numpy code of the playground's Keras export."""`, ...imports, ...lines, `return x_train.astype(${xType}), y_train`];
}

/**
 * The PyTorch program of a spec. `data` is the data set the playground binds to x_train, y_train (absent: the
 * program can predict but not train). Throws PytorchUnsupported for a layer, loss or optimizer without a lowering,
 * Error for a spec whose shapes do not infer.
 */
export function printPytorchScript(spec: ModelSpec, data?: ScriptData, opts: PytorchOptions = {}): PytorchProgram {
  checkPytorchSupport(spec);
  const { summary, diagnostics } = inferShapes(spec);
  if (!summary) throw new Error(`The model's shapes cannot be inferred: ${diagnostics.map((d) => d.message).join('; ')}`);
  const shapes = summary.shapes;
  const ids = identifiers(spec);
  const out: { text: string; origin: string | null }[] = [];
  const emit = (text: string, origin: string | null = null) => {
    for (const t of text.split('\n')) out.push({ text: t, origin });
  };

  // Lower every layer.
  const lowered = spec.layers.map((node) => {
    const def = getLayer(node.kind)!;
    const attr = ids.get(node.id)!;
    const inputShapes: Shape[] = node.inputs.map((i) => shapes[i]);
    const low: PytorchLowering = def.toPytorch!(node, { attr, inputs: node.inputs.map((i) => ids.get(i)!), inputShapes, outputShape: shapes[node.id] });
    return { node, attr, low };
  });

  const title = opts.title ? `${opts.title}: the` : 'The';
  emit(`#!/usr/bin/env python3
# ${title} NN playground's Keras model as a PyTorch program: the same layers and numbers, Keras' initializers,
# the same data, loss, optimizer, batch size and epochs.
#
#   python3 train.py                                          train from Keras-style initial weights
#   python3 train.py --weights weights.npz                    train from the playground's weights
#   python3 train.py --weights weights.npz --predict x.npy --out y.npy   predict only (x in Keras' layout)
#   python3 train.py --epochs 5 --compile                     5 epochs, with torch.compile (torch >= 2)
#   torchrun --nproc_per_node=2 train.py                      DistributedDataParallel on 2 processes
#     (torch 1.13 on Python 3.11, e.g. Debian's python3-torch: add --redirects 2 --tee 2 after torchrun; its
#     default 0 trips a torchrun bug, "'NoneType' object has no attribute 'get'")
#
# Needs: pip install torch numpy. Trained weights are saved to trained.npz (Keras layout, as weights.npz).
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, TensorDataset
`);
  emit(PRELUDE);
  emit('');
  emit('');
  emit('# --- Model ' + '-'.repeat(98));
  emit('');
  emit('');
  emit('class Model(nn.Module):');
  emit(`    """\`${spec.modelName}\` of the Keras program (${spec.style}). forward takes and returns tensors in Keras' layout."""`);
  emit('');
  emit('    def __init__(self):');
  emit('        super().__init__()');
  for (const { node, low } of lowered) for (const l of low.init) emit(indent(l, 8), node.id);
  emit('        self.reset_parameters()');
  for (const { node, low } of lowered) for (const l of low.after ?? []) emit(indent(l, 8), node.id);
  emit('');
  emit('    def reset_parameters(self):');
  emit('        """Keras\' initializers, so that a fresh model starts as a fresh Keras model does (other random numbers)."""');
  let any = false;
  for (const { node, low } of lowered) {
    for (const w of low.weights ?? []) {
      const [fi, fo] = fans(w.shape);
      emit(`        keras_init_(self.${w.torch}, ${JSON.stringify(w.init)}, ${fi}, ${fo})`, node.id);
      any = true;
    }
  }
  if (!any) emit('        pass');
  emit('');
  const params = spec.inputs.map((i) => ids.get(i.id)!);
  emit(`    def forward(self, ${params.join(', ')}):`);
  for (const { node, attr, low } of lowered) emit(`        ${attr} = ${low.forward}`, node.id);
  const outs = spec.outputs.map((o) => ids.get(o)!);
  emit(`        return ${outs.length === 1 ? outs[0] : `(${outs.join(', ')})`}`, spec.outputs.length === 1 ? spec.outputs[0] : null);
  emit('');
  emit('    def penalty(self):');
  emit('        """Keras\' weight regularizers: the penalty added to the loss."""');
  const penalties = lowered.flatMap(({ node, low }) => (low.penalties ?? []).map((p) => ({ p, id: node.id })));
  if (penalties.length === 0) emit('        return 0.0');
  else {
    emit('        total = 0.0');
    for (const { p, id } of penalties) emit(`        total = total + ${p}`, id);
    emit('        return total');
  }
  emit('');
  emit('');
  emit('# Keras weights ("layer/weight" in weights.npz, Keras\' layout) -> this module\'s tensors, and the transpose between:');
  emit("# Dense kernel (in, units) -> Linear weight (units, in); Conv2D kernel (kh, kw, cin, cout) -> Conv2d weight (cout, cin, kh, kw).");
  emit('WEIGHTS = [');
  const weights: PytorchProgram['weights'] = [];
  for (const { node, low } of lowered) {
    for (const w of low.weights ?? ([] as PytorchWeight[])) {
      const key = `${node.id}/${w.keras}`;
      weights.push({ key, torch: w.torch, perm: w.perm ?? null });
      emit(`    (${JSON.stringify(key)}, ${JSON.stringify(w.torch)}, ${w.perm ? `(${w.perm.join(', ')})` : 'None'}),`, node.id);
    }
  }
  emit(']');
  emit(`INPUTS = [${spec.inputs.map((i) => JSON.stringify(i.name || i.id)).join(', ')}]`);
  emit(`# The numpy dtype of each input: keras.Input(dtype="int32") token ids are int64 here (torch's embeddings take them).`);
  emit(`INPUT_DTYPES = [${spec.inputs.map((i) => (i.dtype === 'int32' ? 'np.int64' : 'np.float32')).join(', ')}]`);
  emit(`OUTPUTS = [${spec.outputs.map((o) => JSON.stringify(o)).join(', ')}]`);
  emit('');
  emit('');
  emit(WEIGHT_IO);
  emit('');
  emit('');
  emit('# --- Data ' + '-'.repeat(99));
  emit('');
  emit('');
  emit('def load_data():');
  for (const l of dataBody(spec, data)) emit(indent(l));
  emit('');
  emit('');
  emit('# --- Loss, optimizer, metrics, fit settings ' + '-'.repeat(65));
  emit('');
  const c = spec.compile;
  const fit = spec.fit;
  if (c) {
    const loss = getLoss(c.loss)!;
    const opt = getOptimizer(c.optimizer.name)!;
    const o = opt.toPytorch!(c.optimizer.learningRate, c.optimizer.args);
    emit(`SPARSE_TARGETS = ${loss.sparseTargets ? 'True  # y holds class indices (int64)' : 'False'}`, 'compile');
    emit('');
    emit('');
    emit('def loss_fn(pred, y):', 'compile');
    emit(`    """keras.losses.${c.loss}: the mean over the batch, Keras' formula."""`, 'compile');
    for (const l of loss.toPytorch!) emit(indent(l), 'compile');
    emit('');
    emit('');
    emit('def make_optimizer(params):', 'compile');
    for (const n of o.notes) emit(`    # ${n}`, 'compile');
    emit(`    return ${o.code}`, 'compile');
    emit('');
    emit('');
    const units = summary.outputShapes[0]?.[summary.outputShapes[0].length - 1] ?? 1;
    const metrics = c.metrics.map((m) => {
      const v = getMetric(m)?.resolve(c.loss, units);
      if (!v?.toPytorch) throw new PytorchUnsupported(`The metric ${m} has no PyTorch lowering yet`);
      return `    ${JSON.stringify(m)}: lambda pred, y: ${v.toPytorch('pred', 'y')},  # ${v.kind}`;
    });
    emit('METRICS = {', 'compile');
    for (const m of metrics) emit(m, 'compile');
    emit('}', 'compile');
  } else {
    emit('SPARSE_TARGETS = False');
    emit('loss_fn = make_optimizer = None  # the program has no compile(...)');
    emit('METRICS = {}');
  }
  emit(`EPOCHS = ${fit?.epochs ?? 1}`, fit ? 'fit' : null);
  emit(`BATCH_SIZE = ${fit?.batchSize ?? 32}  # the global batch: under torchrun each process takes BATCH_SIZE // world_size`, fit ? 'fit' : null);
  emit(`VALIDATION_SPLIT = ${fit?.validationSplit ?? 0}  # Keras holds out the last fraction of the rows, before shuffling`, fit ? 'fit' : null);
  emit(`SHUFFLE = ${fit?.shuffle === false ? 'False' : 'True'}`, fit ? 'fit' : null);
  emit('');
  emit('');
  emit(MAIN);
  const lines = out.map((l) => l.text.replace(/\s+$/, ''));
  return { code: `${lines.join('\n')}\n`, origins: out.map((l) => l.origin), weights };
}

const WEIGHT_IO = `def load_weights(model, path):
    """Copies the Keras weights of \`path\` (.npz, Keras' layout) into the model's tensors."""
    arrays = np.load(path)
    tensors = model.state_dict()
    with torch.no_grad():
        for key, name, perm in WEIGHTS:
            if key not in arrays:
                raise SystemExit(f"{path} has no weight {key}")
            w = arrays[key] if perm is None else np.transpose(arrays[key], perm)
            t = tensors[name]
            if tuple(t.shape) != w.shape:
                raise SystemExit(f"{path}: {key} is {w.shape} after the transpose but {name} is {tuple(t.shape)}")
            t.copy_(torch.from_numpy(np.ascontiguousarray(w)))


def save_weights(model, path):
    """Writes the model's tensors to \`path\` (.npz) in Keras' layout, as weights.npz (the playground can load it)."""
    tensors = model.state_dict()
    out = {}
    for key, name, perm in WEIGHTS:
        w = tensors[name].detach().cpu().numpy()
        out[key] = w if perm is None else np.transpose(w, np.argsort(perm))
    np.savez(path, **out)


def predict(model, xs, device, batch_size=256):
    """The model's outputs for the inputs xs (numpy, Keras' layout), in eval mode (Dropout off, BN moving statistics)."""
    model.eval()
    outs = []
    with torch.no_grad():
        for i in range(0, len(xs[0]), batch_size):
            y = model(*[torch.from_numpy(np.asarray(x[i : i + batch_size], dtype=t)).to(device) for x, t in zip(xs, INPUT_DTYPES)])
            outs.append([t.cpu().numpy() for t in (y if isinstance(y, tuple) else (y,))])
    return [np.concatenate([o[k] for o in outs]) for k in range(len(OUTPUTS))]`;

const MAIN = `# --- Training, prediction, torchrun -----------------------------------------------------------------------


def evaluate(model, x, y, device):
    """Loss and metrics over (x, y), in eval mode."""
    (pred,) = predict(model, [x], device)
    pred, y = torch.from_numpy(pred), torch.from_numpy(y)
    y = y.long() if SPARSE_TARGETS else y.float()
    with torch.no_grad():
        return [float(loss_fn(pred, y) + model.penalty())] + [float(f(pred, y)) for f in METRICS.values()]


def main():
    parser = argparse.ArgumentParser(description=__doc__ or "The playground's model in PyTorch.")
    parser.add_argument("--weights", help="start from these weights (.npz in Keras' layout, e.g. weights.npz)")
    parser.add_argument("--predict", help="write predictions for these inputs (.npy; .npz by input name) and train nothing")
    parser.add_argument("--out", help="where --predict writes (.npy; .npz by output name for several outputs)")
    parser.add_argument("--epochs", type=int, default=EPOCHS, help=f"epochs to train (default {EPOCHS})")
    parser.add_argument("--compile", action="store_true", help="torch.compile the model (torch >= 2)")
    parser.add_argument("--save", default="trained.npz", help="where rank 0 saves the trained weights (default trained.npz)")
    parser.add_argument("--seed", type=int, default=None, help="seed torch's random numbers (initial weights, shuffling, dropout)")
    args = parser.parse_args()

    world = int(os.environ.get("WORLD_SIZE", "1"))
    distributed = world > 1
    cuda = torch.cuda.is_available()
    rank, local_rank = 0, 0
    if distributed:
        dist.init_process_group("nccl" if cuda else "gloo")
        rank, local_rank = dist.get_rank(), int(os.environ.get("LOCAL_RANK", "0"))
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
    log = print if rank == 0 else (lambda *a, **k: None)
    if args.seed is not None:
        torch.manual_seed(args.seed)

    model = Model()
    if args.weights:
        load_weights(model, args.weights)
    model.to(device)

    if args.predict:
        if not args.out:
            raise SystemExit("--predict needs --out, the file to write the predictions to")
        if args.predict.endswith(".npz"):
            arrays = np.load(args.predict)
            xs = [arrays[name] for name in INPUTS]
        else:
            xs = [np.load(args.predict)]
        ys = predict(model, xs, device)
        if rank == 0:
            if len(ys) == 1:
                np.save(args.out, ys[0])
            else:
                np.savez(args.out, **dict(zip(OUTPUTS, ys)))
            log(f"Wrote {args.out}: predictions {', '.join(str(y.shape) for y in ys)}")
        if distributed:
            dist.destroy_process_group()
        return

    if loss_fn is None:
        raise SystemExit("This program has no compile(...): there is nothing to train (use --weights and --predict)")
    if len(INPUTS) != 1 or len(OUTPUTS) != 1:
        raise SystemExit("Training here needs a model with one input and one output (as the playground's data has)")
    x, y = load_data()
    split = int(math.ceil(len(x) * (1 - VALIDATION_SPLIT))) if VALIDATION_SPLIT else len(x)
    x_val, y_val = x[split:], y[split:]
    targets = torch.from_numpy(np.asarray(y[:split]))
    data = TensorDataset(torch.from_numpy(x[:split]), targets.long() if SPARSE_TARGETS else targets.float())
    sampler = DistributedSampler(data, shuffle=SHUFFLE, seed=args.seed or 0) if distributed else None
    per_process = max(1, BATCH_SIZE // world)
    loader = DataLoader(data, batch_size=per_process, shuffle=SHUFFLE and sampler is None, sampler=sampler)

    net = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None) if distributed else model
    if args.compile:
        if int(torch.__version__.split(".")[0]) >= 2 and hasattr(torch, "compile"):
            net = torch.compile(net)
        else:
            log(f"torch.compile is unavailable in torch {torch.__version__} (it needs torch 2): running eagerly")
    optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad])
    where = f"{world} processes ({'nccl' if cuda else 'gloo'}), {per_process} rows each per step" if distributed else str(device)
    log(f"Training {args.epochs} epochs on {len(data)} rows, batch {BATCH_SIZE}, on {where}")
    for epoch in range(1, args.epochs + 1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        start = time.time()
        sums = torch.zeros(2 + len(METRICS), dtype=torch.float64)  # rows, then loss and metrics times rows
        for xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            pred = net(xb)
            loss = loss_fn(pred, yb) + model.penalty()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                values = [float(loss)] + [float(f(pred, yb)) for f in METRICS.values()]
                sums += torch.tensor([1.0] + values, dtype=torch.float64) * len(xb)
        if distributed:
            dist.all_reduce(sums)
        parts = [f"Epoch {epoch}/{args.epochs}", f"{round((time.time() - start) * 1000)}ms"]
        names = ["loss"] + list(METRICS)
        total = sums.tolist()
        parts += [f"{n}: {v / total[0]:.4f}" for n, v in zip(names, total[1:])]
        if len(x_val) and rank == 0:
            parts += [f"val_{n}: {v:.4f}" for n, v in zip(names, evaluate(model, x_val, y_val, device))]
        log(" - ".join(parts))
    if rank == 0:
        save_weights(model, args.save)
        log(f"Saved the trained weights to {args.save} (Keras' layout)")
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()`;
