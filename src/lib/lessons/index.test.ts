/**
 * Every lesson is well-formed: unique ids and numbers, its program (and every program its steps suggest) parses with
 * no errors and binds to its data set, its checkpoints exist with valid arguments, its hidden panels are known.
 */
import { describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { dataset } from '$lib/compile/test-helpers';
import { bindData } from '$lib/data/bind';
import { dataConstants } from '$lib/data/constants';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes } from '$lib/spec/shape';
import { DEFAULT_DATA } from '$lib/state/playground.svelte';
import { checkpointProblem } from './checkpoints';
import { LESSONS, lessonById } from './index';
import type { Lesson, PanelId } from './types';

const PANELS: PanelId[] = ['examples', 'export', 'data-controls', 'backend', 'engine', 'pictures', 'eager-vs-compiled', 'runs', 'summary', 'sessions'];
const parse = parseProgram as (source: string, opts?: { constants?: Record<string, number> }) => ReturnType<typeof parseProgram>;

const modules = import.meta.glob<{ lesson: Lesson; solutions?: Record<string, string> }>(['./*.ts', '!./*.test.ts', '!./*.svelte.ts'], { eager: true });
const lessonFiles = Object.entries(modules).filter(([, m]) => m.lesson);

function programProblems(code: string, dataName: string): string[] {
  const r = parse(code, { constants: dataConstants(dataName) });
  const errors = r.diagnostics.filter((d) => d.severity === 'error').map((d) => `line ${d.span.line}: ${d.message}`);
  if (errors.length || !r.spec) return errors.length ? errors : ['no model'];
  const summary = inferShapes(r.spec).summary;
  if (!summary) return ['shapes do not infer'];
  const b = bindData(dataset(dataName, 200), r.spec, summary.outputShapes[0]);
  return b.ok ? [] : [b.message];
}

describe('lessons', () => {
  it('are listed once each, sorted by number, with unique ids and numbers', () => {
    expect(LESSONS.length).toBeGreaterThan(0);
    expect(new Set(LESSONS.map((l) => l.id)).size).toBe(LESSONS.length);
    expect(new Set(LESSONS.map((l) => l.number)).size).toBe(LESSONS.length);
    expect(LESSONS.map((l) => l.number)).toEqual([...LESSONS.map((l) => l.number)].sort((a, b) => a - b));
    // Every lesson file is in the list.
    expect(lessonFiles.map(([, m]) => m.lesson.id).sort()).toEqual(LESSONS.map((l) => l.id).sort());
    expect(lessonById(LESSONS[0].id)).toBe(LESSONS[0]);
    expect(lessonById('no-such-lesson')).toBeUndefined();
    expect(readdirSync('src/lib/lessons').length).toBeGreaterThan(0);
  });

  for (const [file, { lesson: l, solutions }] of lessonFiles) {
    describe(`${l.number}. ${l.title} (${file})`, () => {
      const dataName = l.setup.data?.name ?? DEFAULT_DATA.name;

      it('has text, unique step ids and known panels', () => {
        expect(l.id).toMatch(/^[a-z0-9-]+$/);
        expect(l.title && l.learn && l.minutes > 0).toBeTruthy();
        expect(l.steps.length).toBeGreaterThan(0);
        expect(new Set(l.steps.map((s) => s.id)).size).toBe(l.steps.length);
        for (const s of l.steps) expect(s.title && s.task && s.notice, s.id).toBeTruthy();
        for (const p of l.setup.hide ?? []) expect(PANELS).toContain(p);
      });

      it('names only known checkpoints, with valid arguments', () => {
        const refs = [...l.steps.flatMap((s) => (s.check ? [[s.id, s.check] as const] : [])), ...(l.challenge ? [['challenge', l.challenge.check] as const] : [])];
        for (const [where, ref] of refs) expect(checkpointProblem(ref), `${l.id} ${where}`).toBeNull();
      });

      it('opens with a program that parses and fits its data', () => {
        expect(programProblems(l.setup.code, dataName)).toEqual([]);
      });

      it("parses every program its steps suggest", () => {
        for (const [step, code] of Object.entries(solutions ?? {})) {
          expect([...l.steps.map((s) => s.id), 'challenge'], `${step} is a step`).toContain(step);
          expect(programProblems(code, dataName), `${l.id} ${step}`).toEqual([]);
        }
      });
    });
  }
});
