/**
 * Lessons 4–8 and 12–17 beyond the generic lesson test (index.test.ts): every program a lesson file exports for
 * its steps and its challenge tries parses and fits the lesson's data, and says what the step asks for.
 */
import { describe, expect, it } from 'vitest';
import { dataset } from '$lib/compile/test-helpers';
import { bindData } from '$lib/data/bind';
import { dataConstants } from '$lib/data/constants';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes } from '$lib/spec/shape';
import type { ModelSpec } from '$lib/spec/types';
import { initializers, isRegularized, layerKinds, optimizerKind } from './checkpoints-runs';
import { LESSONS } from './index';
import type { Lesson } from './types';

const modules = import.meta.glob<{ lesson: Lesson; solutions?: Record<string, string>; challengeTries?: Record<string, string> }>(
  ['./learning-rate.ts', './batch-size.ts', './optimizers.ts', './overfitting.ts', './initialization.ts', './eager-vs-compiled.ts', './benchmark.ts', './onnx.ts', './quantization.ts', './rnn-memory.ts', './attention.ts'],
  { eager: true }
);

function specOf(code: string, l: Lesson): ModelSpec {
  const name = l.setup.data?.name ?? 'spiral';
  const r = parseProgram(code, { constants: dataConstants(name, { seqLen: l.setup.data?.seqLen }) });
  expect(r.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.span.line}: ${d.message}`)).toEqual([]);
  const summary = inferShapes(r.spec!).summary!;
  const b = bindData(dataset(name, 200, l.setup.data?.seqLen), r.spec!, summary.outputShapes[0]);
  expect(b.ok ? '' : b.message).toBe('');
  return r.spec!;
}

describe('lessons 4–8 and 12–17', () => {
  it('are all listed', () => {
    for (const { lesson } of Object.values(modules)) expect(LESSONS).toContain(lesson);
    expect(Object.keys(modules).length).toBe(11);
  });

  for (const [file, m] of Object.entries(modules)) {
    it(`${file}: every step program and challenge try parses and fits the data`, () => {
      for (const code of [...Object.values(m.solutions ?? {}), ...Object.values(m.challengeTries ?? {})]) specOf(code, m.lesson);
    });
  }

  it('the step programs do what their steps ask', () => {
    const get = (f: string) => modules[f];
    const lr = get('./learning-rate.ts');
    expect(specOf(lr.solutions!['too-high'], lr.lesson).compile!.optimizer.learningRate).toBe(1);
    expect(optimizerKind(specOf(lr.challengeTries!.met, lr.lesson), null)).toBe('momentum');
    const of = get('./overfitting.ts');
    expect(isRegularized(specOf(of.solutions!.l2, of.lesson))).toBe(true);
    expect(layerKinds(specOf(of.solutions!.dropout, of.lesson)).has('Dropout')).toBe(true);
    const init = get('./initialization.ts');
    expect(initializers(specOf(init.solutions!.zeros, init.lesson)).has('zeros')).toBe(true);
    const rnn = get('./rnn-memory.ts');
    expect(layerKinds(specOf(rnn.solutions!.gated, rnn.lesson)).has('GRU')).toBe(true);
    const att = get('./attention.ts');
    expect(layerKinds(specOf(att.solutions!.train, att.lesson)).has('TokenAndPositionEmbedding')).toBe(true);
    expect(layerKinds(specOf(att.solutions!['no-positions'], att.lesson)).has('TokenAndPositionEmbedding')).toBe(false);
    expect(layerKinds(specOf(att.solutions!['no-positions'], att.lesson)).has('TransformerEncoder')).toBe(true);
    const opt = get('./optimizers.ts');
    expect(inferShapes(specOf(opt.challengeTries!.met, opt.lesson)).summary!.trainable).toBe(99);
  });
});
