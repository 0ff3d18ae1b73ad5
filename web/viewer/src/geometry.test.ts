import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DicomJson } from './dicom_json.js';
import { Tag, num } from './dicom_json.js';
import { formatPatientPosition, geometryOf, patientPosition, pixelAreaCm2, sliceNormal, sortInstances } from './geometry.js';

const metadata: DicomJson[] = JSON.parse(readFileSync(new URL('../fixtures/series_metadata.json', import.meta.url), 'utf8'));

describe('geometry', () => {
  it("reads the recorded slice's position, orientation and spacing", () => {
    const g = geometryOf(metadata[0])!;
    expect(g.rowDirection).toEqual([1, 0, 0]);
    expect(g.columnDirection).toEqual([0, 1, 0]);
    expect(g.pixelSpacing).toEqual([0.703125, 0.703125]);
    expect(sliceNormal(g)).toEqual([0, 0, 1]);
    expect(pixelAreaCm2(g)).toBeCloseTo(0.703125 ** 2 / 100, 12);
  });

  it('places pixel (row, column) at S + column * dc * X + row * dr * Y', () => {
    const g = geometryOf(metadata[0])!;
    expect(patientPosition(g, 0, 0)).toEqual(g.position);
    const p = patientPosition(g, 10, 20);
    expect(p[0]).toBeCloseTo(g.position[0] + 20 * 0.703125, 9);
    expect(p[1]).toBeCloseTo(g.position[1] + 10 * 0.703125, 9);
    expect(p[2]).toBeCloseTo(g.position[2], 9);
  });

  it('handles oblique and anisotropic slices: rows then columns of the spacing', () => {
    const s = Math.SQRT1_2;
    const g = { position: [1, 2, 3] as [number, number, number], rowDirection: [s, s, 0] as [number, number, number], columnDirection: [0, 0, -1] as [number, number, number], pixelSpacing: [2, 0.5] as [number, number] };
    const p = patientPosition(g, 3, 4); // 4 columns of 0.5 mm along X, 3 rows of 2 mm along Y
    expect(p[0]).toBeCloseTo(1 + 2 * s, 12);
    expect(p[1]).toBeCloseTo(2 + 2 * s, 12);
    expect(p[2]).toBeCloseTo(3 - 6, 12);
    expect(formatPatientPosition([-12.34, 5, -7])).toBe('R 12.3  P 5.0  I 7.0 mm');
  });

  it('sorts slices head first along the normal, by InstanceNumber without geometry', () => {
    const sorted = sortInstances([...metadata].reverse());
    const z = sorted.map((i) => geometryOf(i)!.position[2]);
    expect(z).toEqual([...z].sort((a, b) => b - a));
    const bare: DicomJson[] = [3, 1, 2].map((n) => ({ [Tag.InstanceNumber]: { vr: 'IS', Value: [n] } }));
    expect(sortInstances(bare).map((i) => num(i, Tag.InstanceNumber))).toEqual([1, 2, 3]);
    expect(geometryOf(bare[0])).toBeNull();
  });
});
