// The threaded builds (cairn-<flavor>-mt.wasm, a pool of worker_threads over one shared memory) in Node: the engine
// gets the threads it asked for, and every output is bit for bit the same as on one thread, for any thread count.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../engine/engine.js';
import type { WasmFlavor } from '../engine/features.js';
import { parseNpy } from '../tools/npy.js';
import { spawnNodePoolWorker, type NodePoolWorker } from '../tools/node_pool.js';
import { requireWasm } from '../tools/paths.js';
import { checkBuilds, engineFor, FLAVORS } from './wasm_builds.js';
import { zoo } from './zoo_data.js';

// workers: where the engine's pool workers are listed as they are spawned.
async function threadedEngine(flavor: WasmFlavor, threads: number, workers: NodePoolWorker[] = []) {
  return createEngine({
    wasm: { [flavor]: readFileSync(requireWasm(flavor)) },
    threadedWasm: { [flavor]: readFileSync(requireWasm(flavor, true)) },
    flavor,
    threads,
    spawnPoolWorker: () => {
      const worker = spawnNodePoolWorker();
      workers.push(worker);
      return worker;
    },
    log: () => {},
  });
}

// Models whose operators are threaded, at sizes that give each thread several items.
const CASES = [
  { model: 'unet_paper.onnx', input: 'unet_paper_96x160.input.npy' },
  { model: 'unet_paper.onnx', input: 'unet_paper_odd_208x48.input.npy' },
  { model: 'unet_bn_bilinear.onnx', input: 'unet_bn_bilinear_75x93.input.npy' },
  { model: 'resnet_small.onnx', input: 'resnet_small.input.npy' },
  { model: 'unet3d_small.onnx', input: 'unet3d_small.input.npy' },
];

describe.each(FLAVORS)('threads, %s build', (flavor) => {
  checkBuilds();
  requireWasm(flavor, true);

  it('gives the same bits on 1, 2, 3 and 4 threads as the single-threaded build', async () => {
    const single = await engineFor(flavor);
    const references = CASES.map(({ model, input }) => {
      const m = single.loadModel(readFileSync(join(zoo, model)));
      const out = m.runSync({ [m.inputs[0].name]: parseNpy(readFileSync(join(zoo, input))) });
      m.dispose();
      return out;
    });
    single.dispose();
    for (const threads of [1, 2, 3, 4]) {
      const engine = await threadedEngine(flavor, threads);
      expect(engine.threads).toBe(threads);
      CASES.forEach(({ model, input }, c) => {
        const m = engine.loadModel(readFileSync(join(zoo, model)));
        const out = m.runSync({ [m.inputs[0].name]: parseNpy(readFileSync(join(zoo, input))) });
        for (const [name, tensor] of Object.entries(references[c])) {
          expect(out[name].shape, `${model} ${input}, ${threads} threads`).toEqual(tensor.shape);
          const differing = tensor.data.findIndex((v, i) => !Object.is(v, out[name].data[i]));
          expect(differing, `${model} ${input} output '${name}', ${threads} threads: first differing element`).toBe(-1);
        }
        m.dispose();
      });
      engine.dispose();
    }
  });

  it('reports progress and cancels on the threaded build, then runs again with the same bits', async () => {
    const workers: NodePoolWorker[] = [];
    const engine = await threadedEngine(flavor, 3, workers);
    expect(workers).toHaveLength(2);
    const m = engine.loadModel(readFileSync(join(zoo, 'unet_paper.onnx')));
    const input = parseNpy(readFileSync(join(zoo, 'unet_paper_96x160.input.npy')));
    const seen: number[] = [];
    const first = await m.run({ input }, { onProgress: (f) => seen.push(f) });
    expect(seen.length).toBeGreaterThanOrEqual(20);
    expect(seen.at(-1)).toBe(1);
    const controller = new AbortController();
    const cancelled = m.run({ input }, { onProgress: (f) => f > 0.3 && controller.abort(), signal: controller.signal });
    await expect(cancelled).rejects.toThrow();
    // The cancelled run returned with every worker parked again: the next run is whole and exact.
    const again = await m.run({ input });
    expect(again.output.shape).toEqual([1, 1, 96, 160]);
    expect(again.output.data.findIndex((v, i) => !Object.is(v, first.output.data[i]))).toBe(-1);
    engine.dispose();
  });

  it('stops every pool worker when the engine is disposed', async () => {
    const workers: NodePoolWorker[] = [];
    const engine = await threadedEngine(flavor, 4, workers);
    expect(workers).toHaveLength(3);
    const m = engine.loadModel(readFileSync(join(zoo, 'resnet_small.onnx')));
    m.runSync({ [m.inputs[0].name]: parseNpy(readFileSync(join(zoo, 'resnet_small.input.npy'))) });
    engine.dispose(); // disposes the model too
    // Each thread ends (the test times out otherwise); none is left parked in the memory of a disposed engine.
    await Promise.all(workers.map((w) => w.exited));
  });
});
