/**
 * Faults say what happened: the training worker crashes, stops answering, runs out of memory or loses its WebGPU
 * device (injected with the page's test hook, `window.__nnTest`, which reaches the worker's `testFault`). Each time
 * the page names the fault, keeps the session's saved weights, offers a restart on the same or another backend, and
 * stays alive (the editor still takes typing).
 */
import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { openPlayground, pageStillWorks, runStatus, setCode } from './helpers';

const spiral = readFileSync(new URL('../../examples/spiral.py', import.meta.url), 'utf8').replace('epochs=100', 'epochs=5000');
const fault = (page: Page) => page.getByRole('alert', { name: 'Training fault' });

async function epochOf(page: Page): Promise<number> {
  return Number(/epoch (\d+)/.exec((await runStatus(page).textContent()) ?? '')?.[1] ?? NaN);
}

/** The epoch of the weights saved with the open session (0: none yet), read from the app's IndexedDB. */
function savedWeightsEpoch(page: Page): Promise<number> {
  return page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const req = indexedDB.open('nn-playground');
        req.onerror = () => resolve(0);
        req.onsuccess = () => {
          const db = req.result;
          try {
            const all = db.transaction('sessions').objectStore('sessions').getAll();
            all.onsuccess = () => {
              db.close();
              resolve(Math.max(0, ...(all.result as { weightsEpoch?: number }[]).map((r) => r.weightsEpoch ?? 0)));
            };
            all.onerror = () => (db.close(), resolve(0));
          } catch {
            db.close();
            resolve(0);
          }
        };
      })
  );
}

/** Trains the spiral on `backend` until some weights are saved (a pause saves them), and returns their epoch. */
async function trainAndSave(page: Page, backend: string): Promise<number> {
  await openPlayground(page);
  await setCode(page, spiral);
  await expect(page.getByText('No problems.')).toBeVisible();
  await page.getByLabel('Samples').fill('300');
  await page.getByLabel('Samples').press('Tab');
  await page.getByLabel('Backend', { exact: true }).selectOption(backend);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText(/Training — epoch ([3-9]|\d{2,}) of 5000/, { timeout: 120_000 });
  await page.getByRole('button', { name: 'Pause' }).click();
  await expect(runStatus(page)).toContainText('Paused');
  const saved = await epochOf(page);
  // (Setup, not an assertion: the pause's save of the weights has landed in IndexedDB.)
  await expect.poll(() => savedWeightsEpoch(page), { timeout: 60_000 }).toBeGreaterThan(0);
  await page.getByRole('button', { name: 'Resume' }).click();
  await expect(runStatus(page)).toContainText('Training');
  return saved;
}

/** The epoch of the weights the fault message says the session keeps. */
async function keptEpoch(page: Page): Promise<number> {
  await expect(fault(page)).toContainText(/weights saved at epoch \d+/);
  return Number(/weights saved at epoch (\d+)/.exec((await fault(page).textContent()) ?? '')?.[1]);
}

async function inject(page: Page, kind: 'throw' | 'close' | 'oom' | 'device-lost') {
  await page.evaluate((k) => (window as unknown as { __nnTest: { fault(k: string): void } }).__nnTest.fault(k), kind);
}

test('a crashed training worker is named; Restart goes on from the saved weights on the same backend', async ({ page }) => {
  const saved = await trainAndSave(page, 'cpu');
  await inject(page, 'throw');
  await expect(fault(page)).toContainText('The training worker crashed');
  await expect(fault(page)).toContainText('injected crash');
  const kept = await keptEpoch(page);
  expect(kept).toBeGreaterThanOrEqual(saved);
  await expect(runStatus(page)).toContainText('Failed');
  await pageStillWorks(page, spiral);
  await page.screenshot({ path: '/tmp/shots-rel/fault-crash.png', fullPage: false });

  await fault(page).getByRole('button', { name: 'Restart on CPU' }).click();
  await expect(fault(page)).toBeHidden();
  await expect(runStatus(page)).toContainText(/Training — epoch \d+ of 5000/, { timeout: 60_000 });
  // Numbering goes on from the saved epoch (not from 1): the run continues.
  await expect.poll(() => epochOf(page), { timeout: 60_000 }).toBeGreaterThan(kept);
});

test('a worker that stops answering is named after the watchdog, and can be restarted on another backend', async ({ page }) => {
  await trainAndSave(page, 'cpu');
  await page.evaluate(() => (window as unknown as { __nnTest: { watchdog(ms: number): void } }).__nnTest.watchdog(3000));
  await inject(page, 'close');
  await expect(fault(page)).toContainText('The training worker stopped answering', { timeout: 30_000 });
  await pageStillWorks(page, spiral);
  await fault(page).getByRole('button', { name: 'Restart on WASM' }).click();
  await expect(page.getByRole('status', { name: 'Backend in use' })).toContainText('WASM', { timeout: 60_000 });
  await expect(runStatus(page)).toContainText(/Training — epoch \d+ of 5000/, { timeout: 60_000 });
});

test('running out of memory is named as such, with the backend', async ({ page }) => {
  await trainAndSave(page, 'wasm');
  await inject(page, 'oom');
  await expect(fault(page)).toContainText('Training ran out of memory on WASM');
  await expect(fault(page).getByRole('button', { name: 'Restart on WASM' })).toBeVisible();
  await expect(fault(page).getByRole('button', { name: 'Restart on CPU' })).toBeVisible();
  await pageStillWorks(page, spiral);
});

test('a lost WebGPU device is named; the run restarts on WASM from the saved weights', async ({ page }) => {
  const saved = await trainAndSave(page, 'webgpu');
  test.skip(!/WebGPU/.test((await page.getByRole('status', { name: 'Backend in use' }).textContent()) ?? ''), 'no WebGPU in this browser');
  await inject(page, 'device-lost');
  await expect(fault(page)).toContainText('The GPU device was lost', { timeout: 60_000 });
  const kept = await keptEpoch(page);
  expect(kept).toBeGreaterThanOrEqual(saved);
  await page.screenshot({ path: '/tmp/shots-rel/fault-device.png', fullPage: false });
  await pageStillWorks(page, spiral);
  await fault(page).getByRole('button', { name: 'Restart on WASM' }).click();
  await expect(page.getByRole('status', { name: 'Backend in use' })).toContainText('WASM', { timeout: 60_000 });
  await expect.poll(() => epochOf(page), { timeout: 60_000 }).toBeGreaterThan(kept);
});
