import { describe, expect, it } from 'vitest';
import { parseProgram } from '$lib/keras/parse';
import { effectiveValidationSplit, programValidationSplit } from './split';

const program = (fit: string) =>
  ['import keras', 'from keras import layers', 'model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(2, activation="softmax")])',
    'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")', fit, ''].join('\n');

describe('validation split', () => {
  it("uses the program's validation_split when it writes one", () => {
    const code = program('model.fit(x_train, y_train, epochs=3, validation_split=0.3)');
    const spec = parseProgram(code).spec!;
    expect(programValidationSplit(spec, code)).toBe(0.3);
    expect(effectiveValidationSplit(spec, code, 0.1)).toBe(0.3);
  });

  it("uses the panel's when the program gives none (even though the parser fills in 0)", () => {
    const code = program('model.fit(x_train, y_train, epochs=3)');
    const spec = parseProgram(code).spec!;
    expect(spec.fit?.validationSplit).toBe(0);
    expect(programValidationSplit(spec, code)).toBeUndefined();
    expect(effectiveValidationSplit(spec, code, 0.25)).toBe(0.25);
    expect(effectiveValidationSplit(spec, code, 5)).toBe(0.9);
    expect(effectiveValidationSplit(null, code, undefined)).toBe(0);
  });
});
