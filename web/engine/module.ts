// One instance of the engine's WebAssembly module (a WASI reactor exporting the C ABI of engine/include/cairn/cairn.h)
// and the memory helpers the engine API needs. Views of the memory are made afresh each time: growth detaches them.
import { CairnError, errorFromStatus } from './errors.js';
import type { WasmFlavor } from './features.js';
import { mib, WASM32_MAXIMUM_BYTES, WASM_PAGE_BYTES, withMemoryMaximum } from './memory_cap.js';
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

// maximumPages: the most memory the module may have (memory_cap.ts), for a module that defines its own memory.
export async function compile(source: WasmSource, maximumPages?: number): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) {
    if (maximumPages !== undefined) throw new CairnError('invalid-argument', 'a memory maximum needs the module\'s bytes, not a compiled module');
    return source;
  }
  let bytes: Uint8Array;
  if (source instanceof ArrayBuffer) bytes = new Uint8Array(source);
  else if (ArrayBuffer.isView(source)) bytes = new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  else {
    const response = await fetch(source);
    if (!response.ok) throw new CairnError('io-error', `cannot fetch the engine module ${String(source)}: ${response.status}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  }
  return WebAssembly.compile((maximumPages === undefined ? bytes : withMemoryMaximum(bytes, maximumPages)) as BufferSource);
}

// What libc++ prints before it aborts on a failed allocation (the module is built without exceptions): the trap that
// follows is an out-of-memory.
const BAD_ALLOC = /bad_alloc/;
// plan.cpp's message when the run's arena cannot be allocated.
const ARENA_FAILED = /cannot allocate (\d+) MiB/;

export class CairnModule {
  // Called by the module between tiles during a run; returns true to cancel it.
  onProgress: ((fraction: number) => boolean) | null = null;

  // Set when the module printed that an allocation failed (then it traps).
  allocationFailed = false;

  private constructor(
    readonly exports: CairnExports,
    readonly flavor: WasmFlavor,
    readonly memory: WebAssembly.Memory,
    readonly compiled: WebAssembly.Module,
    readonly maximumBytes: number,
  ) {}

  // sharedMemory: instantiate the threaded build over this memory (THREADED_MEMORY), which pool workers share.
  // maximumBytes: the most memory the single-threaded build may grow to (default: wasm32's 4 GiB); the threaded
  // build's is the shared memory's, which its creator gives (the same number, for the messages).
  static async instantiate(
    source: WasmSource,
    flavor: WasmFlavor,
    log?: (fd: 1 | 2, line: string) => void,
    sharedMemory?: WebAssembly.Memory,
    maximumBytes?: number,
  ): Promise<CairnModule> {
    let instance: CairnModule | null = null;
    const wasi = createWasiShim((fd, line) => {
      if (fd === 2 && BAD_ALLOC.test(line) && instance !== null) instance.allocationFailed = true;
      if (log) log(fd, line);
      else if (fd === 1) console.log(line);
      else console.error(line);
    });
    const imports = {
      wasi_snapshot_preview1: wasi.imports,
      cairn: {
        progress: (fraction: number): number => (instance?.onProgress?.(fraction) ? 1 : 0),
      },
      ...(sharedMemory ? { env: { memory: sharedMemory } } : {}),
    } as unknown as WebAssembly.Imports;
    const pages = maximumBytes === undefined || sharedMemory !== undefined ? undefined : Math.floor(maximumBytes / WASM_PAGE_BYTES);
    const compiled = await compile(source, pages);
    const wasm = await WebAssembly.instantiate(compiled, imports);
    const exports = wasm.exports as unknown as CairnExports;
    const memory = sharedMemory ?? exports.memory;
    if (memory === undefined) throw new CairnError('invalid-argument', 'this engine build imports its memory: it is the threaded one');
    wasi.bindMemory(memory);
    instance = new CairnModule(exports, flavor, memory, compiled, pages === undefined ? (maximumBytes ?? WASM32_MAXIMUM_BYTES) : pages * WASM_PAGE_BYTES);
    exports._initialize();
    return instance;
  }

  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  malloc(size: number): number {
    const pointer = this.exports.cairn_malloc(Math.max(1, size));
    if (pointer === 0) throw this.outOfMemory(`the engine's memory cannot grow by ${mib(size)}`, size);
    return pointer;
  }

  // The error for an allocation of `size` bytes (when known) that the memory could not grow for.
  outOfMemory(what: string, size?: number): CairnError {
    const usedBytes = this.memoryBytes;
    const neededBytes = size === undefined ? undefined : usedBytes + size;
    return new CairnError('out-of-memory', `${what} (WebAssembly memory ${mib(usedBytes)}, maximum ${mib(this.maximumBytes)})`, {
      usedBytes,
      maximumBytes: this.maximumBytes,
      neededBytes,
    });
  }

  // What a call into the module that threw means: a trap after a failed allocation is an out-of-memory (the module
  // cannot be used afterwards: its allocator may be half-way through a call).
  explain(error: unknown): unknown {
    if (error instanceof WebAssembly.RuntimeError && this.allocationFailed) {
      return this.outOfMemory(`an allocation failed (${error.message})`);
    }
    return error;
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
    if (status === 0) return;
    const message = this.lastError();
    const arena = ARENA_FAILED.exec(message);
    if (status === 4 && arena !== null) throw this.outOfMemory(message, Number(arena[1]) * 2 ** 20);
    throw errorFromStatus(status, message);
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
