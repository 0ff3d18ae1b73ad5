// The engine API on both WebAssembly builds: model description, progress, cancellation, errors, memory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CairnError } from '../engine/errors.js';
import { parseNpy } from '../tools/npy.js';
import { repoRoot } from '../tools/paths.js';
import { checkBuilds, engineFor, FLAVORS } from './wasm_builds.js';

const zoo = join(repoRoot, 'build/zoo');

describe.each(FLAVORS)('engine API, %s build', (flavor) => {
  checkBuilds();
  const unet = () => readFileSync(join(zoo, 'unet_paper.onnx'));
  const input = () => parseNpy(readFileSync(join(zoo, 'unet_paper_96x160.input.npy')));

  it('describes the model and reports at least 20 monotonic progress updates ending at 1', async () => {
    const engine = await engineFor(flavor);
    expect(engine.flavor).toBe(flavor);
    const model = engine.loadModel(unet());
    expect(model.inputs.map((i) => i.name)).toEqual(['input']);
    expect(model.outputs.map((o) => o.name)).toEqual(['output']);
    expect(model.inputs[0].shape).toHaveLength(4);
    const seen: number[] = [];
    const out = await model.run({ input: input() }, { onProgress: (f) => seen.push(f) });
    expect(out.output.shape).toEqual([1, 1, 96, 160]);
    expect(seen.length).toBeGreaterThanOrEqual(20);
    expect(seen.length).toBeLessThanOrEqual(202);
    for (let i = 1; i < seen.length; ++i) expect(seen[i]).toBeGreaterThan(seen[i - 1]);
    expect(seen.at(-1)).toBe(1);
    engine.dispose();
  });

  it('stops a run within a tile when its AbortSignal fires, and runs again afterwards', async () => {
    const engine = await engineFor(flavor);
    const model = engine.loadModel(unet());
    const reference = await model.run({ input: input() });
    const memory = engine.memoryBytes;

    const controller = new AbortController();
    const seen: number[] = [];
    let afterAbort = 0;
    const run = model.run(
      { input: input() },
      {
        signal: controller.signal,
        onProgress: (f) => {
          if (controller.signal.aborted) afterAbort++;
          seen.push(f);
          if (f > 0.3) controller.abort();
        },
      },
    );
    await expect(run).rejects.toMatchObject({ name: 'AbortError' });
    expect(afterAbort).toBe(0);
    expect(seen.at(-1)!).toBeLessThan(0.4);

    const again = await model.run({ input: input() });
    expect(again.output.data).toEqual(reference.output.data);
    expect(engine.memoryBytes).toBe(memory); // runs at the same shapes allocate nothing new

    const aborted = new AbortController();
    aborted.abort();
    await expect(model.run({ input: input() }, { signal: aborted.signal })).rejects.toMatchObject({ name: 'AbortError' });
    engine.dispose();
  });

  it('turns engine errors into CairnErrors with readable messages', async () => {
    const engine = await engineFor(flavor);
    expect(() => engine.loadModel(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]))).toThrow(CairnError);
    try {
      engine.loadModel(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 1]));
    } catch (error) {
      expect((error as CairnError).code).toBe('invalid-model');
      expect((error as CairnError).message.length).toBeGreaterThan(10);
    }
    const model = engine.loadModel(unet());
    const wrong = { shape: [1, 2, 32, 32], data: new Float32Array(2 * 32 * 32) };
    await expect(model.run({ input: wrong })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(model.run({ input: wrong })).rejects.toThrow(/1x2x32x32|channel|dimension/);
    await expect(model.run({ nope: wrong })).rejects.toThrow(/no input named 'nope'/);
    const small = engine.loadModel(unet(), { memoryLimitBytes: 64 << 20 });
    expect(() => small.prepare({ input: [1, 1, 2048, 2048] })).toThrow(/1x32x2048x2048 has more than/);
    expect(() => engine.loadModel(unet(), { memoryLimitBytes: 4 << 20 })).toThrow(/initializer: tensor '[^']+': tensor of shape [0-9x]+ has more than \d+ elements/);
    model.dispose();
    await expect(model.run({ input: input() })).rejects.toThrow(/disposed/);
    engine.dispose();
  });
});
