import { readFileSync } from 'node:fs';
import { expect, test } from '@playwright/test';

/**
 * The compiled step on WebGPU, on the playground's own kernels (the default) and on ONNX Runtime with and without graph
 * capture, computes what eager computes: the spiral, 50 steps, per-step losses of ORT WebGPU with graph
 * capture (and without) against TF.js eager on cpu, within 1e-5 relative (src/lib/compile/capture-parity.ts through
 * the /bench page's `window.__captureParity`). Before the fix (bound buffers not padded to 16 bytes) capture differed
 * by ~8e-2 here.
 */
for (const optimizer of ['adam', 'sgd'] as const) {
  test(`graph capture on WebGPU matches eager over 50 steps (${optimizer})`, async ({ page }) => {
    test.setTimeout(240_000);
    await page.goto('/bench');
    await page.waitForFunction(() => 'gpu' in navigator && '__captureParity' in window, null, { timeout: 30_000 });
    const r = await page.evaluate(async (optimizer) => {
      const f = (window as unknown as { __captureParity: (o: object) => Promise<Record<string, any>> }).__captureParity;
      return f({ steps: 50, optimizer });
    }, optimizer);
    console.log(`[${optimizer}] own kernels ${JSON.stringify(r.kernels.kernels)} ${r.kernels.msPerStep.toFixed(1)} ms/step, capture ${JSON.stringify(r.capture.capture)} ${r.capture.msPerStep.toFixed(1)} ms/step, plain ${r.plain.msPerStep.toFixed(1)} ms/step; max rel diff vs eager: own kernels ${r.relKernels.toExponential(2)}, capture ${r.relCapture.toExponential(2)}, plain ${r.relPlain.toExponential(2)}`);
    // The default on WebGPU: the playground's own kernels run the step (Adam: 25.5 dispatches per step for 58 ONNX
    // nodes, K = 4 steps per run plus 2 that gather their losses; SGD 21.5).
    expect(r.kernels.provider).toBe('webgpu');
    expect(r.kernels.kernels).toEqual({ active: true, dispatchesPerStep: optimizer === 'adam' ? 25.5 : 21.5, error: '' });
    expect(r.kernels.losses).toHaveLength(50);
    expect(r.relKernels).toBeLessThanOrEqual(1e-5);
    expect(r.capture.provider).toBe('webgpu');
    expect(r.capture.capture).toEqual({ active: true, error: '' });
    expect(r.eager).toHaveLength(50);
    expect(r.capture.losses).toHaveLength(50);
    expect(r.relPlain).toBeLessThanOrEqual(1e-5);
    expect(r.relCapture).toBeLessThanOrEqual(1e-5);
  });
}

/**
 * The same for a sequence model: a tiny char-GRU (Embedding(10, 8) → GRU(4, return_sequences) → per-step
 * Dense(10, softmax), sparse cross-entropy, Adam) on `reverse` (seq_len 8, batches of 8), 20 steps: compiled on ORT
 * wasm, on ORT WebGPU without and with graph capture, each against TF.js eager on cpu.
 */
test('graph capture on WebGPU matches eager for a char-GRU (Embedding, GRU, per-step Dense) over 20 steps', async ({ page }) => {
  test.setTimeout(300_000);
  await page.goto('/bench');
  await page.waitForFunction(() => 'gpu' in navigator && '__captureParity' in window, null, { timeout: 30_000 });
  const r = await page.evaluate(async () => {
    const f = (window as unknown as { __captureParity: (o: object) => Promise<Record<string, any>> }).__captureParity;
    return f({ model: 'gru', seqLen: 8, steps: 20, wasm: true, placements: true });
  });
  const fmt = (a: number[]) => a.map((v) => v.toFixed(4)).join(' ');
  console.log(`[gru] eager   ${fmt(r.eager)}\n[gru] wasm    ${fmt(r.wasm.losses)}\n[gru] plain   ${fmt(r.plain.losses)}\n[gru] capture ${fmt(r.capture.losses)}`);
  console.log(`[gru] nodes off WebGPU: ${JSON.stringify(r.offGpu)}`);
  console.log(`[gru] own kernels   ${fmt(r.kernels.losses)}\n[gru] own kernels ${JSON.stringify(r.kernels.kernels)}, built in ${r.kernels.compileMs.toFixed(0)} ms (ORT capture: ${r.capture.compileMs.toFixed(0)} ms)`);
  console.log(`[gru] capture ${JSON.stringify(r.capture.capture)}; max rel diff vs eager: wasm ${r.relWasm.toExponential(2)}, webgpu own kernels ${r.relKernels.toExponential(2)}, webgpu plain ${r.relPlain.toExponential(2)}, webgpu capture ${r.relCapture.toExponential(2)}`);
  // The playground's own WebGPU kernels run it too (Embedding's Gather of token ids, the recurrence / attention).
  expect(r.kernels.kernels.active).toBe(true);
  expect(r.relKernels).toBeLessThanOrEqual(1e-4);
  expect(r.capture.provider).toBe('webgpu');
  expect(r.eager).toHaveLength(20);
  expect(r.capture.losses).toHaveLength(20);
  expect(r.relWasm).toBeLessThanOrEqual(1e-4);
  expect(r.relPlain).toBeLessThanOrEqual(1e-4);
  expect(r.relCapture).toBeLessThanOrEqual(1e-4);
  // Every node on WebGPU, so the step runs captured.
  expect(r.offGpu).toEqual([]);
  expect(r.capture.capture).toEqual({ active: true, error: '' });
});

/**
 * And for the tiny GPT (examples/tiny_gpt_shakespeare.py made small: d_model 16, 2 heads, 2 blocks, seq_len 8,
 * vocabulary 10, on `reverse`): Embedding + PositionEmbedding, causal MultiHeadAttention, LayerNormalization, gelu
 * Dense, per-step softmax. Its 38 weights make the flat parameter vector's Split (and the gradients' Concat) 38 wide.
 */
test('graph capture on WebGPU matches eager for a tiny GPT over 12 steps', async ({ page }) => {
  test.setTimeout(400_000);
  const source = readFileSync('examples/tiny_gpt_shakespeare.py', 'utf8')
    .replaceAll('seq_len', '8')
    .replaceAll('vocab_size', '10')
    .replace('d_model = 64', 'd_model = 16')
    .replace('n_heads = 4', 'n_heads = 2')
    .replace('# data: shakespeare', '');
  await page.goto('/bench');
  await page.waitForFunction(() => 'gpu' in navigator && '__captureParity' in window, null, { timeout: 30_000 });
  const r = await page.evaluate(async (source) => {
    const f = (window as unknown as { __captureParity: (o: object) => Promise<Record<string, any>> }).__captureParity;
    return f({ source, seqLen: 8, steps: 12, wasm: true, placements: true });
  }, source);
  const fmt = (a: number[]) => a.map((v) => v.toFixed(4)).join(' ');
  console.log(`[gpt] eager   ${fmt(r.eager)}\n[gpt] wasm    ${fmt(r.wasm.losses)}\n[gpt] plain   ${fmt(r.plain.losses)}\n[gpt] capture ${fmt(r.capture.losses)}`);
  console.log(`[gpt] nodes off WebGPU: ${JSON.stringify(r.offGpu)}`);
  console.log(`[gpt] own kernels   ${fmt(r.kernels.losses)}\n[gpt] own kernels ${JSON.stringify(r.kernels.kernels)}, built in ${r.kernels.compileMs.toFixed(0)} ms (ORT capture: ${r.capture.compileMs.toFixed(0)} ms)`);
  console.log(`[gpt] capture ${JSON.stringify(r.capture.capture)}; max rel diff vs eager: wasm ${r.relWasm.toExponential(2)}, webgpu own kernels ${r.relKernels.toExponential(2)}, webgpu plain ${r.relPlain.toExponential(2)}, webgpu capture ${r.relCapture.toExponential(2)}`);
  // The playground's own WebGPU kernels run it too (Embedding's Gather of token ids, the recurrence / attention).
  expect(r.kernels.kernels.active).toBe(true);
  expect(r.relKernels).toBeLessThanOrEqual(1e-4);
  expect(r.capture.provider).toBe('webgpu');
  expect(r.capture.losses).toHaveLength(12);
  expect(r.relWasm).toBeLessThanOrEqual(1e-4);
  expect(r.relPlain).toBeLessThanOrEqual(1e-4);
  expect(r.relCapture).toBeLessThanOrEqual(1e-4);
  expect(r.offGpu).toEqual([]);
  expect(r.capture.capture).toEqual({ active: true, error: '' });
});
