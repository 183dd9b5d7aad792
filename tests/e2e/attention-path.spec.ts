import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { maxDiff, openPlayground, runStatus, setCode } from './helpers';

/**
 * A new user's path through a transformer on TF.js' WASM backend: write the tiny GPT (the example, made smaller so an
 * epoch takes seconds), see its attention maps on the initial weights, train, watch a map change, read the generated
 * text, export the model to ONNX and run it in ONNX Runtime with the difference from TF.js shown.
 */
const tinyGpt = readFileSync(new URL('../../examples/tiny_gpt_shakespeare.py', import.meta.url), 'utf8');

test('shakespeare on WASM: a tiny GPT written in Keras trains, its attention maps change, it writes text and runs in ONNX Runtime', async ({ page }) => {
  test.setTimeout(480_000);
  await openPlayground(page);
  await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Tiny GPT on Shakespeare' });
  await expect(page.getByLabel('Dataset', { exact: true })).toHaveValue('shakespeare');
  await expect(page.getByLabel('Vocabulary size')).toContainText('65', { timeout: 60_000 });
  for (const [label, value] of [['Sequence length', '16'], ['Samples', '320']]) {
    await page.getByLabel(label).fill(value);
    await page.getByLabel(label).press('Tab');
  }
  // The learner's own (smaller) GPT: d_model 32, 2 heads, 2 blocks.
  await setCode(page, tinyGpt.replace(/epochs=\d+/, 'epochs=2').replace('d_model = 64', 'd_model = 32').replace('n_heads = 4', 'n_heads = 2'));
  await expect(page.getByText('No problems.')).toBeVisible();

  // Attention maps of the initial weights: every layer × head, causal.
  const maps = page.getByRole('table', { name: 'Attention maps' });
  await expect(maps).toBeVisible({ timeout: 60_000 });
  await expect(maps.getByRole('columnheader', { name: 'Head 2' })).toBeVisible();
  const first = maps.getByRole('img', { name: /^Attention of multi_head_attention, head 1:/ });
  await expect(first).toBeVisible({ timeout: 60_000 });
  await expect(maps.getByRole('img')).toHaveCount(4);
  const before = await first.getAttribute('aria-label');

  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText('Completed — epoch 2 of 2', { timeout: 360_000 });

  // The map after training is not the one before (the weights under the pointer moved).
  await expect(maps.locator('caption')).toContainText('after epoch 2', { timeout: 60_000 });
  const after = await first.getAttribute('aria-label');
  console.log(`attention map before: ${before}\nafter: ${after}`);
  expect(after).not.toBe(before);

  // Text generated after each epoch, in the worker, from the prompt.
  const samples = page.getByRole('list', { name: 'Generated samples' });
  await expect(samples.getByRole('listitem')).toHaveCount(2);
  expect((await samples.getByRole('listitem').first().locator('pre').textContent())!.length).toBeGreaterThan(20);

  // Export to ONNX and run it in ONNX Runtime: the same probabilities as TF.js, to float32 precision.
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export ONNX' }).click();
  expect((await download).suggestedFilename()).toBe('model.onnx');
  await page.getByLabel('ONNX Runtime provider', { exact: true }).selectOption('wasm');
  await page.getByRole('button', { name: 'Run in ONNX Runtime' }).click();
  const variants = page.getByRole('table', { name: 'ONNX variants' });
  await expect(variants.getByRole('row', { name: /^float32/ }).getByRole('cell').nth(3)).toHaveText(/\d/, { timeout: 120_000 });
  const d32 = await maxDiff(page, /^float32/);
  console.log(`tiny GPT exported: max |ORT wasm − TF.js| = ${d32}`);
  expect(d32).toBeLessThanOrEqual(1e-4);
});
