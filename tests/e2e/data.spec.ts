import { expect, test, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { openPlayground, runStatus, setCode } from './helpers';

/** A CSV file as the upload control receives it. */
function csv(name: string, lines: string[]) {
  return { name, mimeType: 'text/csv', buffer: Buffer.from(lines.join('\n')) };
}

/** 60 rows: 4 numeric features and a text class (3 kinds), sorted by class as real files often are. */
const GOOD = csv('flowers.csv', [
  'sepal_length,sepal_width,petal_length,petal_width,kind',
  ...Array.from({ length: 60 }, (_, i) => {
    const k = Math.floor(i / 20);
    const j = (i % 20) / 20;
    return `${(4.5 + k + j).toFixed(2)},${(3 - k * 0.3 + j / 4).toFixed(2)},${(1.5 + 2 * k + j).toFixed(2)},${(0.2 + k * 0.8 + j / 5).toFixed(2)},${['setosa', 'versicolor', 'virginica'][k]}`;
  })
]);

const xTrain = (page: Page) => page.getByText(/x_train: \(\d+, [\d, ]+\)/);

test('a CSV with a bad row is refused with its row and column; a good one feeds the model input check', async ({ page }) => {
  await openPlayground(page);
  await page.getByLabel('Dataset', { exact: true }).selectOption('csv');
  const file = page.getByLabel('CSV file', { exact: true });

  // A ragged row: the message names it, and there is still no data.
  await file.setInputFiles(csv('ragged.csv', ['a,b,c,d', '1,2,3,x', '1,2,3,y', '1,2,3,x', '1,2,3,y', '1,2,3,x', '1,2,3']));
  await expect(page.getByRole('alert', { name: 'CSV problem' })).toHaveText('ragged.csv: Row 7 has 3 columns but the header has 4. Nothing was changed.');
  await expect(xTrain(page)).toHaveCount(0);

  // A good file: previewed, and the spiral program's input (2,) no longer fits its 4 features.
  await file.setInputFiles(GOOD);
  await expect(page.getByRole('status', { name: 'CSV status' })).toContainText("flowers.csv: 60 rows, 4 numeric and 0 text feature columns, target 'kind' (3 classes)");
  await expect(page.getByRole('alert', { name: 'CSV problem' })).toHaveCount(0);
  const preview = page.getByRole('table', { name: 'CSV preview' });
  await expect(preview.getByRole('columnheader')).toHaveCount(5);
  await expect(preview.getByRole('row')).toHaveCount(6);
  await expect(page.getByLabel('Target column')).toHaveValue('kind');
  await expect(xTrain(page)).toContainText('x_train: (48, 4), 3 classes');
  await expect(page.getByText("The model's input has shape (2,) but the flowers.csv data has 4 features — use keras.Input(shape=(4,))")).toBeVisible();
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeDisabled();

  // Text in a numeric column: located message, and the good data stays in use.
  await file.setInputFiles(csv('typo.csv', ['age,score,label', ...Array.from({ length: 10 }, (_, i) => `${20 + i},${i},${i % 2 ? 'a' : 'b'}`), 'abc,3,a', '30,4,b']));
  await expect(page.getByRole('alert', { name: 'CSV problem' })).toHaveText(
    "typo.csv: Row 12, column 'age': 'abc' is not a number (the column's other values are numbers). Nothing was changed."
  );
  await expect(xTrain(page)).toContainText('x_train: (48, 4), 3 classes');
  await expect(page.getByLabel('Target column')).toHaveValue('kind');

  // Too large, and empty: refused before anything is parsed.
  await file.setInputFiles({ name: 'huge.csv', mimeType: 'text/csv', buffer: Buffer.alloc(21 * 1024 * 1024, 'a,b\n') });
  await expect(page.getByRole('alert', { name: 'CSV problem' })).toHaveText('huge.csv is 21.0 MB, larger than the 20.0 MB a CSV may have here. Nothing was changed.');
  await file.setInputFiles({ name: 'empty.csv', mimeType: 'text/csv', buffer: Buffer.alloc(0) });
  await expect(page.getByRole('alert', { name: 'CSV problem' })).toHaveText('empty.csv is empty. Nothing was changed.');
  await expect(xTrain(page)).toContainText('x_train: (48, 4), 3 classes');

  // Fix the program's input: the check passes and it trains on the CSV.
  await setCode(
    page,
    [
      'import keras',
      'from keras import layers',
      '',
      'model = keras.Sequential([',
      '    keras.Input(shape=(4,)),',
      '    layers.Dense(8, activation="relu"),',
      '    layers.Dense(3, activation="softmax"),',
      '])',
      'model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])',
      'model.fit(x_train, y_train, epochs=3, batch_size=16)',
      ''
    ].join('\n')
  );
  await expect(page.getByText('No problems.')).toBeVisible();
  await expect(page.getByText(/The model's input has shape/)).toHaveCount(0);
  // No validation_split in the program: the Data panel's split is used, and says so.
  await expect(page.getByText("Your program's model.fit gives no validation_split, so this one is used.")).toBeVisible();
  await page.getByLabel('Validation split').fill('0.25');
  await page.getByLabel('Validation split').press('Tab');
  await expect(page.getByText('36 rows train, the last 12 validate.')).toBeVisible();
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText('Completed — epoch 3 of 3', { timeout: 60_000 });
  await expect(page.getByRole('table', { name: 'Training metrics' }).getByRole('row', { name: /^Validation accuracy\b/ })).toBeVisible();

  // The Keras export reads the same file and prepares it the same way.
  const [py] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Keras script (.py)' }).click()]);
  const script = readFileSync((await py.path())!, 'utf8');
  expect(script).toContain('FILE = "flowers.csv"');
  expect(script).toContain('CLASSES = ["setosa", "versicolor", "virginica"]');
  expect(script).toContain('model.fit(x_train, y_train, epochs=3, batch_size=16)');
});

test('moons: click adds points, shift-click the other class, right-click removes, Reset points restores', async ({ page }) => {
  await openPlayground(page);
  await page.getByLabel('Dataset', { exact: true }).selectOption('moons');
  const plot = page.getByRole('img', { name: /^Decision boundary over the data/ });
  await expect(plot).toHaveAccessibleName(/600 points in 2 classes/);
  const edits = page.getByRole('status', { name: 'Point edits' });
  await expect(edits).toContainText('0 added, 0 removed');

  const box = (await plot.boundingBox())!;
  // Corners of the plot are empty for the moons (they span y in about [-0.5, 0.5]).
  await plot.click({ position: { x: 20, y: 20 } });
  await expect(plot).toHaveAccessibleName(/601 points in 2 classes/);
  await plot.click({ position: { x: box.width - 20, y: 20 }, modifiers: ['Shift'] });
  await expect(plot).toHaveAccessibleName(/602 points/);
  await expect(edits).toContainText('2 added, 0 removed');

  // Right-click on the first added point removes it; right-click on empty space removes nothing.
  await plot.click({ position: { x: 20, y: 20 }, button: 'right' });
  await expect(plot).toHaveAccessibleName(/601 points/);
  await expect(edits).toContainText('2 added, 1 removed');
  await plot.click({ position: { x: 20, y: box.height - 20 }, button: 'right' });
  await expect(edits).toContainText('2 added, 1 removed');

  // Changing the seed keeps the edits (they are re-applied on the new points).
  await page.getByLabel('Data seed').fill('7');
  await page.getByLabel('Data seed').press('Tab');
  await expect(plot).toHaveAccessibleName(/601 points/);
  await expect(edits).toContainText('2 added, 1 removed');

  await page.getByRole('button', { name: 'Reset points' }).click();
  await expect(plot).toHaveAccessibleName(/600 points/);
  await expect(edits).toContainText('0 added, 0 removed');
});
