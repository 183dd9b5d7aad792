/**
 * The playground's state: the program, its parse (debounced), the last good model, data settings and the
 * chosen backend. Persisted to localStorage so a reload never loses the user's code.
 */
import { parseProgram } from '$lib/keras/parse';
import { inferShapes, type ModelSummary } from '$lib/spec/shape';
import type { Diagnostic, ModelSpec } from '$lib/spec/types';
import { BACKENDS, type BackendName } from '$lib/engines/backend';
import { TOYS, makeToy, type ToyName } from '$lib/data/toys';
import { REGRESSIONS, makeRegression, type RegressionName } from '$lib/data/regression';
import { DIGITS_PATH, loadDigits, type DigitsDataset } from '$lib/data/digits';
import type { Dataset } from '$lib/data/types';
import { applyPointEdits, nearestPoint, type PointEdit } from '$lib/data/edits';
import { checkCsvSettings, csvDataset, DEFAULT_CSV_SETTINGS, type CsvDataset, type CsvSettings, type CsvTable } from '$lib/data/csv';
import { EXAMPLES, isDatasetName, type DatasetName, type Example } from '$lib/examples';
import { loadJson } from './storage';
import spiralSource from '../../../examples/spiral.py?raw';

export type DataKind = 'toy' | 'regression' | 'digits' | 'csv';

/** Data sets the Data panel can pick: every example data set, and the user's own CSV (which no example can name). */
export type DataName = DatasetName | 'csv';

export function isDataName(name: string): name is DataName {
  return name === 'csv' || isDatasetName(name);
}

export function dataKind(name: DataName): DataKind {
  if (name === 'digits') return 'digits';
  if (name === 'csv') return 'csv';
  return name in REGRESSIONS ? 'regression' : 'toy';
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
  csv: { ...DEFAULT_CSV_SETTINGS }
};

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

  /** The CSV turned into a data set for the current settings (null without a file). */
  readonly csv = $derived.by((): { ok: true; value: CsvDataset } | { ok: false; message: string } | null =>
    this.csvTable ? csvDataset(this.csvTable, this.data.csv ?? DEFAULT_CSV_SETTINGS, this.data.seed) : null
  );

  readonly kind = $derived(dataKind(this.data.name));
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
    }
  });

  readonly errors = $derived(this.diagnostics.filter((d) => d.severity === 'error'));

  #timer: ReturnType<typeof setTimeout> | null = null;

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
    if (this.data.name === 'digits') void this.ensureDigits();
  }

  /** Parse + shape inference now (tests and first load); `setCode` debounces. */
  analyse() {
    const result = parseProgram(this.code);
    this.diagnostics = result.diagnostics;
    if (result.spec && !result.diagnostics.some((d) => d.severity === 'error')) {
      const { summary } = inferShapes(result.spec);
      if (summary) {
        this.lastGood = { spec: result.spec, summary };
        this.upToDate = true;
        return;
      }
    }
    this.upToDate = false;
  }

  setCode(code: string) {
    this.code = code;
    this.upToDate = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.analyse(), 250);
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
    if (this.#timer) clearTimeout(this.#timer);
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
    if (this.data.name === 'digits') void this.ensureDigits();
    return notes.length ? `Note: ${notes.join('; ')}.` : null;
  }

  /** Picks a data set; sample count and noise move to that data set's defaults when the kind changes. */
  setDataset(name: DataName) {
    const before = dataKind(this.data.name);
    const info = name === 'digits' || name === 'csv' ? null : ((TOYS as Record<string, (typeof TOYS)[ToyName]>)[name] ?? REGRESSIONS[name as RegressionName]);
    this.data = {
      ...this.data,
      name,
      // Clicked points belong to the toy they were made on.
      ...(name !== this.data.name ? { edits: [] } : {}),
      ...(info && (before !== dataKind(name) || !(name in TOYS)) ? { samples: info.samples.default, noise: info.noise.default } : {})
    };
    if (name === 'digits') void this.ensureDigits();
    this.save();
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
