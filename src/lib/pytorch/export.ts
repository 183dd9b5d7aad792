/**
 * The PyTorch export: `train.py` (./print.ts), `weights.npz` (the current weights in Keras' layout, keys
 * `layer/weight`) and a README, as files or one zip (the app's download).
 */
import { strToU8, zipSync } from 'fflate';
import type { ScriptData } from '$lib/keras/print';
import type { WeightMap } from '$lib/onnx/export';
import type { ModelSpec } from '$lib/spec/types';
import { encodeNpz, type NpyArray } from './npy';
import { printPytorchScript, type PytorchProgram } from './print';

export interface PytorchExport {
  program: PytorchProgram;
  files: { name: string; data: Uint8Array }[];
}

/** The weights as an .npz in Keras' layout, one array per `layer/weight` that train.py's WEIGHTS names. */
export function weightsNpz(program: PytorchProgram, weights: WeightMap): Uint8Array {
  const arrays: Record<string, NpyArray> = {};
  for (const { key } of program.weights) {
    const slash = key.indexOf('/'); // node ids have no '/'; weight names may (Bidirectional's forward_lstm/kernel)
    const w = weights[key.slice(0, slash)]?.[key.slice(slash + 1)];
    if (!w) throw new Error(`The weights have no ${key}: were they read from this model?`);
    arrays[key] = { shape: w.shape, data: w.data };
  }
  return encodeNpz(arrays);
}

/** How to run the export (README.md of the zip, and the CLI's message). */
export function pytorchReadme(title: string): string {
  return `# ${title} in PyTorch

Exported from the NN playground: \`train.py\` is the Keras model as a PyTorch \`nn.Module\` (same layers, same
numbers), with the same data, loss, optimizer, batch size and epochs; \`weights.npz\` holds the playground's
current weights in Keras' layout (train.py transposes them for torch).

\`\`\`sh
pip install torch numpy
python3 train.py --weights weights.npz                                # train from the playground's weights
python3 train.py                                                      # train from Keras-style initial weights
python3 train.py --weights weights.npz --predict x.npy --out y.npy    # predictions only (x in Keras' layout)
python3 train.py --epochs 5 --compile                                 # torch.compile (torch >= 2)
torchrun --nproc_per_node=2 train.py --weights weights.npz            # DistributedDataParallel, 2 processes
\`\`\`

torch 1.13 on Python 3.11 (Debian's python3-torch): \`torchrun --redirects 2 --tee 2 --nproc_per_node=2 ...\`: its
default \`0\` trips a torchrun bug ("'NoneType' object has no attribute 'get'").

Under torchrun each process trains on its share of every batch (DistributedSampler; gloo on CPU, nccl on
GPU) and only rank 0 prints and saves \`trained.npz\` (Keras' layout, like weights.npz).
`;
}

/** train.py, weights.npz and README.md. Throws PytorchUnsupported for a layer, loss or optimizer without a lowering. */
export function exportPytorch(spec: ModelSpec, weights: WeightMap, data?: ScriptData, opts: { title?: string } = {}): PytorchExport {
  const program = printPytorchScript(spec, data, opts);
  return {
    program,
    files: [
      { name: 'train.py', data: strToU8(program.code) },
      { name: 'weights.npz', data: weightsNpz(program, weights) },
      { name: 'README.md', data: strToU8(pytorchReadme(opts.title ?? 'The model')) }
    ]
  };
}

/** The export as one zip (the app's download). */
export function pytorchZip(exp: PytorchExport): ReturnType<typeof zipSync> {
  return zipSync(Object.fromEntries(exp.files.map((f) => [f.name, f.data])), { level: 6 });
}
