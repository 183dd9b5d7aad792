import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { openPlayground, setCode } from './helpers';

const spiral = readFileSync(new URL('../../examples/spiral.py', import.meta.url), 'utf8');
const program = (lr: string) => spiral.replace('epochs=100', 'epochs=8').replace('learning_rate=0.01', `learning_rate=${lr}`);
const runsTable = (page: Page) => page.getByRole('table', { name: 'Runs' });
const runRow = (page: Page, name: string) => runsTable(page).getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
const RUN1 = 'Run 1 · adam 0.01 · batch 32';
const RUN2 = 'Run 2 · adam 0.1 · batch 32';

async function trainWith(page: Page, lr: string, name: string) {
  await setCode(page, program(lr));
  await expect(page.getByText('No problems.')).toBeVisible();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runRow(page, name).getByRole('cell').filter({ hasText: /^completed, 8 epochs$/ })).toBeVisible({ timeout: 60_000 });
}

async function reloadKeepingStorage(page: Page) {
  await page.evaluate(() => sessionStorage.setItem('e2e-keep', '1'));
  await page.reload();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
}

test('two runs with two learning rates are kept, overlaid and compared; they survive a reload; Delete run removes one', async ({ page }) => {
  await openPlayground(page);
  await expect(page.getByRole('heading', { name: 'Runs' })).toBeVisible();
  await expect(page.getByText('No runs yet')).toBeVisible();

  await trainWith(page, '0.01', RUN1);
  await trainWith(page, '0.1', RUN2);

  // Both runs are listed (newest first) with their settings and final numbers.
  const rows = runsTable(page).locator('tbody').getByRole('row');
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0).getByRole('rowheader')).toHaveText(RUN2);
  await expect(rows.nth(1).getByRole('rowheader')).toHaveText(RUN1);
  await expect(runRow(page, RUN1)).toContainText('adam 0.01 · batch 32 · 8 epochs · spiral');
  const loss1 = Number.parseFloat((await runRow(page, RUN1).getByRole('cell').nth(2).textContent()) ?? 'NaN');
  expect(loss1).toBeGreaterThan(0);
  await expect(runRow(page, RUN1).getByRole('cell').nth(4)).toHaveText(/^\d+\.\d %$/);

  // Tick both: the overlay charts show the two runs.
  await page.getByRole('checkbox', { name: `Overlay ${RUN1}` }).check();
  await expect(page.getByRole('table', { name: 'Settings of the overlaid runs' })).toHaveCount(0);
  await page.getByRole('checkbox', { name: `Overlay ${RUN2}` }).check();
  for (const title of ['Runs: loss', 'Runs: accuracy']) {
    await expect(page.getByRole('list', { name: `${title} legend` }).getByRole('listitem')).toHaveText([RUN1, RUN2]);
    const chart = page.getByRole('img', { name: new RegExp(`^${title}, 2 runs: `) });
    await expect(chart).toBeVisible();
    const description = (await chart.getAttribute('aria-label')) ?? '';
    expect(description).toContain(`${RUN1}: train ${title.slice(6)} `);
    expect(description).toContain(`${RUN2}: train ${title.slice(6)} `);
    expect(description).toContain('after epoch 8');
  }

  // Only the learning rate differs, with both values; nothing equal is listed.
  const diff = page.getByRole('table', { name: 'Settings of the overlaid runs' });
  await expect(diff.getByRole('columnheader')).toHaveText(['Setting', RUN1, RUN2]);
  await expect(diff.locator('tbody').getByRole('row')).toHaveCount(1);
  await expect(diff.getByRole('row', { name: /^learning rate/ }).getByRole('cell')).toHaveText(['0.01', '0.1']);
  // The program's changed line, both ways.
  const code = page.getByRole('list', { name: `Program of ${RUN2} against ${RUN1}` }).getByRole('listitem');
  await expect(code).toHaveCount(2);
  await expect(code.nth(0)).toContainText('learning_rate=0.01');
  await expect(code.nth(1)).toContainText('learning_rate=0.1');

  // The runs survive a reload, with their curves.
  await reloadKeepingStorage(page);
  await expect(runsTable(page).locator('tbody').getByRole('row')).toHaveCount(2);
  await expect(runRow(page, RUN1).getByRole('cell').nth(2)).toHaveText(loss1.toFixed(4));
  await page.getByRole('checkbox', { name: `Overlay ${RUN1}` }).check();
  await expect(page.getByRole('img', { name: new RegExp(`^Runs: loss, 1 run: ${RUN1}: train loss ${loss1.toFixed(4)}`) })).toBeVisible();

  // Delete run removes one (and it stays deleted after a reload); Undo would bring it back.
  await runRow(page, RUN1).getByRole('button', { name: 'Delete run' }).click();
  await expect(runsTable(page).locator('tbody').getByRole('row')).toHaveCount(1);
  await expect(runRow(page, RUN2)).toBeVisible();
  await expect(page.getByRole('status', { name: 'Deleted runs' })).toContainText(`Deleted “${RUN1}”.`);
  await expect(page.getByRole('img', { name: /^Runs: loss/ })).toHaveCount(0);
  await reloadKeepingStorage(page);
  await expect(runsTable(page).locator('tbody').getByRole('row')).toHaveCount(1);
  await expect(runRow(page, RUN2)).toBeVisible();
});

test('a run is renamed in place, Undo brings a deleted run back, and a new run is numbered after the kept ones', async ({ page }) => {
  await openPlayground(page);
  await trainWith(page, '0.01', RUN1);
  await runRow(page, RUN1).getByRole('button', { name: `Rename ${RUN1}` }).click();
  const input = page.getByRole('textbox', { name: `New name for ${RUN1}` });
  await input.fill('baseline');
  await input.press('Enter');
  await expect(runRow(page, 'baseline')).toBeVisible();
  await expect(page.getByRole('checkbox', { name: 'Overlay baseline' })).toBeVisible();

  await runRow(page, 'baseline').getByRole('button', { name: 'Delete run' }).click();
  await expect(page.getByText('No runs yet')).toBeVisible();
  await page.getByRole('status', { name: 'Deleted runs' }).getByRole('button', { name: 'Undo' }).click();
  await expect(runRow(page, 'baseline')).toBeVisible();

  await trainWith(page, '0.1', RUN2);
  await expect(runsTable(page).locator('tbody').getByRole('row')).toHaveCount(2);
});

test('a run cut off by a reload is kept as stopped, and Continue goes on in the same run', async ({ page }) => {
  await openPlayground(page);
  await setCode(page, spiral.replace('epochs=100', 'epochs=5000'));
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const NAME = 'Run 1 · adam 0.01 · batch 32';
  const status = () => runRow(page, NAME).getByRole('cell').nth(5);
  // Weights are saved every 5 epochs (at least 2 s apart): by epoch 12 there are some to continue from.
  await expect(status()).toHaveText(/^running, epoch (1[2-9]|[2-9]\d|\d{3,}) of 5000$/, { timeout: 120_000 });

  await reloadKeepingStorage(page);
  await expect(status()).toHaveText(/^stopped at epoch \d+ of 5000/);
  await expect(runRow(page, NAME).getByRole('cell').nth(5)).toContainText('closed or reloaded');

  await page.getByRole('status', { name: 'Session' }).getByRole('button', { name: 'Continue' }).click();
  await expect(status()).toHaveText(/^running, epoch \d+ of 5000$/, { timeout: 30_000 });
  const epochNow = async () => Number(/epoch (\d+)/.exec((await status().textContent()) ?? '')?.[1]);
  const first = await epochNow();
  await expect.poll(epochNow, { timeout: 30_000 }).toBeGreaterThan(first + 2);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(status()).toHaveText(/^stopped at epoch \d+ of 5000$/);
  // One run, whose curve starts at epoch 1: the continued epochs were appended to it.
  await expect(runsTable(page).locator('tbody').getByRole('row')).toHaveCount(1);
  await page.getByRole('checkbox', { name: `Overlay ${NAME}` }).check();
  await expect(page.getByRole('img', { name: new RegExp(`^Runs: loss, 1 run: ${NAME}: train loss [\\d.]+, validation loss [\\d.]+ after epoch ${await epochNow()}$`) })).toBeVisible();
});

test('a damaged stored run is skipped with a message; the other runs are listed', async ({ page }) => {
  await openPlayground(page);
  await trainWith(page, '0.01', RUN1);
  // Damage arrives from outside (a hand edit, a bug of another version): one record without its history.
  await page.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('nn-playground-runs', 1);
        open.onerror = () => reject(open.error);
        open.onsuccess = () => {
          const tx = open.result.transaction('runs', 'readwrite');
          tx.objectStore('runs').put({ id: '1-broken', name: 'Broken run', startedAt: 1, settings: { code: '', data: { name: 'spiral' }, seed: 1, params: 1 }, history: 'lost', status: 'completed' });
          tx.oncomplete = () => (open.result.close(), resolve());
          tx.onerror = () => reject(tx.error);
        };
      })
  );
  await reloadKeepingStorage(page);
  await expect(page.getByText('A stored run (Broken run) could not be read and is skipped: its history is not a list.')).toBeVisible();
  await expect(runsTable(page).locator('tbody').getByRole('row')).toHaveCount(1);
  await expect(runRow(page, RUN1)).toBeVisible();
  // Training goes on being recorded.
  await trainWith(page, '0.1', RUN2);
  await expect(runsTable(page).locator('tbody').getByRole('row')).toHaveCount(2);
});
