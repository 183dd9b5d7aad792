import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync } from 'fflate';
import { openPlayground } from './helpers';

test('Show in PyTorch: Keras and PyTorch side by side, hover highlights the same layer; the PyTorch export downloads and runs', async ({ page }, testInfo) => {
  test.setTimeout(120_000);
  await openPlayground(page);
  await expect(page.getByText('No problems.')).toBeVisible();

  await page.getByRole('button', { name: 'Show in PyTorch' }).click();
  const torch = page.getByRole('region', { name: 'PyTorch code' });
  const keras = page.getByRole('region', { name: 'Keras code' });
  await expect(torch).toContainText('class Model(nn.Module):');
  await expect(torch).toContainText('torch.softmax(self.dense_2(dense_1), dim=-1)');

  // Hover the last Dense of the Keras program: its PyTorch lines (constructor, init, forward, weights) light up.
  await keras.locator('.line', { hasText: 'layers.Dense(3, activation="softmax")' }).hover();
  const lit = torch.locator('.line[data-highlighted="true"]');
  await expect(lit.filter({ hasText: 'self.dense_2 = nn.Linear(16, 3, bias=True)' })).toHaveCount(1);
  await expect(lit.filter({ hasText: 'dense_2 = torch.softmax(self.dense_2(dense_1), dim=-1)' })).toHaveCount(1);
  await expect(lit.filter({ hasText: 'self.dense_1' })).toHaveCount(0);
  await expect(keras.locator('.line[data-highlighted="true"]')).toHaveText(['    layers.Dense(3, activation="softmax"),']);

  // Hover the optimizer line of the PyTorch side: the Keras compile(...) lights up.
  await torch.locator('.line', { hasText: 'torch.optim.Adam(' }).hover();
  await expect(keras.locator('.line[data-highlighted="true"]').first()).toContainText('model.compile(');

  // The export: a zip with train.py, weights.npz and a README; train.py predicts with the weights.
  const downloading = page.waitForEvent('download');
  await page.getByRole('button', { name: 'PyTorch', exact: true }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe('model-pytorch.zip');
  const zipPath = testInfo.outputPath('model-pytorch.zip');
  await download.saveAs(zipPath);
  const files = unzipSync(new Uint8Array(readFileSync(zipPath)));
  expect(Object.keys(files).sort()).toEqual(['README.md', 'train.py', 'weights.npz']);
  expect(new TextDecoder().decode(files['README.md'])).toContain('torchrun --nproc_per_node=2');
  await expect(page.getByRole('status', { name: 'Export' })).toContainText('model-pytorch.zip');

  const torchOk = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
  test.skip(!torchOk && !process.env.CI, 'python3-torch is not installed (apt-get install python3-torch)');
  const dir = mkdtempSync(join(tmpdir(), 'pytorch-e2e-'));
  for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
  spawnSync('/usr/bin/python3', ['-c', 'import numpy as np; np.save("x.npy", np.array([[0.5, -0.5], [0.0, 1.0]], dtype=np.float32))'], { cwd: dir });
  const r = spawnSync('/usr/bin/python3', ['train.py', '--weights', 'weights.npz', '--predict', 'x.npy', '--out', 'y.npy'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('Wrote y.npy: predictions (2, 3)');
});
