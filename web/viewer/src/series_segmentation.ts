// Segmenting a whole series in the background: slices nearest to the one on screen first (re-chosen after every
// slice, so scrolling steers it), frames fetched a few slices ahead while the worker computes, each slice's mask
// stored as soon as it is done (a cancelled run resumes from them), then the 3-D post-processing of the stacked
// masks. A frame the PACS cannot deliver for a while (restarted, unreachable) is asked for again with growing waits,
// reported through onFetchRetry, the masks done meanwhile kept. No DOM and no engine here: the caller supplies
// fetching, segmenting, the mask cache and post-processing.
import { PACS_RETRY, withRetry, type RetryNotice, type RetryPolicy } from './retry.js';

export interface SeriesSegmentationJob {
  slices: number;
  rows: number;
  cols: number;
  // The slice on screen now.
  center(): number;
  // The frame in HU (may come from a cache).
  fetchFrame(index: number): Promise<Float32Array>;
  // The slice's 0/1 mask (rows*cols), computed off the main thread.
  segment(index: number, hu: Float32Array, signal: AbortSignal): Promise<Uint8Array>;
  cachedMask(index: number): Uint8Array | undefined;
  storeMask(index: number, mask: Uint8Array): void;
  // The 3-D post-processing of the stacked masks (slices*rows*cols): the label volume.
  postprocess(volume: Uint8Array, signal: AbortSignal): Promise<Uint8Array>;
  onProgress?(done: number, total: number, index: number): void;
  // The frame of slice `index` failed in a way worth retrying; the next try comes after notice.delayMs.
  onFetchRetry?(index: number, notice: RetryNotice): void;
  // A frame arrived after failed tries.
  onFetchRecovered?(index: number): void;
  retry?: RetryPolicy; // default PACS_RETRY
}

// How many frames are fetched ahead of the slice being segmented.
export const FETCH_AHEAD = 3;

// The indices not yet done, nearest to `center` first (ties: the slice after it first).
export function nearestFirst(count: number, center: number, isDone: (index: number) => boolean): number[] {
  const order: number[] = [];
  for (let d = 0; order.length < count && d < 2 * count; ++d) {
    for (const i of d === 0 ? [center] : [center + d, center - d]) {
      if (i >= 0 && i < count && !isDone(i)) order.push(i);
    }
  }
  return order;
}

// Runs the job; resolves with the label volume. On cancel it rejects with the signal's reason, keeping the masks
// stored so far.
export async function segmentSeries(job: SeriesSegmentationJob, signal: AbortSignal): Promise<Uint8Array> {
  const { slices, rows, cols } = job;
  const pixels = rows * cols;
  const done = new Set<number>();
  for (let i = 0; i < slices; ++i) if (job.cachedMask(i) !== undefined) done.add(i);
  const fetching = new Map<number, Promise<Float32Array>>();
  const failed = new Set<number>(); // fetched ahead, and that fetch failed: asked again when its turn comes
  const throwIfAborted = () => {
    if (signal.aborted) throw signal.reason ?? new DOMException('Cancelled.', 'AbortError');
  };
  job.onProgress?.(done.size, slices, job.center());
  while (done.size < slices) {
    throwIfAborted();
    const order = nearestFirst(slices, Math.max(0, Math.min(slices - 1, job.center())), (i) => done.has(i));
    for (const i of order.slice(0, FETCH_AHEAD + 1)) {
      if (!fetching.has(i)) {
        const p = job.fetchFrame(i);
        p.catch(() => fetching.get(i) === p && failed.add(i)); // awaited below when its turn comes
        fetching.set(i, p);
      }
    }
    const index = order[0];
    let retried = false;
    const hu = await withRetry((attempt) => (attempt === 0 && !failed.has(index) ? fetching.get(index)! : job.fetchFrame(index)), {
      policy: job.retry ?? PACS_RETRY,
      signal,
      onRetry: (notice) => {
        retried = true;
        job.onFetchRetry?.(index, notice);
      },
    });
    fetching.delete(index);
    failed.delete(index);
    if (retried) {
      // The PACS is back: the frames fetched ahead while it was away are asked for again.
      for (const i of failed) fetching.delete(i);
      failed.clear();
      job.onFetchRecovered?.(index);
    }
    throwIfAborted();
    const mask = await job.segment(index, hu, signal);
    if (mask.length !== pixels) throw new Error(`slice ${index + 1}'s mask has ${mask.length} pixels, ${pixels} expected`);
    job.storeMask(index, mask);
    done.add(index);
    job.onProgress?.(done.size, slices, index);
  }
  const volume = new Uint8Array(slices * pixels);
  for (let i = 0; i < slices; ++i) volume.set(job.cachedMask(i)!, i * pixels);
  throwIfAborted();
  return job.postprocess(volume, signal);
}
