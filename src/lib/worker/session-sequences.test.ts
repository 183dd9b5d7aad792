import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeSequence } from '$lib/data/sequences';
import { functionalSpec, sequentialSpec } from '$lib/spec/fixtures';
import { createSession } from './session';
import type { TrainEvent, TrainRequest } from './protocol';

const loaders = { load: async () => undefined };

describe('sequence pictures through the session (in-process)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('a run streams generated text after each epoch, and draws the input → output table', async () => {
    const T = 8;
    const ds = makeSequence({ name: 'parity', seqLen: T, samples: 64, seed: 1 });
    // A "language model" over the bits: next-bit probabilities from the window (Dense softmax on the ids).
    const spec = sequentialSpec({
      input: [T],
      layers: [{ kind: 'Dense', args: { units: 2, activation: 'softmax' } }],
      loss: 'sparse_categorical_crossentropy',
      metrics: ['accuracy'],
      epochs: 2,
      batchSize: 16,
      validationSplit: 0
    });
    const request: TrainRequest = {
      spec,
      data: { x: ds.x, xShape: [ds.n, T], y: ds.y, yShape: [ds.n, 1], n: ds.n, numClasses: 2, target: 'sparse' },
      backend: 'cpu',
      seed: 1,
      sequence: {
        text: { tokens: ['0', '1'], seqLen: T, pad: 0, prompt: '101', temperature: 1, length: 40, seed: 3 },
        table: { ...ds.test!, seqLen: T, rows: 5 }
      }
    };
    const session = createSession({ tf, loaders, flushMs: 5 });
    const events: TrainEvent[] = [];
    await session.train(request, (es) => {
      events.push(...es);
      // The prompt and temperature changed during the run: the next epoch's sample uses them.
      if (es.some((e) => e.type === 'generated' && e.epoch === 1 && e.done)) session.setGeneration({ prompt: '0', temperature: 0, length: 40 });
    });
    expect(events.at(-1)).toMatchObject({ type: 'done', outcome: 'completed' });

    const gen = events.filter((e) => e.type === 'generated');
    // One sample per epoch: opened, streamed, closed; 40 characters of '0'/'1'.
    for (const epoch of [1, 2]) {
      const mine = gen.filter((e) => e.epoch === epoch);
      expect(mine[0]).toMatchObject({ start: true, done: false, ...(epoch === 1 ? { prompt: '101', temperature: 1 } : { prompt: '0', temperature: 0 }) });
      expect(mine.at(-1)).toMatchObject({ done: true });
      const text = mine.map((e) => e.chunk).join('');
      // In full, unless generating takes over a tenth of the run and 2 s (never under 20 characters).
      expect(text).toMatch(/^[01]{20,40}$/);
    }
    const tables = events.filter((e) => e.type === 'table');
    expect(tables[0]).toMatchObject({ epoch: 0 });
    const last = tables.at(-1)!;
    expect(last.type === 'table' && last.table).toMatchObject({ rows: 5, seqLen: T, outLen: 1 });

    // On demand after training: the same seed gives the same text; a character outside the vocabulary is refused.
    const ref = { spec, seed: 1, backend: 'cpu' as const };
    const gen1: string[] = [];
    const gen2: string[] = [];
    const text = { tokens: ['0', '1'], seqLen: T, pad: 0, prompt: '11', temperature: 0.8, length: 25, seed: 9 };
    expect(await session.generate(ref, text, (c) => void gen1.push(c))).toBeNull();
    expect(await session.generate(ref, text, (c) => void gen2.push(c))).toBeNull();
    expect(gen1.join('')).toHaveLength(25);
    expect(gen1.join('')).toBe(gen2.join(''));
    expect(await session.generate(ref, { ...text, prompt: '12' }, () => undefined)).toMatch(/"2" is not in this text's vocabulary/);

    const next = await session.nextTokens(ref, text, '0110', 2);
    expect(next.ok).toBe(true);
    if (next.ok) {
      expect(next.trained).toBe(true);
      expect(next.top.map((t) => t.token).sort()).toEqual(['0', '1']);
      expect(next.top[0].p + next.top[1].p).toBeCloseTo(1, 5);
      expect(next.top[0].p).toBeGreaterThanOrEqual(next.top[1].p);
    }
    expect(await session.nextTokens(ref, text, 'ab', 2)).toMatchObject({ ok: false });
    // A window length other than the model's input (the data panel changed since): the model's own is used.
    expect(await session.nextTokens(ref, { ...text, seqLen: T + 5 }, '0110', 2)).toEqual(next);
  });

  it('a series run: predictions vs truth, the forecast rolled forward, and the repeat-last baseline', async () => {
    const T = 10;
    const ds = makeSequence({ name: 'sine_series', seqLen: T, samples: 200, seed: 2 });
    const spec = sequentialSpec({
      input: [T, 1],
      layers: [
        { kind: 'Flatten', args: {} },
        { kind: 'Dense', args: { units: 1 } }
      ],
      loss: 'mse',
      epochs: 3,
      batchSize: 32,
      validationSplit: 0,
      learningRate: 0.01
    });
    const request: TrainRequest = {
      spec,
      data: { x: ds.x, xShape: [ds.n, T, 1], y: ds.y, yShape: [ds.n, 1], n: ds.n, numClasses: 0, target: 'value' },
      backend: 'cpu',
      seed: 1,
      sequence: { series: { ...ds.test!, seqLen: T, horizon: 15 } }
    };
    const session = createSession({ tf, loaders, flushMs: 5 });
    const events: TrainEvent[] = [];
    await session.train(request, (es) => events.push(...es));
    expect(events.at(-1), JSON.stringify(events.at(-1))).toMatchObject({ type: 'done', outcome: 'completed' });
    const series = events.filter((e) => e.type === 'series');
    const last = series.at(-1)!;
    if (last.type !== 'series') throw new Error('no series');
    const p = last.picture;
    expect(p.predicted).toHaveLength(ds.test!.n);
    expect(p.forecast).toHaveLength(15);
    // The test windows are consecutive: the true continuation is there in full.
    expect(Array.from(p.actual)).toEqual(Array.from(ds.test!.y.subarray(0, 15)));
    expect(Number.isFinite(p.mse) && Number.isFinite(p.baselineMse)).toBe(true);
  });

  it('inspecting an RNN gives its hidden (and LSTM cell) states over time, equal to the layer output', async () => {
    const T = 6;
    const spec = functionalSpec(
      [{ id: 'x', shape: [T, 3] }],
      [
        { id: 'lstm', kind: 'LSTM', args: { units: 4, return_sequences: true }, inputs: ['x'] },
        { id: 'gru', kind: 'GRU', args: { units: 5, return_sequences: true, go_backwards: true }, inputs: ['lstm'] },
        { id: 'simple_rnn', kind: 'SimpleRNN', args: { units: 3 }, inputs: ['gru'] }
      ],
      ['simple_rnn']
    );
    const session = createSession({ tf, loaders });
    const x = Float32Array.from({ length: T * 3 }, (_, i) => Math.sin(i * 1.3));
    const r = await session.inspect({ spec, seed: 4, backend: 'cpu', x });
    expect(r.rnn?.map((s) => [s.layer, s.kind, s.steps, s.units, !!s.c])).toEqual([
      ['lstm', 'LSTM', T, 4, true],
      ['gru', 'GRU', T, 5, false],
      ['simple_rnn', 'SimpleRNN', T, 3, false]
    ]);
    const act = (id: string) => r.layers.find((l) => l.layer === id)!.values;
    // return_sequences: the layer's output is h at every step (float64 reference vs TF.js).
    r.rnn![0].h.forEach((v, i) => expect(Math.abs(v - act('lstm')[i])).toBeLessThan(1e-5));
    // go_backwards: states in processing order, and Keras returns them in that order too.
    r.rnn![1].h.forEach((v, i) => expect(Math.abs(v - act('gru')[i])).toBeLessThan(1e-5));
    // Last step only: the output is the last hidden state.
    const sr = r.rnn![2];
    Array.from(act('simple_rnn')).forEach((v, j) => expect(Math.abs(v - sr.h[(T - 1) * 3 + j])).toBeLessThan(1e-5));
    // |c| is not bounded by 1 like h = o·tanh(c): the cell state is its own picture.
    expect(r.rnn![0].c!.some((v, i) => Math.abs(v) > Math.abs(r.rnn![0].h[i]))).toBe(true);
  });

  it('a Bidirectional layer: forward and backward states, equal to the two halves of its output', async () => {
    const T = 5;
    const U = 3;
    const spec = functionalSpec(
      [{ id: 'x', shape: [T, 2] }],
      [{ id: 'bidirectional', kind: 'Bidirectional', args: { layer: { kind: 'LSTM', args: { units: U, return_sequences: true } } }, inputs: ['x'] }],
      ['bidirectional']
    );
    const session = createSession({ tf, loaders });
    const x = Float32Array.from({ length: T * 2 }, (_, i) => Math.cos(i * 0.7));
    const r = await session.inspect({ spec, seed: 2, backend: 'cpu', x });
    expect(r.rnn?.map((s) => [s.direction, s.reversed ?? false, s.steps, s.units])).toEqual([
      ['forward', false, T, U],
      ['backward', true, T, U]
    ]);
    const out = r.layers[0].values; // (T, 2U): forward half, then the backward half flipped back to input order
    const [fwd, bwd] = r.rnn!;
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < U; j++) {
        expect(Math.abs(out[t * 2 * U + j] - fwd.h[t * U + j])).toBeLessThan(1e-5);
        expect(Math.abs(out[t * 2 * U + U + j] - bwd.h[(T - 1 - t) * U + j])).toBeLessThan(1e-5);
      }
    }
  });
});
