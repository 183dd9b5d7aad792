import { describe, expect, it } from 'vitest';
import { emptyRow, type BenchRow, type Cell } from './suite';
import { findCrossover, formatSweep, planSweep, sweepFlops, sweepModel, sweepResult, sweepSkip, SWEEP_QUICK } from './sweep';

/** A measured sweep row: width, target id, ms (null: skipped with a reason). */
function row(width: number, target: string, ms: number | null, batch = 256, mode?: Cell['mode']): BenchRow {
  const [engine, backend] = target.split('-') as [Cell['engine'], Cell['backend']];
  const cell: Cell = { model: `mlp-${width}`, engine, backend, mode: mode ?? (engine === 'ort' ? 'train-compiled' : 'train-eager'), batch };
  if (ms === null) return emptyRow(cell, 'unavailable', "skipped: 900 ms per step in its first runs, over the sweep's 120 ms limit");
  return { ...emptyRow(cell, 'ok', null), medianMs: ms, repeats: 3 };
}

describe('the sweep model', () => {
  it('is a generated Keras program parsed by the app: 32 inputs, two Dense(w) relu, softmax over 10', () => {
    const m = sweepModel(256);
    expect(m.id).toBe('mlp-256');
    expect(m.spec.inputs[0].shape).toEqual([32]);
    expect(m.summary.trainable).toBe(32 * 256 + 256 + 256 * 256 + 256 + 256 * 10 + 10);
    expect(m.summary.flops).toBe(sweepFlops(256));
    expect(() => sweepModel(0)).toThrow(/whole number from 1 to 8192/);
  });

  it('plans widths ascending per batch, every target (CPU first), eager TF.js and compiled ORT for training', () => {
    const cells = planSweep({ widths: [64, 16], batches: [32], targets: ['tfjs-wasm', 'ort-webgpu', 'tfjs-cpu'], kinds: ['train', 'infer'] });
    expect(cells.map((c) => `${c.mode} ${c.model} ${c.engine}-${c.backend}`)).toEqual([
      'train-eager mlp-16 tfjs-cpu',
      'train-eager mlp-16 tfjs-wasm',
      'train-compiled mlp-16 ort-webgpu',
      'train-eager mlp-64 tfjs-cpu',
      'train-eager mlp-64 tfjs-wasm',
      'train-compiled mlp-64 ort-webgpu',
      'infer mlp-16 tfjs-cpu',
      'infer mlp-16 tfjs-wasm',
      'infer mlp-16 ort-webgpu',
      'infer mlp-64 tfjs-cpu',
      'infer mlp-64 tfjs-wasm',
      'infer mlp-64 ort-webgpu'
    ]);
  });
});

describe('findCrossover', () => {
  it('finds the smallest width from which the GPU side beats the best CPU side, and says it in words', () => {
    const rows = [
      row(16, 'tfjs-wasm', 0.5), row(16, 'ort-wasm', 0.3), row(16, 'ort-webgpu', 4),
      row(256, 'tfjs-wasm', 3), row(256, 'ort-wasm', 2), row(256, 'ort-webgpu', 5),
      row(1024, 'tfjs-wasm', 40), row(1024, 'ort-wasm', 30), row(1024, 'ort-webgpu', 9),
      row(2048, 'tfjs-wasm', 160), row(2048, 'ort-wasm', 120), row(2048, 'ort-webgpu', 20)
    ];
    const c = findCrossover(rows, 'train', 256);
    expect(c).toMatchObject({ width: 1024, gpu: 'ort-webgpu', cpu: 'ort-wasm', gpuMs: 9, cpuMs: 30 });
    expect(c.text).toBe('ONNX Runtime WebGPU (compiled) beats ONNX Runtime WASM (compiled) from width 1024 at batch 256 (9.00 vs 30.0 ms per step; widths 16–2048 measured).');
  });

  it('needs the GPU side to keep winning: a win at one small width only is no crossover, and says so', () => {
    const rows = [row(16, 'tfjs-wasm', 1), row(16, 'tfjs-webgl', 0.9), row(64, 'tfjs-wasm', 2), row(64, 'tfjs-webgl', 3), row(256, 'tfjs-wasm', 5), row(256, 'tfjs-webgl', 9)];
    const c = findCrossover(rows, 'train', 256, { softwareGpu: true });
    expect(c.width).toBeNull();
    expect(c.text).toMatch(/^No crossover in this range \(widths 16–256, training, batch 256\): the CPU side is faster at the largest width measured \(TF\.js WASM \(eager\) 5\.00 vs TF\.js WebGL \(eager\) 9\.00 ms per step at width 256\); the GPU side won at width 16 only/);
    expect(c.text).toMatch(/SwiftShader, a software rasteriser/);
  });

  it('compares only widths where both sides ran, and the batch and kind asked for', () => {
    // The CPU side was skipped at 2048 (too slow): that width proves nothing.
    const rows = [row(1024, 'tfjs-wasm', 10), row(1024, 'tfjs-webgpu', 20), row(2048, 'tfjs-wasm', null), row(2048, 'tfjs-webgpu', 30), row(1024, 'tfjs-webgpu', 1, 32)];
    expect(findCrossover(rows, 'train', 256).width).toBeNull();
    expect(findCrossover(rows, 'infer', 256).text).toMatch(/No crossover can be told for inference at batch 256: no GPU backend was measured/);
    expect(findCrossover(rows, 'train', 32).text).toMatch(/no CPU-side backend was measured/);
  });
});

describe('the time budget', () => {
  const o = { maxStepMs: 100, budgetMs: 60_000 };
  const cell = (w: number, target = 'tfjs-cpu'): Cell => ({ model: `mlp-${w}`, engine: target.split('-')[0] as Cell['engine'], backend: target.split('-')[1] as Cell['backend'], mode: 'train-eager', batch: 256 });
  const over = (w: number, target = 'tfjs-cpu') => ({ ...emptyRow(cell(w, target), 'unavailable', "skipped: 420 ms per step in its first runs, over the sweep's 100 ms limit") });

  it('skips the wider cells of a line that was over the limit, and nothing else', () => {
    const rows = [row(64, 'tfjs-cpu', 1), over(256)];
    expect(sweepSkip(cell(1024), rows, o, 0)).toBe("skipped: width 256 was already over the sweep's 100 ms limit");
    expect(sweepSkip(cell(1024, 'tfjs-wasm'), rows, o, 0)).toBeNull();
    expect(sweepSkip({ ...cell(1024), batch: 32 }, rows, o, 0)).toBeNull();
    expect(sweepSkip(cell(128), [row(64, 'tfjs-cpu', 90)], o, 0)).toBeNull();
  });

  it('skips with a reason: a line that failed, a spent budget', () => {
    expect(sweepSkip(cell(256, 'tfjs-wasm'), [], o, 61_000)).toBe("skipped: the sweep's time budget (1 min) was spent");
    const failed = [emptyRow(cell(16, 'tfjs-webgpu'), 'unavailable', 'unavailable: no WebGPU adapter')];
    expect(sweepSkip(cell(64, 'tfjs-webgpu'), failed, o, 0)).toBe('skipped: it did not run at width 16 (unavailable: no WebGPU adapter)');
  });
});

describe('formatSweep', () => {
  it('prints width × engine/backend per batch, the skip reasons, and the crossover line', () => {
    const rows = [row(16, 'tfjs-wasm', 0.5), row(16, 'tfjs-webgpu', 3), row(2048, 'tfjs-wasm', 50), row(2048, 'tfjs-webgpu', null)];
    const text = formatSweep(sweepResult(rows, { ...SWEEP_QUICK, widths: [16, 2048], batches: [256] }, true));
    expect(text).toContain('Training step, batch 256: median ms per step');
    expect(text).toMatch(/width {2}TF\.js WASM \(eager\) {2}TF\.js WebGPU \(eager\)/);
    expect(text).toMatch(/2048 +50\.0 +skip \[1\]/);
    expect(text).toContain("[1] skipped: 900 ms per step in its first runs, over the sweep's 120 ms limit");
    expect(text).toMatch(/Crossover: No crossover in this range \(widths 16–16/);
  });
});

describe('npm run bench -- --sweep', async () => {
  const { parseBenchArgs } = await import('./args');
  it('reads --sweep (quick, training), --sweep=full, --widths, --batches and --mode', () => {
    expect(parseBenchArgs(['--sweep']).sweep).toEqual({ full: false, widths: null, batches: null, kinds: ['train'] });
    expect(parseBenchArgs(['--sweep=full']).sweep).toEqual({ full: true, widths: null, batches: null, kinds: ['train', 'infer'] });
    const a = parseBenchArgs(['--sweep', '--widths', '16,2048', '--batches=256', '--engine', 'tfjs-wasm,ort-webgpu', '--mode', 'infer']);
    expect(a.sweep).toEqual({ full: false, widths: [16, 2048], batches: [256], kinds: ['infer'] });
    expect(a.filters.engines).toEqual(['tfjs-wasm', 'ort-webgpu']);
  });

  it('refuses widths that are not whole numbers, and sweep options without --sweep', () => {
    expect(() => parseBenchArgs(['--sweep', '--widths', '16,abc'])).toThrow('--widths: "abc" is not a whole number from 1 to 8192');
    expect(() => parseBenchArgs(['--widths', '16'])).toThrow('--widths and --batches are options of --sweep');
    expect(() => parseBenchArgs(['--sweep=huge'])).toThrow('--sweep=huge: use --sweep (quick) or --sweep=full');
    expect(() => parseBenchArgs(['--sweep', '--model', 'tiny'])).toThrow(/--model does not apply to --sweep/);
  });
});

describe('a sweep cell over the limit (runner.ts maxStepMs, TF.js cpu in-process)', () => {
  it('stops after its probe run, untimed, with the probe time; under the limit it is timed as usual', async () => {
    const tf = await import('@tensorflow/tfjs');
    await tf.setBackend('cpu');
    const { measureCell } = await import('./runner');
    const m = sweepModel(16);
    const opts = { repeats: { ...SWEEP_QUICK.repeats, budgetMs: 20 }, seed: 1 };
    const over = await measureCell(tf, m, { mode: 'train-eager', batch: 32 }, { ...opts, maxStepMs: 0 });
    expect(over.overLimitMs).toBeGreaterThan(0);
    expect(over.samples).toEqual([]);
    expect(over.values).toHaveLength(5); // the losses of the warm-up step and the 4 probe steps
    const under = await measureCell(tf, m, { mode: 'train-eager', batch: 32 }, { ...opts, maxStepMs: 1e9 });
    expect(under.overLimitMs).toBeUndefined();
    expect(under.samples.length).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(0);
  }, 60_000);
});
