import { describe, expect, it } from 'vitest';
import { parseProgram } from '$lib/keras/parse';
import { DEFAULT_CODE, DEFAULT_DATA } from '$lib/state/playground.svelte';
import { finalMetric, formatNumber, lineDiff, nextRunNumber, runName, runSettings, settingsDiff, settingsSummary } from './compare';
import type { RunRecord } from './types';

const spec = (code: string) => parseProgram(code).spec;

function settingsOf(code: string, extra: { seed?: number; samples?: number } = {}) {
  return runSettings({ code, spec: spec(code), data: { ...DEFAULT_DATA, samples: extra.samples ?? DEFAULT_DATA.samples }, engine: 'eager', backend: 'wasm', seed: extra.seed ?? 1, params: 371 });
}

function rec(name: string, code: string, extra: Partial<RunRecord> & { seed?: number; samples?: number } = {}): RunRecord {
  return { id: name, sessionId: null, name, startedAt: 1, settings: settingsOf(code, extra), history: [], status: 'completed', message: null, ranOn: 'wasm', ...extra };
}

const lr = (v: string) => DEFAULT_CODE.replace('learning_rate=0.01', `learning_rate=${v}`);

describe('run settings', () => {
  it('reads optimizer, learning rate, batch size and epochs off the program, and copies the data settings', () => {
    const data = { ...DEFAULT_DATA };
    const s = runSettings({ code: DEFAULT_CODE, spec: spec(DEFAULT_CODE), data, engine: 'compiled', backend: 'webgpu', seed: 7, params: 371 });
    expect(s).toMatchObject({ code: DEFAULT_CODE, engine: 'compiled', backend: 'webgpu', seed: 7, optimizer: 'adam', learningRate: 0.01, batchSize: 32, epochs: 100, params: 371 });
    // The program's validation_split is the one the run used.
    expect(s.data.validationSplit).toBe(0.2);
    expect(s.data).not.toBe(data);
    data.samples = 5;
    expect(s.data.samples).toBe(DEFAULT_DATA.samples);
  });

  it('says null for what a program without compile()/fit() does not say', () => {
    const code = 'import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3)])\n';
    const s = runSettings({ code, spec: spec(code), data: { ...DEFAULT_DATA }, engine: 'eager', backend: 'wasm', seed: 1, params: 9 });
    expect([s.optimizer, s.learningRate, s.batchSize, s.epochs]).toEqual([null, null, null, null]);
    expect(runName(2, s)).toBe('Run 2 · no compile()');
  });

  it('names runs "Run N · optimizer rate · batch size", numbered after the highest kept', () => {
    expect(runName(3, settingsOf(DEFAULT_CODE))).toBe('Run 3 · adam 0.01 · batch 32');
    expect(runName(1, settingsOf(lr('1e-4')))).toBe('Run 1 · adam 0.0001 · batch 32');
    expect(nextRunNumber([])).toBe(1);
    expect(nextRunNumber([{ name: 'Run 4 · adam 0.01' }, { name: 'my best' }, { name: 'Run 2' }])).toBe(5);
    expect(nextRunNumber([{ name: 'my best' }], 6)).toBe(7);
    expect(formatNumber(0.1 + 0.2)).toBe('0.3');
    expect(formatNumber(3e-7)).toBe('3e-7');
    expect(settingsSummary(settingsOf(DEFAULT_CODE))).toBe('adam 0.01 · batch 32 · 100 epochs · spiral (600 samples, noise 0.1) · eager on WASM · seed 1');
  });

  it('finalMetric is the last finite value', () => {
    const h = [
      { epoch: 1, loss: 2, acc: 0.5, ms: 1, valMs: 0 },
      { epoch: 2, loss: Number.NaN, ms: 1, valMs: 0 }
    ];
    expect(finalMetric(h, 'loss')).toBe(2);
    expect(finalMetric(h, 'acc')).toBe(0.5);
    expect(finalMetric(h, 'valLoss')).toBeNull();
  });
});

describe('settings diff', () => {
  it('lists only the settings that differ, one value per run', () => {
    const rows = settingsDiff([rec('a', lr('0.1')), rec('b', lr('0.001')), rec('c', lr('0.1'))]);
    expect(rows).toEqual([{ label: 'learning rate', values: ['0.1', '0.001', '0.1'] }]);
  });

  it('compares seeds, data, backends, and nothing for one run or equal runs', () => {
    const a = rec('a', DEFAULT_CODE);
    const b = rec('b', DEFAULT_CODE.replace('batch_size=32', 'batch_size=64'), { seed: 2, samples: 200, ranOn: 'cpu' });
    expect(settingsDiff([a, b]).map((r) => [r.label, ...r.values])).toEqual([
      ['batch size', '32', '64'],
      ['ran on', 'WASM', 'CPU'],
      ['weight seed', '1', '2'],
      ['samples', '600', '200']
    ]);
    expect(settingsDiff([a])).toEqual([]);
    expect(settingsDiff([a, rec('a2', DEFAULT_CODE)])).toEqual([]);
  });

  it('lineDiff gives only the changed lines, with their line numbers', () => {
    expect(lineDiff('a\nb\nc', 'a\nb\nc')).toEqual([]);
    expect(lineDiff('a\nb\nc\nd', 'a\nB\nc\nd\ne')).toEqual([
      { op: '-', text: 'b', line: 2 },
      { op: '+', text: 'B', line: 2 },
      { op: '+', text: 'e', line: 5 }
    ]);
    expect(lineDiff('x\ny', 'y')).toEqual([{ op: '-', text: 'x', line: 1 }]);
    const d = lineDiff(DEFAULT_CODE, lr('0.1'));
    expect(d.map((l) => l.op)).toEqual(['-', '+']);
    expect(d[1].text).toContain('learning_rate=0.1');
    expect(d[1].line).toBe(d[0].line);
  });
});
