// Engine threads for the Node tools and tests: pool workers as worker_threads running dist/node-pool-worker.mjs.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PoolWorkerLike, PoolWorkerSpawner } from '../engine/thread_pool.js';
import { repoRoot } from './paths.js';

export interface NodePoolWorker extends PoolWorkerLike {
  readonly exited: Promise<number>; // settles with the exit code once the thread has stopped
}

export function spawnNodePoolWorker(): NodePoolWorker {
  const worker = new Worker(join(repoRoot, 'web/dist/node-pool-worker.mjs'));
  worker.unref(); // a parked worker must not keep the process alive
  const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
  // A worker that failed has told the engine (pool_worker_core.ts), whose run then fails: report why instead
  // of letting the event crash the process.
  worker.on('error', (error) => console.error('an engine pool worker failed:', error));
  return {
    postMessage: (message) => worker.postMessage(message),
    terminate: () => worker.terminate(),
    exited,
  };
}

export const nodePoolWorker: PoolWorkerSpawner = spawnNodePoolWorker;
