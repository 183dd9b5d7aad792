import { deflateSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import spiral from '../../../examples/spiral.py?raw';
import { decodeShare, encodeShare, SHARE_VERSION, ShareLinkError, sharePayload, shareUrl, toBase64Url, type SharedProgram } from './share';

const program: SharedProgram = {
  code: spiral + '\n# ünïcødé — “quotes” 🚀\n',
  data: { name: 'spiral', samples: 600, noise: 0.1, seed: 7, classes: 3 } as { name: string },
  backend: 'webgl',
  seed: 42
};

function errorOf(f: () => unknown): ShareLinkError {
  try {
    f();
  } catch (e) {
    if (e instanceof ShareLinkError) return e;
    throw new Error(`expected a ShareLinkError, got ${e}`);
  }
  throw new Error('expected an error, none was thrown');
}

describe('share links', () => {
  it('round-trips code, data settings, backend and seed exactly', () => {
    const payload = encodeShare(program);
    expect(payload).toMatch(/^1\.[A-Za-z0-9_-]+$/);
    expect(decodeShare(payload)).toEqual(program);
  });

  it('is compressed: shorter than the same JSON merely base64-encoded', () => {
    expect(encodeShare(program).length).toBeLessThan(toBase64Url(strToU8(JSON.stringify(program))).length * 0.8);
  });

  it('keeps the name of uploaded data (which the link does not carry)', () => {
    const withUpload = { ...program, data: { name: 'csv' }, uploadedData: 'iris.csv' };
    expect(decodeShare(encodeShare(withUpload))).toEqual(withUpload);
  });

  it('builds and reads a #share= URL', () => {
    const url = shareUrl('http://localhost:4173/?x=1#old', program);
    expect(url.startsWith('http://localhost:4173/?x=1#share=1.')).toBe(true);
    const payload = sharePayload(new URL(url).hash);
    expect(payload).not.toBeNull();
    expect(decodeShare(payload!)).toEqual(program);
    expect(sharePayload('#something-else')).toBeNull();
    expect(sharePayload('')).toBeNull();
  });

  it('says a link is damaged when bytes are missing or altered', () => {
    const payload = encodeShare(program);
    for (const bad of [payload.slice(0, payload.length - 20), payload.slice(0, 10) + 'AAAA' + payload.slice(14), 'garbage', '1.', '1.!!!', 'x.abc', '']) {
      const e = errorOf(() => decodeShare(bad));
      expect(e.kind).toBe('damaged');
      expect(e.message).toMatch(/^This link is damaged \(.+\)/);
    }
  });

  it('says a link is damaged when its contents are not a program', () => {
    const pack = (v: unknown) => `1.${toBase64Url(deflateSync(strToU8(JSON.stringify(v))))}`;
    expect(errorOf(() => decodeShare(pack({ v: 1, data: { name: 'spiral' }, backend: 'cpu', seed: 1 }))).message).toMatch(/damaged \(it holds no program\)/);
    expect(errorOf(() => decodeShare(pack([1, 2]))).kind).toBe('damaged');
    expect(errorOf(() => decodeShare(`1.${toBase64Url(deflateSync(strToU8('{not json')))}`)).message).toMatch(/not readable/);
  });

  it('says a link was made by a newer version, naming the version', () => {
    const e = errorOf(() => decodeShare('3.' + encodeShare(program).slice(2)));
    expect(e.kind).toBe('newer');
    expect(e.version).toBe(3);
    expect(e.message).toMatch(/^This link was made by a newer version \(v3\)/);
    expect(e.message).toContain(`v${SHARE_VERSION}`);
    // also when only the version inside the payload is newer
    const inner = `1.${toBase64Url(deflateSync(strToU8(JSON.stringify({ ...program, v: 5 }))))}`;
    expect(errorOf(() => decodeShare(inner)).message).toMatch(/newer version \(v5\)/);
  });
});

describe('share link limits', () => {
  it('refuses a payload over the maximum link size, and one that inflates too much, with a message', async () => {
    const { MAX_SHARE_CHARS, MAX_SHARE_JSON_BYTES, toBase64Url } = await import('./share');
    const { deflateSync, strToU8 } = await import('fflate');
    expect(() => decodeShare('1.' + 'A'.repeat(MAX_SHARE_CHARS))).toThrow(/This link is too large to open \(64 KiB\); share links hold at most 64 KiB/);
    // A "zip bomb": 8 MiB of spaces inside the JSON deflates to a few KiB.
    const bomb = `1.${toBase64Url(deflateSync(strToU8(`{"v":1,"code":"${' '.repeat(8 * MAX_SHARE_JSON_BYTES)}"}`), { level: 9 }))}`;
    expect(bomb.length).toBeLessThan(MAX_SHARE_CHARS);
    expect(() => decodeShare(bomb)).toThrow(/too large to open \(its contents unpack to more than 1 MiB\)/);
    // A truncated stream is still "damaged".
    const good = encodeShare({ code: 'x = 1\n'.repeat(50), data: { name: 'spiral' }, backend: 'cpu', seed: 1 });
    expect(() => decodeShare(good.slice(0, good.length - 6))).toThrow(/damaged/);
    expect(decodeShare(good).code).toBe('x = 1\n'.repeat(50));
  });
});
