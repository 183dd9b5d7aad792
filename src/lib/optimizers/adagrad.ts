/**
 * keras.optimizers.Adagrad (`tf.train.adagrad`). Compiled, with TF.js' formula:
 *   acc ← acc + g²;  w ← w − lr·g/√(acc + ε)    (acc starts at initial_accumulator_value)
 * TF.js' Adagrad takes no epsilon: it adds its backend epsilon (1e-7), so both lowerings ignore the argument
 * (accepted because Keras has it; its default is the same 1e-7).
 */
import { add, BACKEND_EPSILON, c, div, mul, negLearningRate, sqrt } from './onnx-ops';
import { learningRateArg, optimizerArg, type OptimizerDef } from './types';

export const adagrad: OptimizerDef<'adagrad'> = {
  name: 'adagrad',
  className: 'Adagrad',
  doc: 'Adagrad: per-weight step sizes that shrink as a weight receives more updates.',
  args: [
    learningRateArg(0.001),
    { name: 'initial_accumulator_value', type: 'float', default: 0.1, min: 0, doc: 'Starting value of the accumulators.' },
    { name: 'epsilon', type: 'float', default: 1e-7, min: 0, doc: 'Small constant for numerical stability.' }
  ],
  // PyTorch: torch.optim.Adagrad with Keras' initial_accumulator_value (0.1; torch's default is 0) and ε = 1e-7
  // (torch: 1e-10). torch divides by √acc + ε, Keras and TF.js by √(acc + ε): equal where acc ≫ ε (acc ≥ 0.1 here).
  toPytorch(lr, a) {
    const init = optimizerArg(adagrad, a, 'initial_accumulator_value');
    const eps = optimizerArg(adagrad, a, 'epsilon');
    return {
      code: `torch.optim.Adagrad(params, lr=${lr}, initial_accumulator_value=${init}, eps=${eps})`,
      notes: ["torch's Adagrad divides by sqrt(acc) + eps, Keras by sqrt(acc + eps): the same steps where acc >> eps."]
    };
  },
  toTfjs(tf, lr, a) {
    return tf.train.adagrad(lr, optimizerArg(adagrad, a, 'initial_accumulator_value'));
  },
  toOnnx(a) {
    const init = optimizerArg(adagrad, a, 'initial_accumulator_value');
    return {
      name: 'adagrad',
      slots: [{ name: 'accumulator', init }],
      globals: [],
      emit(g, lr, params) {
        const epsC = c(g, BACKEND_EPSILON);
        const negLr = negLearningRate(g, lr);
        const out = params.map((p) => {
          const acc = add(g, p.slots[0], mul(g, p.grad, p.grad));
          const value = add(g, mul(g, div(g, p.grad, sqrt(g, add(g, acc, epsC))), negLr), p.value);
          return { value, slots: [acc] };
        });
        return { values: out.map((o) => o.value), slots: out.map((o) => o.slots), globals: [] };
      }
    };
  }
};
