// The viewer page: wires the DICOMweb client, the series' frames, the viewport and the inference service to the
// DOM. Logic lives in the modules next to this one; this file only reacts to events and shows state.
import simdWasm from '../../../build/wasm-simd/cairn-simd.wasm?url';
import simdWasmMt from '../../../build/wasm-simd/cairn-simd-mt.wasm?url';
import relaxedWasm from '../../../build/wasm-relaxed/cairn-relaxed.wasm?url';
import relaxedWasmMt from '../../../build/wasm-relaxed/cairn-relaxed-mt.wasm?url';
import { parseCatalog, type CatalogModel } from './catalog.js';
import { type DicomJson, Tag, formatDate, num, str } from './dicom_json.js';
import { DicomWebClient, DicomWebError } from './dicomweb.js';
import { formatPatientPosition, patientPosition, pixelAreaCm2 } from './geometry.js';
import { InferenceService, timeLeftSeconds } from './inference.js';
import { userMessage } from './messages.js';
import { checkCtSeries, WINDOW_PRESETS, type Window } from './pixels.js';
import { maskArea, maskFromOutput, modelInput } from './preprocess.js';
import { SeriesFrames } from './series_frames.js';
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
  Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1)),
);

let series: SeriesFrames | null = null;
let seriesInfo: DicomJson | null = null;
let current = 0;
let models: CatalogModel[] = [];
const masks = new Map<string, Uint8Array>(); // `${model}|${instance}` -> mask at the slice's size
let running: AbortController | null = null;
const timings: { clickToOverlayMs: number; runMs: number; threads: number; flavor: string }[] = [];

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
  list.sort((a, b) => (num(a, Tag.SeriesNumber) ?? 0) - (num(b, Tag.SeriesNumber) ?? 0));
  const ul = $('series');
  ul.replaceChildren(
    ...list.map((s) => {
      const uid = str(s, Tag.SeriesInstanceUID);
      const li = document.createElement('li');
      li.dataset.uid = uid;
      const img = document.createElement('img');
      img.alt = '';
      const text = document.createElement('div');
      text.textContent = `${str(s, Tag.Modality)} #${str(s, Tag.SeriesNumber)} ${str(s, Tag.SeriesDescription)}\n${str(s, Tag.NumberOfSeriesRelatedInstances)} images`;
      text.className = 'muted';
      li.append(img, text);
      li.addEventListener('click', () => void openSeries(studyUid, s));
      void thumbnail(studyUid, uid, img);
      return li;
    }),
  );
  const first = list.find((s) => str(s, Tag.SeriesInstanceUID) === seriesUid) ?? list.find((s) => str(s, Tag.Modality) === 'CT') ?? list[0];
  await openSeries(studyUid, first);
}

// WADO-RS rendered middle instance; thumbnails are best effort (no error banner).
async function thumbnail(studyUid: string, seriesUid: string, img: HTMLImageElement): Promise<void> {
  try {
    const instances = await client.seriesMetadata(studyUid, seriesUid);
    if (instances.length === 0) return;
    const middle = instances[Math.floor(instances.length / 2)];
    const blob = await client.renderedThumbnail(studyUid, seriesUid, str(middle, Tag.SOPInstanceUID));
    img.src = URL.createObjectURL(blob);
  } catch {
    img.alt = 'no preview';
  }
}

async function openSeries(studyUid: string, s: DicomJson): Promise<void> {
  const seriesUid = str(s, Tag.SeriesInstanceUID);
  let metadata: DicomJson[];
  try {
    metadata = await client.seriesMetadata(studyUid, seriesUid);
    if (metadata.length === 0) throw new DicomWebError('not-found', 'The series has no instances.');
    checkCtSeries(str(s, Tag.Modality) || str(metadata[0], Tag.Modality), metadata[0]);
    const opened = new SeriesFrames(client, studyUid, seriesUid, metadata);
    cancelRun();
    series = opened;
    seriesInfo = metadata[0];
  } catch (error) {
    showError(error);
    return;
  }
  for (const li of $('series').querySelectorAll('li')) li.classList.toggle('selected', li.dataset.uid === seriesUid);
  const url = new URL(location.href);
  url.searchParams.set('series', seriesUid);
  history.replaceState(null, '', url);
  $('placeholder').hidden = true;
  const slider = $<HTMLInputElement>('slice-slider');
  slider.max = String(series.slices.length - 1);
  const w = { center: num(seriesInfo, Tag.WindowCenter), width: num(seriesInfo, Tag.WindowWidth) };
  viewport.setWindow(w.center !== undefined && w.width !== undefined ? { center: w.center, width: w.width } : WINDOW_PRESETS.lung);
  showSeriesInfo();
  await showSlice(Math.floor(series.slices.length / 2));
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
  showMask();
}

function showMask(): void {
  const key = maskKey();
  const mask = key === null ? undefined : masks.get(key);
  viewport.setMask(mask ?? null);
  if (mask !== undefined && series !== null) {
    const g = series.slices[current].geometry;
    const pixels = maskArea(mask);
    $('area').textContent = g ? `Lung area on this slice: ${(pixels * pixelAreaCm2(g)).toFixed(1)} cm²` : `${pixels} pixels (no pixel spacing)`;
  } else $('area').textContent = '';
}

function maskKey(): string | null {
  const model = selectedModel();
  return series === null || model === undefined ? null : `${model.id}|${series.slices[current].uid}`;
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
      option.textContent = m.development ? `${m.name} (untrained development model)` : m.name;
      return option;
    }),
  );
  showModelCard();
}

function selectedModel(): CatalogModel | undefined {
  return models.find((m) => m.id === $<HTMLSelectElement>('model').value);
}

function showModelCard(): void {
  const m = selectedModel();
  $<HTMLButtonElement>('apply').disabled = m === undefined;
  $('dev-warning').hidden = !m?.development;
  if (m === undefined) {
    $('card').textContent = models.length === 0 ? 'No model available.' : '';
    return;
  }
  const p = m.preprocessing;
  $('card').textContent = [
    `${m.name}${m.development ? ' — untrained development model' : ''}: ${m.description}`,
    `${m.task}${m.parameters ? `, ${m.parameters.toLocaleString('en')} parameters` : ''}; input ${p.inputSize.join('×')}, HU clipped to [${p.huClip.join(', ')}], threshold ${p.threshold}`,
    ...m.problems.map((problem) => `catalog problem (default used): ${problem}`),
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

function setProgress(fraction: number | null, text = ''): void {
  $('progress').hidden = fraction === null;
  $('progress-fill').style.width = `${Math.round((fraction ?? 0) * 100)}%`;
  $('progress-text').textContent = text;
}

async function applyDeepLearning(): Promise<void> {
  const model = selectedModel();
  if (series === null || model === undefined || running !== null) return;
  const s = series;
  const index = current;
  const slice = s.slices[index];
  const key = `${model.id}|${slice.uid}`;
  const clicked = performance.now();
  running = new AbortController();
  const signal = running.signal;
  $<HTMLButtonElement>('apply').disabled = true;
  $('cancel').hidden = false;
  setProgress(0, 'Loading the model…');
  try {
    const hu = await s.frame(index);
    const input = modelInput(hu, slice.format.rows, slice.format.columns, model.preprocessing);
    lastInput = { shape: input.shape, data: input.data.slice() };
    await inference.load(model);
    const started = performance.now();
    setProgress(0, '0 %');
    const output = await inference.run(model, input, (f) => {
      const left = timeLeftSeconds(f, performance.now() - started);
      setProgress(f, `${Math.floor(f * 100)} %${left === null ? '' : ` — about ${Math.ceil(left)} s left`}`);
    }, signal);
    const runMs = performance.now() - started;
    lastOutput = output.slice();
    masks.set(key, maskFromOutput(output, model.preprocessing, slice.format.rows, slice.format.columns));
    if (series === s && current === index) showMask();
    const info = await inference.info();
    timings.push({ clickToOverlayMs: performance.now() - clicked, runMs, threads: info.threads, flavor: info.flavor });
    setProgress(null);
  } catch (error) {
    setProgress(null);
    if (!signal.aborted) showError(error);
  } finally {
    running = null;
    $<HTMLButtonElement>('apply').disabled = selectedModel() === undefined;
    $('cancel').hidden = true;
  }
}
let lastInput: { shape: number[]; data: Float32Array } | null = null;
let lastOutput: Float32Array | null = null;

function cancelRun(): void {
  running?.abort();
}
$('apply').addEventListener('click', () => void applyDeepLearning());
$('cancel').addEventListener('click', cancelRun);
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
  state: () => ({ current, slices: series?.slices.length ?? 0, instance: series?.slices[current]?.uid, masks: masks.size }),
  overlayMask: () => viewport.overlayMask(),
  lastInput: () => lastInput,
  lastOutput: () => lastOutput,
  timings: () => timings,
  engine: () => inference.info(),
};

// ---- start
void loadCatalog();
const study = params.get('study');
if (study) void openStudy(study, params.get('series') ?? undefined);
void search();
