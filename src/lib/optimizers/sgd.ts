/**
 * keras.optimizers.SGD. TF.js has two classes: `tf.train.sgd` for plain steps, `tf.train.momentum` with momentum or
 * Nesterov. Compiled, with TF.js' formulas:
 *   sgd               w ← w − lr·g
 *   sgd momentum      a ← m·a + g;  w ← w − lr·a                 (nesterov: w ← w − lr·(g + m·a))
 */
import { add, c, mul, sub } from './onnx-ops';
import { learningRateArg, optimizerArg, optimizerFlag, type OptimizerDef } from './types';

export const sgd: OptimizerDef<'sgd'> = {
  name: 'sgd',
  className: 'SGD',
  doc: 'Stochastic gradient descent, optionally with (Nesterov) momentum.',
  args: [
    learningRateArg(0.01),
    { name: 'momentum', type: 'float', default: 0, min: 0, max: 1, doc: 'Momentum factor, in [0, 1].' },
    { name: 'nesterov', type: 'bool', default: false, doc: 'Whether to use Nesterov momentum.' }
  ],
  // PyTorch: torch.optim.SGD. The same steps as Keras: Keras' velocity v ← μ·v − lr·g is −lr times torch's buffer
  // b ← μ·b + g (at a constant learning rate), Nesterov alike.
  toPytorch(lr, a) {
    const m = optimizerArg(sgd, a, 'momentum');
    const nesterov = optimizerFlag(sgd, a, 'nesterov') && m > 0;
    return { code: `torch.optim.SGD(params, lr=${lr}, momentum=${m}${nesterov ? ', nesterov=True' : ''})`, notes: ["torch's SGD takes the same steps as Keras' (its momentum buffer is Keras' velocity / -lr)."] };
  },
  toTfjs(tf, lr, a) {
    const momentum = optimizerArg(sgd, a, 'momentum');
    const nesterov = optimizerFlag(sgd, a, 'nesterov');
    return momentum > 0 || nesterov ? tf.train.momentum(lr, momentum, nesterov) : tf.train.sgd(lr);
  },
  toOnnx(a) {
    const m = optimizerArg(sgd, a, 'momentum');
    const nesterov = optimizerFlag(sgd, a, 'nesterov');
    if (m > 0 || nesterov) {
      return {
        name: nesterov ? 'sgd (nesterov)' : 'sgd (momentum)',
        slots: [{ name: 'accumulation', init: 0 }],
        globals: [],
        emit(g, lr, params) {
          const mc = c(g, m);
          const out = params.map((p) => {
            const acc = add(g, mul(g, mc, p.slots[0]), p.grad);
            const step = nesterov ? add(g, p.grad, mul(g, acc, mc)) : acc;
            return { value: sub(g, p.value, mul(g, lr, step)), slots: [acc] };
          });
          return { values: out.map((o) => o.value), slots: out.map((o) => o.slots), globals: [] };
        }
      };
    }
    return {
      name: 'sgd',
      slots: [],
      globals: [],
      emit(g, lr, params) {
        return { values: params.map((p) => sub(g, p.value, mul(g, lr, p.grad))), slots: params.map(() => []), globals: [] };
      }
    };
  }
};
