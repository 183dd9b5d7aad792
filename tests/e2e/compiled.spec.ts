import { expect, test, type Page } from '@playwright/test';
import { backendInUse, openPlayground, runStatus, setCode } from './helpers';

/**
 * Issue 6 (app side): the Eager / Compiled engine toggle on normal training, and the "Eager vs compiled" view.
 * Numbers (ms per step) live in the benchmark; here only what a learner must be able to rely on is checked.
 */

const engine = (page: Page) => page.getByRole('radiogroup', { name: 'Engine' });

/** A cell of the training-metrics table ("Loss", "Accuracy", "Validation accuracy"; column Epoch 1 or Latest). */
async function metric(page: Page, row: string, column: 'first' | 'latest' = 'latest'): Promise<number> {
  const r = page.getByRole('table', { name: 'Training metrics' }).getByRole('row', { name: new RegExp(`^${row}\\b`, 'i') });
  return Number.parseFloat((await r.getByRole('cell').nth(column === 'first' ? 0 : 1).textContent()) ?? 'NaN');
}

test('trains the spiral with the compiled engine on WASM: the loss falls and accuracy reaches 0.9', async ({ page }) => {
  test.setTimeout(240_000);
  await openPlayground(page);
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
  await expect(engine(page).getByRole('radio', { name: 'Eager (TF.js)' })).toBeChecked();
  await engine(page).getByRole('radio', { name: 'Compiled (one ONNX graph)' }).check();
  await expect(engine(page)).toContainText('is one ONNX graph, run by ONNX Runtime on WASM');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Compiled engine in use' })).toContainText(/ONNX Runtime on WASM, graph of \d+ nodes/, { timeout: 60_000 });
  // Issue 15: "Backend in use" names ONNX Runtime's WASM threads, ORT's default min(4, ceil(cores / 2)) (1 on 2 cores, with why).
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  const want = Math.min(4, Math.ceil(cores / 2));
  await expect(backendInUse(page)).toContainText(want > 1 ? `compiled step on ONNX Runtime WASM (${want} threads)` : `compiled step on ONNX Runtime WASM (1 thread: ${cores} logical core`);
  await expect(runStatus(page)).toContainText('Completed — epoch 100 of 100', { timeout: 200_000 });
  expect(await metric(page, 'Loss')).toBeLessThan(0.5 * (await metric(page, 'Loss', 'first')));
  expect(await metric(page, 'Validation accuracy')).toBeGreaterThanOrEqual(0.9);
  expect(await metric(page, 'Accuracy')).toBeGreaterThanOrEqual(0.9);
  await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toHaveCount(0);
});

for (const device of [
  { value: 'wasm', label: 'WASM', timeout: 120_000 },
  { value: 'webgpu', label: 'WebGPU', timeout: 420_000 }
] as const) {
  test(`Eager vs compiled on ${device.label}: curves overlap to 1e-3 over 50 steps, speed-up shown`, async ({ page }) => {
    test.setTimeout(device.timeout + 60_000);
    await openPlayground(page);
    const view = page.getByRole('region', { name: 'Eager vs compiled' });
    await view.getByLabel('Compare on').selectOption(device.value);
    await view.getByRole('button', { name: 'Compare eager and compiled' }).click();
    await expect(view.getByRole('status', { name: 'Comparison status' })).toHaveText('Done.', { timeout: device.timeout });
    await expect(view.getByRole('img', { name: /Loss per step, eager and compiled: \d+ steps/ })).toBeVisible();
    const diff = await view.getByLabel('Max relative difference').textContent();
    const value = Number(/over the first 50 steps: (\S+)/.exec(diff ?? '')?.[1]);
    expect(value).toBeGreaterThanOrEqual(0);
    expect(value).toBeLessThanOrEqual(1e-3);
    await expect(view.getByLabel('Speed-up')).toHaveText(/Compiled is \d+\.\d\d× (faster|slower)/);
    // On WebGPU the playground's own kernels run the compiled step; on WASM, ONNX Runtime.
    await expect(view).toContainText(device.value === 'webgpu' ? "compiled step run by the playground's own kernels on WebGPU" : 'compiled step run by ONNX Runtime on WASM');
    const timings = view.getByRole('table', { name: 'Eager vs compiled timings' });
    await expect(timings.getByRole('row', { name: /^ms per training step/ })).toBeVisible();
    await expect(timings.getByRole('row', { name: device.value === 'webgpu' ? /^Kernels dispatched per step \d+ [\d.]+ — the graph's \d+ nodes fused/ : /^Kernels dispatched per step \d+ \d+ nodes/ })).toBeVisible();
    await expect(timings.getByRole('row', { name: /^Inference, batch 1 / })).toBeVisible();
    await expect(timings.getByRole('row', { name: /^Inference, batch 256 / })).toBeVisible();
    // For the record (the numbers themselves live in the benchmark).
    console.log(`[${device.value}] ${diff} | ${await view.getByLabel('Speed-up').textContent()}\n${await timings.innerText()}`);
    const placements = view.getByLabel('Node placements');
    if (await placements.count()) console.log(`[${device.value}] ${await placements.textContent()}`);
    await view.getByText('The compiled graph (one step)').click();
    await expect(view.getByRole('img', { name: /Compiled training graph: \d+ nodes/ })).toBeVisible();
    await expect(view.getByRole('alert').filter({ hasText: /\S/ })).toHaveCount(0);
  });
}

test('a model the compiler cannot handle: Compiled is refused with what it lacks and its line, Eager is selected', async ({ page }) => {
  test.setTimeout(120_000);
  await openPlayground(page);
  const compiled = engine(page).getByRole('radio', { name: 'Compiled (one ONNX graph)' });
  await compiled.check();
  await setCode(page, `import keras
from keras import layers

a = keras.Input(shape=(2,))
b = keras.Input(shape=(2,))
h = layers.Concatenate()([a, b])
out = layers.Dense(3, activation="softmax")(h)
model = keras.Model(inputs=[a, b], outputs=out)
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5, batch_size=32)
`);
  await expect(compiled).toBeDisabled({ timeout: 20_000 });
  await expect(engine(page).getByRole('radio', { name: 'Eager (TF.js)' })).toBeChecked();
  await expect(engine(page).getByRole('alert')).toContainText('Compiled is not available for this model: it needs multiple inputs/outputs (dense, line 7)');
  const view = page.getByRole('region', { name: 'Eager vs compiled' });
  await expect(view.getByRole('button', { name: 'Compare eager and compiled' })).toBeDisabled();
});
