// Areas and volumes of label masks: pixels counted per label value, times the pixel area and the slice spacing.
import { pixelAreaCm2, sliceLocation, type SliceGeometry } from './geometry.js';

// Pixels per label value (index = value, 0..255) in mask[start, start + length).
export function labelCounts(mask: Uint8Array, start = 0, length = mask.length - start): Uint32Array {
  const counts = new Uint32Array(256);
  const end = start + length;
  for (let i = start; i < end; ++i) counts[mask[i]]++;
  return counts;
}

// Foreground pixels (any nonzero value).
export function foregroundCount(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; ++i) n += mask[i] === 0 ? 0 : 1;
  return n;
}

// The distance between adjacent slices in mm: the (lower) median gap between slice locations along their normal
// (robust to a missing slice). null when the slices have no geometry or all share one location.
export function sliceSpacingMm(geometries: readonly (SliceGeometry | null)[]): number | null {
  if (geometries.length < 2 || geometries.some((g) => g === null)) return null;
  const locations = geometries.map((g) => sliceLocation(g!)).sort((a, b) => a - b);
  const gaps = locations.slice(1).map((l, i) => l - locations[i]).filter((g) => g > 1e-6).sort((a, b) => a - b);
  return gaps.length === 0 ? null : gaps[Math.floor((gaps.length - 1) / 2)];
}

export interface LabelVolume {
  value: number;
  voxels: number;
  ml: number;
}

// Volume of each listed label in a slices*rows*cols label volume, in mL (1 mL = 1000 mm³).
export function labelVolumes(
  labels: Uint8Array,
  values: readonly number[],
  pixelSpacing: readonly [number, number],
  spacingMm: number,
): LabelVolume[] {
  const counts = labelCounts(labels);
  const voxelMl = (pixelSpacing[0] * pixelSpacing[1] * spacingMm) / 1000;
  return values.map((value) => ({ value, voxels: counts[value], ml: counts[value] * voxelMl }));
}

// Area of each listed label on one slice, in cm².
export function labelAreasCm2(slice: Uint8Array, values: readonly number[], g: Pick<SliceGeometry, 'pixelSpacing'>): number[] {
  const counts = labelCounts(slice);
  return values.map((value) => counts[value] * pixelAreaCm2(g));
}
