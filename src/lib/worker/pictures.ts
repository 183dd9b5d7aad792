/**
 * The pictures a training run sends besides its epoch logs: per-batch losses (raw and smoothed), weight and
 * gradient histograms and Conv2D filters every so often, and test-set evaluations. Everything is reduced in the
 * worker (bin counts, filter means, predicted labels) so the UI receives little. Each picture takes at most about
 * a tenth of the run: a slow one (a software GPU) is spaced out.
 */
import { convFilters, evaluateClassifier, layerHistograms } from '$lib/engines/tfjs/inspect';
import type { BatchLog, GradientValues } from './protocol';
import type { Tfjs } from '$lib/layers/types';
import type * as TF from '@tensorflow/tfjs';
import type { GenerationSettings, TextVocabulary, TrainEvent, TrainRequest } from './protocol';
import { encodePrompt, generateTokens, sequenceTable, seriesPicture } from './sequences';
import { attentionMaps, attentionNodes, type AttentionScoresFn } from './attention';

export interface PicturesOptions {
  /** Minimum ms between histogram snapshots (default 500). */
  histogramMs?: number;
  /** Weight of the past in the smoothed loss (exponential moving average, bias-corrected). Default 0.9. */
  smoothing?: number;
}

export type Pictures = ReturnType<typeof createPictures>;

export function createPictures(
  tf: Tfjs,
  model: TF.LayersModel,
  request: TrainRequest,
  emit: (e: TrainEvent) => void,
  opts: PicturesOptions = {}
) {
  const histogramMs = opts.histogramMs ?? 500;
  const beta = opts.smoothing ?? 0.9;
  let xs: number[] = [];
  let losses: number[] = [];
  let smoothed: number[] = [];
  let ema = 0;
  let steps = 0;
  let nextHistogram = performance.now() + histogramMs;
  let nextEval = -Infinity;
  let lastGrads: GradientValues[] | undefined;
  const sampleShape = request.data.xShape.slice(1);
  const test = request.test && request.data.numClasses > 0 && request.test.n > 0 ? request.test : null;

  /** Where the last histograms were taken ("epoch:batch"). */
  let lastAt = '';
  const histograms = async (epoch: number, batch: number, grads?: GradientValues[]) => {
    lastAt = `${epoch}:${batch}`;
    const t0 = performance.now();
    const layers = await layerHistograms(tf, model, grads);
    if (layers.length) emit({ type: 'histograms', epoch, batch, layers });
    const filters = await convFilters(tf, model);
    if (filters.length) emit({ type: 'filters', epoch, batch, layers: filters });
    const cost = performance.now() - t0;
    nextHistogram = performance.now() + Math.max(histogramMs, 9 * cost);
  };

  const evaluate = async (epoch: number, final: boolean) => {
    if (!test) return;
    const t0 = performance.now();
    if (!final && t0 < nextEval) return;
    const ev = await evaluateClassifier(tf, model, test, sampleShape, Math.max(2, request.data.numClasses));
    const ms = performance.now() - t0;
    emit({ type: 'evaluation', epoch, final, ms, ...ev });
    nextEval = performance.now() + 9 * ms;
  };

  return {
    /** Initial weights (and filters) before the first step. */
    start: () => histograms(0, 0),
    batch(log: BatchLog) {
      steps++;
      ema = beta * ema + (1 - beta) * log.loss;
      xs.push(log.epoch - 1 + log.batch / log.batches);
      losses.push(log.loss);
      smoothed.push(ema / (1 - beta ** steps));
    },
    /** Moves the per-batch losses gathered since the last call to the front of `queue`, as one event. */
    drainBatches(queue: TrainEvent[]) {
      if (!xs.length) return;
      queue.unshift({ type: 'batches', x: Float32Array.from(xs), loss: Float32Array.from(losses), smoothed: Float32Array.from(smoothed) });
      xs = [];
      losses = [];
      smoothed = [];
    },
    wantGradients: () => performance.now() >= nextHistogram,
    async gradients(grads: GradientValues[], at: { epoch: number; batch: number }) {
      lastGrads = grads;
      await histograms(at.epoch, at.batch, grads);
    },
    /** At a pause (teaching mode's Step): the histograms of the current weights, unless already taken there. */
    async now(epoch: number, batch: number) {
      if (lastAt !== `${epoch}:${batch}`) await histograms(epoch, batch, lastGrads);
    },
    /** After an epoch: the test set, when time allows. */
    epoch: (epoch: number) => evaluate(epoch, false),
    /** After the run: final histograms (with the last captured gradients) and the test set. */
    async end(epoch: number, batch: number) {
      await histograms(epoch, batch, lastGrads);
      await evaluate(epoch, true);
    }
  };
}

/** An epoch's text may always take this long (ms)… */
export const MIN_TEXT_MS = 2000;
/** …and has at least this many characters. */
export const MIN_TEXT_CHARS = 20;

/** Ms between streamed chunks of generated text. */
const CHUNK_MS = 80;

/**
 * Streams `request.length` tokens of text from `model` after the prompt (see sequences.ts) through `onChunk`,
 * yielding to the event loop every so often (so stop/pause messages are read) and stopping when `shouldStop` says so.
 * Returns null, or why nothing was generated (a character outside the vocabulary).
 */
export async function streamText(
  tf: Tfjs,
  model: TF.LayersModel,
  request: TextVocabulary & GenerationSettings,
  onChunk: (chunk: string, done: boolean, start: boolean) => void,
  hooks: { shouldStop?: () => boolean; yieldNow?: () => Promise<void> } = {}
): Promise<string | null> {
  const enc = encodePrompt(request.prompt, request.tokens, request.seqLen, request.pad);
  if (!enc.ok) return enc.message;
  onChunk('', false, true);
  let pending = '';
  let last = performance.now();
  await generateTokens(tf, model, {
    ids: enc.ids,
    length: request.length,
    temperature: request.temperature,
    seed: request.seed,
    onToken: async (id) => {
      pending += request.tokens[id] ?? '';
      if (performance.now() - last >= CHUNK_MS) {
        onChunk(pending, false, false);
        pending = '';
        await hooks.yieldNow?.();
        last = performance.now();
      }
      return !hooks.shouldStop?.();
    }
  });
  onChunk(pending, true, false);
  return null;
}

/**
 * The sequence pictures of a run, after each epoch: text generated from the prompt (streamed), the series forecast
 * and the input → output table. Each takes at most about a tenth of the run: a slow table or forecast is spaced
 * out; text is generated after every epoch but stops early (never under MIN_TEXT_CHARS) once it has taken a tenth of
 * the run so far or MIN_TEXT_MS, whichever is longer (one character is a forward pass of the whole window).
 */
export function createSequencePictures(
  tf: Tfjs,
  model: TF.LayersModel,
  request: TrainRequest,
  emit: (e: TrainEvent) => void,
  hooks: { shouldStop: () => boolean; yieldNow: () => Promise<void>; /** Settings changed during the run. */ generation?: () => Omit<GenerationSettings, 'seed'> | null }
) {
  const seq = request.sequence;
  const started = performance.now();
  let spent = 0;
  let nextTable = -Infinity;

  const text = async (epoch: number) => {
    const base = seq?.text;
    if (!base) return;
    const t = { ...base, ...(hooks.generation?.() ?? {}) };
    const t0 = performance.now();
    const budget = Math.max(MIN_TEXT_MS, 0.1 * (t0 - started) - spent);
    let count = 0;
    const why = await streamText(
      tf,
      model,
      { ...t, seed: t.seed + epoch },
      (chunk, done, start) => emit({ type: 'generated', epoch, prompt: t.prompt, temperature: t.temperature, chunk, start, done }),
      { yieldNow: hooks.yieldNow, shouldStop: () => hooks.shouldStop() || (++count >= MIN_TEXT_CHARS && performance.now() - t0 > budget) }
    );
    if (why) emit({ type: 'generated', epoch, prompt: t.prompt, temperature: t.temperature, chunk: why, start: true, done: true });
    spent += performance.now() - t0;
  };

  const others = async (epoch: number, force: boolean) => {
    if (!seq?.series && !seq?.table) return;
    const t0 = performance.now();
    if (!force && t0 < nextTable) return;
    if (seq.series) emit({ type: 'series', epoch, picture: await seriesPicture(tf, model, seq.series, seq.series) });
    if (seq.table) emit({ type: 'table', epoch, table: await sequenceTable(tf, model, seq.table, seq.table.rows) });
    const cost = performance.now() - t0;
    spent += cost;
    nextTable = performance.now() + 9 * cost;
  };

  return {
    /** Before training: what the initial weights do. */
    start: () => others(0, true),
    /** After an epoch. */
    async epoch(epoch: number) {
      await others(epoch, false);
      await text(epoch);
    },
    /** After the run (when the last epoch's table was skipped). */
    end: (epoch: number) => others(epoch, true)
  };
}

/**
 * The attention maps of a run (a model with MultiHeadAttention layers, `request.attention` set): the sample's maps
 * before training and after each epoch, so a learner sees them go from uniform to structured. The sample may change
 * during the run (`sample`). One forward pass of one sample, cheap; still spaced out when it would take more than
 * about a tenth of the run. A failure is reported in the event and training goes on.
 */
export function createAttentionPictures(
  tf: Tfjs,
  model: TF.LayersModel,
  request: TrainRequest,
  emit: (e: TrainEvent) => void,
  hooks: { /** The layer's attention probabilities (layers/multi_head_attention.ts); none: no maps. */ scores?: AttentionScoresFn; /** The sample chosen during the run, if any. */ sample?: () => Float32Array | null },
  /** The time after a picture during which the next is skipped, in multiples of its cost (default 9: at most a tenth of the run). */
  spacing = 9
) {
  const inputShape = (model.inputs[0].shape as (number | null)[]).slice(1).map((d) => d ?? 1);
  const size = inputShape.reduce((a, b) => a * b, 1);
  const wanted = !!hooks.scores && attentionNodes(request.spec).length > 0;
  let next = -Infinity;
  let drawn = -1;
  let failed = false;

  const draw = async (epoch: number, force: boolean) => {
    const x = hooks.sample?.() ?? request.attention?.x;
    if (!wanted || failed || !x || x.length !== size) return;
    const t0 = performance.now();
    if (!force && t0 < next) return;
    try {
      const maps = await attentionMaps(tf, model, request.spec, x, inputShape, hooks.scores!);
      if (maps.length) emit({ type: 'attention', epoch, maps });
    } catch (e) {
      failed = true;
      emit({ type: 'attention', epoch, maps: [], error: `The attention maps could not be computed: ${e instanceof Error ? e.message : String(e)}` });
    }
    drawn = epoch;
    next = performance.now() + spacing * (performance.now() - t0);
  };

  return {
    /** Before training: the initial weights' maps (the saved ones' when continuing a run). */
    start: () => draw(request.initialWeights ? Math.max(0, Math.floor(request.startEpoch ?? 0)) : 0, true),
    epoch: (epoch: number) => draw(epoch, false),
    /** After the run, when the last epoch's maps were skipped. */
    end: (epoch: number) => (drawn === epoch ? Promise.resolve() : draw(epoch, true))
  };
}
