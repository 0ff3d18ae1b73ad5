// The viewer page: wires the DICOMweb client, the series' frames, the viewport and the inference service to the
// DOM. Logic lives in the modules next to this one; this file only reacts to events and shows state.
import simdWasm from '../../../build/wasm-simd/cairn-simd.wasm?url';
import simdWasmMt from '../../../build/wasm-simd/cairn-simd-mt.wasm?url';
import relaxedWasm from '../../../build/wasm-relaxed/cairn-relaxed.wasm?url';
import relaxedWasmMt from '../../../build/wasm-relaxed/cairn-relaxed-mt.wasm?url';
import { parseCatalog, type CatalogModel } from './catalog.js';
import { type DicomJson, Tag, formatDate, num, str } from './dicom_json.js';
import { DicomWebClient, DicomWebError } from './dicomweb.js';
import type { SegInfo, SegmentationSpec, SegWriteInfo } from '../../engine/engine.js';
import { formatPatientPosition, patientPosition } from './geometry.js';
import { InferenceService, timeLeftSeconds } from './inference.js';
import { labelAreasCm2, labelCounts, labelVolumes, sliceVoxelVolumesMl, unevenSpacing, type LabelVolume } from './measure.js';
import { userMessage } from './messages.js';
import { checkCtSeries, WINDOW_PRESETS, type Window } from './pixels.js';
import { SeriesFrames } from './series_frames.js';
import { CairnError } from '../../engine/errors.js';
import { FRAME_OF_REFERENCE_UID, SegDescriptionError, SEG_MODALITY, segWriteDescription, seriesGeometryDescription, seriesReadDescription } from './seg_series.js';
import { COMPARE_BOTH, COMPARE_ONLY_A, COMPARE_ONLY_B, compareLabels, comparisonSlice, type Comparison } from './seg_compare.js';
import { isTransientPacsError, type RetryNotice } from './retry.js';
import { segmentSeries } from './series_segmentation.js';
import { Viewport } from './viewport.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const abs = (url: string) => new URL(url, location.href).href;

const params = new URLSearchParams(location.search);
const defaultRoot = new URL('../dicom-web/', new URL(import.meta.env.BASE_URL, location.origin)).href;
let client = new DicomWebClient(params.get('root') ?? localStorage.getItem('cairn.dicomwebRoot') ?? defaultRoot);
const viewport = new Viewport($<HTMLCanvasElement>('canvas'));
const inference = new InferenceService(
  () => new Worker(new URL('../../engine/worker.ts', import.meta.url), { type: 'module' }),
  { wasm: { simd: abs(simdWasm), relaxed: abs(relaxedWasm) }, threadedWasm: { simd: abs(simdWasmMt), relaxed: abs(relaxedWasmMt) } },
  // ?threads=N overrides the default (one per core, at most 8), for measurements and slow machines.
  Math.max(1, Math.min(8, Number(params.get('threads')) || navigator.hardwareConcurrency || 1)),
  // ?memory=MiB caps the engine's WebAssembly memory: a browser with less memory to spare (tests, support).
  Number(params.get('memory')) > 0 ? Number(params.get('memory')) * 2 ** 20 : undefined,
);

let series: SeriesFrames | null = null;
let seriesInfo: DicomJson | null = null;
let current = 0;
let drawn = -1; // the slice whose frame is on the canvas
// Time to the first slice on screen: since the page opened and since the series was chosen (ms).
const firstPaints: { sincePageMs: number; sinceOpenMs: number }[] = [];
let models: CatalogModel[] = [];
const specs = new Map<string, SegmentationSpec>(); // model id -> what its metadata says, once loaded
// `${model}|${instance}` -> the slice's 0/1 mask from the model (before post-processing), at the slice's size.
const masks = new Map<string, Uint8Array>();
// `${model}|${instance}` -> that mask post-processed on its own (the one-slice preview).
const previews = new Map<string, Uint8Array>();
// `${model}|${series}` -> the series' label volume after 3-D post-processing, and its measurements.
interface SeriesResult {
  labels: Uint8Array; // slices*rows*cols, slices in the order of SeriesFrames.slices
  pixels: number;
  volumes: LabelVolume[] | null; // null without geometry
  unevenSpacing: { minGapMm: number; maxGapMm: number } | null; // the gaps, when a slice may be missing
  sliceAreasCm2: number[] | null; // foreground area per slice
}
const seriesResults = new Map<string, SeriesResult>();
let running: AbortController | null = null;
// retrying: while the PACS cannot deliver a frame (the job waits and asks again; the masks done are kept).
let seriesJob: { controller: AbortController; key: string; seriesUid: string; done: number; total: number; retrying: RetryNotice | null } | null = null;
// `${model}|${series}` -> the DICOM SEG of that series result, kept once built so that Retry re-sends it as is.
interface SaveState {
  key: string;
  seg: { bytes: Uint8Array; info: SegWriteInfo } | null;
  status: 'building' | 'sending' | 'saved' | 'failed';
  message: string;
}
const saves = new Map<string, SaveState>();
// A stored SEG (or an RT Structure Set, rasterized) opened over the series it references: its labels (segment
// numbers; for an RTSTRUCT 1 right and 2 left lung) on that series' slices.
interface SegOverlay {
  kind: 'SEG' | 'RTSTRUCT';
  ctSeriesUid: string;
  segSeriesUid: string;
  info: SegInfo;
  labels: Uint8Array; // slices*rows*cols, in the order of SeriesFrames.slices
  pixels: number;
  colors: Map<number, [number, number, number]>;
}
let segOverlay: SegOverlay | null = null;
let listedSeries: { studyUid: string; list: DicomJson[] } | null = null;
const timings: { clickToOverlayMs: number; runMs: number; threads: number; flavor: string }[] = [];
const seriesTimings: { totalMs: number; slices: number; computed: number; threads: number; flavor: string; cancelled: boolean }[] = [];

// ---- errors: shown in a banner, never replacing what is on screen
function showError(error: unknown): void {
  $('error-text').textContent = typeof error === 'string' ? error : userMessage(error);
  $('error').hidden = false;
  console.warn('cairn viewer:', error);
}
$('error-close').addEventListener('click', () => ($('error').hidden = true));

// ---- server and study search
($('server') as HTMLFormElement).root.value = client.root;
$('server').addEventListener('submit', (e) => {
  e.preventDefault();
  const root = (($('server') as HTMLFormElement).root as HTMLInputElement).value.trim();
  try {
    client = new DicomWebClient(new URL(root, location.href).href);
    localStorage.setItem('cairn.dicomwebRoot', client.root);
    void search();
  } catch {
    showError(`"${root}" is not a URL.`);
  }
});
$('search').addEventListener('submit', (e) => {
  e.preventDefault();
  void search();
});

async function search(): Promise<void> {
  const form = $('search') as HTMLFormElement;
  const field = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).value;
  $('studies-status').textContent = 'Searching…';
  try {
    const studies = await client.searchStudies({
      patientName: field('patientName'),
      patientId: field('patientId'),
      studyDate: field('studyDate'),
      modality: field('modality'),
    });
    showStudies(studies);
    $('studies-status').textContent = studies.length === 0 ? 'No study matches.' : `${studies.length} studies`;
  } catch (error) {
    $('studies-status').textContent = '';
    showError(error);
  }
}

function showStudies(studies: DicomJson[]): void {
  const body = $('studies').querySelector('tbody')!;
  body.replaceChildren(
    ...studies.map((study) => {
      const row = document.createElement('tr');
      const uid = str(study, Tag.StudyInstanceUID);
      row.dataset.uid = uid;
      for (const text of [
        str(study, Tag.PatientName) || '(no name)',
        str(study, Tag.PatientID),
        formatDate(str(study, Tag.StudyDate)),
        study[Tag.ModalitiesInStudy]?.Value?.join(', ') ?? '',
        str(study, Tag.StudyDescription),
      ]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        cell.title = text;
        row.append(cell);
      }
      row.addEventListener('click', () => void openStudy(uid));
      return row;
    }),
  );
}

// ---- a study: its series with thumbnails; the first CT series opens
async function openStudy(studyUid: string, seriesUid?: string): Promise<void> {
  for (const row of $('studies').querySelectorAll('tr')) row.classList.toggle('selected', row.dataset.uid === studyUid);
  const url = new URL(location.href);
  url.searchParams.set('study', studyUid);
  history.replaceState(null, '', url);
  let list: DicomJson[];
  try {
    list = await client.listSeries(studyUid);
  } catch (error) {
    showError(error);
    return;
  }
  if (list.length === 0) {
    showError(new DicomWebError('not-found', `The PACS has no study ${studyUid} (or it has no series).`));
    return;
  }
  renderSeriesList(studyUid, list);
  const first = list.find((s) => str(s, Tag.SeriesInstanceUID) === seriesUid) ?? list.find((s) => str(s, Tag.Modality) === 'CT') ?? list[0];
  if (str(first, Tag.Modality) === SEG_MODALITY) await openSegSeries(studyUid, first);
  else if (str(first, Tag.Modality) === 'RTSTRUCT') await openRtstructSeries(studyUid, first);
  else await openSeries(studyUid, first);
}

// Modalities whose instances hold no image (RT structure sets and plans, structured reports, presentation
// states, key object selections, registrations).
const PICTURELESS_MODALITIES = new Set(['RTSTRUCT', 'RTPLAN', 'RTRECORD', 'SR', 'PR', 'KO', 'REG']);

// The study's series, by number, each with its thumbnail; a SEG opens as an overlay on the series it references.
function renderSeriesList(studyUid: string, list: DicomJson[]): void {
  list.sort((a, b) => (num(a, Tag.SeriesNumber) ?? 0) - (num(b, Tag.SeriesNumber) ?? 0));
  listedSeries = { studyUid, list };
  const selected = series?.seriesUid;
  const ul = $('series');
  ul.replaceChildren(
    ...list.map((s) => {
      const uid = str(s, Tag.SeriesInstanceUID);
      const li = document.createElement('li');
      li.dataset.uid = uid;
      const modality = str(s, Tag.Modality);
      // Objects without pixels (contours, reports, presentation states) have nothing to render: Orthanc's
      // rendered answer for them is a black square, so they get a labelled tile instead.
      const pictureless = PICTURELESS_MODALITIES.has(modality);
      const img = document.createElement(pictureless ? 'div' : 'img');
      if (pictureless) {
        img.className = 'thumb-label';
        img.textContent = modality;
      } else {
        (img as HTMLImageElement).alt = '';
      }
      const text = document.createElement('div');
      text.textContent = `${str(s, Tag.Modality)} #${str(s, Tag.SeriesNumber)} ${str(s, Tag.SeriesDescription)}\n${str(s, Tag.NumberOfSeriesRelatedInstances)} images`;
      text.className = 'muted';
      li.append(img, text);
      li.classList.toggle('selected', uid === selected);
      li.addEventListener('click', () => void (modality === SEG_MODALITY ? openSegSeries(studyUid, s) : modality === 'RTSTRUCT' ? openRtstructSeries(studyUid, s) : openSeries(studyUid, s)));
      if (modality === SEG_MODALITY || modality === 'RTSTRUCT') li.title = 'Open as an overlay on the CT series it was drawn on';
      if (!pictureless) void thumbnail(studyUid, uid, img as HTMLImageElement);
      return li;
    }),
  );
}

// After a save: the study's series again (the new SEG among them), the open series unchanged.
async function refreshSeriesList(studyUid: string): Promise<void> {
  for (const key of [...metadataRequests.keys()]) if (key.startsWith(`${studyUid}|`)) metadataRequests.delete(key);
  renderSeriesList(studyUid, await client.listSeries(studyUid));
}

// A series' metadata is asked for once (the thumbnail and the viewer both need it, at the same time when a study
// opens); a failed request is asked again next time.
const metadataRequests = new Map<string, { client: DicomWebClient; answer: Promise<DicomJson[]> }>();
function seriesMetadata(studyUid: string, seriesUid: string): Promise<DicomJson[]> {
  const key = `${studyUid}|${seriesUid}`;
  const known = metadataRequests.get(key);
  if (known !== undefined && known.client === client) return known.answer;
  const answer = client.seriesMetadata(studyUid, seriesUid);
  metadataRequests.set(key, { client, answer });
  answer.catch(() => metadataRequests.delete(key));
  return answer;
}

// WADO-RS rendered middle instance; thumbnails are best effort (no error banner).
async function thumbnail(studyUid: string, seriesUid: string, img: HTMLImageElement): Promise<void> {
  try {
    const instances = await seriesMetadata(studyUid, seriesUid);
    if (instances.length === 0) return;
    const middle = instances[Math.floor(instances.length / 2)];
    const blob = await client.renderedThumbnail(studyUid, seriesUid, str(middle, Tag.SOPInstanceUID));
    img.src = URL.createObjectURL(blob);
  } catch {
    img.alt = 'no preview';
  }
}

async function openSeries(studyUid: string, s: DicomJson): Promise<void> {
  const opened = performance.now();
  const seriesUid = str(s, Tag.SeriesInstanceUID);
  let metadata: DicomJson[];
  try {
    metadata = await seriesMetadata(studyUid, seriesUid);
    if (metadata.length === 0) throw new DicomWebError('not-found', 'The series has no instances.');
    checkCtSeries(str(s, Tag.Modality) || str(metadata[0], Tag.Modality), metadata[0]);
    const frames = new SeriesFrames(client, studyUid, seriesUid, metadata);
    cancelRun();
    series = frames;
    drawn = -1;
    seriesInfo = metadata[0];
    if (segOverlay !== null && segOverlay.ctSeriesUid !== seriesUid) segOverlay = null;
  } catch (error) {
    showError(error);
    return;
  }
  for (const li of $('series').querySelectorAll('li')) li.classList.toggle('selected', li.dataset.uid === seriesUid);
  const url = new URL(location.href);
  url.searchParams.set('series', seriesUid);
  history.replaceState(null, '', url);
  $('placeholder').hidden = true;
  updateButtons();
  const slider = $<HTMLInputElement>('slice-slider');
  slider.max = String(series.slices.length - 1);
  const w = { center: num(seriesInfo, Tag.WindowCenter), width: num(seriesInfo, Tag.WindowWidth) };
  viewport.setWindow(w.center !== undefined && w.width !== undefined ? { center: w.center, width: w.width } : WINDOW_PRESETS.lung);
  showSeriesInfo();
  await showSlice(Math.floor(series.slices.length / 2));
  requestAnimationFrame(() => {
    if (drawn >= 0) firstPaints.push({ sincePageMs: performance.now(), sinceOpenMs: performance.now() - opened });
  });
}

function showSeriesInfo(): void {
  if (seriesInfo === null || series === null) return;
  const i = seriesInfo;
  const slice = series.slices[0];
  $('info-patient').textContent = [
    str(i, Tag.PatientName) || '(no name)',
    `ID ${str(i, Tag.PatientID)}`,
    [str(i, Tag.PatientSex), formatDate(str(i, Tag.PatientBirthDate))].filter(Boolean).join(' '),
    `${formatDate(str(i, Tag.StudyDate))} ${str(i, Tag.StudyDescription)}`,
  ].join('\n');
  $('info-series').textContent = [
    `${str(i, Tag.Modality)} series ${str(i, Tag.SeriesNumber)} ${str(i, Tag.SeriesDescription)}`,
    `${slice.format.columns}×${slice.format.rows}, ${series.slices.length} slices`,
    slice.geometry ? `pixel ${slice.geometry.pixelSpacing.map((v) => v.toFixed(3)).join('×')} mm` : 'no geometry',
    str(i, Tag.Manufacturer),
  ].join('\n');
}

// ---- slices
async function showSlice(index: number): Promise<void> {
  if (series === null) return;
  const s = series;
  current = Math.max(0, Math.min(s.slices.length - 1, index));
  $<HTMLInputElement>('slice-slider').value = String(current);
  const slice = s.slices[current];
  $('info-slice').textContent = `slice ${current + 1} / ${s.slices.length}\ninstance ${num(slice.instance, Tag.InstanceNumber) ?? '?'}` +
    (slice.geometry ? `\nz ${slice.geometry.position[2].toFixed(1)} mm` : '');
  $('slice-text').textContent = `${current + 1} / ${s.slices.length}`;
  s.prefetch(current);
  let hu = s.cached(current);
  if (hu === undefined) {
    try {
      hu = await s.frame(current);
    } catch (error) {
      showError(error);
      return;
    }
    if (series !== s || current !== s.slices.indexOf(slice)) return; // moved on meanwhile
  }
  viewport.setFrame(hu, slice.format.rows, slice.format.columns);
  drawn = current;
  showMask();
}

// What the overlay shows for the slice on screen: the series' post-processed labels when the series is segmented,
// else the slice's own preview, else its raw mask (while the series runs); with areas, volumes and the area chart.
function showMask(): void {
  const model = selectedModel();
  const spec = model === undefined ? undefined : specs.get(model.id);
  updateSaveRow();
  if (showSegOverlay(spec)) return;
  const shown = currentLabels();
  const areaText: string[] = [];
  if (shown !== null && series !== null && spec !== undefined) {
    const colors = new Map(spec.labels.map((l) => [l.value, l.color] as const));
    if (shown.kind === 'raw') colors.set(1, spec.labels.find((l) => l.value === spec.unionLabel)!.color);
    viewport.setMask(shown.labels, colors);
    const values = shown.kind === 'raw' ? [1] : spec.splitLeftRight ? [1, 2] : [1];
    const names = shown.kind === 'raw' ? [labelName(spec, spec.unionLabel)] : values.map((v) => labelName(spec, v));
    const g = series.slices[current].geometry;
    if (g) {
      const areas = labelAreasCm2(shown.labels, values, g);
      const parts = values.map((_, i) => `${names[i]} ${areas[i].toFixed(1)} cm²`);
      if (values.length > 1) parts.push(`total ${areas.reduce((a, b) => a + b, 0).toFixed(1)} cm²`);
      areaText.push(`${values.length > 1 ? 'Lung area on this slice' : `${names[0]} area on this slice`}: ${parts.join(', ')}`);
    } else {
      const counts = labelCounts(shown.labels);
      areaText.push(`${values.map((v, i) => `${names[i]} ${counts[v]} pixels`).join(', ')} (no pixel spacing)`);
    }
    if (shown.kind === 'preview') areaText.push('(this slice alone; Segment series for the 3-D result)');
    if (shown.kind === 'raw') areaText.push('(before post-processing)');
  } else viewport.setMask(null);
  $('area').textContent = areaText.join(' ');
  showSeriesResult(spec);
}

// ---- DICOM SEG: saving a series result to the PACS, opening a stored SEG over its series, comparing them

// The stored SEG over the slice on screen (or, with Compare, both it and the model in two colours); false when no
// SEG is open on this series.
function showSegOverlay(spec: SegmentationSpec | undefined): boolean {
  const overlay = segOverlay;
  const onThisSeries = overlay !== null && series !== null && overlay.ctSeriesUid === series.seriesUid;
  $('seg-row').hidden = !onThisSeries;
  if (!onThisSeries || overlay === null || series === null) {
    $('compare-text').hidden = true;
    return false;
  }
  const model = selectedModel();
  const result = model === undefined ? undefined : seriesResults.get(`${model.id}|${series.seriesUid}`);
  const segSlice = overlay.labels.subarray(current * overlay.pixels, (current + 1) * overlay.pixels);
  const names = overlay.info.segments.map((x) => x.label).join(', ');
  $('seg-text').textContent = `${overlay.kind} "${overlay.info.series_description || overlay.segSeriesUid}": ${names}`;
  $('compare-label').hidden = result === undefined;
  const compare = result !== undefined && $<HTMLInputElement>('compare-toggle').checked;
  if (compare && result !== undefined) {
    const modelSlice = result.labels.subarray(current * result.pixels, (current + 1) * result.pixels);
    viewport.setMask(comparisonSlice(modelSlice, segSlice), new Map([
      [COMPARE_BOTH, [255, 220, 0]],
      [COMPARE_ONLY_A, [255, 60, 60]],
      [COMPARE_ONLY_B, [60, 140, 255]],
    ] as const));
    const c = comparison(overlay, result);
    const voxelMl = sliceVoxelVolumesMl(series.slices.map((x) => x.geometry));
    const fmt = (d: number | null) => (d === null ? '—' : d.toFixed(3));
    const volumes = voxelMl === null ? '' : (() => {
      const a = c.sliceVoxelsA.reduce((sum, n, k) => sum + n * voxelMl[k], 0);
      const b = c.sliceVoxelsB.reduce((sum, n, k) => sum + n * voxelMl[k], 0);
      const slice = (c.sliceVoxelsA[current] - c.sliceVoxelsB[current]) * voxelMl[current];
      return `; volume: model ${a.toFixed(1)} mL, ${overlay.kind} ${b.toFixed(1)} mL, difference ${(a - b).toFixed(1)} mL` +
        `${b > 0 ? ` (${(((a - b) / b) * 100).toFixed(1)} %)` : ''}, on this slice ${slice.toFixed(2)} mL`;
    })();
    $('compare-text').textContent = `Dice model vs ${overlay.kind}: series ${fmt(c.dice)}, this slice ${fmt(c.sliceDice[current])}${volumes}. ` +
      `Yellow: both; red: model only; blue: ${overlay.kind} only.`;
    $('compare-text').hidden = false;
  } else {
    viewport.setMask(segSlice, overlay.colors);
    $('compare-text').hidden = true;
  }
  $('area').textContent = '';
  showSeriesResult(spec);
  return true;
}

const comparisons = new WeakMap<Uint8Array, { with: Uint8Array; result: Comparison }>();
function comparison(overlay: SegOverlay, result: SeriesResult): Comparison {
  const known = comparisons.get(overlay.labels);
  if (known !== undefined && known.with === result.labels) return known.result;
  const c = compareLabels(result.labels, overlay.labels, overlay.labels.length / overlay.pixels, overlay.pixels);
  comparisons.set(overlay.labels, { with: result.labels, result: c });
  return c;
}

// A stored SEG series: its (first) instance, read in the worker, placed on the series it references, which opens.
async function openSegSeries(studyUid: string, s: DicomJson): Promise<void> {
  const segSeriesUid = str(s, Tag.SeriesInstanceUID);
  setProgress(0, 'Opening the segmentation…');
  try {
    const metadata = await seriesMetadata(studyUid, segSeriesUid);
    if (metadata.length === 0) throw new DicomWebError('not-found', 'The SEG series has no instances.');
    const bytes = await client.retrieveInstance(studyUid, segSeriesUid, str(metadata[0], Tag.SOPInstanceUID));
    const info = await inference.segInfo(bytes);
    const referenced = info.referenced_series_instance_uid;
    if (referenced === '') throw new Error('the SEG names no source series (ReferencedSeriesSequence), so it cannot be placed on one');
    if (series?.seriesUid !== referenced) {
      const listed = listedSeries?.studyUid === studyUid ? listedSeries.list.find((x) => str(x, Tag.SeriesInstanceUID) === referenced) : undefined;
      if (listed === undefined) throw new Error(`the series this SEG segments (${referenced}) is not in this study`);
      await openSeries(studyUid, listed);
      if (series?.seriesUid !== referenced) return; // opening it failed: its error is shown
    }
    const target = series!;
    const { rows, columns } = target.slices[0].format;
    const description = JSON.stringify(seriesReadDescription(target.slices.map((x) => x.instance)));
    const { labels } = await inference.readSeg(bytes, description, target.slices.length * rows * columns);
    const colors = new Map<number, [number, number, number]>();
    const fallback: [number, number, number][] = [[60, 140, 255], [255, 160, 0], [80, 220, 120], [220, 80, 220]];
    info.segments.forEach((x, i) => colors.set(x.number, x.color ?? fallback[i % fallback.length]));
    segOverlay = { kind: 'SEG', ctSeriesUid: referenced, segSeriesUid, info, labels, pixels: rows * columns, colors };
    for (const li of $('series').querySelectorAll('li')) li.classList.toggle('selected', li.dataset.uid === segSeriesUid || li.dataset.uid === referenced);
    showMask();
  } catch (error) {
    showError(error instanceof Error && !(error instanceof DicomWebError) && !(error as { code?: string }).code
      ? `The segmentation cannot be opened: ${error.message}.`
      : error);
  } finally {
    setProgress(null);
  }
}

// An RT Structure Set series: rasterized in the worker onto the open CT series (or the study's first CT series) when
// they share the frame of reference; its lungs are labelled 1 right and 2 left, as the lung model's.
async function openRtstructSeries(studyUid: string, s: DicomJson): Promise<void> {
  const rtSeriesUid = str(s, Tag.SeriesInstanceUID);
  setProgress(0, 'Opening the structure set…');
  try {
    const metadata = await seriesMetadata(studyUid, rtSeriesUid);
    if (metadata.length === 0) throw new DicomWebError('not-found', 'The RTSTRUCT series has no instances.');
    const bytes = await client.retrieveInstance(studyUid, rtSeriesUid, str(metadata[0], Tag.SOPInstanceUID));
    if (series === null || series.studyUid !== studyUid) {
      const ct = listedSeries?.studyUid === studyUid ? listedSeries.list.find((x) => str(x, Tag.Modality) === 'CT') : undefined;
      if (ct === undefined) throw new Error('the study has no CT series to draw it on');
      await openSeries(studyUid, ct);
      if (series === null) return;
    }
    const target = series!;
    const { rows, columns } = target.slices[0].format;
    const description = JSON.stringify(seriesGeometryDescription(target.slices.map((x) => x.instance)));
    const { labels, info } = await inference.readRtstruct(bytes, description, target.slices.length * rows * columns);
    const frame = str(target.slices[0].instance, FRAME_OF_REFERENCE_UID);
    if (info.frame_of_reference_uid !== '' && frame !== '' && info.frame_of_reference_uid !== frame) {
      throw new Error(`it was drawn in another frame of reference (${info.frame_of_reference_uid}) than the open series (${frame})`);
    }
    const colors = new Map<number, [number, number, number]>([[1, [60, 140, 255]], [2, [255, 160, 0]]]);
    const segInfo: SegInfo = {
      sop_instance_uid: str(metadata[0], Tag.SOPInstanceUID), series_instance_uid: rtSeriesUid, study_instance_uid: studyUid,
      frame_of_reference_uid: info.frame_of_reference_uid, referenced_series_instance_uid: target.seriesUid, segmentation_type: 'RTSTRUCT',
      series_description: str(s, Tag.SeriesDescription) || 'RT Structure Set', rows, columns, frames: 0,
      segments: info.rois.map((r) => ({ number: r.value, label: r.name, algorithm: '' })),
    };
    segOverlay = { kind: 'RTSTRUCT', ctSeriesUid: target.seriesUid, segSeriesUid: rtSeriesUid, info: segInfo, labels, pixels: rows * columns, colors };
    for (const li of $('series').querySelectorAll('li')) li.classList.toggle('selected', li.dataset.uid === rtSeriesUid || li.dataset.uid === target.seriesUid);
    showMask();
  } catch (error) {
    showError(error instanceof Error && !(error instanceof DicomWebError) && !(error as { code?: string }).code
      ? `The structure set cannot be opened: ${error.message}.`
      : error);
  } finally {
    setProgress(null);
  }
}

// The Save to PACS row: offered once the displayed series has a series result.
function updateSaveRow(): void {
  const model = selectedModel();
  const key = model === undefined || series === null ? '' : `${model.id}|${series.seriesUid}`;
  const result = key === '' ? undefined : seriesResults.get(key);
  $('save-row').hidden = result === undefined;
  if (result === undefined) return;
  const save = saves.get(key);
  const busy = save?.status === 'building' || save?.status === 'sending';
  $<HTMLButtonElement>('save-pacs').disabled = busy || save?.status === 'saved' || save?.status === 'failed';
  $('save-retry').hidden = save?.status !== 'failed';
  $('save-status').textContent = save?.message ?? '';
  $('save-status').classList.toggle('failed', save?.status === 'failed');
}

// Builds the SEG of the displayed series' result in the worker (once), sends it by STOW-RS, and lists the study's
// series again. On failure the SEG is kept: Retry sends the same bytes.
async function saveToPacs(): Promise<void> {
  const model = selectedModel();
  if (series === null || model === undefined) return;
  const s = series;
  const key = `${model.id}|${s.seriesUid}`;
  const result = seriesResults.get(key);
  const spec = specs.get(model.id);
  if (result === undefined || spec === undefined) return;
  const save: SaveState = saves.get(key) ?? { key, seg: null, status: 'building', message: '' };
  if (save.status === 'building' && save.message !== '') return; // already under way
  if (save.status === 'sending' || save.status === 'saved') return;
  saves.set(key, save);
  const update = (status: SaveState['status'], message: string) => {
    save.status = status;
    save.message = message;
    updateSaveRow();
  };
  try {
    if (save.seg === null) {
      update('building', 'Building the DICOM SEG…');
      save.seg = await inference.writeSeg(segWriteDescription(s.slices.map((x) => x.instance), spec), result.labels);
    }
    update('sending', `Sending the DICOM SEG (${(save.seg.bytes.byteLength / 1024).toFixed(0)} KiB) to the PACS…`);
    await client.store(s.studyUid, [save.seg.bytes]);
    const { info } = save.seg;
    update('saved', `Saved to the PACS: series ${info.series_instance_uid}, ${info.frames} frames.` +
      (info.warnings.length ? ` Warnings: ${info.warnings.join('; ')}` : ''));
    try {
      await refreshSeriesList(s.studyUid);
    } catch (error) {
      showError(error);
    }
  } catch (error) {
    const reason = error instanceof SegDescriptionError ? `the DICOM SEG cannot be built: ${error.message}.`
      : error instanceof CairnError ? `the DICOM SEG cannot be built: ${error.message}` : userMessage(error);
    update('failed', `Not saved: ${reason}${save.seg === null ? '' : ' Retry sends the same segmentation again.'}`);
  }
}

function currentLabels(): { labels: Uint8Array; kind: 'series' | 'preview' | 'raw' } | null {
  const model = selectedModel();
  if (series === null || model === undefined) return null;
  const result = seriesResults.get(`${model.id}|${series.seriesUid}`);
  if (result !== undefined) return { labels: result.labels.subarray(current * result.pixels, (current + 1) * result.pixels), kind: 'series' };
  const key = `${model.id}|${series.slices[current].uid}`;
  const preview = previews.get(key);
  if (preview !== undefined) return { labels: preview, kind: 'preview' };
  const raw = masks.get(key);
  return raw === undefined ? null : { labels: raw, kind: 'raw' };
}

function labelName(spec: SegmentationSpec, value: number): string {
  return spec.labels.find((l) => l.value === value)?.name ?? `label ${value}`;
}

function showSeriesResult(spec: SegmentationSpec | undefined): void {
  const model = selectedModel();
  const result = series === null || model === undefined ? undefined : seriesResults.get(`${model.id}|${series.seriesUid}`);
  const chart = $<HTMLCanvasElement>('area-chart');
  if (result === undefined || spec === undefined) {
    $('volume').textContent = '';
    chart.hidden = true;
    return;
  }
  if (result.volumes === null) $('volume').textContent = 'Volume: unknown (the series has no slice geometry)';
  else {
    const ml = (v: number) => `${Math.round(v).toLocaleString('en')} mL`;
    const total = result.volumes.reduce((sum, v) => sum + v.ml, 0);
    const gaps = result.unevenSpacing;
    $('volume').textContent = (result.volumes.length > 1
      ? `Lung volume: ${result.volumes.map((v) => `${labelName(spec, v.value).toLowerCase()} ${ml(v.ml)}`).join(', ')}, total ${ml(total)}`
      : `${labelName(spec, result.volumes[0].value)} volume: ${ml(total)}`) + (gaps === null ? '' :
      ` (slices unevenly spaced, gaps ${gaps.minGapMm.toFixed(2)} to ${gaps.maxGapMm.toFixed(2)} mm: a slice may be missing; ` +
      'each slice counts for half the gap to each neighbour)');
  }
  chart.hidden = result.sliceAreasCm2 === null;
  if (result.sliceAreasCm2 !== null) drawAreaChart(chart, result.sliceAreasCm2, current);
}

// Foreground area per slice as bars, the slice on screen in white.
function drawAreaChart(canvas: HTMLCanvasElement, areas: number[], highlight: number): void {
  const c = canvas.getContext('2d')!;
  c.clearRect(0, 0, canvas.width, canvas.height);
  const top = Math.max(1e-9, ...areas);
  const w = canvas.width / areas.length;
  areas.forEach((a, i) => {
    const h = Math.round(((canvas.height - 12) * a) / top);
    c.fillStyle = i === highlight ? '#fff' : '#ff8a8a';
    c.fillRect(i * w, canvas.height - h, Math.max(1, w - 1), h);
  });
  c.fillStyle = '#aaa';
  c.font = '10px system-ui, sans-serif';
  c.fillText(`area per slice (max ${top.toFixed(0)} cm²)`, 4, 10);
}

$('canvas').addEventListener('wheel', (e) => {
  e.preventDefault();
  if (e.ctrlKey) viewport.zoomBy(e.deltaY < 0 ? 1.15 : 1 / 1.15);
  else void showSlice(current + Math.sign(e.deltaY));
}, { passive: false });
$('slice-slider').addEventListener('input', (e) => void showSlice(Number((e.target as HTMLInputElement).value)));
window.addEventListener('keydown', (e) => {
  if (e.target instanceof HTMLInputElement && e.target.type !== 'range') return;
  const step: Record<string, number> = { ArrowUp: -1, ArrowLeft: -1, ArrowDown: 1, ArrowRight: 1, PageUp: -10, PageDown: 10 };
  if (e.key in step) {
    e.preventDefault();
    void showSlice(current + step[e.key]);
  } else if (e.key === '+' || e.key === '=') viewport.zoomBy(1.25);
  else if (e.key === '-') viewport.zoomBy(0.8);
  else if (e.key === '0') viewport.resetView();
});
$('zoom-in').addEventListener('click', () => viewport.zoomBy(1.25));
$('zoom-out').addEventListener('click', () => viewport.zoomBy(0.8));
$('reset-view').addEventListener('click', () => viewport.resetView());
for (const button of document.querySelectorAll<HTMLButtonElement>('[data-preset]')) {
  button.addEventListener('click', () => viewport.setWindow(WINDOW_PRESETS[button.dataset.preset!]));
}
viewport.onWindowChange = (w: Window) => {
  $('window-text').textContent = `C ${w.center} W ${w.width}`;
  for (const b of document.querySelectorAll<HTMLButtonElement>('[data-preset]')) {
    const p = WINDOW_PRESETS[b.dataset.preset!];
    b.classList.toggle('active', p.center === w.center && p.width === w.width);
  }
};
viewport.onHover = (row, column) => {
  if (series === null) return;
  const slice = series.slices[current];
  const hu = series.cached(current);
  const value = hu === undefined ? '' : `${Math.round(hu[row * slice.format.columns + column])} HU`;
  const where = slice.geometry ? formatPatientPosition(patientPosition(slice.geometry, row, column)) : '';
  $('info-cursor').textContent = `${value}  (${column}, ${row})\n${where}`;
};
viewport.onLeave = () => ($('info-cursor').textContent = '');

// ---- deep learning
async function loadCatalog(): Promise<void> {
  const url = new URL('models/catalog.json', new URL(import.meta.env.BASE_URL, location.origin)).href;
  const select = $<HTMLSelectElement>('model');
  try {
    const response = await fetch(url);
    if (!response.ok) throw new Error(response.status === 404 ? 'no model catalog is installed (models/catalog.json)' : `HTTP ${response.status}`);
    models = parseCatalog(await response.json(), url);
  } catch (error) {
    showError(`The model catalog cannot be read: ${(error as Error).message}.`);
    models = [];
  }
  select.replaceChildren(
    ...models.map((m) => {
      const option = document.createElement('option');
      option.value = m.id;
      option.textContent = m.development ? `${m.name} (development model)` : m.name;
      return option;
    }),
  );
  showModelCard();
}

function selectedModel(): CatalogModel | undefined {
  return models.find((m) => m.id === $<HTMLSelectElement>('model').value);
}

function updateButtons(): void {
  const m = selectedModel();
  $<HTMLButtonElement>('apply').disabled = m === undefined || series === null || seriesJob !== null || running !== null;
  $<HTMLButtonElement>('segment-series').disabled = m === undefined || series === null || seriesJob !== null || running !== null;
}

function showModelCard(): void {
  const m = selectedModel();
  updateButtons();
  $('dev-warning').hidden = !m?.development;
  if (m === undefined) {
    $('card').textContent = models.length === 0 ? 'No model available.' : '';
    showMask();
    return;
  }
  const spec = specs.get(m.id);
  $('card').textContent = [
    `${m.name}${m.development ? ' — development model, not validated' : ''}: ${m.description}`,
    `${m.task}${m.parameters ? `, ${m.parameters.toLocaleString('en')} parameters` : ''}`,
    ...(spec ? [describeSpec(spec)] : []),
  ].join('\n');
  if (m.cardUrl) {
    void fetch(m.cardUrl)
      .then((r) => (r.ok ? r.text() : ''))
      .then((text) => {
        if (text && selectedModel() === m) $('card').textContent += `\n\n${text}`;
      })
      .catch(() => {});
  }
  showMask();
}
$('model').addEventListener('change', showModelCard);

// The model's own description of its pre- and post-processing (its ONNX metadata, read by the engine).
function describeSpec(spec: SegmentationSpec): string {
  const post = [
    spec.components > 0 ? `${spec.components} largest 3-D components` : 'all components',
    spec.fillHoles ? 'holes filled per slice' : '',
    spec.splitLeftRight ? 'split into right and left' : '',
  ].filter(Boolean);
  return `${spec.name} ${spec.version}: input ${spec.inputSize.join('×')} (${spec.resample}), HU clipped to [${spec.huClip.join(', ')}], ` +
    `x = (HU − ${spec.center}) / ${spec.scale}, ${spec.activation === 'none' ? 'probability' : spec.activation} output > ${spec.threshold}; ` +
    `post-processing: ${post.join(', ')}; labels: ${spec.labels.filter((l) => l.value !== 255 || !spec.splitLeftRight).map((l) => l.name).join(', ')}`;
}

function setProgress(fraction: number | null, text = ''): void {
  $('progress').hidden = fraction === null;
  $('progress-fill').style.width = `${Math.round((fraction ?? 0) * 100)}%`;
  $('progress-text').textContent = text;
}

async function loadModel(model: CatalogModel): Promise<void> {
  const loaded = await inference.load(model);
  if (!specs.has(model.id)) {
    specs.set(model.id, loaded.spec);
    if (selectedModel() === model) showModelCard();
  }
}

// One slice in the worker: the C++ Segmenter (the CLI's code) gives the mask, then its one-slice post-processing.
async function applyDeepLearning(): Promise<void> {
  const model = selectedModel();
  if (series === null || model === undefined || running !== null || seriesJob !== null) return;
  const s = series;
  const index = current;
  const slice = s.slices[index];
  const key = `${model.id}|${slice.uid}`;
  const clicked = performance.now();
  running = new AbortController();
  const signal = running.signal;
  updateButtons();
  $('cancel').hidden = false;
  setProgress(0, 'Loading the model…');
  try {
    const hu = await s.frame(index);
    await loadModel(model);
    const started = performance.now();
    setProgress(0, '0 %');
    const mask = masks.get(key) ?? await inference.segmentSlice(model, hu, slice.format.rows, slice.format.columns, (f) => {
      const left = timeLeftSeconds(f, performance.now() - started);
      setProgress(f, `${Math.floor(f * 100)} %${left === null ? '' : ` — about ${Math.ceil(left)} s left`}`);
    }, signal);
    const runMs = performance.now() - started;
    masks.set(key, mask);
    previews.set(key, await inference.postprocessSlice(model, mask, slice.format.rows, slice.format.columns, slice.geometry?.rowDirection));
    if (series === s && current === index) showMask();
    const info = await inference.info();
    timings.push({ clickToOverlayMs: performance.now() - clicked, runMs, threads: info.threads, flavor: info.flavor });
    setProgress(null);
  } catch (error) {
    setProgress(null);
    if (!signal.aborted) showError(error);
  } finally {
    running = null;
    $('cancel').hidden = true;
    updateButtons();
  }
}

function cancelRun(): void {
  running?.abort();
}

// The whole displayed series in the background: nearest slices first, resumable from the per-slice masks, then the
// model's 3-D post-processing in the worker; lung volume and per-slice area.
async function segmentDisplayedSeries(): Promise<void> {
  const model = selectedModel();
  if (series === null || model === undefined || seriesJob !== null || running !== null) return;
  const s = series;
  const { rows, columns } = s.slices[0].format;
  if (s.slices.some((x) => x.format.rows !== rows || x.format.columns !== columns)) {
    showError('The slices of this series differ in size: it cannot be segmented as one volume.');
    return;
  }
  const key = `${model.id}|${s.seriesUid}`;
  const controller = new AbortController();
  const job = { controller, key, seriesUid: s.seriesUid, done: 0, total: s.slices.length, retrying: null as RetryNotice | null };
  seriesJob = job;
  updateButtons();
  const started = performance.now();
  let computed = 0;
  let lastCenter = current;
  const setSeriesProgress = (fraction: number | null, text: string) => {
    $('series-progress-row').hidden = fraction === null;
    $('series-progress').classList.toggle('waiting', job.retrying !== null && fraction !== null);
    $('series-progress-fill').style.width = `${Math.round((fraction ?? 0) * 100)}%`;
    $('series-progress-text').textContent = text;
    const li = [...$('series').querySelectorAll<HTMLElement>('li')].find((x) => x.dataset.uid === s.seriesUid);
    let bar = li?.querySelector<HTMLElement>('.bar-mini');
    if (li && !bar) {
      bar = document.createElement('div');
      bar.className = 'bar-mini';
      li.querySelector('div')?.append(bar);
    }
    if (bar) bar.style.width = `${Math.round((fraction ?? 1) * 100)}%`;
  };
  const label = `Series ${s.slices.length} slices`;
  setSeriesProgress(0, `${label}: loading the model…`);
  try {
    await loadModel(model);
    const firstMissing = s.slices.filter((x) => !masks.has(`${model.id}|${x.uid}`)).length;
    const computeStarted = performance.now();
    const labels = await segmentSeries({
      slices: s.slices.length,
      rows,
      cols: columns,
      center: () => (series === s ? (lastCenter = current) : lastCenter),
      fetchFrame: (i) => s.frame(i),
      segment: (i, hu, signal) => inference.segmentSlice(model, hu, rows, columns, (f) => {
        setSeriesProgress((job.done + f) / job.total, progressText(job.done, job.total, computed, computeStarted, firstMissing));
      }, signal),
      cachedMask: (i) => masks.get(`${model.id}|${s.slices[i].uid}`),
      storeMask: (i, mask) => {
        masks.set(`${model.id}|${s.slices[i].uid}`, mask);
        computed++;
        if (series === s && current === i) showMask();
      },
      postprocess: (volume) => {
        setSeriesProgress(1, `${label}: 3-D post-processing…`);
        return inference.postprocessVolume(model, volume, s.slices.length, rows, columns, s.slices[0].geometry?.rowDirection);
      },
      onProgress: (done, total) => {
        job.done = done;
        setSeriesProgress(done / total, progressText(done, total, computed, computeStarted, firstMissing));
      },
      onFetchRetry: (_, notice) => {
        job.retrying = notice;
        setSeriesProgress(job.done / job.total, `PACS unreachable, retrying in ${Math.ceil(notice.delayMs / 1000)} s (attempt ${notice.attempt}); ` +
          `${job.done} / ${job.total} slices done and kept`);
      },
      onFetchRecovered: () => {
        job.retrying = null;
        setSeriesProgress(job.done / job.total, progressText(job.done, job.total, computed, computeStarted, firstMissing));
      },
    }, controller.signal);
    seriesResults.set(key, measureSeries(s, labels, specs.get(model.id)!));
    setSeriesProgress(null, '');
  } catch (error) {
    job.retrying = null;
    setSeriesProgress(null, '');
    const kept = s.slices.filter((x) => masks.has(`${model.id}|${x.uid}`)).length;
    if (!controller.signal.aborted) {
      showError(isTransientPacsError(error) && kept > 0
        ? `${userMessage(error)} The ${kept} slices segmented so far are kept: Segment series resumes from them.`
        : error);
    }
  } finally {
    const info = await inference.info().catch(() => ({ threads: 0, flavor: '' }));
    seriesTimings.push({ totalMs: performance.now() - started, slices: s.slices.length, computed, threads: info.threads, flavor: info.flavor, cancelled: controller.signal.aborted });
    seriesJob = null;
    updateButtons();
    showMask();
  }
}

function progressText(done: number, total: number, computed: number, since: number, toCompute: number): string {
  const elapsed = performance.now() - since;
  const left = computed > 0 ? ((toCompute - computed) * elapsed) / computed / 1000 : null;
  return `Segmenting the series: ${done} / ${total} slices${left === null || left <= 0 ? '' : ` — about ${Math.ceil(left)} s left`}`;
}

function measureSeries(s: SeriesFrames, labels: Uint8Array, spec: SegmentationSpec): SeriesResult {
  const { rows, columns } = s.slices[0].format;
  const pixels = rows * columns;
  const values = spec.splitLeftRight ? [1, 2] : [1];
  const geometries = s.slices.map((x) => x.geometry);
  const voxelMl = sliceVoxelVolumesMl(geometries);
  const g = s.slices[0].geometry;
  const volumes = voxelMl === null ? null : labelVolumes(labels, values, voxelMl);
  const sliceAreasCm2 = g === null ? null : s.slices.map((x, i) => {
    const counts = labelCounts(labels, i * pixels, pixels);
    return values.reduce((sum, v) => sum + counts[v], 0) * (x.geometry ?? g).pixelSpacing[0] * (x.geometry ?? g).pixelSpacing[1] / 100;
  });
  return { labels, pixels, volumes, unevenSpacing: unevenSpacing(geometries), sliceAreasCm2 };
}

$('apply').addEventListener('click', () => void applyDeepLearning());
$('save-pacs').addEventListener('click', () => void saveToPacs());
$('save-retry').addEventListener('click', () => void saveToPacs());
$('seg-close').addEventListener('click', () => {
  segOverlay = null;
  showMask();
});
$('compare-toggle').addEventListener('change', () => showMask());
$('cancel').addEventListener('click', cancelRun);
$('segment-series').addEventListener('click', () => void segmentDisplayedSeries());
$('series-cancel').addEventListener('click', () => seriesJob?.controller.abort());
$('overlay-toggle').addEventListener('change', (e) => {
  viewport.overlayVisible = (e.target as HTMLInputElement).checked;
  viewport.draw();
});
$('overlay-opacity').addEventListener('input', (e) => {
  viewport.overlayOpacity = Number((e.target as HTMLInputElement).value) / 100;
  viewport.draw();
});

// ---- for the end-to-end test (web/test/e2e): read-only state
(globalThis as unknown as { cairnViewer: object }).cairnViewer = {
  state: () => {
    const model = selectedModel();
    const result = series === null || model === undefined ? undefined : seriesResults.get(`${model.id}|${series.seriesUid}`);
    return {
      current,
      drawn,
      slices: series?.slices.length ?? 0,
      instance: series?.slices[current]?.uid,
      series: series?.seriesUid,
      masks: masks.size,
      previews: previews.size,
      workersStarted: inference.workersStarted,
      seriesJob: seriesJob === null ? null : { done: seriesJob.done, total: seriesJob.total, retrying: seriesJob.retrying === null ? null : { attempt: seriesJob.retrying.attempt, delayMs: seriesJob.retrying.delayMs } },
      error: $('error').hidden ? null : $('error-text').textContent,
      volumes: result?.volumes ?? null,
      unevenSpacing: result?.unevenSpacing ?? null,
      sliceAreasCm2: result?.sliceAreasCm2 ?? null,
    };
  },
  overlayMask: () => viewport.overlayMask(),
  // The DICOM SEG: the save's state, the opened SEG's label volume (segment numbers, slices as sliceOrder()).
  saveState: () => {
    const model = selectedModel();
    const save = series === null || model === undefined ? undefined : saves.get(`${model.id}|${series.seriesUid}`);
    return save === undefined ? null : { status: save.status, message: save.message, series: save.seg?.info.series_instance_uid ?? null };
  },
  segOverlay: () => (segOverlay === null ? null : { ctSeries: segOverlay.ctSeriesUid, segSeries: segOverlay.segSeriesUid, info: segOverlay.info, labels: segOverlay.labels }),
  segLabels: () => segOverlay?.labels ?? null,
  seriesList: () => listedSeries?.list.map((x) => ({ uid: str(x, Tag.SeriesInstanceUID), modality: str(x, Tag.Modality) })) ?? [],
  // The model's raw 0/1 mask of slice `index` of the displayed series, and the series' label volume.
  rawMask: (index: number) => (series === null ? null : masks.get(`${selectedModel()?.id}|${series.slices[index].uid}`) ?? null),
  seriesLabels: () => (series === null ? null : seriesResults.get(`${selectedModel()?.id}|${series.seriesUid}`)?.labels ?? null),
  sliceOrder: () => series?.slices.map((x) => x.uid) ?? [],
  spec: () => specs.get(selectedModel()?.id ?? ''),
  timings: () => timings,
  firstPaints: () => firstPaints,
  seriesTimings: () => seriesTimings,
  engine: () => inference.info(),
};

// ---- start
void loadCatalog();
const study = params.get('study');
if (study) void openStudy(study, params.get('series') ?? undefined);
void search();
