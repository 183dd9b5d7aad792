/**
 * The playground's state: the program, its parse (debounced), the last good model, data settings and the
 * chosen backend. Persisted to localStorage so a reload never loses the user's code.
 */
import { parseProgram } from '$lib/keras/parse';
import { inferShapes, type ModelSummary } from '$lib/spec/shape';
import type { Diagnostic, ModelSpec } from '$lib/spec/types';
import type { BackendName } from '$lib/engines/backend';
import type { ToyName } from '$lib/data/toys';
import { loadJson, saveJson } from './storage';
import spiralSource from '../../../examples/spiral.py?raw';

export interface DataSettings {
  name: ToyName;
  samples: number;
  noise: number;
  seed: number;
  classes: number;
}

interface Saved {
  code: string;
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

  readonly errors = $derived(this.diagnostics.filter((d) => d.severity === 'error'));

  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    const saved = loadJson<Partial<Saved>>(STORAGE_KEY);
    if (saved) {
      if (typeof saved.code === 'string') this.code = saved.code;
      if (saved.data) this.data = { ...DEFAULT_DATA, ...saved.data };
      if (saved.backend) this.backend = saved.backend;
      if (typeof saved.seed === 'number') this.seed = saved.seed;
    }
    this.analyse();
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
    const status = saveJson(STORAGE_KEY, { code: this.code, data: this.data, backend: this.backend, seed: this.seed } satisfies Saved);
    this.storageMessage = status.ok ? null : (status.message ?? null);
  }

  resetCode() {
    this.setCode(DEFAULT_CODE);
  }
}
