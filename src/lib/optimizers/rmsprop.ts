/**
 * keras.optimizers.RMSprop (`tf.train.rmsprop`). Compiled, with TF.js' formulas:
 *   s ← ρ·s + (1−ρ)·g²;  mom ← μ·mom + lr·g/√(s + ε);  w ← w − mom
 *   centered: mg ← ρ·mg + (1−ρ)·g;  mom ← μ·mom + lr·g/√(s − (mg² + ε))   (TF.js' formula, ε subtracted)
 */
import { add, c, div, mul, sqrt, sub } from './onnx-ops';
import { learningRateArg, optimizerArg, optimizerFlag, type OptimizerDef } from './types';

export const rmsprop: OptimizerDef<'rmsprop'> = {
  name: 'rmsprop',
  className: 'RMSprop',
  doc: 'RMSprop: divides the gradient by a running average of its recent magnitude.',
  args: [
    learningRateArg(0.001),
    { name: 'rho', type: 'float', default: 0.9, min: 0, max: 1, doc: 'Discounting factor for the gradient history.' },
    { name: 'momentum', type: 'float', default: 0, min: 0, max: 1, doc: 'Momentum factor.' },
    { name: 'epsilon', type: 'float', default: 1e-7, min: 0, doc: 'Small constant for numerical stability.' },
    { name: 'centered', type: 'bool', default: false, doc: 'Normalise gradients by their estimated variance.' }
  ],
  // PyTorch: torch.optim.RMSprop(alpha=rho, Keras' defaults rho=0.9 and eps=1e-7; torch's are 0.99 and 1e-8).
  // torch divides by √s + ε, Keras 3 and TF.js by √(s + ε): equal where s ≫ ε. Momentum is the same recurrence.
  toPytorch(lr, a) {
    const rho = optimizerArg(rmsprop, a, 'rho');
    const m = optimizerArg(rmsprop, a, 'momentum');
    const eps = optimizerArg(rmsprop, a, 'epsilon');
    const centered = optimizerFlag(rmsprop, a, 'centered');
    return {
      code: `torch.optim.RMSprop(params, lr=${lr}, alpha=${rho}, eps=${eps}, momentum=${m}${centered ? ', centered=True' : ''})`,
      notes: ["torch's RMSprop divides by sqrt(s) + eps, Keras 3 by sqrt(s + eps): the same steps where s >> eps. alpha is Keras' rho."]
    };
  },
  toTfjs(tf, lr, a) {
    const arg = (name: string) => optimizerArg(rmsprop, a, name);
    return tf.train.rmsprop(lr, arg('rho'), arg('momentum'), arg('epsilon'), optimizerFlag(rmsprop, a, 'centered'));
  },
  toOnnx(a) {
    const rho = optimizerArg(rmsprop, a, 'rho');
    const mom = optimizerArg(rmsprop, a, 'momentum');
    const eps = optimizerArg(rmsprop, a, 'epsilon');
    const centered = optimizerFlag(rmsprop, a, 'centered');
    return {
      name: centered ? 'rmsprop (centered)' : 'rmsprop',
      slots: centered
        ? [
            { name: 'ms', init: 0 },
            { name: 'mom', init: 0 },
            { name: 'mg', init: 0 }
          ]
        : [
            { name: 'ms', init: 0 },
            { name: 'mom', init: 0 }
          ],
      globals: [],
      emit(g, lr, params) {
        const rhoC = c(g, rho);
        const nrho = c(g, 1 - rho);
        const momC = c(g, mom);
        const epsC = c(g, eps);
        const out = params.map((p) => {
          const ms = add(g, mul(g, p.slots[0], rhoC), mul(g, mul(g, p.grad, p.grad), nrho));
          let denom: string;
          let mg: string | null = null;
          if (centered) {
            mg = add(g, mul(g, p.slots[2], rhoC), mul(g, p.grad, nrho));
            denom = sqrt(g, sub(g, ms, add(g, mul(g, mg, mg), epsC)));
          } else {
            denom = sqrt(g, add(g, ms, epsC));
          }
          const m = add(g, mul(g, p.slots[1], momC), div(g, mul(g, p.grad, lr), denom));
          return { value: sub(g, p.value, m), slots: mg ? [ms, m, mg] : [ms, m] };
        });
        return { values: out.map((o) => o.value), slots: out.map((o) => o.slots), globals: [] };
      }
    };
  }
};
