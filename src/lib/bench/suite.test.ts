import { describe, expect, it } from 'vitest';
import { decodeShare, encodeShare, formatTable, toCsv, COLUMNS } from './report';
import { emptyRow, planCells, selectTargets, staticUnavailable, validateFilters, type BenchReport } from './suite';

describe('planCells', () => {
  it('covers every model × workload × target, CPU first in each group (the reference)', () => {
    const cells = planCells({});
    expect(cells).toHaveLength(6 * 4 * 6);
    expect(cells.slice(0, 6).map((c) => `${c.engine}-${c.backend}`)).toEqual(['tfjs-cpu', 'tfjs-wasm', 'tfjs-webgl', 'tfjs-webgpu', 'ort-wasm', 'ort-webgpu']);
    expect(cells[0]).toEqual({ model: 'tiny', engine: 'tfjs', backend: 'cpu', mode: 'train-eager', batch: 32 });
    expect(cells.filter((c) => c.model === 'cnn' && c.mode === 'train-eager').every((c) => c.batch === 64)).toBe(true);
    expect(new Set(cells.filter((c) => c.mode === 'infer').map((c) => c.batch))).toEqual(new Set([1, 256]));
  });

  it('filters by model, engine or target, backend, mode or workload; --quick keeps the small models', () => {
    expect(new Set(planCells({ quick: true }).map((c) => c.model))).toEqual(new Set(['tiny', 'residual']));
    expect(new Set(planCells({ quick: true, models: ['cnn'] }).map((c) => c.model))).toEqual(new Set(['cnn']));
    const one = planCells({ models: ['tiny'], engines: ['tfjs-cpu'], modes: ['infer-1'] });
    expect(one).toEqual([{ model: 'tiny', engine: 'tfjs', backend: 'cpu', mode: 'infer', batch: 1 }]);
    expect(planCells({ models: ['tiny'], engines: ['ort'], modes: ['infer'] })).toHaveLength(4);
    expect(selectTargets({ backends: ['webgpu'] }).map((t) => t.id)).toEqual(['tfjs-webgpu', 'ort-webgpu']);
  });

  it('rejects unknown names with the known ones', () => {
    expect(() => validateFilters({ models: ['huge' as never] })).toThrow(/Unknown model "huge".*tiny, wide, cnn, residual, charrnn, tinygpt/);
    expect(() => validateFilters({ engines: ['onnx'] })).toThrow(/tfjs, ort, tfjs-cpu/);
    expect(() => validateFilters({ modes: ['train'] })).toThrow(/train-eager/);
    expect(() => validateFilters({ models: ['tiny'], engines: ['tfjs-wasm'], backends: ['wasm'], modes: ['infer-256'] })).not.toThrow();
  });

  it('runs ONNX Runtime inference and the compiled step; says why the other engine/mode pairs are unavailable', () => {
    expect(staticUnavailable({ engine: 'ort', mode: 'infer' })).toBeNull();
    expect(staticUnavailable({ engine: 'ort', mode: 'train-compiled' })).toBeNull();
    expect(staticUnavailable({ engine: 'ort', mode: 'train-eager' })).toMatch(/^unavailable: ONNX Runtime has no eager training/);
    expect(staticUnavailable({ engine: 'tfjs', mode: 'train-compiled' })).toMatch(/^unavailable: TF.js trains eagerly/);
    expect(staticUnavailable({ engine: 'tfjs', mode: 'train-eager' })).toBeNull();
  });
});

describe('report', () => {
  const ok = {
    ...emptyRow({ model: 'tiny', engine: 'tfjs', backend: 'cpu', mode: 'infer', batch: 1 }, 'ok', null),
    warmupMs: 12.5,
    medianMs: 0.25,
    p10Ms: 0.2,
    p90Ms: 0.4,
    samplesPerSec: 4000,
    gflops: 0.0027,
    maxAbsDiff: 0,
    tensors: 10,
    backendDetail: 'CPU'
  };
  const na = emptyRow({ model: 'tiny', engine: 'ort', backend: 'wasm', mode: 'infer', batch: 1 }, 'unavailable', 'unavailable: not built, "yet"');
  const report: BenchReport = {
    device: { userAgent: 'UA', hardwareConcurrency: 2, crossOriginIsolated: true, webgpu: { unavailable: 'none' }, softwareGpu: false, date: '2026-01-01' },
    quick: true,
    rows: [ok, na]
  };

  it('writes CSV with a header, empty cells for missing numbers and quoted text', () => {
    const lines = toCsv(report.rows).trim().split('\n');
    expect(lines[0]).toBe(COLUMNS.join(','));
    expect(lines[1].startsWith('tiny,tfjs,cpu,infer,1,ok,12.5,0.25,0.2,0.4,4000,0.0027,0,')).toBe(true);
    expect(lines[2]).toContain('"unavailable: not built, ""yet"""');
  });

  it('prints every row, the unavailable ones with their reason', () => {
    const t = formatTable(report.rows);
    expect(t.split('\n')).toHaveLength(4);
    expect(t).toMatch(/Tiny MLP\s+TF\.js CPU\s+infer\s+1\s+12\.5\s+0\.250/);
    expect(t).toContain('ONNX Runtime WASM');
    expect(t).toContain('unavailable: not built');
  });

  it('round-trips through the share link (deflate + base64url in the hash)', () => {
    const hash = encodeShare(report);
    expect(hash).toMatch(/^r=[A-Za-z0-9_-]+$/);
    expect(decodeShare(`#${hash}`)).toEqual(report);
    expect(decodeShare('#r=garbage')).toBeNull();
    expect(decodeShare('')).toBeNull();
  });
});

describe('npm run bench arguments', async () => {
  const { parseBenchArgs } = await import('./args');
  it('reads lists (commas or repeated), flags and --json', () => {
    const a = parseBenchArgs(['--model', 'tiny,wide', '--model=cnn', '--engine', 'tfjs-wasm', '--mode', 'infer', '--quick', '--json', 'out.json', '--no-build']);
    expect(a.filters).toEqual({ models: ['tiny', 'wide', 'cnn'], engines: ['tfjs-wasm'], modes: ['infer'], quick: true });
    expect(a).toMatchObject({ json: 'out.json', build: false, overhead: true, help: false });
    expect(parseBenchArgs([])).toEqual({ filters: {}, json: null, build: true, overhead: true, help: false, sweep: null });
  });

  it('refuses unknown options, names and missing values', () => {
    expect(() => parseBenchArgs(['--fast'])).toThrow(/Unknown option --fast/);
    expect(() => parseBenchArgs(['--model', 'huge'])).toThrow(/Unknown model "huge"/);
    expect(() => parseBenchArgs(['--json'])).toThrow(/--json needs a value/);
    expect(() => parseBenchArgs(['tiny'])).toThrow(/Unexpected argument/);
  });
});
