import { describe, expect, it } from 'vitest';
import { COMPARE_BOTH, COMPARE_ONLY_A, COMPARE_ONLY_B, compareLabels, comparisonSlice } from './seg_compare.js';

describe('compareLabels', () => {
  it('Dice per slice and for the series on the foregrounds, whatever the label values', () => {
    // 3 slices of 4 pixels: identical (labels differ), half overlap, both empty.
    const a = Uint8Array.of(1, 2, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0);
    const b = Uint8Array.of(2, 1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0);
    const c = compareLabels(a, b, 3, 4);
    expect(c.sliceDice).toEqual([1, 0.5, null]);
    expect(c.dice).toBeCloseTo((2 * 3) / 8, 12);
    expect([c.voxelsA, c.voxelsB]).toEqual([4, 4]);
    expect(c.sliceVoxelsB).toEqual([2, 2, 0]);
    expect(compareLabels(new Uint8Array(4), new Uint8Array(4), 1, 4).dice).toBeNull();
    expect(() => compareLabels(a, b, 2, 4)).toThrow();
  });

  it('two colours: both, only the first, only the second', () => {
    expect([...comparisonSlice(Uint8Array.of(1, 1, 0, 0), Uint8Array.of(3, 0, 2, 0))]).toEqual([COMPARE_BOTH, COMPARE_ONLY_A, COMPARE_ONLY_B, 0]);
  });
});
