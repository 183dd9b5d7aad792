/**
 * Benchmark results as JSON, CSV and a plain-text table (page downloads and `npm run bench`), and the share link:
 * the report deflated (fflate) and base64url-encoded into the URL hash.
 */
import { deflateSync, inflateSync, strFromU8, strToU8 } from 'fflate';
import { MODE_LABELS, modelTitle, TARGETS, type BenchReport, type BenchRow, type OverheadRow } from './suite';

/** The columns of the JSON `rows` and of the CSV, in order. */
export const COLUMNS = [
  'model',
  'engine',
  'backend',
  'mode',
  'batch',
  'status',
  'warmupMs',
  'medianMs',
  'p10Ms',
  'p90Ms',
  'samplesPerSec',
  'gflops',
  'maxAbsDiff',
  'repeats',
  'tensors',
  'bytes',
  'leakedTensors',
  'initMs',
  'actualBackend',
  'backendDetail',
  'threads',
  'reason'
] as const satisfies readonly (keyof BenchRow)[];

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'number' ? (Number.isFinite(v) ? String(Number(v.toPrecision(6))) : String(v)) : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: BenchRow[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of rows) lines.push(COLUMNS.map((c) => csvCell(r[c])).join(','));
  return `${lines.join('\n')}\n`;
}

export function toJson(report: BenchReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** A time in ms with 3 significant digits (0.412, 12.3, 1234). */
export function fmtMs(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '–';
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toFixed(3);
}

export function fmtNum(v: number | null, digits = 3): string {
  if (v === null || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e4) return Math.round(v).toLocaleString('en-US');
  if (a < 1e-3) return v.toExponential(1);
  return String(Number(v.toPrecision(digits)));
}

export const targetLabel = (r: Pick<BenchRow, 'engine' | 'backend'>) => TARGETS.find((t) => t.engine === r.engine && t.backend === r.backend)?.label ?? `${r.engine} ${r.backend}`;

export function fmtBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return '–';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
}

/** At most `n` characters, with an ellipsis when cut. */
function clip(text: string, n: number): string {
  return text.length <= n ? text : `${text.slice(0, n - 1)}…`;
}

/** Plain-text table of the rows (every row; unavailable and failed ones with their reason in place of numbers). */
export function formatTable(rows: BenchRow[]): string {
  const head = ['model', 'engine/backend', 'mode', 'batch', 'warm-up ms', 'median ms', 'p10 ms', 'p90 ms', 'samples/s', 'GFLOP/s', 'max |Δ| vs cpu', 'tensors', 'memory', 'ran on'];
  const body = rows.map((r) =>
    r.status === 'ok'
      ? [
          modelTitle(r.model),
          targetLabel(r),
          MODE_LABELS[r.mode],
          String(r.batch),
          fmtMs(r.warmupMs),
          fmtMs(r.medianMs),
          fmtMs(r.p10Ms),
          fmtMs(r.p90Ms),
          fmtNum(r.samplesPerSec),
          fmtNum(r.gflops),
          fmtNum(r.maxAbsDiff, 2),
          r.tensors === null ? '–' : `${r.tensors}${r.leakedTensors ? ` (+${r.leakedTensors} leaked)` : ''}`,
          fmtBytes(r.bytes),
          clip(r.backendDetail ?? '–', 56)
        ]
      : [modelTitle(r.model), targetLabel(r), MODE_LABELS[r.mode], String(r.batch), `${r.status === 'error' ? 'ERROR: ' : ''}${r.reason ?? r.status}`]
  );
  const full = body.filter((b) => b.length === head.length);
  // The first four columns line up over every row; the others over the measured rows.
  const widths = head.map((h, i) => Math.max(h.length, ...(i < 4 ? body : full).map((b) => b[i].length)));
  const numeric = new Set([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  const line = (cells: string[]) =>
    cells.length === head.length
      ? cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd()
      : `${cells.slice(0, 4).map((c, i) => (i === 3 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ')}  ${cells[4]}`;
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function formatOverhead(rows: OverheadRow[]): string {
  const head = ['backend', 'app ms/epoch', 'model.fit ms/epoch', 'app / fit'];
  const body = rows.map((r) =>
    r.reason
      ? [r.backend, `ERROR: ${r.reason}`]
      : [`${r.backend}${r.actualBackend && r.actualBackend !== r.backend ? ` (ran on ${r.actualBackend})` : ''}`, fmtMs(r.appEpochMs), fmtMs(r.fitEpochMs), r.ratio === null ? '–' : `${r.ratio.toFixed(2)}×`]
  );
  const widths = head.map((h, i) => Math.max(h.length, ...body.filter((b) => b.length === 4).map((b) => b[i].length)));
  const line = (c: string[]) => (c.length === 4 ? c.map((x, i) => (i ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ') : `${c[0].padEnd(widths[0])}  ${c[1]}`);
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The hash fragment (without `#`) that carries a report: `r=` + base64url(deflate(JSON)). */
export function encodeShare(report: BenchReport): string {
  return `r=${toBase64Url(deflateSync(strToU8(JSON.stringify(report)), { level: 9 }))}`;
}

/** The report in a hash fragment made by `encodeShare` (with or without `#`); null when there is none or it is damaged. */
export function decodeShare(hash: string): BenchReport | null {
  const m = /(?:^|[#&])r=([A-Za-z0-9_-]+)/.exec(hash);
  if (!m) return null;
  try {
    const report = JSON.parse(strFromU8(inflateSync(fromBase64Url(m[1])))) as BenchReport;
    return report && Array.isArray(report.rows) && report.device ? report : null;
  } catch {
    return null;
  }
}
