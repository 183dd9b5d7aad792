/**
 * Lessons 4–8 and 12–17, each completed end to end by doing what its rail says — editing the program, Train, the Runs
 * panel's overlay checkboxes, Eager vs compiled, /bench, Export ONNX, /onnx — and seeing each checkpoint pass; the
 * challenges of lessons 4 and 6 fail once (a hint appears) and are then met. Training is kept short: the lessons'
 * small models on the CPU backend (WASM for the compiled engine), few epochs.
 */
import { expect, test, type Page } from '@playwright/test';
import { metric, openPlayground, runStatus, setCode } from './helpers';
import { lesson as learningRate, solutions as lrSolutions, challengeTries as lrTries } from '../../src/lib/lessons/learning-rate';
import { lesson as batchSize, solutions as batchSolutions } from '../../src/lib/lessons/batch-size';
import { lesson as optimizers, momentum, adam, challengeTries as optTries } from '../../src/lib/lessons/optimizers';
import { lesson as overfitting, solutions as overfitSolutions } from '../../src/lib/lessons/overfitting';
import { lesson as initialization, solutions as initSolutions } from '../../src/lib/lessons/initialization';
import { lesson as eagerVsCompiled } from '../../src/lib/lessons/eager-vs-compiled';
import { lesson as benchmark } from '../../src/lib/lessons/benchmark';
import { lesson as onnx } from '../../src/lib/lessons/onnx';
import { lesson as quantization } from '../../src/lib/lessons/quantization';
import { lesson as rnnMemory, solutions as rnnSolutions } from '../../src/lib/lessons/rnn-memory';
import { lesson as attention, solutions as attentionSolutions } from '../../src/lib/lessons/attention';

const rail = (page: Page) => page.getByRole('complementary', { name: 'Lesson' });
const checkpoint = (page: Page) => rail(page).getByRole('status', { name: 'Checkpoint' });
const steps = (page: Page) => rail(page).getByRole('list', { name: 'Lesson steps' });
const challenge = (page: Page) => rail(page).getByRole('status', { name: 'Challenge' });

/** A fresh app (no sessions, runs or lesson progress), then the lesson's link. */
async function openLesson(page: Page, id: string) {
  await page.addInitScript(() => {
    if (!sessionStorage.getItem('e2e-keep')) {
      indexedDB.deleteDatabase('nn-playground-lessons');
      indexedDB.deleteDatabase('nn-playground-runs');
    }
  });
  await openPlayground(page);
  await page.evaluate(() => sessionStorage.setItem('e2e-keep', '1'));
  await page.goto(`/?lesson=${id}`);
  await expect(rail(page)).toBeVisible();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
}

/** The current step's title (its text, without the "passed" mark). */
async function expectStep(page: Page, title: string) {
  // The rail numbers its steps ("2. Two bits").
  await expect(steps(page).locator('[aria-current="step"]')).toHaveText(new RegExp(`^(\\d+\\. )?${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
}

async function train(page: Page, status: RegExp = /Completed/) {
  const button = page.getByRole('button', { name: 'Train', exact: true });
  await expect(button).toBeEnabled();
  await button.click();
  await expect(runStatus(page)).toContainText(status, { timeout: 180_000 });
}

async function passed(page: Page, detail?: RegExp) {
  await expect(checkpoint(page)).toHaveText(/^Checkpoint passed/);
  if (detail) await expect(checkpoint(page)).toHaveText(detail);
  await expect(rail(page)).toContainText('What to notice');
}

async function next(page: Page, title: string) {
  await rail(page).getByRole('button', { name: 'Next step' }).click();
  await expectStep(page, title);
}

/** Ticks the Runs panel's overlay checkbox of a run of each name; the overlay chart then describes them all. */
async function overlay(page: Page, names: RegExp[]) {
  const runs = page.getByRole('table', { name: 'Runs' });
  for (const name of names) await runs.getByRole('checkbox', { name }).first().check();
  const chart = page.getByRole('figure', { name: 'Runs: loss' }).getByRole('img');
  await expect(chart).toHaveAttribute('aria-label', new RegExp(`^Runs: loss, ${names.length} runs: Run \\d+ .*: train loss \\d`));
}

test.describe.configure({ timeout: 300_000 });

test('lesson 4, the learning rate: diverges, crawls, a sweep overlaid, a good one; the challenge fails once, then is met', async ({ page }) => {
  const l = learningRate;
  await openLesson(page, l.id);
  await expectStep(page, l.steps[0].title);
  await expect(checkpoint(page)).toHaveText(/^Not yet/);

  await setCode(page, lrSolutions['too-high']);
  await train(page, /Diverged/);
  // The app's own divergence message, and the checkpoint that reads it.
  await expect(page.getByRole('alert').filter({ hasText: /learning rate \(1\) is probably too high/ })).toBeVisible();
  await passed(page, /a run diverged/);

  await next(page, l.steps[1].title);
  await expect(checkpoint(page)).toHaveText(/^Not yet: no finished run with a learning rate ≤ 0\.001 yet/);
  await setCode(page, lrSolutions['too-low']);
  await train(page);
  await passed(page);

  await next(page, l.steps[2].title);
  const sgd = (lr: string) => l.setup.code.replace('SGD(learning_rate=0.01)', `SGD(learning_rate=${lr})`);
  for (const [i, lr] of ['0.01', '0.1', '0.3'].entries()) {
    await setCode(page, sgd(lr));
    await train(page);
    if (i < 2) await expect(checkpoint(page)).toHaveText(new RegExp(`^Not yet: ${i + 1} finished runs? with different learningRate`));
  }
  await passed(page, /3 finished runs with different learningRate/);

  await next(page, l.steps[3].title);
  await expect(checkpoint(page)).toHaveText(/^Not yet/);
  await overlay(page, [/^Overlay Run \d+ · sgd 0\.01\b/, /^Overlay Run \d+ · sgd 0\.3\b/]);
  await passed(page);
  // Only what differs between the overlaid runs: the learning rate.
  await expect(page.getByRole('table', { name: 'Settings of the overlaid runs' })).toContainText(/learning rate/i);

  await next(page, l.steps[4].title);
  await setCode(page, lrSolutions.best);
  await train(page);
  await passed(page, /final validation loss 0\.0[0-2]/);
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();

  // The challenge: 10 epochs. A try that falls short shows a hint; momentum meets it.
  await expect(challenge(page)).toHaveText(/^Not yet/);
  await expect(rail(page).getByRole('list', { name: 'Challenge hints' })).toHaveCount(0);
  await setCode(page, lrTries.short);
  await train(page);
  await expect(challenge(page)).toHaveText(/^Not yet: best final validation loss so far 0\.\d+; needs ≤ 0\.020/);
  await expect(rail(page).getByRole('list', { name: 'Challenge hints' })).toContainText('Ten epochs are 100 steps');
  await setCode(page, lrTries.met);
  await train(page);
  await expect(challenge(page)).toHaveText(/^Challenge met/);
});

test('lesson 5, batch size: one big batch, tiny batches, overlaid, the compromise', async ({ page }) => {
  const l = batchSize;
  await openLesson(page, l.id);
  await setCode(page, batchSolutions.big);
  await train(page);
  await passed(page);
  const big = await metric(page, 'Loss');

  await next(page, l.steps[1].title);
  await setCode(page, batchSolutions.small);
  await train(page);
  await passed(page);
  const small = await metric(page, 'Loss');
  // What the lesson says: in the same 20 epochs the small batches get much further.
  expect(small).toBeLessThan(big / 2);

  await next(page, l.steps[2].title);
  await overlay(page, [/^Overlay Run \d+ .*batch 256/, /^Overlay Run \d+ .*batch 8\b/]);
  await passed(page);

  await next(page, l.steps[3].title);
  await setCode(page, batchSolutions.middle);
  await train(page);
  await passed(page);
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();
});

test('lesson 6, optimizers race from one seed, overlaid; the ≤ 100-parameter challenge fails once, then is met', async ({ page }) => {
  const l = optimizers;
  await openLesson(page, l.id);
  await train(page);
  await expect(checkpoint(page)).toHaveText(/^Not yet: 1 of 3 different optimizers/);
  await setCode(page, momentum);
  await train(page);
  await setCode(page, adam);
  await train(page);
  await passed(page, /3 finished runs from the same weight seed with different optimizers: sgd, momentum, adam/);

  await next(page, l.steps[1].title);
  await overlay(page, [/^Overlay Run \d+ · sgd\b/, /^Overlay Run \d+ · adam\b/]);
  await passed(page);
  await next(page, l.steps[2].title);
  await rail(page).getByRole('button', { name: 'Next step' }).click();
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();

  await setCode(page, optTries.short);
  await train(page);
  await expect(challenge(page)).toHaveText(/^Not yet: best final validation accuracy so far \d+\.\d %; needs ≥ 95\.0 %/);
  await expect(rail(page).getByRole('list', { name: 'Challenge hints' })).toContainText('24 + 54 + 21 = 99');
  await setCode(page, optTries.met);
  await train(page);
  await expect(challenge(page)).toHaveText(/^Challenge met/);
});

test('lesson 7, overfitting: memorised, then L2, Dropout, more data and stopping early', async ({ page }) => {
  const l = overfitting;
  await openLesson(page, l.id);
  await train(page);
  await passed(page, /validation loss − training loss = \d/);

  await next(page, l.steps[1].title);
  await setCode(page, overfitSolutions.l2);
  await train(page);
  await passed(page);

  await next(page, l.steps[2].title);
  await setCode(page, overfitSolutions.dropout);
  await train(page);
  await passed(page);

  await next(page, l.steps[3].title);
  await setCode(page, overfitSolutions['more-data']);
  await page.getByLabel('Samples').fill('400');
  await page.getByLabel('Samples').blur();
  await train(page);
  await passed(page);

  await next(page, l.steps[4].title);
  await page.getByLabel('Samples').fill('60');
  await page.getByLabel('Samples').blur();
  await setCode(page, overfitSolutions['early-stopping']);
  await train(page);
  await passed(page, /final validation loss within 25 % of the run's lowest/);
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();
});

test('lesson 8, initialisation: the same seed repeats a run, other seeds differ, zeros never learn', async ({ page }) => {
  const l = initialization;
  await openLesson(page, l.id);
  await train(page);
  await expect(checkpoint(page)).toHaveText(/^Not yet: no two finished runs/);
  await train(page);
  await passed(page, /both ended at loss \d/);

  await next(page, l.steps[1].title);
  for (const seed of ['2', '3']) {
    await page.getByLabel('Weight seed').fill(seed);
    await page.getByLabel('Weight seed').blur();
    await train(page);
  }
  await passed(page, /2 finished runs with different seed/);

  await next(page, l.steps[2].title);
  await setCode(page, initSolutions.zeros);
  await train(page);
  await passed(page);
  // Stuck at a uniform guess among 3 classes: ln 3 ≈ 1.10.
  expect(await metric(page, 'Loss')).toBeCloseTo(Math.log(3), 1);
  await next(page, l.steps[3].title);
  await rail(page).getByRole('button', { name: 'Next step' }).click();
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();
});

test('lesson 12, eager vs compiled: an eager run, the comparison, a compiled run', async ({ page }) => {
  const l = eagerVsCompiled;
  await openLesson(page, l.id);
  await train(page);
  await passed(page);

  await next(page, l.steps[1].title);
  await page.getByRole('button', { name: 'Compare eager and compiled' }).click();
  await expect(page.getByRole('status', { name: 'Comparison status' })).toHaveText('Done.', { timeout: 240_000 });
  await passed(page, /compare-done/);

  await next(page, l.steps[2].title);
  await page.getByRole('radio', { name: 'Compiled (one ONNX graph)' }).check();
  await train(page);
  await expect(page.getByRole('status', { name: 'Compiled engine in use' })).toBeVisible();
  await passed(page);
  await next(page, l.steps[3].title);
  await rail(page).getByRole('button', { name: 'Next step' }).click();
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();
});

/** On /bench: only the given model, TF.js CPU and inference at batch 1 (a race of one cell), Run, until Done. */
async function quickBench(page: Page, model: string) {
  await expect(page.getByRole('heading', { name: 'Race your backends' })).toBeVisible();
  for (const box of await page.getByRole('group', { name: 'Models' }).getByRole('checkbox').all()) await box.uncheck();
  await page.getByRole('checkbox', { name: model }).check();
  for (const box of await page.getByRole('group', { name: 'Engines and backends' }).getByRole('checkbox').all()) await box.uncheck();
  await page.getByRole('checkbox', { name: 'TF.js CPU' }).check();
  for (const box of await page.getByRole('group', { name: 'Modes' }).getByRole('checkbox').all()) await box.uncheck();
  await page.getByRole('checkbox', { name: 'Inference, batch 1' }).check();
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Benchmark status' })).toHaveText(/^Done: 1 cell/, { timeout: 120_000 });
}

test('lesson 13, benchmark: a race on /bench counts when the learner comes back (Back, or the Playground link)', async ({ page }) => {
  const l = benchmark;
  await openLesson(page, l.id);
  await expect(checkpoint(page)).toHaveText(/^Not yet: bench-done: seen 0/);
  // Client-side navigation through the top bar: the lesson events are module state and survive it.
  await page.getByRole('link', { name: 'Bench', exact: true }).click();
  await quickBench(page, 'Tiny MLP');
  await page.goBack();
  await expect(rail(page)).toBeVisible();
  await expectStep(page, l.steps[0].title);
  await passed(page, /bench-done: seen once/);

  await next(page, l.steps[1].title);
  await expect(checkpoint(page)).toHaveText(/^Not yet/);
  await page.getByRole('link', { name: 'Bench', exact: true }).click();
  await quickBench(page, 'Wide MLP (4×512)');
  // Back through the Playground link this time: the page reopens the lesson it had open, at the same step.
  await page.getByRole('link', { name: 'Playground', exact: true }).click();
  await expect(rail(page)).toBeVisible();
  await expectStep(page, l.steps[1].title);
  await passed(page, /Wide MLP/);
  await expect(page).toHaveURL(/\?lesson=benchmark&step=2$/);
  await next(page, l.steps[2].title);
  await rail(page).getByRole('button', { name: 'Next step' }).click();
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();
});

test('lesson 14, ONNX: train, export, run in ONNX Runtime, open the file in the viewer', async ({ page }) => {
  const l = onnx;
  await openLesson(page, l.id);
  await train(page);
  await passed(page);

  await next(page, l.steps[1].title);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export ONNX' }).click()]);
  expect(download.suggestedFilename()).toBe('model.onnx');
  const file = test.info().outputPath('model.onnx');
  await download.saveAs(file);
  await passed(page, /onnx-exported/);

  await next(page, l.steps[2].title);
  await page.getByRole('button', { name: 'Run in ONNX Runtime' }).click();
  await expect(page.getByRole('status', { name: 'ONNX result' })).toContainText('trained weights', { timeout: 120_000 });
  await passed(page, /onnx-run/);

  await next(page, l.steps[3].title);
  await page.getByRole('link', { name: 'ONNX', exact: true }).click();
  await page.getByLabel('Open an .onnx file').setInputFiles(file);
  await expect(page.getByRole('list', { name: 'Operators' })).toContainText('MatMul');
  await page.goBack();
  await expect(rail(page)).toBeVisible();
  await passed(page, /onnx-opened/);
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();
});

test('lesson 15, the edge: float32, float16 and int8 side by side, the int8 file exported', async ({ page }) => {
  const l = quantization;
  await openLesson(page, l.id);
  await train(page);
  await passed(page);

  await next(page, l.steps[1].title);
  await page.getByRole('button', { name: 'Run in ONNX Runtime' }).click();
  await expect(page.getByRole('status', { name: 'ONNX result' })).toContainText('trained weights', { timeout: 120_000 });
  await passed(page, /variants 3/);
  const variants = page.getByRole('table', { name: 'ONNX variants' });
  const size = async (v: RegExp) => Number.parseFloat((await variants.getByRole('row', { name: v }).getByRole('cell').first().textContent()) ?? 'NaN');
  // What the lesson says: half and a quarter of the size.
  const fp32 = await size(/^float32/);
  expect(await size(/^float16/)).toBeLessThan(fp32 * 0.6);
  expect(await size(/^int8/)).toBeLessThan(fp32 * 0.35);

  await next(page, l.steps[2].title);
  await page.getByLabel('ONNX weights').selectOption({ label: 'int8 weights (dynamic)' });
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export ONNX' }).click()]);
  expect(download.suggestedFilename()).toBe('model-int8.onnx');
  await passed(page, /variant int8/);
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();
});

test('lesson 16, memory in RNNs: a SimpleRNN fails on 8 bits of parity, learns 2, then a GRU on 8', async ({ page }) => {
  const l = rnnMemory;
  await openLesson(page, l.id);
  await train(page);
  await passed(page);

  await next(page, l.steps[1].title);
  await page.getByLabel('Sequence length').fill('2');
  await page.getByLabel('Sequence length').blur();
  await train(page);
  await passed(page, /final validation accuracy (9\d|100)\.\d %/);

  await next(page, l.steps[2].title);
  await page.getByLabel('Sequence length').fill('8');
  await page.getByLabel('Sequence length').blur();
  await setCode(page, rnnSolutions.gated);
  await train(page);
  await passed(page);
  await overlay(page, [/^Overlay Run 1 /, /^Overlay Run 3 /]);
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();
});

test('lesson 17, attention: the encoder learns to reverse (the anti-diagonal), and fails without positions', async ({ page }) => {
  const l = attention;
  await openLesson(page, l.id);
  // The attention maps (in Pictures) are there before training.
  await expect(page.getByRole('table', { name: 'Attention maps' })).toBeVisible();
  await next(page, l.steps[1].title);
  await train(page);
  await passed(page, /final validation accuracy \d+\.\d %/);
  // The mirrored position gets far more than a uniform 1/6 of the attention.
  const anti = page.getByText(/on the anti-diagonal \(the mirrored\s+position\) \d\.\d\d/).first();
  await expect(anti).toBeVisible();
  const weight = Number(/mirrored\s+position\) (\d\.\d\d)/.exec((await anti.textContent()) ?? '')?.[1]);
  expect(weight).toBeGreaterThan(0.3);

  await next(page, l.steps[2].title);
  await setCode(page, attentionSolutions['no-positions']);
  await train(page);
  await passed(page);
  expect(await metric(page, 'Validation accuracy')).toBeLessThan(0.5);
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();
});
