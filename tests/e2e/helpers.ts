import { expect, type Page } from '@playwright/test';

/**
 * Opens the playground fresh (no saved session: localStorage and the sessions' IndexedDB are cleared before the
 * app starts, unless sessionStorage has 'e2e-keep') and waits for Monaco to replace the plain text box.
 */
export async function openPlayground(page: Page) {
  await page.addInitScript(() => {
    if (!sessionStorage.getItem('e2e-keep')) {
      localStorage.clear();
      // Queued before the app's own open request, so the app always finds an empty database.
      indexedDB.deleteDatabase('nn-playground');
    }
  });
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'Model code' })).toBeVisible();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
}

/**
 * Replaces the whole program as a user would: select all and paste. (Typing newlines would let the editor
 * auto-indent each line, as it does for a person typing.)
 */
export async function setCode(page: Page, code: string) {
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.evaluate((text) => navigator.clipboard.writeText(text), code);
  const editor = page.getByRole('textbox', { name: 'Keras program' });
  await editor.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('ControlOrMeta+V');
  // Back to the top: after a paste the editor shows the end, and a long program's first line is not rendered.
  await page.keyboard.press('ControlOrMeta+Home');
  await expect(page.locator('.monaco-editor .view-lines')).toContainText(code.split('\n').find((l) => l.trim())!.trim().replace(/ /g, '\u00a0'));
}

/** Reads the "Latest" (or "Epoch 1") column of a row of the training-metrics table. */
export async function metric(page: Page, name: string, column: 'first' | 'latest' = 'latest'): Promise<number> {
  const row = page.getByRole('table', { name: 'Training metrics' }).getByRole('row', { name: new RegExp(`^${name}\\b`) });
  const text = await row.getByRole('cell').nth(column === 'first' ? 0 : 1).textContent();
  return Number.parseFloat(text ?? 'NaN');
}

/** Starts recording main-thread long tasks; read them with `longTasks(page)`. */
export async function recordLongTasks(page: Page) {
  await page.evaluate(() => {
    const w = window as unknown as { __longTasks: number[] };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push(e.duration);
    }).observe({ type: 'longtask' });
  });
}

export async function longTasks(page: Page): Promise<number[]> {
  return page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks);
}

export const runStatus = (page: Page) => page.getByRole('status', { name: 'Run status' });
export const backendInUse = (page: Page) => page.getByRole('status', { name: 'Backend in use' });

/** The "Max |ORT − TF.js|" cell of an ONNX variant's row in the ONNX panel. */
export async function maxDiff(page: Page, variant: RegExp): Promise<number> {
  const row = page.getByRole('table', { name: 'ONNX variants' }).getByRole('row', { name: variant });
  return Number.parseFloat((await row.getByRole('cell').nth(3).textContent()) ?? 'NaN');
}

/**
 * After a fault, the page still works: the editor takes typing and the Problems list follows it; then `program` is
 * back in the editor with no problems.
 */
export async function pageStillWorks(page: Page, program: string) {
  const editor = page.getByRole('textbox', { name: 'Keras program' });
  await editor.focus();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.type('\nlayers.Bogus(3)\n');
  await expect(page.getByRole('list', { name: 'Problems' })).toContainText('Bogus', { timeout: 15_000 });
  await setCode(page, program);
  await expect(page.getByText('No problems.')).toBeVisible({ timeout: 15_000 });
}
