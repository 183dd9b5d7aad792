/**
 * keras.optimizers.Adam (`tf.train.adam`). Compiled, with TF.js' formulas:
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;  w ← w − lr·(m/(1−β1ᵗ)) / (√(v/(1−β2ᵗ)) + ε)
 *   (β1ᵗ, β2ᵗ are state scalars starting at β1, β2, multiplied after each step)
 */
import { add, c, div, mul, negLearningRate, sqrt, sub } from './onnx-ops';
import { learningRateArg, optimizerArg, type OptimizerDef } from './types';

export const adam: OptimizerDef<'adam'> = {
  name: 'adam',
  className: 'Adam',
  doc: "Adam: adaptive per-weight step sizes from running estimates of the gradient's first and second moments. A good default.",
  args: [
    learningRateArg(0.001),
    { name: 'beta_1', type: 'float', default: 0.9, min: 0, max: 1, doc: 'Decay rate of the first-moment estimates.' },
    { name: 'beta_2', type: 'float', default: 0.999, min: 0, max: 1, doc: 'Decay rate of the second-moment estimates.' },
    { name: 'epsilon', type: 'float', default: 1e-7, min: 0, doc: 'Small constant for numerical stability.' }
  ],
  // PyTorch: torch.optim.Adam with Keras' epsilon (torch's default is 1e-8). torch adds ε to √v̂ as TF.js does (the
  // playground's steps); Keras 3 adds it to √v and folds the bias corrections into the step size, the same as torch
  // with ε replaced by ε / √(1 − β2ᵗ): a difference only where √v̂ is near ε.
  toPytorch(lr, a) {
    const b1 = optimizerArg(adam, a, 'beta_1');
    const b2 = optimizerArg(adam, a, 'beta_2');
    const eps = optimizerArg(adam, a, 'epsilon');
    return {
      code: `torch.optim.Adam(params, lr=${lr}, betas=(${b1}, ${b2}), eps=${eps})`,
      notes: [
        "torch's Adam adds eps to sqrt(v_hat), as TF.js does (the playground's steps); Keras 3 adds it to sqrt(v), i.e.",
        'uses eps / sqrt(1 - beta_2**t): the same steps except where sqrt(v_hat) is about eps. eps is Keras\' (torch: 1e-8).'
      ]
    };
  },
  toTfjs(tf, lr, a) {
    return tf.train.adam(lr, optimizerArg(adam, a, 'beta_1'), optimizerArg(adam, a, 'beta_2'), optimizerArg(adam, a, 'epsilon'));
  },
  toOnnx(a) {
    const b1 = optimizerArg(adam, a, 'beta_1');
    const b2 = optimizerArg(adam, a, 'beta_2');
    const eps = optimizerArg(adam, a, 'epsilon');
    return {
      name: 'adam',
      slots: [
        { name: 'm', init: 0 },
        { name: 'v', init: 0 }
      ],
      globals: [
        { name: 'beta1_power', init: b1 },
        { name: 'beta2_power', init: b2 }
      ],
      emit(g, lr, params, [p1, p2]) {
        const one = c(g, 1);
        const b1c = c(g, b1);
        const b2c = c(g, b2);
        const nb1 = c(g, 1 - b1);
        const nb2 = c(g, 1 - b2);
        const epsc = c(g, eps);
        const corr1 = sub(g, one, p1);
        const corr2 = sub(g, one, p2);
        const negLr = negLearningRate(g, lr);
        const out = params.map((p) => {
          const m = add(g, mul(g, p.slots[0], b1c), mul(g, p.grad, nb1));
          const v = add(g, mul(g, p.slots[1], b2c), mul(g, mul(g, p.grad, p.grad), nb2));
          const mhat = div(g, m, corr1);
          const vhat = div(g, v, corr2);
          const value = add(g, mul(g, div(g, mhat, add(g, sqrt(g, vhat), epsc)), negLr), p.value);
          return { value, slots: [m, v] };
        });
        return { values: out.map((o) => o.value), slots: out.map((o) => o.slots), globals: [mul(g, p1, b1c), mul(g, p2, b2c)] };
      }
    };
  }
};
