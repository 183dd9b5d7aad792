/**
 * Measurements for the sequence examples (not a check: skipped unless SEQ_MEASURE=1):
 *   npm run build && SEQ_MEASURE=1 npx playwright test tests/e2e/sequence-measure.spec.ts
 * Each example as shipped (default data settings) in the app, timed from Train: the char-GRU's validation loss per
 * epoch on WASM, eager and compiled (SEQ_MEASURE_BACKENDS=wasm,webgpu picks the backends; SEQ_MEASURE_MINUTES caps
 * each run, default 5), the LSTM forecaster against the repeat-last-value baseline, and the reverse task's accuracy.
 */
import { expect, test, type Page } from '@playwright/test';
import { metric, openPlayground, runStatus } from './helpers';

test.skip(!process.env.SEQ_MEASURE, 'measurements: set SEQ_MEASURE=1');

const MINUTES = Number(process.env.SEQ_MEASURE_MINUTES ?? 5);
const BACKENDS = (process.env.SEQ_MEASURE_BACKENDS ?? 'wasm').split(',');
const engine = (page: Page) => page.getByRole('radiogroup', { name: 'Engine' });
const epochOf = async (page: Page) => Number(/epoch (\d+) of/.exec((await runStatus(page).textContent()) ?? '')?.[1] ?? 0);

/** Trains the open program, logging each epoch (seconds since Train, loss, validation loss/accuracy) until done or `minutes` pass. */
async function trainAndLog(page: Page, what: string, minutes: number, maxEpochs = Infinity) {
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeEnabled({ timeout: 120_000 });
  const t0 = Date.now();
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  let seen = 0;
  const rows: { epoch: number; s: number; loss: number; valLoss: number; valAcc: number }[] = [];
  while (Date.now() - t0 < minutes * 60_000) {
    const status = (await runStatus(page).textContent()) ?? '';
    const e = await epochOf(page);
    if (e > seen) {
      seen = e;
      // A regression has no accuracy row (and a metric that is not shown would be waited for).
      const shown = async (name: string) => ((await page.getByRole('table', { name: 'Training metrics' }).getByRole('row', { name: new RegExp(`^${name}\\b`) }).count()) ? metric(page, name) : NaN);
      const row = { epoch: e, s: (Date.now() - t0) / 1000, loss: await metric(page, 'Loss'), valLoss: await shown('Validation loss'), valAcc: await shown('Validation accuracy') };
      rows.push(row);
      console.log(`${what}: epoch ${row.epoch} at ${row.s.toFixed(1)} s, loss ${row.loss}, val loss ${row.valLoss}, val acc ${row.valAcc}`);
      if (e >= maxEpochs) break;
    }
    if (/Completed|Failed|Stopped/.test(status)) break;
    await page.waitForTimeout(250);
  }
  if (!/Completed|Failed|Stopped/.test((await runStatus(page).textContent()) ?? '')) {
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect(runStatus(page)).toContainText(/Stopped|Completed/, { timeout: 120_000 });
  }
  console.log(`${what}: ${await runStatus(page).textContent()}`);
  if (/Failed/.test((await runStatus(page).textContent()) ?? '')) console.log(`${what} failed: ${(await page.getByRole('alert').allTextContents()).join(' | ')}`);
  return rows;
}

for (const backend of BACKENDS) {
  for (const mode of ['Eager (TF.js)', 'Compiled (one ONNX graph)']) {
    test(`char-GRU on shakespeare, ${backend}, ${mode}`, async ({ page }) => {
      test.setTimeout((MINUTES + 5) * 60_000);
      await openPlayground(page);
      await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Char-GRU on Shakespeare' });
      await page.getByLabel('Backend', { exact: true }).selectOption(backend);
      await engine(page).getByRole('radio', { name: mode }).check();
      const rows = await trainAndLog(page, `char-GRU ${backend} ${mode}`, MINUTES);
      const hit = rows.find((r) => r.valLoss <= 2.2);
      console.log(`char-GRU ${backend} ${mode}: ${hit ? `val loss ${hit.valLoss} ≤ 2.2 after epoch ${hit.epoch}, ${hit.s.toFixed(0)} s` : 'val loss stayed above 2.2'}`);
      const sample = page.getByRole('list', { name: 'Generated samples' }).getByRole('listitem').first();
      await expect(sample).not.toContainText('generating…', { timeout: 60_000 });
      console.log(`sample: ${JSON.stringify(await sample.textContent())}`);
    });
  }
}

test('LSTM forecaster against the repeat-last-value baseline (WASM)', async ({ page }) => {
  test.setTimeout(15 * 60_000);
  await openPlayground(page);
  await page.getByLabel('Example', { exact: true }).selectOption({ label: 'LSTM forecaster' });
  await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
  await trainAndLog(page, 'sine_lstm', 10);
  console.log(`sine_lstm: ${await page.getByRole('status', { name: 'Series loss' }).textContent()}`);
});

for (const mode of ['Compiled (one ONNX graph)', 'Eager (TF.js)']) {
  test(`reverse with the Bidirectional LSTMs (WASM, ${mode})`, async ({ page }) => {
    test.setTimeout(15 * 60_000);
    await openPlayground(page);
    await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Reverse with a Bidirectional LSTM' });
    await page.getByLabel('Backend', { exact: true }).selectOption('wasm');
    await engine(page).getByRole('radio', { name: mode }).check();
    await trainAndLog(page, `reverse ${mode}`, 12);
    const caption = page.getByRole('table', { name: /Held-out sequences after epoch/ }).locator('caption');
    console.log(`reverse ${mode}: ${await caption.textContent()}`);
  });
}

/**
 * Every text and sequence example, shortened (seq_len 8, 200 windows, 2 epochs), on WebGPU: SEQ_MEASURE_WEBGPU=1
 * (SEQ_MEASURE_SHORT_BACKEND=wasm: the same on WASM).
 */
const SHORT_BACKEND = process.env.SEQ_MEASURE_SHORT_BACKEND ?? 'webgpu';
const SHORT = ['Char-GRU on Shakespeare', 'Names GRU', 'Causal Conv1D names', 'LSTM forecaster', 'Sine forecaster with Conv1D', 'Parity with SimpleRNN', 'Parity with LSTM', 'Parity with a CNN', 'Reverse with a Bidirectional LSTM'];
for (const label of SHORT) {
  test(`${label}: two short epochs on ${SHORT_BACKEND}`, async ({ page }) => {
    test.skip(!process.env.SEQ_MEASURE_WEBGPU && !process.env.SEQ_MEASURE_SHORT_BACKEND, 'set SEQ_MEASURE_WEBGPU=1 (or SEQ_MEASURE_SHORT_BACKEND=wasm)');
    test.setTimeout(10 * 60_000);
    await openPlayground(page);
    await page.getByLabel('Example', { exact: true }).selectOption({ label });
    for (const [field, value] of [['Sequence length', '8'], ['Samples', '200']]) {
      await page.getByLabel(field).fill(value);
      await page.getByLabel(field).press('Tab');
    }
    await page.getByLabel('Backend', { exact: true }).selectOption(SHORT_BACKEND);
    const rows = await trainAndLog(page, `${label} ${SHORT_BACKEND}`, 8, 2);
    console.log(`${label} ${SHORT_BACKEND}: ${rows.length} epochs, loss ${rows[0]?.loss} → ${rows.at(-1)?.loss}; ${await page.getByRole('status', { name: 'Backend in use' }).textContent()}`);
  });
}

/**
 * The char-GRU's compiled speed-up on WebGPU, at a size SwiftShader (this machine's software WebGPU) can hold: sequence
 * length 32, 1 000 windows, 3 epochs, eager then compiled (SEQ_MEASURE_WEBGPU=1). Seconds per epoch are printed.
 */
for (const mode of ['Eager (TF.js)', 'Compiled (one ONNX graph)']) {
  test(`char-GRU on WebGPU at seq_len 32, ${mode}`, async ({ page }) => {
    test.skip(!process.env.SEQ_MEASURE_WEBGPU, 'set SEQ_MEASURE_WEBGPU=1');
    test.setTimeout(20 * 60_000);
    await openPlayground(page);
    await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Char-GRU on Shakespeare' });
    // SEQ_MEASURE_SEQ_LEN / SEQ_MEASURE_SAMPLES / SEQ_MEASURE_EPOCHS shrink it (the title keeps saying 32).
    for (const [field, value] of [['Sequence length', process.env.SEQ_MEASURE_SEQ_LEN ?? '32'], ['Samples', process.env.SEQ_MEASURE_SAMPLES ?? '1000']]) {
      await page.getByLabel(field).fill(value);
      await page.getByLabel(field).press('Tab');
    }
    await page.getByLabel('Backend', { exact: true }).selectOption('webgpu');
    await engine(page).getByRole('radio', { name: mode }).check();
    const rows = await trainAndLog(page, `char-GRU seq ${process.env.SEQ_MEASURE_SEQ_LEN ?? 32} webgpu ${mode}`, 15, Number(process.env.SEQ_MEASURE_EPOCHS ?? 3));
    const perEpoch = rows.length > 1 ? (rows.at(-1)!.s - rows[0].s) / (rows.length - 1) : NaN;
    console.log(`char-GRU seq 32 webgpu ${mode}: ${perEpoch.toFixed(1)} s per epoch after the first; losses ${rows.map((r) => r.loss).join(', ')}; ${await page.getByRole('status', { name: 'Backend in use' }).textContent()}`);
  });
}

/**
 * The tiny GPT as shipped (seq_len 64), eager and compiled on WASM, timed from Train (SEQ_MEASURE_GPT=1).
 * SEQ_MEASURE_GPT_BACKEND=webgpu: on WebGPU at the char-GRU's SwiftShader size (seq_len 32, 1 000 windows, 3 epochs).
 */
const GPT_BACKEND = process.env.SEQ_MEASURE_GPT_BACKEND ?? 'wasm';
for (const mode of ['Compiled (one ONNX graph)', 'Eager (TF.js)']) {
  test(`tiny GPT on shakespeare, ${GPT_BACKEND}, ${mode}`, async ({ page }) => {
    test.skip(!process.env.SEQ_MEASURE_GPT, 'set SEQ_MEASURE_GPT=1');
    test.setTimeout((MINUTES + 5) * 60_000);
    await openPlayground(page);
    await page.getByLabel('Example', { exact: true }).selectOption({ label: 'Tiny GPT on Shakespeare' });
    if (GPT_BACKEND === 'webgpu') {
      for (const [field, value] of [['Sequence length', '32'], ['Samples', '1000']]) {
        await page.getByLabel(field).fill(value);
        await page.getByLabel(field).press('Tab');
      }
    }
    await page.getByLabel('Backend', { exact: true }).selectOption(GPT_BACKEND);
    await engine(page).getByRole('radio', { name: mode }).check();
    const rows = await trainAndLog(page, `tiny GPT ${GPT_BACKEND} ${mode}`, MINUTES, GPT_BACKEND === 'webgpu' ? 3 : Infinity);
    const hit = rows.find((r) => r.valLoss <= 2.2);
    const perEpoch = rows.length > 1 ? (rows.at(-1)!.s - rows[0].s) / (rows.length - 1) : NaN;
    console.log(`tiny GPT ${GPT_BACKEND} ${mode}: ${perEpoch.toFixed(1)} s per epoch after the first; ${hit ? `val loss ${hit.valLoss} ≤ 2.2 after epoch ${hit.epoch}, ${hit.s.toFixed(0)} s` : 'val loss stayed above 2.2'}; ${await page.getByRole('status', { name: 'Backend in use' }).textContent()}`);
    const sample = page.getByRole('list', { name: 'Generated samples' }).getByRole('listitem').first();
    if (await sample.count()) console.log(`sample: ${JSON.stringify(await sample.textContent())}`);
  });
}
