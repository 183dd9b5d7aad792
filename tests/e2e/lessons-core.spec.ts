/**
 * Lessons: /learn lists them, a lesson link opens the lesson as a new session (the user's own program stays in the
 * Sessions menu) with the lesson's panels hidden, and each lesson is completed end to end by doing what the rail says
 * (editing the program, pressing Train, inspecting…) and seeing every checkpoint pass. Progress survives a reload.
 */
import { expect, test, type Page } from '@playwright/test';
import { openPlayground, runStatus, setCode } from './helpers';
import { LESSONS } from '../../src/lib/lessons/index';
import { lesson as oneNeuron, solutions as oneNeuronSolutions } from '../../src/lib/lessons/one-neuron';
import * as hiddenLayers from '../../src/lib/lessons/hidden-layers';
import * as activations from '../../src/lib/lessons/activations';
import * as convolutions from '../../src/lib/lessons/convolutions';
import * as batchNorm from '../../src/lib/lessons/batch-norm';
import * as kerasApi from '../../src/lib/lessons/keras-api';

const rail = (page: Page) => page.getByRole('complementary', { name: 'Lesson' });
const checkpoint = (page: Page) => rail(page).getByRole('status', { name: 'Checkpoint' });
const steps = (page: Page) => rail(page).getByRole('list', { name: 'Lesson steps' });

/** A fresh app (as openPlayground) with no lesson progress either, then the given lesson. */
async function openLesson(page: Page, id: string) {
  await page.addInitScript(() => {
    if (!sessionStorage.getItem('e2e-keep')) indexedDB.deleteDatabase('nn-playground-lessons');
  });
  await openPlayground(page);
  await page.evaluate(() => sessionStorage.setItem('e2e-keep', '1'));
  await page.goto(`/?lesson=${id}`);
  await expect(rail(page)).toBeVisible();
  await expect(page.locator('.monaco-editor')).toBeVisible({ timeout: 30_000 });
}

async function trainAndWait(page: Page) {
  const train = page.getByRole('button', { name: 'Train', exact: true });
  await expect(train).toBeEnabled();
  await train.click();
  await expect(runStatus(page)).toContainText(/Completed|Diverged|Stopped|Failed/, { timeout: 180_000 });
}

/** Trains until the step's checkpoint passes (a fresh start can do better: at most `tries` runs). */
async function trainUntilPassed(page: Page, tries = 3) {
  for (let i = 0; i < tries; i++) {
    await trainAndWait(page);
    if (/^Checkpoint passed/.test((await checkpoint(page).textContent())?.trim() ?? '')) return;
  }
  await expect(checkpoint(page)).toHaveText(/^Checkpoint passed/);
}

/** The current step's title (its text, without the "passed" mark). */
async function expectStep(page: Page, title: string) {
  await expect(steps(page).locator('[aria-current="step"]')).toHaveText(new RegExp(`^\\d+\\. ${title.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
}

const next = (page: Page) => rail(page).getByRole('button', { name: 'Next step' }).click();
const passed = (page: Page) => expect(checkpoint(page)).toHaveText(/^Checkpoint passed/);
const done = (page: Page) => expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();

test('/learn lists every lesson with what it teaches and how long it takes', async ({ page }) => {
  await page.goto('/learn');
  await expect(page.getByRole('heading', { level: 1, name: 'Learn' })).toBeVisible();
  const list = page.getByRole('list', { name: 'Lessons' });
  await expect(list.getByRole('listitem')).toHaveCount(LESSONS.length);
  for (const l of LESSONS) {
    const item = list.getByRole('listitem').filter({ has: page.getByRole('link', { name: l.title, exact: true }) });
    await expect(item).toContainText(l.learn);
    await expect(item).toContainText(`about ${l.minutes} min`);
    await expect(item.getByRole('link', { name: l.title, exact: true })).toHaveAttribute('href', `/?lesson=${l.id}`);
  }
  await expect(page.getByRole('link', { name: 'Back to the playground' })).toBeVisible();
  await page.getByRole('link', { name: 'Learn' }).first().click();
  await expect(page).toHaveURL(/\/learn$/);
});

test('a lesson link opens a new session with hidden panels; leaving restores them; an unknown lesson says so', async ({ page }) => {
  await openPlayground(page);
  await page.evaluate(() => sessionStorage.setItem('e2e-keep', '1'));
  await setCode(page, '# my own program\nimport keras\nfrom keras import layers\n\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, activation="softmax")])\n');
  await expect(page.getByRole('button', { name: /^Sessions/ })).toHaveText('Sessions: Session 1');
  await page.waitForTimeout(600); // the edit is saved 200 ms after the last change

  await page.goto('/?lesson=one-neuron');
  await expect(rail(page).getByRole('heading', { name: oneNeuron.title })).toBeVisible();
  await expect(page.getByRole('button', { name: /^Sessions/ })).toHaveText(`Sessions: Lesson 1: ${oneNeuron.title}`);
  // Hidden panels: the Example menu, Export, the engine toggle, Eager vs compiled.
  await expect(page.getByLabel('Example')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Export' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Keras script (.py)' })).toHaveCount(0);
  // The lesson's program is in the editor, the user's own is still a session.
  await expect(page.locator('.monaco-editor .view-lines')).toContainText('One\u00a0neuron');
  await page.getByRole('button', { name: /^Sessions/ }).click();
  const saved = page.getByRole('list', { name: 'Saved sessions' });
  await expect(saved.getByRole('listitem')).toHaveCount(2);
  await expect(saved.getByRole('button', { name: 'Open Session 1' })).toBeVisible();
  await page.getByRole('button', { name: /^Sessions/ }).click();

  await rail(page).getByRole('button', { name: 'Leave lesson' }).click();
  await expect(rail(page)).toHaveCount(0);
  await expect(page.getByLabel('Example')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Keras script (.py)' })).toBeVisible();
  await expect(page).not.toHaveURL(/lesson=/);
  await expect(page.getByRole('button', { name: /^Sessions/ })).toHaveText(`Sessions: Lesson 1: ${oneNeuron.title}`);

  await page.goto('/?lesson=no-such-lesson');
  await expect(page.getByRole('alert').filter({ hasText: 'There is no lesson “no-such-lesson”' })).toBeVisible();
  await expect(rail(page)).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toBeVisible();
});

test('lesson 1, one neuron: fails on XOR, passes with a hidden layer; progress survives a reload', async ({ page }) => {
  await openLesson(page, 'one-neuron');
  await expectStep(page, oneNeuron.steps[0].title);
  await expect(checkpoint(page)).toHaveText(/^Not yet: no finished run yet: press Train/);
  await expect(page.getByRole('button', { name: 'Train', exact: true })).toHaveClass(/lesson-highlight/);
  await trainAndWait(page);
  await expect(checkpoint(page)).toHaveText(/^Checkpoint passed: a run never got past accuracy 0\.\d\d/);
  await expect(rail(page)).toContainText('What to notice');
  await expect(steps(page).getByRole('listitem').first()).toHaveText(/passed/);

  await rail(page).getByRole('button', { name: 'Next step' }).click();
  await expectStep(page, oneNeuron.steps[1].title);
  await rail(page).getByRole('button', { name: 'Next step' }).click();
  await expectStep(page, oneNeuron.steps[2].title);
  await expect(checkpoint(page)).toHaveText(/^Not yet/);
  await rail(page).getByRole('button', { name: 'Show a hint' }).click();
  await expect(rail(page).getByRole('list', { name: 'Hints' })).toContainText('Dense(8');
  await setCode(page, oneNeuronSolutions.hidden);
  await trainUntilPassed(page);
  await expect(checkpoint(page)).toHaveText(/^Checkpoint passed: best validation accuracy 0\.9\d|1\.00/);
  await expect(rail(page).getByRole('status', { name: 'Lesson done' })).toBeVisible();
  await expect(page).toHaveURL(/\?lesson=one-neuron&step=3$/);

  await page.reload();
  await expect(rail(page)).toBeVisible();
  await expectStep(page, oneNeuron.steps[2].title);
  await expect(checkpoint(page)).toHaveText(/^Checkpoint passed/);
  for (const s of oneNeuron.steps) await expect(steps(page).getByRole('listitem').filter({ hasText: s.title })).toHaveText(/passed/);
  await page.goto('/learn');
  await expect(page.getByRole('list', { name: 'Lessons' }).getByRole('listitem').filter({ hasText: oneNeuron.title })).toContainText('Done');
});

test('lesson 2, hidden layers: train, inspect a point, two units', async ({ page }) => {
  const { lesson, solutions } = hiddenLayers;
  await openLesson(page, lesson.id);
  await trainUntilPassed(page);
  await next(page);
  await expectStep(page, lesson.steps[1].title);
  await expect(checkpoint(page)).toHaveText('Not yet: inspected: seen 0 of 1 time');
  await expect(page.getByRole('button', { name: 'Inspect point' })).toHaveClass(/lesson-highlight/);
  await page.getByLabel('x', { exact: true }).fill('0');
  await page.getByLabel('y', { exact: true }).fill('0');
  await page.getByRole('button', { name: 'Inspect point' }).click();
  await expect(checkpoint(page)).toHaveText('Checkpoint passed: inspected: seen once');
  await next(page);
  await expectStep(page, lesson.steps[2].title);
  await next(page);
  await expectStep(page, lesson.steps[3].title);
  await expect(checkpoint(page)).toHaveText(/^Not yet: no finished run with at most 9 parameters yet/);
  await setCode(page, solutions['two-units']);
  await trainAndWait(page);
  await passed(page);
  await done(page);
});

test('lesson 3, activations: relu, tanh, sigmoid, and dead relus in the histograms', async ({ page }) => {
  const { lesson, solutions } = activations;
  await openLesson(page, lesson.id);
  await trainAndWait(page);
  await passed(page);
  for (const [i, id] of (['tanh', 'sigmoid'] as const).entries()) {
    await next(page);
    await expectStep(page, lesson.steps[i + 1].title);
    await expect(checkpoint(page)).toHaveText(new RegExp(`^Not yet: no finished run with ${id} yet`));
    await setCode(page, solutions[id]);
    await trainAndWait(page);
    await passed(page);
  }
  await next(page);
  await expectStep(page, lesson.steps[3].title);
  await setCode(page, solutions['dead-relu']);
  await page.getByRole('heading', { name: 'Model code' }).scrollIntoViewIfNeeded();
  await trainAndWait(page);
  await expect(checkpoint(page)).toHaveText(/^Not yet: histograms-seen: seen 0 of 1 time/);
  await page.getByRole('list', { name: 'Weight and gradient histograms' }).scrollIntoViewIfNeeded();
  await passed(page);
  await done(page);
});

test('lesson 9, convolutions: Dense vs Conv2D on the digits, feature maps, parameters', async ({ page }) => {
  test.setTimeout(480_000);
  const { lesson, solutions } = convolutions;
  await openLesson(page, lesson.id);
  await expect(page.getByLabel('Dataset')).toHaveCount(0); // the data controls are hidden
  await trainAndWait(page);
  await passed(page);
  await next(page);
  await setCode(page, solutions.conv);
  await trainAndWait(page);
  await expect(checkpoint(page)).toHaveText(/^Checkpoint passed: best validation accuracy 0\.(8[5-9]|9\d) ≥ 0\.85/);
  await next(page);
  await expectStep(page, lesson.steps[2].title);
  await page.getByRole('list', { name: 'Test images with predicted labels' }).getByRole('button').first().click();
  await passed(page);
  await next(page);
  await expectStep(page, lesson.steps[3].title);
  await next(page);
  await expectStep(page, lesson.steps[4].title);
  await expect(checkpoint(page)).toHaveText(/^Checkpoint passed: 1 Conv2D layer; 13610 parameters ≤ 15000/);
  await done(page);
});

test('lesson 10, batch normalization: a deep sigmoid network learns once normalised', async ({ page }) => {
  const { lesson, solutions } = batchNorm;
  await openLesson(page, lesson.id);
  await trainAndWait(page);
  await expect(checkpoint(page)).toHaveText(/^Checkpoint passed: a run never got past accuracy 0\.[0-6]\d/);
  await next(page);
  await setCode(page, solutions.bn);
  await trainUntilPassed(page);
  await next(page);
  await expectStep(page, lesson.steps[2].title);
  await next(page);
  await setCode(page, solutions['bigger-steps']);
  await trainAndWait(page);
  await expect(checkpoint(page)).toHaveText(/^Not yet: 1 finished run with different learningRate \(0\.5\)/);
  await setCode(page, solutions.bn);
  await trainAndWait(page);
  await expect(checkpoint(page)).toHaveText(/^Checkpoint passed: 2 finished runs with different learningRate/);
  await done(page);
});

test('lesson 11, Keras in a few lines: Sequential, functional, residual', async ({ page }) => {
  const { lesson, solutions } = kerasApi;
  await openLesson(page, lesson.id);
  await trainAndWait(page);
  await passed(page);
  await next(page);
  await trainAndWait(page); // still the Sequential program: does not count
  await expect(checkpoint(page)).toHaveText(/^Not yet: no finished run of a functional model yet/);
  await setCode(page, solutions.functional);
  await trainAndWait(page);
  await passed(page);
  await next(page);
  await setCode(page, solutions.residual);
  await trainAndWait(page);
  await passed(page);
  await next(page);
  await expect(page.getByRole('heading', { name: 'Model graph', exact: true })).toBeVisible();
  await next(page);
  await done(page);
});
