import { describe, expect, it } from 'vitest';
import { DicomWebError } from './dicomweb.js';
import { FETCH_AHEAD, nearestFirst, segmentSeries, type SeriesSegmentationJob } from './series_segmentation.js';

// A job over `slices` 1x2 slices whose mask is [index, 1]; segmenting resolves when `release` is called.
function fakeJob(slices: number, center: () => number, cached: Map<number, Uint8Array> = new Map()) {
  const log: string[] = [];
  const pending: (() => void)[] = [];
  const job: SeriesSegmentationJob = {
    slices,
    rows: 1,
    cols: 2,
    center,
    fetchFrame: async (i) => {
      log.push(`fetch ${i}`);
      return Float32Array.of(i, i);
    },
    segment: (i, hu, signal) => {
      log.push(`segment ${i}`);
      expect(hu[0]).toBe(i);
      return new Promise((resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        pending.push(() => resolve(Uint8Array.of(i, 1)));
      });
    },
    cachedMask: (i) => cached.get(i),
    storeMask: (i, mask) => cached.set(i, mask),
    postprocess: async (volume) => volume.map((v) => v + 100),
    onProgress: (done, total) => log.push(`progress ${done}/${total}`),
  };
  const next = async () => {
    while (pending.length === 0) await new Promise((r) => setTimeout(r, 0));
    pending.shift()!();
  };
  return { job, log, cached, next };
}

describe('series segmentation', () => {
  it('orders slices nearest to the centre first, skipping those done', () => {
    expect(nearestFirst(7, 3, () => false)).toEqual([3, 4, 2, 5, 1, 6, 0]);
    expect(nearestFirst(5, 0, (i) => i === 1)).toEqual([0, 2, 3, 4]);
    expect(nearestFirst(4, 3, (i) => i >= 2)).toEqual([1, 0]);
    expect(nearestFirst(3, 1, () => true)).toEqual([]);
  });

  it('segments every slice nearest first, one at a time, following the slice on screen, then post-processes', async () => {
    let center = 2;
    const { job, log, cached, next } = fakeJob(5, () => center);
    const result = segmentSeries(job, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 0));
    center = 0; // while slice 2 computes, the user scrolls to the top
    for (let i = 0; i < 5; ++i) await next();
    const labels = await result;
    const order = log.filter((l) => l.startsWith('segment')).map((l) => Number(l.split(' ')[1]));
    expect(order).toEqual([2, 0, 1, 3, 4]);
    expect([...labels]).toEqual([100, 101, 101, 101, 102, 101, 103, 101, 104, 101]);
    expect(cached.size).toBe(5);
    expect(log.filter((l) => l.startsWith('progress')).at(-1)).toBe('progress 5/5');
  });

  it('fetches frames ahead while a slice is being segmented', async () => {
    const { job, log, next } = fakeJob(8, () => 0);
    const result = segmentSeries(job, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 0));
    // Slice 0 is being segmented: the next FETCH_AHEAD frames are already asked for.
    const firstSegment = log.indexOf('segment 0');
    expect(firstSegment).toBeGreaterThanOrEqual(0);
    expect(log.slice(0, firstSegment).filter((l) => l.startsWith('fetch'))).toEqual(
      Array.from({ length: FETCH_AHEAD + 1 }, (_, i) => `fetch ${i}`),
    );
    for (let i = 0; i < 8; ++i) await next();
    await result;
    expect(log.filter((l) => l.startsWith('fetch'))).toHaveLength(8); // each frame once
  });

  it('stops on cancel keeping the masks done, and resumes from them', async () => {
    const { job, cached, next } = fakeJob(4, () => 0);
    const controller = new AbortController();
    const first = segmentSeries(job, controller.signal);
    await next();
    await next();
    await new Promise((r) => setTimeout(r, 0));
    controller.abort();
    await expect(first).rejects.toMatchObject({ name: 'AbortError' });
    expect([...cached.keys()].sort()).toEqual([0, 1]);

    const resumed = fakeJob(4, () => 0, cached);
    const again = segmentSeries(resumed.job, new AbortController().signal);
    await resumed.next();
    await resumed.next();
    await again;
    expect(resumed.log.filter((l) => l.startsWith('segment'))).toEqual(['segment 2', 'segment 3']);
    expect(resumed.log[0]).toBe('progress 2/4');
  });

  it('keeps going through a PACS outage: frames asked again with growing waits, masks kept, same result', async () => {
    const quick = { firstDelayMs: 1, maxDelayMs: 4, giveUpAfterMs: 60_000 };
    const reference = fakeJob(6, () => 2);
    const uninterrupted = segmentSeries(reference.job, new AbortController().signal);
    for (let i = 0; i < 6; ++i) await reference.next();
    const expected = await uninterrupted;

    // The PACS goes away once two slices are done and answers again after five refused requests.
    const { job, log, cached, next } = fakeJob(6, () => 2);
    let down = false;
    let refused = 0;
    const fetch = job.fetchFrame;
    job.fetchFrame = async (i) => {
      if (down && refused < 5) {
        refused++;
        log.push(`refused ${i}`);
        throw new DicomWebError('unreachable', 'The PACS cannot be reached.');
      }
      return fetch(i);
    };
    const retries: string[] = [];
    const keptDuringOutage: number[] = [];
    job.retry = quick;
    job.onFetchRetry = (i, n) => {
      retries.push(`${i}:${n.attempt}:${n.delayMs}`);
      keptDuringOutage.push(cached.size);
    };
    job.onFetchRecovered = (i) => log.push(`recovered ${i}`);
    job.storeMask = (i, mask) => {
      cached.set(i, mask);
      if (cached.size === 2) down = true;
    };
    const result = segmentSeries(job, new AbortController().signal);
    for (let i = 0; i < 6; ++i) await next();
    const labels = await result;
    expect([...labels]).toEqual([...expected]);
    expect(refused).toBe(5);
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]).toMatch(/^\d:1:1$/);
    expect(keptDuringOutage.every((n) => n >= 2)).toBe(true);
    expect(log.filter((l) => l.startsWith('recovered'))).toHaveLength(1);
    // Every slice segmented exactly once: nothing done before the outage was computed again.
    expect(log.filter((l) => l.startsWith('segment')).sort()).toEqual(['segment 0', 'segment 1', 'segment 2', 'segment 3', 'segment 4', 'segment 5']);
  });

  it('stops on a PACS that stays away, or refuses, keeping the masks done', async () => {
    const { job, cached, next } = fakeJob(4, () => 0);
    job.retry = { firstDelayMs: 1, maxDelayMs: 2, giveUpAfterMs: 20 };
    const fetch = job.fetchFrame;
    job.fetchFrame = async (i) => {
      if (i >= 2) throw new DicomWebError('unreachable', 'The PACS cannot be reached.');
      return fetch(i);
    };
    const run = segmentSeries(job, new AbortController().signal);
    await next();
    await next();
    await expect(run).rejects.toMatchObject({ kind: 'unreachable' });
    expect([...cached.keys()].sort()).toEqual([0, 1]);

    const refused = fakeJob(3, () => 0);
    let calls = 0;
    refused.job.fetchFrame = async () => {
      calls++;
      throw new DicomWebError('forbidden', 'Your account may not read a frame.', 403);
    };
    await expect(segmentSeries(refused.job, new AbortController().signal)).rejects.toMatchObject({ kind: 'forbidden' });
    expect(calls).toBe(Math.min(3, FETCH_AHEAD + 1)); // the fetches ahead, none again
  });

  it('is cancelled while it waits for the PACS', async () => {
    const { job } = fakeJob(2, () => 0);
    job.retry = { firstDelayMs: 60_000, maxDelayMs: 60_000, giveUpAfterMs: 600_000 };
    job.fetchFrame = async () => {
      throw new DicomWebError('unreachable', 'The PACS cannot be reached.');
    };
    const controller = new AbortController();
    let waiting = false;
    job.onFetchRetry = () => (waiting = true);
    const run = segmentSeries(job, controller.signal);
    while (!waiting) await new Promise((r) => setTimeout(r, 0));
    controller.abort(new DOMException('Cancelled.', 'AbortError'));
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails on a mask of the wrong size', async () => {
    const { job } = fakeJob(2, () => 0);
    job.segment = async () => new Uint8Array(3);
    await expect(segmentSeries(job, new AbortController().signal)).rejects.toThrow(/slice 1's mask has 3 pixels, 2 expected/);
  });
});
