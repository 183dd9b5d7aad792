import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { collectExamples, DATASET_NAMES, EXAMPLE_ORDER, EXAMPLES, LEGACY_HEADERS, parseExampleHeader } from './examples';

describe('parseExampleHeader', () => {
  it('reads the title, description and data set from the first two comment lines', () => {
    expect(parseExampleHeader('# Digits CNN — conv layers read the digit\n# data: digits\nimport keras\n')).toEqual({
      title: 'Digits CNN',
      description: 'conv layers read the digit',
      data: 'digits'
    });
    // En dash, extra spaces, Windows line endings, a BOM, upper-case data name.
    expect(parseExampleHeader('\uFEFF#  XOR  –  the quadrant rule \r\n#data:XOR\r\n')).toEqual({ title: 'XOR', description: 'the quadrant rule', data: 'xor' });
    // A dash inside the title is kept.
    expect(parseExampleHeader('# Circle with L2 — a two-layer net — regularised\n# data: circle\n')).toEqual({
      title: 'Circle with L2',
      description: 'a two-layer net — regularised',
      data: 'circle'
    });
  });

  it('is null without both lines, or for an unknown data set', () => {
    expect(parseExampleHeader('import keras\n')).toBeNull();
    expect(parseExampleHeader('# Just a title\n# data: xor\n')).toBeNull();
    expect(parseExampleHeader('# Title — description\nimport keras\n')).toBeNull();
    expect(parseExampleHeader('# Title — description\n# data: mnist\n')).toBeNull();
    expect(parseExampleHeader('# Title - a hyphen is not the separator\n# data: xor\n')).toBeNull();
    expect(parseExampleHeader('')).toBeNull();
  });

  it('knows every data set the app offers', () => {
    expect([...DATASET_NAMES].sort()).toEqual(['circle', 'digits', 'gaussians', 'moons', 'names', 'parity', 'plane', 'reverse', 'shakespeare', 'sine', 'sine_series', 'spiral', 'xor']);
  });
});

describe('collectExamples', () => {
  it('orders by EXAMPLE_ORDER, then by name; skips files without a header; uses LEGACY_HEADERS', () => {
    const h = (t: string, d = 'xor') => `# ${t} — about ${t}\n# data: ${d}\n`;
    const list = collectExamples({ '/examples/zeta.py': h('Zeta'), '/examples/alpha.py': h('Alpha'), '/examples/xor.py': h('XOR'), '/examples/spiral.py': 'import keras\n', '/examples/nohead.py': 'import keras\n' });
    expect(list.map((e) => e.id)).toEqual(['spiral', 'xor', 'alpha', 'zeta']);
    expect(list[0]).toMatchObject({ ...LEGACY_HEADERS.spiral, source: 'import keras\n' });
    expect(list[1]).toMatchObject({ id: 'xor', title: 'XOR', description: 'about XOR', data: 'xor' });
  });
});

describe('EXAMPLES (bundled with import.meta.glob)', () => {
  const files = readdirSync('examples').filter((f) => f.endsWith('.py'));

  it('holds every file in examples/, with its source and header, in order', () => {
    expect(EXAMPLES.map((e) => e.id).sort()).toEqual(files.map((f) => f.replace(/\.py$/, '')).sort());
    for (const e of EXAMPLES) {
      expect(e.source).toBe(readFileSync(`examples/${e.id}.py`, 'utf8'));
      expect(DATASET_NAMES).toContain(e.data);
      expect(e.title.length).toBeGreaterThan(2);
    }
    const listed = EXAMPLE_ORDER.filter((id) => files.includes(`${id}.py`));
    expect(EXAMPLES.slice(0, listed.length).map((e) => e.id)).toEqual(listed);
  });
});
