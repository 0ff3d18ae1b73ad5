import { describe, expect, it } from 'vitest';
import { parseCatalog } from './catalog.js';
import { DEFAULT_PREPROCESSING, maskArea, maskFromOutput, modelInput, readPreprocessing, resampleArea, resampleBilinear } from './preprocess.js';

describe('preprocessing', () => {
  it('defaults to the lung U-Net: HU clip [-1024, 600], x = (HU + 212) / 812, 256x256, threshold 0.5', () => {
    expect(readPreprocessing(undefined).preprocessing).toEqual(DEFAULT_PREPROCESSING);
    expect(DEFAULT_PREPROCESSING).toEqual({ huClip: [-1024, 600], huCenter: -212, huHalfRange: 812, inputSize: [256, 256], threshold: 0.5 });
  });

  it("reads a catalog entry's keys and reports malformed ones", () => {
    const { preprocessing, problems } = readPreprocessing({ hu_clip: [-1000, 400], hu_center: 0, hu_half_range: 500, input_size: 128, threshold: 0.3 });
    expect(preprocessing).toEqual({ huClip: [-1000, 400], huCenter: 0, huHalfRange: 500, inputSize: [128, 128], threshold: 0.3 });
    expect(problems).toEqual([]);
    const bad = readPreprocessing({ hu_clip: [600, -1024], input_size: [0, 3], hu_half_range: -1 });
    expect(bad.preprocessing).toEqual(DEFAULT_PREPROCESSING);
    expect(bad.problems).toHaveLength(3);
  });

  it('area-averages 2x2 blocks, then clips and normalizes', () => {
    const hu = Float32Array.from([-2000, -2000, 0, 1000, -2000, -2000, 200, -400]); // 2 rows x 4 columns
    const p = { ...DEFAULT_PREPROCESSING, inputSize: [1, 2] as [number, number] };
    const { shape, data } = modelInput(hu, 2, 4, p);
    expect(shape).toEqual([1, 1, 1, 2]);
    expect(data[0]).toBeCloseTo((-1024 + 212) / 812, 6); // mean -2000, clipped to -1024
    expect(data[1]).toBeCloseTo((200 + 212) / 812, 6);
  });

  it('area-averages uneven ratios as adaptive average pooling', () => {
    expect([...resampleArea(Float32Array.from([1, 2, 3]), 1, 3, 1, 2)]).toEqual([1.5, 2.5]);
  });

  it('resamples bilinearly with half-pixel centres and thresholds the mask', () => {
    expect([...resampleBilinear(Float32Array.from([0, 1]), 1, 2, 1, 4)]).toEqual([0, 0.25, 0.75, 1]);
    const p = { ...DEFAULT_PREPROCESSING, inputSize: [1, 2] as [number, number] };
    const mask = maskFromOutput(Float32Array.from([0, 1]), p, 1, 4);
    expect([...mask]).toEqual([0, 0, 1, 1]);
    expect(maskArea(mask)).toBe(2);
    expect(() => maskFromOutput(new Float32Array(3), p, 1, 4)).toThrow(/3 values, 1x2 expected/);
  });
});

describe('catalog', () => {
  it('resolves files and cards against the catalog URL and keeps the development flag', () => {
    const models = parseCatalog(
      { models: [{ id: 'dev', name: 'Dev', file: 'dev/model.onnx', sha256: 'ab'.repeat(32), development: true, card: 'dev/MODEL_CARD.md' }, { id: 'broken' }] },
      'http://pacs/cairn/models/catalog.json',
    );
    expect(models).toHaveLength(1);
    expect(models[0]).toMatchObject({ url: 'http://pacs/cairn/models/dev/model.onnx', cardUrl: 'http://pacs/cairn/models/dev/MODEL_CARD.md', development: true });
    expect(models[0].preprocessing).toEqual(DEFAULT_PREPROCESSING);
    expect(() => parseCatalog({}, 'http://pacs/')).toThrow(/no "models" list/);
  });
});
