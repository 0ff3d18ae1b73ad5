// The inference worker out of memory, for real: the engine's WebAssembly memory capped (memoryMaximumBytes, the
// viewer's ?memory=MiB) below what a model needs, in the same Node worker as worker.test.ts. The failure must come
// back as an 'out-of-memory' CairnError with its figures, the worker be stopped (its memory freed) and a new one
// work; a worker that dies of an uncaught error must be stopped and reported too.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceClient, type WorkerLike } from '../engine/client.js';
import { CairnError } from '../engine/errors.js';
import { repoRoot, wasmPath } from '../tools/paths.js';
import { userMessage } from '../viewer/src/messages.js';
import { lungMetadata, withMetadata } from './onnx_metadata.js';
import { checkBuildFiles } from './wasm_builds.js';

const MiB = 2 ** 20;

function nodeWorker(): { adapter: WorkerLike; worker: Worker } {
  const worker = new Worker(join(repoRoot, 'web/dist/node-worker.mjs'));
  const adapter = {
    postMessage: (message, transfer) => worker.postMessage(message, transfer as never),
    addEventListener: (type: 'message' | 'error', listener: (event: never) => void) => {
      if (type === 'message') worker.on('message', (data) => listener({ data } as never));
      else worker.on('error', (error) => listener({ message: error.message } as never));
    },
    terminate: () => void worker.terminate(),
  } as WorkerLike;
  return { adapter, worker };
}

const clients: InferenceClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
});

async function start(memoryMaximumBytes?: number): Promise<InferenceClient> {
  const wasm = new Uint8Array(readFileSync(wasmPath('simd')));
  const client = await InferenceClient.start(nodeWorker().adapter, { wasm: { simd: wasm }, flavor: 'simd', memoryMaximumBytes });
  clients.push(client);
  return client;
}

// The zoo's paper U-Net (7.7 M parameters) as a lung model with its input at size x size: at 512 its run needs
// about 200 MiB of WebAssembly memory, at 256 about 120 MiB.
function unet(size: number): ArrayBuffer {
  const bytes = withMetadata(new Uint8Array(readFileSync(join(repoRoot, 'build/zoo/unet_paper.onnx'))), lungMetadata(`${size}x${size}`));
  return bytes.slice().buffer;
}

const slice = () => Float32Array.from({ length: 512 * 512 }, (_, i) => ((i * 7919) % 1900) - 1000);

describe('the inference worker out of memory', () => {
  checkBuildFiles();

  it('reports a run the capped memory cannot hold with its figures, stops the worker, and a new worker works', async () => {
    const client = await start(160 * MiB);
    const model = await client.loadModel(unet(512));
    // The segmenter plans the run at the model's input size: its activations do not fit.
    const failed = await client.createSegmenter(model).then(() => null, (error: unknown) => error);
    expect(failed).toBeInstanceOf(CairnError);
    const error = failed as CairnError;
    expect(error.code).toBe('out-of-memory');
    expect(error.memory?.maximumBytes).toBe(160 * MiB);
    expect(error.memory?.usedBytes).toBeLessThanOrEqual(160 * MiB);
    expect(error.memory?.neededBytes).toBeGreaterThan(160 * MiB);
    expect(userMessage(error)).toMatch(
      /^The model ran out of memory in this browser tab \(it needed about \d+ MB; the limit here is 168 MB\)\. The images and the results so far are kept, and the engine was restarted: close other tabs and try again, or use a smaller model\.$/,
    );
    // The worker is gone with the memory it grew: every later request says so.
    expect(client.stopped).toBe(true);
    await expect(client.metadata(model)).rejects.toMatchObject({ code: 'worker-failed', message: /stopped to free the memory/ });

    // A new worker with the same cap runs what fits in it.
    const again = await start(160 * MiB);
    const small = await again.createSegmenter(await again.loadModel(unet(256)));
    const { mask } = await again.segmentSlice(small, slice(), 512, 512);
    expect(mask.length).toBe(512 * 512);
    expect(again.stopped).toBe(false);
  });

  it('takes the trap that follows a failed C++ allocation (bad_alloc without exceptions) for an out-of-memory', async () => {
    // 48 MiB: the model's bytes fit, its unpacked weights do not (a std::vector in the loader).
    const client = await start(48 * MiB);
    const failed = await client.loadModel(unet(256)).then(() => null, (error: unknown) => error);
    expect(failed).toMatchObject({ code: 'out-of-memory', message: /an allocation failed \(unreachable\)/ });
    expect((failed as CairnError).memory?.maximumBytes).toBe(48 * MiB);
    expect(userMessage(failed)).toMatch(/^The model ran out of memory in this browser tab \(it had \d+ MB and could get no more; the limit here is 50 MB\)\./);
    expect(client.stopped).toBe(true);
  });

  it('stops and reports a worker that dies of an uncaught error', async () => {
    const { adapter, worker } = nodeWorker();
    const client = await InferenceClient.start(adapter, { wasm: { simd: new Uint8Array(readFileSync(wasmPath('simd'))) }, flavor: 'simd' });
    clients.push(client);
    // Not a request: the worker's message listener throws on it, outside any request, and the thread dies.
    worker.postMessage(null);
    await new Promise<void>((resolve) => worker.once('error', () => resolve()));
    expect(client.stopped).toBe(true);
    const failed = await client.loadModel(unet(256)).then(() => null, (error: unknown) => error);
    expect(failed).toMatchObject({ code: 'worker-failed', message: /the inference worker failed: .*null/ });
    expect(userMessage(failed)).toMatch(/^The inference worker stopped: the inference worker failed: .*the next Apply deep learning starts a new worker: try again\.$/);
  });
});
