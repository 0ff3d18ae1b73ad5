// npm run test:e2e:study: a whole labelled study end to end. The labelled real CT case of ../shared/data with the
// most slices (at least 100: LUNG1-002, 111 slices of 512x512) and its expert RTSTRUCT go to a fresh Orthanc 1.10
// (DICOMweb + the built Cairn plugin serving web/dist/viewer and models/); headless Chromium drives the viewer.
// 1. Segment series with 2 threads, then 1 (a fresh page each): total time and time a slice printed as measure:
//    lines; the labels must equal `cairn segment`'s (native, same model) voxel for voxel, and each other.
// 2. The expert RTSTRUCT opened from the series list as an overlay, then Compare: the two are drawn in two colours
//    (the overlay read back, and a pixel probe of the screenshot), and the Dice and volume difference the page
//    shows, for the series and on every slice, equal those computed without the browser (study_reference.py: the
//    training code's own rasterization of the contours, `cairn segment`'s labels, numpy).
// 3. Faults: Orthanc killed in the middle of a series and started again on the same port and storage. The viewer
//    must say so and retry, keep the masks already computed (counted before, during and after), finish without a
//    click, compute no slice twice, and end with the labels of the uninterrupted run.
// Screenshots go to build/e2e/study/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium } from '../../tools/chromium.js';
import { decodePng } from '../../tools/png.js';
import { repoRoot } from '../../tools/paths.js';
import { startOrthanc } from './orthanc.js';
import { pageArray, viewerState, waitForState } from './page_probe.js';

let failures = 0;
function check(ok: boolean, what: string, detail = ''): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} - ${what}${detail ? `: ${detail}` : ''}`);
  if (!ok) failures++;
}
const measured: string[] = [];
const began = performance.now();
const phase = (what: string) => console.log(`--- ${what} (${((performance.now() - began) / 1000).toFixed(0)} s into the test, load average ${loadavg()[0].toFixed(2)})`);
function measure(line: string): void {
  console.log(`measure: ${line}`);
  measured.push(line);
}

const plugin = join(repoRoot, 'build/release/plugin/libCairnPlugin.so');
const cli = join(repoRoot, 'build/release/tools/cli/cairn');
const modelsRoot = join(repoRoot, 'models');
const model = join(modelsRoot, 'lung-unet/model.onnx');
const viewerRoot = join(repoRoot, 'web/dist/viewer');
const shots = join(repoRoot, 'build/e2e/study');
const python = '/usr/bin/python3';
for (const need of [plugin, cli, model, join(modelsRoot, 'catalog.json'), python, join(viewerRoot, 'index.html')]) {
  if (!existsSync(need)) throw new Error(`${need} is missing: build first (make build; cd web && npm run build:viewer)`);
}
mkdirSync(shots, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'cairn-study-e2e-'));

// ---- The case: the labelled one with the most slices (ensure_data.sh unpacks them from ../shared/data).
execFileSync(join(repoRoot, 'tests/dicom/ensure_data.sh'), [join(work, 'demo')], { stdio: 'inherit' });
const data = process.env.CAIRN_DATA ?? join(process.env.HOME ?? '', '.cache/cairn-data');
const cases = readdirSync(data)
  .filter((name) => existsSync(join(data, name, 'rtstruct.dcm')) && existsSync(join(data, name, 'ct')))
  .map((name) => ({ name, dir: join(data, name), slices: readdirSync(join(data, name, 'ct')).length }))
  .sort((a, b) => b.slices - a.slices);
const chosen = cases[0];
if (chosen === undefined || chosen.slices < 100) throw new Error(`no labelled case of 100 slices or more in ${data}: ${JSON.stringify(cases)}`);
const ctFiles = readdirSync(join(chosen.dir, 'ct')).map((f) => join(chosen.dir, 'ct', f)).sort();
console.log(`case: ${chosen.name}, ${chosen.slices} slices (labelled cases: ${cases.map((c) => `${c.name} ${c.slices}`).join(', ')})`);

// ---- The native side, before the browser runs (it would skew the timings): `cairn segment` with the experts as
// reference, then study_reference.py on its labels.
phase('the native reference: cairn segment --reference, study_reference.py');
const cliLabelsPath = join(work, 'cli-labels.npy');
const cliOut = execFileSync(cli, ['segment', model, join(chosen.dir, 'ct'), '--reference', join(chosen.dir, 'rtstruct.dcm'), '--out', cliLabelsPath, '--threads', '2', '--quiet'], { encoding: 'utf8' });
process.stdout.write(cliOut.split('\n').map((l) => `  cairn segment: ${l}`).join('\n') + '\n');
const cliBoth = cliOut.match(/Both lungs: Dice ([\d.]+), volume ([\d.]+) mL vs ([\d.]+) mL \(([+-][\d.]+) mL/);
if (cliBoth === null) throw new Error('`cairn segment --reference` printed no "Both lungs" line');
const referenceDir = join(work, 'reference');
execFileSync(python, [join(repoRoot, 'web/test/e2e/study_reference.py'), chosen.dir, cliLabelsPath, referenceDir], { stdio: 'inherit' });
interface Stats {
  rows: number;
  columns: number;
  voxel_ml: number;
  dice: number;
  model_voxels: number;
  expert_voxels: number;
  slice_dice: (number | null)[];
  slice_model_voxels: number[];
  slice_expert_voxels: number[];
}
const stats = JSON.parse(readFileSync(join(referenceDir, 'stats.json'), 'utf8')) as Stats;
const referenceUids = JSON.parse(readFileSync(join(referenceDir, 'uids.json'), 'utf8')) as string[];
const expert = new Uint8Array(readFileSync(join(referenceDir, 'expert.u8')));
const cliLabels = readUint8Npy(readFileSync(cliLabelsPath)).data; // same order as referenceUids (ascending)
const pixels = stats.rows * stats.columns;
const depth = referenceUids.length;
check(Math.abs(Number(cliBoth[1]) - stats.dice) < 5e-5, "study_reference.py's series Dice is `cairn segment --reference`'s", `${stats.dice.toFixed(4)} vs ${cliBoth[1]}`);

// A uint8 .npy (what `cairn segment --out MASK.npy` writes).
function readUint8Npy(bytes: Buffer): { shape: number[]; data: Uint8Array } {
  const headerLength = bytes.readUInt16LE(8);
  const header = bytes.subarray(10, 10 + headerLength).toString('latin1');
  if (!/'descr': '\|u1'/.test(header) || /'fortran_order': True/.test(header)) throw new Error(`not a C-order uint8 .npy: ${header}`);
  const shape = header.match(/'shape': \(([^)]*)\)/)![1].split(',').filter((d) => d.trim() !== '').map(Number);
  return { shape, data: new Uint8Array(bytes.subarray(10 + headerLength)) };
}

// A reference volume (ascending, referenceUids) put in the page's slice order.
function inPageOrder(volume: Uint8Array, order: string[]): Uint8Array {
  const out = new Uint8Array(order.length * pixels);
  order.forEach((uid, z) => {
    const k = referenceUids.indexOf(uid);
    if (k < 0) throw new Error(`the page shows an instance the reference does not know: ${uid}`);
    out.set(volume.subarray(k * pixels, (k + 1) * pixels), z * pixels);
  });
  return out;
}

function countDiffer(a: Uint8Array | null, b: Uint8Array): number {
  if (a === null || a.length !== b.length) return -1;
  let n = 0;
  for (let i = 0; i < a.length; ++i) n += a[i] === b[i] ? 0 : 1;
  return n;
}

const showSliceAt = (page: Page, index: number) => page.evaluate((i) => {
  const slider = document.getElementById('slice-slider') as HTMLInputElement;
  slider.value = String(i);
  slider.dispatchEvent(new Event('input'));
}, index);

const orthanc = await startOrthanc({ cairnPlugin: plugin, viewerRoot, modelsRoot });
const browser = await launchChromium((line) => {
  if (!line.includes('[chromium debug]') && !line.includes('Failed to load resource')) console.log(line);
});
try {
  const uploadStarted = performance.now();
  const studyUid = await orthanc.upload([...ctFiles, join(chosen.dir, 'rtstruct.dcm')]);
  console.log(`Orthanc at ${orthanc.origin}, study ${studyUid}: ${ctFiles.length} CT slices and the RTSTRUCT uploaded in ${((performance.now() - uploadStarted) / 1000).toFixed(1)} s`);
  const { page } = browser;
  const requests: string[] = [];
  const posts: string[] = [];
  page.context().on('request', (r) => {
    requests.push(r.url());
    if (r.method() === 'POST') posts.push(r.url());
  });
  await page.setViewportSize({ width: 1400, height: 900 });
  const open = async (threads: number) => {
    await page.goto(`${orthanc.origin}/cairn/?study=${studyUid}&threads=${threads}`);
    return waitForState(page, (s) => s.slices > 0 && s.drawn >= 0, 60_000);
  };

  // ---- 1. Segment series, 2 threads then 1, each on a fresh page (no mask cached).
  const runs = new Map<number, Uint8Array>();
  let order: string[] = [];
  // CAIRN_E2E_STUDY_THREADS picks the runs (default "2,1"); make test runs "2" (the demo e2e already checks that
  // 1 and 2 threads give the same labels) to keep its time down.
  const threadRuns = (process.env.CAIRN_E2E_STUDY_THREADS ?? '2,1').split(',').map(Number);
  if (threadRuns.length === 0 || threadRuns.some((t) => !Number.isInteger(t) || t < 1)) throw new Error(`CAIRN_E2E_STUDY_THREADS=${process.env.CAIRN_E2E_STUDY_THREADS}: expected thread counts like "2,1"`);
  for (const threads of threadRuns) {
    phase(`segment series, ${threads} thread(s)`);
    const load = loadavg()[0];
    const opened = await open(threads);
    check(opened.slices === depth, `the CT series opens with its ${depth} slices (${threads} thread(s))`, `${opened.slices}`);
    check(opened.masks === 0, 'a fresh page has no mask cached', `${opened.masks}`);
    await page.click('#segment-series');
    if (threads === threadRuns[0]) {
      await waitForState(page, (s) => s.seriesJob !== null && s.seriesJob.done >= 10, 600_000);
      await page.screenshot({ path: join(shots, 'study-1-series-progress.png') });
    }
    await waitForState(page, (s) => s.volumes !== null, 900_000);
    const timing = (await page.evaluate(() => (globalThis as any).cairnViewer.seriesTimings()))[0];
    const engine = await page.evaluate(() => (globalThis as any).cairnViewer.engine());
    check(engine.threads === threads && timing.computed === depth && !timing.cancelled, `the series is segmented on ${threads} thread(s), every slice computed`, `${JSON.stringify(engine)}, ${timing.computed} computed`);
    const state = await viewerState(page);
    const total = state.volumes!.reduce((sum, v) => sum + v.ml, 0);
    measure(`segment series, ${chosen.name} (${depth} slices of ${stats.columns}x${stats.rows}), ${threads} thread(s), ${engine.flavor}: ` +
      `${(timing.totalMs / 1000).toFixed(1)} s from the click to the volumes, model loading included (${(timing.totalMs / depth).toFixed(0)} ms a slice); ` +
      `total volume ${total.toFixed(0)} mL; load average ${load.toFixed(2)} on ${availableParallelism()} cores before the run`);
    order = (await page.evaluate(() => (globalThis as any).cairnViewer.sliceOrder())) as string[];
    const labels = await pageArray(page, 'seriesLabels');
    const differ = countDiffer(labels, inPageOrder(cliLabels, order));
    check(differ === 0, `the series' labels (${threads} thread(s)) equal \`cairn segment\`'s`, `${differ} of ${depth * pixels} voxels differ`);
    runs.set(threads, labels!);
  }
  if (runs.has(1) && runs.has(2)) check(countDiffer(runs.get(1)!, runs.get(2)!) === 0, 'the labels with 1 thread equal those with 2');
  await page.screenshot({ path: join(shots, 'study-2-series-result.png') });

  // ---- 2. The expert RTSTRUCT from the series list, as an overlay; then Compare.
  phase('the RTSTRUCT overlay and Compare');
  const list = (await page.evaluate(() => (globalThis as any).cairnViewer.seriesList())) as { uid: string; modality: string }[];
  const rt = list.find((s) => s.modality === 'RTSTRUCT');
  check(rt !== undefined && list.length === 2, 'the series list holds the CT and the RTSTRUCT', JSON.stringify(list));
  await page.click(`#series li[data-uid="${rt!.uid}"]`);
  await page.mouse.move(200, 880); // off the list (a hovered row hides its selection) and off the image
  await page.waitForFunction(() => (globalThis as any).cairnViewer.segOverlay() !== null, null, { timeout: 120_000 });
  const overlayInfo = (await page.evaluate(() => {
    const o = (globalThis as any).cairnViewer.segOverlay();
    return { ctSeries: o.ctSeries, segSeries: o.segSeries, segments: o.info.segments.map((s: any) => `${s.number} ${s.label}`) };
  })) as { ctSeries: string; segSeries: string; segments: string[] };
  check(overlayInfo.segSeries === rt!.uid && overlayInfo.ctSeries === (await viewerState(page)).series, 'the RTSTRUCT opens over the CT series', JSON.stringify(overlayInfo));
  const expertInPage = inPageOrder(expert, order);
  const rtLabels = await pageArray(page, 'segLabels');
  // Two rasterizations of the same outlines (Cairn's C++ in the worker, the training code's numpy) may disagree on
  // pixels whose centre lies on an outline, no more: at most 0.1 % of the expert voxels. sliceDiffer counts, per
  // slice of the page, the pixels in the lungs for one and not the other: what the comparison's tolerances allow.
  let rtDiffer = 0;
  const sliceDiffer = new Array<number>(depth).fill(0);
  for (let i = 0; i < expertInPage.length; ++i) {
    rtDiffer += rtLabels![i] === expertInPage[i] ? 0 : 1;
    if ((rtLabels![i] !== 0) !== (expertInPage[i] !== 0)) sliceDiffer[Math.floor(i / pixels)]++;
  }
  const foregroundDiffer = sliceDiffer.reduce((a, b) => a + b, 0);
  check(rtLabels?.length === expertInPage.length && rtDiffer <= 0.001 * stats.expert_voxels,
    "the RTSTRUCT's lungs in the page equal the training code's rasterization (right 1, left 2)", `${rtDiffer} voxels differ (${foregroundDiffer} in or out of the lungs) of ${stats.expert_voxels} expert voxels`);
  const middle = Math.floor(depth / 2);
  await showSliceAt(page, middle);
  await waitForState(page, (s) => s.drawn === middle, 10_000);
  await page.waitForTimeout(200);
  await page.screenshot({ path: join(shots, 'study-3-rtstruct-overlay.png') });

  await page.waitForSelector('#compare-label:not([hidden])', { timeout: 10_000 });
  await page.check('#compare-toggle');
  await page.waitForSelector('#compare-text:not([hidden])', { timeout: 10_000 });
  const model = runs.get(threadRuns[threadRuns.length - 1])!; // the labels on the page now
  // What the page shows, on every slice, against the independent numbers. Tolerances: half a unit of the last digit
  // shown (Dice to 3 decimals, volumes to 0.1 mL, 0.01 mL on a slice), plus what the pixels on which the two
  // rasterizations disagree can move: d such pixels move a Dice over n = |model| + |experts| pixels by at most
  // 2d / (n - d) and a volume by d voxels.
  const pattern = /^Dice model vs RTSTRUCT: series (—|[\d.]+), this slice (—|[\d.]+); volume: model ([\d.]+) mL, RTSTRUCT ([\d.]+) mL, difference (-?[\d.]+) mL(?: \((-?[\d.]+) %\))?, on this slice (-?[\d.]+) mL\. Yellow: both; red: model only; blue: RTSTRUCT only\.$/;
  const voxelMl = stats.voxel_ml;
  const diceSlack = (d: number, n: number) => (d === 0 ? 0 : (2 * d) / Math.max(1, n - d));
  let worstSliceDice = 0;
  let worstSliceMl = 0;
  let unparsed = 0;
  let series: RegExpMatchArray | null = null;
  const perSlice: { z: number; dice: string; ml: string }[] = [];
  for (let z = 0; z < depth; ++z) {
    await showSliceAt(page, z);
    await waitForState(page, (s) => s.drawn === z, 10_000);
    const text = (await page.textContent('#compare-text')) ?? '';
    const m = text.match(pattern);
    if (m === null) {
      if (unparsed++ === 0) console.log(`  unexpected compare text on slice ${z + 1}: ${text}`);
      continue;
    }
    series ??= m;
    const k = referenceUids.indexOf(order[z]);
    const dice = stats.slice_dice[k];
    const shownDice = m[2] === '—' ? null : Number(m[2]);
    const n = stats.slice_model_voxels[k] + stats.slice_expert_voxels[k];
    if ((dice === null) !== (shownDice === null)) worstSliceDice = Infinity;
    else if (dice !== null) worstSliceDice = Math.max(worstSliceDice, Math.abs(shownDice! - dice) / (0.0005 + 1e-9 + diceSlack(sliceDiffer[z], n)));
    const ml = (stats.slice_model_voxels[k] - stats.slice_expert_voxels[k]) * voxelMl;
    // The page's voxel volume uses the median slice gap, numpy's the mean: 1e-6 of the value covers their rounding.
    worstSliceMl = Math.max(worstSliceMl, Math.abs(Number(m[7]) - ml) / (0.005 + 1e-6 * Math.abs(ml) + 1e-9 + sliceDiffer[z] * voxelMl));
    perSlice.push({ z, dice: `${m[2]} vs ${dice === null ? '—' : dice.toFixed(4)}`, ml: `${m[7]} vs ${ml.toFixed(3)}` });
  }
  check(unparsed === 0, 'every slice shows the comparison in words', `${unparsed} slices did not`);
  check(worstSliceDice <= 1, 'the Dice shown on every slice is the independent one (within the tolerance)', `worst at ${worstSliceDice.toFixed(2)} of the tolerance`);
  check(worstSliceMl <= 1, 'the volume difference shown on every slice is the independent one (within the tolerance)', `worst at ${worstSliceMl.toFixed(2)} of the tolerance`);
  const modelMl = stats.model_voxels * voxelMl;
  const expertMl = stats.expert_voxels * voxelMl;
  const seriesDiceSlack = diceSlack(foregroundDiffer, stats.model_voxels + stats.expert_voxels);
  const seriesMlSlack = foregroundDiffer * voxelMl;
  if (series !== null) {
    const [shownDice, shownModel, shownExpert, shownDiff] = [series[1], series[3], series[4], series[5]].map(Number);
    check(Math.abs(shownDice - stats.dice) <= 0.0005 + 1e-9 + seriesDiceSlack && Math.abs(shownDice - Number(cliBoth[1])) <= 0.0005 + 0.00005 + seriesDiceSlack,
      "the series' Dice shown is the independent one and `cairn segment`'s", `shown ${series[1]}, numpy ${stats.dice.toFixed(4)}, cairn segment ${cliBoth[1]}`);
    // The page's voxel volume comes from the median slice gap, numpy's from the mean: equal for evenly spaced slices.
    check(Math.abs(shownModel - modelMl) <= 0.05 + 1e-6 * modelMl && Math.abs(shownModel - Number(cliBoth[2])) <= 0.1,
      "the model's volume shown is the independent one and `cairn segment`'s", `shown ${series[3]} mL, numpy ${modelMl.toFixed(2)} mL, cairn segment ${cliBoth[2]} mL`);
    check(Math.abs(shownExpert - expertMl) <= 0.05 + 1e-6 * expertMl + seriesMlSlack && Math.abs(shownExpert - Number(cliBoth[3])) <= 0.1 + seriesMlSlack,
      "the experts' volume shown is the independent one and `cairn segment`'s", `shown ${series[4]} mL, numpy ${expertMl.toFixed(2)} mL, cairn segment ${cliBoth[3]} mL`);
    check(Math.abs(shownDiff - (modelMl - expertMl)) <= 0.05 + 1e-6 * expertMl + seriesMlSlack, 'the volume difference shown is the independent one',
      `shown ${series[5]} mL (${series[6]} %), numpy ${(modelMl - expertMl).toFixed(2)} mL`);
    measure(`compare with the experts' RTSTRUCT, ${chosen.name}: Dice ${series[1]} (numpy ${stats.dice.toFixed(4)}, cairn segment ${cliBoth[1]}); ` +
      `volume model ${series[3]} mL vs experts ${series[4]} mL, difference ${series[5]} mL (${series[6]} %)`);
  }
  const sample = [perSlice[Math.floor(depth * 0.25)], perSlice[middle], perSlice[Math.floor(depth * 0.75)]].filter(Boolean);
  console.log(`  per slice (shown vs numpy): ${sample.map((s) => `slice ${s.z + 1}: Dice ${s.dice}, difference ${s.ml} mL`).join('; ')}`);

  // The slice for the picture: much lung, and both colours of disagreement well represented.
  let best = middle;
  let bestScore = -1;
  for (let z = 0; z < depth; ++z) {
    let onlyModel = 0;
    let onlyExpert = 0;
    let both = 0;
    for (let i = z * pixels; i < (z + 1) * pixels; ++i) {
      const a = model[i] !== 0;
      const b = expertInPage[i] !== 0;
      if (a && b) both++;
      else if (a) onlyModel++;
      else if (b) onlyExpert++;
    }
    const score = both > 20_000 ? Math.min(onlyModel, onlyExpert) : -1;
    if (score > bestScore) [best, bestScore] = [z, score];
  }
  await showSliceAt(page, best);
  await waitForState(page, (s) => s.drawn === best, 10_000);
  await page.waitForTimeout(300);
  const compareShot = join(shots, 'study-4-compare.png');
  const png = await page.screenshot({ path: compareShot });
  // The overlay read back from its canvas: 1 both, 2 model only, 3 RTSTRUCT only, exactly.
  const drawn = await pageArray(page, 'overlayMask');
  const expected = new Uint8Array(pixels);
  for (let i = 0; i < pixels; ++i) {
    const a = model[best * pixels + i] !== 0;
    const b = rtLabels![best * pixels + i] !== 0;
    expected[i] = a && b ? 1 : a ? 2 : b ? 3 : 0;
  }
  check(countDiffer(drawn, expected) === 0, 'the compare overlay is both (1), model only (2) and RTSTRUCT only (3) on the right pixels', `slice ${best + 1}, ${countDiffer(drawn, expected)} differ`);
  // The pixel probe: image pixels deep inside each class, found on the screenshot where the canvas draws them.
  const probe = await probeColours(page, decodePng(png), expected, stats.rows, stats.columns);
  for (const [name, classOf] of [['yellow (both)', 1], ['red (model only)', 2], ['blue (RTSTRUCT only)', 3]] as const) {
    const p = probe.get(classOf)!;
    check(p.probed >= 5 && p.right >= 0.9 * p.probed, `the screenshot shows ${name} where the page says`, `${p.right} of ${p.probed} probed pixels; mean RGB ${p.mean}`);
  }

  // ---- 3. Faults: Orthanc killed in the middle of a series, started again on the same port and storage.
  phase('faults: Orthanc killed in the middle of a series');
  await open(2);
  await page.click('#segment-series');
  const killAt = 45; // past the frames fetched ahead around the centre (12 each side, and 3 ahead of the job)
  await waitForState(page, (s) => s.seriesJob !== null && s.seriesJob.done >= killAt, 600_000);
  const before = (await viewerState(page)).masks;
  await orthanc.kill('SIGKILL');
  const killed = performance.now();
  console.log(`  Orthanc killed (SIGKILL) with ${before} masks done`);
  let during = await waitForState(page, (s) => s.seriesJob?.retrying != null, 120_000);
  const retryText = (await page.textContent('#series-progress-text')) ?? '';
  check(/^PACS unreachable, retrying in \d+ s \(attempt \d+\); \d+ \/ \d+ slices done and kept$/.test(retryText), 'the viewer says the PACS is unreachable and that it retries', retryText);
  check(await page.isHidden('#error'), 'no error banner while it retries');
  await page.screenshot({ path: join(shots, 'study-5-pacs-unreachable.png') });
  during = await waitForState(page, (s) => (s.seriesJob?.retrying?.attempt ?? 0) >= 3, 60_000);
  const masksDuring = during.masks;
  check(masksDuring >= before && masksDuring < depth && during.seriesJob !== null, 'the masks computed before are kept while the PACS is away', `${before} before the kill, ${masksDuring} after ${during.seriesJob?.retrying?.attempt} failed tries`);
  await page.screenshot({ path: join(shots, 'study-6-pacs-unreachable-retrying.png') });
  await orthanc.restart();
  const outage = performance.now() - killed;
  console.log(`  Orthanc started again on the same port and storage after ${(outage / 1000).toFixed(1)} s`);
  const resumed = await waitForState(page, (s) => s.seriesJob === null || (s.seriesJob.retrying === null && s.seriesJob.done > masksDuring), 60_000);
  check(resumed.masks >= masksDuring, 'the series resumes by itself once the PACS is back', `${resumed.masks} masks, ${resumed.seriesJob?.done ?? 'all'} done`);
  const finished = await waitForState(page, (s) => s.volumes !== null, 600_000);
  const faultTimings = (await page.evaluate(() => (globalThis as any).cairnViewer.seriesTimings())) as { totalMs: number; computed: number; cancelled: boolean }[];
  check(faultTimings.length === 1 && faultTimings[0].computed === depth && !faultTimings[0].cancelled && finished.masks === depth,
    'it finishes in the same run without a click, no slice computed twice', `${JSON.stringify(faultTimings.map((t) => t.computed))}, ${finished.masks} masks`);
  check(await page.isHidden('#error') && await page.isHidden('#series-progress-row'), 'no error is left on screen');
  const faultLabels = await pageArray(page, 'seriesLabels');
  const uninterrupted = runs.get(threadRuns[0])!;
  check(countDiffer(faultLabels, uninterrupted) === 0, 'the labels equal those of the uninterrupted run', `${countDiffer(faultLabels, uninterrupted)} voxels differ`);
  await page.screenshot({ path: join(shots, 'study-7-after-outage.png') });
  measure(`Orthanc killed after ${before} of ${depth} slices and back ${(outage / 1000).toFixed(1)} s later: the series finished in ${(faultTimings[0].totalMs / 1000).toFixed(1)} s, ` +
    `masks ${before} before the kill, ${masksDuring} during the outage, ${finished.masks} at the end`);

  const foreign = requests.filter((u) => !u.startsWith(`${orthanc.origin}/`) && !u.startsWith('blob:') && !u.startsWith('data:'));
  check(foreign.length === 0, `no request left the origin (${requests.length} requests)`, foreign.slice(0, 5).join(', '));
  check(posts.length === 0, 'nothing was uploaded (no POST)', posts.slice(0, 3).join(', '));
} finally {
  await browser.close();
  await orthanc.stop();
  rmSync(work, { recursive: true, force: true });
}

// Image pixels of each class whose 3x3 neighbourhood is all that class (the disagreements are thin rims), mapped to the screenshot through the canvas'
// place on the page and the viewport's fit (zoom 1, no pan): their colour there is the overlay's colour over grey.
async function probeColours(page: Page, shot: { width: number; height: number; data: Uint8Array }, classes: Uint8Array, rows: number, columns: number) {
  const box = await page.evaluate(() => {
    const c = document.getElementById('canvas') as HTMLCanvasElement;
    const r = c.getBoundingClientRect();
    return { left: r.left, top: r.top, cssWidth: r.width, width: c.width, height: c.height };
  });
  const ratio = box.cssWidth / box.width; // CSS pixels per canvas pixel (1 here)
  const scale = Math.min(box.width / columns, box.height / rows);
  const x0 = (box.width - columns * scale) / 2;
  const y0 = (box.height - rows * scale) / 2;
  const result = new Map<number, { probed: number; right: number; mean: string }>();
  for (const classOf of [1, 2, 3]) {
    let probed = 0;
    let right = 0;
    const sum = [0, 0, 0];
    for (let row = 1; row < rows - 1 && probed < 200; ++row) {
      for (let col = 1; col < columns - 1 && probed < 200; ++col) {
        let uniform = true;
        for (let dy = -1; uniform && dy <= 1; ++dy) for (let dx = -1; uniform && dx <= 1; ++dx) uniform = classes[(row + dy) * columns + col + dx] === classOf;
        if (!uniform) continue;
        const x = Math.floor(box.left + (x0 + (col + 0.5) * scale) * ratio);
        const y = Math.floor(box.top + (y0 + (row + 0.5) * scale) * ratio);
        const at = 4 * (y * shot.width + x);
        const [r, g, b] = [shot.data[at], shot.data[at + 1], shot.data[at + 2]];
        probed++;
        sum[0] += r;
        sum[1] += g;
        sum[2] += b;
        // Over grey (r = g = b), 40 % of yellow (255, 220, 0) adds r - b = 102 and g - b = 88; of red (255, 60, 60)
        // r - b = 78, g - b = 0; of blue (60, 140, 255) b - r = 78.
        const ok = classOf === 1 ? r - b > 50 && g - b > 50 : classOf === 2 ? r - b > 50 && Math.abs(g - b) < 20 : b - r > 50;
        if (ok) right++;
      }
    }
    result.set(classOf, { probed, right, mean: sum.map((v) => (probed ? Math.round(v / probed) : 0)).join(',') });
  }
  return result;
}

phase('done');
console.log('\nmeasured (headless Chromium, this machine):');
for (const line of measured) console.log(`  ${line}`);
console.log(failures === 0 ? 'study e2e: all checks passed' : `study e2e: ${failures} checks failed`);
process.exit(failures === 0 ? 0 : 1);
