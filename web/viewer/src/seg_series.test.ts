import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { SegmentationSpec } from '../../engine/engine.js';
import { type DicomJson, Tag, str } from './dicom_json.js';
import { sortInstances } from './geometry.js';
import { newUid, SegDescriptionError, segWriteDescription, seriesReadDescription, stowBody, stowFailures } from './seg_series.js';

const metadata: DicomJson[] = JSON.parse(readFileSync(new URL('../fixtures/series_metadata.json', import.meta.url), 'utf8'));
const lungLabels = [
  { value: 1, name: 'Right lung', snomed: '3341006', meaning: 'Right lung', color: [0, 128, 255] as [number, number, number] },
  { value: 2, name: 'Left lung', snomed: '44029006', meaning: 'Left lung', color: [255, 160, 0] as [number, number, number] },
  { value: 255, name: 'Lungs', snomed: '39607008', meaning: 'Lung', color: [255, 0, 0] as [number, number, number] },
];
const spec = { name: 'Lung U-Net', version: '1.0', splitLeftRight: true, labels: lungLabels } as unknown as SegmentationSpec;

describe('segWriteDescription', () => {
  it('describes the series in the order given, with identity, geometry and the split segments', () => {
    const sorted = sortInstances(metadata);
    const d = JSON.parse(segWriteDescription(sorted, spec, new Date(Date.UTC(2026, 0, 2, 3, 4, 5))));
    expect(d.slices.map((s: { sop_instance_uid: string }) => s.sop_instance_uid)).toEqual(sorted.map((x) => str(x, Tag.SOPInstanceUID)));
    expect(d.slices[0].position).toHaveLength(3);
    expect(d.slices[0].sop_class_uid).toBe(str(sorted[0], Tag.SOPClassUID));
    expect(d.study_instance_uid).toBe(str(sorted[0], Tag.StudyInstanceUID));
    expect(d.series_instance_uid).toBe(str(sorted[0], Tag.SeriesInstanceUID));
    expect(d.frame_of_reference_uid).toMatch(/^[0-9.]+$/);
    expect(d.orientation).toHaveLength(6);
    expect(d.pixel_spacing).toHaveLength(2);
    expect(d.rows).toBe(Number(str(sorted[0], Tag.Rows)));
    // The PN in its DICOM form (^ kept), not the display form.
    expect(d.patient_name).toBe((sorted[0][Tag.PatientName]?.Value?.[0] as { Alphabetic?: string } | undefined)?.Alphabetic ?? '');
    expect(d.segments.map((s: { value: number; snomed: string }) => [s.value, s.snomed])).toEqual([[1, '3341006'], [2, '44029006']]);
    expect(d.algorithm).toEqual({ name: 'Lung U-Net', version: '1.0' });
    expect(d.seg_series_instance_uid).toMatch(/^2\.25\.\d+$/);
    expect(d.seg_sop_instance_uid).not.toBe(d.seg_series_instance_uid);
    expect(d.entropy).toMatch(/^[0-9a-f]{64}$/);
    expect([d.content_date, d.content_time]).toEqual(['20260102', '030405']);
  });

  it('one segment without the split, and refuses a label without a code or a series without geometry', () => {
    const single = { ...spec, splitLeftRight: false, labels: [{ ...lungLabels[2], value: 1 }] } as SegmentationSpec;
    expect(JSON.parse(segWriteDescription(metadata, single)).segments).toHaveLength(1);
    const uncoded = { ...spec, labels: lungLabels.map((l) => ({ ...l, snomed: '' })) } as SegmentationSpec;
    expect(() => segWriteDescription(metadata, uncoded)).toThrow(/no SNOMED CT code/);
    const noGeometry = metadata.map((m) => ({ ...m, [Tag.PixelSpacing]: undefined }));
    expect(() => segWriteDescription(noGeometry, spec)).toThrow(SegDescriptionError);
  });

  it('reading needs only the size and the slices', () => {
    const d = seriesReadDescription(metadata);
    expect(Object.keys(d).sort()).toEqual(['columns', 'orientation', 'rows', 'slices']);
  });
});

describe('newUid', () => {
  it('is a version 4 UUID as a 2.25 decimal UID, fresh each time', () => {
    expect(newUid((b) => b.fill(0))).toBe(`2.25.${(0x40n << 72n) | (0x80n << 56n)}`);
    expect(newUid((b) => b.fill(255))).toBe(`2.25.${(1n << 128n) - 1n - (0xb0n << 72n) - (0x40n << 56n)}`);
    const a = newUid();
    expect(a).toMatch(/^2\.25\.[1-9][0-9]{0,38}$/);
    expect(newUid()).not.toBe(a);
  });
});

describe('STOW-RS', () => {
  it('puts each instance in an application/dicom part', () => {
    const body = new TextDecoder('latin1').decode(stowBody([Uint8Array.of(1, 2, 3)], 'B'));
    expect(body).toBe('--B\r\nContent-Type: application/dicom\r\n\r\n\x01\x02\x03\r\n--B--\r\n');
  });

  it('reads the failed instances of an answer', () => {
    expect(stowFailures({ '00081198': { vr: 'SQ', Value: [] }, '00081199': { vr: 'SQ', Value: [{}] } })).toEqual([]);
    const failed = { '00081198': { vr: 'SQ', Value: [{ '00081155': { vr: 'UI', Value: ['2.25.1'] }, '00081197': { vr: 'US', Value: [49442] } }] } };
    expect(stowFailures(failed)).toEqual(['2.25.1 (failure reason 49442)']);
  });
});
