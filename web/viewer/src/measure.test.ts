import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DicomJson } from './dicom_json.js';
import { geometryOf, sortInstances, type SliceGeometry } from './geometry.js';
import { foregroundCount, labelAreasCm2, labelCounts, labelVolumes, sliceSpacingMm } from './measure.js';

const metadata: DicomJson[] = JSON.parse(readFileSync(new URL('../fixtures/series_metadata.json', import.meta.url), 'utf8'));

const axial = (z: number, spacing: [number, number] = [0.5, 0.8]): SliceGeometry => ({
  position: [0, 0, z],
  rowDirection: [1, 0, 0],
  columnDirection: [0, 1, 0],
  pixelSpacing: spacing,
});

describe('measurements', () => {
  it('counts pixels per label value, in a range', () => {
    const mask = Uint8Array.from([0, 1, 1, 2, 255, 0, 2, 2]);
    const counts = labelCounts(mask);
    expect([counts[0], counts[1], counts[2], counts[255]]).toEqual([2, 2, 3, 1]);
    expect(labelCounts(mask, 4, 4)[2]).toBe(2);
    expect(foregroundCount(mask)).toBe(6);
  });

  it('takes the median gap between slice locations as the slice spacing', () => {
    expect(sliceSpacingMm([axial(0), axial(2.5), axial(5), axial(10)])).toBe(2.5); // a missing slice does not matter
    expect(sliceSpacingMm([axial(0), axial(2.5), axial(7.5)])).toBe(2.5);
    expect(sliceSpacingMm([axial(10), axial(7.5), axial(5)])).toBe(2.5); // any order
    expect(sliceSpacingMm([axial(0), null])).toBeNull();
    expect(sliceSpacingMm([axial(1), axial(1)])).toBeNull();
    expect(sliceSpacingMm([axial(1)])).toBeNull();
  });

  it('reads the slice locations of recorded Orthanc metadata', () => {
    // The fixture holds 3 slices of LIDC-IDRI-0001 at z -105, -162.5, -167.5: gaps 5 and 57.5 mm.
    const geometries = sortInstances(metadata).map(geometryOf);
    expect(sliceSpacingMm(geometries)).toBeCloseTo(5, 6);
  });

  it('gives volumes in mL and areas in cm² from pixel spacing and slice spacing', () => {
    // 2 slices of 2x3; voxel 0.5 x 0.8 x 2.5 mm = 1 mm³.
    const labels = Uint8Array.from([1, 1, 2, 0, 0, 0, 1, 2, 2, 2, 0, 255]);
    const [right, left] = labelVolumes(labels, [1, 2], [0.5, 0.8], 2.5);
    expect(right).toEqual({ value: 1, voxels: 3, ml: 0.003 });
    expect(left.voxels).toBe(4);
    expect(left.ml).toBeCloseTo(0.004, 12);
    const areas = labelAreasCm2(labels.subarray(6), [1, 2], axial(0));
    expect(areas[0]).toBeCloseTo(0.004, 12); // 1 pixel of 0.4 mm²
    expect(areas[1]).toBeCloseTo(0.012, 12);
  });
});
