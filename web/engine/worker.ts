// The inference worker for browsers: new Worker(new URL('cairn-worker.mjs', ...), { type: 'module' }).
import type { WorkerRequest } from './protocol.js';
import { createInferenceHandler } from './worker_core.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = createInferenceHandler((message, transfer) => scope.postMessage(message, transfer));
scope.addEventListener('message', (event: MessageEvent<WorkerRequest>) => handle(event.data));
