#!/usr/bin/python3
"""How closely each case's expert outlines follow the lung's air edge in the image.

usage: python3 training/label_edges.py [CASE ...] [--data ~/.cache/cairn-data]

For each labelled case, the expert lungs are compared with the same lungs snapped onto the air edge
(dataset.snap_to_air_edge: within the band of the outline, lung where HU < -400):
  - Dice of the expert mask against its snapped version, band 2 and 3 pixels (1.0: the outline is the edge);
  - the same after shifting the expert mask by a whole pixel in rows and columns: a case whose best shift is
    not (0, 0) has outlines that sit off the image;
  - the median HU of the expert's own border pixels, just inside and just outside the outline.
This is the measurement behind --snap-band (training/README.md, "Labels snapped to the air edge").
"""
import argparse
import os

import numpy as np
from scipy import ndimage

import dataset
import dicom_io
import postprocess

EDGE_HU = -400.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", default=list(dicom_io.TRAINING_CASES + dicom_io.VALIDATION_CASES))
    parser.add_argument("--data", default=dicom_io.default_data_root())
    args = parser.parse_args()
    print(f"{'case':16} {'band 2':>7} {'band 3':>7}  {'best shift (rows, cols)':>24}  "
          f"{'border HU inside':>16} {'outside':>8}")
    for name in args.cases:
        case = dicom_io.load_lung_case(os.path.join(args.data, name))
        lungs, hu = case.lungs, case.volume.hu
        snapped = {band: dataset.snap_to_air_edge(lungs, hu, band, EDGE_HU) for band in (2, 3)}
        shifts = dataset.whole_pixel_shift_scores(lungs, snapped[3])
        best = dataset.closest_shift(shifts)
        inside = lungs & ~ndimage.binary_erosion(lungs, dataset.SLICE_CROSS)
        outside = ndimage.binary_dilation(lungs, dataset.SLICE_CROSS) & ~lungs
        print(f"{name:16} {postprocess.dice(lungs, snapped[2]):7.4f} {postprocess.dice(lungs, snapped[3]):7.4f}  "
              f"{str(best):>14} {shifts[best]:.4f} (0,0 {shifts[(0, 0)]:.4f})  "
              f"{np.median(hu[inside]):16.0f} {np.median(hu[outside]):8.0f}", flush=True)


if __name__ == "__main__":
    main()
