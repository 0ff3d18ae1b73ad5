// The engine API: create an engine (the right WebAssembly build for this browser), load models from bytes, run them
// with progress and cancellation. Runs happen on the calling thread: in a page, use the inference worker
// (client.ts), which runs this API off the main thread.
import { abortReason, CairnError } from './errors.js';
import { chooseFlavor, detectWasmFeatures, type WasmFeatures, type WasmFlavor } from './features.js';
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
  if (threads > 1 && features.sharedMemory && threaded !== undefined) {
    const memory = new WebAssembly.Memory(THREADED_MEMORY);
    const module = await CairnModule.instantiate(threaded, flavor, options.log, memory);
    const pool = await WasmThreadPool.start(module, threads - 1, options.spawnPoolWorker ?? browserPoolWorker());
    return new CairnEngine(module, features, options, pool);
  }
  const module = await CairnModule.instantiate(options.wasm[flavor]!, flavor, options.log);
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
    const { signal, onProgress, shouldCancel } = options;
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

      let last = -1;
      let cancelled = false;
      m.onProgress = (fraction) => {
        if (signal?.aborted || shouldCancel?.()) {
          cancelled = true;
          return true;
        }
        if (onProgress && (fraction >= last + PROGRESS_STEP || (fraction === 1 && last < 1))) {
          last = fraction;
          onProgress(fraction);
        }
        if (signal?.aborted) cancelled = true;
        return cancelled;
      };
      const progress = onProgress || signal || shouldCancel ? m.exports.cairn_host_progress() : 0;
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

  dispose(): void {
    if (this.handle === 0) return;
    this.module.exports.cairn_model_free(this.handle);
    this.handle = 0;
    this.onDispose();
  }

  private live(): CairnModule {
    if (this.handle === 0) throw new CairnError('invalid-argument', 'the model was disposed');
    return this.module;
  }
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}
