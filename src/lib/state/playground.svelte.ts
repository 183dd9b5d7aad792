/**
 * The playground's state: the program, its parse (debounced), the last good model, data settings and the
 * chosen backend (saved in IndexedDB by session-keeper.svelte.ts), and what the page derives from them: the data
 * bound to the model, whether it can train and why not, the training request, the Keras script to export.
 */
import { analyseProgram, type Analysis } from '$lib/keras/analysis';
import { AnalysisClient } from '$lib/keras/analysis-client';
import type { ModelSummary } from '$lib/spec/shape';
import type { Diagnostic, ModelSpec } from '$lib/spec/types';
import { BACKENDS, type BackendName } from '$lib/engines/backend';
import { TOYS, makeToy, type ToyName, type ToyParamRange } from '$lib/data/toys';
import { REGRESSIONS, makeRegression, type RegressionName } from '$lib/data/regression';
import { DIGITS_PATH, loadDigits, type DigitsDataset } from '$lib/data/digits';
import type { BoundData, Dataset, SequenceDataset } from '$lib/data/types';
import { isSequenceName, makeSequence, SEQUENCES } from '$lib/data/sequences';
import { isTextName, loadText, makeTextDataset, resolveTextParams, TEXTS, textFromFile, textVocab, UPLOADED_TEXT, UPLOADED_TEXT_RANGES, type TextName } from '$lib/data/text';
import { dataConstants } from '$lib/data/constants';
import { applyPointEdits, nearestPoint, type PointEdit } from '$lib/data/edits';
import { checkCsvSettings, csvDataset, DEFAULT_CSV_SETTINGS, type CsvDataset, type CsvSettings, type CsvTable } from '$lib/data/csv';
import { EXAMPLES, isDatasetName, type DatasetName, type Example } from '$lib/examples';
import { bindData, trainRows, type BindResult } from '$lib/data/bind';
import { countEdits } from '$lib/data/edits';
import { effectiveValidationSplit, programValidationSplit } from '$lib/data/split';
import { csvKerasScript } from '$lib/data/csv-script';
import { printKerasScript } from '$lib/keras/print';
import type { Engine } from '$lib/compile/compiled-methods';
import type { BoundaryRequest, TrainRequest, WeightSnapshot } from '$lib/worker/protocol';
import { loadJson } from './storage';
import spiralSource from '../../../examples/spiral.py?raw';

/** 'text': shakespeare, names and the uploaded text (`text`); 'sequence': reverse, parity, sine_series. */
export type DataKind = 'toy' | 'regression' | 'digits' | 'csv' | 'text' | 'sequence';

/** Data sets the Data panel can pick: every example data set, and the user's own CSV and text (which no example can name). */
export type DataName = DatasetName | 'csv' | typeof UPLOADED_TEXT;

export function isDataName(name: string): name is DataName {
  return name === 'csv' || name === UPLOADED_TEXT || isDatasetName(name);
}

export function dataKind(name: DataName): DataKind {
  if (name === 'digits') return 'digits';
  if (name === 'csv') return 'csv';
  if (name === UPLOADED_TEXT || isTextName(name)) return 'text';
  if (isSequenceName(name)) return 'sequence';
  return name in REGRESSIONS ? 'regression' : 'toy';
}

/** What the Data panel shows and controls for a text or sequence data set. */
export interface SequenceInfo {
  title: string;
  description: string;
  /** Credit for a shipped text. */
  source?: string;
  seqLen: ToyParamRange;
  samples: ToyParamRange;
  /** Only sine_series has noise. */
  noise: ToyParamRange | null;
}

/** The Data panel's title, description and ranges (sequence length, samples, noise) of a text or sequence data set (null for other data). */
export function sequenceRanges(name: DataName): SequenceInfo | null {
  if (isTextName(name)) {
    const t = TEXTS[name];
    return { title: t.title, description: t.description, source: t.source, seqLen: t.seqLen, samples: t.samples, noise: null };
  }
  if (name === UPLOADED_TEXT) {
    return { title: 'Your text', description: 'Your own .txt file, character level: x_train holds windows of seq_len character ids, y_train the next character at each position; the last 10 % is x_test, y_test.', ...UPLOADED_TEXT_RANGES, noise: null };
  }
  if (isSequenceName(name)) {
    const q = SEQUENCES[name];
    return { title: q.title, description: q.description, seqLen: q.seqLen, samples: q.samples, noise: q.noise };
  }
  return null;
}

/** The user's uploaded text (checked by text.ts' textFromFile). */
export interface UploadedText {
  fileName: string;
  text: string;
}

/** The Data panel's settings: plain JSON (saved with the session). */
export interface DataSettings {
  name: DataName;
  samples: number;
  noise: number;
  /** Seeds the toys, the regressions and the shuffling of CSV rows. */
  seed: number;
  classes: number;
  /**
   * The validation split used when the program's model.fit(...) gives none (0 = no validation). When the program
   * sets validation_split, the program's value is used and the panel shows it.
   */
  validationSplit: number;
  /** Points added/removed by clicking a 2D toy's plot, re-applied on top of the generated points (see data/edits.ts). */
  edits: PointEdit[];
  /** Target column, task and standardisation of the uploaded CSV (the file itself is `Playground.csvTable`). */
  csv: CsvSettings;
  /** Time steps per sample (`seq_len`) of text and sequence data; the data set's default when it changes. */
  seqLen: number;
}

interface Saved {
  code: string;
  /** The user's own program, kept when an example replaced it in the editor. */
  mine?: string | null;
  data: DataSettings;
  backend: BackendName;
  seed: number;
}

const STORAGE_KEY = 'nn-playground:v1';

export const DEFAULT_CODE = spiralSource;
export const DEFAULT_DATA: DataSettings = {
  name: 'spiral',
  samples: 600,
  noise: 0.1,
  seed: 1,
  classes: 3,
  validationSplit: 0,
  edits: [],
  csv: { ...DEFAULT_CSV_SETTINGS },
  seqLen: 64
};

/**
 * The plotted square [-r, r]² of a 2D or 1D data set: r is the largest |x| rounded up to a tenth, plus 10 %
 * (1 without data). The first `skipAdded` points (clicked onto a toy; data/edits.ts puts them first) do not count,
 * so the frame does not jump under the mouse.
 */
export function plotExtent(dataset: Dataset | null, skipAdded = 0): [number, number, number, number] {
  let m = 0;
  const skip = 2 * skipAdded;
  if (dataset) for (let i = Math.min(skip, dataset.x.length); i < dataset.x.length; i++) m = Math.max(m, Math.abs(dataset.x[i]));
  const r = Math.ceil(m * 11) / 10 || 1;
  return [-r, r, -r, r];
}

export class Playground {
  code = $state(DEFAULT_CODE);
  data = $state<DataSettings>({ ...DEFAULT_DATA });
  backend = $state<BackendName>('wasm');
  seed = $state(1);

  diagnostics = $state.raw<Diagnostic[]>([]);
  /** The last program that parsed without errors: it stays usable while the code is broken. */
  lastGood = $state.raw<{ spec: ModelSpec; summary: ModelSummary } | null>(null);
  /** True when the current text is the last good program. */
  upToDate = $state(true);
  storageMessage = $state<string | null>(null);
  /** The user's own program, kept aside while an example is open (nothing the user wrote is lost). */
  mine = $state<string | null>(null);

  digits = $state.raw<DigitsDataset | null>(null);
  digitsProgress = $state<{ loaded: number; total: number | null } | null>(null);
  dataError = $state<string | null>(null);
  /**
   * The uploaded CSV file, checked and typed (see data/csv.ts): plain JSON (strings, numbers), up to 20 MB of text.
   * Not in `data` (DataSettings stays small); whoever persists sessions should keep it beside them. Null when no file
   * was uploaded (or it was not kept across a reload: the Data panel then asks for it again).
   */
  csvTable = $state.raw<CsvTable | null>(null);
  /** The shipped texts once downloaded (names already joined with the separator; see data/text.ts). */
  texts = $state.raw<Partial<Record<TextName, string>>>({});
  /** Download progress of a shipped text (null when none is loading). */
  textProgress = $state<{ name: TextName; loaded: number; total: number | null } | null>(null);
  /**
   * The uploaded text (`setText`), up to 2 MB. Like the CSV, not in `data`: whoever persists sessions should keep it
   * beside them; null when none was uploaded (or it was not kept across a reload: the Data panel asks for it again).
   */
  uploadedText = $state.raw<UploadedText | null>(null);

  /** The text or sequence data set for the current settings, or why it cannot be made (null while a text loads, or without an upload). */
  readonly sequenceData = $derived.by((): { ok: true; value: SequenceDataset } | { ok: false; message: string } | null => {
    const d = this.data;
    const name = d.name;
    try {
      if (isSequenceName(name)) return { ok: true, value: makeSequence({ name, seqLen: d.seqLen, samples: d.samples, noise: d.noise, seed: d.seed }) };
      if (isTextName(name)) {
        const text = this.texts[name];
        return text === undefined ? null : { ok: true, value: makeTextDataset(text, { name, seqLen: d.seqLen, samples: d.samples, seed: d.seed }) };
      }
      if (name === UPLOADED_TEXT) {
        const up = this.uploadedText;
        return up ? { ok: true, value: makeTextDataset(up.text, { name, seqLen: d.seqLen, samples: d.samples, seed: d.seed }) } : null;
      }
    } catch (e) {
      return { ok: false, message: e instanceof Error ? e.message : String(e) };
    }
    return null;
  });

  /**
   * What the data predefines for the program (`vocab_size`, `seq_len` for text and sequences; see data/constants.ts),
   * passed to the parser.
   */
  readonly constants = $derived(
    dataConstants(this.data.name, {
      seqLen: this.data.seqLen,
      vocabSize: this.data.name === UPLOADED_TEXT && this.uploadedText ? textVocab(this.uploadedText.text).length : undefined
    })
  );

  /** The CSV turned into a data set for the current settings (null without a file). */
  readonly csv = $derived.by((): { ok: true; value: CsvDataset } | { ok: false; message: string } | null =>
    this.csvTable ? csvDataset(this.csvTable, this.data.csv ?? DEFAULT_CSV_SETTINGS, this.data.seed) : null
  );

  readonly kind = $derived(dataKind(this.data.name));
  /** Title, description and ranges of the chosen text or sequence data set (null for other data). */
  readonly sequenceInfo = $derived(sequenceRanges(this.data.name));
  /** The data set `x_train, y_train` are bound to (null while the digits download). */
  readonly dataset = $derived.by((): Dataset | null => {
    const d = this.data;
    switch (dataKind(d.name)) {
      case 'toy': {
        const info = TOYS[d.name as ToyName];
        const classes = info.classes.min === info.classes.max ? info.classes.min : d.classes;
        const toy = makeToy({ name: d.name as ToyName, samples: d.samples, noise: d.noise, seed: d.seed, classes });
        return d.edits?.length ? applyPointEdits(toy, d.edits) : toy;
      }
      case 'regression':
        return makeRegression({ name: d.name as RegressionName, samples: d.samples, noise: d.noise, seed: d.seed });
      case 'digits':
        return this.digits;
      case 'csv':
        return this.csv?.ok ? this.csv.value.dataset : null;
      case 'text':
      case 'sequence':
        return this.sequenceData?.ok ? this.sequenceData.value : null;
    }
  });

  readonly errors = $derived(this.diagnostics.filter((d) => d.severity === 'error'));

  /** The model that trains and exports: the last program that parsed (null before any did). */
  readonly spec = $derived(this.lastGood?.spec ?? null);
  /** Parameter ranges of the chosen toy or regression data set (digits and CSV have none). */
  readonly info = $derived(this.kind === 'toy' ? TOYS[this.data.name as ToyName] : this.kind === 'regression' ? REGRESSIONS[this.data.name as RegressionName] : null);
  readonly toyInfo = $derived(this.kind === 'toy' ? TOYS[this.data.name as ToyName] : null);
  /** True when the data set's number of classes cannot be chosen. */
  readonly fixedClasses = $derived(!this.toyInfo || this.toyInfo.classes.min === this.toyInfo.classes.max);
  /** The plotted square of a 2D data set: the largest |coordinate| of the generated points, plus 10 %. */
  readonly extent = $derived(plotExtent(this.dataset, this.kind === 'toy' ? countEdits(this.data.edits ?? []).added : 0));
  /** The program's own validation_split (undefined when its fit(...) does not write one); see data/split.ts. */
  readonly programSplit = $derived(programValidationSplit(this.spec, this.code));
  /** The split that trains: the program's, else the Data panel's. */
  readonly validationSplit = $derived(effectiveValidationSplit(this.spec, this.code, this.data.validationSplit));
  /** First validation row (rows from here on are held out). */
  readonly validationFrom = $derived(this.dataset ? trainRows(this.dataset.n, this.validationSplit) : 0);
  /** The data bound to the model's input and output (null without a model or data). */
  readonly binding = $derived.by((): BindResult | null =>
    this.spec && this.lastGood && this.dataset ? bindData(this.dataset, this.spec, this.lastGood.summary.outputShapes[0]) : null
  );
  /**
   * What the editor and the Problems list show: the program's diagnostics, plus data that does not fit the model at
   * the line of the layer it names (an Embedding below the vocabulary, a last layer with the wrong units, per-step
   * outputs against per-sequence labels). Not an `error` of the program: Train says why it is disabled.
   */
  readonly problems = $derived.by((): Diagnostic[] => {
    const b = this.binding;
    if (!b || b.ok || !b.nodeId || !this.upToDate) return this.diagnostics;
    const node = this.spec?.layers.find((l) => l.id === b.nodeId);
    return node ? [...this.diagnostics, { severity: 'error', message: b.message, span: node.span }] : this.diagnostics;
  });
  /**
   * The held-out `x_test, y_test` of text and sequence data (the tail of the text; further draws) bound like
   * `x_train, y_train` (null without a test split, or while the training data does not bind).
   */
  readonly testBinding = $derived.by((): BoundData | null => {
    const d = this.dataset;
    if (!d || d.kind !== 'sequence' || !d.test || !this.spec || !this.lastGood || !this.binding?.ok) return null;
    const r = bindData({ ...d, ...d.test }, this.spec, this.lastGood.summary.outputShapes[0]);
    return r.ok ? r.data : null;
  });
  /** The example the editor holds unchanged ('' for the user's own program). */
  readonly exampleId = $derived(EXAMPLES.find((e) => e.source === this.code)?.id ?? '');

  /** Why Train is disabled (null when it is not, and while a run is busy). */
  trainBlocker(busy: boolean): string | null {
    if (busy) return null;
    if (this.errors.length) return `Fix the ${this.errors.length === 1 ? 'problem' : `${this.errors.length} problems`} in the code first.`;
    if (!this.upToDate) return 'Checking the code…';
    if (this.digitsProgress) return 'Loading the digits…';
    if (this.textProgress) return `Loading the ${this.textProgress.name} text…`;
    if (this.kind === 'text' && this.data.name === UPLOADED_TEXT && !this.uploadedText) return 'Upload a .txt file first.';
    if (this.sequenceData && !this.sequenceData.ok) return this.sequenceData.message;
    if (this.binding && !this.binding.ok) return this.binding.message;
    return null;
  }

  canTrain(busy: boolean): boolean {
    return Boolean(this.spec && this.upToDate && this.errors.length === 0 && this.binding?.ok && !busy);
  }

  /** The decision boundary the worker draws for a 2D toy (undefined for other data). */
  boundaryRequest(): BoundaryRequest | undefined {
    return this.kind === 'toy' && this.dataset?.features === 2 ? { resolution: 64, extent: [...this.extent] } : undefined;
  }

  /**
   * What Train sends the worker (null when the model or its data is not ready): the program's spec (with the Data
   * panel's validation split when the program writes none), the bound data, the boundary or curve to draw, the test
   * set; `from` continues a saved run from its weights and epoch.
   */
  trainRequest(engine: Engine, from?: WeightSnapshot | null): { request: TrainRequest; epochs: number; keepHistory: boolean } | null {
    const spec = this.spec;
    const binding = this.binding;
    const d = this.dataset;
    if (!spec || !binding?.ok || !d) return null;
    const oneD = this.kind === 'regression' && d.features === 1;
    let xMin = Infinity;
    let xMax = -Infinity;
    if (oneD) for (const v of d.x) [xMin, xMax] = [Math.min(xMin, v), Math.max(xMax, v)];
    const validationSplit = this.validationSplit;
    const request: TrainRequest = {
      spec: spec.fit && this.programSplit === undefined && validationSplit > 0 ? { ...spec, fit: { ...spec.fit, validationSplit } } : spec,
      data: binding.data,
      backend: this.backend,
      seed: this.seed,
      engine,
      boundary: this.boundaryRequest(),
      curve: oneD ? { xMin, xMax, points: 120 } : undefined,
      test: d.kind === 'classification' && d.test ? { x: d.test.x, labels: d.test.labels, n: d.test.n } : undefined,
      ...(from ? { initialWeights: from, startEpoch: from.epoch } : {})
    };
    return { request, epochs: spec.fit?.epochs ?? 1, keepHistory: Boolean(from) };
  }

  /**
   * The Keras script of the program with the code that makes (or, for a CSV, reads and prepares) its data, and the
   * note to show; throws with the reason it cannot be written.
   */
  kerasScript(): { text: string; message: string } {
    const spec = this.spec;
    if (!spec) throw new Error('the program has no model yet');
    const d = this.data;
    if (d.name === 'csv') {
      // Your CSV: the script reads the same file and prepares it as the playground does (data/csv-script.ts).
      if (!this.csvTable || !this.csv?.ok) throw new Error('upload a CSV file first');
      if (!this.binding?.ok) throw new Error(this.binding?.message ?? 'the program does not fit the CSV data');
      return {
        text: csvKerasScript(this.csvTable, d.csv, this.csv.value, this.binding.data.target, d.seed, this.code),
        message: `Downloaded model.py: your program plus the code that reads and prepares ${this.csvTable.fileName} (put the file beside it), for Python Keras 3.`
      };
    }
    if (d.name === UPLOADED_TEXT) {
      const up = this.uploadedText;
      if (!up) throw new Error('upload a .txt file first');
      return {
        text: printKerasScript(spec, { name: UPLOADED_TEXT, fileName: up.fileName, text: up.text, seqLen: d.seqLen, samples: d.samples, seed: d.seed }, this.code),
        message: `Downloaded model.py: your program plus the code that reads ${up.fileName} (put the file beside it) and makes the same windows, for Python Keras 3.`
      };
    }
    if (isTextName(d.name)) {
      return {
        text: printKerasScript(spec, { name: d.name, seqLen: d.seqLen, samples: d.samples, seed: d.seed }, this.code),
        message: `Downloaded model.py: your program plus the code that reads ${d.name}.txt (put the file beside it: ${TEXTS[d.name].path} of this site) and makes the same windows, for Python Keras 3.`
      };
    }
    if (isSequenceName(d.name)) {
      return {
        text: printKerasScript(spec, { name: d.name, seqLen: d.seqLen, samples: d.samples, noise: d.noise, seed: d.seed }, this.code),
        message: 'Downloaded model.py: your program plus the code that makes the same data, for Python Keras 3.'
      };
    }
    return {
      text: printKerasScript(spec, { name: d.name, samples: d.samples, noise: d.noise, seed: d.seed, classes: d.classes } as never, this.code),
      message: 'Downloaded model.py: your program plus the code that makes its data, for Python Keras 3.'
    };
  }

  #timer: ReturnType<typeof setTimeout> | null = null;
  /** Counts analyses started, so an answer from the worker that came after a newer one is dropped. */
  #analysis = 0;
  /** Where an edit is analysed (the analysis worker; tests put a fake here). */
  analyser: Pick<AnalysisClient, 'analyse'> = new AnalysisClient();

  constructor() {
    const saved = loadJson<Partial<Saved>>(STORAGE_KEY);
    if (saved) {
      if (typeof saved.code === 'string') this.code = saved.code;
      if (saved.data && isDataName(saved.data.name ?? '')) this.data = { ...DEFAULT_DATA, ...saved.data };
      if (typeof saved.mine === 'string') this.mine = saved.mine;
      if (saved.backend) this.backend = saved.backend;
      if (typeof saved.seed === 'number') this.seed = saved.seed;
    }
    this.analyse();
    this.ensureData();
  }

  /** Starts loading what the chosen data set needs (the digits, a shipped text). */
  ensureData() {
    if (this.data.name === 'digits') void this.ensureDigits();
    if (isTextName(this.data.name)) void this.ensureText(this.data.name);
  }

  /** Parse + shape inference now, on this thread (tests, first load, a new example or data set); `setCode` debounces. The data's constants (vocab_size, seq_len) are predefined. */
  analyse() {
    // It analyses the code as it is now, so an edit's pending analysis has nothing left to do.
    if (this.#timer) clearTimeout(this.#timer);
    this.#analysis++;
    this.#apply(analyseProgram(this.code, $state.snapshot(this.constants)));
  }

  #apply(a: Analysis) {
    this.diagnostics = a.diagnostics;
    if (a.model) {
      this.lastGood = a.model;
      this.upToDate = true;
    } else this.upToDate = false;
  }

  /**
   * An edit's analysis, in the analysis worker (a long program would hold the page for hundreds of ms). Its answer
   * is used only if nothing was analysed or edited since; without a worker (or if it failed) it runs here.
   */
  async #analyseOffThread() {
    const id = ++this.#analysis;
    const code = this.code;
    const answer = await this.analyser.analyse(code, $state.snapshot(this.constants));
    if (id !== this.#analysis || code !== this.code) return;
    if (answer) this.#apply(answer);
    else this.analyse();
  }

  setCode(code: string) {
    this.code = code;
    this.upToDate = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#analyseOffThread(), 250);
    this.save();
  }

  save() {
    // The session keeper (session-keeper.svelte.ts) watches this state and saves it in IndexedDB (sessions.ts);
    // the old localStorage key is only read (at start, and once into the first session).
  }

  /** The program and its settings as plain JSON (what a session or a share link keeps). */
  content(): { code: string; mine: string | null; data: DataSettings; backend: BackendName; seed: number } {
    return $state.snapshot({ code: this.code, mine: this.mine, data: this.data, backend: this.backend, seed: this.seed }) as never;
  }

  /**
   * Replaces the program and its settings (a saved session, a share link). Returns a note when something could
   * not be used as given (an unknown data set or backend), else null.
   */
  load(c: { code: string; mine?: string | null; data: { name: string }; backend: string; seed: number }): string | null {
    const notes: string[] = [];
    this.code = c.code;
    this.mine = c.mine ?? null;
    if (isDataName(c.data.name)) this.data = { ...DEFAULT_DATA, ...(c.data as Partial<DataSettings>), name: c.data.name };
    else {
      notes.push(`the data set "${c.data.name}" is not known here, so ${DEFAULT_DATA.name} is used`);
      this.data = { ...DEFAULT_DATA };
    }
    if ((BACKENDS as readonly string[]).includes(c.backend)) this.backend = c.backend as BackendName;
    else notes.push(`the backend "${c.backend}" is not known here`);
    if (Number.isFinite(c.seed)) this.seed = c.seed;
    this.analyse();
    this.ensureData();
    return notes.length ? `Note: ${notes.join('; ')}.` : null;
  }

  /** Picks a data set; sample count and noise move to that data set's defaults when the kind changes. */
  setDataset(name: DataName) {
    const before = dataKind(this.data.name);
    const info = name === 'digits' || name === 'csv' ? null : ((TOYS as Record<string, (typeof TOYS)[ToyName]>)[name] ?? REGRESSIONS[name as RegressionName]);
    const seq = sequenceRanges(name);
    const changed = name !== this.data.name;
    this.data = {
      ...this.data,
      name,
      // Clicked points belong to the toy they were made on.
      ...(changed ? { edits: [] } : {}),
      ...(info && (before !== dataKind(name) || !(name in TOYS)) ? { samples: info.samples.default, noise: info.noise.default } : {}),
      // Text and sequences: each data set's own sequence length, samples (and noise) to start from.
      ...(seq && changed ? { seqLen: seq.seqLen.default, samples: seq.samples.default, ...(seq.noise ? { noise: seq.noise.default } : {}) } : {})
    };
    this.ensureData();
    // vocab_size and seq_len belong to the data: the program means something else now.
    if (changed) this.analyse();
    this.save();
  }

  /** Sets the sequence length of text and sequence data (clamped to the data set's range); the program is read again (seq_len changed). */
  setSeqLen(seqLen: number) {
    const r = sequenceRanges(this.data.name);
    if (!r || !Number.isFinite(seqLen)) return;
    this.data.seqLen = Math.round(Math.min(r.seqLen.max, Math.max(r.seqLen.min, seqLen)));
    this.analyse();
    this.save();
  }

  /**
   * Uses an uploaded text file as the data set (`text`): checks it with textFromFile and returns the reason it
   * cannot be used (changing nothing), else null.
   */
  setText(fileName: string, content: Uint8Array | ArrayBuffer | string): string | null {
    const r = textFromFile(content, fileName);
    if (!r.ok) return r.message;
    const p = resolveTextParams({ name: UPLOADED_TEXT, seqLen: this.data.name === UPLOADED_TEXT ? this.data.seqLen : undefined, samples: this.data.samples });
    try {
      makeTextDataset(r.text, { ...p, samples: 1 });
    } catch (e) {
      return e instanceof Error ? e.message : String(e);
    }
    this.uploadedText = { fileName, text: r.text };
    const fresh = this.data.name !== UPLOADED_TEXT;
    this.data = { ...this.data, name: UPLOADED_TEXT, edits: [], ...(fresh ? { seqLen: p.seqLen, samples: UPLOADED_TEXT_RANGES.samples.default } : {}) };
    this.analyse();
    this.save();
    return null;
  }

  /** Downloads a shipped text (once), with progress in `textProgress` and failures in `dataError`. */
  async ensureText(name: TextName) {
    if (this.texts[name] !== undefined || this.textProgress?.name === name) return;
    this.dataError = null;
    this.textProgress = { name, loaded: 0, total: null };
    try {
      const text = await loadText(name, TEXTS[name].path, (loaded, total) => (this.textProgress = { name, loaded, total }));
      this.texts = { ...this.texts, [name]: text };
      // The constants were known already; the data set appears now.
    } catch (e) {
      this.dataError = e instanceof Error ? e.message : String(e);
    } finally {
      if (this.textProgress?.name === name) this.textProgress = null;
    }
  }

  /** Adds a point of class `label` at (x, y) (data units) to the current 2D toy. */
  addPoint(x: number, y: number, label: number) {
    this.data.edits = [...(this.data.edits ?? []), { op: 'add', x, y, label }];
    this.save();
  }

  /** Removes the point nearest (x, y) within `radius`; returns false (and changes nothing) when none is that near. */
  removePoint(x: number, y: number, radius?: number): boolean {
    const ds = this.dataset;
    if (!ds || ds.kind !== 'classification' || ds.features !== 2 || nearestPoint(ds.x, ds.n, x, y, radius) < 0) return false;
    this.data.edits = [...(this.data.edits ?? []), { op: 'remove', x, y }];
    this.save();
    return true;
  }

  /** Drops every clicked point: back to the generated toy. */
  resetPoints() {
    this.data.edits = [];
    this.save();
  }

  /**
   * Uses a checked CSV table (from data/csv.ts' readCsv) as the data set, with the target reset to its last column.
   * Returns the reason it cannot be used (and changes nothing), else null.
   */
  useCsv(table: CsvTable): string | null {
    const settings: CsvSettings = { ...DEFAULT_CSV_SETTINGS, standardize: this.data.csv?.standardize ?? true };
    const bad = checkCsvSettings(table, settings) ?? (() => {
      const r = csvDataset(table, settings, this.data.seed);
      return r.ok ? null : r;
    })();
    if (bad) return bad.message;
    this.csvTable = table;
    this.data = { ...this.data, name: 'csv', edits: [], csv: settings };
    this.save();
    return null;
  }

  /** Changes the CSV's target column, task or standardisation; returns why not (changing nothing), else null. */
  setCsvSettings(change: Partial<CsvSettings>): string | null {
    const next = { ...(this.data.csv ?? DEFAULT_CSV_SETTINGS), ...change };
    if (this.csvTable) {
      const r = csvDataset(this.csvTable, next, this.data.seed);
      if (!r.ok) return r.message;
    }
    this.data.csv = next;
    this.save();
    return null;
  }

  async ensureDigits() {
    if (this.digits || this.digitsProgress) return;
    this.dataError = null;
    this.digitsProgress = { loaded: 0, total: null };
    try {
      this.digits = await loadDigits(DIGITS_PATH, (loaded, total) => (this.digitsProgress = { loaded, total }));
    } catch (e) {
      this.dataError = e instanceof Error ? e.message : String(e);
    } finally {
      this.digitsProgress = null;
    }
  }

  /** True when the editor holds the user's own text rather than an unmodified example. */
  get isOwnCode(): boolean {
    return !EXAMPLES.some((e) => e.source === this.code);
  }

  /** Opens an example (code and data); the user's own program is kept and can be reopened. */
  openExample(example: Example) {
    if (this.isOwnCode) this.mine = this.code;
    this.setCode(example.source);
    this.analyse();
    this.setDataset(example.data);
  }

  reopenMine() {
    if (this.mine === null) return;
    const mine = this.mine;
    if (this.isOwnCode) this.mine = this.code;
    this.setCode(mine);
    this.analyse();
  }
}
