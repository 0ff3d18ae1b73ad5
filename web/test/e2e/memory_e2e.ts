// The viewer when the inference worker runs out of memory, for real: the page opened with ?memory=160 (the engine's
// WebAssembly memory capped at 160 MiB, a browser with less memory to spare), a model that fits (the paper's U-Net at
// 256x256, about 120 MiB) and one that does not (the same network at 512x512, about 200 MiB). The message must say so
// with its figures, the slice and the masks already computed stay, and the next Apply deep learning runs in a new
// worker. Then a worker that dies of an uncaught error (thrown inside the real worker) is replaced as well.
import { join } from 'node:path';
import type { Page, Worker } from 'playwright-core';
import { errorText, viewerState, waitForState } from './page_probe.js';

export interface MemoryCase {
  origin: string;
  demoStudyUid: string;
  fits: string; // catalog id of the model that fits in 160 MiB
  tooBig: string; // catalog id of the model that does not
  shots: string;
  check(ok: boolean, what: string, detail?: string): void;
}

export async function checkOutOfMemory(page: Page, c: MemoryCase): Promise<void> {
  const { check } = c;
  const workers: Worker[] = [];
  const onWorker = (w: Worker) => workers.push(w);
  const warnings: string[] = [];
  const onConsole = (m: import('playwright-core').ConsoleMessage) => {
    if (m.type() === 'warning') warnings.push(m.text());
  };
  page.on('worker', onWorker);
  page.on('console', onConsole);
  try {
    await page.goto(`${c.origin}/cairn/?study=${c.demoStudyUid}&threads=2&memory=160`);
    const opened = await waitForState(page, (s) => s.slices > 0 && s.drawn >= 0, 60_000);
    const index = opened.current;

    // A model that fits: its mask is kept through what follows.
    await page.selectOption('#model', c.fits);
    await page.click('#apply');
    const first = await waitForState(page, (s) => s.previews > 0 && s.workersStarted === 1, 300_000);
    const keptMask = await page.evaluate((i) => (globalThis as any).cairnViewer.rawMask(i)?.length ?? 0, index);

    // A model that does not: the out-of-memory message, with its figures.
    await page.selectOption('#model', c.tooBig);
    await page.click('#apply');
    const text = await errorText(page, 300_000);
    // The figures: what was needed when the failed allocation is known (the run's arena), else what the tab had.
    check(/^The model ran out of memory in this browser tab \((it needed about \d+ MB|it had \d+ MB and could get no more); the limit here is 168 MB\)\. The images and the results so far are kept, and the engine was restarted: close other tabs and try again, or use a smaller model\.$/.test(text),
      'a model that needs more memory than the tab allows is reported as out of memory, with what it needed and the limit', text);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(c.shots, 'error-out-of-memory.png') });
    let state = await viewerState(page);
    check(state.drawn === index && state.slices === opened.slices && !(await page.isHidden('#canvas')), 'the slice stays on screen', JSON.stringify({ drawn: state.drawn, index }));
    check(!(await page.isDisabled('#apply')), 'Apply deep learning is available again', '');
    await page.click('#error-close');
    await page.selectOption('#model', c.fits);
    state = await viewerState(page);
    const mask = await page.evaluate((i) => (globalThis as any).cairnViewer.rawMask(i)?.length ?? 0, index);
    check(state.masks === first.masks && state.previews === first.previews && keptMask === 512 * 512 && mask === keptMask,
      'the mask computed before is kept', JSON.stringify({ masks: [first.masks, state.masks], mask }));

    // The next Apply runs in a new worker: the model that fits, on the next slice.
    await page.keyboard.press('ArrowDown');
    await waitForState(page, (s) => s.drawn === index + 1, 10_000);
    await page.click('#apply');
    state = await waitForState(page, (s) => s.previews === first.previews + 1, 300_000);
    check(state.workersStarted === 2 && state.error === null, 'after the out-of-memory, Apply deep learning works again in a new worker', `workers started ${state.workersStarted}`);

    // A worker that dies of an uncaught error while idle: stopped, the reason in the console, replaced at the next Apply.
    const inference = workers.filter((w) => !w.url().includes('pool')).at(-1);
    check(inference !== undefined, 'the inference worker is seen', workers.map((w) => w.url()).join(', '));
    if (inference !== undefined) {
      await inference.evaluate(() => {
        setTimeout(() => {
          throw new Error('cairn e2e: an uncaught error in the inference worker');
        }, 0);
      });
      await page.keyboard.press('ArrowDown');
      await waitForState(page, (s) => s.drawn === index + 2, 10_000);
      await page.click('#apply');
      state = await waitForState(page, (s) => s.previews === first.previews + 2, 300_000);
      const warning = warnings.find((w) => /starting a new inference worker; the last one stopped: the inference worker failed: .*an uncaught error in the inference worker/.test(w));
      check(state.workersStarted === 3 && warning !== undefined, 'a worker that died of an uncaught error is reported (console) and replaced: Apply works',
        `workers started ${state.workersStarted}; ${warnings.join(' | ')}`);
    }
  } finally {
    page.off('worker', onWorker);
    page.off('console', onConsole);
  }
}
