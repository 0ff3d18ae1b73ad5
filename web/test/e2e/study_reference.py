#!/usr/bin/python3
"""The expert side of the study end-to-end test's comparison, computed without the browser or Cairn's C++.

Usage: study_reference.py CASE_DIR MODEL_LABELS.npy OUTDIR

CASE_DIR holds ct/ and rtstruct.dcm (../shared/data). The expert lungs are rasterized by the training code
(training/dicom_io.py: pydicom, even-odd fill of the outlines at pixel centres, repeated outlines dropped), the
model's labels are those `cairn segment --out MODEL_LABELS.npy` wrote (uint8, slices ascending along the normal).
Agreement on the foregrounds (any label), per slice and for the series, in numpy. Writes to OUTDIR:
  uids.json    the SOPInstanceUIDs, ascending along the slice normal (the order of the arrays)
  expert.u8    uint8 [z, rows, cols] raw bytes: 1 right lung, 2 left lung
  stats.json   Dice and voxel counts per slice and for the series, voxel volume (mL)
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "training"))
import dicom_io  # noqa: E402


def dice(a, b):
    total = int(np.count_nonzero(a)) + int(np.count_nonzero(b))
    return None if total == 0 else 2.0 * int(np.count_nonzero(a & b)) / total


def main():
    case_dir, model_npy, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    case = dicom_io.load_lung_case(case_dir)
    model = np.load(model_npy)
    if model.shape != case.lungs.shape:
        raise SystemExit(f"{model_npy}: shape {model.shape}, the series is {case.lungs.shape}")
    expert = np.zeros(case.lungs.shape, dtype=np.uint8)
    expert[case.right] = 1
    expert[case.left] = 2
    expert.tofile(os.path.join(out, "expert.u8"))
    a, b = model != 0, expert != 0
    offsets = np.sort(case.volume.slice_offsets)
    gaps = np.diff(offsets)
    stats = {
        "case": case.name,
        "rows": int(expert.shape[1]),
        "columns": int(expert.shape[2]),
        "pixel_spacing": list(case.volume.pixel_spacing),
        "slice_spacing_mean_mm": float(gaps.mean()),
        "slice_spacing_median_mm": float(np.median(gaps)),
        "voxel_ml": case.volume.voxel_volume_ml,
        "dice": dice(a, b),
        "model_voxels": int(np.count_nonzero(a)),
        "expert_voxels": int(np.count_nonzero(b)),
        "slice_dice": [dice(a[z], b[z]) for z in range(a.shape[0])],
        "slice_model_voxels": [int(np.count_nonzero(a[z])) for z in range(a.shape[0])],
        "slice_expert_voxels": [int(np.count_nonzero(b[z])) for z in range(b.shape[0])],
        "right_dice": dice(model == 1, case.right),
        "left_dice": dice(model == 2, case.left),
    }
    with open(os.path.join(out, "stats.json"), "w") as f:
        json.dump(stats, f)
    with open(os.path.join(out, "uids.json"), "w") as f:
        json.dump(case.volume.sop_uids, f)
    print(f"{case.name}: {a.shape[0]} slices, Dice {stats['dice']:.4f} (right {stats['right_dice']:.4f}, left "
          f"{stats['left_dice']:.4f}), model {stats['model_voxels'] * stats['voxel_ml']:.1f} mL, experts "
          f"{stats['expert_voxels'] * stats['voxel_ml']:.1f} mL")


if __name__ == "__main__":
    main()
