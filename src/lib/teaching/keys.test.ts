import { describe, expect, it } from 'vitest';
import { teachingAction } from './keys';

describe('teaching keys', () => {
  it('maps Space, ArrowRight, r and ? to play/pause, step, reset and help', () => {
    expect(teachingAction({ key: ' ' }, 'other')).toBe('play-pause');
    expect(teachingAction({ key: 'ArrowRight' }, 'other')).toBe('step');
    expect(teachingAction({ key: 'r' }, 'other')).toBe('reset');
    expect(teachingAction({ key: 'R' }, 'other')).toBe('reset');
    expect(teachingAction({ key: '?' }, 'other')).toBe('help');
    expect(teachingAction({ key: 'x' }, 'other')).toBeNull();
    expect(teachingAction({ key: 'ArrowLeft' }, 'other')).toBeNull();
  });

  it('ignores every key typed in the editor or a form field, and with modifiers', () => {
    for (const key of [' ', 'ArrowRight', 'r', '?']) expect(teachingAction({ key }, 'text')).toBeNull();
    expect(teachingAction({ key: 'r', ctrlKey: true }, 'other')).toBeNull(); // Ctrl+R reloads
    expect(teachingAction({ key: 'r', metaKey: true }, 'other')).toBeNull();
    expect(teachingAction({ key: 'ArrowRight', altKey: true }, 'other')).toBeNull(); // Alt+→: browser forward
  });

  it('leaves Space to a button focused from the keyboard (it presses it), not to one clicked', () => {
    expect(teachingAction({ key: ' ' }, 'keyboard-control')).toBeNull();
    expect(teachingAction({ key: 'ArrowRight' }, 'keyboard-control')).toBe('step');
  });
});
