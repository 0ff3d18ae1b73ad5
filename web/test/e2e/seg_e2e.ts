// Save to PACS and reopen, end to end: the series result of the demo series becomes a DICOM SEG built in the worker
// (cairn_seg_write), sent by STOW-RS to the real Orthanc; a first attempt the PACS refuses (500, by route
// interception) shows an error and Retry sends the same SEG without recomputing; the new SEG series appears in the
// series list; after a reload it opens from the list as an overlay on the CT (cairn_seg_read) and its labels equal
// the computed ones, voxel for voxel. The only POST the page ever makes is that STOW-RS.
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { pageArray, viewerState, waitForState } from './page_probe.js';

export interface SegCase {
  origin: string;
  studyUid: string;
  shots: string;
  computed: Uint8Array; // the displayed series' label volume (cairnViewer.seriesLabels()), before saving
  posts: Request[]; // every POST the page made since it first opened
  check(ok: boolean, what: string, detail?: string): void;
}

interface SaveState {
  status: string;
  message: string;
  series: string | null;
}

const saveState = (page: Page): Promise<SaveState | null> => page.evaluate(() => (globalThis as any).cairnViewer.saveState());

async function waitForSave(page: Page, status: string, timeout: number): Promise<SaveState> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const s = await saveState(page);
    if (s?.status === status) return s;
    if (Date.now() > deadline) throw new Error(`the save did not reach '${status}' within ${timeout} ms: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function checkSegSaveAndReopen(page: Page, c: SegCase): Promise<void> {
  const { origin, studyUid, shots, check } = c;
  const ctSeries = (await viewerState(page)).series;
  check(await page.isVisible('#save-pacs'), 'Save to PACS is offered once the series is segmented');

  // A PACS that fails once: the error is shown with Retry, and the SEG is kept.
  const stow = (url: URL) => url.pathname === `/dicom-web/studies/${studyUid}`;
  let refused = 0;
  await page.route(stow, (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    refused++;
    return route.fulfill({ status: 500, body: '' });
  });
  await page.click('#save-pacs');
  const failed = await waitForSave(page, 'failed', 120_000);
  check(refused === 1 && /Not saved: The PACS refused to store the segmentation \(HTTP 500\)/.test(failed.message) && (await page.isVisible('#save-retry')),
    'a PACS failure is shown with Retry', failed.message);
  await page.screenshot({ path: join(shots, 'seg-1-save-failed.png') });
  await page.unroute(stow);

  await page.click('#save-retry');
  const saved = await waitForSave(page, 'saved', 120_000);
  check(saved.series !== null && saved.series === failed.series, 'Retry sends the SEG built the first time (same series UID)', `${failed.series} -> ${saved.series}`);
  await page.waitForFunction((uid) => document.querySelector(`#series li[data-uid="${uid}"]`) !== null, saved.series, { timeout: 30_000 }).catch(() => {});
  const list = (await page.evaluate(() => (globalThis as any).cairnViewer.seriesList())) as { uid: string; modality: string }[];
  check(list.some((s) => s.uid === saved.series && s.modality === 'SEG'), 'the saved SEG appears in the series list', JSON.stringify(list));
  await page.screenshot({ path: join(shots, 'seg-2-saved.png') });

  // Orthanc's own view of it.
  const found = await (await fetch(`${origin}/dicom-web/studies/${studyUid}/series?SeriesInstanceUID=${saved.series}`)).json() as Record<string, { Value?: unknown[] }>[];
  check(found.length === 1 && found[0]['00080060']?.Value?.[0] === 'SEG', 'Orthanc stored a SEG series in the study', JSON.stringify(found).slice(0, 200));

  // Reload, open the SEG from the list: an overlay on the CT, identical to the computed labels.
  await page.goto(`${origin}/cairn/?study=${studyUid}`);
  await waitForState(page, (s) => s.slices > 0 && s.drawn >= 0, 60_000);
  await page.waitForSelector(`#series li[data-uid="${saved.series}"]`, { timeout: 30_000 });
  await page.click(`#series li[data-uid="${saved.series}"]`);
  await page.waitForFunction(() => (globalThis as any).cairnViewer.segOverlay() !== null, null, { timeout: 120_000 });
  const overlay = (await page.evaluate(() => {
    const o = (globalThis as any).cairnViewer.segOverlay();
    return { ctSeries: o.ctSeries, segSeries: o.segSeries, segments: o.info.segments.map((s: any) => `${s.number} ${s.label} ${s.snomed}`) };
  })) as { ctSeries: string; segSeries: string; segments: string[] };
  check(overlay.ctSeries === ctSeries && overlay.segSeries === saved.series, 'the SEG opens over the series it references', JSON.stringify(overlay));
  check(overlay.segments.join('; ') === '1 Right lung 3341006; 2 Left lung 44029006', 'its segments are the right and left lungs with their SNOMED CT codes', overlay.segments.join('; '));
  const reopened = await pageArray(page, 'segLabels');
  let differ = reopened?.length === c.computed.length ? 0 : -1;
  for (let i = 0; differ >= 0 && i < c.computed.length; ++i) if (reopened![i] !== c.computed[i]) differ++;
  check(differ === 0, "the reopened SEG's labels equal the computed ones", `${differ} voxels differ of ${c.computed.length}`);
  const state = await viewerState(page);
  const at = Math.floor(state.slices / 2);
  await page.evaluate((i) => {
    const slider = document.getElementById('slice-slider') as HTMLInputElement;
    slider.value = String(i);
    slider.dispatchEvent(new Event('input'));
  }, at);
  await waitForState(page, (s) => s.drawn === at, 10_000);
  const shown = await pageArray(page, 'overlayMask');
  const pixels = 512 * 512;
  let shownDiffer = shown?.length === pixels ? 0 : -1;
  for (let i = 0; shownDiffer >= 0 && i < pixels; ++i) if (shown![i] !== c.computed[at * pixels + i]) shownDiffer++;
  check(shownDiffer === 0, 'the overlay drawn on the slice is the SEG', `${shownDiffer} pixels differ`);
  await page.screenshot({ path: join(shots, 'seg-3-reopened.png') });

  // The only upload: STOW-RS to the study, once refused and once accepted.
  const posts = c.posts.map((r) => r.url());
  const expected = `${origin}/dicom-web/studies/${studyUid}`;
  check(posts.length === 2 && posts.every((u) => u === expected), 'the only POSTs the page made are the STOW-RS of the SEG', JSON.stringify(posts));
}
