/**
 * Runs you can compare (the TensorBoard idea): every training run the playground starts is kept, with what made it
 * and what it did, so runs can be overlaid and their settings compared. Lessons read them (checkpoints such as
 * "two finished runs whose learning rates differ").
 *
 * Contract shared by the run store (runs/store.ts), the Runs panel and the lessons: change it with care.
 */
import type { Engine } from '$lib/compile/compiled-methods';
import type { BackendName } from '$lib/engines/backend';
import type { DataSettings } from '$lib/state/playground.svelte';
import type { EpochLog } from '$lib/worker/protocol';
import type { RunStatus } from '$lib/worker/client.svelte';

/** What a run was made from, read off the program and the panels when Train was pressed. */
export interface RunSettings {
  /** The program as it was when the run started. */
  code: string;
  data: DataSettings;
  engine: Engine;
  backend: BackendName;
  /** The weight seed. */
  seed: number;
  /** From the program's compile()/fit() (null when the program does not say). */
  optimizer: string | null;
  learningRate: number | null;
  batchSize: number | null;
  epochs: number | null;
  /** Trainable parameters of the model. */
  params: number;
}

export interface RunRecord {
  /** Unique, ordered by start time (e.g. `${Date.now()}-${counter}`). */
  id: string;
  /** The session the run was made in (runs outlive a session's deletion: they are kept until deleted). */
  sessionId: string | null;
  /** Shown in the list and the legend: "Run 7 · adam 0.01 · batch 32" (editable). */
  name: string;
  startedAt: number;
  settings: RunSettings;
  /** The per-epoch metrics as the run went (a continued run appends to the run it continued). */
  history: EpochLog[];
  /** The last status the run reached: 'running' while it goes, then completed / stopped / diverged / failed. */
  status: RunStatus;
  /** The divergence or failure message, if any. */
  message: string | null;
  /** The backend that actually ran (after any fallback). */
  ranOn: BackendName | null;
}
