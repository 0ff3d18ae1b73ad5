// One instance of the engine's WebAssembly module (a WASI reactor exporting the C ABI of engine/include/cairn/cairn.h)
// and the memory helpers the engine API needs. Views of the memory are made afresh each time: growth detaches them.
import { CairnError, errorFromStatus } from './errors.js';
import type { WasmFlavor } from './features.js';
import { createWasiShim } from './wasi.js';

export interface CairnExports {
  memory?: WebAssembly.Memory; // the module's own; absent in the threaded build, which imports a shared one
  __stack_pointer?: WebAssembly.Global; // threaded build only
  _initialize(): void;
  cairn_last_error(): number;
  cairn_operators(): number;
  cairn_options_init(options: number): void;
  cairn_model_create(bytes: number, size: number, options: number, model: number): number;
  cairn_model_free(model: number): void;
  cairn_model_input_count(model: number): number;
  cairn_model_output_count(model: number): number;
  cairn_model_input_name(model: number, index: number): number;
  cairn_model_output_name(model: number, index: number): number;
  cairn_model_input_shape(model: number, index: number, dims: number, capacity: number): number;
  cairn_model_output_shape(model: number, index: number, dims: number, capacity: number): number;
  cairn_model_prepare(model: number, ranks: number, dims: number): number;
  cairn_model_prepared_output_shape(model: number, index: number, dims: number, capacity: number): number;
  cairn_model_prepared_flops(model: number): number;
  cairn_model_run(model: number, inputs: number, outputs: number, progress: number, user: number, cancel: number): number;
  cairn_malloc(size: number): number;
  cairn_free(pointer: number): void;
  cairn_host_progress(): number;
  cairn_pool_worker?(): number; // threaded build only
  cairn_pool_workers?(): number;
  cairn_pool_worker_failed?(): void; // a pool worker trapped (thread_pool.cpp)
}

// Bytes of the module, a compiled module, or where to fetch it.
export type WasmSource = ArrayBuffer | ArrayBufferView | WebAssembly.Module | URL | string;

export const MAX_RANK = 16;

// The shared memory of the threaded build, in 64 KiB pages: its initial size is the module's (cmake/wasm-module.cmake,
// CAIRN_WASM_SHARED_INITIAL_BYTES), its maximum 4 GiB (CAIRN_WASM_SHARED_MAXIMUM_BYTES).
export const THREADED_MEMORY = { initial: 256, maximum: 65536, shared: true } as const;

export async function compile(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source instanceof ArrayBuffer || ArrayBuffer.isView(source)) return WebAssembly.compile(source as BufferSource);
  const response = await fetch(source);
  if (!response.ok) throw new CairnError('io-error', `cannot fetch the engine module ${String(source)}: ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

export class CairnModule {
  // Called by the module between tiles during a run; returns true to cancel it.
  onProgress: ((fraction: number) => boolean) | null = null;

  private constructor(
    readonly exports: CairnExports,
    readonly flavor: WasmFlavor,
    readonly memory: WebAssembly.Memory,
    readonly compiled: WebAssembly.Module,
  ) {}

  // sharedMemory: instantiate the threaded build over this memory (THREADED_MEMORY), which pool workers share.
  static async instantiate(
    source: WasmSource,
    flavor: WasmFlavor,
    log?: (fd: 1 | 2, line: string) => void,
    sharedMemory?: WebAssembly.Memory,
  ): Promise<CairnModule> {
    const wasi = createWasiShim(log);
    let instance: CairnModule | null = null;
    const imports = {
      wasi_snapshot_preview1: wasi.imports,
      cairn: {
        progress: (fraction: number): number => (instance?.onProgress?.(fraction) ? 1 : 0),
      },
      ...(sharedMemory ? { env: { memory: sharedMemory } } : {}),
    } as unknown as WebAssembly.Imports;
    const compiled = await compile(source);
    const wasm = await WebAssembly.instantiate(compiled, imports);
    const exports = wasm.exports as unknown as CairnExports;
    const memory = sharedMemory ?? exports.memory;
    if (memory === undefined) throw new CairnError('invalid-argument', 'this engine build imports its memory: it is the threaded one');
    wasi.bindMemory(memory);
    exports._initialize();
    instance = new CairnModule(exports, flavor, memory, compiled);
    return instance;
  }

  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  malloc(size: number): number {
    const pointer = this.exports.cairn_malloc(Math.max(1, size));
    if (pointer === 0) {
      throw new CairnError('resource-limit', `the engine's memory cannot grow by ${size} bytes (WebAssembly memory full)`);
    }
    return pointer;
  }

  free(pointer: number): void {
    if (pointer !== 0) this.exports.cairn_free(pointer);
  }

  // Grows the memory now, so that the next `bytes` of allocations do not grow it during a run (Node 20 crashes after
  // a relaxed-SIMD run whose memory grew).
  reserve(bytes: number): void {
    this.free(this.malloc(bytes));
  }

  u8(): Uint8Array {
    return new Uint8Array(this.memory.buffer);
  }

  view(): DataView {
    return new DataView(this.memory.buffer);
  }

  cString(pointer: number): string {
    if (pointer === 0) return '';
    const bytes = this.u8();
    let end = pointer;
    while (bytes[end] !== 0) ++end;
    return new TextDecoder().decode(bytes.slice(pointer, end));
  }

  lastError(): string {
    return this.cString(this.exports.cairn_last_error());
  }

  // Throws the engine's error for a failed status.
  check(status: number): void {
    if (status !== 0) throw errorFromStatus(status, this.lastError());
  }

  // Copies bytes into a new allocation.
  copyIn(data: ArrayBufferView | ArrayBuffer): number {
    const bytes =
      data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const pointer = this.malloc(bytes.byteLength);
    this.u8().set(bytes, pointer);
    return pointer;
  }

  readShape(read: (dims: number, capacity: number) => number): number[] | null {
    const dims = this.malloc(8 * MAX_RANK);
    try {
      const rank = read(dims, MAX_RANK);
      if (rank < 0) return null;
      if (rank > MAX_RANK) throw new CairnError('unsupported', `a tensor of rank ${rank} (at most ${MAX_RANK} here)`);
      const view = this.view();
      return Array.from({ length: rank }, (_, i) => Number(view.getBigInt64(dims + 8 * i, true)));
    } finally {
      this.free(dims);
    }
  }
}
