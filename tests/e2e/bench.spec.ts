import { expect, test } from '@playwright/test';

test('/bench runs one cell chosen with its controls and shows a row with a number', async ({ page }) => {
  test.setTimeout(30_000);
  await page.goto('/bench');
  await expect(page.getByRole('heading', { name: 'Race your backends' })).toBeVisible();
  await expect(page.getByLabel('Device')).toContainText(/logical cores/);

  // Only Tiny MLP × TF.js CPU × inference at batch 1.
  await setOnlyMany(page, 'Models', ['Tiny MLP']);
  await setOnlyMany(page, 'Engines and backends', ['TF.js CPU']);
  await setOnlyMany(page, 'Modes', ['Inference, batch 1']);
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
  await setOnlyMany(page, 'Models', ['Tiny MLP']);
  await setOnlyMany(page, 'Engines and backends', ['ONNX Runtime WASM']);
  await setOnlyMany(page, 'Modes', ['Train step, compiled (one ONNX graph)']);
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

/** Ticks exactly the checkboxes of `group` whose labels are in `keep`. */
async function setOnlyMany(page: import('@playwright/test').Page, group: string, keep: string[]) {
  const boxes = page.getByRole('group', { name: group }).getByRole('checkbox');
  for (let i = 0; i < (await boxes.count()); i++) {
    const box = boxes.nth(i);
    const label = (await box.locator('xpath=..').textContent())?.trim() ?? '';
    await box.setChecked(keep.includes(label));
  }
}

test('a tiny size sweep (2 widths, 2 backends) draws its chart and says where (or whether) the GPU side wins', async ({ page }) => {
  test.setTimeout(180_000);
  await page.goto('/bench');
  await expect(page.getByLabel('Device')).toContainText(/logical cores/);
  await setOnlyMany(page, 'Engines and backends', ['TF.js CPU', 'TF.js WebGL']);
  await setOnlyMany(page, 'Widths', ['16', '64']);
  await setOnlyMany(page, 'Batch sizes', ['batch 32']);
  await setOnlyMany(page, 'Sweep what', ['Training step']);
  await page.getByLabel('Quick (fewer repeats)').check();

  await page.getByRole('button', { name: 'Run size sweep' }).click();
  await expect(page.getByRole('status', { name: 'Benchmark status' })).toContainText('Sweep done: 4 cells in', { timeout: 150_000 });

  // The chart, its description (both lines, both widths) and the crossover in words.
  const chart = page.getByRole('img', { name: /^Training step, batch 32: ms per training step by MLP width/ });
  await expect(chart).toBeVisible();
  await expect(chart).toHaveAttribute('aria-label', /TF\.js CPU \(eager\): width 16 [\d.]+, width 64 [\d.]+/);
  await expect(chart).toHaveAttribute('aria-label', /TF\.js WebGL \(eager\)( \[SwiftShader, software\])?: width 16 [\d.]+, width 64 [\d.]+/);
  const crossover = page.getByLabel('Crossover, training batch 32');
  await expect(crossover).toHaveText(/^(TF\.js WebGL \(eager\) beats TF\.js CPU \(eager\) from width (16|64) at batch 32|No crossover in this range \(widths 16–64, training, batch 32\))/);
  // On SwiftShader the page says the "GPU" is software, in the chart's sentence and above it.
  if (await page.getByText('WebGPU and WebGL here are SwiftShader').first().isVisible()) {
    await expect(crossover).toContainText('SwiftShader, a software rasteriser on the CPU');
  }
  // The sweep rows are in the table under the chart and in the downloads.
  await page.getByText('Sweep rows (4)').click();
  await expect(page.getByRole('table', { name: 'Benchmark results' }).getByRole('rowheader', { name: 'MLP width 64' })).toHaveCount(2);
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download CSV' }).click();
  const csv = await (await download).createReadStream().then(async (s) => {
    let text = '';
    for await (const chunk of s) text += chunk;
    return text;
  });
  expect(csv.split('\n').filter((l) => l.startsWith('mlp-'))).toHaveLength(4);

  await page.screenshot({ path: '/tmp/shots-sweep/sweep-page.png', fullPage: true });
  await chart.screenshot({ path: '/tmp/shots-sweep/sweep-chart.png' });
});

const OWN = `import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(24, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5, batch_size=16)
`;

test("/bench races the model in the playground's editor, and refuses a broken one with its line", async ({ page }) => {
  test.setTimeout(180_000);
  const { openPlayground, setCode } = await import('./helpers');
  await openPlayground(page);
  await setCode(page, OWN);
  // The playground's own link to race it (the session is saved on the way).
  await page.getByRole('link', { name: 'Race this model on /bench' }).click();
  await expect(page.getByRole('heading', { name: 'Race your backends' })).toBeVisible();
  const mine = page.getByRole('checkbox', { name: 'Your model (from the editor)' });
  await expect(mine).toBeChecked();
  await expect(page.getByLabel("Your model's program")).toContainText('2 layers, 147 trainable weights, input (2,), batch 16');
  await setOnlyMany(page, 'Engines and backends', ['TF.js CPU']);
  await setOnlyMany(page, 'Modes', ['Train step, eager (TF.js)', 'Inference, batch 1']);
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Benchmark status' })).toContainText('Done: 2 cells in', { timeout: 60_000 });
  const rows = page.getByRole('table', { name: 'Benchmark results' }).getByRole('row');
  await expect(rows).toHaveCount(3);
  await expect(rows.nth(1).getByRole('rowheader')).toHaveText('Your model (from the editor)');
  await expect(rows.nth(1).getByRole('cell').nth(2)).toHaveText('16'); // its batch_size
  expect(Number.parseFloat((await rows.nth(1).getByRole('cell').nth(4).textContent()) ?? '')).toBeGreaterThan(0);
  await page.screenshot({ path: '/tmp/shots-sweep/own-model.png', fullPage: true });

  // A broken program: refused with its line, nothing raced.
  await page.goBack();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
  await setCode(page, OWN.replace('layers.Dense(24, activation="relu")', 'layers.Dense(24, activation="relux")'));
  await page.getByRole('link', { name: 'Race this model on /bench' }).click();
  await expect(page.getByRole('alert', { name: "Your model's program" })).toHaveText(/^Your program has 1 problem: line 6: .*relux.*\. Fix it in the playground\.$/);
  await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeDisabled();
});
