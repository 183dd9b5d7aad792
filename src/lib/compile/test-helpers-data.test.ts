import { describe, expect, it } from 'vitest';
import type { SequenceDataset } from '$lib/data/types';
import { dataset } from './test-helpers';

describe('test-helpers dataset() for text and sequences', () => {
  it.each(['shakespeare', 'names', 'reverse', 'parity', 'sine_series'])('%s: exactly `rows` rows', (name) => {
    const ds = dataset(name, 7, 5) as SequenceDataset;
    expect(ds.kind).toBe('sequence');
    expect(ds.n).toBe(7);
    expect(ds.x.length).toBe(35);
    expect(ds.y.length).toBe(name === 'parity' || name === 'sine_series' ? 7 : 35);
  });
});
