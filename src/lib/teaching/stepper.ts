/**
 * Teaching mode's Step (issue 14): run one batch or one epoch, then pause. Pure state, used by the worker session
 * (worker/session.ts) through the training loop's `afterBatch` hook (engines/train-loop.ts):
 * - `request(unit)` arms it (the session also resumes the run);
 * - after every batch's step, `afterBatch(at)` says whether to pause now: after this batch ('batch'), or after the
 *   epoch's last batch ('epoch': the loop then closes the epoch, with its validation and pictures, before pausing).
 *
 * Compiled engine: the loop queues steps for a K-step ORT run; the pause flushes the queue, so a stepped batch runs
 * alone (through the trainer's 1-step graph) and Step means exactly one optimizer step there too.
 */
export type StepUnit = 'batch' | 'epoch';

export const STEP_UNITS: readonly StepUnit[] = ['batch', 'epoch'];

export class Stepper {
  /** The step asked for and not yet done (null: running freely, or paused). */
  pending: StepUnit | null = null;

  request(unit: StepUnit) {
    this.pending = unit;
  }

  /** Play, pause, stop: no step pending any more. */
  cancel() {
    this.pending = null;
  }

  /** After a batch's step: true when the run should pause now (and the step is done). */
  afterBatch(at: { batch: number; batches: number }): boolean {
    const unit = this.pending;
    if (unit === 'batch' || (unit === 'epoch' && at.batch >= at.batches)) {
      this.pending = null;
      return true;
    }
    return false;
  }
}
