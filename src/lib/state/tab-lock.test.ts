import { describe, expect, it } from 'vitest';
import { fakeLocks } from './fake-locks';
import { canWrite, ownershipAfter, ownershipMessage, TabLock, type Ownership } from './tab-lock';

describe('ownership decisions (pure)', () => {
  it('a tab that gets the lock writes; one that finds it held does not, until it chooses', () => {
    expect(ownershipAfter('elsewhere', { type: 'acquired', guard: 'locks' })).toBe('owner');
    expect(ownershipAfter('owner', { type: 'held-elsewhere' })).toBe('elsewhere');
    expect(ownershipAfter('elsewhere', { type: 'chose-readonly' })).toBe('readonly');
    expect(ownershipAfter('owner', { type: 'chose-readonly' })).toBe('owner');
    expect(ownershipAfter('owner', { type: 'stolen' })).toBe('lost');
    expect(ownershipAfter('readonly', { type: 'stolen' })).toBe('readonly');
    expect(ownershipAfter('lost', { type: 'acquired', guard: 'channel' })).toBe('owner');
    expect(ownershipAfter('owner', { type: 'acquired', guard: 'none' })).toBe('unguarded');
    const writes: Record<Ownership, boolean> = { owner: true, unguarded: true, elsewhere: false, readonly: false, lost: false };
    for (const [s, w] of Object.entries(writes)) expect(canWrite(s as Ownership)).toBe(w);
  });

  it('says what is going on in every state but plain ownership with Web Locks', () => {
    expect(ownershipMessage('owner', 'locks', false)).toBeNull();
    expect(ownershipMessage('owner', 'channel', false)).toMatch(/no Web Locks/);
    expect(ownershipMessage('unguarded', 'none', false)).toMatch(/cannot tell/);
    expect(ownershipMessage('elsewhere', 'locks', false)).toMatch(/open in another tab/);
    expect(ownershipMessage('lost', 'locks', true)).toMatch(/took over.*not saved: work on a copy/);
    expect(ownershipMessage('readonly', 'locks', false)).toMatch(/^Read-only/);
  });
});

describe('TabLock with Web Locks', () => {
  it('the second tab finds the session held; a take-over tells the first tab; a release frees it', async () => {
    const locks = fakeLocks();
    const a = new TabLock({ locks });
    const b = new TabLock({ locks });
    expect(a.guard).toBe('locks');
    expect(await a.acquire('s1')).toBe('owner');
    expect(await b.acquire('s1')).toBe('elsewhere');
    expect(b.held).toBeNull();
    expect(await b.acquire('s2')).toBe('owner');

    const lost: string[] = [];
    a.onLost = (id) => lost.push(id);
    expect(await b.acquire('s1', true)).toBe('owner');
    await new Promise((r) => setTimeout(r, 0));
    expect(lost).toEqual(['s1']);
    expect(a.held).toBeNull();
    // b let go of s2 when it took s1.
    expect(await a.acquire('s2')).toBe('owner');
    b.release();
    await new Promise((r) => setTimeout(r, 0)); // the browser lets go asynchronously too
    expect(await a.acquire('s1')).toBe('owner');
    expect(lost).toEqual(['s1']); // a release by its owner is no loss
  });
});

describe('TabLock.whenFree: a tab that does not hold the session gets it when the owner lets go', () => {
  const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));

  it('the owner closes: after the grace time the waiting tab holds the session', async () => {
    const locks = fakeLocks();
    const a = new TabLock({ locks });
    const b = new TabLock({ locks, graceMs: 20 });
    expect(await a.acquire('s1')).toBe('owner');
    expect(await b.acquire('s1')).toBe('elsewhere');
    let got: boolean | null = null;
    void b.whenFree('s1').then((g) => (got = g));
    await tick(40);
    expect(got).toBeNull(); // the owner still holds it
    a.dispose(); // the tab closes
    await tick(60);
    expect(got).toBe(true);
    expect(b.held).toBe('s1');
    expect(await new TabLock({ locks }).acquire('s1')).toBe('elsewhere');
  });

  it('the owner reloads (takes it back within the grace time): the waiting tab does not take it, and waits on', async () => {
    const locks = fakeLocks();
    const a = new TabLock({ locks });
    const b = new TabLock({ locks, graceMs: 50 });
    await a.acquire('s1');
    await b.acquire('s1');
    let got: boolean | null = null;
    void b.whenFree('s1').then((g) => (got = g));
    a.release();
    await tick(5);
    const reloaded = new TabLock({ locks });
    expect(await reloaded.acquire('s1')).toBe('owner');
    await tick(100);
    expect(got).toBeNull();
    expect(b.held).toBeNull();
    reloaded.dispose(); // now it closes for good
    await tick(100);
    expect(got).toBe(true);
  });

  it('ends (false) when the tab opens another session or takes over', async () => {
    const locks = fakeLocks();
    const a = new TabLock({ locks });
    const b = new TabLock({ locks, graceMs: 10 });
    await a.acquire('s1');
    await b.acquire('s1');
    const wait = b.whenFree('s1');
    expect(await b.acquire('s2')).toBe('owner');
    expect(await wait).toBe(false);
    a.dispose();
    await tick(30);
    expect(b.held).toBe('s2');
  });
});

describe('TabLock without Web Locks (BroadcastChannel fallback)', () => {
  it('asks the other tabs and hears a take-over', async () => {
    const a = new TabLock({ locks: null, probeMs: 50, tabId: 'a' });
    const b = new TabLock({ locks: null, probeMs: 50, tabId: 'b' });
    try {
      expect(a.guard).toBe('channel');
      expect(await a.acquire('s1')).toBe('owner');
      expect(await b.acquire('s1')).toBe('elsewhere');
      const lost: string[] = [];
      a.onLost = (id) => lost.push(id);
      expect(await b.acquire('s1', true)).toBe('owner');
      await new Promise((r) => setTimeout(r, 50));
      expect(lost).toEqual(['s1']);
      expect(await a.acquire('s1')).toBe('elsewhere');
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('with neither, the tab saves and says it cannot tell', async () => {
    const t = new TabLock({ locks: null, channel: null });
    expect(t.guard).toBe('none');
    expect(await t.acquire('s1')).toBe('owner');
  });
});
