import { spiralNetwork } from './programs';
import type { Lesson } from './types';

/** Lesson 14: leaving the playground — export to ONNX, run it in ONNX Runtime, open it in the ONNX viewer. */
const code = spiralNetwork('Leaving the playground — train the spiral network, then take it anywhere as an .onnx file', { epochs: 30 });

export const lesson: Lesson = {
  id: 'onnx',
  number: 14,
  title: 'Leaving the playground: ONNX',
  learn: 'How a trained model leaves the framework it was trained in: exported as an ONNX graph, run by ONNX Runtime, and opened in a viewer.',
  minutes: 10,
  setup: {
    code,
    data: { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3 },
    backend: 'cpu',
    seed: 1,
    hide: ['examples', 'eager-vs-compiled']
  },
  steps: [
    {
      id: 'train',
      title: 'Train something worth keeping',
      task: 'Press Train and let the 30 epochs finish.',
      check: { name: 'run-finished' },
      notice: 'The trained weights live in the playground\'s worker. To use them anywhere else they have to leave in a format other programs read.',
      hints: ['Train, and do not stop the run before its first epoch ends.'],
      highlight: 'Train'
    },
    {
      id: 'export',
      title: 'Export',
      task: 'In the ONNX section (under Export), keep the weights at float32 and press "Export ONNX". Keep the file.',
      check: { name: 'event-seen', args: { name: 'onnx-exported' } },
      notice:
        'ONNX is a file format for computation graphs: nodes such as MatMul, Add, Relu and Softmax, the weights as initializers, and typed inputs and outputs with a symbolic batch size. Any runtime that implements the ops can run it: ONNX Runtime in Python, C++, C#, Java or the browser, TensorRT, OpenVINO, CoreML converters… The Keras program is gone; the graph it described stays.',
      hints: ['"Export ONNX" is a button in the ONNX section of the Model code panel.'],
      highlight: 'Export ONNX'
    },
    {
      id: 'run',
      title: 'Run it elsewhere',
      task: 'Press "Run in ONNX Runtime".',
      check: { name: 'event-seen', args: { name: 'onnx-run' } },
      notice:
        'ONNX Runtime (here its WebAssembly build, in its own worker) ran the exported graph on the validation rows, and the table compares its outputs with TF.js\': the largest difference is around 1e-7, float32 rounding, and the accuracy is the same. In Python it is three lines: `import onnxruntime as ort`, `s = ort.InferenceSession("model.onnx")`, `s.run(None, {s.get_inputs()[0].name: x})`.',
      hints: ['The button is next to the Provider menu in the ONNX section.'],
      highlight: 'Run in ONNX Runtime'
    },
    {
      id: 'open',
      title: 'Look inside',
      task: 'Open ONNX in the top bar and open the file you exported (Open, or drop it on the page); then come back with Back or the Playground link.',
      check: { name: 'event-seen', args: { name: 'onnx-opened' } },
      notice:
        'The viewer reads the file alone, without the playground: its inputs and outputs with the symbolic batch dimension, the op histogram (three MatMul + Add pairs, two Relu, one Softmax), the graph, and the size of every initializer. Netron shows the same for any framework\'s models. This is what "portable" means: the graph and its weights are all there is.',
      hints: ['ONNX is the third link in the top bar. The file is model.onnx in your downloads.']
    }
  ]
};
