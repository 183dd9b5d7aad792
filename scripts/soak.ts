/**
 * `npm run soak -- [--minutes 30] [--digits-epochs 20] [--sample-s 5] [--no-build] [--skip-spiral] [--skip-digits]`
 *
 * A soak of the real app: builds it (unless --no-build), serves build/ with `vite preview` on a free port, opens the
 * playground in headless Chromium (Debian's /usr/bin/chromium or CHROME_PATH, the flags of playwright.config.ts) and
 *  1. trains the spiral on WASM for `--minutes` (default 30),
 *  2. trains the digits CNN on WASM for `--digits-epochs` epochs (default 20),
 * printing, per epoch sampled, the worker's TF.js tensors and bytes, the JS heap after a full collection (page +
 * training worker; Chromium runs with --js-flags=--expose-gc), the message
 * backlog (event batches the worker posted − those the page received) and the IndexedDB usage, then the slope of each
 * (least squares, per 100 epochs). A leak shows as a slope that is not ~0. Not part of CI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type CDPSession, type Page, type Worker } from 'playwright-core';
import { CHROME_ARGS, CHROME_PATH } from '../playwright.config';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const VITE = join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js');
const out = (t: string) => process.stdout.write(`${t}\n`);
const err = (t: string) => process.stderr.write(`${t}\n`);

interface Args {
  minutes: number;
  digitsEpochs: number;
  sampleS: number;
  build: boolean;
  spiral: boolean;
  digits: boolean;
}

export function parseSoakArgs(argv: string[]): Args {
  const a: Args = { minutes: 30, digitsEpochs: 20, sampleS: 5, build: true, spiral: true, digits: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${k} takes a positive number`);
      return v;
    };
    if (k === '--minutes') a.minutes = num();
    else if (k === '--digits-epochs') a.digitsEpochs = Math.round(num());
    else if (k === '--sample-s') a.sampleS = num();
    else if (k === '--no-build') a.build = false;
    else if (k === '--skip-spiral') a.spiral = false;
    else if (k === '--skip-digits') a.digits = false;
    else throw new Error(`unknown option ${k}`);
  }
  return a;
}

interface Sample {
  epoch: number;
  seconds: number;
  tensors: number;
  tfBytes: number;
  heapMb: number;
  /** The page's and the training worker's parts of heapMb. */
  pageMb: number;
  workerMb: number;
  /** IndexedDB put requests of the page not yet answered now, and the most at once since the last sample. */
  idbPending: number;
  idbPendingMax: number;
  /** IndexedDB puts the page has made so far. */
  idbStarted: number;
  backlog: number;
  idbMb: number;
}

/** Least-squares slope of y over x (NaN with fewer than two distinct x). */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ys[i] - my);
    sxx += (xs[i] - mx) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
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

function vite(args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VITE, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('close', (code) => resolve(code ?? 1));
  });
}

async function waitForServer(url: string, child: ChildProcess): Promise<void> {
  for (let t = 0; t < 300; t++) {
    if (child.exitCode !== null) throw new Error(`vite preview exited with status ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`vite preview did not answer at ${url}`);
}

const status = (page: Page) => page.getByRole('status', { name: 'Run status' });
/**
 * The status line's text. On a loaded machine the page can take tens of seconds to answer a query: wait up to two
 * minutes, and say when it took more than five seconds (a page that stops answering is a finding, not a crash of
 * the soak).
 */
async function statusText(page: Page): Promise<string> {
  const t = Date.now();
  const text = (await status(page).textContent({ timeout: 120_000 })) ?? '';
  const ms = Date.now() - t;
  if (ms > 5000) err(`soak: the page took ${(ms / 1000).toFixed(1)} s to answer`);
  return text;
}

async function epochNow(page: Page): Promise<number> {
  return Number(/epoch (\d+)/.exec(await statusText(page))?.[1] ?? 0);
}

async function trainingWorker(page: Page): Promise<Worker | null> {
  for (const w of page.workers()) {
    try {
      if (await w.evaluate(() => typeof (self as unknown as { __nnStats?: unknown }).__nnStats === 'function')) return w;
    } catch {
      // a worker that went away
    }
  }
  return null;
}

/**
 * The JS heap of the training worker, from DevTools (performance.memory is the page's only: a worker has none).
 * Called right after the worker's own gc(), so it is what the worker keeps.
 */
async function workerHeap(cdp: CDPSession, url: string): Promise<number> {
  const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: { type: string; url: string; targetId: string }[] };
  const t = targetInfos.find((t) => t.type === 'worker' && t.url === url);
  if (!t) return 0;
  const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId: t.targetId, flatten: false })) as { sessionId: string };
  let on: ((e: { sessionId: string; message: string }) => void) | undefined;
  try {
    const answer = new Promise<number>((resolve) => {
      on = (e) => {
        if (e.sessionId !== sessionId) return;
        const m = JSON.parse(e.message) as { id?: number; result?: { usedSize?: number } };
        if (m.id === 1) resolve(m.result?.usedSize ?? 0);
      };
      cdp.on('Target.receivedMessageFromTarget', on);
    });
    await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id: 1, method: 'Runtime.getHeapUsage' }) });
    return await answer;
  } finally {
    if (on) cdp.off('Target.receivedMessageFromTarget', on);
    await cdp.send('Target.detachFromTarget', { sessionId }).catch(() => undefined);
  }
}

async function sample(page: Page, t0: number, cdp?: CDPSession): Promise<Sample | null> {
  const worker = await trainingWorker(page);
  if (!worker) return null;
  const w = await worker.evaluate(() => {
    const s = (self as unknown as { __nnStats: () => { tensors: number; bytes: number; posted: number } }).__nnStats();
    // A full collection first: the heap then holds what is kept, not the garbage a busy machine has not swept yet.
    (globalThis as unknown as { gc?: () => void }).gc?.();
    return { ...s, heap: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0 };
  });
  if (!w.heap && cdp) w.heap = await workerHeap(cdp, worker.url()).catch(() => 0);
  const p = await page.evaluate(async () => {
    (globalThis as unknown as { gc?: () => void }).gc?.();
    return {
      heap: (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? 0,
      idb: (await navigator.storage.estimate()).usage ?? 0,
      received: (window as unknown as { __nnTest: { stats(): { received: number } } }).__nnTest.stats().received,
      pending: (() => {
        const c = (window as unknown as { __soakIdb?: { pending: number; max: number; started: number } }).__soakIdb ?? { pending: 0, max: 0, started: 0 };
        const r = { pending: c.pending, max: c.max, started: c.started };
        c.max = c.pending; // the next sample's maximum starts from now
        return r;
      })()
    };
  });
  return {
    epoch: await epochNow(page),
    seconds: (Date.now() - t0) / 1000,
    tensors: w.tensors,
    tfBytes: w.bytes,
    heapMb: (p.heap + w.heap) / 2 ** 20,
    pageMb: p.heap / 2 ** 20,
    workerMb: w.heap / 2 ** 20,
    idbPending: p.pending.pending,
    idbPendingMax: p.pending.max,
    idbStarted: p.pending.started,
    backlog: Math.max(0, w.posted - p.received),
    idbMb: p.idb / 2 ** 20
  };
}

/**
 * Counts the page's IndexedDB put requests in flight (a write that takes longer than the period it is made in piles
 * up, each holding its value until it lands). Soak instrumentation only: the app is not changed.
 */
// A string, not a function: the TypeScript runner would add helpers (__name) that the page does not have.
const COUNT_IDB_PUTS = `(() => {
  const c = { pending: 0, max: 0, started: 0 };
  window.__soakIdb = c;
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    const req = put.apply(this, args);
    c.pending++;
    c.started++;
    c.max = Math.max(c.max, c.pending);
    req.addEventListener('success', () => c.pending--);
    req.addEventListener('error', () => c.pending--);
    return req;
  };
})();`;

/** Replaces the program as a person would: select all and paste. */
async function setCode(page: Page, code: string) {
  await page.evaluate((text) => navigator.clipboard.writeText(text), code);
  const editor = page.getByRole('textbox', { name: 'Keras program' });
  await editor.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('ControlOrMeta+V');
  await page.getByText('No problems.').waitFor({ timeout: 30_000 });
}

const HEADER = 'epoch    time_s  tf_tensors  tf_MB   heap_MB  page_MB  wrkr_MB  idb_puts(max)/made  backlog  idb_MB';
const row = (s: Sample) =>
  `${String(s.epoch).padStart(5)}  ${s.seconds.toFixed(0).padStart(8)}  ${String(s.tensors).padStart(10)}  ${(s.tfBytes / 2 ** 20).toFixed(2).padStart(6)}  ${s.heapMb.toFixed(1).padStart(8)}  ${s.pageMb.toFixed(1).padStart(7)}  ${s.workerMb.toFixed(1).padStart(7)}  ${`${s.idbPending}(${s.idbPendingMax})/${s.idbStarted}`.padStart(18)}  ${String(s.backlog).padStart(7)}  ${s.idbMb.toFixed(2).padStart(6)}`;

function report(name: string, samples: Sample[]) {
  out(`\n${name}: ${samples.length} samples`);
  out(HEADER);
  for (const s of samples) out(row(s));
  const xs = samples.map((s) => s.epoch);
  const per100 = (f: (s: Sample) => number) => (slope(xs, samples.map(f)) * 100).toFixed(3);
  out(
    `${name} slope per 100 epochs (least squares): tf_tensors ${per100((s) => s.tensors)}, tf_MB ${per100((s) => s.tfBytes / 2 ** 20)}, heap_MB ${per100((s) => s.heapMb)} (page ${per100((s) => s.pageMb)}, worker ${per100((s) => s.workerMb)}), backlog ${per100((s) => s.backlog)}, idb_MB ${per100((s) => s.idbMb)}`
  );
}

/** Trains until `done` says so, sampling at most every `everyS` seconds and whenever a new epoch shows. */
async function soak(page: Page, everyS: number, done: (epoch: number, seconds: number) => boolean, cdp?: CDPSession): Promise<Sample[]> {
  const samples: Sample[] = [];
  const t0 = Date.now();
  // Each sample is printed as it is taken, so a soak cut short still shows what it measured.
  err(`soak: ${HEADER}`);
  let last = -1;
  let lastAt = 0;
  for (;;) {
    await page.waitForTimeout(250);
    const text = await statusText(page);
    const epoch = await epochNow(page);
    const seconds = (Date.now() - t0) / 1000;
    if (/Failed|Diverged/.test(text)) throw new Error(`the run ended: ${text}`);
    if (epoch > 0 && epoch !== last && seconds - lastAt >= everyS) {
      const s = await sample(page, t0, cdp);
      // (Taken as the run completed: its tensors are already freed, not a sample of training.)
      const after = await statusText(page);
      if (s && !/Completed/.test(after)) {
        samples.push(s);
        err(`soak: ${row(s)}`);
        last = epoch;
        lastAt = seconds;
      }
    }
    if (/Completed/.test(text)) return samples; // (a finished run has freed its tensors: not a sample of training)
    if (done(epoch, seconds)) {
      const s = await sample(page, t0, cdp);
      if (s && s.epoch !== last) samples.push(s);
      return samples;
    }
  }
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseSoakArgs(process.argv.slice(2));
  } catch (e) {
    err(`soak: ${e instanceof Error ? e.message : e}`);
    err('usage: npm run soak -- [--minutes 30] [--digits-epochs 20] [--sample-s 5] [--no-build] [--skip-spiral] [--skip-digits]');
    return 2;
  }
  if (args.build) {
    err('soak: building the app (vite build)…');
    if ((await vite(['build'])) !== 0) return 1;
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const preview = spawn(process.execPath, [VITE, 'preview', '--port', String(port), '--strictPort', '--host', '127.0.0.1'], { cwd: ROOT, stdio: 'ignore' });
  const browser = await chromium.launch({ executablePath: CHROME_PATH, args: [...CHROME_ARGS, '--enable-precise-memory-info', '--js-flags=--expose-gc'], headless: true });
  try {
    await waitForServer(base, preview);
    const context = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    await page.addInitScript({ content: COUNT_IDB_PUTS });
    // The worker's heap is read through DevTools (a worker has no performance.memory).
    const cdp = await browser.newBrowserCDPSession();
    await page.goto(`${base}/`);
    await page.locator('.monaco-editor').waitFor({ timeout: 60_000 });
    await page.getByLabel('Backend', { exact: true }).selectOption('wasm');

    if (args.spiral) {
      const spiral = readFileSync(join(ROOT, 'examples', 'spiral.py'), 'utf8').replace('epochs=100', 'epochs=10000000');
      await setCode(page, spiral);
      err(`soak: spiral on WASM for ${args.minutes} min…`);
      await page.getByRole('button', { name: 'Train', exact: true }).click();
      const samples = await soak(page, args.sampleS, (_, s) => s >= args.minutes * 60, cdp);
      await page.getByRole('button', { name: 'Stop' }).click();
      await status(page).filter({ hasText: 'Stopped' }).waitFor({ timeout: 60_000 });
      report(`spiral, WASM, ${args.minutes} min`, samples);
    }
    if (args.digits) {
      await page.getByLabel('Example').selectOption('digits_cnn');
      const code = readFileSync(join(ROOT, 'examples', 'digits_cnn.py'), 'utf8').replace('epochs=5', `epochs=${args.digitsEpochs}`);
      await setCode(page, code);
      await page.getByText('No problems.').waitFor({ timeout: 120_000 });
      err(`soak: digits CNN on WASM for ${args.digitsEpochs} epochs…`);
      await page.getByRole('button', { name: 'Train', exact: true }).click();
      const samples = await soak(page, 0, (e) => e >= args.digitsEpochs, cdp);
      report(`digits CNN, WASM, ${args.digitsEpochs} epochs`, samples);
    }
    return 0;
  } finally {
    await browser.close();
    preview.kill();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => process.exit(code),
    (e) => {
      err(`soak: ${e instanceof Error ? e.stack : e}`);
      process.exit(1);
    }
  );
}
