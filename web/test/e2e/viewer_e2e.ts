// npm run test:e2e: the viewer end to end. A real Orthanc 1.10 (DICOMweb + the built Cairn plugin serving
// web/dist/viewer, and a temporary ModelsRoot whose catalog names the shipped lung model, or without it the zoo's
// random-weight U-Net with segmentation metadata written into it, plus two models that must fail to load), the demo
// study (60 slices) and two non-CT images uploaded, headless Chromium driving the viewer.
// Checks: the slice and series masks equal the native reference (pydicom + the training code's preprocessing +
// `cairn run` + its post-processing: native_reference.py) and `cairn segment`'s once that is built, volumes are finite and positive, the page is cross-origin
// isolated and used threads, no request left the origin, errors show as messages, cancel and resume work, a worker
// out of memory (a real one: the engine's memory capped with ?memory=MiB) or crashed is reported and replaced, a
// series with a slice missing is measured with the gap counted and says so.
// Measures and prints (never asserts): first paint, scroll frame rate (idle and while the worker segments),
// click-to-overlay and whole-series time with 1 and 2 threads. Screenshots go to build/e2e/.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../../tools/chromium.js';
import { parseNpy } from '../../tools/npy.js';
import { repoRoot } from '../../tools/paths.js';
import { lungMetadata, withMetadata } from '../onnx_metadata.js';
import { checkErrors } from './errors_e2e.js';
import { checkOutOfMemory } from './memory_e2e.js';
import { checkSegSaveAndReopen } from './seg_e2e.js';
import { startOrthanc, unpackDemoStudy } from './orthanc.js';
import { formatScroll, measureScroll, pageArray, viewerState, waitForState } from './page_probe.js';

let failures = 0;
function check(ok: boolean, what: string, detail = ''): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} - ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures++;
}
const measured: string[] = [];
function measure(line: string): void {
  console.log(`measure: ${line}`);
  measured.push(line);
}

const plugin = join(repoRoot, 'build/release/plugin/libCairnPlugin.so');
const cli = join(repoRoot, 'build/release/tools/cli/cairn');
const onnx = join(repoRoot, 'build/zoo/unet_paper.onnx');
const viewerRoot = join(repoRoot, 'web/dist/viewer');
const shots = join(repoRoot, 'build/e2e');
const python = '/usr/bin/python3';
for (const need of [plugin, cli, onnx, python, join(viewerRoot, 'index.html')]) {
  if (!existsSync(need)) throw new Error(`${need} is missing: build first (make build; cd web && npm run build:viewer)`);
}
mkdirSync(shots, { recursive: true });

// The catalog. The model under test: the shipped lung model (models/lung-unet) when it is there, else the zoo's
// random-weight U-Net with lung segmentation metadata written into it (flagged as development). Then the same
// network with a wrong SHA-256, and without its metadata: both must fail to load with a message.
const work = mkdtempSync(join(tmpdir(), 'cairn-viewer-e2e-'));
const modelsRoot = join(work, 'models');
mkdirSync(join(modelsRoot, 'unet-dev'), { recursive: true });
const described = withMetadata(new Uint8Array(readFileSync(onnx)), lungMetadata('256x256'));
writeFileSync(join(modelsRoot, 'unet-dev', 'model.onnx'), described);
writeFileSync(join(modelsRoot, 'unet-dev', 'bare.onnx'), readFileSync(onnx));
// The same network at 512x512: about 200 MiB of WebAssembly memory, more than the 160 MiB of memory_e2e.ts.
const described512 = withMetadata(new Uint8Array(readFileSync(onnx)), lungMetadata('512x512'));
writeFileSync(join(modelsRoot, 'unet-dev', 'model-512.onnx'), described512);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const entry = { task: 'lung segmentation', parameters: 7759521, development: true };
const catalog: Record<string, unknown>[] = [
  { ...entry, id: 'unet-paper-dev', name: 'Lung U-Net (paper architecture)', description: "the paper's U-Net with random weights, for development and tests", file: 'unet-dev/model.onnx', sha256: sha256(described) },
  { ...entry, id: 'wrong-sha', name: 'Damaged download', description: 'the catalog expects another file', file: 'unet-dev/model.onnx', sha256: '0'.repeat(64) },
  { ...entry, id: 'no-metadata', name: 'U-Net without metadata', description: 'an ONNX file that does not say how to segment', file: 'unet-dev/bare.onnx', sha256: sha256(readFileSync(onnx)) },
  { ...entry, id: 'unet-512-dev', name: 'Lung U-Net at 512×512 (memory test)', description: 'the random-weight U-Net run at 512x512', file: 'unet-dev/model-512.onnx', sha256: sha256(described512) },
];
const shipped = join(repoRoot, 'models/lung-unet');
let modelUnderTest = join(modelsRoot, 'unet-dev', 'model.onnx');
if (existsSync(join(shipped, 'model.onnx')) && existsSync(join(repoRoot, 'models/catalog.json'))) {
  const shippedEntry = (JSON.parse(readFileSync(join(repoRoot, 'models/catalog.json'), 'utf8')).models as Record<string, unknown>[]).find((m) => m.id === 'lung-unet');
  if (shippedEntry) {
    cpSync(shipped, join(modelsRoot, 'lung-unet'), { recursive: true });
    modelUnderTest = join(modelsRoot, 'lung-unet', 'model.onnx');
    const actual = sha256(readFileSync(modelUnderTest));
    check(actual === shippedEntry.sha256, "models/catalog.json names models/lung-unet/model.onnx's SHA-256", `${actual} vs ${shippedEntry.sha256}`);
    catalog.unshift({ ...shippedEntry, sha256: actual }); // the rest of the test runs on the file as it is
  }
}
console.log(`model under test: ${modelUnderTest.replace(modelsRoot, 'models')}`);
writeFileSync(join(modelsRoot, 'catalog.json'), JSON.stringify({ models: catalog }));

// The native reference of the demo series, computed before the browser runs (it would skew the timings).
const study = unpackDemoStudy(repoRoot);
const studyDir = join(work, 'series');
mkdirSync(studyDir);
for (const f of study.files) writeFileSync(join(studyDir, f.split('/').pop()!), readFileSync(f));
const referenceDir = join(work, 'reference');
console.log('native reference: pydicom, training/dataset.py, cairn run, training/postprocess.py ...');
execFileSync(python, [join(repoRoot, 'web/test/e2e/native_reference.py'), cli, modelUnderTest, studyDir, referenceDir, '--threads', '2'], { stdio: 'inherit' });
const reference = {
  uids: JSON.parse(readFileSync(join(referenceDir, 'uids.json'), 'utf8')) as string[],
  raw: new Uint8Array(readFileSync(join(referenceDir, 'raw.u8'))),
  labels: new Uint8Array(readFileSync(join(referenceDir, 'labels.u8'))),
  sliceLabels: new Uint8Array(readFileSync(join(referenceDir, 'slice_labels.u8'))),
  probability: parseNpy(readFileSync(join(referenceDir, 'probability.npy'))).data,
};
const nonCtDir = join(work, 'non-ct');
const colourStudyUid = execFileSync(python, [join(repoRoot, 'web/test/e2e/make_non_ct.py'), nonCtDir], { encoding: 'utf8' }).trim();

// Compares a mask from the page with the reference; pixels whose reference probability is within 1e-4 of the
// threshold may differ (float32 rounding in two implementations), no other.
function compareMasks(page: ArrayLike<number>, expected: ArrayLike<number>, probability: ArrayLike<number>, offset: number) {
  let differ = 0;
  let ambiguous = 0;
  let inside = 0;
  for (let i = 0; i < page.length; ++i) {
    inside += expected[offset + i] === 0 ? 0 : 1;
    if (page[i] !== expected[offset + i]) {
      differ++;
      if (Math.abs(Number(probability[offset + i]) - 0.5) < 1e-4) ambiguous++;
    }
  }
  return { differ, ambiguous, inside, detail: `${differ} of ${page.length} differ (${ambiguous} at the threshold); ${inside} inside` };
}

// A uint8 .npy (what `cairn segment --out MASK.npy` writes).
function readUint8Npy(bytes: Buffer): { shape: number[]; data: Uint8Array } {
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  if (!/'descr': '\|u1'/.test(header) || /'fortran_order': True/.test(header)) throw new Error(`not a C-order uint8 .npy: ${header}`);
  const shape = header.match(/'shape': \(([^)]*)\)/)![1].split(',').filter((d) => d.trim() !== '').map(Number);
  return { shape, data: new Uint8Array(bytes.subarray(10 + headerLength)) };
}

const orthanc = await startOrthanc({ cairnPlugin: plugin, viewerRoot, modelsRoot });
const browser = await launchChromium((line) => {
  if (!line.includes('[chromium debug]')) console.log(line);
});
try {
  const studyUid = await orthanc.upload(study.files);
  await orthanc.upload(readdirSync(nonCtDir).map((f) => join(nonCtDir, f)));
  console.log(`Orthanc at ${orthanc.origin}, study ${studyUid} (${study.files.length} slices)`);
  const { page } = browser;
  const requests: string[] = [];
  const posts: import('playwright-core').Request[] = [];
  page.context().on('request', (r) => {
    requests.push(r.url());
    if (r.method() === 'POST') posts.push(r);
  });
  page.on('worker', (w) => requests.push(w.url()));
  await page.setViewportSize({ width: 1400, height: 900 });
  const open = async (query: string) => {
    await page.goto(`${orthanc.origin}/cairn/?study=${studyUid}${query}`);
    await waitForState(page, (s) => s.slices > 0 && s.drawn >= 0, 60_000);
  };

  // ---- 1. Open, first paint, scroll.
  await open('');
  await page.waitForFunction(() => document.querySelector('#studies tbody tr') !== null && document.querySelector('#series img[src]') !== null, null, { timeout: 30_000 });
  let state = await viewerState(page);
  check(state.slices === 60, 'the study opens from ?study=UID with its 60 slices', `${state.slices}`);
  check(await page.evaluate(() => globalThis.crossOriginIsolated), 'the page is cross-origin isolated');
  const firstPaint = (await page.evaluate(() => (globalThis as any).cairnViewer.firstPaints()))[0];
  measure(`first paint of a slice: ${firstPaint.sincePageMs.toFixed(0)} ms after the page opened, ${firstPaint.sinceOpenMs.toFixed(0)} ms after the series was chosen (target 1000)`);
  await page.screenshot({ path: join(shots, '1-opened.png') });

  const start = state.current;
  await page.hover('#canvas');
  for (let i = 0; i < 5; ++i) await page.mouse.wheel(0, 100);
  await waitForState(page, (s) => s.current === start + 5 && s.drawn === s.current, 10_000).catch(() => {});
  state = await viewerState(page);
  check(state.current === start + 5, 'the wheel scrolls 5 slices', `${start} -> ${state.current}`);
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await waitForState(page, (s) => s.current === start + 3, 10_000).catch(() => {});
  check((await viewerState(page)).current === start + 3, 'the arrows scroll back');
  await page.click('[data-preset="mediastinum"]');
  await page.mouse.move(700, 400);
  await page.waitForTimeout(200);
  const cursor = (await page.textContent('#info-cursor')) ?? '';
  check(/-?\d+ HU/.test(cursor) && /mm/.test(cursor), 'HU and patient position under the cursor', cursor);
  await page.screenshot({ path: join(shots, '2-scrolled-mediastinum.png') });
  await page.click('[data-preset="lung"]');
  measure(`scroll, series not yet fetched (first pass): ${formatScroll(await measureScroll(page, 0, 59))}`);
  measure(`scroll, frames fetched (second pass): ${formatScroll(await measureScroll(page, 59, 59))}`);
  // The warning follows the catalog entry of the model under test: shown for a development model (the zoo's
  // random-weight U-Net), hidden for the shipped lung model, which the catalog marks as validated.
  if (catalog[0].development === true) {
    check(!(await page.isHidden('#dev-warning')) && /Development model, not validated/.test((await page.textContent('#dev-warning')) ?? ''), 'the development model is flagged as such');
  } else {
    check(await page.isHidden('#dev-warning'), 'no development warning for a model the catalog marks as validated');
  }

  // ---- 2. Apply deep learning on one slice, 2 threads (the default here) then 1: the C++ Segmenter in the worker.
  const slicePasses: { threads: number; cold: number; warm: number }[] = [];
  for (const threads of [2, 1]) {
    await open(`&threads=${threads}`);
    const index = (await viewerState(page)).current;
    await page.click('#apply');
    await page.waitForSelector('#progress:not([hidden])', { timeout: 10_000 });
    if (threads === 2) {
      await page.waitForFunction(() => /[1-9]\d* %/.test(document.getElementById('progress-text')?.textContent ?? ''), null, { timeout: 120_000 }).catch(() => {});
      await page.screenshot({ path: join(shots, '3-progress.png') });
      // Scrolling while the worker computes: the main thread stays free.
      const during = await measureScroll(page, index + 5, 10);
      measure(`scroll while one slice is segmented (${threads} threads): ${formatScroll(during)}`);
      await page.evaluate((i) => {
        const slider = document.getElementById('slice-slider') as HTMLInputElement;
        slider.value = String(i);
        slider.dispatchEvent(new Event('input'));
      }, index);
    }
    await waitForState(page, (s) => s.previews > 0, 600_000);
    await page.keyboard.press('ArrowDown');
    await waitForState(page, (s) => s.drawn === index + 1, 10_000);
    await page.click('#apply');
    await waitForState(page, (s) => s.previews > 1, 600_000);
    const timings = await page.evaluate(() => (globalThis as any).cairnViewer.timings());
    const engine = await page.evaluate(() => (globalThis as any).cairnViewer.engine());
    check(engine.threads === threads, `the engine runs on ${threads} thread(s)`, JSON.stringify(engine));
    slicePasses.push({ threads, cold: timings[0].clickToOverlayMs, warm: timings[1].clickToOverlayMs });
    measure(`click to overlay, ${threads} thread(s), ${engine.flavor}: ${timings[0].clickToOverlayMs.toFixed(0)} ms with the model loading, ` +
      `${timings[1].clickToOverlayMs.toFixed(0)} ms loaded (segment_slice ${timings[1].runMs.toFixed(0)} ms)`);
    if (threads !== 2) continue;

    await page.keyboard.press('ArrowUp');
    await waitForState(page, (s) => s.drawn === index, 10_000);
    await page.waitForTimeout(200);
    await page.screenshot({ path: join(shots, '4-overlay.png') });
    const area = (await page.textContent('#area')) ?? '';
    check(/Lung area on this slice: Right lung [\d.]+ cm², Left lung [\d.]+ cm², total [\d.]+ cm²/.test(area), 'the lung areas are shown in cm²', area);
    // The slice against the native reference: raw mask, and the one-slice post-processing drawn as the overlay.
    state = await viewerState(page);
    const at = reference.uids.indexOf(state.instance);
    const pixels = 512 * 512;
    const raw = await pageArray(page, 'rawMask', index);
    const rawCompare = compareMasks(raw ?? [], reference.raw, reference.probability, at * pixels);
    check(at >= 0 && raw?.length === pixels && rawCompare.differ === rawCompare.ambiguous, "the slice's mask equals the native reference's", rawCompare.detail);
    const overlay = await pageArray(page, 'overlayMask');
    const overlayCompare = compareMasks(overlay ?? [], reference.sliceLabels, reference.probability, at * pixels);
    check(overlay?.length === pixels && overlayCompare.differ <= rawCompare.ambiguous, 'the overlay (right and left lung, one-slice post-processing) equals the native reference', overlayCompare.detail);
    await page.fill('#overlay-opacity', '80');
    await page.dispatchEvent('#overlay-opacity', 'input');
    await page.screenshot({ path: join(shots, '5-overlay-opacity-80.png') });
  }

  // ---- 3. Segment series, 2 threads, uninterrupted: background work, volumes, equality with the native reference.
  await open('&threads=2');
  await page.click('#segment-series');
  await waitForState(page, (s) => s.seriesJob !== null && s.seriesJob.done >= 3, 600_000);
  await page.screenshot({ path: join(shots, '6-series-progress.png') });
  const center = (await viewerState(page)).current;
  measure(`scroll while the series is segmented (2 threads): ${formatScroll(await measureScroll(page, 0, 59))}`);
  const windowed = await page.evaluate(() => {
    const t0 = performance.now();
    (document.querySelector('[data-preset="bone"]') as HTMLButtonElement).click();
    return performance.now() - t0;
  });
  measure(`windowing preset while the series is segmented: ${windowed.toFixed(1)} ms on the main thread`);
  await page.click('[data-preset="lung"]');
  await page.evaluate((i) => {
    const slider = document.getElementById('slice-slider') as HTMLInputElement;
    slider.value = String(i);
    slider.dispatchEvent(new Event('input'));
  }, center);
  await waitForState(page, (s) => s.volumes !== null, 900_000);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, '7-series-result.png') });
  state = await viewerState(page);
  const total = state.volumes!.reduce((sum, v) => sum + v.ml, 0);
  check(state.volumes!.length === 2 && state.volumes!.every((v) => Number.isFinite(v.ml) && v.ml > 0), 'right and left volumes are finite and positive', state.volumes!.map((v) => `${v.value}: ${v.ml.toFixed(0)} mL`).join(', '));
  check(/Lung volume: right lung [\d,]+ mL, left lung [\d,]+ mL, total [\d,]+ mL/.test((await page.textContent('#volume')) ?? ''), 'the volume is shown in mL', (await page.textContent('#volume')) ?? '');
  check(state.sliceAreasCm2?.length === 60 && !(await page.isHidden('#area-chart')), 'the per-slice area is charted', '');
  const seriesTimings = await page.evaluate(() => (globalThis as any).cairnViewer.seriesTimings());
  measure(`segment series, 2 threads: ${(seriesTimings[0].totalMs / 1000).toFixed(1)} s for ${seriesTimings[0].computed} slices of 60 (${(seriesTimings[0].totalMs / seriesTimings[0].computed).toFixed(0)} ms a slice), total volume ${total.toFixed(0)} mL`);
  const order = (await page.evaluate(() => (globalThis as any).cairnViewer.sliceOrder())) as string[];
  check(order.every((uid, i) => reference.uids[i] === uid), 'the page orders the slices as the reference (along the normal)');
  const labels = await pageArray(page, 'seriesLabels');
  const labelsCompare = compareMasks(labels ?? [], reference.labels, reference.probability, 0);
  let rawAmbiguous = 0;
  for (let z = 0; z < 60; ++z) {
    const raw = await pageArray(page, 'rawMask', z);
    rawAmbiguous += compareMasks(raw ?? [], reference.raw, reference.probability, z * 512 * 512).differ;
  }
  check(labels?.length === 60 * 512 * 512 && labelsCompare.differ <= rawAmbiguous, "the series' labels after 3-D post-processing equal the native reference's", `${labelsCompare.detail}; raw masks differ in ${rawAmbiguous} pixels`);

  // The series against the native CLI's own segmentation (cairn segment: the same C++ Segmenter and
  // post-processing, natively), once that command is built.
  if (spawnSync(cli, ['help', 'segment']).status === 0) {
    const cliOut = join(work, 'cli-labels.npy');
    execFileSync(cli, ['segment', modelUnderTest, studyDir, '--out', cliOut, '--threads', '2'], { stdio: 'inherit' });
    const native = readUint8Npy(readFileSync(cliOut));
    // Its slices are in ascending order along the normal, the viewer's descending.
    const pixels = 512 * 512;
    const reversed = new Uint8Array(native.data.length);
    for (let z = 0; z < 60; ++z) reversed.set(native.data.subarray((59 - z) * pixels, (60 - z) * pixels), z * pixels);
    const cliCompare = compareMasks(labels ?? [], reversed, reference.probability, 0);
    check(native.shape.join('x') === '60x512x512' && cliCompare.differ === 0, "the series' labels equal `cairn segment`'s", cliCompare.detail);
  } else console.log('skip - the series against `cairn segment`: this CLI has no segment command yet');

  // ---- 4. Segment series, 1 thread: cancel, then resume from the per-slice masks.
  await open('&threads=1');
  await page.click('#segment-series');
  await waitForState(page, (s) => s.seriesJob !== null && s.seriesJob.done >= 4, 600_000);
  await page.click('#series-cancel');
  await waitForState(page, (s) => s.seriesJob === null, 60_000);
  const kept = (await viewerState(page)).masks;
  check(kept >= 4 && kept < 60 && (await page.isHidden('#series-progress-row')) && (await viewerState(page)).volumes === null, 'Cancel stops the series keeping the slices done', `${kept} masks kept`);
  await page.click('#segment-series');
  await waitForState(page, (s) => s.volumes !== null, 900_000);
  const oneThread = await page.evaluate(() => (globalThis as any).cairnViewer.seriesTimings());
  check(oneThread.length === 2 && oneThread[0].cancelled && oneThread[1].computed === 60 - kept, 'the series resumes from the cached slices', JSON.stringify(oneThread.map((t: any) => t.computed)));
  const oneThreadMs = oneThread[0].totalMs + oneThread[1].totalMs;
  measure(`segment series, 1 thread: ${(oneThreadMs / 1000).toFixed(1)} s for 60 slices in two runs (cancelled after ${kept}, resumed) (${(oneThreadMs / 60).toFixed(0)} ms a slice)`);
  const labels1 = await pageArray(page, 'seriesLabels');
  let same = labels1?.length === labels?.length;
  for (let i = 0; same && i < labels1!.length; ++i) same = labels1![i] === labels![i];
  check(same, 'the series labels with 1 thread equal those with 2');

  // No request left the origin; the pool workers ran.
  const foreign = requests.filter((u) => !u.startsWith(`${orthanc.origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
  check(foreign.length === 0, `no request left the origin (${requests.length} requests)`, foreign.slice(0, 5).join(', '));
  check(requests.some((u) => u.includes('cairn-pool-worker') || u.includes('pool_worker')), 'the engine pool workers were loaded', '');

  // ---- 5. Save the series result to the PACS as a DICOM SEG, reload, reopen it over the CT (seg_e2e.ts).
  await checkSegSaveAndReopen(page, { origin: orthanc.origin, studyUid, shots, computed: labels1!, posts, check });

  // ---- 6. Errors a person can act on.
  await checkErrors(page, { origin: orthanc.origin, colourStudyUid, demoStudyUid: studyUid, shots, check });

  // ---- 7. The inference worker out of memory (the engine's memory capped by ?memory=160), then crashed.
  await checkOutOfMemory(page, { origin: orthanc.origin, demoStudyUid: studyUid, fits: 'unet-paper-dev', tooBig: 'unet-512-dev', shots, check });
  // ---- 8. The demo series with its middle slice missing, as another study: the volume counts the missing slice as the
  // mean of its neighbours (each slice counts for half the gap to each neighbour) and says that a slice may be missing.
  const gappedDir = join(work, 'gapped');
  const removedAt = Number(execFileSync(python, [join(repoRoot, 'web/test/e2e/make_gapped_series.py'), studyDir, gappedDir], { encoding: 'utf8' }).trim());
  const gappedStudyUid = await orthanc.upload(readdirSync(gappedDir).map((f) => join(gappedDir, f)));
  await page.goto(`${orthanc.origin}/cairn/?study=${gappedStudyUid}&threads=2`);
  await waitForState(page, (s) => s.slices > 0 && s.drawn >= 0, 60_000);
  await page.click('#segment-series');
  const gapped = await waitForState(page, (s) => s.volumes !== null, 900_000);
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, '8-missing-slice.png') });
  const gappedText = (await page.textContent('#volume')) ?? '';
  const gaps = gapped.unevenSpacing;
  check(gapped.slices === 59 && gaps !== null && Math.abs(gaps.maxGapMm - 2 * gaps.minGapMm) < 0.01 && /slices unevenly spaced, gaps [\d.]+ to [\d.]+ mm: a slice may be missing/.test(gappedText),
    `a series without its slice at ${removedAt} mm says a slice may be missing`, gappedText);
  const gappedTotal = gapped.volumes!.reduce((sum, v) => sum + v.ml, 0);
  check(Math.abs(gappedTotal - total) < 0.01 * total, "its volume is within 1 % of the whole series' (the gap counted, not dropped)",
    `${gappedTotal.toFixed(1)} mL against ${total.toFixed(1)} mL`);
  // Its SEG: stored, with per-frame positions and no SpacingBetweenSlices (there is no single spacing to state).
  await page.click('#save-pacs');
  await page.waitForFunction(() => /^Saved to the PACS: series /.test(document.getElementById('save-status')?.textContent ?? ''), null, { timeout: 120_000 });
  const savedSeries = /series ([\d.]+),/.exec((await page.textContent('#save-status')) ?? '')?.[1] ?? '';
  type Json = Record<string, { Value?: Json[] }>;
  const segMetadata = (await (await fetch(`${orthanc.origin}/dicom-web/studies/${gappedStudyUid}/series/${savedSeries}/metadata`)).json()) as Json[];
  const pixelMeasures = segMetadata[0]?.['52009229']?.Value?.[0]?.['00289110']?.Value?.[0];
  check(pixelMeasures !== undefined && !('00180088' in pixelMeasures) && '00180050' in pixelMeasures,
    'its SEG is saved without a SpacingBetweenSlices, with the SliceThickness', JSON.stringify(pixelMeasures));
} finally {
  await browser.close();
  await orthanc.stop();
  study.cleanup();
  rmSync(work, { recursive: true, force: true });
}
console.log('\nmeasured (headless Chromium, this machine):');
for (const line of measured) console.log(`  ${line}`);
console.log(failures === 0 ? 'viewer e2e: all checks passed' : `viewer e2e: ${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
