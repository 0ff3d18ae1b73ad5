"""The classical lung baseline, scored in 3-D against the expert contours.

Threshold at -320 HU, drop the air that touches the image border, keep the two largest
3-D components, fill holes. Printed per case: Dice against the union of the expert's
left and right lungs, and the volumes.

usage: python3 training/baseline.py [--data ~/.cache/cairn-data] [--plain-even-odd] [CASE...]
"""
import argparse
import os

import numpy as np
from scipy import ndimage

import dicom_io
import postprocess

AIR_THRESHOLD_HU = -320.0


def drop_border_air(air: np.ndarray) -> np.ndarray:
    """Remove the 3-D air components (6-connected) that touch a side of the image: the
    air around the patient and under the table. The first and last slices are not
    borders: the trachea and the lungs themselves leave the scanned range there."""
    labels, n = ndimage.label(air)
    touching = np.zeros(n + 1, dtype=bool)
    for face in (labels[:, 0, :], labels[:, -1, :], labels[:, :, 0], labels[:, :, -1]):
        touching[np.unique(face)] = True
    touching[0] = False
    return air & ~touching[labels]


def baseline_lungs(hu: np.ndarray) -> np.ndarray:
    air = hu < AIR_THRESHOLD_HU
    return postprocess.fill_holes_per_slice(postprocess.keep_largest_components(drop_border_air(air), 2))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", default=list(dicom_io.TRAINING_CASES + dicom_io.VALIDATION_CASES))
    parser.add_argument("--data", default=dicom_io.default_data_root())
    parser.add_argument("--plain-even-odd", action="store_true",
                        help="rasterize the experts' outlines without dropping repeated ones (how the data README's figures were made)")
    args = parser.parse_args()
    print(f"{'case':16} {'Dice':>6} {'baseline mL':>12} {'expert mL':>10}")
    for name in args.cases:
        case = dicom_io.load_lung_case(os.path.join(args.data, name), drop_duplicates=not args.plain_even_odd)
        predicted = baseline_lungs(case.volume.hu)
        voxel_ml = case.volume.voxel_volume_ml
        print(f"{name:16} {postprocess.dice(predicted, case.lungs):6.4f} "
              f"{predicted.sum() * voxel_ml:12.0f} {case.lungs.sum() * voxel_ml:10.0f}")


if __name__ == "__main__":
    main()
