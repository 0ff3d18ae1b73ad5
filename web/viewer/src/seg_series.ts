// What the DICOM SEG C ABI (dicom/include/cairn/dicom/seg_c_api.h) needs to know about a series, built from the
// DICOMweb metadata the viewer already has: identity, patient and study attributes, geometry, and the slices in the
// order of the label volume. Also the segments of a model's result, and the STOW-RS request body.
import type { SegmentationSpec } from '../../engine/engine.js';
import { type DicomJson, Tag, nums, str, values } from './dicom_json.js';

export const FRAME_OF_REFERENCE_UID = '00200052';
export const SEG_MODALITY = 'SEG';
const SOP_CLASS_CT = '1.2.840.10008.5.1.4.1.1.2';

export class SegDescriptionError extends Error {}

// A PN value from DICOM JSON ({"Alphabetic": "Doe^John"}) in its DICOM form.
function personName(item: DicomJson, tag: string): string {
  const v = values(item, tag)[0];
  if (v === undefined || v === null) return '';
  if (typeof v === 'object') return (v as { Alphabetic?: string }).Alphabetic ?? '';
  return String(v);
}

// The series for reading a SEG onto it: its size and its slices (UIDs, positions, orientation), `instances` in the
// order of the label volume.
export function seriesReadDescription(instances: readonly DicomJson[]): Record<string, unknown> {
  if (instances.length === 0) throw new SegDescriptionError('the series has no instances');
  const first = instances[0];
  const orientation = nums(first, Tag.ImageOrientationPatient);
  return {
    rows: Number(str(first, Tag.Rows)),
    columns: Number(str(first, Tag.Columns)),
    ...(orientation.length === 6 && orientation.every(Number.isFinite) ? { orientation } : {}),
    slices: instances.map((item) => {
      const position = nums(item, Tag.ImagePositionPatient);
      return {
        sop_instance_uid: str(item, Tag.SOPInstanceUID),
        ...(position.length === 3 && position.every(Number.isFinite) ? { position } : {}),
      };
    }),
  };
}

// The series with its geometry, for rasterizing an RT Structure Set onto it (cairn_rtstruct_read).
export function seriesGeometryDescription(instances: readonly DicomJson[], rois?: readonly string[]): Record<string, unknown> {
  const spacing = nums(instances[0] ?? {}, Tag.PixelSpacing);
  if (spacing.length !== 2 || !spacing.every((v) => v > 0)) throw new SegDescriptionError('the series has no pixel spacing');
  const read = seriesReadDescription(instances);
  if (!('orientation' in read)) throw new SegDescriptionError('the series has no image orientation');
  if ((read.slices as { position?: number[] }[]).some((s) => s.position === undefined)) throw new SegDescriptionError('a slice of the series has no image position');
  return { ...read, pixel_spacing: spacing, ...(rois === undefined ? {} : { rois: [...rois] }) };
}

// Everything cairn_seg_write needs: the series (`instances` in the order of `labels`) and the model's segments.
// Throws SegDescriptionError naming what the metadata lacks.
export function segWriteDescription(instances: readonly DicomJson[], spec: SegmentationSpec, now = new Date()): string {
  const read = seriesReadDescription(instances);
  const first = instances[0];
  const need = (tag: string, what: string) => {
    const value = str(first, tag);
    if (value === '') throw new SegDescriptionError(`the series has no ${what}: a DICOM SEG must reference it`);
    return value;
  };
  const spacing = nums(first, Tag.PixelSpacing);
  if (spacing.length !== 2 || !spacing.every((v) => v > 0)) throw new SegDescriptionError('the series has no pixel spacing');
  if (!('orientation' in read)) throw new SegDescriptionError('the series has no image orientation');
  const slices = read.slices as { position?: number[] }[];
  if (slices.some((s) => s.position === undefined)) throw new SegDescriptionError('a slice of the series has no image position');
  const withClass = (read.slices as Record<string, unknown>[]).map((s, i) => ({
    ...s,
    sop_class_uid: str(instances[i], Tag.SOPClassUID) || SOP_CLASS_CT,
  }));
  const thickness = Number(str(first, Tag.SliceThickness));
  return JSON.stringify({
    ...read,
    slices: withClass,
    study_instance_uid: need(Tag.StudyInstanceUID, 'StudyInstanceUID'),
    series_instance_uid: need(Tag.SeriesInstanceUID, 'SeriesInstanceUID'),
    frame_of_reference_uid: need(FRAME_OF_REFERENCE_UID, 'FrameOfReferenceUID'),
    pixel_spacing: spacing,
    ...(Number.isFinite(thickness) && thickness > 0 ? { slice_thickness: thickness } : {}),
    specific_character_set: values(first, '00080005').map(String).join('\\'),
    patient_name: personName(first, Tag.PatientName),
    patient_id: str(first, Tag.PatientID),
    patient_birth_date: str(first, Tag.PatientBirthDate),
    patient_sex: str(first, Tag.PatientSex),
    study_date: str(first, Tag.StudyDate),
    study_time: str(first, '00080030'),
    study_id: str(first, Tag.StudyID),
    accession_number: str(first, Tag.AccessionNumber),
    referring_physician_name: personName(first, '00080090'),
    study_description: str(first, Tag.StudyDescription),
    position_reference_indicator: str(first, '00201040'),
    segments: segmentsOf(spec),
    // The SEG's own UIDs, random bytes for the others it makes, its date: the WebAssembly module has no random
    // source and no wall clock.
    seg_series_instance_uid: newUid(),
    seg_sop_instance_uid: newUid(),
    entropy: [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, '0')).join(''),
    ...utcDateTime(now),
    algorithm: { name: spec.name, version: spec.version },
    software_version: 'cairn-web',
  });
}

// DICOM DA and TM of a moment, in UTC (as the native writer dates its SEGs).
export function utcDateTime(at: Date): { content_date: string; content_time: string } {
  const two = (n: number) => String(n).padStart(2, '0');
  return {
    content_date: `${at.getUTCFullYear()}${two(at.getUTCMonth() + 1)}${two(at.getUTCDate())}`,
    content_time: `${two(at.getUTCHours())}${two(at.getUTCMinutes())}${two(at.getUTCSeconds())}`,
  };
}

// A fresh UID under the 2.25 root: a random (version 4) UUID as one decimal integer (PS3.5 B.2), as uid.hpp makes.
export function newUid(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const b = random(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let n = 0n;
  for (const byte of b) n = (n << 8n) | BigInt(byte);
  return `2.25.${n}`;
}

// One segment per value of the post-processed mask (1 and 2 when the model splits left and right, else 1), each
// with the SNOMED CT code the model's metadata gives it.
export function segmentsOf(spec: SegmentationSpec): { value: number; label: string; snomed: string; meaning: string; color: number[] }[] {
  const values = spec.splitLeftRight ? [1, 2] : [1];
  return values.map((value) => {
    const label = spec.labels.find((l) => l.value === value);
    if (label === undefined) throw new SegDescriptionError(`the model has no label for mask value ${value}`);
    if (!label.snomed) throw new SegDescriptionError(`the model's label "${label.name}" has no SNOMED CT code; a DICOM SEG segment needs one`);
    return { value, label: label.name, snomed: label.snomed, meaning: label.meaning, color: [...label.color] };
  });
}

// STOW-RS body (PS3.18 10.5): one application/dicom part per instance.
export function stowBody(instances: readonly Uint8Array[], boundary: string): Uint8Array {
  const encoder = new TextEncoder();
  const chunks: Uint8Array[] = [];
  for (const instance of instances) {
    chunks.push(encoder.encode(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`), instance, encoder.encode('\r\n'));
  }
  chunks.push(encoder.encode(`--${boundary}--\r\n`));
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return body;
}

// The instances a STOW-RS answer (DICOM JSON) says failed, with their reason codes; [] when all were stored.
export function stowFailures(answer: unknown): string[] {
  const items = Array.isArray(answer) ? answer : [answer];
  const failures: string[] = [];
  for (const item of items as DicomJson[]) {
    if (item === null || typeof item !== 'object') continue;
    for (const failed of values(item, '00081198') as DicomJson[]) {
      const reason = str(failed, '00081197');
      failures.push(`${str(failed, '00081155') || 'an instance'}${reason ? ` (failure reason ${reason})` : ''}`);
    }
  }
  return failures;
}
