import { describe, expect, it } from 'vitest';
import { inCI, needPython, probePython } from './test-python';

describe('needPython', () => {
  it('says why when the interpreter or a module is missing, with the Debian package', () => {
    expect(probePython([], '/nonexistent/python3')).toEqual({ ok: false, reason: '/nonexistent/python3 is not available (apt-get install python3)' });
    const r = probePython(['no_such_module_for_this_test']);
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/cannot import no_such_module_for_this_test \(apt-get install python3-no_such_module_for_this_test\)|is not available/);
  });

  it('under CI=true a missing tool gives a test that runs (and fails), elsewhere a skipped one with the reason in its title', () => {
    const ci = needPython([], '/nonexistent/python3', { CI: 'true' });
    expect([ci.ok, ci.note, ci.it === it]).toEqual([false, '', false]);
    const local = needPython([], '/nonexistent/python3', {});
    expect([local.ok, local.note, local.it === it]).toEqual([false, ' — SKIPPED: /nonexistent/python3 is not available (apt-get install python3)', false]);
  });

  it('reads CI as CI services set it', () => {
    expect([inCI({ CI: 'true' }), inCI({ CI: '1' }), inCI({ CI: 'false' }), inCI({})]).toEqual([true, true, false, false]);
  });
});
