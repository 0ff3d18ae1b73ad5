// The inference worker (the same handler as in browsers, in a Node worker thread) through InferenceClient:
// transferred buffers, progress, results, cancellation by a shared flag, errors.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { InferenceClient, type WorkerLike } from '../engine/client.js';
import { parseNpy } from '../tools/npy.js';
import { repoRoot, wasmPath } from '../tools/paths.js';
import { lungMetadata, withMetadata } from './onnx_metadata.js';
import { checkBuilds, engineFor, FLAVORS } from './wasm_builds.js';

function nodeWorker(): WorkerLike {
  // V8 flags are per process: the worker inherits --experimental-wasm-relaxed-simd from vitest's.
  const worker = new Worker(join(repoRoot, 'web/dist/node-worker.mjs'));
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer as never),
    addEventListener: (type: 'message' | 'error', listener: (event: never) => void) => {
      if (type === 'message') worker.on('message', (data) => listener({ data } as never));
      else worker.on('error', (error) => listener({ message: error.message } as never));
    },
    terminate: () => void worker.terminate(),
  } as WorkerLike;
}

const clients: InferenceClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.terminate();
});

describe.each(FLAVORS)('inference worker, %s build', (flavor) => {
  checkBuilds();
  const zoo = join(repoRoot, 'build/zoo');

  it('loads, runs with progress and transfers buffers without copies', async () => {
    const wasm = readFileSync(wasmPath(flavor));
    const client = await InferenceClient.start(nodeWorker(), { wasm: { [flavor]: wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength) }, flavor });
    clients.push(client);
    expect(client.flavor).toBe(flavor);
    const bytes = new Uint8Array(readFileSync(join(zoo, 'unet_paper.onnx'))).buffer;
    const model = await client.loadModel(bytes);
    expect(bytes.byteLength).toBe(0); // transferred
    expect(model.inputs[0].name).toBe('input');

    const x = parseNpy(readFileSync(join(zoo, 'unet_paper_96x160.input.npy')));
    const copy = { shape: x.shape, data: x.data.slice() };
    const seen: number[] = [];
    const out = await client.run(model, { input: copy }, { onProgress: (f) => seen.push(f) });
    expect(copy.data.byteLength).toBe(0); // transferred
    expect(seen.length).toBeGreaterThanOrEqual(20);
    for (let i = 1; i < seen.length; ++i) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    expect(seen.at(-1)).toBe(1);

    const engine = await engineFor(flavor);
    const direct = engine.loadModel(readFileSync(join(zoo, 'unet_paper.onnx'))).runSync({ input: x });
    expect(out.output.data).toEqual(direct.output.data);
    expect(client.lastMemoryBytes).toBeGreaterThan(0);

    await expect(client.run({ ...model, id: 99 }, { input: x })).rejects.toThrow(/no model 99/);
  });

  it('cancels a running computation through the shared flag and keeps working', async () => {
    const wasm = readFileSync(wasmPath(flavor));
    const client = await InferenceClient.start(nodeWorker(), { wasm: { [flavor]: new Uint8Array(wasm) }, flavor });
    clients.push(client);
    const model = await client.loadModel(new Uint8Array(readFileSync(join(zoo, 'unet_paper.onnx'))).buffer);
    const x = parseNpy(readFileSync(join(zoo, 'unet_paper_96x160.input.npy')));
    const controller = new AbortController();
    const started = Date.now();
    const run = client.run(model, { input: { shape: x.shape, data: x.data.slice() } }, {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5000);
    const out = await client.run(model, { input: { shape: x.shape, data: x.data.slice() } });
    expect(out.output.shape).toEqual([1, 1, 96, 160]);
  });

  it('segments slices and post-processes a volume in C++ through the worker, as the engine does directly', async () => {
    const wasm = readFileSync(wasmPath(flavor));
    const client = await InferenceClient.start(nodeWorker(), { wasm: { [flavor]: new Uint8Array(wasm) }, flavor });
    clients.push(client);
    const bytes = withMetadata(new Uint8Array(readFileSync(join(zoo, 'unet_paper.onnx'))), lungMetadata('64x64'));
    const model = await client.loadModel(bytes.slice().buffer);
    expect((await client.metadata(model))['cairn.labels']).toContain('Right lung');
    const segmenter = await client.createSegmenter(model);
    expect(segmenter.spec.inputSize).toEqual([64, 64]);
    expect(segmenter.spec.splitLeftRight).toBe(true);

    const [rows, cols] = [80, 96];
    const hu = Float32Array.from({ length: rows * cols }, (_, i) => ((i * 7919) % 1900) - 1000);
    const sent = hu.slice();
    const seen: number[] = [];
    const remote = await client.segmentSlice(segmenter, sent, rows, cols, { probability: true, onProgress: (f) => seen.push(f) });
    expect(sent.byteLength).toBe(0); // transferred
    expect(seen.at(-1)).toBe(1);
    const direct = (await engineFor(flavor)).loadModel(bytes).createSegmenter();
    const local = direct.segmentSlice(hu, rows, cols, { probability: true });
    expect(remote.mask).toEqual(local.mask);
    expect(remote.probability).toEqual(local.probability);

    const volume = new Uint8Array(3 * rows * cols);
    for (let z = 0; z < 3; ++z) volume.set(local.mask, z * rows * cols);
    expect(await client.postprocessVolume(segmenter, volume.slice(), 3, rows, cols, [1, 0, 0]))
      .toEqual(direct.postprocessVolume(volume, 3, rows, cols, [1, 0, 0]));
    expect(await client.postprocessSlice(segmenter, local.mask.slice(), rows, cols)).toEqual(direct.postprocessSlice(local.mask, rows, cols));

    const controller = new AbortController();
    const cancelled = client.segmentSlice(segmenter, hu.slice(), rows, cols, { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
    expect((await client.segmentSlice(segmenter, hu.slice(), rows, cols)).mask).toEqual(local.mask);
    await expect(client.createSegmenter(await client.loadModel(new Uint8Array(readFileSync(join(zoo, 'unet_paper.onnx'))).buffer)))
      .rejects.toThrow(/cairn\.schema/);
  });
});
