/**
 * `npm run cli -- export FILE --format onnx --seed N --out model.onnx`: spawned for real (tsx under Node's own ESM
 * loader, which is where a CommonJS import can break), then compared with `--format tfjs` of the same seed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TFJS_MODEL_FILE, TFJS_WEIGHTS_FILE } from '$lib/engines/tfjs/export';
import { decodeModel } from '$lib/onnx/graph';

const tmp = mkdtempSync(join(tmpdir(), 'onnx-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function spawnCli(args: string[]): Promise<Run> {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };
  const [bin, ...rest] = pkg.scripts.cli.split(/\s+/);
  return new Promise((resolve, reject) => {
    const child = spawn(join('node_modules', '.bin', bin), [...rest, ...args], { env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cli export --format onnx', () => {
  const file = 'examples/digits_cnn.py';
  let onnx: Run, tfjs: Run, noOut: Run;
  beforeAll(async () => {
    [onnx, tfjs, noOut] = await Promise.all([
      spawnCli(['export', file, '--format', 'onnx', '--seed', '7', '--out', join(tmp, 'm/model.onnx')]),
      spawnCli(['export', file, '--format', 'tfjs', '--seed', '7', '--out', join(tmp, 'tfjs')]),
      spawnCli(['export', file, '--format', 'onnx'])
    ]);
  }, 120_000);

  it('writes the model and prints its size and op histogram', () => {
    expect(onnx.code, onnx.stderr).toBe(0);
    expect(onnx.stdout).toMatch(/Wrote .*model\.onnx \(\d+(\.\d)? KB\): ONNX opset 17, \d+ nodes, weights of seed 7/);
    expect(onnx.stdout).toMatch(/Ops: .*Conv 2.*MaxPool 2/);
    const m = decodeModel(readFileSync(join(tmp, 'm/model.onnx')));
    expect(m.metadata.source).toBe(readFileSync(file, 'utf8'));
    expect(m.metadata.seed).toBe('7');
    expect(m.graph.inputs[0].dims[0]).toBe('batch');
  });

  it('holds the same weights as --format tfjs with the same seed', () => {
    expect(tfjs.code, tfjs.stderr).toBe(0);
    const manifest = JSON.parse(readFileSync(join(tmp, 'tfjs', TFJS_MODEL_FILE), 'utf8')).weightsManifest[0].weights as { name: string; shape: number[] }[];
    const bin = readFileSync(join(tmp, 'tfjs', TFJS_WEIGHTS_FILE));
    const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    const inits = new Map(decodeModel(readFileSync(join(tmp, 'm/model.onnx'))).graph.initializers.map((t) => [t.name, t]));
    let at = 0;
    for (const w of manifest) {
      const n = w.shape.reduce((a, b) => a * b, 1);
      const init = inits.get(w.name);
      expect(init, `initializer ${w.name}`).toBeDefined();
      expect(init!.dims).toEqual(w.shape);
      expect(Array.from(init!.data as Float32Array)).toEqual(Array.from(all.subarray(at, at + n)));
      at += n;
    }
    expect(manifest.length).toBe(6);
  });

  it('refuses a missing --out with exit status 2 and says what to give', () => {
    expect(noOut.code).toBe(2);
    expect(noOut.stderr).toMatch(/--format onnx needs --out FILE\.onnx/);
  });
});
