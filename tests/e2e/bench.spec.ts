import { expect, test } from '@playwright/test';

test('/bench runs one cell chosen with its controls and shows a row with a number', async ({ page }) => {
  test.setTimeout(30_000);
  await page.goto('/bench');
  await expect(page.getByRole('heading', { name: 'Race your backends' })).toBeVisible();
  await expect(page.getByLabel('Device')).toContainText(/logical cores/);

  // Only Tiny MLP × TF.js CPU × inference at batch 1.
  const setOnly = async (group: string, keep: string) => {
    const boxes = page.getByRole('group', { name: group }).getByRole('checkbox');
    for (let i = 0; i < (await boxes.count()); i++) {
      const box = boxes.nth(i);
      const label = (await box.locator('xpath=..').textContent())?.trim();
      await box.setChecked(label === keep);
    }
  };
  await setOnly('Models', 'Tiny MLP');
  await setOnly('Engines and backends', 'TF.js CPU');
  await setOnly('Modes', 'Inference, batch 1');
  await page.getByLabel('Quick (fewer repeats)').check();

  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Benchmark status' })).toContainText('Done: 1 cell in', { timeout: 15_000 });

  const rows = page.getByRole('table', { name: 'Benchmark results' }).getByRole('row');
  await expect(rows).toHaveCount(2); // header + one cell
  const cells = rows.nth(1).getByRole('cell');
  await expect(rows.nth(1).getByRole('rowheader')).toHaveText('Tiny MLP');
  await expect(cells.nth(0)).toHaveText('TF.js CPU');
  await expect(cells.nth(1)).toHaveText('infer');
  // Median ms: a positive number (never a timing target).
  const median = Number.parseFloat((await cells.nth(4).textContent()) ?? '');
  expect(median).toBeGreaterThan(0);
  await expect(cells.nth(9)).toHaveText('0'); // the CPU is its own reference
  await expect(page.getByRole('button', { name: 'Download CSV' })).toBeEnabled();
});

test('/bench: the compiled step runs ONNX Runtime WASM on several threads and its losses match eager TF.js CPU', async ({ page }) => {
  test.setTimeout(120_000);
  // Two threads asked for (the default on 2 cores is 1): under cross-origin isolation they start.
  await page.goto('/bench?ort-threads=2');
  await expect(page.getByLabel('Device')).toContainText('cross-origin isolated');
  const setOnly = async (group: string, keep: string) => {
    const boxes = page.getByRole('group', { name: group }).getByRole('checkbox');
    for (let i = 0; i < (await boxes.count()); i++) {
      const box = boxes.nth(i);
      const label = (await box.locator('xpath=..').textContent())?.trim();
      await box.setChecked(label === keep);
    }
  };
  await setOnly('Models', 'Tiny MLP');
  await setOnly('Engines and backends', 'ONNX Runtime WASM');
  await setOnly('Modes', 'Train step, compiled (ONNX Runtime)');
  await page.getByLabel('Quick (fewer repeats)').check();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Benchmark status' })).toContainText('Done: 1 cell in', { timeout: 100_000 });
  const row = page.getByRole('table', { name: 'Benchmark results' }).getByRole('row').nth(1);
  await expect(row.getByRole('cell').nth(0)).toHaveText('ONNX Runtime WASM');
  // "Ran on": the thread count that ran.
  await expect(row).toContainText('ONNX Runtime WASM, 2 threads (compiled step:');
  // Max |Δ| vs the eager TF.js CPU losses of the same first steps: threads change no result beyond float rounding.
  const diff = Number.parseFloat((await row.getByRole('cell').nth(9).textContent()) ?? 'NaN');
  expect(diff).toBeGreaterThanOrEqual(0);
  expect(diff).toBeLessThan(1e-4);
});
