/**
 * Lessons are data (DESIGN.md): one file per lesson under src/lib/lessons/, a line in lessons/index.ts, nothing about
 * a lesson in the playground's own code. A lesson is text plus a declarative spec: the program, data and settings it
 * opens with, the panels it hides, and steps whose checkpoints are *named* predicates (lessons/checkpoints.ts) over
 * what really happened in the app (`LessonWorld`).
 *
 * Contract shared by the lesson files, the checkpoints, the lesson rail and the /learn page: change it with care.
 */
import type { Engine } from '$lib/compile/compiled-methods';
import type { BackendName } from '$lib/engines/backend';
import type { ModelSummary } from '$lib/spec/shape';
import type { ModelSpec } from '$lib/spec/types';
import type { DataSettings } from '$lib/state/playground.svelte';
import type { RunRecord } from '$lib/runs/types';
import type { EpochLog } from '$lib/worker/protocol';
import type { RunStatus } from '$lib/worker/client.svelte';

/**
 * Parts of the playground a lesson (or a lesson link) can hide. Hidden means not rendered; everything else of the
 * playground works as usual.
 */
export type PanelId =
  | 'examples' // the Example menu
  | 'export' // Export buttons, ONNX panel
  | 'data-controls' // dataset menu, samples, noise, classes, data seed
  | 'backend' // Backend menu
  | 'engine' // Eager / compiled toggle
  | 'pictures' // histograms, filters, inspect…
  | 'eager-vs-compiled'
  | 'runs' // the Runs panel (overlay)
  | 'summary' // Model summary and graph
  | 'sessions'; // the Sessions menu

/** Named events the app reports to the lesson rail (beyond runs, which come from the run store). */
export type LessonEventName =
  | 'inspected' // a sample was inspected (Pictures → Inspect)
  | 'histograms-seen' // the histograms panel was shown with data
  | 'runs-overlaid' // two or more runs are ticked in the Runs panel
  | 'compare-done' // Eager vs compiled finished
  | 'bench-done' // a /bench run finished (reported back through the lesson's progress store)
  | 'onnx-exported' // an .onnx file was downloaded
  | 'onnx-run' // Run in ONNX Runtime finished
  | 'onnx-opened' // a file was opened in /onnx
  | 'quantized-compared' // ONNX variants (fp16/int8) ran side by side
  | 'stepped' // Step (teaching mode) advanced training
  | 'lr-changed'; // the learning rate was changed while training

export interface LessonEvent {
  name: LessonEventName;
  at: number;
  /** Free-form facts of the event (e.g. { variants: 3 } for quantized-compared). */
  detail?: Record<string, number | string | boolean>;
}

/** Everything a checkpoint may look at: a snapshot of the app, made by the rail each time something changes. */
export interface LessonWorld {
  /** When the lesson (or the current step) was opened: runs and events before it do not count. */
  since: number;
  code: string;
  /** The model of the current program, null while it has errors. */
  spec: ModelSpec | null;
  /** Shapes / parameters / FLOPs of the current program (null while it has errors). */
  summary: ModelSummary | null;
  data: DataSettings;
  engine: Engine;
  backend: BackendName;
  seed: number;
  /** The run in progress or last shown. */
  current: { status: RunStatus; history: EpochLog[]; message: string | null };
  /** Runs started since `since`, oldest first, from the run store (finished and running). */
  runs: RunRecord[];
  events: LessonEvent[];
}

export interface CheckResult {
  ok: boolean;
  /** What is still missing, or what was seen ("best validation accuracy 0.91 < 0.95"): shown under the step. */
  detail: string;
}

/** A checkpoint named in a lesson file: the predicate's name in CHECKPOINTS and its arguments. */
export interface CheckpointRef {
  name: string;
  args?: Record<string, number | string | boolean | (number | string)[]>;
}

export interface LessonStep {
  id: string;
  title: string;
  /** What to do (plain text; `code` in backticks is shown as code). */
  task: string;
  /** The checkpoint the app verifies; a step without one is read and then passed with "Next". */
  check?: CheckpointRef;
  /** What to notice once the checkpoint passed, and why. */
  notice: string;
  /** Shown after the learner asked for it or a try failed. */
  hints?: string[];
  /** Accessible name of a control to highlight while the step is current (e.g. "Train", "Learning rate"). */
  highlight?: string;
}

/** A goal the app checks and reports ("≥ 95 % validation accuracy on the spiral with ≤ 100 parameters"). */
export interface Challenge {
  goal: string;
  check: CheckpointRef;
  hints: string[];
}

export interface Lesson {
  /** URL id: /?lesson=<id>&step=<n> */
  id: string;
  /** Shown in /learn, in order. */
  number: number;
  title: string;
  /** What you will learn (one or two sentences). */
  learn: string;
  minutes: number;
  /** What the lesson opens with, as a new session (the user's own sessions are untouched). */
  setup: {
    code: string;
    data?: Partial<DataSettings>;
    backend?: BackendName;
    engine?: Engine;
    seed?: number;
    /** Panels hidden while the lesson is open (the lesson link hides the same). */
    hide?: PanelId[];
  };
  steps: LessonStep[];
  challenge?: Challenge;
}

/** A lesson's saved progress (IndexedDB, lessons/progress.ts). */
export interface LessonProgress {
  id: string;
  /** Ids of the steps whose checkpoints passed. */
  passed: string[];
  /** The step the learner is on. */
  step: number;
  done: boolean;
  challengeDone: boolean;
  /** The session the lesson opened (reopened when the lesson is resumed). */
  sessionId: string | null;
  updatedAt: number;
}
