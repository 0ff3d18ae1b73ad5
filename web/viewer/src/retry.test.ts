import { describe, expect, it } from 'vitest';
import { DicomWebError } from './dicomweb.js';
import { abortableSleep, isTransientPacsError, retryDelayMs, withRetry, type RetryNotice, type RetryPolicy } from './retry.js';

const policy: RetryPolicy = { firstDelayMs: 500, maxDelayMs: 8_000, giveUpAfterMs: 60_000 };
const unreachable = () => new DicomWebError('unreachable', 'The PACS at http://pacs/ cannot be reached.');

// A clock that only moves when the retry loop sleeps.
function fakeTime() {
  let t = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      if (signal?.aborted) throw signal.reason;
      slept.push(ms);
      t += ms;
    },
  };
}

describe('retrying while the PACS is away', () => {
  it('counts unreachable and gateway answers as transient, nothing else', () => {
    expect(isTransientPacsError(unreachable())).toBe(true);
    for (const status of [502, 503, 504]) expect(isTransientPacsError(new DicomWebError('server', 'down', status))).toBe(true);
    expect(isTransientPacsError(new DicomWebError('server', 'failed', 500))).toBe(false);
    expect(isTransientPacsError(new DicomWebError('not-found', 'gone', 404))).toBe(false);
    expect(isTransientPacsError(new DicomWebError('unauthorized', 'login', 401))).toBe(false);
    expect(isTransientPacsError(new TypeError('Failed to fetch'))).toBe(false);
  });

  it('doubles the wait up to its ceiling', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map((a) => retryDelayMs(a, policy))).toEqual([500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('tries again after each transient failure, reporting it, until the operation succeeds', async () => {
    const time = fakeTime();
    const notices: RetryNotice[] = [];
    const attempts: number[] = [];
    const value = await withRetry(async (attempt) => {
      attempts.push(attempt);
      if (attempt < 3) throw unreachable();
      return 'frame';
    }, { policy, onRetry: (n) => notices.push(n), sleep: time.sleep, now: time.now });
    expect(value).toBe('frame');
    expect(attempts).toEqual([0, 1, 2, 3]);
    expect(time.slept).toEqual([500, 1000, 2000]);
    expect(notices.map((n) => [n.attempt, n.delayMs, n.failingForMs])).toEqual([[1, 500, 0], [2, 1000, 500], [3, 2000, 1500]]);
  });

  it('throws any other failure at once', async () => {
    const time = fakeTime();
    const refused = new DicomWebError('forbidden', 'no', 403);
    await expect(withRetry(async () => { throw refused; }, { policy, sleep: time.sleep, now: time.now })).rejects.toBe(refused);
    expect(time.slept).toEqual([]);
  });

  it('gives up with the last error once the PACS has been away longer than the policy allows', async () => {
    const time = fakeTime();
    let calls = 0;
    const error = await withRetry(async () => {
      calls++;
      throw unreachable();
    }, { policy: { firstDelayMs: 500, maxDelayMs: 8_000, giveUpAfterMs: 20_000 }, sleep: time.sleep, now: time.now }).catch((e) => e);
    expect(error).toBeInstanceOf(DicomWebError);
    expect(error.kind).toBe('unreachable');
    // 500 + 1000 + 2000 + 4000 + 8000 = 15500 ms waited; the next 8 s wait would pass 20 s.
    expect(time.slept).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(calls).toBe(6);
  });

  it('stops waiting when cancelled', async () => {
    const controller = new AbortController();
    const started = performance.now();
    const run = withRetry(async () => {
      throw unreachable();
    }, { policy: { firstDelayMs: 60_000, maxDelayMs: 60_000, giveUpAfterMs: 600_000 }, signal: controller.signal });
    setTimeout(() => controller.abort(new DOMException('Cancelled.', 'AbortError')), 20);
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(5_000);
    await expect(abortableSleep(10, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
    await expect(abortableSleep(1)).resolves.toBeUndefined();
  });
});
