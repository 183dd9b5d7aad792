import { expect, test, type Page } from '@playwright/test';
import { openPlayground, runStatus, setCode } from './helpers';

/**
 * The sequence pictures in the browser: a char-GRU's text after each epoch and its next-character bars, the RNN's
 * hidden state over the prompt; an LSTM forecaster's plots beside the repeat-last baseline; the reversal table with
 * the wrong positions marked. On the cpu backend (the pictures, not the backends, are under test).
 */

const CHAR_GRU = `import keras
from keras import layers
inputs = keras.Input(shape=(seq_len,), dtype="int32")
x = layers.Embedding(vocab_size, 16)(inputs)
x = layers.GRU(32, return_sequences=True)(x)
outputs = layers.Dense(vocab_size, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=2, batch_size=32)
`;

const LSTM_SERIES = `import keras
from keras import layers
inputs = keras.Input(shape=(seq_len, 1))
x = layers.LSTM(8)(inputs)
outputs = layers.Dense(1)(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse")
model.fit(x_train, y_train, epochs=2, batch_size=32)
`;

const BIDI_REVERSE = `import keras
from keras import layers
inputs = keras.Input(shape=(seq_len,), dtype="int32")
x = layers.Embedding(vocab_size, 8)(inputs)
x = layers.Bidirectional(layers.LSTM(8, return_sequences=True))(x)
outputs = layers.Dense(vocab_size, activation="softmax")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=1, batch_size=32)
`;

async function start(page: Page, data: string, code: string) {
  await openPlayground(page);
  await page.getByLabel('Dataset', { exact: true }).selectOption(data);
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');
  if (data === 'shakespeare') {
    await page.getByLabel('Sequence length').fill('16');
    await page.getByLabel('Sequence length').press('Tab');
  }
  if (data === 'shakespeare' || data === 'reverse') {
    await page.getByLabel('Samples').fill(data === 'reverse' ? '2000' : '300');
    await page.getByLabel('Samples').press('Tab');
  }
  await setCode(page, code);
}

test('shakespeare: text generated after each epoch, next-character bars, a refused prompt, the GRU state over the prompt', async ({ page }) => {
  await start(page, 'shakespeare', CHAR_GRU);
  const prompt = page.getByRole('textbox', { name: 'Prompt' });
  await expect(prompt).toHaveValue('ROMEO:\n');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText('Completed', { timeout: 180_000 });

  const samples = page.getByRole('list', { name: 'Generated samples' });
  await expect(samples.getByRole('listitem')).toHaveCount(2);
  await expect(samples.getByRole('listitem').first()).toContainText('After epoch 2');
  // Up to 200 characters after the prompt (fewer, never under 20, when generating would take over a tenth of the run and 2 s).
  const length = async (i: number) => (await samples.getByRole('listitem').nth(i).locator('pre').textContent())!.replace(/↵/g, '').length - 'ROMEO:\n'.length;
  for (const i of [0, 1]) {
    expect(await length(i)).toBeGreaterThanOrEqual(20);
    expect(await length(i)).toBeLessThanOrEqual(200);
  }

  // Next-character probabilities: 10 bars summing to less than 1, most likely first.
  const bars = page.getByRole('table', { name: /most likely characters after the prompt/ });
  await expect(bars).toContainText('weights after epoch 2');
  const ps = (await bars.getByRole('row').allTextContents()).slice(1).map((r) => Number.parseFloat(r.replace(/^.*?(\d+\.\d) %$/, '$1')));
  expect(ps).toHaveLength(10);
  expect([...ps].sort((a, b) => b - a)).toEqual(ps);

  // A character outside the vocabulary: a clear message, and no generation.
  await prompt.fill('ROMEO: é');
  await expect(page.getByRole('alert').filter({ hasText: 'The character "é" is not in this text\'s vocabulary of 65 characters' }).first()).toBeVisible();
  await expect(page.getByRole('button', { name: 'Generate now' })).toBeDisabled();

  // Generate on demand at temperature 0.
  await prompt.fill('ROMEO:\nWhat ');
  await page.getByRole('slider', { name: 'Temperature' }).fill('0');
  await page.getByRole('button', { name: 'Generate now' }).click();
  await expect(samples.getByRole('listitem').first()).toContainText('Generated now');
  await expect(samples.getByRole('listitem').first()).not.toContainText('generating…', { timeout: 60_000 });

  // The GRU's hidden state over the prompt (16 steps).
  await page.getByRole('button', { name: 'Inspect the prompt' }).click();
  await expect(page.getByRole('img', { name: /^gru \(GRU\) hidden state h over time: 32 units \(rows\) × 16 steps/ })).toBeVisible();
});

test('sine_series: predictions and the rolled forecast, the loss beside the repeat-last baseline, the LSTM cell state', async ({ page }) => {
  await start(page, 'sine_series', LSTM_SERIES);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText('Completed', { timeout: 120_000 });
  await expect(page.getByRole('status', { name: 'Series loss' })).toContainText(/After epoch 2: model MSE .* repeat-the-last-value baseline MSE/);
  await expect(page.getByRole('img', { name: /One-step predictions against the truth on \d+ held-out windows/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /The forecast rolled forward \d+ steps from one window/ })).toBeVisible();
  await page.getByRole('button', { name: 'Inspect the first row' }).click();
  await expect(page.getByRole('img', { name: /^lstm \(LSTM\) cell state c over time: 8 units/ })).toBeVisible();
  await expect(page.getByRole('status', { name: 'Inspected prediction' })).toHaveText(/^Predicted -?\d/);
});

test('reverse: a table of held-out inputs → outputs with the wrong positions marked in text', async ({ page }) => {
  await start(page, 'reverse', BIDI_REVERSE);
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText('Completed', { timeout: 120_000 });
  const table = page.getByRole('table', { name: /Held-out sequences after epoch 1/ });
  await expect(table.getByRole('row')).toHaveCount(9);
  await expect(table.locator('caption')).toContainText(/[\d.]+ % of output positions right and [\d.]+ % of sequences\s+entirely right \(over \d+ sequences\); the first 8 below/);
  // Every wrong output says so in text; the listed positions agree with the count and with the two columns.
  const wrong = await table.getByText('(wrong)').count();
  const positions = (await table.locator('tbody tr td:last-child').allTextContents()).flatMap((t) => (t === 'none' ? [] : t.split(', ')));
  expect(positions).toHaveLength(wrong);
  const cells = (col: number) => table.locator(`tbody tr td:nth-child(${col})`).allTextContents();
  const [outs, expected] = [await cells(3), await cells(4)];
  const differ = outs.reduce((n, o, r) => {
    const a = o.replace(/✗| \(wrong\)/g, '').trim().split(/\s+/);
    const b = expected[r].trim().split(/\s+/);
    return n + a.filter((t, i) => t !== b[i]).length;
  }, 0);
  expect(differ).toBe(wrong);
  // Both directions of the Bidirectional LSTM, as heatmaps.
  await page.getByRole('button', { name: 'Inspect the first row' }).click();
  await expect(page.getByRole('img', { name: /^bidirectional \(LSTM, forward\) hidden state h/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /^bidirectional \(LSTM, backward\) hidden state h/ })).toBeVisible();
});
