import { describe, expect, it } from 'vitest';
import { render } from 'svelte/server';
import SequenceTable from './SequenceTable.svelte';
import SeriesForecast from './SeriesForecast.svelte';
import RnnHeatmap from './RnnHeatmap.svelte';
import TextGeneration from './TextGeneration.svelte';
import { TrainingClient } from '$lib/worker/client.svelte';

describe('sequence picture components (server-rendered)', () => {
  it('SequenceTable: a captioned table, wrong outputs marked in text, their positions listed', () => {
    const table = {
      rows: 2,
      seqLen: 3,
      outLen: 3,
      inputs: Int32Array.from([1, 2, 3, 4, 5, 6]),
      truth: Int32Array.from([3, 2, 1, 6, 5, 4]),
      predicted: Int32Array.from([3, 2, 1, 6, 9, 4]),
      evaluated: 40,
      tokenAccuracy: 0.9,
      sequenceAccuracy: 0.625
    };
    const { body } = render(SequenceTable, { props: { table, epoch: 4 } });
    expect(body).toMatch(/<caption[^>]*>/);
    expect(body).toMatch(/Held-out sequences after epoch 4: 90\.0 % of output positions right and 62\.5 % of sequences\s+entirely right \(over 40 sequences\); the first 2 below/);
    expect(body.match(/\(wrong\)/g)).toHaveLength(1);
    expect(body).toMatch(/<mark class="wrong[^"]*" title="position 2: expected 5">9/);
    expect(body).toContain(' (wrong)</span>');
    expect(body).toMatch(/<td[^>]*>2<\/td>/); // the wrong position of row 2
    expect(body).toMatch(/<td[^>]*>none<\/td>/);
  });

  it('SeriesForecast: the model\'s loss beside the repeat-last baseline, two labelled plots', () => {
    const picture = {
      predicted: Float32Array.from([0.1, 0.2, 0.3]),
      truth: Float32Array.from([0.1, 0.25, 0.3]),
      mse: 0.0008,
      mae: 0.0167,
      baselineMse: 0.01,
      baselineMae: 0.1,
      start: Float32Array.from([0, 0.1]),
      forecast: Float32Array.from([0.2, 0.3, 0.35]),
      actual: Float32Array.from([0.25, 0.3])
    };
    const { body } = render(SeriesForecast, { props: { picture, epoch: 7 } });
    expect(body).toMatch(/After epoch 7: model MSE <strong>0\.000800<\/strong>.*baseline MSE\s+<strong>0\.0100<\/strong>.*the model is better than the baseline/s);
    expect(body).toContain('aria-label="One-step predictions against the truth on 3 held-out windows"');
    expect(body).toContain('aria-label="The forecast rolled forward 3 steps from one window, against the 2 true values after it"');
  });

  it('RnnHeatmap: hidden and cell state maps with their ranges in words', () => {
    const states = { layer: 'lstm', kind: 'LSTM' as const, units: 2, steps: 3, h: Float32Array.from([0.1, -0.2, 0.3, 0.4, -0.5, 0.6]), c: Float32Array.from([1, -2, 3, 0, 0, 0]) };
    const { body } = render(RnnHeatmap, { props: { states, timeLabels: ['a', 'b', 'c'] } });
    expect(body).toContain('aria-label="lstm (LSTM) hidden state h over time: 2 units (rows) × 3 steps (columns), values from -0.500 to 0.600"');
    expect(body).toContain('cell state c over time');
    expect(body).toMatch(/<span[^>]*style="width: 16px;">b<\/span>/);
  });

  it('TextGeneration: labelled prompt and temperature, the samples with their epochs, a prompt outside the vocabulary refused', () => {
    const client = new TrainingClient();
    client.generations = [
      { key: 'epoch 1', epoch: 1, prompt: 'ab', temperature: 0.8, text: 'ba\nab', done: true },
      { key: 'epoch 2', epoch: 2, prompt: 'ab', temperature: 0.8, text: 'abb', done: false }
    ];
    const vocab = { tokens: ['\n', 'a', 'b'], seqLen: 4, pad: 0 };
    const model = null;
    const ok = render(TextGeneration, { props: { client, vocab, model, settings: { prompt: 'ab', temperature: 0.8, length: 50, seed: 1 } } }).body;
    expect(ok).toMatch(/<label class="prompt[^"]*">Prompt/);
    expect(ok).toMatch(/<label class="temp[^"]*">Temperature/);
    expect(ok.indexOf('After epoch 2')).toBeLessThan(ok.indexOf('After epoch 1')); // latest first
    expect(ok).toContain('generating…');
    expect(ok).not.toContain('role="alert"');
    const bad = render(TextGeneration, { props: { client, vocab, model, settings: { prompt: 'abc', temperature: 0, length: 50, seed: 1 } } }).body;
    expect(bad).toMatch(/role="alert"[^>]*>The character "c" is not in this text's vocabulary of 3 characters/);
  });
});
