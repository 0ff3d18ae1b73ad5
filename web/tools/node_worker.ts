// The inference worker for Node (worker_threads), for tests and tools: the same handler as in browsers.
import { parentPort } from 'node:worker_threads';
import type { WorkerRequest } from '../engine/protocol.js';
import { createInferenceHandler } from '../engine/worker_core.js';

const port = parentPort!;
const handle = createInferenceHandler((message, transfer) => port.postMessage(message, transfer as never));
port.on('message', (request: WorkerRequest) => handle(request));
