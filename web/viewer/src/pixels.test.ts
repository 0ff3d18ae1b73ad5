import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DicomJson } from './dicom_json.js';
import { Tag, str } from './dicom_json.js';
import { parseMultipartRelated } from './multipart.js';
import { checkCtSeries, frameToHu, pixelFormatOf, renderWindowed, UnsupportedSeriesError, WINDOW_PRESETS, windowLevel, type PixelFormat } from './pixels.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const metadata: DicomJson[] = JSON.parse(fixture('series_metadata.json').toString());
const recorded = JSON.parse(fixture('frame_crop64.json').toString());

describe('HU conversion', () => {
  it("converts the recorded frame (signed 16-bit, slope 1, intercept -1024) to HU", () => {
    const instance = metadata.find((m) => str(m, Tag.SOPInstanceUID) === recorded.instance)!;
    const format = pixelFormatOf(instance);
    expect(format).toMatchObject({ rows: 512, columns: 512, bitsAllocated: 16, signed: true, slope: 1, intercept: -1024 });
    const part = parseMultipartRelated(new Uint8Array(fixture('frame_crop64.multipart')), recorded.contentType)[0];
    const hu = frameToHu(part.body, { ...format, rows: 64, columns: 64 });
    const raw = new DataView(part.body.buffer, part.body.byteOffset);
    for (const i of [0, 100, 2000, 4095]) expect(hu[i]).toBe(raw.getInt16(2 * i, true) - 1024);
    const sorted = [...hu].sort((a, b) => a - b);
    expect(sorted[0]).toBeGreaterThanOrEqual(-1100); // the centre of a chest CT: air, tissue, no padding
    expect(sorted[sorted.length - 1]).toBeLessThan(3000);
  });

  const base: PixelFormat = { rows: 1, columns: 3, bitsAllocated: 16, bitsStored: 16, signed: false, slope: 1, intercept: 0, monochrome1: false };
  const bytes16 = (values: number[]) => new Uint8Array(new Uint16Array(values).buffer);

  it('reads unsigned and signed pixels, with slope and intercept', () => {
    expect([...frameToHu(bytes16([0, 1024, 65535]), { ...base, intercept: -1024 })]).toEqual([-1024, 0, 64511]);
    expect([...frameToHu(bytes16([0xfc00, 40, 0xffff]), { ...base, signed: true, slope: 2, intercept: 10 })]).toEqual([-2038, 90, 8]);
  });

  it('masks and sign-extends BitsStored < 16, reads 8-bit frames, and copies unaligned bytes', () => {
    expect([...frameToHu(bytes16([0xf000, 0x0800, 0x07ff]), { ...base, bitsStored: 12, signed: true })]).toEqual([0, -2048, 2047]);
    expect([...frameToHu(bytes16([0xf123, 0x0fff, 0]), { ...base, bitsStored: 12 })]).toEqual([0x123, 0xfff, 0]);
    expect([...frameToHu(Uint8Array.from([255, 128, 1]), { ...base, bitsAllocated: 8, bitsStored: 8, signed: true })]).toEqual([-1, -128, 1]);
    const odd = new Uint8Array(7);
    odd.set(bytes16([1, 2, 3]), 1);
    expect([...frameToHu(odd.subarray(1), base)]).toEqual([1, 2, 3]);
    expect(() => frameToHu(new Uint8Array(4), base)).toThrow(/4 bytes, 6 expected/);
  });

  it('refuses non-CT and colour series with a reason', () => {
    expect(() => checkCtSeries('MR', metadata[0])).toThrow(/MR series, not CT/);
    const colour = { ...metadata[0], [Tag.PhotometricInterpretation]: { vr: 'CS', Value: ['RGB'] }, [Tag.SamplesPerPixel]: { vr: 'US', Value: [3] } };
    expect(() => checkCtSeries('CT', colour)).toThrow(UnsupportedSeriesError);
    expect(() => checkCtSeries('CT', colour)).toThrow(/colour series \(RGB/);
    expect(checkCtSeries('CT', metadata[0]).rows).toBe(512);
  });
});

describe('windowing', () => {
  it('has the lung, mediastinum and bone presets', () => {
    expect(WINDOW_PRESETS).toEqual({ lung: { center: -600, width: 1500 }, mediastinum: { center: 40, width: 400 }, bone: { center: 400, width: 1800 } });
  });

  it('maps [center - width/2, center + width/2] linearly onto 0-255, clamped', () => {
    const w = WINDOW_PRESETS.mediastinum;
    expect(windowLevel(-160, w)).toBe(0);
    expect(windowLevel(-1000, w)).toBe(0);
    expect(windowLevel(240, w)).toBe(255);
    expect(windowLevel(40, w)).toBe(128);
    expect(windowLevel(-600 - 375, WINDOW_PRESETS.lung)).toBe(64);
  });

  it('renders opaque grey RGBA through the lookup table', () => {
    const hu = Float32Array.from([-2000, 40, 1000, -40000]);
    const rgba = new Uint8ClampedArray(16);
    renderWindowed(hu, WINDOW_PRESETS.mediastinum, rgba);
    expect([...rgba]).toEqual([0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 0, 0, 0, 255]);
    renderWindowed(hu, WINDOW_PRESETS.mediastinum, rgba, true);
    expect(rgba[0]).toBe(255);
  });
});
