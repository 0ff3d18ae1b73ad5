// Where a pixel is in the patient (PS3.3 C.7.6.2.1.1): P = S + col * dc * X + row * dr * Y, with S the
// ImagePositionPatient of the first transmitted pixel's centre, X and Y the row and column direction cosines
// (ImageOrientationPatient), dr and dc the PixelSpacing (between rows, between columns), in mm.
import { type DicomJson, Tag, num, nums, str } from './dicom_json.js';

export type Vec3 = [number, number, number];

export interface SliceGeometry {
  position: Vec3; // ImagePositionPatient
  rowDirection: Vec3; // along a row: increasing column index
  columnDirection: Vec3; // along a column: increasing row index
  pixelSpacing: [number, number]; // [between rows, between columns], mm
}

export function geometryOf(instance: DicomJson): SliceGeometry | null {
  const position = nums(instance, Tag.ImagePositionPatient);
  const orientation = nums(instance, Tag.ImageOrientationPatient);
  const spacing = nums(instance, Tag.PixelSpacing);
  if (position.length !== 3 || orientation.length !== 6 || spacing.length !== 2) return null;
  if ([...position, ...orientation, ...spacing].some((v) => !Number.isFinite(v))) return null;
  return {
    position: position as Vec3,
    rowDirection: orientation.slice(0, 3) as Vec3,
    columnDirection: orientation.slice(3, 6) as Vec3,
    pixelSpacing: spacing as [number, number],
  };
}

// The patient position (mm) of the centre of pixel (row, column); fractional indices interpolate.
export function patientPosition(g: SliceGeometry, row: number, column: number): Vec3 {
  const [dr, dc] = g.pixelSpacing;
  return [0, 1, 2].map((i) => g.position[i] + column * dc * g.rowDirection[i] + row * dr * g.columnDirection[i]) as Vec3;
}

export function sliceNormal(g: SliceGeometry): Vec3 {
  const [a, b] = [g.rowDirection, g.columnDirection];
  return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
}

// The slice's distance along its normal: the order of slices in a volume.
export function sliceLocation(g: SliceGeometry): number {
  const n = sliceNormal(g);
  return n[0] * g.position[0] + n[1] * g.position[1] + n[2] * g.position[2];
}

// The area of one pixel in cm².
export function pixelAreaCm2(g: Pick<SliceGeometry, 'pixelSpacing'>): number {
  return (g.pixelSpacing[0] * g.pixelSpacing[1]) / 100;
}

// The instances of a series in anatomical order: by position along the normal when every slice has geometry (head
// first for axial slices), by InstanceNumber otherwise.
export function sortInstances(instances: DicomJson[]): DicomJson[] {
  const geometries = instances.map(geometryOf);
  if (geometries.every((g) => g !== null)) {
    const keyed = instances.map((item, i) => ({ item, key: sliceLocation(geometries[i]!) }));
    return keyed.sort((a, b) => b.key - a.key).map((k) => k.item);
  }
  const n = (item: DicomJson) => num(item, Tag.InstanceNumber) ?? 0;
  return [...instances].sort((a, b) => n(a) - n(b) || str(a, Tag.SOPInstanceUID).localeCompare(str(b, Tag.SOPInstanceUID)));
}

// "R 12.3 A 45.6 S 78.9": the patient coordinates with LPS directions spelled out (x: R-L, y: A-P, z: I-S).
export function formatPatientPosition(p: Vec3): string {
  const axis = (v: number, negative: string, positive: string) => `${v < 0 ? negative : positive} ${Math.abs(v).toFixed(1)}`;
  return `${axis(p[0], 'R', 'L')}  ${axis(p[1], 'A', 'P')}  ${axis(p[2], 'I', 'S')} mm`;
}
