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

// Each slice's share of the series' extent along the slice normal in mm, in the order given: half the gap to each
// neighbour (the first and the last slice: their one gap, twice). Evenly spaced slices each get the spacing; the two
// slices either side of a missing one share its thickness, so a volume counts the missing slice as the mean of its
// neighbours instead of leaving it out. null when a slice has no geometry or all lie at one location.
export function sliceThicknessesMm(geometries: readonly (SliceGeometry | null)[]): number[] | null {
  if (geometries.length < 2 || geometries.some((g) => g === null)) return null;
  const locations = geometries.map((g) => sliceLocation(g!));
  const order = locations.map((_, i) => i).sort((a, b) => locations[a] - locations[b]);
  const sorted = order.map((i) => locations[i]);
  const last = sorted.length - 1;
  if (sorted[last] - sorted[0] <= 1e-6) return null;
  const thicknesses = new Array<number>(geometries.length);
  order.forEach((index, k) => {
    const below = sorted[Math.max(k, 1)] - sorted[Math.max(k, 1) - 1];
    const above = sorted[Math.min(k, last - 1) + 1] - sorted[Math.min(k, last - 1)];
    thicknesses[index] = (below + above) / 2;
  });
  return thicknesses;
}

// The smallest and the largest gap between adjacent slice locations, in mm, when they differ by more than 1 % of the
// mean gap: a slice may be missing (`cairn segment` refuses such a series by the same rule). null when the slices
// are evenly spaced, or without geometry.
export function unevenSpacing(geometries: readonly (SliceGeometry | null)[]): { minGapMm: number; maxGapMm: number } | null {
  if (geometries.length < 3 || geometries.some((g) => g === null)) return null;
  const locations = geometries.map((g) => sliceLocation(g!)).sort((a, b) => a - b);
  const gaps = locations.slice(1).map((l, i) => l - locations[i]);
  const minGapMm = Math.min(...gaps);
  const maxGapMm = Math.max(...gaps);
  const mean = (locations[locations.length - 1] - locations[0]) / gaps.length;
  return maxGapMm - minGapMm > 0.01 * mean ? { minGapMm, maxGapMm } : null;
}

export interface LabelVolume {
  value: number;
  voxels: number;
  ml: number;
}

// The volume of one voxel of each slice in mL (1 mL = 1000 mm³), in the order given: the first slice's pixel area
// times the slice's thickness (sliceThicknessesMm). null where those are unknown.
export function sliceVoxelVolumesMl(geometries: readonly (SliceGeometry | null)[]): number[] | null {
  const thicknesses = sliceThicknessesMm(geometries);
  const g = geometries[0];
  return thicknesses === null || g === null ? null : thicknesses.map((t) => (g.pixelSpacing[0] * g.pixelSpacing[1] * t) / 1000);
}

// Volume of each listed label in a slices*rows*cols label volume, in mL: each slice's pixels of that label times
// that slice's voxel volume (sliceVoxelVolumesMl, in the label volume's slice order).
export function labelVolumes(labels: Uint8Array, values: readonly number[], voxelMl: readonly number[]): LabelVolume[] {
  const slices = voxelMl.length;
  const pixels = labels.length / slices;
  if (!Number.isInteger(pixels)) throw new Error(`a label volume of ${labels.length} voxels is not ${slices} slices`);
  const volumes = values.map((value) => ({ value, voxels: 0, ml: 0 }));
  for (let k = 0; k < slices; ++k) {
    const counts = labelCounts(labels, k * pixels, pixels);
    for (const v of volumes) {
      v.voxels += counts[v.value];
      v.ml += counts[v.value] * voxelMl[k];
    }
  }
  return volumes;
}

// Area of each listed label on one slice, in cm².
export function labelAreasCm2(slice: Uint8Array, values: readonly number[], g: Pick<SliceGeometry, 'pixelSpacing'>): number[] {
  const counts = labelCounts(slice);
  return values.map((value) => counts[value] * pixelAreaCm2(g));
}
