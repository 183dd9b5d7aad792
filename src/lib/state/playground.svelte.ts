/**
 * The playground's state: the program, its parse (debounced), the last good model, data settings and the
 * chosen backend. Persisted to localStorage so a reload never loses the user's code.
 */
import { parseProgram } from '$lib/keras/parse';
import { inferShapes, type ModelSummary } from '$lib/spec/shape';
import type { Diagnostic, ModelSpec } from '$lib/spec/types';
import type { BackendName } from '$lib/engines/backend';
import { TOYS, makeToy, type ToyName } from '$lib/data/toys';
import { REGRESSIONS, makeRegression, type RegressionName } from '$lib/data/regression';
import { DIGITS_PATH, loadDigits, type DigitsDataset } from '$lib/data/digits';
import type { Dataset } from '$lib/data/types';
import { EXAMPLES, isDatasetName, type DatasetName, type Example } from '$lib/examples';
import { loadJson, saveJson } from './storage';
import spiralSource from '../../../examples/spiral.py?raw';

export type DataKind = 'toy' | 'regression' | 'digits';

export function dataKind(name: DatasetName): DataKind {
  if (name === 'digits') return 'digits';
  return name in REGRESSIONS ? 'regression' : 'toy';
}

export interface DataSettings {
  name: DatasetName;
  samples: number;
  noise: number;
  seed: number;
  classes: number;
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
export const DEFAULT_DATA: DataSettings = { name: 'spiral', samples: 600, noise: 0.1, seed: 1, classes: 3 };

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

  readonly kind = $derived(dataKind(this.data.name));
  /** The data set `x_train, y_train` are bound to (null while the digits download). */
  readonly dataset = $derived.by((): Dataset | null => {
    const d = this.data;
    switch (dataKind(d.name)) {
      case 'toy': {
        const info = TOYS[d.name as ToyName];
        const classes = info.classes.min === info.classes.max ? info.classes.min : d.classes;
        return makeToy({ name: d.name as ToyName, samples: d.samples, noise: d.noise, seed: d.seed, classes });
      }
      case 'regression':
        return makeRegression({ name: d.name as RegressionName, samples: d.samples, noise: d.noise, seed: d.seed });
      case 'digits':
        return this.digits;
    }
  });

  readonly errors = $derived(this.diagnostics.filter((d) => d.severity === 'error'));

  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    const saved = loadJson<Partial<Saved>>(STORAGE_KEY);
    if (saved) {
      if (typeof saved.code === 'string') this.code = saved.code;
      if (saved.data && isDatasetName(saved.data.name ?? '')) this.data = { ...DEFAULT_DATA, ...saved.data };
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
    const status = saveJson(STORAGE_KEY, { code: this.code, mine: this.mine, data: this.data, backend: this.backend, seed: this.seed } satisfies Saved);
    this.storageMessage = status.ok ? null : (status.message ?? null);
  }

  /** Picks a data set; sample count and noise move to that data set's defaults when the kind changes. */
  setDataset(name: DatasetName) {
    const before = dataKind(this.data.name);
    const info = name === 'digits' ? null : ((TOYS as Record<string, (typeof TOYS)[ToyName]>)[name] ?? REGRESSIONS[name as RegressionName]);
    this.data = {
      ...this.data,
      name,
      ...(info && (before !== dataKind(name) || !(name in TOYS)) ? { samples: info.samples.default, noise: info.noise.default } : {})
    };
    if (name === 'digits') void this.ensureDigits();
    this.save();
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
