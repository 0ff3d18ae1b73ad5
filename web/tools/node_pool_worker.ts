// The entry point of a pool worker in Node (dist/node-pool-worker.mjs), for the Node tools and tests.
import { parentPort } from 'node:worker_threads';
import { runPoolWorker } from '../engine/pool_worker_core.js';
import type { PoolWorkerStart } from '../engine/thread_pool.js';

parentPort!.once('message', (start: PoolWorkerStart) => void runPoolWorker(start));
