/**
 * The app's lesson events (lessons/types.ts LessonEventName): components report what the learner did
 * (`reportLessonEvent('compare-done')`), the lesson rail reads `lessonEvents.list` into its LessonWorld.
 * Plain module state: one playground per page. Not persisted (a lesson's passed steps are, in lessons/progress.ts).
 */
import type { LessonEvent, LessonEventName } from './types';

const MAX_EVENTS = 500;

class LessonEvents {
  list = $state.raw<LessonEvent[]>([]);

  report(name: LessonEventName, detail?: LessonEvent['detail']) {
    const e: LessonEvent = { name, at: Date.now(), ...(detail ? { detail } : {}) };
    this.list = [...this.list.slice(-(MAX_EVENTS - 1)), e];
  }

  clear() {
    this.list = [];
  }
}

export const lessonEvents = new LessonEvents();

export function reportLessonEvent(name: LessonEventName, detail?: LessonEvent['detail']) {
  lessonEvents.report(name, detail);
}
