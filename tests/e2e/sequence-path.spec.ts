import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { backendInUse, maxDiff, openPlayground, runStatus, setCode } from './helpers';

/**
 * A new user's path through a sequence model on TF.js' WASM backend: open the char-GRU example (it picks the
 * shakespeare data), shorten the windows, train, read the generated text, inspect the GRU's hidden state, export the
 * model to ONNX and run it in ONNX Runtime with the difference from TF.js shown.
 */
const charGru = readFileSync(new URL('../../examples/char_gru_shakespeare.py', import.meta.url), 'utf8');

test('shakespeare on WASM: the char-GRU example trains, writes text, shows its hidden state, exports to ONNX and runs in ONNX Runtime', async ({ page }) => {
  test.setTimeout(420_000);
  await openPlayground(page);
  await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Char-GRU on Shakespeare' });
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('shakespeare');
  await expect(page.getByLabel('Vocabulary size')).toContainText('65', { timeout: 60_000 });
  // Shorter windows and fewer of them, so one epoch takes seconds, not minutes.
  for (const [label, value] of [['Sequence length', '16'], ['Samples', '320']]) {
    await page.getByLabel(label).fill(value);
    await page.getByLabel(label).press('Tab');
  }
  await setCode(page, charGru.replace(/epochs=\d+/, 'epochs=2').replace(/layers\.GRU\(128/, 'layers.GRU(32'));
  await expect(page.getByText('No problems.')).toBeVisible();
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText('Completed — epoch 2 of 2', { timeout: 300_000 });
  await expect(backendInUse(page)).toContainText(/wasm/i);

  // Text generated after each epoch, in the worker, from the prompt.
  const samples = page.getByRole('list', { name: 'Generated samples' });
  await expect(samples.getByRole('listitem')).toHaveCount(2);
  await expect(samples.getByRole('listitem').first()).toContainText('After epoch 2');
  expect((await samples.getByRole('listitem').first().locator('pre').textContent())!.length).toBeGreaterThan(40);

  // The GRU's hidden state over the prompt: 32 units × 16 steps.
  await page.getByRole('button', { name: 'Inspect the prompt' }).click();
  await expect(page.getByRole('img', { name: /^gru \(GRU\) hidden state h over time: 32 units \(rows\) × 16 steps/ })).toBeVisible({ timeout: 60_000 });

  // Export to ONNX and run it in ONNX Runtime: the same probabilities as TF.js, to float32 precision.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export ONNX' }).click();
  expect((await download).suggestedFilename()).toBe('model.onnx');
  await page.getByLabel('ONNX Runtime provider', { exact: true }).selectOption('wasm');
  await page.getByRole('button', { name: 'Run in ONNX Runtime' }).click();
  const variants = page.getByRole('table', { name: 'ONNX variants' });
  await expect(variants.getByRole('row', { name: /^float32/ }).getByRole('cell').nth(3)).toHaveText(/\d/, { timeout: 120_000 });
  const d32 = await maxDiff(page, /^float32/);
  console.log(`char-GRU (GRU 32, 16 steps) exported: max |ORT wasm − TF.js| = ${d32}`);
  expect(d32).toBeLessThanOrEqual(1e-4);
});
