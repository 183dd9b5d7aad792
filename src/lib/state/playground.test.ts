/**
 * The playground page's logic, now in the state class (playground.svelte.ts) and run-view.ts: the bound data, why
 * Train is disabled, the request Train sends the worker, the Keras script; what a run shows.
 */
import { describe, expect, it } from 'vitest';
import type { EpochLog } from '$lib/worker/protocol';
import { EXAMPLES } from '$lib/examples';
import type { WeightSnapshot } from '$lib/worker/protocol';
import { readCsv } from '$lib/data/csv';
import { unzipSync } from 'fflate';
import { Playground, plotExtent } from './playground.svelte';
import { analyseProgram, type Analysis } from '$lib/keras/analysis';
import { clampSetting, formatMetric, hasMetric, medianEpochMs, metricRows, RunningMedian, STATUS_TEXT, tfjsZip } from './run-view';

const example = (id: string) => EXAMPLES.find((e) => e.id === id)!;
const NO_SPLIT = 'import keras\nfrom keras import layers\nmodel = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(3, activation="softmax")])\nmodel.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])\nmodel.fit(x_train, y_train, epochs=7, batch_size=32)\n';

function fresh(code?: string): Playground {
  const pg = new Playground();
  if (code !== undefined) {
    pg.code = code;
    pg.analyse();
  }
  return pg;
}

describe('Playground: what the page derives', () => {
  it('the spiral at start: a spec, bound data, Train enabled; busy disables it without a message', () => {
    const pg = fresh();
    expect(pg.spec?.layers.length).toBeGreaterThan(0);
    expect(pg.binding?.ok).toBe(true);
    expect(pg.exampleId).toBe('spiral');
    expect(pg.canTrain(false)).toBe(true);
    expect(pg.trainBlocker(false)).toBeNull();
    expect(pg.canTrain(true)).toBe(false);
    expect(pg.trainBlocker(true)).toBeNull();
    // validation_split=0.2 of the program: 600 points → 480 train rows.
    expect(pg.programSplit).toBe(0.2);
    expect(pg.validationSplit).toBe(0.2);
    expect(pg.validationFrom).toBe(480);
    expect(pg.info?.title).toBeTruthy();
    expect(pg.toyInfo).toBe(pg.info);
    expect(pg.fixedClasses).toBe(false);
  });

  it('an edit is analysed off the page and the answer shown, an answer overtaken by a newer edit is dropped, and without an answer the page analyses itself', async () => {
    const pg = fresh();
    const asked: { code: string; answer: (a: Analysis | null) => void }[] = [];
    pg.analyser = { analyse: (code) => new Promise((answer) => asked.push({ code, answer })) };
    const pause = () => new Promise((r) => setTimeout(r, 300)); // the analysis starts 250 ms after an edit
    const broken = `${pg.code}\nx = (\n`;
    const wider = pg.code.replace('Dense(16,', 'Dense(32,');
    pg.setCode(broken);
    await pause();
    pg.setCode(wider);
    await pause();
    expect(asked.map((a) => a.code)).toEqual([broken, wider]);
    expect(pg.trainBlocker(false)).toBe('Checking the code…');
    // The broken program's answer comes last but belongs to an edit since replaced: not shown.
    asked[1].answer(analyseProgram(wider, {}));
    asked[0].answer(analyseProgram(broken, {}));
    await pause();
    expect(pg.errors).toEqual([]);
    expect(pg.upToDate).toBe(true);
    expect(pg.lastGood?.summary.trainable).toBe(2 * 32 + 32 + 32 * 16 + 16 + 16 * 3 + 3);
    // The worker failed (no answer): the page analyses the edit itself.
    pg.setCode(broken);
    await pause();
    asked[2].answer(null);
    await pause();
    expect(pg.errors.length).toBeGreaterThan(0);
  });

  it('broken code: Train is disabled and says how many problems; the last good spec stays', () => {
    const pg = fresh();
    const good = pg.spec;
    pg.code = `${pg.code}\nmodel.add(layers.Dense(units=))\nx = (\n`;
    pg.analyse();
    expect(pg.errors.length).toBeGreaterThan(0);
    expect(pg.spec).toBe(good);
    expect(pg.canTrain(false)).toBe(false);
    expect(pg.trainBlocker(false)).toMatch(/^Fix the (problem|\d+ problems) in the code first\.$/);
  });

  it('code being checked, and data that does not fit the model, block Train with their reason', () => {
    const pg = fresh();
    pg.upToDate = false;
    expect([pg.canTrain(false), pg.trainBlocker(false)]).toEqual([false, 'Checking the code…']);
    pg.analyse();
    pg.setDataset('sine'); // a 2-input classifier on 1-feature regression data
    expect(pg.binding?.ok).toBe(false);
    expect(pg.canTrain(false)).toBe(false);
    expect(pg.trainBlocker(false)).toBe(pg.binding && !pg.binding.ok ? pg.binding.message : 'no binding');
    expect(pg.trainRequest('eager')).toBeNull();
  });

  it('the train request: the spec, bound data, backend, seed, engine, the boundary of a 2D toy and the fit epochs', () => {
    const pg = fresh();
    pg.seed = 5;
    pg.backend = 'cpu';
    const r = pg.trainRequest('compiled')!;
    expect(r.epochs).toBe(100);
    expect(r.keepHistory).toBe(false);
    expect(r.request.spec).toBe(pg.spec); // the program gives its split: unchanged
    expect(r.request.data).toEqual(pg.binding?.ok ? pg.binding.data : null);
    expect([r.request.backend, r.request.seed, r.request.engine]).toEqual(['cpu', 5, 'compiled']);
    expect(r.request.boundary).toEqual({ resolution: 64, extent: pg.extent });
    expect(r.request.curve).toBeUndefined();
    expect(r.request.test).toBeUndefined();
    expect('initialWeights' in r.request).toBe(false);
  });

  it('the Data panel split goes into the spec only when the program writes none', () => {
    const pg = fresh(NO_SPLIT);
    expect(pg.programSplit).toBeUndefined();
    expect(pg.trainRequest('eager')!.request.spec).toBe(pg.spec);
    pg.data.validationSplit = 0.25;
    expect(pg.validationSplit).toBe(0.25);
    expect(pg.validationFrom).toBe(450);
    const r = pg.trainRequest('eager')!;
    expect(r.request.spec.fit?.validationSplit).toBe(0.25);
    expect(r.request.spec.layers).toBe(pg.spec!.layers);
    expect(r.epochs).toBe(7);
  });

  it('continuing a saved run: its weights and epoch, history kept', () => {
    const pg = fresh();
    const from = { epoch: 12 } as WeightSnapshot;
    const r = pg.trainRequest('eager', from)!;
    expect(r.request.initialWeights).toBe(from);
    expect(r.request.startEpoch).toBe(12);
    expect(r.keepHistory).toBe(true);
  });

  it('1-feature regression: the fitted curve over the data range, no boundary', () => {
    const pg = fresh();
    pg.openExample(example('sine_regression'));
    expect(pg.exampleId).toBe('sine_regression');
    const r = pg.trainRequest('eager')!;
    const d = pg.dataset!;
    expect(r.request.boundary).toBeUndefined();
    expect(pg.boundaryRequest()).toBeUndefined();
    expect(r.request.curve).toEqual({ xMin: Math.min(...d.x), xMax: Math.max(...d.x), points: 120 });
    expect(pg.toyInfo).toBeNull();
    expect(pg.fixedClasses).toBe(true);
  });

  it('the plot extent: largest |coordinate| + 10 %, rounded up to a tenth; clicked points do not move it', () => {
    expect(plotExtent(null)).toEqual([-1, 1, -1, 1]);
    const ds = { x: Float32Array.of(5, 5, 0.5, -0.9), n: 2 } as never;
    expect(plotExtent(ds)).toEqual([-5.5, 5.5, -5.5, 5.5]);
    expect(plotExtent(ds, 1)).toEqual([-1, 1, -1, 1]);
    const pg = fresh();
    const before = pg.extent;
    pg.addPoint(40, 40, 0);
    expect(pg.extent).toEqual(before);
  });

  it('the Keras script: the program plus its data code; a CSV without a file says so', () => {
    const pg = fresh();
    const s = pg.kerasScript();
    expect(s.text).toContain(pg.code.trim());
    expect(s.message).toBe('Downloaded model.py: your program plus the code that makes its data, for Python Keras 3.');
    pg.setDataset('csv');
    expect(() => pg.kerasScript()).toThrow('upload a CSV file first');
  });

  it('the Keras script of a CSV reads the same file', () => {
    const pg = fresh();
    const t = readCsv('a,b,label\n1,2,x\n3,4,y\n5,6,z\n7,8,y\n2,2,x\n4,1,z\n', 'mine.csv');
    if (!t.ok) throw new Error(t.message);
    expect(pg.useCsv(t.value)).toBeNull();
    expect(pg.binding?.ok).toBe(true);
    const s = pg.kerasScript();
    expect(s.text).toContain('mine.csv');
    expect(s.message).toContain('reads and prepares mine.csv');
  });
});

describe('run-view', () => {
  const h = (epoch: number, ms: number, extra: Partial<EpochLog> = {}): EpochLog => ({ epoch, loss: 1 / epoch, ms, valMs: 0, ...extra });

  it('status text for every status', () => {
    expect(STATUS_TEXT.running).toBe('Training');
    expect(Object.keys(STATUS_TEXT).sort()).toEqual(['completed', 'diverged', 'failed', 'idle', 'paused', 'running', 'starting', 'stopped']);
  });

  it('metric rows, median epoch time, formatting and clamping', () => {
    expect(metricRows([])).toEqual([]);
    expect(medianEpochMs([])).toBeNull();
    const hist = [h(1, 30), h(2, 10, { acc: 0.5, valLoss: 0.7 }), h(3, 20)];
    expect(metricRows(hist).map(([, k]) => k)).toEqual(['loss', 'acc', 'valLoss']);
    expect(medianEpochMs(hist)).toBe(20);
    expect(medianEpochMs([h(1, 30), h(2, 10)])).toBe(30);
    expect([hasMetric(hist, 'acc'), hasMetric(hist, 'valAcc')]).toEqual([true, false]);
    expect([formatMetric(0.123456), formatMetric(undefined)]).toEqual(['0.1235', '–']);
    const r = { min: 10, max: 100, default: 50 };
    expect([clampSetting(5, r), clampSetting(500, r), clampSetting(NaN, r), clampSetting(42, r)]).toEqual([10, 100, 50, 42]);
  });

  it('the running median of a growing history is the median of the whole run at every epoch, and starts afresh on another history', () => {
    const m = new RunningMedian((e) => e.ms);
    let hist: ReturnType<typeof h>[] = [];
    let x = 7;
    for (let i = 1; i <= 300; i++) {
      x = (x * 48271) % 2147483647;
      // Epochs come one or a few at a time, each time in a new array that keeps the old entries (as the client does).
      hist = [...hist, h(i, x % 97)];
      if (i % 3 && i % 7) continue;
      const sorted = hist.map((e) => e.ms).sort((a, b) => a - b);
      expect(m.of(hist)).toBe(sorted[Math.floor(sorted.length / 2)]); // the same as sorting the whole run
    }
    // A reset, then another run: not an extension of the old one.
    expect(m.of([])).toBeNull();
    expect(m.of([h(1, 5), h(2, 1), h(3, 3)])).toBe(3);
    expect(m.of([h(1, 9), h(2, 8)])).toBe(9); // same length range, other entries: sorted afresh
  });

  it('the TF.js zip holds the files, and says whether the weights are trained', () => {
    const files = [{ name: 'model.json', data: new TextEncoder().encode('{}') }, { name: 'weights.bin', data: Uint8Array.of(1, 2, 3) }];
    const t = tfjsZip(files, true, 3);
    expect(Object.keys(unzipSync(t.zip)).sort()).toEqual(['model.json', 'weights.bin']);
    expect(unzipSync(t.zip)['weights.bin']).toEqual(Uint8Array.of(1, 2, 3));
    expect(t.message).toContain('with the trained weights');
    expect(tfjsZip(files, false, 3).message).toBe('Downloaded model-tfjs.zip with the initial weights of seed 3 (nothing trained yet).');
  });
});
