/**
 * The lesson rail's state: the open lesson, the current step, a LessonWorld snapshot of the playground (program,
 * data, engine, backend, the run shown, the runs and the lesson events), the current step's checkpoint evaluated on
 * it as it changes, and the progress (steps passed, done, challenge) saved in lessons/progress.ts.
 *
 * Runs: the page may pass the run store's runs (`sources.runs`); without one (or while it is empty) the rail keeps
 * its own record of the runs it saw start, from the training client, so a lesson works on its own.
 */
import type { Engine } from '$lib/compile/compiled-methods';
import type { RunRecord } from '$lib/runs/types';
import type { Playground } from '$lib/state/playground.svelte';
import type { TrainingClient } from '$lib/worker/client.svelte';
import type { EpochLog } from '$lib/worker/protocol';
import { untrack } from 'svelte';
import { evaluateCheckpoint, isFinished } from './checkpoints';
import { lessonEvents } from './events.svelte';
import { emptyProgress, type ProgressStore } from './progress';
import type { CheckResult, Lesson, LessonProgress, LessonStep, LessonWorld } from './types';

export interface RailSources {
  pg: Playground;
  client: TrainingClient;
  engine: () => Engine;
  /** The run store's runs, oldest first (optional: see the module comment). */
  runs?: () => RunRecord[];
}

const ACTIVE = new Set(['starting', 'running', 'paused']);

/**
 * The lesson open in this page and when each of its steps was opened, in module state: SvelteKit's client-side
 * navigation keeps modules alive, so a learner who goes to /bench or /onnx (the top bar) and comes back (Back, or the
 * Playground link) finds the same lesson at the same step with the same `since`, and what they did there
 * (bench-done, onnx-opened) counts. A reload starts afresh, as the lesson events do. Cleared by Leave lesson.
 */
const opened = { lesson: null as string | null, step: 0, lessonSince: 0, stepSince: new Map<number, number>() };

/** The lesson this page had open when the playground was left for another page (null after Leave lesson). */
export function resumableLesson(): { id: string; step: number } | null {
  return opened.lesson ? { id: opened.lesson, step: opened.step } : null;
}

export class LessonRunner {
  lesson = $state.raw<Lesson | null>(null);
  /** 0-based index of the current step. */
  step = $state(0);
  /** When the current step was opened: runs and events before it do not count for its checkpoint. */
  stepSince = $state(0);
  /** When the lesson was opened (the challenge counts runs since then). */
  lessonSince = $state(0);
  progress = $state<LessonProgress>(emptyProgress(''));
  /** How many hints of the current step are shown. */
  hintsShown = $state(0);
  challengeHints = $state(0);
  /** Runs this rail saw, when the page gives no run store. */
  seenRuns = $state.raw<RunRecord[]>([]);

  #src: RailSources;
  #store: ProgressStore | null = null;
  #stop: (() => void) | null = null;
  #runCounter = 0;
  #lastStatus = '';

  constructor(sources: RailSources) {
    this.#src = sources;
  }

  readonly current = $derived<LessonStep | null>(this.lesson?.steps[this.step] ?? null);

  #world(since: number): LessonWorld {
    const { pg, client } = this.#src;
    const spec = pg.upToDate && pg.errors.length === 0 ? (pg.lastGood?.spec ?? null) : null;
    const external = this.#src.runs?.() ?? [];
    const runs = (external.length ? external : this.seenRuns).filter((r) => r.startedAt >= since);
    return {
      since,
      code: pg.code,
      spec,
      summary: spec ? (pg.lastGood?.summary ?? null) : null,
      data: pg.data,
      engine: this.#src.engine(),
      backend: pg.backend,
      seed: pg.seed,
      current: { status: client.status, history: client.history, message: client.message },
      runs,
      events: lessonEvents.list.filter((e) => e.at >= since)
    };
  }

  readonly world = $derived.by((): LessonWorld | null => (this.lesson ? this.#world(this.stepSince) : null));

  /** The current step's checkpoint on the world (null when the step has none). */
  readonly result = $derived.by((): CheckResult | null => {
    const step = this.current;
    const w = this.world;
    if (!step?.check || !w) return null;
    return evaluateCheckpoint(step.check, w);
  });

  readonly challengeResult = $derived.by((): CheckResult | null => {
    const c = this.lesson?.challenge;
    if (!c) return null;
    return evaluateCheckpoint(c.check, this.#world(this.lessonSince));
  });

  /** When every step had passed (or the lesson reopened done): runs from then on are tries at the challenge. */
  challengeFrom = $state(0);

  /** Tries at the challenge that ended (finished or diverged) without meeting it. */
  readonly challengeFailures = $derived.by((): number => {
    if (!this.lesson?.challenge || !this.challengeFrom || this.challengeResult?.ok || this.progress.challengeDone) return 0;
    return this.#world(this.challengeFrom).runs.filter((r) => isFinished(r) || r.status === 'diverged').length;
  });

  /** Challenge hints shown: those asked for, and one more after each failed try. */
  readonly challengeHintsShown = $derived(Math.min(this.lesson?.challenge?.hints.length ?? 0, Math.max(this.challengeHints, this.challengeFailures)));

  isPassed(step: LessonStep): boolean {
    return this.progress.passed.includes(step.id);
  }

  /** Whether the current step is passed (its checkpoint passed now or before). */
  readonly passed = $derived(!!this.current && (this.progress.passed.includes(this.current.id) || (this.result?.ok ?? false)));

  /** Opens a lesson at `step` (0-based; the saved step when undefined). */
  async start(lesson: Lesson, store: ProgressStore, step?: number) {
    this.#store = store;
    const saved = await store.get(lesson.id);
    this.progress = saved;
    this.lesson = lesson;
    const at = step ?? saved.step;
    // Reopened in the same page (back from /bench or /onnx): the same lesson keeps its start and its steps theirs.
    const again = opened.lesson === lesson.id;
    this.lessonSince = again ? opened.lessonSince : Date.now();
    if (!again) Object.assign(opened, { lesson: lesson.id, lessonSince: this.lessonSince, stepSince: new Map() });
    this.challengeHints = 0;
    this.challengeFrom = saved.done ? this.lessonSince : 0;
    this.#go(Math.max(0, Math.min(lesson.steps.length - 1, Number.isFinite(at) ? at : 0)), again);
    this.#watch();
  }

  /** Saves progress (merged with what is there). */
  async save(change: Partial<LessonProgress>) {
    if (!this.lesson) return;
    this.progress = { ...this.progress, ...change, id: this.lesson.id };
    await this.#store?.put($state.snapshot(this.progress) as LessonProgress);
  }

  #go(i: number, resume = false) {
    this.step = i;
    this.stepSince = (resume ? opened.stepSince.get(i) : undefined) ?? Date.now();
    opened.stepSince.set(i, this.stepSince);
    opened.step = i;
    this.hintsShown = 0;
    if (this.lesson && this.progress.step !== i) void this.save({ step: i });
  }

  next() {
    const l = this.lesson;
    const s = this.current;
    if (!l || !s) return;
    // A step without a checkpoint is read, then passed with Next.
    if (!s.check && !this.isPassed(s)) this.#markPassed(s);
    if (this.step < l.steps.length - 1) this.#go(this.step + 1);
  }

  previous() {
    if (this.step > 0) this.#go(this.step - 1);
  }

  showHint() {
    const n = this.current?.hints?.length ?? 0;
    if (this.hintsShown < n) this.hintsShown++;
  }

  showChallengeHint() {
    const n = this.lesson?.challenge?.hints.length ?? 0;
    this.challengeHints = Math.min(n, this.challengeHintsShown + 1);
  }

  #markPassed(s: LessonStep) {
    const l = this.lesson;
    if (!l || this.progress.passed.includes(s.id)) return;
    const passed = [...this.progress.passed, s.id];
    const done = l.steps.every((x) => passed.includes(x.id));
    if (done && !this.challengeFrom) this.challengeFrom = Date.now();
    void this.save({ passed, done: this.progress.done || done });
  }

  leave() {
    opened.lesson = null;
    this.#stop?.();
    this.#stop = null;
    this.lesson = null;
    this.hintsShown = 0;
  }

  /** The page goes (client-side navigation): stop watching, but keep the lesson resumable (see `opened`). */
  dispose() {
    this.#stop?.();
    this.#stop = null;
  }

  #watch() {
    this.#stop?.();
    this.#stop = $effect.root(() => {
      // Record a pass as soon as the checkpoint holds.
      $effect(() => {
        const s = this.current;
        if (s && this.result?.ok) untrack(() => this.#markPassed(s));
      });
      $effect(() => {
        if (this.challengeResult?.ok) untrack(() => !this.progress.challengeDone && void this.save({ challengeDone: true }));
      });
      // The rail's own run record (used when the page gives no run store).
      $effect(() => {
        const status = this.#src.client.status;
        const history = this.#src.client.history;
        untrack(() => this.#recordRuns(status, history));
      });
    });
  }

  /**
   * What the rail's effects do, in one call: records the client's run, a pass of the current step, the challenge.
   * (Unit tests call it directly: under node, Svelte's effects do not run.)
   */
  observe() {
    this.#recordRuns(this.#src.client.status, this.#src.client.history);
    const s = this.current;
    if (s && this.result?.ok) this.#markPassed(s);
    if (this.challengeResult?.ok && !this.progress.challengeDone) void this.save({ challengeDone: true });
  }

  #recordRuns(status: string, history: EpochLog[]) {
    const { pg, client } = this.#src;
    const started = ACTIVE.has(status) && !ACTIVE.has(this.#lastStatus);
    this.#lastStatus = status;
    let runs = this.seenRuns;
    if (started) {
      const spec = pg.lastGood?.spec ?? null;
      const rec: RunRecord = {
        id: `${Date.now()}-${++this.#runCounter}`,
        sessionId: null,
        name: `Run ${this.#runCounter}`,
        startedAt: Date.now(),
        settings: {
          code: pg.code,
          data: $state.snapshot(pg.data) as LessonWorld['data'],
          engine: this.#src.engine(),
          backend: pg.backend,
          seed: pg.seed,
          optimizer: spec?.compile?.optimizer.name ?? null,
          learningRate: spec?.compile?.optimizer.learningRate ?? null,
          batchSize: spec?.fit?.batchSize ?? null,
          epochs: spec?.fit?.epochs ?? null,
          params: pg.lastGood?.summary.trainable ?? 0
        },
        history: [],
        status: 'starting',
        message: null,
        ranOn: null
      };
      runs = [...runs, rec];
    }
    const last = runs.at(-1);
    if (!last || (!ACTIVE.has(last.status) && !started)) {
      this.seenRuns = runs;
      return;
    }
    const updated: RunRecord = { ...last, history: [...history], status: client.status, message: client.message, ranOn: client.backend?.actual ?? null };
    this.seenRuns = [...runs.slice(0, -1), updated];
  }
}
