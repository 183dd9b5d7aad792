import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { openPlayground, setCode } from './helpers';

/** One session open in two tabs of the same browser: only one of them saves it, and nothing is lost silently. */

const spiral = readFileSync(new URL('../../examples/spiral.py', import.meta.url), 'utf8');
const editorText = (page: Page) => page.locator('.monaco-editor .view-lines');
const nbsp = (s: string) => s.replace(/ /g, '\u00a0');
const otherTabs = (page: Page) => page.getByRole('alert', { name: 'Other tabs' });
const sessionNotice = (page: Page) => page.getByRole('status', { name: 'Session' });

async function openSecondTab(page: Page): Promise<Page> {
  const second = await page.context().newPage();
  await second.goto('/');
  await expect(second.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
  return second;
}

async function reload(page: Page) {
  await page.evaluate(() => sessionStorage.setItem('e2e-keep', '1'));
  await page.reload();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
}

test('a session open in two tabs: the second tab says so, and its edits go to a copy instead of being lost', async ({ page }) => {
  await openPlayground(page);
  await setCode(page, spiral.replace('model.compile(', '# line from tab one\nmodel.compile('));
  await page.waitForTimeout(800); // saved (debounced)
  await expect(otherTabs(page)).toHaveCount(0);

  const second = await openSecondTab(page);
  await expect(editorText(second)).toContainText(nbsp('# line from tab one'));
  await expect(otherTabs(second)).toContainText('This session is open in another tab');
  await setCode(second, spiral.replace('model.compile(', '# line from tab two\nmodel.compile('));
  await expect(otherTabs(second)).toContainText('not saved: work on a copy to keep them');

  // The first tab reloads: it has its own line, and the second tab's edit has not overwritten it.
  await reload(page);
  await expect(editorText(page)).toContainText(nbsp('# line from tab one'));
  await expect(otherTabs(page)).toHaveCount(0);

  await second.getByRole('button', { name: 'Work on a copy' }).click();
  await expect(sessionNotice(second)).toContainText('Working on a copy, “Session 1 (copy)”');
  await expect(otherTabs(second)).toHaveCount(0);
  await expect(second.getByRole('button', { name: /^Sessions/ })).toHaveText('Sessions: Session 1 (copy)');
  await second.waitForTimeout(800);

  // Both lines are kept, each in its own session, across reloads of both tabs.
  await reload(second);
  await expect(editorText(second)).toContainText(nbsp('# line from tab two'));
  await expect(otherTabs(second)).toHaveCount(0);
  await reload(page);
  await expect(editorText(page)).toContainText(nbsp('# line from tab one'));
  await expect(otherTabs(page)).toHaveCount(0);
});

test('taking a session over makes the first tab read-only, and it says so', async ({ page }) => {
  await openPlayground(page);
  await setCode(page, spiral.replace('model.compile(', '# first version\nmodel.compile('));
  await page.waitForTimeout(800);
  const second = await openSecondTab(page);
  await second.getByRole('button', { name: 'Open read-only' }).click();
  await expect(otherTabs(second)).toContainText('Read-only');
  // A read-only tab follows what the owner saves.
  await setCode(page, spiral.replace('model.compile(', '# second version\nmodel.compile('));
  await expect(editorText(second)).toContainText(nbsp('# second version'), { timeout: 10_000 });
  await expect(otherTabs(second)).not.toContainText('not saved');

  await second.getByRole('button', { name: 'Take over in this tab' }).click();
  await expect(sessionNotice(second)).toContainText('This tab now saves “Session 1”; the other tab is read-only.');
  await expect(otherTabs(second)).toHaveCount(0);
  await expect(editorText(second)).toContainText(nbsp('# second version'));
  await expect(otherTabs(page)).toContainText('Another tab took over this session: this tab is now read-only');

  // An edit in the first tab now is not saved, and the tab says so; the second tab's edit is.
  await setCode(page, spiral.replace('model.compile(', '# edit in the old tab\nmodel.compile('));
  await expect(otherTabs(page)).toContainText('not saved: work on a copy to keep them');
  await setCode(second, spiral.replace('model.compile(', '# edit in the new owner\nmodel.compile('));
  await second.waitForTimeout(800);
  await reload(second);
  await expect(editorText(second)).toContainText(nbsp('# edit in the new owner'));
  await expect(editorText(second)).not.toContainText(nbsp('# edit in the old tab'));

  // The old tab can still keep its edit, as a copy.
  await page.getByRole('button', { name: 'Work on a copy' }).click();
  await expect(sessionNotice(page)).toContainText('Working on a copy');
  await expect(editorText(page)).toContainText(nbsp('# edit in the old tab'));
});

test('without Web Locks the tabs still find each other (by messages) and say so', async ({ page, context }) => {
  await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true }));
  await openPlayground(page);
  await expect(otherTabs(page)).toContainText('This browser has no Web Locks: tabs check with each other by messages');
  await setCode(page, spiral.replace('model.compile(', '# no locks here\nmodel.compile('));
  await page.waitForTimeout(800);
  const second = await openSecondTab(page);
  await expect(otherTabs(second)).toContainText('This session is open in another tab');
  await second.getByRole('button', { name: 'Take over in this tab' }).click();
  await expect(otherTabs(page)).toContainText('Another tab took over this session');
  await expect(editorText(second)).toContainText(nbsp('# no locks here'));
});

test('when the tab that saves a session closes, the read-only tab takes it over and saves it', async ({ page }) => {
  await openPlayground(page);
  await setCode(page, spiral.replace('model.compile(', '# from the first tab\nmodel.compile('));
  await page.waitForTimeout(800);
  const second = await openSecondTab(page);
  await second.getByRole('button', { name: 'Open read-only' }).click();
  await expect(otherTabs(second)).toContainText('Read-only');

  await page.close(); // the owner goes away (the browser frees its lock)
  // After a short grace time (an owner that only reloads takes its session back meanwhile).
  await expect(sessionNotice(second)).toContainText('The other tab closed: this tab now saves “Session 1”.', { timeout: 30_000 });
  await expect(otherTabs(second)).toHaveCount(0);
  await expect(editorText(second)).toContainText(nbsp('# from the first tab'));

  // Its edits are saved now: they survive a reload.
  await setCode(second, spiral.replace('model.compile(', '# saved by the second tab\nmodel.compile('));
  await second.waitForTimeout(800);
  await reload(second);
  await expect(editorText(second)).toContainText(nbsp('# saved by the second tab'));
  await expect(otherTabs(second)).toHaveCount(0);
});
