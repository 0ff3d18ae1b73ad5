import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DicomJson } from './dicom_json.js';
import { geometryOf, sortInstances, type SliceGeometry } from './geometry.js';
import { foregroundCount, labelAreasCm2, labelCounts, labelVolumes, sliceThicknessesMm, sliceVoxelVolumesMl, unevenSpacing } from './measure.js';

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

  it('gives each slice half the gap to each neighbour as its thickness', () => {
    expect(sliceThicknessesMm([axial(0), axial(2.5), axial(5), axial(7.5)])).toEqual([2.5, 2.5, 2.5, 2.5]);
    // The slice at 5 is missing: its neighbours share its 2.5 mm, so the extent counted is still 5 slices' worth.
    expect(sliceThicknessesMm([axial(0), axial(2.5), axial(7.5), axial(10)])).toEqual([2.5, 3.75, 3.75, 2.5]);
    expect(sliceThicknessesMm([axial(10), axial(7.5), axial(0), axial(2.5)])).toEqual([2.5, 3.75, 2.5, 3.75]); // any order
    expect(sliceThicknessesMm([axial(4), axial(1)])).toEqual([3, 3]);
    expect(sliceThicknessesMm([axial(0), null])).toBeNull();
    expect(sliceThicknessesMm([axial(1), axial(1)])).toBeNull();
    expect(sliceThicknessesMm([axial(1)])).toBeNull();
  });

  it('reports uneven slice spacing by the rule cairn segment refuses it by', () => {
    expect(unevenSpacing([axial(0), axial(2.5), axial(5), axial(7.5)])).toBeNull();
    expect(unevenSpacing([axial(0), axial(2.5), axial(5.01), axial(7.5)])).toBeNull(); // gaps 2.49..2.51: within 1 % of 2.5
    expect(unevenSpacing([axial(0), axial(2.5), axial(5.02), axial(7.5)])).not.toBeNull(); // 2.48..2.52: beyond
    expect(unevenSpacing([axial(7.5), axial(0), axial(2.5)])).toEqual({ minGapMm: 2.5, maxGapMm: 5 });
    expect(unevenSpacing([axial(0), axial(2.5), axial(2.5), axial(5)])).toEqual({ minGapMm: 0, maxGapMm: 2.5 });
    expect(unevenSpacing([axial(0), null, axial(5)])).toBeNull();
  });

  it('reads the slice locations of recorded Orthanc metadata', () => {
    // The fixture holds 3 slices of LIDC-IDRI-0001 at z -105, -162.5, -167.5: gaps 5 and 57.5 mm.
    const geometries = sortInstances(metadata).map(geometryOf);
    const thicknesses = sliceThicknessesMm(geometries)!;
    expect(thicknesses.map((t) => Number(t.toFixed(6)))).toEqual([57.5, 31.25, 5]); // in the order given (z descending)
    const gaps = unevenSpacing(geometries)!;
    expect(gaps.minGapMm).toBeCloseTo(5, 6);
    expect(gaps.maxGapMm).toBeCloseTo(57.5, 6);
  });

  it('gives volumes in mL and areas in cm² from pixel spacing and slice spacing', () => {
    // 2 slices of 2x3; voxel 0.5 x 0.8 x 2.5 mm = 1 mm³.
    const labels = Uint8Array.from([1, 1, 2, 0, 0, 0, 1, 2, 2, 2, 0, 255]);
    const [right, left] = labelVolumes(labels, [1, 2], sliceVoxelVolumesMl([axial(0), axial(2.5)])!);
    expect(right).toEqual({ value: 1, voxels: 3, ml: 0.003 });
    expect(left.voxels).toBe(4);
    expect(left.ml).toBeCloseTo(0.004, 12);
    // Per-slice thicknesses: the first slice's voxels count 2 mm³ each, the second's 3.
    expect(sliceVoxelVolumesMl([axial(0), axial(5), axial(12.5)])!.map((v) => v * 1000)).toEqual([2, 2.5, 3]);
    const [right2, left2] = labelVolumes(labels, [1, 2], [0.002, 0.003]);
    expect(right2.voxels).toBe(3);
    expect(right2.ml).toBeCloseTo((2 * 2 + 1 * 3) / 1000, 12);
    expect(left2.ml).toBeCloseTo((1 * 2 + 3 * 3) / 1000, 12);
    expect(() => labelVolumes(labels, [1], [1, 1, 1, 1, 1])).toThrow(/12 voxels is not 5 slices/);
    const areas = labelAreasCm2(labels.subarray(6), [1, 2], axial(0));
    expect(areas[0]).toBeCloseTo(0.004, 12); // 1 pixel of 0.4 mm²
    expect(areas[1]).toBeCloseTo(0.012, 12);
  });
});
