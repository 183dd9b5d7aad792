import { expect, test, type Page } from '@playwright/test';
import { backendInUse, metric, openPlayground, runStatus, setCode } from './helpers';

/**
 * The compiled engine on WebGPU in the playground. ONNX Runtime's WebGPU provider, started in a worker whose TF.js
 * held a WebGPU device, made TF.js' device lost ("A valid external Instance reference no longer exists") and the run
 * failed. Now a compiled WebGPU run gets a worker of its own where ORT owns WebGPU and TF.js (initial weights,
 * validation, pictures) runs on WASM; going back to Eager starts a fresh TF.js-on-WebGPU worker.
 */

const engine = (page: Page) => page.getByRole('radiogroup', { name: 'Engine' });

const SPIRAL = (epochs: number) => `import keras
from keras import layers

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=${epochs}, batch_size=32, validation_split=0.2)
`;

async function train(page: Page, epochs: number, timeout: number) {
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText(`Completed — epoch ${epochs} of ${epochs}`, { timeout });
  await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toHaveCount(0);
}

test('compiled on WebGPU trains the spiral, WebGPU really runs it; then eager on WebGPU in the same page still trains', async ({ page }) => {
  test.setTimeout(540_000);
  await openPlayground(page);
  await setCode(page, SPIRAL(5));
  await page.getByLabel('Backend', { exact: true }).selectOption('webgpu');

  // Eager on WebGPU first: its worker's TF.js holds a WebGPU device.
  await train(page, 5, 180_000);
  await expect(backendInUse(page)).toContainText(/^\s*Running on WebGPU/);

  // Compiled on WebGPU: must complete, on WebGPU through the playground's own kernels (not a fallback to ONNX Runtime or WASM).
  await setCode(page, SPIRAL(30));
  await engine(page).getByRole('radio', { name: 'Compiled (one ONNX graph)' }).check();
  await expect(engine(page)).toContainText("is one ONNX graph, run on WebGPU by the playground's own fused kernels");
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  const inUse = page.getByRole('status', { name: 'Compiled engine in use' });
  await expect(inUse).toContainText(/Compiled: the playground's own WebGPU kernels, graph of \d+ nodes for \d+ steps per run fused into [\d.]+ dispatches per step/, { timeout: 120_000 });
  await expect(inUse).not.toContainText('could not start');
  await expect(runStatus(page)).toContainText('Completed — epoch 30 of 30', { timeout: 240_000 });
  await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toHaveCount(0);
  await expect(backendInUse(page)).toContainText(/^\s*Running on WebGPU .*; TF.js pictures and validation on WASM; compiled step on the playground's own WebGPU kernels/);
  expect(await metric(page, 'Loss')).toBeLessThan(0.7 * (await metric(page, 'Loss', 'first')));
  expect(await metric(page, 'Accuracy')).toBeGreaterThanOrEqual(0.6);
  // Validation runs in TF.js (on WASM) on the weights the compiled step synced into it.
  expect(await metric(page, 'Validation accuracy')).toBeGreaterThanOrEqual(0.6);
  // The decision boundary is drawn from the trained weights.
  await expect(page.getByRole('img', { name: /^Decision boundary over the data: .*after epoch 30\./ })).toBeVisible();
  console.log(`[compiled webgpu] ${await inUse.textContent()} | ${await backendInUse(page).textContent()}`);

  // Back to eager on WebGPU in the same page: TF.js gets a WebGPU device again and trains.
  await engine(page).getByRole('radio', { name: 'Eager (TF.js)' }).check();
  await setCode(page, SPIRAL(5));
  await train(page, 5, 180_000);
  await expect(backendInUse(page)).toContainText(/^\s*Running on WebGPU/);
  await expect(backendInUse(page)).not.toContainText('TF.js pictures');
  await expect(page.getByRole('status', { name: 'Compiled engine in use' })).toHaveCount(0);
});
