// The engine API: create an engine (the right WebAssembly build for this browser), load models from bytes, run them
// with progress and cancellation. Runs happen on the calling thread: in a page, use the inference worker
// (client.ts), which runs this API off the main thread.
import { abortReason, CairnError, errorFromStatus } from './errors.js';
import { chooseFlavor, detectWasmFeatures, type WasmFeatures, type WasmFlavor } from './features.js';
import { maximumPages, WASM_PAGE_BYTES } from './memory_cap.js';
import { CairnModule, THREADED_MEMORY, type WasmSource } from './module.js';
import { browserPoolWorker, WasmThreadPool, type PoolWorkerSpawner } from './thread_pool.js';

export interface TensorInfo {
  name: string;
  shape: number[] | null; // as declared by the model: -1 for a symbolic dimension; null when undeclared
}

export interface Tensor {
  shape: number[];
  data: Float32Array; // C order (NCHW for images)
}

export interface RunOptions {
  // The fraction of the run's FLOPs done: monotonic, at most about 200 calls, the last one with 1.
  onProgress?: (fraction: number) => void;
  // Cancels the run within the current tile; the run then rejects with the signal's reason (an AbortError).
  signal?: AbortSignal;
  // Polled between tiles, for a flag another thread sets (the worker's shared cancel flag): true cancels the run,
  // which then rejects with a CairnError whose code is 'cancelled'.
  shouldCancel?: () => boolean;
}

export interface EngineOptions {
  // The builds on offer; the fastest this WebAssembly implementation validates is used.
  wasm: Partial<Record<WasmFlavor, WasmSource>>;
  // The threaded builds (cairn-<flavor>-mt.wasm), used when threads > 1 and shared memory is available (a
  // cross-origin isolated page or its workers, or Node).
  threadedWasm?: Partial<Record<WasmFlavor, WasmSource>>;
  // Force one build (tests, benchmarks).
  flavor?: WasmFlavor;
  // Threads of a run, the calling thread included (default 1). Without shared memory or a threaded build of the
  // chosen flavor the engine runs on one thread: see `threads` on the engine.
  threads?: number;
  // How to start a pool worker (default: a module Worker on dist/cairn-pool-worker.mjs, next to this bundle).
  spawnPoolWorker?: PoolWorkerSpawner;
  // Bound on what one model may allocate; larger shapes are refused before allocating. Default 2 GiB.
  memoryLimitBytes?: number;
  // The most the engine's WebAssembly memory may grow to (default: the 4 GiB wasm32 addresses; a browser may give
  // less). Past it an allocation fails: a CairnError 'out-of-memory'. Below 4 GiB it stands for a browser with less
  // memory to spare (the viewer's ?memory=MiB, the tests).
  memoryMaximumBytes?: number;
  // Where the module's stdout and stderr lines go (default: the console).
  log?: (fd: 1 | 2, line: string) => void;
}

export interface PreparedModel {
  outputShapes: Record<string, number[]>;
  flops: number; // of one run; a multiply-add counts as two
}

const DEFAULT_MEMORY_LIMIT = 2 ** 31;
const PROGRESS_STEP = 0.005;

export async function createEngine(options: EngineOptions): Promise<CairnEngine> {
  const features = detectWasmFeatures();
  const offered = Object.keys(options.wasm) as WasmFlavor[];
  const flavor = options.flavor ?? chooseFlavor(features, offered);
  if (flavor === null || options.wasm[flavor] === undefined) {
    const why = !features.simd
      ? 'this browser does not support WebAssembly SIMD (Chrome 91, Firefox 89, Safari 16.4 or later do)'
      : `no engine build among [${offered.join(', ')}] runs here`;
    throw new CairnError('no-wasm-support', `Cannot start the Cairn engine: ${why}.`);
  }
  const threads = Math.max(1, Math.floor(options.threads ?? 1));
  const threaded = options.threadedWasm?.[flavor];
  const pages = options.memoryMaximumBytes === undefined ? undefined : maximumPages(options.memoryMaximumBytes);
  const maximumBytes = pages === undefined ? undefined : pages * WASM_PAGE_BYTES;
  if (threads > 1 && features.sharedMemory && threaded !== undefined) {
    if (pages !== undefined && pages < THREADED_MEMORY.initial) {
      throw new CairnError('invalid-argument', `the engine needs at least ${THREADED_MEMORY.initial / 16} MiB of memory to start, above the maximum of ${maximumBytes! / 2 ** 20} MiB`);
    }
    const memory = new WebAssembly.Memory({ ...THREADED_MEMORY, maximum: pages ?? THREADED_MEMORY.maximum });
    const module = await CairnModule.instantiate(threaded, flavor, options.log, memory, maximumBytes ?? THREADED_MEMORY.maximum * WASM_PAGE_BYTES);
    const pool = await WasmThreadPool.start(module, threads - 1, options.spawnPoolWorker ?? browserPoolWorker());
    return new CairnEngine(module, features, options, pool);
  }
  const module = await CairnModule.instantiate(options.wasm[flavor]!, flavor, options.log, undefined, maximumBytes);
  return new CairnEngine(module, features, options, null);
}

export class CairnEngine {
  readonly flavor: WasmFlavor;
  // Threads of a run, the calling thread included.
  readonly threads: number;
  private models = new Set<CairnModel>();
  private disposed = false;

  constructor(
    private readonly module: CairnModule,
    readonly features: WasmFeatures,
    private readonly options: EngineOptions,
    private readonly pool: WasmThreadPool | null,
  ) {
    this.flavor = module.flavor;
    this.threads = 1 + (pool?.size ?? 0);
  }

  // The WebAssembly memory in use, in bytes (it only grows).
  get memoryBytes(): number {
    return this.module.memoryBytes;
  }

  // The most it may grow to.
  get memoryMaximumBytes(): number {
    return this.module.maximumBytes;
  }

  // What an error thrown by a call into the engine means: a trap after a failed allocation becomes a CairnError
  // 'out-of-memory'. After any trap the engine must not be used again.
  explainFailure(error: unknown): unknown {
    return this.module.explain(error);
  }

  // The operator types the engine implements (the loader also removes or folds Constant, Identity, Dropout).
  operators(): string[] {
    return this.module.cString(this.module.exports.cairn_operators()).split(',');
  }

  loadModel(bytes: ArrayBuffer | ArrayBufferView, options: { memoryLimitBytes?: number } = {}): CairnModel {
    if (this.disposed) throw new CairnError('invalid-argument', 'the engine was disposed');
    const m = this.module;
    const data = m.copyIn(bytes);
    const opts = m.malloc(16);
    const out = m.malloc(4);
    try {
      m.exports.cairn_options_init(opts);
      const view = m.view();
      view.setInt32(opts, this.threads, true);
      const limit = options.memoryLimitBytes ?? this.options.memoryLimitBytes ?? DEFAULT_MEMORY_LIMIT;
      view.setBigUint64(opts + 8, BigInt(Math.floor(limit)), true);
      const size = bytes.byteLength;
      m.check(m.exports.cairn_model_create(data, size, opts, out));
      const model = new CairnModel(m, m.view().getUint32(out, true), () => this.models.delete(model));
      this.models.add(model);
      return model;
    } finally {
      m.free(data);
      m.free(opts);
      m.free(out);
    }
  }

  // DICOM SEG (dicom/include/cairn/dicom/seg_c_api.h): the Part-10 SEG of a label volume over the series that
  // `description` (JSON, the C ABI's schema) describes, with what the writer says about it.
  writeSeg(description: string, labels: Uint8Array): { bytes: Uint8Array; info: SegWriteInfo } {
    const m = this.module;
    const e = segExports(m);
    const text = new TextEncoder().encode(description);
    const json = m.copyIn(text);
    const data = m.copyIn(labels);
    const out = m.malloc(12); // uint8_t* bytes, size_t size, char* info
    try {
      m.view().setUint32(out, 0, true);
      m.view().setUint32(out + 8, 0, true);
      checkSeg(m, e.cairn_seg_write(json, text.byteLength, data, labels.byteLength, out, out + 4, out + 8));
      const view = m.view();
      const pointer = view.getUint32(out, true);
      const size = view.getUint32(out + 4, true);
      const infoPointer = view.getUint32(out + 8, true);
      const bytes = m.u8().slice(pointer, pointer + size);
      const info = JSON.parse(m.cString(infoPointer)) as SegWriteInfo;
      e.cairn_seg_free(pointer);
      e.cairn_seg_free(infoPointer);
      return { bytes, info };
    } finally {
      m.free(json);
      m.free(data);
      m.free(out);
    }
  }

  // What a SEG file says about itself: segments, the series it references, its size.
  segInfo(seg: Uint8Array): SegInfo {
    const m = this.module;
    const e = segExports(m);
    const data = m.copyIn(seg);
    const out = m.malloc(4);
    try {
      m.view().setUint32(out, 0, true);
      checkSeg(m, e.cairn_seg_info(data, seg.byteLength, out));
      const infoPointer = m.view().getUint32(out, true);
      const info = JSON.parse(m.cString(infoPointer)) as SegInfo;
      e.cairn_seg_free(infoPointer);
      return info;
    } finally {
      m.free(data);
      m.free(out);
    }
  }

  // The SEG's label volume on the series `description` describes (slices*rows*cols, each voxel the number of the
  // segment covering it, 0 elsewhere).
  readSeg(seg: Uint8Array, description: string, voxels: number): { labels: Uint8Array; placedFrames: number } {
    const m = this.module;
    const e = segExports(m);
    const text = new TextEncoder().encode(description);
    const data = m.copyIn(seg);
    const json = m.copyIn(text);
    const labels = m.malloc(voxels);
    const placed = m.malloc(4);
    try {
      checkSeg(m, e.cairn_seg_read(data, seg.byteLength, json, text.byteLength, labels, voxels, placed));
      return { labels: m.u8().slice(labels, labels + voxels), placedFrames: m.view().getInt32(placed, true) };
    } finally {
      m.free(data);
      m.free(json);
      m.free(labels);
      m.free(placed);
    }
  }

  // An RT Structure Set rasterized onto the series `description` describes (geometry needed): labels 1, 2, ... for
  // the ROIs the description's "rois" names, else 1 right and 2 left lung.
  readRtstruct(rtstruct: Uint8Array, description: string, voxels: number): { labels: Uint8Array; info: RtStructInfo } {
    const m = this.module;
    const e = segExports(m);
    const text = new TextEncoder().encode(description);
    const data = m.copyIn(rtstruct);
    const json = m.copyIn(text);
    const labels = m.malloc(voxels);
    const out = m.malloc(4);
    try {
      m.view().setUint32(out, 0, true);
      checkSeg(m, e.cairn_rtstruct_read(data, rtstruct.byteLength, json, text.byteLength, labels, voxels, out));
      const infoPointer = m.view().getUint32(out, true);
      const info = JSON.parse(m.cString(infoPointer)) as RtStructInfo;
      e.cairn_seg_free(infoPointer);
      return { labels: m.u8().slice(labels, labels + voxels), info };
    } finally {
      m.free(data);
      m.free(json);
      m.free(labels);
      m.free(out);
    }
  }

  dispose(): void {
    for (const model of [...this.models]) model.dispose();
    this.pool?.terminate();
    this.disposed = true;
  }
}

export class CairnModel {
  readonly inputs: TensorInfo[];
  readonly outputs: TensorInfo[];
  private prepared: { key: string; outputShapes: number[][]; flops: number } | null = null;
  private running = false;
  private segmenters = new Set<CairnSegmenter>();

  constructor(
    private readonly module: CairnModule,
    private handle: number,
    private readonly onDispose: () => void,
  ) {
    const e = module.exports;
    const describe = (count: number, name: (i: number) => number, shape: (i: number, d: number, c: number) => number) =>
      Array.from({ length: count }, (_, i) => ({
        name: module.cString(name(i)),
        shape: module.readShape((d, c) => shape(i, d, c)),
      }));
    this.inputs = describe(
      e.cairn_model_input_count(handle),
      (i) => e.cairn_model_input_name(handle, i),
      (i, d, c) => e.cairn_model_input_shape(handle, i, d, c),
    );
    this.outputs = describe(
      e.cairn_model_output_count(handle),
      (i) => e.cairn_model_output_name(handle, i),
      (i, d, c) => e.cairn_model_output_shape(handle, i, d, c),
    );
  }

  // Plans the model for these input shapes (by input name; all inputs). Done by run() when the shapes change.
  prepare(shapes: Record<string, number[]>): PreparedModel {
    const m = this.live();
    const ordered = this.inputs.map((input) => {
      const shape = shapes[input.name];
      if (shape === undefined) throw new CairnError('invalid-argument', `no shape for input '${input.name}'`);
      return shape;
    });
    const key = JSON.stringify(ordered);
    if (this.prepared?.key !== key) {
      this.prepared = null;
      const ranks = m.malloc(4 * Math.max(1, ordered.length));
      const dims = m.malloc(8 * Math.max(1, ordered.flat().length));
      try {
        const view = m.view();
        let next = 0;
        ordered.forEach((shape, i) => {
          view.setInt32(ranks + 4 * i, shape.length, true);
          for (const d of shape) view.setBigInt64(dims + 8 * next++, BigInt(d), true);
        });
        m.check(m.exports.cairn_model_prepare(this.handle, ranks, dims));
      } finally {
        m.free(ranks);
        m.free(dims);
      }
      const outputShapes = this.outputs.map(
        (_, i) => m.readShape((d, c) => m.exports.cairn_model_prepared_output_shape(this.handle, i, d, c))!,
      );
      // Room for the run's own allocations (its copy of the outputs), so that the run does not grow the memory.
      const outputBytes = outputShapes.reduce((sum, s) => sum + 4 * elementCount(s), 0);
      m.reserve(2 * outputBytes + (1 << 20));
      this.prepared = { key, outputShapes, flops: m.exports.cairn_model_prepared_flops(this.handle) };
    }
    return {
      outputShapes: Object.fromEntries(this.outputs.map((o, i) => [o.name, this.prepared!.outputShapes[i]])),
      flops: this.prepared.flops,
    };
  }

  async run(inputs: Record<string, Tensor>, options: RunOptions = {}): Promise<Record<string, Tensor>> {
    return this.runSync(inputs, options);
  }

  // The same as run(), returning when done: the calling thread is busy meanwhile.
  runSync(inputs: Record<string, Tensor>, options: RunOptions = {}): Record<string, Tensor> {
    const m = this.live();
    const { signal } = options;
    if (signal?.aborted) throw abortReason(signal);
    if (this.running) throw new CairnError('invalid-argument', 'this model is already running');
    for (const name of Object.keys(inputs)) {
      if (!this.inputs.some((i) => i.name === name)) {
        throw new CairnError('invalid-argument', `the model has no input named '${name}'`);
      }
    }
    const shapes: Record<string, number[]> = {};
    for (const input of this.inputs) {
      const tensor = inputs[input.name];
      if (tensor === undefined) throw new CairnError('invalid-argument', `input '${input.name}' is missing`);
      if (tensor.data.length !== elementCount(tensor.shape)) {
        throw new CairnError(
          'invalid-argument',
          `input '${input.name}' has ${tensor.data.length} values for shape ${tensor.shape.join('x')}`,
        );
      }
      shapes[input.name] = tensor.shape;
    }
    this.prepare(shapes);
    const outputShapes = this.prepared!.outputShapes;

    const allocations: number[] = [];
    const alloc = (bytes: number) => {
      const p = m.malloc(bytes);
      allocations.push(p);
      return p;
    };
    this.running = true;
    try {
      const inputTable = alloc(4 * Math.max(1, this.inputs.length));
      const outputTable = alloc(4 * Math.max(1, this.outputs.length));
      const inputPointers = this.inputs.map((input) => {
        const data = inputs[input.name].data;
        const p = alloc(data.byteLength);
        new Float32Array(m.memory.buffer, p, data.length).set(data);
        return p;
      });
      const outputPointers = outputShapes.map((shape) => alloc(4 * elementCount(shape)));
      const view = m.view();
      inputPointers.forEach((p, i) => view.setUint32(inputTable + 4 * i, p, true));
      outputPointers.forEach((p, i) => view.setUint32(outputTable + 4 * i, p, true));

      const progress = installProgress(m, options);
      const status = m.exports.cairn_model_run(this.handle, inputTable, outputTable, progress, 0, 0);
      if (status === 5 && signal?.aborted) throw abortReason(signal);
      m.check(status);

      const results: Record<string, Tensor> = {};
      const buffer = m.memory.buffer;
      this.outputs.forEach((output, i) => {
        const shape = outputShapes[i];
        const data = new Float32Array(buffer, outputPointers[i], elementCount(shape)).slice();
        results[output.name] = { shape: [...shape], data };
      });
      return results;
    } finally {
      m.onProgress = null;
      this.running = false;
      for (const p of allocations) m.free(p);
    }
  }

  // The model's ONNX metadata_props (a repeated key keeps its last value).
  metadata(): Record<string, string> {
    const m = this.live();
    return JSON.parse(m.cString(segmentationExports(m).cairn_model_metadata_json(this.handle))) as Record<string, string>;
  }

  // A segmenter as the model's cairn.* metadata describes it (engine/include/cairn/segmentation.hpp): the C++
  // pre- and post-processing the CLI uses too. It prepares the model for its own input size.
  createSegmenter(): CairnSegmenter {
    const m = this.live();
    if (this.running) throw new CairnError('invalid-argument', 'this model is running');
    const e = segmentationExports(m);
    const out = m.malloc(4);
    try {
      this.prepared = null; // the segmenter prepares the model for its input size
      m.check(e.cairn_segmenter_create(this.handle, out));
      const handle = m.view().getUint32(out, true);
      const segmenter = new CairnSegmenter(m, handle, this.outputBytesAtInput.bind(this), () => this.segmenters.delete(segmenter));
      this.segmenters.add(segmenter);
      return segmenter;
    } finally {
      m.free(out);
    }
  }

  // Bytes of the model's outputs at a 1x1xHxW input, what a segmenter's run allocates besides its slice buffers.
  private outputBytesAtInput(height: number, width: number): number {
    return 4 * this.outputs.length * height * width;
  }

  dispose(): void {
    if (this.handle === 0) return;
    for (const segmenter of [...this.segmenters]) segmenter.dispose();
    this.module.exports.cairn_model_free(this.handle);
    this.handle = 0;
    this.onDispose();
  }

  private live(): CairnModule {
    if (this.handle === 0) throw new CairnError('invalid-argument', 'the model was disposed');
    return this.module;
  }
}

// What the model's metadata says about segmentation (cairn_segmenter_spec_json, docs/model-metadata.md).
export interface SegmentationLabel {
  value: number; // the mask value: 1 right, 2 left, 255 both (unsplit) when the model splits; else 1
  name: string;
  snomed: string; // SNOMED CT concept id, '' when none
  meaning: string;
  color: [number, number, number]; // sRGB
}

export interface SegmentationSpec {
  name: string;
  version: string;
  description: string;
  modality: string;
  huClip: [number, number];
  center: number; // network input x = (clamp(HU, huClip) - center) / scale
  scale: number;
  inputSize: [number, number]; // [height, width]
  resample: string;
  activation: string;
  threshold: number;
  outputResample: string;
  components: number; // largest 3-D components kept (0: all)
  fillHoles: boolean;
  splitLeftRight: boolean;
  unionLabel: number; // the value of a segmentSlice mask's foreground label (255 when split, else 1)
  labels: SegmentationLabel[];
}

export function parseSegmentationSpec(json: string): SegmentationSpec {
  const o = JSON.parse(json) as Record<string, unknown>;
  const labels = (o.labels as Record<string, unknown>[]).map((l) => ({
    value: l.value as number,
    name: l.name as string,
    snomed: (l.snomed as string) ?? '',
    meaning: (l.meaning as string) ?? '',
    color: l.color as [number, number, number],
  }));
  return {
    name: o.name as string,
    version: o.version as string,
    description: o.description as string,
    modality: o.modality as string,
    huClip: o.hu_clip as [number, number],
    center: o.center as number,
    scale: o.scale as number,
    inputSize: o.input_size as [number, number],
    resample: o.resample as string,
    activation: o.activation as string,
    threshold: o.threshold as number,
    outputResample: o.output_resample as string,
    components: o.components as number,
    fillHoles: o.fill_holes as boolean,
    splitLeftRight: o.split_left_right as boolean,
    unionLabel: o.union_label as number,
    labels,
  };
}

export interface SegmentOptions extends RunOptions {
  probability?: boolean; // also return the foreground probability at slice size
}

export interface SliceSegmentation {
  mask: Uint8Array; // rows*cols, 1 inside (the union label), before post-processing
  probability?: Float32Array; // rows*cols, before thresholding
}

// Runs a segmentation model on CT slices and post-processes masks, all in C++ (cairn_segment_slice,
// cairn_postprocess_volume). Uses its model: dispose it before the model (the model's dispose does).
export class CairnSegmenter {
  readonly spec: SegmentationSpec;
  private running = false;

  constructor(
    private readonly module: CairnModule,
    private handle: number,
    private readonly outputBytes: (height: number, width: number) => number,
    private readonly onDispose: () => void,
  ) {
    this.spec = parseSegmentationSpec(module.cString(segmentationExports(module).cairn_segmenter_spec_json(handle)));
  }

  // hu: rows*cols Hounsfield units, row-major. The calling thread is busy until it returns.
  segmentSlice(hu: Float32Array, rows: number, cols: number, options: SegmentOptions = {}): SliceSegmentation {
    const m = this.live();
    const e = segmentationExports(m);
    if (options.signal?.aborted) throw abortReason(options.signal);
    if (!(Number.isInteger(rows) && Number.isInteger(cols) && rows > 0 && cols > 0) || hu.length !== rows * cols) {
      throw new CairnError('invalid-argument', `the slice has ${hu.length} values for ${rows}x${cols}`);
    }
    if (this.running) throw new CairnError('invalid-argument', 'this segmenter is already running');
    const pixels = rows * cols;
    const allocations: number[] = [];
    const alloc = (bytes: number) => {
      const p = m.malloc(bytes);
      allocations.push(p);
      return p;
    };
    this.running = true;
    try {
      const huPointer = alloc(4 * pixels);
      new Float32Array(m.memory.buffer, huPointer, pixels).set(hu);
      const maskPointer = alloc(pixels);
      const probabilityPointer = options.probability ? alloc(4 * pixels) : 0;
      // The run's own allocations (network input and output, probability and mask at slice size), made room for
      // now so that the run does not grow the memory.
      const [h, w] = this.spec.inputSize;
      m.reserve(2 * (8 * h * w + this.outputBytes(h, w) + 5 * pixels) + (1 << 20));
      const progress = installProgress(m, options);
      const status = e.cairn_segment_slice(this.handle, huPointer, rows, cols, progress, 0, 0, maskPointer, probabilityPointer);
      if (status === 5 && options.signal?.aborted) throw abortReason(options.signal);
      m.check(status);
      const buffer = m.memory.buffer;
      return {
        mask: new Uint8Array(buffer, maskPointer, pixels).slice(),
        probability: probabilityPointer === 0 ? undefined : new Float32Array(buffer, probabilityPointer, pixels).slice(),
      };
    } finally {
      m.onProgress = null;
      this.running = false;
      for (const p of allocations) m.free(p);
    }
  }

  // 3-D post-processing of a slices*rows*cols volume of segmentSlice masks, slices in order along their normal:
  // returns the label volume (1 right, 2 left when the model splits; else 1). rowDirection: the slices' row
  // direction cosines (ImageOrientationPatient[0..2]); omitted: the standard axial orientation.
  postprocessVolume(mask: Uint8Array, slices: number, rows: number, cols: number, rowDirection?: readonly number[]): Uint8Array {
    return this.postprocess(mask, slices, rows, cols, rowDirection, false);
  }

  // The same steps on one slice alone (2-D components): a preview before the whole series is segmented.
  postprocessSlice(mask: Uint8Array, rows: number, cols: number, rowDirection?: readonly number[]): Uint8Array {
    return this.postprocess(mask, 1, rows, cols, rowDirection, true);
  }

  dispose(): void {
    if (this.handle === 0) return;
    segmentationExports(this.module).cairn_segmenter_free(this.handle);
    this.handle = 0;
    this.onDispose();
  }

  private postprocess(mask: Uint8Array, slices: number, rows: number, cols: number, rowDirection: readonly number[] | undefined, slice: boolean): Uint8Array {
    const m = this.live();
    const e = segmentationExports(m);
    if (mask.length !== slices * rows * cols) {
      throw new CairnError('invalid-argument', `the mask has ${mask.length} values for ${slices}x${rows}x${cols}`);
    }
    if (rowDirection !== undefined && rowDirection.length !== 3) throw new CairnError('invalid-argument', 'the row direction has 3 numbers');
    const maskPointer = m.copyIn(mask);
    const directionPointer = rowDirection === undefined ? 0 : m.copyIn(Float64Array.from(rowDirection));
    try {
      m.check(
        slice
          ? e.cairn_postprocess_slice(this.handle, maskPointer, rows, cols, directionPointer)
          : e.cairn_postprocess_volume(this.handle, maskPointer, slices, rows, cols, directionPointer),
      );
      return new Uint8Array(m.memory.buffer, maskPointer, mask.length).slice();
    } finally {
      m.free(maskPointer);
      m.free(directionPointer);
    }
  }

  private live(): CairnModule {
    if (this.handle === 0) throw new CairnError('invalid-argument', 'the segmenter was disposed');
    return this.module;
  }
}

// The segmentation part of the C ABI (cairn.h), absent from engine builds that predate it.
interface SegmentationExports {
  cairn_model_metadata_json(model: number): number;
  cairn_segmenter_create(model: number, segmenter: number): number;
  cairn_segmenter_free(segmenter: number): void;
  cairn_segmenter_spec_json(segmenter: number): number;
  cairn_segment_slice(segmenter: number, hu: number, rows: number, cols: number, progress: number, user: number, cancel: number, mask: number, probability: number): number;
  cairn_postprocess_volume(segmenter: number, mask: number, slices: number, rows: number, cols: number, rowDirection: number): number;
  cairn_postprocess_slice(segmenter: number, mask: number, rows: number, cols: number, rowDirection: number): number;
}

function segmentationExports(m: CairnModule): SegmentationExports {
  const e = m.exports as unknown as Partial<SegmentationExports>;
  if (typeof e.cairn_segmenter_create !== 'function' || typeof e.cairn_postprocess_volume !== 'function') {
    throw new CairnError('unsupported', 'this engine build has no segmentation functions: rebuild the WebAssembly modules (cmake --build build/wasm-simd, build/wasm-relaxed)');
  }
  return e as SegmentationExports;
}

export interface SegWriteInfo {
  sop_instance_uid: string;
  series_instance_uid: string;
  frames: number;
  frames_per_segment: number[];
  warnings: string[];
}

export interface SegSegmentInfo {
  number: number;
  label: string;
  algorithm: string;
  snomed?: string;
  scheme?: string;
  meaning?: string;
  color?: [number, number, number];
}

export interface SegInfo {
  sop_instance_uid: string;
  series_instance_uid: string;
  study_instance_uid: string;
  frame_of_reference_uid: string;
  referenced_series_instance_uid: string;
  segmentation_type: string;
  series_description: string;
  rows: number;
  columns: number;
  frames: number;
  segments: SegSegmentInfo[];
}

export interface RtStructInfo {
  frame_of_reference_uid: string;
  rois: { value: number; name: string; contours: number; unmatched: number }[];
  all_rois: string[];
}

// The DICOM SEG part of the C ABI (seg_c_api.h), absent from builds that do not link cairn_seg_c_api.
interface SegExports {
  cairn_seg_last_error(): number;
  cairn_seg_write(json: number, jsonSize: number, labels: number, labelsSize: number, bytes: number, size: number, info: number): number;
  cairn_seg_info(bytes: number, size: number, info: number): number;
  cairn_seg_read(bytes: number, size: number, json: number, jsonSize: number, labels: number, labelsSize: number, placed: number): number;
  cairn_seg_free(pointer: number): void;
  cairn_rtstruct_read(bytes: number, size: number, json: number, jsonSize: number, labels: number, labelsSize: number, info: number): number;
}

function segExports(m: CairnModule): SegExports {
  const e = m.exports as unknown as Partial<SegExports>;
  if (typeof e.cairn_seg_write !== 'function' || typeof e.cairn_seg_read !== 'function') {
    throw new CairnError('unsupported', 'this engine build has no DICOM SEG functions: rebuild the WebAssembly modules (cmake --build build/wasm-simd, build/wasm-relaxed)');
  }
  return e as SegExports;
}

function checkSeg(m: CairnModule, status: number): void {
  if (status !== 0) throw errorFromStatus(status, m.cString(segExports(m).cairn_seg_last_error()));
}

// Routes the module's progress calls to a run's options; returns the progress function pointer to pass to the run
// (0: none wanted). The caller clears m.onProgress afterwards.
function installProgress(m: CairnModule, options: RunOptions): number {
  const { signal, onProgress, shouldCancel } = options;
  let last = -1;
  m.onProgress = (fraction) => {
    if (signal?.aborted || shouldCancel?.()) return true;
    if (onProgress && (fraction >= last + PROGRESS_STEP || (fraction === 1 && last < 1))) {
      last = fraction;
      onProgress(fraction);
    }
    return signal?.aborted === true;
  };
  return onProgress || signal || shouldCancel ? m.exports.cairn_host_progress() : 0;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
