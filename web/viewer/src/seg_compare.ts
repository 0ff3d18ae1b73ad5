// Agreement between two segmentations of one series (the model's result and a stored SEG or expert contours), on
// their foregrounds (any label > 0): Dice per slice and for the series, and the voxel counts for volumes.

export interface Comparison {
  dice: number | null; // null when both are empty
  sliceDice: (number | null)[];
  voxelsA: number;
  voxelsB: number;
  sliceVoxelsA: number[];
  sliceVoxelsB: number[];
}

export function compareLabels(a: Uint8Array, b: Uint8Array, slices: number, pixels: number): Comparison {
  if (a.length !== slices * pixels || b.length !== slices * pixels) {
    throw new Error(`cannot compare label volumes of ${a.length} and ${b.length} voxels as ${slices}x${pixels}`);
  }
  const sliceDice: (number | null)[] = [];
  const sliceVoxelsA: number[] = [];
  const sliceVoxelsB: number[] = [];
  let both = 0;
  let voxelsA = 0;
  let voxelsB = 0;
  for (let k = 0; k < slices; ++k) {
    let inA = 0;
    let inB = 0;
    let inBoth = 0;
    for (let i = k * pixels, end = i + pixels; i < end; ++i) {
      const x = a[i] !== 0;
      const y = b[i] !== 0;
      if (x) inA++;
      if (y) inB++;
      if (x && y) inBoth++;
    }
    sliceDice.push(inA + inB === 0 ? null : (2 * inBoth) / (inA + inB));
    sliceVoxelsA.push(inA);
    sliceVoxelsB.push(inB);
    both += inBoth;
    voxelsA += inA;
    voxelsB += inB;
  }
  return { dice: voxelsA + voxelsB === 0 ? null : (2 * both) / (voxelsA + voxelsB), sliceDice, voxelsA, voxelsB, sliceVoxelsA, sliceVoxelsB };
}

// One slice of both as one mask for two-colour display: 1 in both, 2 only in a, 3 only in b.
export const COMPARE_BOTH = 1;
export const COMPARE_ONLY_A = 2;
export const COMPARE_ONLY_B = 3;
export function comparisonSlice(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; ++i) {
    const x = a[i] !== 0;
    const y = b[i] !== 0;
    out[i] = x && y ? COMPARE_BOTH : x ? COMPARE_ONLY_A : y ? COMPARE_ONLY_B : 0;
  }
  return out;
}
