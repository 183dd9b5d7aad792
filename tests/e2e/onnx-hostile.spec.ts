import { expect, test } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { encodeModel, GraphBuilder, makeModel } from '../../src/lib/onnx/graph';
import { longTasks, recordLongTasks } from './helpers';

/**
 * /onnx with large and broken files: they are decoded in a worker, so the page never freezes (no main-thread task
 * over 200 ms while a file is read), and a broken one gets a message.
 */

/** A valid model whose one initializer is `floats` float32 values (a large file). */
function bigModel(floats: number): Uint8Array {
  const g = new GraphBuilder('big');
  const x = g.input('x', 'float32', ['batch', floats]);
  const w = g.initializer('w', 'float32', [floats], new Float32Array(floats).fill(0.25));
  g.output(g.node('Add', [x, w], {}, { name: 'add', outputNames: ['y'] }), 'float32', ['batch', floats]);
  return encodeModel(makeModel(g.graph, { producerVersion: '0.0.1' }));
}

test('a large file and large broken files are read without freezing the page', async ({ page }, testInfo) => {
  test.setTimeout(180_000);
  const big = bigModel(25_000_000); // 100 MB
  const files: { name: string; path: string; ok: boolean }[] = [
    { name: 'big.onnx', ok: true, bytes: big },
    { name: 'big-truncated.onnx', ok: false, bytes: big.subarray(0, big.length - 1000) },
    { name: 'noise.onnx', ok: false, bytes: Uint8Array.from({ length: 60_000_000 }, (_, i) => (i * 2654435761) >>> 24) }
  ].map((f) => {
    const path = testInfo.outputPath(f.name);
    writeFileSync(path, f.bytes);
    return { name: f.name, path, ok: f.ok };
  });

  await page.goto('/onnx');
  const picker = page.getByLabel('Open an .onnx file');
  await expect(picker).toBeAttached();
  await recordLongTasks(page);
  for (const f of files) {
    await picker.setInputFiles(f.path);
    if (f.ok) {
      await expect(page.getByRole('heading', { name: f.name })).toBeVisible({ timeout: 60_000 });
      await expect(page.getByRole('table', { name: 'Initializers' }).getByRole('row', { name: /^Total/ })).toContainText('25,000,000');
    } else {
      await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toContainText(`${f.name} could not be opened`, { timeout: 60_000 });
    }
  }
  const tasks = await longTasks(page);
  console.log(`main-thread long tasks while reading ${files.length} files (ms): ${tasks.map((t) => Math.round(t)).join(', ') || 'none'}`);
  expect(Math.max(0, ...tasks)).toBeLessThan(200);
});

test('a model with 30 000 nodes is shown without freezing the page', async ({ page }, testInfo) => {
  const g = new GraphBuilder('long');
  let v = g.input('x', 'float32', ['batch', 4]);
  for (let i = 0; i < 30_000; i++) v = g.node('Relu', [v], {}, { name: `relu_${i}`, ...(i === 29_999 ? { outputNames: ['y'] } : {}) });
  g.output(v, 'float32', ['batch', 4]);
  const path = testInfo.outputPath('long.onnx');
  writeFileSync(path, encodeModel(makeModel(g.graph, { producerVersion: '0.0.1' })));

  await page.goto('/onnx');
  const picker = page.getByLabel('Open an .onnx file');
  await expect(picker).toBeAttached();
  await recordLongTasks(page);
  await picker.setInputFiles(path);
  await expect(page.getByRole('heading', { name: 'long.onnx' })).toBeVisible({ timeout: 60_000 });
  await expect(page.getByRole('img', { name: /Graph of 30000 nodes/ })).toBeVisible();
  await expect(page.getByText('The first 200 of 30,000 nodes are listed.')).toBeVisible();
  await expect(page.getByRole('table', { name: 'Nodes' }).getByRole('row')).toHaveCount(201);
  await page.getByRole('button', { name: 'Show 200 more' }).click();
  await expect(page.getByRole('table', { name: 'Nodes' }).getByRole('row')).toHaveCount(401);
  await expect(page.getByRole('table', { name: 'Nodes' }).getByRole('row', { name: /^relu_399 Relu/ })).toBeAttached();
  await page.waitForTimeout(500);
  const tasks = await longTasks(page);
  console.log(`main-thread long tasks showing 30 000 nodes (ms): ${tasks.map((t) => Math.round(t)).join(', ') || 'none'}`);
  expect(Math.max(0, ...tasks)).toBeLessThan(200);
});

test('a file read in the decode worker still runs in ONNX Runtime (its bytes come back from the worker)', async ({ page }) => {
  const g = new GraphBuilder('tiny');
  const x = g.input('x', 'float32', ['batch', 3]);
  const w = g.initializer('w', 'float32', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]));
  g.output(g.node('MatMul', [x, w], {}, { outputNames: ['y'] }), 'float32', ['batch', 2]);
  await page.goto('/onnx');
  await page.getByLabel('Open an .onnx file').setInputFiles({ name: 'tiny.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeModel(makeModel(g.graph, { producerVersion: 'e2e' }))) });
  await expect(page.getByRole('table', { name: 'Nodes' })).toContainText('MatMul');
  await page.getByLabel('Input values (.json, .csv, .npy)').setInputFiles({ name: 'x.csv', mimeType: 'text/csv', buffer: Buffer.from('1,0,0\n0,1,1\n') });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  const first = page.getByRole('table', { name: 'Outputs', exact: true }).getByRole('row', { name: /^y/ });
  await expect(first).toContainText('1, 2, 8, 10', { timeout: 60_000 });
});
