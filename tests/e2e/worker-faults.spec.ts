/**
 * Faults of the ONNX Runtime worker (the playground's "Run in ONNX Runtime") and of the bench workers (/bench): a
 * crash, a worker that stops answering, out of memory. Injected with the page's test hooks (`window.__nnFaults`,
 * worker/faults.ts), which arm the worker's next call. Each time the page names the fault, stays alive, and a retry
 * (Retry on WASM; the bench's next cells and Run) works with a fresh worker.
 */
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { openPlayground, pageStillWorks, setCode } from './helpers';

const spiral = readFileSync(new URL('../../examples/spiral.py', import.meta.url), 'utf8').replace('epochs=100', 'epochs=5');
const shots = '/tmp/shots-rel';

type Kind = 'throw' | 'close' | 'oom';

async function arm(page: Page, worker: 'ort' | 'bench', kind: Kind, watchdogMs?: number) {
  await page.evaluate(
    ([w, k, ms]) => {
      const hooks = (window as unknown as { __nnFaults: Record<string, { fault(k: string): void; watchdog(ms: number): void }> }).__nnFaults[w as string];
      if (ms) hooks.watchdog(ms as number);
      hooks.fault(k as string);
    },
    [worker, kind, watchdogMs ?? 0] as const
  );
}

for (const [kind, named] of [
  ['throw', /The ONNX Runtime worker crashed \(.*injected crash \(test\)\)/],
  ['close', /The ONNX Runtime worker stopped answering \(no answer for 3 s\)/],
  ['oom', /The ONNX Runtime worker ran out of memory on WASM \(.*Array buffer allocation failed/]
] as const) {
  test(`ONNX Runtime worker: ${kind} is named, the page stays alive, Retry on WASM runs the model`, async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await openPlayground(page);
    await setCode(page, spiral);
    await expect(page.getByText('No problems.')).toBeVisible();
    await arm(page, 'ort', kind, kind === 'close' ? 3000 : undefined);
    await page.getByRole('button', { name: 'Run in ONNX Runtime' }).click();
    const fault = page.getByRole('alert', { name: 'ONNX Runtime fault' });
    await expect(fault).toContainText(named, { timeout: 60_000 });
    await expect(fault).toContainText('The next run starts a fresh worker.');
    await page.screenshot({ path: `${shots}/ort-fault-${kind}.png` });
    await pageStillWorks(page, spiral);

    // Back to the app's watchdog (the run's limit, 120 s): a fresh worker starting ORT may be busy for seconds on a loaded machine.
    if (kind === 'close') await page.evaluate(() => (window as unknown as { __nnFaults: { ort: { watchdog(ms: number): void } } }).__nnFaults.ort.watchdog(120_000));
    await fault.getByRole('button', { name: 'Retry on WASM' }).click();
    await expect(fault).toBeHidden();
    await expect(page.getByRole('status', { name: 'ONNX Runtime provider in use' })).toHaveText(/^ONNX Runtime ran on wasm/, { timeout: 120_000 });
    const variants = page.getByRole('table', { name: 'ONNX variants' });
    await expect(variants.getByRole('row', { name: /^int8/ }).getByRole('cell').nth(3)).toHaveText(/\d/, { timeout: 120_000 });
    expect(errors).toEqual([]);
  });
}

/** Only Tiny MLP × TF.js CPU × the two inference modes: two cells on one worker. */
async function twoCells(page: Page) {
  await page.goto('/bench');
  await expect(page.getByRole('heading', { name: 'Race your backends' })).toBeVisible();
  const setOnly = async (group: string, keep: string[]) => {
    const boxes = page.getByRole('group', { name: group }).getByRole('checkbox');
    for (let i = 0; i < (await boxes.count()); i++) {
      const box = boxes.nth(i);
      const label = (await box.locator('xpath=..').textContent())?.trim() ?? '';
      await box.setChecked(keep.includes(label));
    }
  };
  await setOnly('Models', ['Tiny MLP']);
  await setOnly('Engines and backends', ['TF.js CPU']);
  await setOnly('Modes', ['Inference, batch 1', 'Inference, batch 256']);
  await page.getByLabel('Quick (fewer repeats)').check();
}

const benchRows = (page: Page) => page.getByRole('table', { name: 'Benchmark results' }).getByRole('row');
const benchStatus = (page: Page) => page.getByRole('status', { name: 'Benchmark status' });

for (const [kind, named] of [
  ['throw', /Failed: The bench worker crashed \(.*injected crash \(test\)\)/],
  ['close', /Failed: The bench worker stopped answering \(no answer for 3 s\)/],
  ['oom', /Failed: The bench worker ran out of memory on CPU \(.*Array buffer allocation failed/]
] as const) {
  test(`bench worker: ${kind} fails its cell with the fault named, the run goes on, Run again works`, async ({ page }) => {
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await twoCells(page);
    await arm(page, 'bench', kind, kind === 'close' ? 3000 : undefined);
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(benchStatus(page)).toContainText('Done: 2 cells in', { timeout: 90_000 });
    await expect(benchRows(page)).toHaveCount(3);
    await expect(benchRows(page).nth(1)).toContainText(named);
    await expect(benchRows(page).nth(1)).toContainText('The next cell starts a fresh worker.');
    // The next cell ran on a fresh worker.
    expect(Number.parseFloat((await benchRows(page).nth(2).getByRole('cell').nth(4).textContent()) ?? '')).toBeGreaterThan(0);
    await page.screenshot({ path: `${shots}/bench-fault-${kind}.png`, fullPage: true });
    // The page answers: the controls still work, and Run runs both cells again (with the app's watchdog).
    if (kind === 'close') await page.evaluate(() => (window as unknown as { __nnFaults: { bench: { watchdog(ms: number): void } } }).__nnFaults.bench.watchdog(180_000));
    await page.getByLabel('Quick (fewer repeats)').uncheck();
    await page.getByLabel('Quick (fewer repeats)').check();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(benchStatus(page)).toContainText('Done: 2 cells in', { timeout: 90_000 });
    for (const i of [1, 2]) expect(Number.parseFloat((await benchRows(page).nth(i).getByRole('cell').nth(4).textContent()) ?? '')).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });
}
