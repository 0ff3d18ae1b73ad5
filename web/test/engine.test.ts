// The engine API on both WebAssembly builds: model description, progress, cancellation, errors, memory.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CairnError } from '../engine/errors.js';
import { parseNpy } from '../tools/npy.js';
import { lungMetadata, withMetadata } from './onnx_metadata.js';
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

// Segmentation described by the model's metadata (cairn_segmenter_*): the C++ pre- and post-processing the CLI uses.
describe.each(FLAVORS)('segmenter, %s build', (flavor) => {
  checkBuilds();
  const unet = () => new Uint8Array(readFileSync(join(zoo, 'unet_paper.onnx')));
  const described = () => withMetadata(unet(), lungMetadata('64x64'));
  // A chest-like slice: air, a soft-tissue body, two dark lungs.
  const chest = (rows: number, cols: number) => {
    const hu = new Float32Array(rows * cols);
    for (let r = 0; r < rows; ++r) {
      for (let c = 0; c < cols; ++c) {
        const y = (r - rows / 2) / rows;
        const x = (c - cols / 2) / cols;
        const body = x * x + y * y < 0.2;
        const lung = Math.abs(Math.abs(x) - 0.18) < 0.1 && Math.abs(y) < 0.25;
        hu[r * cols + c] = !body ? -1000 : lung ? -850 + ((r * 7 + c * 13) % 50) : 40 + ((r * 3 + c) % 30);
      }
    }
    return hu;
  };

  it("reads the model's metadata and describes the segmentation it asks for", async () => {
    const engine = await engineFor(flavor);
    const model = engine.loadModel(described());
    expect(model.metadata()['cairn.input.size']).toBe('64x64');
    const spec = model.createSegmenter().spec;
    expect(spec).toMatchObject({
      name: 'Lung U-Net (development)',
      huClip: [-1024, 600],
      center: -212,
      scale: 812,
      inputSize: [64, 64],
      activation: 'none',
      threshold: 0.5,
      components: 2,
      fillHoles: true,
      splitLeftRight: true,
      unionLabel: 255,
    });
    expect(spec.labels.map((l) => [l.value, l.snomed])).toEqual([[1, '3341006'], [2, '44029006'], [255, '39607008']]);
    engine.dispose();
  });

  it("gives the model's own output on the normalized slice when the slice is the input size, thresholded", async () => {
    const engine = await engineFor(flavor);
    const segmenter = engine.loadModel(described()).createSegmenter();
    const hu = chest(64, 64);
    const seen: number[] = [];
    const { mask, probability } = segmenter.segmentSlice(hu, 64, 64, { probability: true, onProgress: (f) => seen.push(f) });
    expect(seen.at(-1)).toBe(1);
    const x = Float32Array.from(hu, (v) => (Math.min(600, Math.max(-1024, v)) + 212) / 812);
    const reference = engine.loadModel(unet()).runSync({ input: { shape: [1, 1, 64, 64], data: x } }).output.data;
    let worst = 0;
    for (let i = 0; i < reference.length; ++i) worst = Math.max(worst, Math.abs(reference[i] - probability![i]));
    expect(worst).toBeLessThan(1e-5);
    for (let i = 0; i < mask.length; ++i) expect(mask[i]).toBe(probability![i] > 0.5 ? 1 : 0);
    // Other sizes: resampled to 64x64 and back; the mask is at the slice's size.
    const other = segmenter.segmentSlice(chest(90, 130), 90, 130);
    expect(other.mask.length).toBe(90 * 130);
    expect(other.probability).toBeUndefined();
    expect(() => segmenter.segmentSlice(hu, 60, 64)).toThrow(/4096 values for 60x64/);
    engine.dispose();
  });

  it('keeps the two largest 3-D components, fills holes and splits right from left by the row direction', async () => {
    const engine = await engineFor(flavor);
    const segmenter = engine.loadModel(described()).createSegmenter();
    const [slices, rows, cols] = [4, 20, 30];
    const volume = new Uint8Array(slices * rows * cols);
    const set = (z: number, r: number, c: number) => (volume[(z * rows + r) * cols + c] = 1);
    for (let z = 0; z < slices; ++z) {
      for (let r = 4; r < 16; ++r) {
        for (let c = 3; c < 11; ++c) if (!(r === 9 && c === 7)) set(z, r, c); // image left: the patient's right; one hole
        for (let c = 18; c < 27; ++c) set(z, r, c); // image right: the patient's left
      }
    }
    set(0, 0, 15); // a speck: a third component
    const labels = segmenter.postprocessVolume(volume, slices, rows, cols, [1, 0, 0]);
    const at = (z: number, r: number, c: number) => labels[(z * rows + r) * cols + c];
    expect(at(0, 0, 15)).toBe(0);
    expect(at(1, 9, 7)).toBe(1); // hole filled, right lung
    expect(at(2, 10, 5)).toBe(1);
    expect(at(2, 10, 20)).toBe(2);
    expect(volume[(1 * rows + 9) * cols + 7]).toBe(0); // the input is not changed
    const mirrored = segmenter.postprocessVolume(volume, slices, rows, cols, [-1, 0, 0]);
    expect(mirrored[(2 * rows + 10) * cols + 5]).toBe(2);
    const one = segmenter.postprocessSlice(volume.subarray(0, rows * cols), rows, cols);
    expect(one[5]).toBe(0);
    expect(one[10 * cols + 20]).toBe(2);
    expect(() => segmenter.postprocessVolume(volume, slices + 1, rows, cols)).toThrow(/2400 values for 5x20x30/);
    engine.dispose();
  });

  it('cancels a slice, refuses a model without segmentation metadata by naming the key, and frees with its model', async () => {
    const engine = await engineFor(flavor);
    const model = engine.loadModel(described());
    const segmenter = model.createSegmenter();
    const controller = new AbortController();
    expect(() => segmenter.segmentSlice(chest(64, 64), 64, 64, { signal: controller.signal, onProgress: (f) => f > 0.2 && controller.abort() }))
      .toThrow(expect.objectContaining({ name: 'AbortError' }));
    expect(segmenter.segmentSlice(chest(64, 64), 64, 64).mask.length).toBe(4096);
    expect(() => engine.loadModel(unet()).createSegmenter()).toThrow(/cairn\.schema/);
    const bad = withMetadata(unet(), { ...lungMetadata('64x64'), 'cairn.input.size': '64' });
    expect(() => engine.loadModel(bad).createSegmenter()).toThrow(/cairn\.input\.size/);
    model.dispose();
    expect(() => segmenter.segmentSlice(chest(64, 64), 64, 64)).toThrow(/disposed/);
    engine.dispose();
  });
});
