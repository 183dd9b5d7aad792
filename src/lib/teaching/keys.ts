/**
 * Teaching mode's keyboard shortcuts (issue 14): Space plays or pauses, ArrowRight steps, r resets, ? opens the
 * shortcuts dialog. Keys typed into the editor (Monaco) or a form field are the user's text: ignored. A button or
 * checkbox focused from the keyboard keeps Space (it presses it, for keyboard users); one focused by a mouse click
 * does not (a teacher clicks Train, then presses Space to pause).
 */
export type TeachingAction = 'play-pause' | 'step' | 'reset' | 'help';

/** Where the focus is, as far as the shortcuts care. */
export type FocusKind = 'text' | 'keyboard-control' | 'other';

export const SHORTCUTS: readonly { keys: string; action: TeachingAction; what: string }[] = [
  { keys: 'Space', action: 'play-pause', what: 'Train, pause or resume' },
  { keys: '→ (Right arrow)', action: 'step', what: 'Step: one batch or one epoch (as "Step by" says), then pause' },
  { keys: 'r', action: 'reset', what: 'Reset the run' },
  { keys: '?', action: 'help', what: 'Show these shortcuts' }
];

export function teachingAction(e: { key: string; ctrlKey?: boolean; metaKey?: boolean; altKey?: boolean }, focus: FocusKind): TeachingAction | null {
  if (focus === 'text' || e.ctrlKey || e.metaKey || e.altKey) return null;
  switch (e.key) {
    case ' ':
    case 'Spacebar':
      return focus === 'keyboard-control' ? null : 'play-pause';
    case 'ArrowRight':
      return 'step';
    case 'r':
    case 'R':
      return 'reset';
    case '?':
      return 'help';
    default:
      return null;
  }
}

/**
 * The focus kind of `el` (the event target). `byPointer`: `el` got the focus from a mouse click or a touch (the
 * page tracks it: browsers' :focus-visible guesses differ), so Space is not its own.
 */
export function focusKind(el: Element | null, byPointer = false): FocusKind {
  if (!el || typeof el.closest !== 'function') return 'other';
  if (el.closest('.monaco-editor, input, select, textarea, [contenteditable=""], [contenteditable="true"], [role="textbox"]')) {
    // Checkboxes, radios and buttons typed as inputs are controls, not text.
    const input = el.closest('input');
    if (!input || !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes((input as HTMLInputElement).type)) return 'text';
  }
  if (el.closest('button, a[href], summary, input, [role="button"], [role="checkbox"], [role="switch"], [role="tab"]')) {
    return byPointer ? 'other' : 'keyboard-control';
  }
  return 'other';
}
