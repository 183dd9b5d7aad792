import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { openPlayground, runStatus, setCode } from './helpers';

const example = (id: string) => readFileSync(new URL(`../../examples/${id}.py`, import.meta.url), 'utf8');

test('the example menu opens a program with its data, and the user’s own program is never lost', async ({ page }) => {
  await openPlayground(page);
  await setCode(page, example('spiral').replace('layers.Dense(16, activation="relu"),\n    layers.Dense(3', 'layers.Dense(24, activation="relu"),\n    layers.Dense(3'));
  await expect(page.getByRole('table', { name: 'Model summary' }).getByRole('row', { name: /^Total params/ })).toContainText('531');

  await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Residual MLP' });
  await expect(page.locator('.monaco-editor')).toContainText('keras.Model(');
  await expect(page.getByRole('img', { name: /^Model graph: / })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Model summary' }).getByRole('row', { name: /^add \(Add\)/ })).toBeVisible();

  await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Back to your program' });
  await expect(page.locator('.monaco-editor')).toContainText('layers.Dense(24, activation="relu")');
  await expect(page.getByRole('table', { name: 'Model summary' }).getByRole('row', { name: /^Total params/ })).toContainText('531');
  // Still there after a reload (the helper clears storage on each load unless told to keep it).
  await page.evaluate(() => sessionStorage.setItem('e2e-keep', '1'));
  await page.reload();
  await expect(page.locator('.monaco-editor')).toContainText('layers.Dense(24, activation="relu")', { timeout: 30_000 });
});

test('sine regression trains and draws the fitted curve', async ({ page }) => {
  await openPlayground(page);
  await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Sine regression' });
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('sine');
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText('Completed', { timeout: 120_000 });
  await expect(page.getByRole('img', { name: /fitted curve after epoch \d+/ })).toBeVisible();
  const row = page.getByRole('table', { name: 'Training metrics' }).getByRole('row', { name: /^Loss\b/ });
  const [first, last] = (await row.getByRole('cell').allTextContents()).map(Number.parseFloat);
  expect(last).toBeLessThan(first / 2);
});

test('the digits load from the app’s own data file; a CNN trains on WASM, an MLP trains', async ({ page }) => {
  await openPlayground(page);
  await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Digits CNN' });
  await expect(page.getByText(/x_train: \(12000, 28, 28, 1\), 10 classes/)).toBeVisible({ timeout: 30_000 });
  await expect(page.getByRole('img', { name: /^The first 32 training images/ })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Model summary' }).getByRole('row', { name: /^conv2d \(Conv2D\)/ })).toBeVisible();
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  // WASM has no Conv2DBackpropFilter of its own: the app registers one (src/lib/engines/tfjs/kernels.ts), so it trains.
  await expect(runStatus(page)).toContainText(/Training — epoch \d+ of 5, batch (1\d|[2-9]\d|\d{3}) of 169/, { timeout: 60_000 });
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(runStatus(page)).toContainText('Stopped', { timeout: 30_000 });
  await expect(page.getByRole('alert').filter({ hasText: /cannot train/ })).toHaveCount(0);

  await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Digits MLP' });
  await setCode(page, example('digits_mlp').replace(/epochs=\d+/, 'epochs=2'));
  await expect(page.getByText('No problems.')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText('Completed — epoch 2 of 2', { timeout: 120_000 });
  const row = page.getByRole('table', { name: 'Training metrics' }).getByRole('row', { name: /^Validation accuracy\b/ });
  expect(Number.parseFloat((await row.getByRole('cell').last().textContent()) ?? '0')).toBeGreaterThan(0.85);
});

test('exports a Keras script and a TF.js model', async ({ page }) => {
  await openPlayground(page);
  const [py] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Keras script (.py)' }).click()]);
  expect(py.suggestedFilename()).toBe('model.py');
  const script = readFileSync((await py.path())!, 'utf8');
  expect(script).toContain('import numpy as np');
  expect(script).toContain('keras.Sequential([');
  expect(script).toContain('model.fit(x_train, y_train');

  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'TF.js model' }).click()]);
  expect(zip.suggestedFilename()).toBe('model-tfjs.zip');
  const bytes = readFileSync((await zip.path())!);
  expect(bytes.subarray(0, 2).toString()).toBe('PK');
  expect(bytes.includes(Buffer.from('model.json'))).toBe(true);
  await expect(page.getByRole('status', { name: 'Export' })).toContainText('initial weights of seed 1');
});
