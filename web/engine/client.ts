// The page's side of the inference worker: typed requests, progress, results, and cancellation by AbortSignal.
// Cancelling a running computation needs shared memory (a cross-origin isolated page): the page sets a shared flag
// the worker polls between tiles. Without it the worker cannot hear anything until the run ends, so the client
// terminates it: the run is rejected at once, and the client must be started again (and the model reloaded).
import { abortReason, CairnError } from './errors.js';
import type { RtStructInfo, SegInfo, SegmentationSpec, SegWriteInfo, Tensor, TensorInfo } from './engine.js';
import type { WasmFlavor } from './features.js';
import type { WasmSource } from './module.js';
import { buffersOf, ownBuffer, type WireTensor, type WorkerRequest, type WorkerResponse } from './protocol.js';

// A Worker, or an adapter for Node's worker_threads.
export interface WorkerLike {
  postMessage(message: WorkerRequest, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: WorkerResponse }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void; // uncaught in the worker
  terminate(): void;
}

export interface ClientRunOptions {
  onProgress?: (fraction: number) => void;
  signal?: AbortSignal;
}

interface Pending {
  resolve(message: WorkerResponse): void;
  reject(error: unknown): void;
  onProgress?: (fraction: number) => void;
}

export interface RemoteModel {
  id: number;
  inputs: TensorInfo[];
  outputs: TensorInfo[];
}

export interface RemoteSegmenter {
  id: number;
  modelId: number;
  spec: SegmentationSpec;
}

export interface ClientSegmentOptions extends ClientRunOptions {
  probability?: boolean; // also return the foreground probability at slice size
}

export class InferenceClient {
  readonly flavor: WasmFlavor;
  readonly threads: number;
  lastMemoryBytes = 0;
  private stoppedReason: string | null = null;

  private constructor(
    private readonly worker: WorkerLike,
    private readonly pending: Map<number, Pending>,
    private nextId: number,
    ready: Extract<WorkerResponse, { type: 'ready' }>,
  ) {
    this.flavor = ready.flavor;
    this.threads = ready.threads;
  }

  static async start(
    worker: WorkerLike,
    init: {
      wasm: Partial<Record<WasmFlavor, WasmSource>>;
      threadedWasm?: Partial<Record<WasmFlavor, WasmSource>>;
      threads?: number;
      flavor?: WasmFlavor;
      memoryLimitBytes?: number;
      memoryMaximumBytes?: number;
    },
  ): Promise<InferenceClient> {
    const pending = new Map<number, Pending>();
    let client: InferenceClient | null = null;
    let failedEarly: string | null = null; // a fatal failure before the client existed
    // A worker that cannot go on: stopped, and every request pending or to come rejected.
    const halt = (reason: string) => {
      if (client !== null) return client.stop(reason);
      failedEarly ??= reason;
      worker.terminate();
      const error = new CairnError('worker-failed', reason);
      for (const entry of pending.values()) entry.reject(error);
      pending.clear();
    };
    worker.addEventListener('message', ({ data }) => {
      const entry = pending.get(data.id);
      if (entry === undefined) return;
      if (data.type === 'progress') {
        entry.onProgress?.(data.fraction);
        return;
      }
      pending.delete(data.id);
      if (data.type === 'error') {
        entry.reject(new CairnError(data.code === 'internal' ? 'worker-failed' : data.code, data.message, data.memory));
        if (data.fatal) {
          halt(data.code === 'out-of-memory'
            ? `the inference worker was stopped to free the memory it held after running out of it (${data.message})`
            : `the inference worker was stopped after its engine failed (${data.message})`);
        }
      } else entry.resolve(data);
    });
    // An exception nothing in the worker caught, or a worker script that could not load: its state is unknown.
    worker.addEventListener('error', (event) => halt(`the inference worker failed: ${event.message || 'unknown error'}`));
    const ready = await new Promise<WorkerResponse>((resolve, reject) => {
      pending.set(0, { resolve, reject });
      worker.postMessage({ type: 'init', id: 0, ...init }, []);
    });
    client = new InferenceClient(worker, pending, 1, ready as Extract<WorkerResponse, { type: 'ready' }>);
    if (failedEarly !== null) client.stop(failedEarly);
    return client;
  }

  // Whether the worker was stopped (terminate(), a cancel without shared memory, a fatal failure): every request
  // then fails, and a new client is needed.
  get stopped(): boolean {
    return this.stoppedReason !== null;
  }

  // Why, once stopped.
  get stopReason(): string | null {
    return this.stoppedReason;
  }

  // The bytes are transferred to the worker: `model` is detached afterwards.
  async loadModel(model: ArrayBuffer): Promise<RemoteModel> {
    const loaded = (await this.request({ type: 'load', id: this.nextId++, model }, [model])) as Extract<
      WorkerResponse,
      { type: 'loaded' }
    >;
    return { id: loaded.modelId, inputs: loaded.inputs, outputs: loaded.outputs };
  }

  // The inputs' buffers are transferred when a tensor spans its whole buffer (then detached here), copied otherwise.
  async run(model: RemoteModel, inputs: Record<string, Tensor>, options: ClientRunOptions = {}): Promise<Record<string, Tensor>> {
    const wire: WireTensor[] = Object.entries(inputs).map(([name, t]) => ({ name, shape: t.shape, data: ownBuffer(t.data) }));
    const result = (await this.cancellable(options, (id, cancelFlag) => [
      { type: 'run', id, modelId: model.id, inputs: wire, cancelFlag },
      buffersOf(wire),
    ])) as Extract<WorkerResponse, { type: 'result' }>;
    this.lastMemoryBytes = result.memoryBytes;
    return Object.fromEntries(result.outputs.map((t) => [t.name, { shape: t.shape, data: new Float32Array(t.data) }]));
  }

  // The model's ONNX metadata_props.
  async metadata(model: RemoteModel): Promise<Record<string, string>> {
    const answer = (await this.request({ type: 'metadata', id: this.nextId++, modelId: model.id }, [])) as Extract<WorkerResponse, { type: 'metadata' }>;
    return answer.metadata;
  }

  // A segmenter as the model's cairn.* metadata describes it; fails with the missing or bad key.
  async createSegmenter(model: RemoteModel): Promise<RemoteSegmenter> {
    const answer = (await this.request({ type: 'segmenter', id: this.nextId++, modelId: model.id }, [])) as Extract<WorkerResponse, { type: 'segmenter' }>;
    return { id: answer.segmenterId, modelId: model.id, spec: answer.spec };
  }

  // One slice in HU (rows*cols) -> its 0/1 mask, in the worker. hu's buffer is transferred when hu spans all of it.
  async segmentSlice(
    segmenter: RemoteSegmenter,
    hu: Float32Array,
    rows: number,
    cols: number,
    options: ClientSegmentOptions = {},
  ): Promise<{ mask: Uint8Array; probability?: Float32Array }> {
    const buffer = ownBuffer(hu);
    const answer = (await this.cancellable(options, (id, cancelFlag) => [
      { type: 'segment', id, segmenterId: segmenter.id, hu: buffer, rows, cols, probability: options.probability, cancelFlag },
      [buffer],
    ])) as Extract<WorkerResponse, { type: 'mask' }>;
    this.lastMemoryBytes = answer.memoryBytes;
    return { mask: new Uint8Array(answer.mask), probability: answer.probability ? new Float32Array(answer.probability) : undefined };
  }

  // 3-D post-processing of a slices*rows*cols volume of slice masks (slices in order along their normal), in the
  // worker: the label volume. The mask's buffer is transferred when the mask spans all of it.
  async postprocessVolume(segmenter: RemoteSegmenter, mask: Uint8Array, slices: number, rows: number, cols: number, rowDirection?: readonly number[]): Promise<Uint8Array> {
    return this.postprocess(segmenter, mask, slices, rows, cols, rowDirection, false);
  }

  // The same on one slice alone (2-D components): a preview before the series is segmented whole.
  async postprocessSlice(segmenter: RemoteSegmenter, mask: Uint8Array, rows: number, cols: number, rowDirection?: readonly number[]): Promise<Uint8Array> {
    return this.postprocess(segmenter, mask, 1, rows, cols, rowDirection, true);
  }

  private async postprocess(
    segmenter: RemoteSegmenter,
    mask: Uint8Array,
    slices: number,
    rows: number,
    cols: number,
    rowDirection: readonly number[] | undefined,
    sliceOnly: boolean,
  ): Promise<Uint8Array> {
    const whole = mask.byteOffset === 0 && mask.byteLength === mask.buffer.byteLength && mask.buffer instanceof ArrayBuffer;
    const buffer = whole ? (mask.buffer as ArrayBuffer) : mask.slice().buffer;
    const message: WorkerRequest = {
      type: 'postprocess',
      id: this.nextId++,
      segmenterId: segmenter.id,
      mask: buffer,
      slices,
      rows,
      cols,
      rowDirection: rowDirection === undefined ? undefined : [...rowDirection],
      sliceOnly,
    };
    const answer = (await this.request(message, [buffer])) as Extract<WorkerResponse, { type: 'mask' }>;
    return new Uint8Array(answer.mask);
  }

  // Sends a request that a signal may cancel: through a shared flag the worker polls between tiles, or, without
  // shared memory, by stopping the worker.
  private async cancellable(
    options: ClientRunOptions,
    make: (id: number, cancelFlag: SharedArrayBuffer | undefined) => [WorkerRequest, Transferable[]],
  ): Promise<WorkerResponse> {
    const { signal, onProgress } = options;
    if (signal?.aborted) throw abortReason(signal);
    const id = this.nextId++;
    const shared = canShareMemory() ? new SharedArrayBuffer(4) : undefined;
    const onAbort = () => {
      if (shared !== undefined) {
        Atomics.store(new Int32Array(shared), 0, 1);
        this.worker.postMessage({ type: 'cancel', id }, []);
      } else {
        this.stop('the inference worker was stopped to cancel a run (without cross-origin isolation a run cannot be ' +
          'interrupted otherwise): start a new client and load the model again');
      }
      const entry = this.pending.get(id);
      this.pending.delete(id);
      entry?.reject(abortReason(signal));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const [message, transfer] = make(id, shared);
      return await this.request(message, transfer, onProgress);
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  // The DICOM SEG of a label volume (slices*rows*cols) over the series `description` describes (JSON, the schema of
  // dicom/include/cairn/dicom/seg_c_api.h), built in the worker. `labels` is copied, not transferred.
  async writeSeg(description: string, labels: Uint8Array): Promise<{ bytes: Uint8Array; info: SegWriteInfo }> {
    const buffer = labels.slice().buffer;
    const answer = (await this.request({ type: 'seg-write', id: this.nextId++, description, labels: buffer }, [buffer])) as Extract<WorkerResponse, { type: 'seg' }>;
    return { bytes: new Uint8Array(answer.bytes), info: answer.info };
  }

  // What a SEG file says about itself (segments, referenced series). `seg` is copied.
  async segInfo(seg: Uint8Array): Promise<SegInfo> {
    const buffer = seg.slice().buffer;
    const answer = (await this.request({ type: 'seg-info', id: this.nextId++, seg: buffer }, [buffer])) as Extract<WorkerResponse, { type: 'seg-info' }>;
    return answer.info;
  }

  // A SEG's label volume on a series (voxels = slices*rows*cols), each voxel its segment number. `seg` is copied.
  async readSeg(seg: Uint8Array, description: string, voxels: number): Promise<{ labels: Uint8Array; placedFrames: number }> {
    const buffer = seg.slice().buffer;
    const answer = (await this.request({ type: 'seg-read', id: this.nextId++, seg: buffer, description, voxels }, [buffer])) as Extract<WorkerResponse, { type: 'seg-labels' }>;
    return { labels: new Uint8Array(answer.labels), placedFrames: answer.placedFrames };
  }

  // An RT Structure Set rasterized onto a series (description with its geometry). `rtstruct` is copied.
  async readRtstruct(rtstruct: Uint8Array, description: string, voxels: number): Promise<{ labels: Uint8Array; info: RtStructInfo }> {
    const buffer = rtstruct.slice().buffer;
    const answer = (await this.request({ type: 'rtstruct-read', id: this.nextId++, rtstruct: buffer, description, voxels }, [buffer])) as Extract<WorkerResponse, { type: 'rtstruct-labels' }>;
    return { labels: new Uint8Array(answer.labels), info: answer.info };
  }

  async unload(model: RemoteModel): Promise<void> {
    await this.request({ type: 'unload', id: this.nextId++, modelId: model.id }, []);
  }

  terminate(): void {
    this.stop('the inference worker was terminated');
  }

  private stop(reason: string): void {
    if (this.stoppedReason !== null) return;
    this.stoppedReason = reason;
    this.worker.terminate();
    const error = new CairnError('worker-failed', reason);
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }

  private request(message: WorkerRequest, transfer: Transferable[], onProgress?: (f: number) => void): Promise<WorkerResponse> {
    if (this.stoppedReason !== null) return Promise.reject(new CairnError('worker-failed', this.stoppedReason));
    return new Promise((resolve, reject) => {
      this.pending.set(message.id, { resolve, reject, onProgress });
      this.worker.postMessage(message, transfer);
    });
  }
}

function canShareMemory(): boolean {
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return typeof SharedArrayBuffer === 'function' && isolated !== false;
}
