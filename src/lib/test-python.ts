/**
 * Tests that run Python (python3 -m py_compile, numpy, the ONNX checker) ask here whether it is there.
 *
 *   const py = needPython(['numpy']);
 *   py.it(`runs in Python${py.note}`, () => { ... });
 *
 * With everything present, `py.it` is vitest's `it`. Without it: under CI=true the test runs and FAILS with the
 * reason (.ci/run installs python3, python3-numpy and python3-onnx, so a missing one is a broken machine, not a
 * test to skip); elsewhere it is skipped, and the reason is printed once and appended to the title (`py.note`).
 */
import { spawnSync } from 'node:child_process';
import { it } from 'vitest';

type TestFn = (name: string, fn: () => unknown, timeout?: number) => void;

export interface PythonNeed {
  /** Whether the interpreter runs and imports every module asked for. */
  ok: boolean;
  /** Why not ('' when ok), with the Debian package that brings it. */
  reason: string;
  /** ' — SKIPPED: reason' when the test will be skipped, else '' (for the test's title). */
  note: string;
  /** `it` when ok; a failing test under CI=true; `it.skip` otherwise. */
  it: TestFn;
  /** The interpreter to run (the one probed). */
  python: string;
}

const DEBIAN: Record<string, string> = { numpy: 'python3-numpy', onnx: 'python3-onnx', torch: 'python3-torch' };

/** True when the CI variable says this is a CI run (CI=true or CI=1, as CI services set it). */
export const inCI = (env: NodeJS.ProcessEnv = process.env): boolean => /^(1|true|yes)$/i.test(env.CI ?? '');

const cache = new Map<string, { ok: boolean; reason: string }>();
const warned = new Set<string>();

/** Probes `python` (default: python3 on the PATH) for `modules`, once per combination. */
export function probePython(modules: readonly string[] = [], python = 'python3'): { ok: boolean; reason: string } {
  const key = `${python}\0${modules.join(',')}`;
  let got = cache.get(key);
  if (!got) {
    const version = spawnSync(python, ['--version'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) {
      got = { ok: false, reason: `${python} is not available (apt-get install python3)` };
    } else {
      const missing = modules.filter((m) => spawnSync(python, ['-c', `import ${m}`], { stdio: 'ignore' }).status !== 0);
      got = missing.length
        ? { ok: false, reason: `${python} cannot import ${missing.join(', ')} (apt-get install ${missing.map((m) => DEBIAN[m] ?? `python3-${m}`).join(' ')})` }
        : { ok: true, reason: '' };
    }
    cache.set(key, got);
  }
  return got;
}

/** What a test that runs `python` with `modules` should use as `it`; see the file's comment. */
export function needPython(modules: readonly string[] = [], python = 'python3', env: NodeJS.ProcessEnv = process.env): PythonNeed {
  const { ok, reason } = probePython(modules, python);
  if (ok) return { ok, reason, note: '', it, python };
  if (inCI(env)) {
    const failing: TestFn = (name, _fn, timeout) =>
      it(name, () => {
        throw new Error(`CI=true and this test needs Python: ${reason}. .ci/run installs it on a fresh machine.`);
      }, timeout);
    return { ok, reason, note: '', it: failing, python };
  }
  if (!warned.has(reason)) {
    warned.add(reason);
    console.warn(`SKIPPED (not CI): ${reason}`);
  }
  return { ok, reason, note: ` — SKIPPED: ${reason}`, it: it.skip as TestFn, python };
}
