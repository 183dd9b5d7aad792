import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { CHROME_ARGS, CHROME_PATH } from '../../playwright.config';
import { encodeModel, GraphBuilder, makeModel } from '../../src/lib/onnx/graph';
import { maxDiff, openPlayground, runStatus, setCode } from './helpers';

const spiral = readFileSync(new URL('../../examples/spiral.py', import.meta.url), 'utf8');

test('train → export ONNX → run in ONNX Runtime (wasm, WebGPU) → open the file on /onnx; broken files get a message', async ({ page, baseURL }, testInfo) => {
  test.setTimeout(300_000);
  // No network at run time: every request goes to the app itself (ORT's .wasm included).
  const requests: string[] = [];
  page.context().on('request', (r) => void requests.push(r.url()));
  await openPlayground(page);
  await setCode(page, spiral.replace('epochs=100', 'epochs=5'));
  await expect(page.getByText('No problems.')).toBeVisible();
  await page.getByLabel('Backend', { exact: true }).selectOption('cpu');
  await page.getByRole('button', { name: 'Train', exact: true }).click();
  await expect(runStatus(page)).toContainText('Completed — epoch 5 of 5', { timeout: 60_000 });

  // Export: a real .onnx download, and the sizes of the three variants.
  const downloadPromise = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export ONNX' }).click();
  const download = await downloadPromise;
  expect(download.suggestedFilename()).toBe('model.onnx');
  const file = testInfo.outputPath('model.onnx');
  await download.saveAs(file);
  const bytes = readFileSync(file);
  expect(bytes.length).toBeGreaterThan(371 * 4);
  await expect(page.getByRole('status', { name: 'ONNX result' })).toContainText('with the trained weights');
  const variants = page.getByRole('table', { name: 'ONNX variants' });
  await expect(variants.getByRole('row', { name: /^float32/ })).toContainText(/\d+(\.\d)? (B|KiB)/);

  // int8 export downloads a smaller file.
  await page.getByLabel('ONNX weights').selectOption('int8');
  const int8Promise = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export ONNX' }).click();
  const int8 = await int8Promise;
  expect(int8.suggestedFilename()).toBe('model-int8.onnx');
  const int8File = testInfo.outputPath('model-int8.onnx');
  await int8.saveAs(int8File);
  expect(readFileSync(int8File).length).toBeLessThan(bytes.length);

  for (const [provider, shown] of [['wasm', /^ONNX Runtime ran on wasm$/], ['webgpu', /^ONNX Runtime ran on WebGPU.*\(adapter: google swiftshader\)/]] as const) {
    await page.getByLabel('ONNX Runtime provider', { exact: true }).selectOption(provider);
    await page.getByRole('button', { name: 'Run in ONNX Runtime' }).click();
    await expect(variants.getByRole('row', { name: /^int8/ }).getByRole('cell').nth(3)).toHaveText(/\d/, { timeout: 120_000 });
    await expect(page.getByRole('status', { name: 'ONNX Runtime provider in use' })).toHaveText(shown);
    const d32 = await maxDiff(page, /^float32/);
    const d16 = await maxDiff(page, /^float16/);
    const d8 = await maxDiff(page, /^int8/);
    const ms = Number.parseFloat((await variants.getByRole('row', { name: /^float32/ }).getByRole('cell').nth(2).textContent()) ?? 'NaN');
    const tfMs = Number.parseFloat((await variants.getByRole('row', { name: /^TF\.js/ }).getByRole('cell').nth(2).textContent()) ?? 'NaN');
    console.log(`spiral on ORT ${provider}: fp32 ${ms} ms/batch (TF.js cpu ${tfMs}), max diff fp32 ${d32}, fp16 ${d16}, int8 ${d8}`);
    expect(d32).toBeLessThanOrEqual(1e-4);
    expect(d16).toBeLessThan(1e-2);
    expect(d8).toBeLessThan(0.1);
    expect(ms).toBeGreaterThan(0);
    await expect(variants.getByRole('row', { name: /^float32/ })).toContainText(/\d+\.\d% \/ \d+\.\d%/);
  }
  await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toHaveCount(0);
  expect(requests.filter((u) => !u.startsWith(baseURL!) && !/^(blob|data):/.test(u))).toEqual([]);
  expect(requests.some((u) => u.startsWith(baseURL!) && /ort-wasm-simd-threaded\.jsep[-.\w]*\.wasm$/.test(u)), requests.filter((u) => u.includes('wasm')).join(', ')).toBe(true);

  // /onnx: the exported file's properties and graph.
  await page.getByRole('link', { name: 'ONNX' }).click();
  await expect(page.getByRole('heading', { name: 'Open an ONNX model' })).toBeVisible();
  const picker = page.getByLabel('Open an .onnx file');
  await picker.setInputFiles(file);
  const props = page.getByRole('definition');
  await expect(page.getByRole('heading', { name: 'model.onnx' })).toBeVisible();
  await expect(props.first()).toContainText('nn-playground');
  await expect(page.getByRole('table', { name: 'Inputs and outputs' })).toContainText(/batch, 2/);
  const nodes = page.getByRole('table', { name: 'Nodes' });
  await expect(nodes.getByRole('row')).not.toHaveCount(1);
  await expect(nodes).toContainText(/MatMul|Gemm/);
  await expect(nodes).toContainText('Softmax');
  await expect(page.getByRole('img', { name: /Graph of \d+ nodes/ })).toBeVisible();
  await expect(page.getByRole('img', { name: /Graph of \d+ nodes/ }).getByText('Softmax', { exact: true })).toBeVisible();
  await expect(page.getByRole('table', { name: 'Initializers' }).getByRole('row', { name: /^Total/ })).toContainText('371');
  await page.getByLabel('Size of batch').fill('5');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Provider in use' })).toContainText('Ran on wasm', { timeout: 60_000 });
  await expect(page.getByRole('table', { name: 'Outputs', exact: true })).toContainText('[5, 3]');

  // Broken files: a message each, and the page keeps working.
  const broken: [string, Buffer][] = [
    ['random.onnx', Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 251))],
    ['notes.onnx', Buffer.from('These are my notes, not a model.\nLine two.\n')],
    ['truncated.onnx', bytes.subarray(0, Math.floor(bytes.length / 2))]
  ];
  for (const [name, buf] of broken) {
    await picker.setInputFiles({ name, mimeType: 'application/octet-stream', buffer: buf });
    await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toContainText(`${name} could not be opened`);
    await expect(page.getByRole('table', { name: 'Nodes' })).toHaveCount(0);
  }
  await picker.setInputFiles(int8File);
  await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toHaveCount(0);
  await expect(page.getByRole('table', { name: 'Nodes' })).toContainText('DequantizeLinear');
  await page.getByLabel('Provider', { exact: true }).selectOption('webgpu');
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('status', { name: 'Provider in use' })).toContainText('Ran on WebGPU', { timeout: 60_000 });
  // What ORT's own log says about where each node ran.
  await expect(page.getByRole('status', { name: 'Node placement' })).toContainText(/JsExecutionProvider: \d+ nodes/);
  // A wrong input: values that do not fill whole rows.
  await page.getByLabel('Input values (.json, .csv, .npy)').setInputFiles({ name: 'x.json', mimeType: 'application/json', buffer: Buffer.from('[1, 2, 3]') });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toContainText('do not fill whole rows');
  await page.getByLabel('Input values (.json, .csv, .npy)').setInputFiles({ name: 'x.json', mimeType: 'application/json', buffer: Buffer.from('[[0.5, -0.5], [1, 0]]') });
  await page.getByRole('button', { name: 'Run', exact: true }).click();
  await expect(page.getByRole('table', { name: 'Outputs', exact: true })).toContainText('[2, 3]', { timeout: 60_000 });
});

test('/onnx/conformance: every case passes on ORT wasm and WebGPU', async ({ page }) => {
  test.setTimeout(420_000);
  await page.goto('/onnx/conformance');
  await expect(page.getByLabel('Include the example programs')).toBeChecked();
  await page.getByRole('button', { name: 'Check this browser' }).click();
  const progress = page.getByRole('status', { name: 'Conformance progress' });
  await expect(progress).toContainText(/^Done/, { timeout: 400_000 });
  const text = (await progress.textContent()) ?? '';
  console.log(`conformance: ${text}`);
  const table = page.getByRole('table', { name: 'Conformance' });
  const failures = await table.getByRole('row').filter({ has: page.getByRole('cell', { name: /^fail/ }) }).allTextContents();
  // WebGPU really ran (no fallback): the cell's title is the provider ORT reported.
  const titles = await table.getByRole('row', { name: /^Conv2D 3x3 same stride 1/ }).getByRole('cell').evaluateAll((cells) => cells.map((c) => c.getAttribute('title')));
  expect(titles).toContain('wasm');
  expect(titles.some((t) => t?.startsWith('WebGPU'))).toBe(true);
  console.log(`Conv2D cell providers: ${titles.join(' | ')}`);
  expect(failures).toEqual([]);
  expect(text).toMatch(/(\d+) of \1 cases pass, 0 fail/);
});

test.describe('without WebGPU', () => {
  test('asking for WebGPU says it is unavailable and runs on wasm', async ({ playwright, baseURL }) => {
    // A Chromium without --enable-unsafe-webgpu has no WebGPU adapter here.
    const browser = await playwright.chromium.launch({ executablePath: CHROME_PATH, args: CHROME_ARGS.filter((a) => a !== '--enable-unsafe-webgpu') });
    const page = await browser.newPage({ baseURL });
    const g = new GraphBuilder('tiny');
    const x = g.input('x', 'float32', ['batch', 3]);
    const w = g.initializer('w', 'float32', [3, 2], Float32Array.from([1, 2, 3, 4, 5, 6]));
    g.output(g.node('MatMul', [x, w], {}, { outputNames: ['y'] }), 'float32', ['batch', 2]);
    const bytes = Buffer.from(encodeModel(makeModel(g.graph, { producerVersion: 'e2e' })));
    await page.goto('/onnx');
    await page.getByLabel('Open an .onnx file').setInputFiles({ name: 'tiny.onnx', mimeType: 'application/octet-stream', buffer: bytes });
    await expect(page.getByRole('table', { name: 'Nodes' })).toContainText('MatMul');
    await page.getByLabel('Provider', { exact: true }).selectOption('webgpu');
    await page.getByLabel('Input values (.json, .csv, .npy)').setInputFiles({ name: 'x.csv', mimeType: 'text/csv', buffer: Buffer.from('1,0,0\n0,1,1\n') });
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.getByRole('status', { name: 'Provider in use' })).toContainText('Ran on wasm (WebGPU unavailable', { timeout: 60_000 });
    await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toContainText(/WebGPU unavailable: .+\. Ran on wasm\./);
    const first = page.getByRole('table', { name: 'Outputs', exact: true }).getByRole('row', { name: /^y/ });
    await expect(first).toContainText('[2, 2]');
    await expect(first).toContainText('1, 2, 8, 10');

    // A well-formed file with an operator ONNX Runtime does not know: the graph shows, running it says why not.
    const b = new GraphBuilder('odd');
    const bx = b.input('x', 'float32', ['batch', 3]);
    b.output(b.node('NoSuchOp', [bx], {}, { outputNames: ['y'] }), 'float32', ['batch', 3]);
    await page.getByLabel('Open an .onnx file').setInputFiles({ name: 'odd.onnx', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeModel(makeModel(b.graph, { producerVersion: 'e2e' }))) });
    await expect(page.getByRole('table', { name: 'Nodes' })).toContainText('NoSuchOp');
    await page.getByLabel('Provider', { exact: true }).selectOption('wasm');
    await page.getByRole('radio', { name: 'Random input' }).check();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await expect(page.getByRole('alert').filter({ hasText: /\S/ })).toContainText(/ONNX Runtime could not load this model: .*NoSuchOp/, { timeout: 60_000 });
    await expect(page.getByRole('button', { name: 'Run', exact: true })).toBeEnabled();
    await browser.close();
  });
});
