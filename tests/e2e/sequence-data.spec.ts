import { expect, test, type Page } from '@playwright/test';
import { openPlayground } from './helpers';

/** The row of the "What the program gets" table for `name` (x_train, vocab_size, ...). */
const arrayRow = (page: Page, name: string) => page.getByRole('table', { name: 'What the program gets' }).getByRole('row', { name: new RegExp(`^${name}\\b`) });

/** The cells of the example pair's row `head` (x, id or y). */
async function pairRow(page: Page, head: string): Promise<string[]> {
  const row = page.getByRole('table', { name: 'Example x → y' }).getByRole('row', { name: new RegExp(`^${head}\\b`) });
  return row.getByRole('cell').allTextContents();
}

/** A small poem with 32 distinct characters (space and newline included). */
const POEM = ['The quick brown fox jumps over the lazy dog.', 'Pack my box with five dozen liquor jugs!', 'How vexingly quick daft zebras jump.', ''].join('\n');

test('shakespeare: the text with its tokens, an aligned x → y pair, seq_len changes the shapes; your own text, and a binary file refused', async ({ page }) => {
  await openPlayground(page);
  await page.getByLabel('Dataset', { exact: true }).selectOption('shakespeare');

  // The text and its vocabulary (65 characters in tinyshakespeare).
  await expect(page.getByLabel('Passage')).toContainText('First Citizen:', { timeout: 60_000 });
  await expect(page.getByLabel('Vocabulary size')).toHaveText('65');
  await expect(arrayRow(page, 'vocab_size')).toContainText('65');
  await expect(arrayRow(page, 'x_train')).toContainText('int32 (2000, 64)');
  await expect(arrayRow(page, 'y_train')).toContainText('int32 (2000, 64)');
  await expect(arrayRow(page, 'x_test')).toContainText('int32 (200, 64)');
  await expect(arrayRow(page, 'seq_len')).toContainText('64');

  // An x → y pair: y is x shifted left by one (the next character at each position), with the ids between.
  const x = await pairRow(page, 'x');
  const y = await pairRow(page, 'y');
  const ids = await pairRow(page, 'id');
  expect(x).toHaveLength(64);
  expect(y).toHaveLength(64);
  expect(ids.every((s) => /^\d+$/.test(s) && +s < 65)).toBe(true);
  expect(y.slice(0, -1)).toEqual(x.slice(1));
  await page.getByRole('button', { name: 'Another' }).click();
  const x2 = await pairRow(page, 'x');
  expect((await pairRow(page, 'y')).slice(0, -1)).toEqual(x2.slice(1));

  // A shorter sequence length: the shapes follow.
  await page.getByLabel('Sequence length').fill('32');
  await page.getByLabel('Sequence length').press('Tab');
  await expect(arrayRow(page, 'x_train')).toContainText('int32 (2000, 32)');
  await expect(arrayRow(page, 'seq_len')).toContainText('32');
  expect(await pairRow(page, 'x')).toHaveLength(32);
  await page.getByLabel('Samples').fill('500');
  await page.getByLabel('Samples').press('Tab');
  await expect(arrayRow(page, 'x_train')).toContainText('int32 (500, 32)');
  await expect(arrayRow(page, 'y_test')).toContainText('int32 (50, 32)');

  // Your own text: uploaded, shown with its own vocabulary.
  await page.getByLabel('Dataset', { exact: true }).selectOption('text');
  const file = page.getByLabel('Text file', { exact: true });
  await file.setInputFiles({ name: 'poem.txt', mimeType: 'text/plain', buffer: Buffer.from(POEM) });
  await expect(page.getByRole('status', { name: 'Text file status' })).toContainText('poem.txt');
  await expect(page.getByLabel('Passage')).toContainText('The quick brown fox');
  const vocab = new Set(POEM).size;
  await expect(page.getByLabel('Vocabulary size')).toHaveText(String(vocab));
  const xs = await pairRow(page, 'x');
  expect((await pairRow(page, 'y')).slice(0, -1)).toEqual(xs.slice(1));
  const shapes = await arrayRow(page, 'x_train').textContent();

  // A binary file: one clear message, and the poem stays in use.
  await file.setInputFiles({ name: 'picture.txt', mimeType: 'text/plain', buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48, 0x44, 0x52]) });
  await expect(page.getByRole('alert', { name: 'Text file problem' })).toContainText('picture.txt');
  await expect(page.getByRole('alert', { name: 'Text file problem' })).toContainText('not a text file');
  await expect(page.getByRole('alert', { name: 'Text file problem' })).toContainText('Nothing was changed.');
  await expect(page.getByLabel('Passage')).toContainText('The quick brown fox');
  await expect(page.getByLabel('Vocabulary size')).toHaveText(String(vocab));
  expect(await arrayRow(page, 'x_train').textContent()).toBe(shapes);
  // An empty file too.
  await file.setInputFiles({ name: 'empty.txt', mimeType: 'text/plain', buffer: Buffer.alloc(0) });
  await expect(page.getByRole('alert', { name: 'Text file problem' })).toContainText('empty');
  await expect(page.getByLabel('Passage')).toContainText('The quick brown fox');
});

test('sine_series shows its plot with a window and its target; reverse and parity show their pairs', async ({ page }) => {
  await openPlayground(page);
  await page.getByLabel('Dataset', { exact: true }).selectOption('sine_series');
  await expect(arrayRow(page, 'x_train')).toContainText('float32 (1000, 32, 1)');
  await expect(arrayRow(page, 'y_train')).toContainText('float32 (1000, 1)');
  await expect(arrayRow(page, 'vocab_size')).toHaveCount(0);
  await expect(page.getByRole('img', { name: /^Series plot: 200 values of the series, the window of row 1 highlighted and its target -?\d\.\d\d marked$/ })).toBeVisible();
  // The next window starts one step later: its values are the first window's shifted by one, ending in the first target.
  const w1 = await pairRow(page, 'x');
  const t1 = (await page.getByRole('img', { name: /^Series plot/ }).getAttribute('aria-label'))!.match(/target (-?[\d.]+) marked/)![1];
  await page.getByLabel('Row', { exact: true }).fill('2');
  await page.getByLabel('Row', { exact: true }).press('Tab');
  await expect(page.getByRole('heading', { name: 'Example window: row 2 of 1000' })).toBeVisible();
  const w2 = await pairRow(page, 'x');
  // The pair shows the window's 32 cells, then the target.
  expect(w2).toHaveLength(33);
  expect(w2.slice(0, 31)).toEqual(w1.slice(1, 32));
  expect(w2[31]).toBe(t1);
  await page.getByLabel('Sequence length').fill('8');
  await page.getByLabel('Sequence length').press('Tab');
  await expect(arrayRow(page, 'x_train')).toContainText('float32 (1000, 8, 1)');

  await page.getByLabel('Dataset', { exact: true }).selectOption('reverse');
  await expect(arrayRow(page, 'x_train')).toContainText('int32 (10000, 8)');
  await expect(arrayRow(page, 'vocab_size')).toContainText('10');
  const x = await pairRow(page, 'x');
  expect(await pairRow(page, 'y')).toEqual([...x].reverse());

  await page.getByLabel('Dataset', { exact: true }).selectOption('parity');
  await expect(arrayRow(page, 'y_train')).toContainText('int32 (2000, 1)');
  const cells = await pairRow(page, 'x');
  // Twelve bits, then (after an arrow for the eye) the label: 1 when the number of ones is odd.
  expect(cells).toHaveLength(13);
  const ones = cells.slice(0, 12).filter((c) => c === '1').length;
  expect(cells[12]).toBe(String(ones % 2));
  await expect(page.getByText(`(${ones} ones: ${ones % 2 ? 'odd' : 'even'})`)).toBeVisible();
});

test('a failed text download says so and can be tried again', async ({ page }) => {
  await openPlayground(page);
  await page.route('**/data/text/names.txt', (route) => route.abort('connectionreset'));
  await page.getByLabel('Dataset', { exact: true }).selectOption('names');
  const alert = page.getByRole('alert').filter({ hasText: 'Could not download the names text' });
  await expect(alert).toBeVisible();
  await expect(page.getByLabel('Passage')).toHaveCount(0);
  await expect(page.getByText(/^Loading the names text/)).toHaveCount(0);
  await page.unroute('**/data/text/names.txt');
  await alert.getByRole('button', { name: 'Try again' }).click();
  await expect(page.getByLabel('Passage')).toContainText('.emma.olivia.');
  await expect(page.getByLabel('Vocabulary size')).toHaveText('27');
  await expect(alert).toHaveCount(0);
});
