/**
 * Share links: the program and its settings (code, data settings, backend, weight seed — never weights or uploaded
 * data), compressed into the URL's hash (`#share=<payload>`, never sent to a server).
 *
 * Payload: `<version>.<base64url(deflate(JSON))>`. The version sits in front of the compressed bytes (so a later
 * version may change the compression too) and again inside the JSON. A link that cannot be read says whether it
 * is damaged or was made by a newer version of the playground.
 *
 * A link never runs code: decoding gives plain JSON data (the program is text, parsed later and never evaluated,
 * see keras/parse.ts), and nothing trains until the user presses Train. Links are also bounded: a payload longer
 * than MAX_SHARE_CHARS, or one that inflates to more than MAX_SHARE_JSON_BYTES (a "zip bomb"), is refused with a
 * message before it is read. The fuzz test (tests/unit/fuzz.test.ts) feeds mutated links to `decodeShare`.
 */
import { deflateSync, Inflate, strFromU8, strToU8 } from 'fflate';

export const SHARE_VERSION = 1;
export const SHARE_PARAM = 'share';
/** Longest `#share=` payload read (characters). A long program deflates to a few KiB; browsers take ~2 MB URLs. */
export const MAX_SHARE_CHARS = 64 * 1024;
/** Most bytes a payload may inflate to. */
export const MAX_SHARE_JSON_BYTES = 1024 * 1024;

export interface SharedProgram {
  code: string;
  /** The Data panel's settings (plain JSON: name, samples, noise, seed, classes, …). */
  data: { name: string };
  backend: string;
  seed: number;
  /** Set when the program trained on an uploaded file, which links do not carry: its file name. */
  uploadedData?: string;
}

export type ShareErrorKind = 'damaged' | 'newer' | 'too-large';

export class ShareLinkError extends Error {
  constructor(
    readonly kind: ShareErrorKind,
    message: string,
    readonly version?: number
  ) {
    super(message);
    this.name = 'ShareLinkError';
  }
}

function damaged(why: string): ShareLinkError {
  return new ShareLinkError(
    'damaged',
    `This link is damaged (${why}), so its program could not be opened. Ask for the link again; your own work is unchanged.`
  );
}

export function toBase64Url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw damaged('it contains characters a share link never has');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    throw damaged('it was cut short');
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** The `#share=` payload for a program and its settings. */
export function encodeShare(program: SharedProgram): string {
  const body: Record<string, unknown> = {
    v: SHARE_VERSION,
    code: program.code,
    data: program.data,
    backend: program.backend,
    seed: program.seed
  };
  if (program.uploadedData !== undefined) body.uploadedData = program.uploadedData;
  const packed = deflateSync(strToU8(JSON.stringify(body)), { level: 9 });
  return `${SHARE_VERSION}.${toBase64Url(packed)}`;
}

function newer(version: number): ShareLinkError {
  return new ShareLinkError(
    'newer',
    `This link was made by a newer version (v${version}) of the playground; this one reads links up to v${SHARE_VERSION}. Reload the page to get the latest version, then open the link again. Your own work is unchanged.`,
    version
  );
}

function tooLarge(what: string): ShareLinkError {
  return new ShareLinkError(
    'too-large',
    `This link is too large to open (${what}); share links hold at most ${MAX_SHARE_CHARS / 1024} KiB. Nothing was opened; your own work is unchanged.`
  );
}

/** Inflates at most `MAX_SHARE_JSON_BYTES`, in small steps, so a tiny payload cannot expand into gigabytes. */
function boundedInflate(bytes: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let ended = false;
  const inflater = new Inflate((chunk, final) => {
    total += chunk.length;
    if (total > MAX_SHARE_JSON_BYTES) throw tooLarge(`its contents unpack to more than ${MAX_SHARE_JSON_BYTES / 1024 / 1024} MiB`);
    parts.push(chunk);
    if (final) ended = true;
  });
  const STEP = 256; // input bytes per step: deflate expands at most ~1032×, so one step adds at most ~260 KiB
  for (let i = 0; i < bytes.length; i += STEP) inflater.push(bytes.subarray(i, i + STEP), i + STEP >= bytes.length);
  if (bytes.length === 0) inflater.push(new Uint8Array(0), true);
  if (!ended) throw new Error('incomplete');
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}

/** Reads a payload made by `encodeShare`; throws a `ShareLinkError` with a message for the user. */
export function decodeShare(payload: string): SharedProgram {
  if (payload.length > MAX_SHARE_CHARS) throw tooLarge(`${Math.round(payload.length / 1024)} KiB`);
  const text = payload.trim();
  const dot = text.indexOf('.');
  if (dot <= 0) throw damaged('it has no version number');
  const versionText = text.slice(0, dot);
  if (!/^\d{1,6}$/.test(versionText)) throw damaged('its version number is not a number');
  const version = Number(versionText);
  if (version > SHARE_VERSION) throw newer(version);
  if (version < 1) throw damaged(`it claims version ${version}, which never existed`);
  const bytes = fromBase64Url(text.slice(dot + 1));
  let json: string;
  try {
    json = strFromU8(boundedInflate(bytes));
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw damaged('its compressed data is incomplete or altered');
  }
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch {
    throw damaged('its contents are not readable');
  }
  if (!body || typeof body !== 'object') throw damaged('its contents are not a program');
  const b = body as Record<string, unknown>;
  if (typeof b.v === 'number' && b.v > SHARE_VERSION) throw newer(b.v);
  if (typeof b.code !== 'string') throw damaged('it holds no program');
  const data = b.data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object' || typeof data.name !== 'string') throw damaged('it holds no data settings');
  if (typeof b.backend !== 'string') throw damaged('it names no backend');
  if (typeof b.seed !== 'number' || !Number.isFinite(b.seed)) throw damaged('it has no weight seed');
  const out: SharedProgram = { code: b.code, data: data as { name: string }, backend: b.backend, seed: b.seed };
  if (typeof b.uploadedData === 'string') out.uploadedData = b.uploadedData;
  return out;
}

/** A full link to the page at `base` (origin + path) opening `program`. */
export function shareUrl(base: string, program: SharedProgram): string {
  return `${base.replace(/#.*$/, '')}#${SHARE_PARAM}=${encodeShare(program)}`;
}

/** The payload in a location hash (`#share=…`), or null when the hash is no share link. */
export function sharePayload(hash: string): string | null {
  const h = hash.replace(/^#/, '');
  const m = new RegExp(`(?:^|&)${SHARE_PARAM}=([^&]*)`).exec(h);
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return m[1];
  }
}
