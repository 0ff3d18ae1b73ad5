// A pool worker's whole life (see thread_pool.ts): instantiate the threaded build over the shared memory, take the
// stack it was given, and park in cairn_pool_worker(), which never returns. No _initialize: the calling thread's
// instance has initialized the memory every instance shares.
import type { CairnExports } from './module.js';
import type { PoolWorkerStart } from './thread_pool.js';
import { createWasiShim } from './wasi.js';

export async function runPoolWorker(start: PoolWorkerStart): Promise<void> {
  const wasi = createWasiShim();
  const imports = {
    env: { memory: start.memory },
    wasi_snapshot_preview1: wasi.imports,
    cairn: { progress: () => 0 }, // progress is reported by the calling thread only
  } as unknown as WebAssembly.Imports;
  const instance = await WebAssembly.instantiate(start.module, imports);
  const exports = instance.exports as unknown as CairnExports;
  wasi.bindMemory(start.memory);
  exports.__stack_pointer!.value = start.stackTop;
  let status: number;
  try {
    status = exports.cairn_pool_worker!();
  } catch (error) {
    // A trap in this worker's share of a job: the job can never complete. Tell the calling thread, which traps
    // instead of waiting for this worker forever.
    exports.cairn_pool_worker_failed?.();
    throw error;
  }
  throw new Error(`cairn_pool_worker returned ${status}: no slot left for this worker`);
}
