import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { openPlayground, setCode } from './helpers';

/** A damaged session record (a bad disk, an old bug, a devtools edit) never stops the app; it can be deleted. */

const spiral = readFileSync(new URL('../../examples/spiral.py', import.meta.url), 'utf8');
const nbsp = (s: string) => s.replace(/ /g, '\u00a0');

test('a damaged saved session is named, listed as damaged and deleted; the intact one opens', async ({ page }) => {
  await openPlayground(page);
  await setCode(page, spiral.replace('model.compile(', '# intact session\nmodel.compile('));
  await page.waitForTimeout(800);
  await page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('nn-playground');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction(['sessions', 'meta'], 'readwrite');
      tx.objectStore('sessions').put({ id: 's-broken', name: 'Broken one', created: Date.now(), updated: Date.now() + 60_000, data: 'garbage' });
      tx.objectStore('meta').put({ key: 'current', value: 's-broken' });
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
    });
    db.close();
    sessionStorage.clear(); // this tab's own session pointer: start from the damaged "current" one
    sessionStorage.setItem('e2e-keep', '1');
  });
  await page.reload();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });

  await expect(page.getByRole('alert').filter({ hasText: 'could not be opened' })).toContainText(
    'The last session could not be opened: its saved record is damaged (its program is missing). It is marked “damaged” in the Sessions list'
  );
  await expect(page.locator('.monaco-editor .view-lines')).toContainText(nbsp('# intact session'));
  await page.getByRole('button', { name: /^Sessions/ }).click();
  const list = page.getByRole('list', { name: 'Saved sessions' });
  await expect(list).toContainText('Broken one (damaged: its program is missing)');
  await expect(list.getByRole('button', { name: 'Open Broken one' })).toHaveCount(0);
  await list.getByRole('button', { name: 'Delete Broken one' }).click();
  await list.getByRole('button', { name: 'Yes, delete' }).click();
  await expect(list).not.toContainText('Broken one');
  await expect(page.getByRole('alert').filter({ hasText: 'could not be opened' })).toHaveCount(0);
  await expect(list.getByRole('button', { name: /^Open Session 1/ })).toBeVisible();
});
