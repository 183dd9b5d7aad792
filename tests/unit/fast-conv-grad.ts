/**
 * The fast cpu gradient kernels now live in the app (src/lib/engines/tfjs/kernels.ts, checked against TF.js' own
 * in kernels.test.ts); this re-export keeps the tests that imported them from here working.
 */
export { useFastCpuGradients } from '../../src/lib/engines/tfjs/kernels';
