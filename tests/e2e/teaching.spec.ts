import { expect, test, type Page } from '@playwright/test';
import { openPlayground, runStatus } from './helpers';

/** Teaching mode (issue 14): Step, the live learning rate, the keyboard shortcuts and presenter mode, on the spiral example. */

const boundary = (page: Page) => page.getByRole('img', { name: /^Decision boundary over the data/ });
const stepButton = (page: Page) => page.getByRole('button', { name: 'Step', exact: true });

test('Step runs one batch, then one epoch, and every picture follows', async ({ page }) => {
  await openPlayground(page);
  await expect(page.getByLabel('Step by')).toHaveValue('batch');
  await stepButton(page).click();
  // 480 training rows in batches of 32: 15 batches an epoch. The run stops after the first.
  await expect(runStatus(page)).toHaveText(/^Paused — epoch 0 of 100, batch 1 of 15$/, { timeout: 60_000 });
  await expect(boundary(page)).toHaveAccessibleName(/in epoch 1 after batch 1\./);
  await expect(page.getByText(/^After epoch 1, batch 1\. Weights in blue, gradients in orange/)).toBeVisible();

  await stepButton(page).click();
  await expect(runStatus(page)).toHaveText(/batch 2 of 15$/);
  await expect(boundary(page)).toHaveAccessibleName(/in epoch 1 after batch 2\./);
  await expect(page.getByText(/^After epoch 1, batch 2\./)).toBeVisible();

  // By epoch: to the end of this epoch (its metrics, validation and pictures), then the next whole one.
  await page.getByLabel('Step by').selectOption('epoch');
  await stepButton(page).click();
  await expect(runStatus(page)).toHaveText(/^Paused — epoch 1 of 100$/);
  await expect(boundary(page)).toHaveAccessibleName(/after epoch 1\./);
  const metrics = page.getByRole('table', { name: 'Training metrics' });
  await expect(metrics.getByRole('row', { name: /^Validation loss/ })).toBeVisible();
  await stepButton(page).click();
  await expect(runStatus(page)).toHaveText(/^Paused — epoch 2 of 100$/);
  await expect(boundary(page)).toHaveAccessibleName(/after epoch 2\./);
  await expect(page.getByText(/^After epoch 2, batch 15\./)).toBeVisible();
  // Resume plays on from there.
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(runStatus(page)).toHaveText(/^Training/);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(runStatus(page)).toHaveText(/^Stopped/);
});

test('the learning rate shows the program\'s, stays enabled while training and applies from the next batch', async ({ page }) => {
  await openPlayground(page);
  const lr = page.getByLabel('Learning rate');
  await expect(lr).toHaveValue('0.01'); // spiral.py: Adam(learning_rate=0.01)
  await lr.fill('-1');
  await lr.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'is not a learning rate' })).toBeVisible();
  await lr.fill('0.01');
  await lr.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: 'is not a learning rate' })).toHaveCount(0);

  // TF.js' CPU backend carries a NaN through (WASM's fused relu clamps it to 0, so the loss stays finite there).
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');
  await stepButton(page).click();
  await expect(runStatus(page)).toHaveText(/^Paused — epoch 0 of 100, batch 1 of 15$/, { timeout: 60_000 });
  await expect(lr).toBeEnabled();
  // A rate far too high: if it reaches the optimizer, the next steps blow the weights up and the loss becomes NaN.
  await lr.fill('1e30');
  await lr.press('Enter');
  await expect(page.getByRole('status', { name: 'Rate in use' })).toContainText('Training at learning rate 1e+30 (the program says 0.01)');
  await stepButton(page).click();
  await expect(runStatus(page)).toHaveText(/^Paused — epoch 0 of 100, batch 2 of 15$/);
  await expect(lr).toHaveValue('1e+30');
  // Played on at that rate, the run cannot last its 100 epochs.
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(runStatus(page)).toHaveText(/^Diverged/, { timeout: 60_000 });
  // The message names the rate in use, not the program's.
  await expect(page.getByRole('alert').filter({ hasText: 'The loss became' })).toContainText('the learning rate (1e+30) is probably too high');
});

test('keyboard: ? shows the shortcuts, → steps, Space plays and pauses, r resets; keys in the editor or a field are left alone', async ({ page }) => {
  await openPlayground(page);
  await page.getByRole('heading', { name: 'Training' }).click(); // focus on the page, not on a control
  await page.keyboard.press('?');
  const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
  await expect(dialog).toBeVisible();
  await expect(dialog).toContainText('Space');
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  // The "?" button opens it too; Close closes it.
  await page.getByRole('button', { name: /^Keyboard shortcuts/ }).click();
  await expect(dialog).toBeVisible();
  await dialog.getByRole('button', { name: 'Close' }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole('heading', { name: 'Training' }).click();

  await page.keyboard.press('ArrowRight');
  await expect(runStatus(page)).toHaveText(/^Paused — epoch 0 of 100, batch 1 of 15$/, { timeout: 60_000 });
  await page.keyboard.press('ArrowRight');
  await expect(runStatus(page)).toHaveText(/batch 2 of 15$/);

  // In the editor, → moves the cursor and Space types: no step, no play.
  await page.locator('.monaco-editor .view-line').first().click();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('r');
  await page.keyboard.press('Backspace');
  // In a field too.
  await page.getByLabel('Learning rate').focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('r');
  await expect(runStatus(page)).toHaveText(/^Paused — epoch 0 of 100, batch 2 of 15$/);

  await page.getByRole('heading', { name: 'Training' }).click();
  await page.keyboard.press('Space');
  await expect(runStatus(page)).toHaveText(/^Training/);
  await page.keyboard.press('Space');
  await expect(runStatus(page)).toHaveText(/^Paused/);
  // A button clicked with the mouse (Step) keeps focus; Space still plays.
  const before = await runStatus(page).textContent();
  await stepButton(page).click();
  await expect(runStatus(page)).not.toHaveText(before!);
  await expect(runStatus(page)).toHaveText(/^Paused/);
  await page.keyboard.press('Space');
  await expect(runStatus(page)).toHaveText(/^Training/);
  await page.keyboard.press('r');
  await expect(runStatus(page)).toHaveText(/^Ready$/);
  await expect(boundary(page)).toHaveAccessibleName(/not trained yet/);
});

test('presenter mode: large type, only the data picture and training, one 1280×720 screen', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openPlayground(page);
  const toggle = page.getByRole('button', { name: 'Presenter mode' });
  await expect(toggle).toHaveAttribute('aria-pressed', 'false');
  const normal = await runStatus(page).evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  await toggle.click();
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await expect(page.getByRole('heading', { name: 'Model code' })).toBeHidden();
  await expect(page.getByRole('heading', { name: 'Eager vs compiled' })).toBeHidden();
  await expect(page.getByLabel('Backend', { exact: true })).toBeHidden();
  const big = await runStatus(page).evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
  expect(big).toBeGreaterThanOrEqual(normal * 1.3);

  await stepButton(page).click();
  await expect(runStatus(page)).toHaveText(/^Paused/, { timeout: 60_000 });
  await page.getByLabel('Step by').selectOption('epoch');
  await stepButton(page).click();
  await expect(runStatus(page)).toHaveText(/^Paused — epoch 1 of 100$/);
  // Everything in use is on the screen: no scrolling either way.
  const size = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, h: document.documentElement.scrollHeight }));
  expect(size.w).toBeLessThanOrEqual(1280);
  expect(size.h).toBeLessThanOrEqual(720);
  for (const el of [boundary(page), page.getByRole('img', { name: /^Loss/ }), stepButton(page), page.getByLabel('Learning rate'), runStatus(page)]) {
    await expect(el).toBeInViewport({ ratio: 1 });
  }
  await page.screenshot({ path: '/tmp/shots-teach/presenter-1280x720.png' }).catch(() => undefined);
  await toggle.click();
  await expect(page.getByRole('heading', { name: 'Model code' })).toBeVisible();
});
