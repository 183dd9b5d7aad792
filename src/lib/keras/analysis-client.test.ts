import { afterEach, describe, expect, it, vi } from 'vitest';
import { AnalysisClient, ANALYSIS_TIMEOUT_MS } from './analysis-client';

/** A worker that takes requests and never answers (an analysis stuck on a pathological program). */
class SilentWorker extends EventTarget {
  static made: SilentWorker[] = [];
  terminated = false;
  constructor() {
    super();
    SilentWorker.made.push(this);
  }
  postMessage() {}
  terminate() {
    this.terminated = true;
  }
}

describe('AnalysisClient', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    SilentWorker.made = [];
  });

  it('without Worker it answers null (the page analyses itself)', async () => {
    vi.stubGlobal('Worker', undefined);
    expect(await new AnalysisClient().analyse('x = 1\n', {})).toBeNull();
  });

  it('an analysis past the time limit is stopped: the worker is replaced and the program gets a located problem; a call queued behind it is ended too', async () => {
    vi.useFakeTimers();
    vi.stubGlobal('Worker', SilentWorker);
    const client = new AnalysisClient();
    const stuck = client.analyse('model = keras.Sequential()\nx = 1\n', {});
    await vi.advanceTimersByTimeAsync(ANALYSIS_TIMEOUT_MS / 2);
    const queued = client.analyse('x = 2\n', {});
    await vi.advanceTimersByTimeAsync(ANALYSIS_TIMEOUT_MS / 2 + 1);
    const answer = await stuck;
    expect(answer?.model).toBeNull();
    expect(answer?.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', message: expect.stringMatching(/took longer than 10 s and was stopped/), span: expect.objectContaining({ line: 1, col: 1, endCol: 27 }) })
    ]);
    expect(SilentWorker.made[0].terminated).toBe(true);
    // The call queued behind it will never be answered by that worker: null at once, so the page analyses it.
    expect(await queued).toBeNull();
    // The next call starts a new worker.
    void client.analyse('x = 3\n', {});
    expect(SilentWorker.made).toHaveLength(2);
  });

  it('a worker that crashes answers null, and is replaced', async () => {
    vi.stubGlobal('Worker', SilentWorker);
    const client = new AnalysisClient();
    const asked = client.analyse('x = 1\n', {});
    SilentWorker.made[0].dispatchEvent(new Event('error'));
    expect(await asked).toBeNull();
    expect(SilentWorker.made[0].terminated).toBe(true);
  });
});
