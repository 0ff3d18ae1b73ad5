// What the end-to-end test reads from the viewer page (its read-only globalThis.cairnViewer) and measures in it.
import type { Page } from 'playwright-core';

export interface ViewerState {
  current: number;
  drawn: number;
  slices: number;
  instance: string;
  series: string;
  masks: number;
  previews: number;
  // retrying: while the PACS cannot deliver a frame (the job waits and asks again).
  seriesJob: { done: number; total: number; retrying?: { attempt: number; delayMs: number } | null } | null;
  volumes: { value: number; voxels: number; ml: number }[] | null;
  unevenSpacing: { minGapMm: number; maxGapMm: number } | null;
  sliceAreasCm2: number[] | null;
  error: string | null; // the error banner's text when shown
  workersStarted: number; // inference workers the page has started (a stopped one is replaced)
}

export const viewerState = (page: Page): Promise<ViewerState> => page.evaluate(() => (globalThis as any).cairnViewer.state());

// Polls the page's state from here (the page's CSP forbids evaluating strings there) until `test` holds; an error
// banner meanwhile fails at once.
export async function waitForState(page: Page, test: (s: ViewerState) => boolean, timeout: number): Promise<ViewerState> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const s = (await page.evaluate(() => (globalThis as any).cairnViewer?.state() ?? null)) as ViewerState | null;
    if (s !== null && test(s)) return s;
    if (s?.error) throw new Error(`the viewer shows an error while waiting for ${test}: ${s.error}`);
    if (Date.now() > deadline) throw new Error(`the viewer did not reach ${test} within ${timeout} ms: ${JSON.stringify(s)?.slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A byte array the viewer exposes, cairnViewer[name](...args) (masks of up to a whole series: sent as base64).
export async function pageArray(page: Page, name: string, ...args: number[]): Promise<Uint8Array | null> {
  const text = await page.evaluate(({ name, args }) => {
    const a = (globalThis as any).cairnViewer[name](...args) as Uint8Array | null;
    if (!a) return null;
    let binary = '';
    for (let i = 0; i < a.length; i += 0x8000) binary += String.fromCharCode(...a.subarray(i, i + 0x8000));
    return btoa(binary);
  }, { name, args });
  return text === null ? null : new Uint8Array(Buffer.from(text, 'base64'));
}

export async function errorText(page: Page, timeout = 30_000): Promise<string> {
  await page.waitForSelector('#error:not([hidden])', { timeout });
  return (await page.textContent('#error-text')) ?? '';
}

export interface ScrollMeasure {
  fps: number; // animation frames per second while scrolling one slice per frame
  worstFrameMs: number;
  frames: number;
  late: number; // frames that showed another slice than the one scrolled to (its frame not fetched yet)
}

// Goes to slice `from`, then scrolls one slice per animation frame with wheel events over `steps` slices, recording
// requestAnimationFrame timestamps.
export async function measureScroll(page: Page, from: number, steps: number): Promise<ScrollMeasure> {
  return page.evaluate(
    async ({ from, steps }) => {
      const viewer = (globalThis as any).cairnViewer;
      const canvas = document.getElementById('canvas')!;
      const slider = document.getElementById('slice-slider') as HTMLInputElement;
      slider.value = String(from);
      slider.dispatchEvent(new Event('input'));
      const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));
      for (let i = 0; i < 30 && viewer.state().drawn !== from; ++i) await new Promise((r) => setTimeout(r, 50));
      const direction = from === 0 ? 1 : -1;
      const stamps: number[] = [await frame()];
      let late = 0;
      for (let i = 0; i < steps; ++i) {
        canvas.dispatchEvent(new WheelEvent('wheel', { deltaY: 100 * direction, cancelable: true }));
        stamps.push(await frame());
        const s = viewer.state();
        if (s.drawn !== s.current) late++;
      }
      let worst = 0;
      for (let i = 1; i < stamps.length; ++i) worst = Math.max(worst, stamps[i] - stamps[i - 1]);
      return { fps: (1000 * (stamps.length - 1)) / (stamps.at(-1)! - stamps[0]), worstFrameMs: worst, frames: stamps.length - 1, late };
    },
    { from, steps },
  );
}

export function formatScroll(m: ScrollMeasure): string {
  return `${m.fps.toFixed(1)} fps over ${m.frames} frames, worst frame ${m.worstFrameMs.toFixed(1)} ms, ${m.late} frames showed a slice not yet fetched`;
}
