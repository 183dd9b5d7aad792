import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { metric, openPlayground, runStatus, setCode } from './helpers';

const spiral = readFileSync(new URL('../../examples/spiral.py', import.meta.url), 'utf8');
const editorText = (page: Page) => page.locator('.monaco-editor .view-lines');
const nbsp = (s: string) => s.replace(/ /g, '\u00a0');
const sessionNotice = (page: Page) => page.getByRole('status', { name: 'Session' });
const sessionsButton = (page: Page) => page.getByRole('button', { name: /^Sessions/ });
const savedSessions = (page: Page) => page.getByRole('list', { name: 'Saved sessions' });

async function reloadKeepingStorage(page: Page) {
  await page.evaluate(() => sessionStorage.setItem('e2e-keep', '1'));
  await page.reload();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
}

async function epochOf(page: Page): Promise<number> {
  return Number(/epoch (\d+)/.exec((await runStatus(page).textContent()) ?? '')?.[1] ?? NaN);
}

test('a reload during training brings back the code, the data settings, the curves so far and the weights', async ({ page }) => {
  await openPlayground(page);
  await setCode(page, spiral.replace('epochs=100', 'epochs=5000').replace('model.compile(', '# kept across reloads\nmodel.compile('));
  await expect(page.getByText('No problems.')).toBeVisible();
  await page.getByLabel('Samples').fill('400');
  await page.getByLabel('Samples').press('Tab');
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText(/Training — epoch (1[2-9]|[2-9]\d|\d{3,}) of 5000/, { timeout: 60_000 });
  const before = await epochOf(page);
  const lossFirst = await metric(page, 'Loss', 'first');

  await reloadKeepingStorage(page);

  await expect(editorText(page)).toContainText(nbsp('# kept across reloads'), { timeout: 30_000 });
  await expect(editorText(page)).toContainText('epochs=5000');
  await expect(page.getByLabel('Samples')).toHaveValue('400');
  await expect(page.getByLabel('Backend', { exact: true })).toHaveValue('cpu');
  const notice = sessionNotice(page);
  await expect(notice).toContainText(/Restored: trained \d+ epochs before the page was reloaded/);
  const restored = Number(/trained (\d+) epochs/.exec((await notice.textContent()) ?? '')?.[1]);
  // Continue resumes exactly: the optimizer's state (Adam's moments and step count) was saved with the weights.
  await expect(notice).toContainText(/Press Continue to go on from epoch \d+ \(weights, Adam's state and step \d+, the same batches\)/);
  // Saved while it trains (batched every quarter second, and a spiral epoch takes ~30 ms here): the history kept is
  // the run so far, less the last fraction of a second.
  expect(restored).toBeGreaterThanOrEqual(Math.max(1, Math.floor(before / 2)));
  // The run does not go on by itself; the curves are there.
  await expect(runStatus(page)).toHaveText(`Stopped — epoch ${restored} of 5000`);
  await page.waitForTimeout(1000);
  await expect(runStatus(page)).toHaveText(`Stopped — epoch ${restored} of 5000`);
  await expect(page.getByRole('table', { name: 'Training metrics' })).toBeVisible();
  expect(await metric(page, 'Loss', 'first')).toBeCloseTo(lossFirst, 4);
  expect(await metric(page, 'Loss')).toBeLessThan(lossFirst);
  await expect(sessionsButton(page)).toHaveText('Sessions: Session 1');
  // The saved weights are the model again: the decision boundary of a trained epoch is drawn.
  await expect(page.getByRole('img', { name: /^Decision boundary over the data: .*, after epoch [1-9]\d*\./ })).toBeVisible({ timeout: 30_000 });

  // The saved weights continue the run: numbering goes on, and the loss starts where it was, not from scratch.
  const lossBefore = await metric(page, 'Loss');
  await notice.getByRole('button', { name: 'Continue' }).click();
  await expect(runStatus(page)).toContainText(/Training — epoch \d+ of 5000/, { timeout: 30_000 });
  await expect.poll(() => epochOf(page), { timeout: 30_000 }).toBeGreaterThan(restored + 2);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(runStatus(page)).toContainText('Stopped');
  expect(await metric(page, 'Loss', 'first')).toBeCloseTo(lossFirst, 4); // epoch 1 of the same run
  expect(await metric(page, 'Loss')).toBeLessThan(lossBefore * 1.5);
});

test('a share link opens the program and data settings in a fresh browser, and trains only on Train', async ({ page, browser }) => {
  await openPlayground(page);
  await setCode(page, spiral.replace('model.compile(', '# shared with a friend\nmodel.compile('));
  await page.getByLabel('Samples').fill('300');
  await page.getByLabel('Samples').press('Tab');
  await page.getByLabel('Data seed').fill('7');
  await page.getByLabel('Data seed').press('Tab');
  await page.getByLabel('Weight seed').fill('5');
  await page.getByLabel('Weight seed').press('Tab');
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');

  await page.getByRole('button', { name: 'Copy share link' }).click();
  const link = await page.getByRole('textbox', { name: 'Share link' }).inputValue();
  expect(link).toMatch(/#share=1\.[A-Za-z0-9_-]+$/);

  const friend = await browser.newContext();
  try {
    const p2 = await friend.newPage();
    await p2.goto(link);
    await expect(p2.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
    await expect(editorText(p2)).toContainText(nbsp('# shared with a friend'));
    await expect(p2.getByLabel('Samples')).toHaveValue('300');
    await expect(p2.getByLabel('Data seed')).toHaveValue('7');
    await expect(p2.getByLabel('Weight seed')).toHaveValue('5');
    await expect(p2.getByLabel('Backend', { exact: true })).toHaveValue('cpu');
    await expect(sessionNotice(p2)).toContainText('Opened a shared program as a new session');
    await expect(sessionNotice(p2)).toContainText('Nothing trains until you press Train');
    // Nothing trains by itself.
    await p2.waitForTimeout(1500);
    await expect(runStatus(p2)).toHaveText('Ready');
    await expect(p2.getByRole('table', { name: 'Training metrics' })).toHaveCount(0);
    expect(new URL(p2.url()).hash).toBe('');
    // Train works.
    await p2.getByRole('button', { name: 'Train', exact: true }).click();
    await expect(runStatus(p2)).toContainText(/Training — epoch [1-9]/, { timeout: 30_000 });
    await p2.getByRole('button', { name: 'Stop' }).click();
    await expect(runStatus(p2)).toContainText('Stopped');

    // A damaged link says so; the app still opens normally.
    const p3 = await friend.newPage();
    const cut = link.slice(0, link.length - 12);
    await p3.goto(cut);
    await expect(p3.getByRole('alert').filter({ hasText: 'This link is damaged' })).toBeVisible({ timeout: 30_000 });
    await expect(p3.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
    await expect(p3.getByRole('button', { name: 'Train', exact: true })).toBeEnabled();

    // So does a link from a newer version.
    const p4 = await friend.newPage();
    await p4.goto(link.replace('#share=1.', '#share=3.'));
    await expect(p4.getByRole('alert').filter({ hasText: 'This link was made by a newer version (v3)' })).toBeVisible({ timeout: 30_000 });
    await expect(p4.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
  } finally {
    await friend.close();
  }

  // Opening a link never replaces the user's own session: theirs is still there and still open here.
  await reloadKeepingStorage(page);
  await expect(editorText(page)).toContainText(nbsp('# shared with a friend'));
});

test('sessions can be made, opened, renamed and deleted', async ({ page }) => {
  await openPlayground(page);
  await setCode(page, spiral.replace('model.compile(', '# the first session\nmodel.compile('));
  await sessionsButton(page).click();
  await expect(savedSessions(page).getByRole('listitem')).toHaveCount(1);

  await page.getByRole('button', { name: 'New session' }).click();
  await expect(sessionsButton(page)).toHaveText('Sessions: Session 2');
  await expect(savedSessions(page).getByRole('listitem')).toHaveCount(2);
  await expect(editorText(page)).not.toContainText(nbsp('# the first session'));
  await setCode(page, spiral.replace('model.compile(', '# the second session\nmodel.compile('));

  await page.getByRole('button', { name: 'Rename Session 2' }).click();
  await page.getByLabel('Session name').fill('My second');
  await page.getByRole('button', { name: 'Save name' }).click();
  await expect(savedSessions(page).getByRole('button', { name: 'Open My second' })).toBeVisible();
  await expect(sessionsButton(page)).toHaveText('Sessions: My second');

  // Open the first one: its own code comes back.
  await savedSessions(page).getByRole('button', { name: 'Open Session 1' }).click();
  await expect(editorText(page)).toContainText(nbsp('# the first session'));
  await expect(sessionsButton(page)).toHaveText('Sessions: Session 1');

  // Everything is still there after a reload.
  await reloadKeepingStorage(page);
  await expect(editorText(page)).toContainText(nbsp('# the first session'), { timeout: 30_000 });
  await sessionsButton(page).click();
  await expect(savedSessions(page).getByRole('listitem')).toHaveCount(2);

  // Delete asks first; "Keep it" keeps it.
  await page.getByRole('button', { name: 'Delete My second' }).click();
  await page.getByRole('button', { name: 'Keep it' }).click();
  await expect(savedSessions(page).getByRole('listitem')).toHaveCount(2);
  await page.getByRole('button', { name: 'Delete My second' }).click();
  await expect(savedSessions(page)).toContainText('Delete “My second”');
  await page.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(savedSessions(page).getByRole('listitem')).toHaveCount(1);
  await expect(savedSessions(page).getByRole('button', { name: 'Open My second' })).toHaveCount(0);
  await reloadKeepingStorage(page);
  await sessionsButton(page).click();
  await expect(savedSessions(page).getByRole('listitem')).toHaveCount(1);
  await expect(editorText(page)).toContainText(nbsp('# the first session'));
});

test('without storage (private mode) the app says so and keeps working in memory', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(window, 'indexedDB', {
      configurable: true,
      get: () => ({
        open() {
          throw new DOMException('The user denied permission to access the database.', 'SecurityError');
        },
        deleteDatabase() {
          return {};
        }
      })
    });
  });
  await openPlayground(page);
  await expect(page.getByRole('alert').filter({ hasText: "Your work can't be saved in this browser" })).toContainText(
    'it stays while this tab is open'
  );
  await setCode(page, spiral.replace('epochs=100', 'epochs=3'));
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText('Completed — epoch 3 of 3', { timeout: 60_000 });
  // Sessions still work in memory.
  await sessionsButton(page).click();
  await page.getByRole('button', { name: 'New session' }).click();
  await expect(savedSessions(page).getByRole('listitem')).toHaveCount(2);
  await savedSessions(page).getByRole('button', { name: 'Open Session 1' }).click();
  await expect(editorText(page)).toContainText('epochs=3');
  await expect(runStatus(page)).toHaveText('Completed — epoch 3 of 3');
});

test('an edit made just before a reload is not lost', async ({ page }) => {
  await openPlayground(page);
  await setCode(page, spiral.replace('model.compile(', '# typed a moment ago\nmodel.compile('));
  await reloadKeepingStorage(page); // at once: the save on page hide must land
  await expect(editorText(page)).toContainText(nbsp('# typed a moment ago'), { timeout: 30_000 });
});

test('an uploaded CSV is kept with the session, and the share link says it is not included', async ({ page }) => {
  await openPlayground(page);
  await page.getByLabel('Dataset', { exact: true }).selectOption('csv');
  const rows = Array.from({ length: 40 }, (_, i) => `${(i / 10).toFixed(1)},${((i * 7) % 11) / 10},${i % 2 ? 'odd' : 'even'}`);
  await page.getByLabel('CSV file', { exact: true }).setInputFiles({ name: 'mine.csv', mimeType: 'text/csv', buffer: Buffer.from(['a,b,label', ...rows].join('\n')) });
  await expect(page.getByText(/x_train: \(\d+, 2\)/)).toBeVisible();
  const shape = await page.getByText(/x_train: \(\d+, 2\)/).textContent();

  await reloadKeepingStorage(page);
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('csv');
  await expect(page.getByText(/x_train: \(\d+, 2\)/)).toHaveText(shape!);

  await page.getByRole('button', { name: 'Copy share link' }).click();
  await expect(page.getByRole('status', { name: 'Share link status' })).toContainText('The uploaded data (“mine.csv”) is not included in the link');
});
