/**
 * Measurements for the ONNX work (not a check: skipped unless ONNX_MEASURE=1):
 *   npm run build && ONNX_MEASURE=1 npx playwright test tests/e2e/onnx-measure.spec.ts
 * For spiral, Digits MLP and Digits CNN: train briefly on TF.js wasm, then "Run in ONNX Runtime" on wasm and WebGPU
 * and print every row of the ONNX variants table (size, provider, ms per batch, max diff, accuracy).
 */
import { expect, test, type Page } from '@playwright/test';
import { openPlayground, runStatus } from './helpers';

test.skip(!process.env.ONNX_MEASURE, 'measurements: set ONNX_MEASURE=1');

async function table(page: Page): Promise<string[]> {
  return page.getByRole('table', { name: 'ONNX variants' }).getByRole('row').evaluateAll((rows) => rows.map((r) => Array.from(r.children, (c) => c.textContent?.trim()).join(' | ')));
}

for (const ex of [
  { label: null, epochs: 20, name: 'spiral' },
  { label: 'Digits MLP', epochs: 2, name: 'digits_mlp' },
  { label: 'Digits CNN', epochs: 1, name: 'digits_cnn' }
]) {
  test(`measure ${ex.name}`, async ({ page }) => {
    test.setTimeout(600_000);
    await openPlayground(page);
    if (ex.label) await page.getByLabel('Example', { exact: true }).selectOption({ label: ex.label });
    await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
    // A few epochs, then Stop: the point is the inference comparison, not the accuracy.
    await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Train', exact: true }).click();
    const epoch = async () => Number(/epoch (\d+) of/.exec((await runStatus(page).textContent()) ?? '')?.[1] ?? 0);
    await expect.poll(epoch, { timeout: 500_000, intervals: [500] }).toBeGreaterThanOrEqual(ex.epochs);
    await page.getByRole('button', { name: 'Stop' }).click({ trial: false }).catch(() => undefined);
    await expect(runStatus(page)).toContainText(/Stopped|Completed/, { timeout: 60_000 });
    for (const provider of ['wasm', 'webgpu']) {
      await page.getByLabel('ONNX Runtime provider', { exact: true }).selectOption(provider);
      await page.getByRole('button', { name: 'Run in ONNX Runtime' }).click();
      await expect(page.getByRole('table', { name: 'ONNX variants' }).getByRole('row', { name: /^int8/ }).getByRole('cell').nth(3)).toHaveText(/\d/, { timeout: 300_000 });
      console.log(`== ${ex.name}, ORT ${provider}: ${await page.getByRole('status', { name: 'ONNX result' }).textContent()}`);
      for (const row of await table(page)) console.log(`   ${row}`);
    }
  });
}
