/**
 * ModelSpec → Python: the Keras printer (`printer.ts`: the program for a spec) and the runnable script
 * (`script.ts`: header, imports, data code, the program, fit). This module is their public entry point.
 */
export { fitCode, optimizerCode, printKeras, pyFloat, pyString, pyValue, type PrintOptions } from './printer';
export * from './script';
