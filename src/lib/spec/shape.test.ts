import { describe, expect, it } from 'vitest';
import { parseProgram } from '$lib/keras/parse';
import { inferShapes } from './shape';
import { spiralSpec } from './fixtures';

describe('shape inference', () => {
  it('counts parameters and FLOPs of the spiral MLP', () => {
    const { summary, diagnostics } = inferShapes(spiralSpec());
    expect(diagnostics).toEqual([]);
    expect(summary!.rows.map((r) => r.trainable)).toEqual([0, 48, 272, 51]);
    expect(summary!.trainable).toBe(371);
    // 2·(2·16 + 16·16 + 16·3) multiply-adds, plus the activation element counts.
    expect(summary!.flops).toBeGreaterThanOrEqual(2 * (32 + 256 + 48));
    expect(summary!.outputShapes).toEqual([[3]]);
  });

  it('refuses a model too large for a browser at the layer that crosses the limit, with its size', () => {
    const src = [
      'import keras',
      'from keras import layers',
      'model = keras.Sequential([',
      '    keras.Input(shape=(4096,)),',
      '    layers.Dense(4096, activation="relu"),',
      '    layers.Dense(8192, activation="relu"),',
      '    layers.Dense(10),',
      '])'
    ].join('\n');
    const { spec, diagnostics } = parseProgram(src);
    expect(spec).toBeNull();
    const err = diagnostics.find((d) => d.severity === 'error')!;
    expect(err.span.line).toBe(6);
    expect(err.message).toMatch(/50,343,936 parameters here \(192\.0 MB/);
  });

  it('refuses activations that will not fit for the batch size', () => {
    const src = [
      'import keras',
      'from keras import layers',
      'model = keras.Sequential([',
      '    keras.Input(shape=(512, 512, 3)),',
      '    layers.Conv2D(64, 3, padding="same"),',
      '    layers.Conv2D(64, 3, padding="same"),',
      '])',
      'model.compile(optimizer="adam", loss="mse")',
      'model.fit(x_train, y_train, batch_size=256)'
    ].join('\n');
    const { diagnostics } = parseProgram(src);
    const err = diagnostics.find((d) => d.severity === 'error')!;
    expect(err.span.line).toBe(5);
    expect(err.message).toMatch(/activations of one batch of 256 reach .* GB/);
  });
});
