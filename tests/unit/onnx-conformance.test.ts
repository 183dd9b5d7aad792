/**
 * ONNX conformance: every case of the table (src/lib/onnx/conformance.ts) and every examples/*.py is built in TF.js
 * (cpu) with seeded random weights — all of them, so zero biases, unit gamma or default moving statistics cannot
 * hide a bug — predicted on seeded random inputs, exported to ONNX, run in onnxruntime-web (wasm) and compared:
 * max |TF.js - ORT| ≤ 1e-4. Every exported model then goes through Debian's python3-onnx checker (full_check).
 * Last, the ops each layer kind lowers to are printed (the table of the issue note).
 */
import * as tf from '@tensorflow/tfjs';
import * as ort from 'onnxruntime-web';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel } from '$lib/engines/tfjs/build';
import { randomizeWeights, readTfjsWeights } from '$lib/engines/tfjs/weights';
import { parseProgram } from '$lib/keras/parse';
import { LAYER_KINDS } from '$lib/layers';
import { CONFORMANCE_BATCH, CONFORMANCE_CASES, CONFORMANCE_TOLERANCE, conformanceInputs, exampleCases, inputVocabularies, type ConformanceCase } from '$lib/onnx/conformance';
import { exportOnnx } from '$lib/onnx/export';
import { inputTensor } from '$lib/onnx/export-feeds';
import { decodeModel, encodeModel, IR_VERSION, OPSET } from '$lib/onnx/graph';
import type { ModelSpec } from '$lib/spec/types';
import { needPython } from '$lib/test-python';
import { EXAMPLES } from '$lib/examples';

const SEED = 7;
const CASES = [...CONFORMANCE_CASES, ...exampleCases(EXAMPLES)];

/** Exported models (for the checker) and the ops each layer kind used. */
const exported = new Map<string, Uint8Array>();
const opsByKind = new Map<string, Set<string>>();

beforeAll(async () => {
  await tf.setBackend('cpu');
  ort.env.wasm.numThreads = 1;
});

function parse(c: ConformanceCase): ModelSpec {
  const { spec, diagnostics } = parseProgram(c.source, { constants: c.constants });
  const errors = diagnostics.filter((d) => d.severity === 'error');
  if (!spec || errors.length) throw new Error(`${c.name} does not parse: ${errors.map((d) => `line ${d.span.line}: ${d.message}`).join('; ')}`);
  return spec;
}

function recordOps(spec: ModelSpec, bytes: Uint8Array) {
  const kindOf = new Map(spec.layers.map((l) => [l.id, l.kind]));
  for (const n of decodeModel(bytes).graph.nodes) {
    const kind = kindOf.get(n.name.split('/')[0]);
    if (!kind) continue;
    if (!opsByKind.has(kind)) opsByKind.set(kind, new Set());
    opsByKind.get(kind)!.add(n.op);
  }
}

describe('ONNX export matches TF.js', () => {
  it('the table covers every layer of the registry and names each case once', () => {
    const covered = new Set(CONFORMANCE_CASES.map((c) => c.layer));
    expect(LAYER_KINDS.filter((k) => !covered.has(k))).toEqual([]);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
    expect(EXAMPLES.length).toBeGreaterThan(5);
  });

  for (const c of CASES) {
    it(c.name, async () => {
      const spec = parse(c);
      const model = buildModel(tf, spec, SEED);
      try {
        randomizeWeights(tf, model, SEED + 1);
        const data = conformanceInputs(spec.inputs.map((inp) => inp.shape), SEED + 2, inputVocabularies(spec.inputs, c));
        const xs = spec.inputs.map((inp, i) => ({ name: inp.name || inp.id, shape: inp.shape, data: data[i] }));
        const tfIn = xs.map((x) => tf.tensor(x.data, [CONFORMANCE_BATCH, ...x.shape]));
        const tfOut = model.predict(tfIn.length === 1 ? tfIn[0] : tfIn) as tf.Tensor | tf.Tensor[];
        const expected = (Array.isArray(tfOut) ? tfOut : [tfOut]).map((t) => ({ shape: t.shape, data: t.dataSync() as Float32Array }));
        tf.dispose([...tfIn, ...(Array.isArray(tfOut) ? tfOut : [tfOut])]);

        const onnxModel = exportOnnx(spec, readTfjsWeights(model, spec), { source: c.source, seed: SEED });
        const bytes = encodeModel(onnxModel);
        exported.set(c.name, bytes);
        recordOps(spec, bytes);
        expect(onnxModel.opsets['']).toBeGreaterThanOrEqual(17);

        const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
        try {
          expect(session.inputNames).toEqual(xs.map((x) => x.name));
          expect(session.outputNames).toEqual(spec.outputs);
          const feeds = Object.fromEntries(xs.map((x) => [x.name, inputTensor(ort, session, x.name, x.data, [CONFORMANCE_BATCH, ...x.shape])]));
          const result = await session.run(feeds);
          spec.outputs.forEach((id, i) => {
            const got = result[id];
            expect(got.dims, `${id} shape`).toEqual(expected[i].shape);
            const a = got.data as Float32Array;
            const b = expected[i].data;
            let worst = 0;
            for (let k = 0; k < b.length; k++) worst = Math.max(worst, Math.abs(a[k] - b[k]));
            expect(Number.isFinite(worst) && b.every(Number.isFinite), `${id}: non-finite values`).toBe(true);
            expect(worst, `${id}: max |TF.js - ORT|`).toBeLessThanOrEqual(CONFORMANCE_TOLERANCE);
          });
        } finally {
          await session.release();
        }
      } finally {
        model.dispose();
      }
    });
  }
});

describe('exported models pass the ONNX checker', () => {
  let dir = '';
  afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

  const checker = needPython(['onnx'], '/usr/bin/python3');
  checker.it(`onnx.checker.check_model(full_check=True) accepts every exported model${checker.note}`, () => {
    expect(exported.size, 'the conformance cases exported nothing').toBeGreaterThan(0);
    dir = mkdtempSync(join(tmpdir(), 'onnx-check-'));
    const files: Record<string, string> = {};
    [...exported].forEach(([name, bytes], i) => {
      const path = join(dir, `case${i}.onnx`);
      writeFileSync(path, bytes);
      files[path] = name;
    });
    const script = [
      'import json, sys',
      'try:',
      '    import onnx',
      'except ImportError:',
      '    print("NO_ONNX"); sys.exit(3)',
      'errors = {}',
      'for p in json.loads(sys.argv[1]):',
      '    try:',
      '        m = onnx.load(p)',
      '        onnx.checker.check_model(m, full_check=True)',
      `        assert m.ir_version == ${IR_VERSION}, "ir_version %d" % m.ir_version`,
      `        assert [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")] == [${OPSET}], "opset"`,
      '    except Exception as e:',
      '        errors[p] = str(e)[:600]',
      'print(json.dumps(errors))'
    ].join('\n');
    const r = spawnSync('/usr/bin/python3', ['-c', script, JSON.stringify(Object.keys(files))], { encoding: 'utf8', timeout: 120_000 });
    if (r.error || r.status === 3 || r.stdout.includes('NO_ONNX')) {
      throw new Error(`The ONNX checker is not available: install python3-onnx (apt-get install python3-onnx)${r.error ? ` (${r.error.message})` : ''}`);
    }
    expect(r.status, r.stderr).toBe(0);
    const errors = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, string>;
    expect(Object.fromEntries(Object.entries(errors).map(([p, e]) => [files[p], e]))).toEqual({});
  });

  it('prints the ops used per layer (for the issue note)', () => {
    const rows = LAYER_KINDS.map((k) => `| ${k} | ${[...(opsByKind.get(k) ?? [])].sort().join(', ')} |`);
    console.log(['| layer | ONNX ops (inference export) |', '|---|---|', ...rows].join('\n'));
    expect(LAYER_KINDS.filter((k) => !opsByKind.has(k))).toEqual([]);
  });
});
