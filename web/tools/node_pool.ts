// Engine threads for the Node tools and tests: pool workers as worker_threads running dist/node-pool-worker.mjs.
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PoolWorkerSpawner } from '../engine/thread_pool.js';
import { repoRoot } from './paths.js';

export const nodePoolWorker: PoolWorkerSpawner = () => {
  const worker = new Worker(join(repoRoot, 'web/dist/node-pool-worker.mjs'));
  worker.unref(); // a parked worker must not keep the process alive
  return { postMessage: (message) => worker.postMessage(message), terminate: () => void worker.terminate() };
};
