import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from '@playwright/test';
import { openPlayground } from './helpers';

/**
 * Layout (issue 14, teaching mode): at 1440×900 the editor shows the longest line of every example without
 * horizontal scrolling; at 1024×768 (a tablet) no panel is wider than the page.
 */

/** Every example: its menu title (the header's `# Title — …`, spiral's legacy one) and its longest line. */
const EXAMPLES = readdirSync('examples')
  .filter((f) => f.endsWith('.py'))
  .map((f) => {
    const source = readFileSync(join('examples', f), 'utf8');
    const lines = source.split(/\r?\n/);
    const title = /^#\s*(.+?)\s+[—–]\s+/.exec(lines[0])?.[1] ?? (f === 'spiral.py' ? 'Spiral' : null);
    let longest = 0;
    lines.forEach((l, i) => {
      if (l.length > lines[longest].length) longest = i;
    });
    return { file: f, title, line: longest + 1, text: lines[longest] };
  });

test('1440×900: the editor shows the longest line of every example without horizontal scrolling', async ({ page }) => {
  test.setTimeout(300_000);
  expect(EXAMPLES.length).toBeGreaterThan(20);
  await page.setViewportSize({ width: 1440, height: 900 });
  await openPlayground(page);
  const select = page.getByLabel('Example', { exact: true });
  for (const ex of EXAMPLES) {
    expect(ex.title, `${ex.file} has a title`).toBeTruthy();
    await select.selectOption({ label: ex.title! });
    const editor = page.getByRole('textbox', { name: 'Keras program' });
    await editor.focus();
    // Go to the longest line with the cursor (Monaco renders only the lines on screen, and measures only those), then
    // to its end: Monaco scrolls sideways if the end is out of view.
    await page.keyboard.press('ControlOrMeta+Home');
    for (let i = 1; i < ex.line; i++) await page.keyboard.press('ArrowDown');
    await page.keyboard.press('End');
    await expect(page.locator('.monaco-editor .view-lines')).toContainText(ex.text.trim().slice(0, 30).replace(/ /g, '\u00a0'));
    const measure = () => page.evaluate((want) => {
      const scrollable = document.querySelector('.monaco-editor .monaco-scrollable-element.editor-scrollable') as HTMLElement;
      const content = document.querySelector('.monaco-editor .lines-content') as HTMLElement;
      const view = [...document.querySelectorAll('.monaco-editor .view-line')].find((l) => l.textContent?.replace(/\u00a0/g, ' ') === want);
      const box = scrollable.getBoundingClientRect();
      const text = view?.firstElementChild?.getBoundingClientRect();
      return {
        found: Boolean(view),
        // Monaco's horizontal scroll: its scrolled offset and whether its content is wider than its viewport.
        scrollLeft: Math.abs(parseFloat(content.style.left || '0')),
        viewport: scrollable.clientWidth,
        slider: (document.querySelector('.monaco-editor .scrollbar.horizontal .slider') as HTMLElement | null)?.getBoundingClientRect().width ?? 0,
        track: (document.querySelector('.monaco-editor .scrollbar.horizontal') as HTMLElement | null)?.getBoundingClientRect().width ?? 0,
        textRight: text ? text.right : Infinity,
        viewRight: box.left + scrollable.clientWidth
      };
    }, ex.text);
    // Monaco renders and lays out on animation frames: measure once the line is drawn and the scrollbar settled.
    await expect.poll(async () => (await measure()).found, { message: `${ex.file}: line ${ex.line} is on screen` }).toBe(true);
    await expect
      .poll(async () => {
        const r = await measure();
        return r.scrollLeft === 0 && r.slider >= r.track - 1 && r.textRight <= r.viewRight;
      })
      .toBe(true)
      .catch(() => undefined);
    const m = await measure();
    await expect(select).toHaveValue(ex.file.replace(/\.py$/, ''));
    expect(m.scrollLeft, `${ex.file}: scrolled sideways`).toBe(0);
    // Monaco's horizontal scrollbar: a slider as wide as its track means nothing to scroll to.
    expect(m.slider, `${ex.file}: a horizontal scrollbar (slider ${m.slider} px of ${m.track} px)`).toBeGreaterThanOrEqual(m.track - 1);
    expect(m.textRight, `${ex.file}: the end of line ${ex.line} is visible`).toBeLessThanOrEqual(m.viewRight);
  }
});

test('1024×768: no panel is wider than the page', async ({ page }) => {
  await page.setViewportSize({ width: 1024, height: 768 });
  await openPlayground(page);
  for (const title of ['Spiral', 'Digits CNN', 'Char-GRU on Shakespeare', 'Sine regression', 'Tiny GPT on Shakespeare']) {
    await page.getByLabel('Example', { exact: true }).selectOption({ label: title });
    await expect(page.getByRole('heading', { name: 'Training' })).toBeVisible();
    const over = await page.evaluate(() => {
      const width = document.documentElement.clientWidth;
      const bad: string[] = [];
      if (document.documentElement.scrollWidth > width) bad.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px)`);
      for (const el of document.querySelectorAll<HTMLElement>('main > *, .panel')) {
        const r = el.getBoundingClientRect();
        if (r.width === 0) continue;
        const name = el.querySelector('h2')?.textContent ?? el.className;
        if (r.left < 0 || r.right > width + 0.5) bad.push(`${name}: ${Math.round(r.left)}–${Math.round(r.right)} px`);
        if (el.scrollWidth > el.clientWidth + 1) bad.push(`${name}: content ${el.scrollWidth} px in ${el.clientWidth} px`);
      }
      return bad;
    });
    expect(over, title).toEqual([]);
  }
  await page.screenshot({ path: '/tmp/shots-teach/page-1024x768.png', fullPage: true }).catch(() => undefined);
});
