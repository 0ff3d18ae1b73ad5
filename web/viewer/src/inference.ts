// The viewer's side of inference: one inference worker (web/engine's protocol), models fetched and verified by
// SHA-256 (web/engine/model_cache.ts), runs with progress and cancellation. Nothing here touches the DOM.
import { InferenceClient, type RemoteModel } from '../../engine/client.js';
import { fetchVerifiedModel } from '../../engine/model_cache.js';
import type { WasmFlavor } from '../../engine/features.js';
import { cacheEntry, type CatalogModel } from './catalog.js';

export interface EngineFiles {
  wasm: Partial<Record<WasmFlavor, string>>;
  threadedWasm: Partial<Record<WasmFlavor, string>>;
}

export class ModelLoadError extends Error {}

export class InferenceService {
  private client: Promise<InferenceClient> | null = null;
  private loaded = new Map<string, Promise<RemoteModel>>();

  constructor(
    private readonly startWorker: () => Worker,
    private readonly files: EngineFiles,
    private readonly threads: number,
  ) {}

  async info(): Promise<{ flavor: string; threads: number }> {
    const c = await this.ensureClient();
    return { flavor: c.flavor, threads: c.threads };
  }

  async load(model: CatalogModel): Promise<RemoteModel> {
    let loading = this.loaded.get(model.id);
    if (loading === undefined) {
      loading = (async () => {
        const client = await this.ensureClient();
        let bytes: ArrayBuffer;
        try {
          bytes = await fetchVerifiedModel(cacheEntry(model));
        } catch (error) {
          throw new ModelLoadError(`The model "${model.name}" could not be downloaded: ${(error as Error).message}`);
        }
        try {
          return await client.loadModel(bytes);
        } catch (error) {
          throw new ModelLoadError(`The model "${model.name}" failed to load in the engine: ${(error as Error).message}`);
        }
      })();
      this.loaded.set(model.id, loading);
      loading.catch(() => this.loaded.delete(model.id));
    }
    return loading;
  }

  async run(model: CatalogModel, input: { shape: number[]; data: Float32Array }, onProgress: (f: number) => void, signal: AbortSignal): Promise<Float32Array> {
    const remote = await this.load(model);
    const client = await this.ensureClient();
    const name = remote.inputs[0]?.name;
    if (name === undefined || remote.inputs.length !== 1) throw new ModelLoadError(`The model "${model.name}" must have one input.`);
    try {
      const outputs = await client.run(remote, { [name]: input }, { onProgress, signal });
      return Object.values(outputs)[0].data;
    } catch (error) {
      if (!signal.aborted) throw error;
      // Without cross-origin isolation the client stopped the worker to cancel: start afresh next time.
      if (!globalThis.crossOriginIsolated) this.reset();
      throw error;
    }
  }

  private reset(): void {
    void this.client?.then((c) => c.terminate()).catch(() => {});
    this.client = null;
    this.loaded.clear();
  }

  private ensureClient(): Promise<InferenceClient> {
    if (this.client === null) {
      this.client = InferenceClient.start(this.startWorker(), {
        wasm: this.files.wasm,
        threadedWasm: this.files.threadedWasm,
        threads: this.threads,
      });
      this.client.catch(() => (this.client = null));
    }
    return this.client;
  }
}

// Time left from progress so far: elapsed * (1 - f) / f, once enough is done to say.
export function timeLeftSeconds(fraction: number, elapsedMs: number): number | null {
  if (fraction < 0.02 || elapsedMs < 200) return null;
  return (elapsedMs * (1 - fraction)) / fraction / 1000;
}
