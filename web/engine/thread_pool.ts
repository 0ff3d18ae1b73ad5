// The engine's threads in WebAssembly: workers that each instantiate the threaded build over the engine's shared
// memory and park in cairn_pool_worker(), where the module's parallel loops deal them work (thread_pool.cpp). Each
// worker's stack is a block the calling thread allocates in that memory; workers allocate nothing themselves.
import { CairnError } from './errors.js';
import type { CairnModule } from './module.js';

// What a pool worker receives (pool_worker_core.ts).
export interface PoolWorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  stackTop: number; // the worker's __stack_pointer: the top of its stack, 16-byte aligned
}

// A Worker (module worker running dist/cairn-pool-worker.mjs), or an adapter for Node's worker_threads.
export interface PoolWorkerLike {
  postMessage(message: PoolWorkerStart): void;
  terminate(): void | Promise<unknown>; // Node's settles once the thread has stopped
}

export type PoolWorkerSpawner = () => PoolWorkerLike;

// The same size as the calling thread's (cmake/wasm-module.cmake: -z stack-size).
const WORKER_STACK_BYTES = 1 << 20;
const REGISTER_TIMEOUT_MS = 30_000;

// In a page or a browser worker: dist/cairn-pool-worker.mjs, next to the bundle that holds this code.
export function browserPoolWorker(url: URL | string = new URL('./cairn-pool-worker.mjs', import.meta.url)): PoolWorkerSpawner {
  return () => new Worker(url, { type: 'module' });
}

export class WasmThreadPool {
  private constructor(
    private readonly workers: PoolWorkerLike[],
    private readonly stacks: number[],
    private readonly module: CairnModule,
  ) {}

  // Starts `count` workers and returns once they have all registered in the module.
  static async start(module: CairnModule, count: number, spawn: PoolWorkerSpawner): Promise<WasmThreadPool> {
    const workers: PoolWorkerLike[] = [];
    const stacks: number[] = [];
    const pool = new WasmThreadPool(workers, stacks, module);
    const registered = () => module.exports.cairn_pool_workers!();
    const before = registered();
    try {
      for (let i = 0; i < count; ++i) {
        const stack = module.malloc(WORKER_STACK_BYTES);
        stacks.push(stack);
        const worker = spawn();
        workers.push(worker);
        worker.postMessage({ module: module.compiled, memory: module.memory, stackTop: (stack + WORKER_STACK_BYTES) & ~15 });
      }
      const deadline = performance.now() + REGISTER_TIMEOUT_MS;
      while (registered() < before + count) {
        if (performance.now() > deadline) {
          throw new CairnError('worker-failed', `only ${registered() - before} of ${count} engine threads started`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } catch (error) {
      void pool.terminate();
      throw error;
    }
    return pool;
  }

  get size(): number {
    return this.workers.length;
  }

  // Stops the workers; settles when they have stopped, where the worker type tells (Node's). Only between runs: a
  // worker runs only while the calling thread is inside a run, and is parked otherwise. The module cannot take new
  // workers afterwards (their slots stay taken): dispose of it too.
  async terminate(): Promise<void> {
    const stopped = this.workers.splice(0).map((worker) => worker.terminate());
    for (const stack of this.stacks.splice(0)) this.module.free(stack);
    await Promise.all(stopped);
  }
}
