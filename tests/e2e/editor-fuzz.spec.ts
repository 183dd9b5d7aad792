import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { openPlayground, setCode } from './helpers';

/**
 * The nastiest programs of tests/unit/editor-fuzz.test.ts pasted into the real editor: each shows its problems (or
 * a model summary), no page error, and no main-thread script over 200 ms run by the analysis. The program is
 * analysed 250 ms after the last edit (a setTimeout) in the analysis worker, and its answer is shown when the
 * worker's message comes back. Long Animation Frame entries name the script that made a frame long and what
 * invoked it: those invoked by a timer or by the worker's message are the analysis (or Monaco's own deferred work);
 * those invoked by the paste are the editor taking the text.
 */
const spiral = readFileSync('examples/spiral.py', 'utf8');
const HEADER = 'import keras\nfrom keras import layers\n';

const NASTY: [string, string][] = [
  ['model.add × 3000 (over the line limit)', `${HEADER}model = keras.Sequential()\n${'model.add(layers.Dense(4))\n'.repeat(3000)}`],
  ['model.add × 1500', `${HEADER}model = keras.Sequential()\nmodel.add(keras.Input(shape=(2,)))\n${'model.add(layers.Dense(4))\n'.repeat(1500)}`],
  ['for range(10**9)', `${HEADER}model = keras.Sequential()\nfor i in range(10**9):\n    model.add(layers.Dense(4))\n`],
  ['for range(1000) × Dense', `${HEADER}model = keras.Sequential()\nmodel.add(keras.Input(shape=(2,)))\nfor i in range(1000):\n    model.add(layers.Dense(4))\n`],
  ['5000 nested parentheses', `x = ${'('.repeat(5000)}1${')'.repeat(5000)}\n`],
  ['5000 nested lists', `x = ${'['.repeat(5000)}1${']'.repeat(5000)}\n`],
  ['5000 unclosed parentheses', `x = ${'('.repeat(5000)}1\n`],
  ['a+a+… × 8000', `a = 1\nb = ${Array(8000).fill('a').join('+')}\n`],
  ['a**a**… × 5000', `a = 1\nb = ${Array(5000).fill('a').join('**')}\n`],
  ['- - - … × 5000', `a = ${'-'.repeat(5000)}1\n`],
  ['keras.layers.layers… × 5000', `import keras\na = keras${'.layers'.repeat(5000)}\n`],
  ['number of 40000 digits', `${HEADER}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(${'9'.repeat(40000)})])\n`],
  ['string of 40000 characters', `${HEADER}model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(4, activation="${'r'.repeat(40000)}")])\n`],
  ['string of 1 MB (over the size limit)', `x = "${'a'.repeat(1_000_000)}"\n`],
  ['identifier of 40000 characters', `${'x'.repeat(40000)} = 1\n`],
  ['1500 unknown names', Array.from({ length: 1500 }, (_, i) => `y${i} = q${i}\n`).join('')],
  ['1500 syntax errors', '$ = 1\n'.repeat(1500)],
  ['4000 keyword arguments', `${HEADER}y = layers.Dense(${Array.from({ length: 4000 }, (_, i) => `k${i}=1`).join(', ')})\n`],
  ['unicode soup', Array.from({ length: 5000 }, (_, i) => String.fromCodePoint(0x80 + ((i * 7919) % 0x2ff00))).join('')],
  ['spiral with every line tripled and a stray bracket', spiral.split('\n').flatMap((l) => [l, l, l]).join('\n') + ')\n']
];

interface Slow {
  duration: number;
  invoker: string;
  invokerType: string;
  source: string;
}

test('the nastiest fuzz programs pasted into the editor: problems or a summary, no page error, no long analysis', async ({ page }) => {
  test.setTimeout(600_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await openPlayground(page);
  await page.evaluate(() => {
    const w = window as unknown as { __slow: Slow[] };
    w.__slow = [];
    new PerformanceObserver((list) => {
      for (const frame of list.getEntries() as unknown as { scripts: { duration: number; invoker: string; invokerType: string; sourceURL: string; sourceFunctionName: string }[] }[]) {
        for (const s of frame.scripts) {
          if (s.duration > 50) w.__slow.push({ duration: s.duration, invoker: s.invoker, invokerType: s.invokerType, source: `${s.sourceURL.split('/').pop()}:${s.sourceFunctionName}` });
        }
      }
    }).observe({ type: 'long-animation-frame', buffered: false });
  });
  const problems = page.getByRole('list', { name: 'Problems' });
  const report: string[] = [];
  const analysisOver: string[] = [];
  for (const [name, code] of NASTY) {
    // From a known state (spiral: no problems, 371 parameters) to the nasty program, pasted as a user would.
    await setCode(page, spiral);
    await expect(page.getByText('No problems.')).toBeVisible();
    await page.evaluate((text) => navigator.clipboard.writeText(text), code);
    await page.evaluate(() => ((window as unknown as { __slow: Slow[] }).__slow = []));
    const t0 = Date.now();
    await page.getByRole('textbox', { name: 'Keras program' }).focus();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.press('ControlOrMeta+V');
    // The analysis runs 250 ms after the paste; then the Problems list, or the new model's summary, shows.
    if (name.startsWith('for range(1000)')) {
      await expect(page.getByRole('table', { name: 'Model summary' }).getByRole('row', { name: /^Total params/ })).not.toContainText('371');
    } else {
      await expect(problems).toBeVisible();
      await expect(problems.getByRole('listitem').first()).toContainText(/Line \d+, column \d+/);
    }
    const settled = Date.now() - t0;
    await page.waitForTimeout(500);
    const slow = await page.evaluate(() => (window as unknown as { __slow: Slow[] }).__slow);
    const timers = slow.filter((s) => (s.invokerType === 'user-callback' && /setTimeout/.test(s.invoker)) || /Worker|message/i.test(s.invoker));
    const worst = Math.max(0, ...timers.map((s) => s.duration));
    report.push(
      `${name.padEnd(52)} ${String(settled).padStart(6)} ms to show; analysis scripts ${timers.map((s) => `${s.duration.toFixed(0)} ms`).join(', ') || '-'}; other long scripts ${
        slow
          .filter((s) => !timers.includes(s))
          .map((s) => `${s.duration.toFixed(0)} ms (${s.invokerType} ${s.invoker})`)
          .join(', ') || '-'
      }`
    );
    if (worst > 200) analysisOver.push(`${name}: ${worst.toFixed(0)} ms`);
  }
  console.log(report.join('\n'));
  expect(errors).toEqual([]);
  expect(analysisOver, 'main-thread scripts over 200 ms run from a timer or the worker\'s answer (the analysis)').toEqual([]);
});
