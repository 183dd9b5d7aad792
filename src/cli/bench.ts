/**
 * `npm run bench -- [--model ...] [--engine ...] [--mode ...] [--quick] [--json FILE]`: builds the app, serves
 * build/ with `vite preview` (COOP/COEP from the Vite plugin) on a free port, opens /bench in headless Chromium
 * (Debian's /usr/bin/chromium or CHROME_PATH, flags from playwright.config.ts / shared/notes/browser.md), runs the
 * page's own suite through `window.__bench`, and prints every row plus the app-overhead ratio.
 * `npm run bench -- --timing`: no browser; eager TF.js vs the compiled step on ORT wasm in node (src/lib/bench/timing.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { BENCH_USAGE, parseBenchArgs } from '$lib/bench/args';
import { formatOverhead, formatTable } from '$lib/bench/report';
import { formatSweep, SWEEP_FULL, SWEEP_QUICK, type SweepOptions } from '$lib/bench/sweep';
import { describeDevice, selectTargets, type BackendId, type BenchReport, type DeviceInfo, type Filters, type OverheadRow } from '$lib/bench/suite';
import { CHROME_ARGS, CHROME_PATH } from '../../playwright.config';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');

/** The installed version of a package (what the build bundled). */
function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const err = (text: string) => process.stderr.write(`${text}\n`);
const out = (text: string) => process.stdout.write(`${text}\n`);

function run(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VITE, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitForServer(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with status ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vite preview did not answer at ${url} within ${timeoutMs / 1000} s`);
}

/** `--timing`: the node-only step timing (src/lib/bench/timing.ts), printed; no build, no browser. */
async function timing(): Promise<number> {
  const { runTiming } = await import('$lib/bench/timing');
  err('bench: timing the spiral step in node (eager TF.js vs compiled ORT wasm)…');
  for (const line of await runTiming((l) => err(`  ${l}`))) out(line);
  return 0;
}

async function main(): Promise<number> {
  if (process.argv.slice(2).includes('--timing')) return timing();
  let args;
  try {
    args = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    err(`bench: ${e instanceof Error ? e.message : e}`);
    err(BENCH_USAGE);
    return 2;
  }
  if (args.help) {
    out(BENCH_USAGE);
    out('\nnpm run bench -- --timing: no browser; the spiral step in node, eager TF.js vs compiled ORT wasm (src/lib/bench/timing.ts).');
    return 0;
  }
  const t0 = Date.now();
  const secs = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

  if (args.build) {
    err('bench: building the app (vite build)…');
    const b = await run(['build']);
    if (b.code !== 0) {
      err(b.output);
      err('bench: vite build failed');
      return 1;
    }
  }

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const preview = spawn(process.execPath, [VITE, 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let previewLog = '';
  preview.stdout?.on('data', (d) => (previewLog += d));
  preview.stderr?.on('data', (d) => (previewLog += d));
  let browser: Browser | null = null;
  try {
    await waitForServer(base, preview).catch((e) => {
      err(previewLog);
      throw e;
    });
    err(`bench: serving build/ at ${base} (${secs()}); starting ${CHROME_PATH}`);
    browser = await chromium.launch({ executablePath: CHROME_PATH, args: CHROME_ARGS, headless: true });
    const page = await browser.newPage();
    page.on('console', (msg) => {
      const text = msg.text();
      if (text.startsWith('[bench] ')) err(`  ${text.slice(8)}`);
    });
    page.on('pageerror', (e) => err(`bench: page error: ${e.message}`));
    await page.goto(`${base}/bench`);
    await page.waitForFunction(() => '__bench' in window, null, { timeout: 60_000 });

    type Hook = {
      device(): Promise<DeviceInfo>;
      run(f: Filters): Promise<BenchReport>;
      overhead(o: { backends: BackendId[]; epochs?: number; rounds?: number }): Promise<OverheadRow[]>;
      sweep(o: Partial<SweepOptions>): Promise<BenchReport>;
    };
    const device = await page.evaluate(() => (window as unknown as { __bench: Hook }).__bench.device());
    err(`bench: ${describeDevice(device)}`);

    if (args.sweep) {
      // The size sweep instead of the suite (src/lib/bench/sweep.ts): the page's own sweep, printed as a table.
      const base = args.sweep.full ? SWEEP_FULL : SWEEP_QUICK;
      const o: SweepOptions = {
        ...base,
        widths: args.sweep.widths ?? base.widths,
        batches: args.sweep.batches ?? base.batches,
        kinds: args.sweep.kinds,
        targets: selectTargets(args.filters).map((t) => t.id)
      };
      err(`bench: size sweep (${args.sweep.full ? 'full' : 'quick'}): widths ${o.widths.join(', ')}, batch ${o.batches.join(', ')}, ${o.kinds.join(' + ')}, ${o.targets.join(', ')}; cells over ${o.maxStepMs} ms per step are stopped after a probe run…`);
      const report = await page.evaluate((opts) => (window as unknown as { __bench: Hook }).__bench.sweep(opts), o);
      const sweep = report.sweep!;
      out('');
      out(`Device: ${describeDevice(report.device)}`);
      if (report.device.softwareGpu) out('NOTE: WebGPU and WebGL ran on SwiftShader (a software rasteriser on the CPU): their lines are not GPU timings.');
      out(`Size sweep: MLP 32 → Dense(w, relu) → Dense(w, relu) → Dense(10, softmax); median ms per step (train: TF.js eager, ONNX Runtime compiled), as the race measures a cell.`);
      out('');
      out(formatSweep(sweep));
      out('');
      const failed = sweep.rows.filter((r) => r.status === 'error').length;
      const skipped = sweep.rows.filter((r) => r.reason?.startsWith('skipped')).length;
      out(`${sweep.rows.length} cells (${sweep.rows.filter((r) => r.status === 'ok').length} measured, ${skipped} skipped, ${failed} failed) in ${secs()}.`);
      if (args.json) {
        writeFileSync(args.json, `${JSON.stringify({ device: report.device, quick: !args.sweep.full, rows: [], sweep }, null, 2)}\n`);
        out(`Wrote ${args.json}`);
      }
      return failed ? 1 : 0;
    }
    err(`bench: running the suite${args.filters.quick ? ' (--quick)' : ''}…`);
    const report = await page.evaluate((f) => (window as unknown as { __bench: Hook }).__bench.run(f), args.ortThreads?.length ? { ...args.filters, ortThreads: args.ortThreads[0] } : args.filters);
    // --ort-threads 1,2: the ORT cells again with each further thread count (fresh bench workers: ORT starts its
    // threads once per worker).
    const ortTargets = selectTargets(args.filters).filter((t) => t.engine === 'ort').map((t) => t.id);
    for (const n of args.ortThreads?.slice(1) ?? []) {
      if (!ortTargets.length) break;
      err(`bench: the ONNX Runtime cells again with ${n} thread${n === 1 ? '' : 's'}…`);
      const again = await page.evaluate((f) => (window as unknown as { __bench: Hook }).__bench.run(f), { ...args.filters, engines: ortTargets, ortThreads: n });
      report.rows.push(...again.rows);
    }

    let overhead: OverheadRow[] = [];
    const backends = [...new Set(selectTargets(args.filters).filter((t) => t.engine === 'tfjs').map((t) => t.backend))];
    if (args.overhead && backends.length) {
      err(`bench: app overhead (spiral, one epoch through the app's worker pipeline vs bare model.fit) on ${backends.join(', ')}…`);
      const quick = Boolean(args.filters.quick);
      overhead = await page.evaluate(
        (o) => (window as unknown as { __bench: Hook }).__bench.overhead(o),
        { backends, epochs: quick ? 3 : 5, rounds: quick ? 2 : 3 }
      );
    }

    out('');
    out(`Device: ${describeDevice(report.device)}`);
    if (report.device.softwareGpu) {
      out('NOTE: WebGPU and WebGL ran on SwiftShader (a software rasteriser on the CPU): their rows are not GPU timings.');
    }
    out(`Repeats: ${report.quick ? 'quick' : 'full'}; times in ms per call; train = one eager step on the example's batch.`);
    out('');
    out(formatTable(report.rows));
    if (overhead.length) {
      out('');
      out('App overhead: the spiral (600 points, batch 32) per epoch through TrainingClient → worker → session,');
      out('vs bare TF.js model.fit in a worker on the same backend (wall ms per epoch, median of alternating runs):');
      out(formatOverhead(overhead));
    }
    out('');
    const failed = report.rows.filter((r) => r.status === 'error').length + overhead.filter((o) => o.reason).length;
    out(`${report.rows.length} rows (${report.rows.filter((r) => r.status === 'ok').length} measured, ${report.rows.filter((r) => r.status === 'unavailable').length} unavailable, ${failed} failed) in ${secs()}.`);

    if (args.json) {
      const versions = { chromium: browser.version(), tfjs: packageVersion('@tensorflow/tfjs'), onnxruntimeWeb: packageVersion('onnxruntime-web'), node: process.version };
      writeFileSync(args.json, `${JSON.stringify({ device: report.device, versions, ortThreads: args.ortThreads?.length ? args.ortThreads : 'default', quick: report.quick, rows: report.rows, overhead }, null, 2)}\n`);
      out(`Wrote ${args.json}`);
    }
    return failed ? 1 : 0;
  } finally {
    await browser?.close().catch(() => undefined);
    preview.kill();
  }
}

process.exitCode = await main().catch((e) => {
  err(`bench: ${e instanceof Error ? (e.stack ?? e.message) : e}`);
  return 1;
});
