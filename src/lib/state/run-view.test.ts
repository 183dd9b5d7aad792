import { describe, expect, it } from 'vitest';
import { makeSequence } from '$lib/data/sequences';
import { makeTextDataset } from '$lib/data/text';
import { encodePrompt } from '$lib/worker/sequences';
import { defaultPrompt, promptPad, sequencePictureKind, sequencePicturesRequest } from './run-view';

const GEN = { prompt: 'ab', temperature: 0.8, length: 50, seed: 1 };

describe('sequence pictures of a data set', () => {
  it('text gets generation (padded with a new line, or the names separator), series the forecast, reverse/parity the table', () => {
    const text = makeTextDataset('ab ba\nabba cab\n'.repeat(40), { name: 'text', seqLen: 8, samples: 20, seed: 1 });
    expect(sequencePictureKind(text)).toBe('text');
    const req = sequencePicturesRequest(text, GEN)!;
    expect(req.text).toMatchObject({ seqLen: 8, pad: text.tokens!.indexOf('\n'), prompt: 'ab', temperature: 0.8 });
    const enc = encodePrompt('ab', req.text!.tokens, 8, req.text!.pad);
    expect(enc.ok && Array.from(enc.ids).map((i) => text.tokens![i]).join('')).toBe('\n\n\n\n\n\nab');

    const names = makeTextDataset('emma.olivia.ava.'.repeat(40), { name: 'names', seqLen: 6, samples: 20, seed: 1 });
    expect(promptPad('names', names.tokens!)).toBe(names.tokens!.indexOf('.'));
    expect(defaultPrompt('names', names.tokens!)).toBe('.');
    expect(defaultPrompt('shakespeare', ['a'])).toBe('');

    const sine = makeSequence({ name: 'sine_series', seqLen: 10, samples: 100, seed: 1 });
    expect(sequencePictureKind(sine)).toBe('series');
    const s = sequencePicturesRequest(sine, GEN)!.series!;
    expect(s).toMatchObject({ n: sine.test!.n, seqLen: 10, horizon: Math.min(100, sine.test!.n) });
    for (const name of ['reverse', 'parity'] as const) {
      const d = makeSequence({ name, seqLen: 6, samples: 50, seed: 1 });
      expect(sequencePictureKind(d)).toBe('table');
      expect(sequencePicturesRequest(d, GEN)!.table).toMatchObject({ n: d.test!.n, seqLen: 6, rows: 8 });
    }
    expect(sequencePictureKind(null)).toBeNull();
    expect(sequencePicturesRequest(null, GEN)).toBeUndefined();
  });
});
