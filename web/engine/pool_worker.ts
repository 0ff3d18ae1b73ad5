// The entry point of a pool worker in browsers (dist/cairn-pool-worker.mjs): one message, then cairn_pool_worker().
import { runPoolWorker } from './pool_worker_core.js';
import type { PoolWorkerStart } from './thread_pool.js';

self.addEventListener('message', (event: MessageEvent<PoolWorkerStart>) => void runPoolWorker(event.data), { once: true });
