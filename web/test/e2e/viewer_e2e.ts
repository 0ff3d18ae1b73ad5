// npm run test:e2e: the viewer end to end. A real Orthanc 1.10 (DICOMweb + the built Cairn plugin serving
// web/dist/viewer, and a temporary ModelsRoot whose catalog names the untrained development U-Net
// build/zoo/unet_paper.onnx), the demo study uploaded, headless Chromium opening it, scrolling, applying deep
// learning. Checks: the overlay equals the mask from the native `cairn run` on the same preprocessed slice, the page
// is cross-origin isolated and the engine used threads, no request left the origin, and errors show as messages.
// Screenshots go to build/e2e/.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchChromium } from '../../tools/chromium.js';
import { formatNpy, parseNpy } from '../../tools/npy.js';
import { repoRoot } from '../../tools/paths.js';
import { DicomWebClient } from '../../viewer/src/dicomweb.js';
import { frameToHu } from '../../viewer/src/pixels.js';
import { DEFAULT_PREPROCESSING, maskFromOutput, modelInput } from '../../viewer/src/preprocess.js';
import { SeriesFrames } from '../../viewer/src/series_frames.js';
import { startOrthanc, unpackDemoStudy } from './orthanc.js';

let failures = 0;
function check(ok: boolean, what: string, detail = ''): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} - ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures++;
}

const plugin = join(repoRoot, 'build/release/plugin/libCairnPlugin.so');
const cli = join(repoRoot, 'build/release/tools/cli/cairn');
const onnx = join(repoRoot, 'build/zoo/unet_paper.onnx');
const viewerRoot = join(repoRoot, 'web/dist/viewer');
const shots = join(repoRoot, 'build/e2e');
for (const need of [plugin, cli, onnx, join(viewerRoot, 'index.html')]) {
  if (!existsSync(need)) throw new Error(`${need} is missing: build first (make build; cd web && npm run build:viewer)`);
}
mkdirSync(shots, { recursive: true });

// The development catalog: the random-weight U-Net, flagged as such.
const work = mkdtempSync(join(tmpdir(), 'cairn-viewer-e2e-'));
const modelsRoot = join(work, 'models');
mkdirSync(join(modelsRoot, 'unet-dev'), { recursive: true });
copyFileSync(onnx, join(modelsRoot, 'unet-dev', 'model.onnx'));
const sha256 = createHash('sha256').update(readFileSync(onnx)).digest('hex');
writeFileSync(
  join(modelsRoot, 'catalog.json'),
  JSON.stringify({
    models: [
      {
        id: 'unet-paper-dev',
        name: 'Lung U-Net (paper architecture)',
        description: "the paper's U-Net with random weights (7,759,521 parameters), for development and tests",
        task: 'lung segmentation',
        file: 'unet-dev/model.onnx',
        sha256,
        parameters: 7759521,
        development: true,
        preprocessing: { hu_clip: [-1024, 600], hu_center: -212, hu_half_range: 812, input_size: [256, 256], threshold: 0.5 },
      },
    ],
  }),
);

const orthanc = await startOrthanc({ cairnPlugin: plugin, viewerRoot, modelsRoot });
const study = unpackDemoStudy(repoRoot);
const browser = await launchChromium((line) => {
  if (!line.includes('[chromium debug]')) console.log(line);
});
try {
  const studyUid = await orthanc.upload(study.files);
  console.log(`Orthanc at ${orthanc.origin}, study ${studyUid} (${study.files.length} slices)`);
  const { page } = browser;
  const requests: string[] = [];
  page.context().on('request', (r) => requests.push(r.url()));
  page.on('worker', (w) => requests.push(w.url()));
  const viewer = () => page.evaluate(() => (globalThis as any).cairnViewer.state());

  // Open the study directly.
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto(`${orthanc.origin}/cairn/?study=${studyUid}`);
  await page.waitForFunction(() => (globalThis as any).cairnViewer?.state().slices > 0, null, { timeout: 60_000 });
  await page.waitForFunction(() => document.querySelector('#studies tbody tr') !== null && document.querySelector('#series img[src]') !== null, null, { timeout: 30_000 });
  await page.waitForTimeout(500);
  let state = await viewer();
  check(state.slices === 60, 'the study opens from ?study=UID with its 60 slices', JSON.stringify(state));
  check(await page.evaluate(() => globalThis.crossOriginIsolated), 'the page is cross-origin isolated');
  await page.screenshot({ path: join(shots, '1-opened.png') });

  // Scroll: wheel, arrows, slider.
  const start = state.current;
  await page.hover('#canvas');
  for (let i = 0; i < 5; ++i) await page.mouse.wheel(0, 100);
  await page.waitForTimeout(300);
  state = await viewer();
  check(state.current === start + 5, 'the wheel scrolls 5 slices', `${start} -> ${state.current}`);
  await page.keyboard.press('ArrowUp');
  await page.keyboard.press('ArrowUp');
  await page.waitForTimeout(200);
  state = await viewer();
  check(state.current === start + 3, 'the arrows scroll back', `${state.current}`);
  await page.click('[data-preset="mediastinum"]');
  await page.mouse.move(700, 400);
  await page.waitForTimeout(200);
  const cursor = await page.textContent('#info-cursor');
  check(/-?\d+ HU/.test(cursor ?? '') && /mm/.test(cursor ?? ''), 'HU and patient position under the cursor', cursor ?? '');
  await page.screenshot({ path: join(shots, '2-scrolled-mediastinum.png') });
  await page.click('[data-preset="lung"]');
  check((await page.textContent('#dev-warning'))?.includes('Untrained development model') === true && !(await page.isHidden('#dev-warning')),
    'the development model is flagged "untrained development model"');

  // Apply deep learning on the displayed slice.
  const instance = state.instance as string;
  await page.click('#apply');
  await page.waitForSelector('#progress:not([hidden])', { timeout: 10_000 });
  await page.waitForFunction(() => /\d+ %/.test(document.getElementById('progress-text')?.textContent ?? '') &&
    !/^0 %/.test(document.getElementById('progress-text')?.textContent ?? ''), null, { timeout: 120_000 }).catch(() => {});
  await page.screenshot({ path: join(shots, '3-progress.png') });
  // Scrolling while the worker computes: the main thread stays free.
  const t0 = Date.now();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowUp');
  const scrollMs = Date.now() - t0;
  check(scrollMs < 1000, 'scrolling during inference stays responsive', `${scrollMs} ms for two key presses`);
  await page.waitForFunction(() => (globalThis as any).cairnViewer.state().masks > 0, null, { timeout: 600_000 });
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shots, '4-overlay.png') });
  const timings = await page.evaluate(() => (globalThis as any).cairnViewer.timings());
  const engine = await page.evaluate(() => (globalThis as any).cairnViewer.engine());
  console.log(`click to overlay: ${timings[0].clickToOverlayMs.toFixed(0)} ms (run ${timings[0].runMs.toFixed(0)} ms, ${engine.flavor}, ${engine.threads} threads)`);
  check(engine.threads > 1, 'the engine ran on more than one thread', JSON.stringify(engine));
  const area = (await page.textContent('#area')) ?? '';
  check(/Lung area on this slice: [\d.]+ cm²/.test(area), 'the lung area is shown in cm²', area);

  // The overlay against the native engine on the same preprocessed slice.
  const pageInput = await page.evaluate(() => {
    const input = (globalThis as any).cairnViewer.lastInput();
    return { shape: input.shape as number[], data: Array.from(input.data as Float32Array) };
  });
  const overlay = await page.evaluate(() => Array.from((globalThis as any).cairnViewer.overlayMask() as Uint8Array));
  const client = new DicomWebClient(`${orthanc.origin}/dicom-web/`);
  const seriesUid = (await client.listSeries(studyUid))[0]['0020000E']!.Value![0] as string;
  const frames = new SeriesFrames(client, studyUid, seriesUid, await client.seriesMetadata(studyUid, seriesUid));
  const slice = frames.slices.find((s) => s.uid === instance)!;
  const hu = frameToHu(await client.fetchFrame(studyUid, seriesUid, instance), slice.format);
  const input = modelInput(hu, slice.format.rows, slice.format.columns, DEFAULT_PREPROCESSING);
  let inputDiff = 0;
  for (let i = 0; i < input.data.length; ++i) inputDiff = Math.max(inputDiff, Math.abs(input.data[i] - pageInput.data[i]));
  check(inputDiff === 0 && pageInput.data.length === input.data.length, "the page's model input equals the one computed in Node from the same frame", `max diff ${inputDiff}`);
  writeFileSync(join(work, 'in.npy'), formatNpy({ shape: input.shape, data: input.data }));
  execFileSync(cli, ['run', onnx, join(work, 'in.npy'), join(work, 'out.npy')], { stdio: 'inherit' });
  const native = parseNpy(readFileSync(join(work, 'out.npy')));
  writeFileSync(join(shots, 'slice-input.npy'), formatNpy({ shape: input.shape, data: input.data }));
  const expected = maskFromOutput(native.data, DEFAULT_PREPROCESSING, slice.format.rows, slice.format.columns);
  let differ = 0;
  let inside = 0;
  for (let i = 0; i < expected.length; ++i) {
    if (expected[i] !== overlay[i]) differ++;
    inside += expected[i];
  }
  const pageOutput = await page.evaluate(() => Array.from((globalThis as any).cairnViewer.lastOutput() as Float32Array));
  let outputDiff = 0;
  for (let i = 0; i < native.data.length; ++i) outputDiff = Math.max(outputDiff, Math.abs(native.data[i] - pageOutput[i]));
  check(pageOutput.length === native.data.length && outputDiff < 1e-4, "the page's probabilities match the native CLI's", `max |diff| ${outputDiff.toExponential(2)}`);
  check(overlay.length === expected.length && differ === 0, 'the overlay pixels equal the mask from the native CLI', `${differ} of ${expected.length} differ; ${inside} inside`);

  // A second slice, the model already loaded: the warm time from click to overlay.
  await page.keyboard.press('ArrowDown');
  await page.waitForTimeout(300);
  await page.click('#apply');
  await page.waitForFunction(() => (globalThis as any).cairnViewer.state().masks > 1, null, { timeout: 600_000 });
  const warm = (await page.evaluate(() => (globalThis as any).cairnViewer.timings()))[1];
  console.log(`click to overlay, model loaded: ${warm.clickToOverlayMs.toFixed(0)} ms (run ${warm.runMs.toFixed(0)} ms)`);
  await page.keyboard.press('ArrowUp');
  await page.waitForTimeout(300);

  // Toggle and opacity.
  await page.fill('#overlay-opacity', '80');
  await page.dispatchEvent('#overlay-opacity', 'input');
  await page.screenshot({ path: join(shots, '5-overlay-opacity-80.png') });

  // No request left the origin.
  const foreign = requests.filter((u) => !u.startsWith(`${orthanc.origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
  check(foreign.length === 0, `no request left the origin (${requests.length} requests)`, foreign.slice(0, 5).join(', '));
  check(requests.some((u) => u.includes('cairn-pool-worker')), 'the engine pool workers were loaded', '');

  // Errors a person can act on.
  await page.goto(`${orthanc.origin}/cairn/?study=1.2.3.4.5`);
  await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
  const notFound = (await page.textContent('#error-text')) ?? '';
  check(/no study 1\.2\.3\.4\.5/.test(notFound), 'an unknown study is reported', notFound);
  await page.screenshot({ path: join(shots, '6-unknown-study.png') });
  await page.goto(`${orthanc.origin}/cairn/?root=${encodeURIComponent('http://127.0.0.1:9/dicom-web/')}`);
  await page.waitForSelector('#error:not([hidden])', { timeout: 30_000 });
  const unreachable = (await page.textContent('#error-text')) ?? '';
  check(/cannot be reached/.test(unreachable), 'an unreachable PACS is reported', unreachable);
  await page.screenshot({ path: join(shots, '7-unreachable.png') });
} finally {
  await browser.close();
  await orthanc.stop();
  study.cleanup();
  rmSync(work, { recursive: true, force: true });
}
console.log(failures === 0 ? 'viewer e2e: all checks passed' : `viewer e2e: ${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
