// The viewer's side of inference: one inference worker (web/engine's protocol), models fetched and verified by
// SHA-256 (web/engine/model_cache.ts), segmentation as the model's metadata describes it, run in C++ in the worker
// (cairn_segment_slice, cairn_postprocess_volume: the CLI's code), with progress and cancellation. Nothing here
// touches the DOM.
import { InferenceClient, type RemoteModel, type RemoteSegmenter } from '../../engine/client.js';
import type { RtStructInfo, SegInfo, SegmentationSpec, SegWriteInfo } from '../../engine/engine.js';
import { CairnError } from '../../engine/errors.js';
import { fetchVerifiedModel } from '../../engine/model_cache.js';
import type { WasmFlavor } from '../../engine/features.js';
import { cacheEntry, type CatalogModel } from './catalog.js';

export interface EngineFiles {
  wasm: Partial<Record<WasmFlavor, string>>;
  threadedWasm: Partial<Record<WasmFlavor, string>>;
}

export class ModelLoadError extends Error {}

// A model loaded in one worker: its handles are valid in that worker only.
export interface LoadedModel {
  client: InferenceClient;
  remote: RemoteModel;
  segmenter: RemoteSegmenter;
  spec: SegmentationSpec;
}

// A worker that stops (out of memory, a trap in its engine, an uncaught error: InferenceClient terminates it) is
// replaced by a new one at the next request, and its models are loaded again there; what the page holds (images,
// masks) is not the worker's and stays.
export class InferenceService {
  private client: Promise<InferenceClient> | null = null;
  private current: InferenceClient | null = null;
  private loaded = new Map<string, Promise<LoadedModel>>();
  // Workers started so far (the end-to-end test reads it).
  workersStarted = 0;

  constructor(
    private readonly startWorker: () => Worker,
    private readonly files: EngineFiles,
    private readonly threads: number,
    // The most WebAssembly memory the engine may take (the page's ?memory=MiB); default: what wasm32 addresses.
    private readonly memoryMaximumBytes?: number,
  ) {}

  async info(): Promise<{ flavor: string; threads: number }> {
    const c = await this.ensureClient();
    return { flavor: c.flavor, threads: c.threads };
  }

  // Downloads (or takes from the cache) and verifies the model, loads it in the worker and reads its segmentation
  // metadata. Failures are ModelLoadError with the reason.
  async load(model: CatalogModel): Promise<LoadedModel> {
    await this.ensureClient(); // a stopped worker is replaced here, and the models it held forgotten
    let loading = this.loaded.get(model.id);
    if (loading === undefined) {
      loading = (async () => {
        const client = await this.ensureClient();
        let bytes: ArrayBuffer;
        try {
          bytes = await fetchVerifiedModel(cacheEntry(model));
        } catch (error) {
          const action = error instanceof CairnError && error.code === 'integrity'
            ? ' Reload the page to try again; if this persists, the model file on the server is not the one its catalog names: ask the administrator to reinstall the model.'
            : '';
          throw new ModelLoadError(`The model "${model.name}" could not be downloaded: ${(error as Error).message}.${action}`);
        }
        let remote: RemoteModel;
        try {
          remote = await client.loadModel(bytes);
        } catch (error) {
          if (isWorkerFailure(error)) throw error;
          throw new ModelLoadError(`The model "${model.name}" failed to load in the engine: ${(error as Error).message}`);
        }
        try {
          const segmenter = await client.createSegmenter(remote);
          return { client, remote, segmenter, spec: segmenter.spec };
        } catch (error) {
          if (isWorkerFailure(error)) throw error;
          throw new ModelLoadError(`The model "${model.name}" does not say how to segment with it: ${(error as Error).message}`);
        }
      })();
      this.loaded.set(model.id, loading);
      loading.catch(() => this.loaded.delete(model.id));
    }
    return loading;
  }

  // One slice (HU, rows*cols) -> its 0/1 mask before post-processing. `hu` is copied, not transferred.
  async segmentSlice(model: CatalogModel, hu: Float32Array, rows: number, cols: number, onProgress: (f: number) => void, signal: AbortSignal): Promise<Uint8Array> {
    const { client, segmenter } = await this.load(model);
    try {
      return (await client.segmentSlice(segmenter, hu.slice(), rows, cols, { onProgress, signal })).mask;
    } catch (error) {
      if (!signal.aborted) throw error;
      // Without cross-origin isolation the client stopped the worker to cancel: a new one starts next time.
      throw error;
    }
  }

  // Stacked slice masks (slices*rows*cols, in order along the slice normal) -> the model's 3-D post-processing.
  async postprocessVolume(model: CatalogModel, volume: Uint8Array, slices: number, rows: number, cols: number, rowDirection?: readonly number[]): Promise<Uint8Array> {
    const { client, segmenter } = await this.load(model);
    return client.postprocessVolume(segmenter, volume, slices, rows, cols, rowDirection);
  }

  // One slice's mask post-processed on its own: the preview before the series is segmented.
  async postprocessSlice(model: CatalogModel, mask: Uint8Array, rows: number, cols: number, rowDirection?: readonly number[]): Promise<Uint8Array> {
    const { client, segmenter } = await this.load(model);
    return client.postprocessSlice(segmenter, mask.slice(), rows, cols, rowDirection);
  }

  // DICOM SEG in the worker (seg_c_api.h): built from a label volume, described, read back onto a series.
  async writeSeg(description: string, labels: Uint8Array): Promise<{ bytes: Uint8Array; info: SegWriteInfo }> {
    return (await this.ensureClient()).writeSeg(description, labels);
  }

  async segInfo(seg: Uint8Array): Promise<SegInfo> {
    return (await this.ensureClient()).segInfo(seg);
  }

  async readSeg(seg: Uint8Array, description: string, voxels: number): Promise<{ labels: Uint8Array; placedFrames: number }> {
    return (await this.ensureClient()).readSeg(seg, description, voxels);
  }

  async readRtstruct(rtstruct: Uint8Array, description: string, voxels: number): Promise<{ labels: Uint8Array; info: RtStructInfo }> {
    return (await this.ensureClient()).readRtstruct(rtstruct, description, voxels);
  }

  private reset(): void {
    void this.client?.then((c) => c.terminate()).catch(() => {});
    this.client = null;
    this.current = null;
    this.loaded.clear();
  }

  private ensureClient(): Promise<InferenceClient> {
    if (this.current?.stopped) {
      // Said in the page's console: a request that was pending when it stopped has shown the reason already.
      console.warn(`cairn viewer: starting a new inference worker; the last one stopped: ${this.current.stopReason}`);
      this.reset();
    }
    if (this.client === null) {
      this.workersStarted++;
      const starting = InferenceClient.start(this.startWorker(), {
        wasm: this.files.wasm,
        threadedWasm: this.files.threadedWasm,
        threads: this.threads,
        memoryMaximumBytes: this.memoryMaximumBytes,
      });
      this.client = starting;
      starting.then(
        (c) => {
          if (this.client === starting) this.current = c;
        },
        () => {
          if (this.client === starting) this.client = null;
        },
      );
    }
    return this.client;
  }
}

// The worker ran out of memory or stopped: not the model's fault, and not a ModelLoadError.
function isWorkerFailure(error: unknown): boolean {
  return error instanceof CairnError && (error.code === 'out-of-memory' || error.code === 'worker-failed');
}

// Time left from progress so far: elapsed * (1 - f) / f, once enough is done to say.
export function timeLeftSeconds(fraction: number, elapsedMs: number): number | null {
  if (fraction < 0.02 || elapsedMs < 200) return null;
  return (elapsedMs * (1 - fraction)) / fraction / 1000;
}
