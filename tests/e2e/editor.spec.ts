import { expect, test, type Page } from '@playwright/test';
import { openPlayground } from './helpers';

/** Monaco renders spaces as no-break spaces; match either. */
const spaced = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '[\\s\\u00a0]'));

const line = (page: Page, text: string) => page.locator('.monaco-editor .view-line').filter({ hasText: spaced(text) });

test('the editor completes layers and arguments, shows signatures and documents layers on hover', async ({ page }) => {
  await openPlayground(page);
  const editor = page.locator('.monaco-editor');
  await expect(editor).toContainText('layers.Dense(16, activation="relu")');

  // End of the first Dense line inside the Sequential list, then a new line.
  await line(page, 'layers.Dense(16, activation="relu"),').first().click();
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.type('layers.');

  // The suggest widget lists the registry's layers; pick Conv2D.
  const conv = page.getByRole('option', { name: /Conv2D/ });
  await expect(conv).toBeVisible();
  await expect(page.getByRole('option', { name: /Dropout/ })).toBeVisible();
  await conv.click();
  // The snippet's placeholders: filters (selected), then kernel_size.
  await expect(line(page, 'layers.Conv2D(filters, kernel_size)')).toHaveCount(1);
  await page.keyboard.type('8');
  await page.keyboard.press('Tab');
  await page.keyboard.type('3');
  await expect(line(page, 'layers.Conv2D(8, 3)')).toHaveCount(1);

  // Inside the call: signature help with the argument being written, and keyword completions.
  await page.keyboard.type(', ');
  const hints = page.locator('.parameter-hints-widget');
  await expect(hints).toBeVisible();
  await expect(hints).toContainText('Conv2D(filters, kernel_size, strides=(1, 1), padding="valid"');
  await expect(hints.locator('.parameter.active')).toHaveText('strides=(1, 1)');
  const padding = page.getByRole('option', { name: /^padding=/ });
  await expect(padding).toBeVisible();
  await expect(page.getByRole('option', { name: /^filters=/ })).toHaveCount(0); // given positionally
  await padding.click();
  // padding="" is inserted and the allowed values are offered at once.
  const same = page.getByRole('option', { name: /^same/ });
  await expect(same).toBeVisible();
  await expect(page.getByRole('option', { name: /^valid/ })).toBeVisible();
  await same.click();
  await expect(line(page, 'layers.Conv2D(8, 3, padding="same")')).toHaveCount(1);
  await page.keyboard.press('Escape');

  // Hovering a layer name shows its documentation from the registry.
  // Tokens share spans (`layers.Dense`), so aim at the characters of "Dense" inside its span (monospace font).
  const span = page.locator('.monaco-editor .view-line span span', { hasText: /Dense$/ }).first();
  const spanText = (await span.textContent()) ?? '';
  const box = (await span.boundingBox())!;
  const charWidth = box.width / spanText.length;
  await span.hover({ position: { x: charWidth * (spanText.indexOf('Dense') + 2.5), y: box.height / 2 } });
  const tooltip = page.locator('.monaco-hover').filter({ hasText: 'Densely-connected' });
  await expect(tooltip).toBeVisible();
  await expect(tooltip).toContainText('units');
  await expect(tooltip).toContainText('activation=None');
});
