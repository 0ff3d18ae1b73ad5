// The page's side of the inference worker: typed requests, progress, results, and cancellation by AbortSignal.
// Cancelling a running computation needs shared memory (a cross-origin isolated page): the page sets a shared flag
// the worker polls between tiles. Without it the worker cannot hear anything until the run ends, so the client
// terminates it: the run is rejected at once, and the client must be started again (and the model reloaded).
import { abortReason, CairnError } from './errors.js';
import type { Tensor, TensorInfo } from './engine.js';
import type { WasmFlavor } from './features.js';
import type { WasmSource } from './module.js';
import { buffersOf, ownBuffer, type WireTensor, type WorkerRequest, type WorkerResponse } from './protocol.js';

// A Worker, or an adapter for Node's worker_threads.
export interface WorkerLike {
  postMessage(message: WorkerRequest, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: WorkerResponse }) => void): void;
  addEventListener(type: 'error', listener: (event: { message?: string }) => void): void;
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

export class InferenceClient {
  readonly flavor: WasmFlavor;
  readonly threads: number;
  lastMemoryBytes = 0;
  private stopped: string | null = null;

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
    },
  ): Promise<InferenceClient> {
    const pending = new Map<number, Pending>();
    worker.addEventListener('message', ({ data }) => {
      const entry = pending.get(data.id);
      if (entry === undefined) return;
      if (data.type === 'progress') {
        entry.onProgress?.(data.fraction);
        return;
      }
      pending.delete(data.id);
      if (data.type === 'error') entry.reject(new CairnError(data.code === 'internal' ? 'worker-failed' : data.code, data.message));
      else entry.resolve(data);
    });
    worker.addEventListener('error', (event) => {
      const error = new CairnError('worker-failed', `the inference worker failed: ${event.message ?? 'unknown error'}`);
      for (const entry of pending.values()) entry.reject(error);
      pending.clear();
    });
    const ready = await new Promise<WorkerResponse>((resolve, reject) => {
      pending.set(0, { resolve, reject });
      worker.postMessage({ type: 'init', id: 0, ...init }, []);
    });
    return new InferenceClient(worker, pending, 1, ready as Extract<WorkerResponse, { type: 'ready' }>);
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
    const { signal, onProgress } = options;
    if (signal?.aborted) throw abortReason(signal);
    const wire: WireTensor[] = Object.entries(inputs).map(([name, t]) => ({ name, shape: t.shape, data: ownBuffer(t.data) }));
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
      const result = (await this.request(
        { type: 'run', id, modelId: model.id, inputs: wire, cancelFlag: shared },
        buffersOf(wire),
        onProgress,
      )) as Extract<WorkerResponse, { type: 'result' }>;
      this.lastMemoryBytes = result.memoryBytes;
      return Object.fromEntries(result.outputs.map((t) => [t.name, { shape: t.shape, data: new Float32Array(t.data) }]));
    } catch (error) {
      if (signal?.aborted) throw abortReason(signal);
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  async unload(model: RemoteModel): Promise<void> {
    await this.request({ type: 'unload', id: this.nextId++, modelId: model.id }, []);
  }

  terminate(): void {
    this.stop('the inference worker was terminated');
  }

  private stop(reason: string): void {
    if (this.stopped !== null) return;
    this.stopped = reason;
    this.worker.terminate();
    const error = new CairnError('worker-failed', reason);
    for (const entry of this.pending.values()) entry.reject(error);
    this.pending.clear();
  }

  private request(message: WorkerRequest, transfer: Transferable[], onProgress?: (f: number) => void): Promise<WorkerResponse> {
    if (this.stopped !== null) return Promise.reject(new CairnError('worker-failed', this.stopped));
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
