#!/usr/bin/python3
"""The native reference for the viewer's end-to-end test: a series segmented without the browser.

Usage: native_reference.py CAIRN_CLI MODEL.onnx SERIES_DIR OUTDIR [--threads N]

The slices are read with pydicom (HU = stored * slope + intercept), ordered along the slice normal, preprocessed by
the training code (training/dataset.py: area resampling to 256x256, clip and normalise), run through the native
engine (`cairn run`, a few slices per call, or one when the model fixes its batch size), resampled back bilinearly and thresholded (the model ends in a Sigmoid),
then post-processed as training/postprocess.py does (two largest 3-D components, holes filled per slice, split
into right = 1 and left = 2). Writes to OUTDIR:
  raw.u8           uint8 [z, rows, cols], raw bytes: the thresholded masks, before post-processing
  labels.u8        uint8 [z, rows, cols]: after 3-D post-processing
  slice_labels.u8  uint8 [z, rows, cols]: each slice post-processed on its own (the viewer's one-slice preview)
  probability.npy  float32 [z, rows, cols]
  uids.json    the SOPInstanceUIDs in that order
"""
import glob
import json
import os
import subprocess
import sys

import numpy as np
import onnx
import pydicom
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "training"))
import dataset  # noqa: E402
import postprocess  # noqa: E402

CHUNK = 6


def write_npy(path, array):
    np.save(path, np.ascontiguousarray(array))


def labels_of(mask, row_dir):
    clean = postprocess.clean_lung_mask(mask)
    left, right = postprocess.split_left_right(clean, row_dir)
    out = np.zeros(mask.shape, dtype=np.uint8)
    out[right] = 1
    out[left] = 2
    return out


def main():
    args = sys.argv[1:]
    threads = "1"
    if "--threads" in args:
        i = args.index("--threads")
        threads = args[i + 1]
        del args[i:i + 2]
    cli, model, series_dir, out = args
    os.makedirs(out, exist_ok=True)
    files = [pydicom.dcmread(f) for f in glob.glob(os.path.join(series_dir, "**", "*.dcm"), recursive=True)]
    files = [d for d in files if d.Modality == "CT"]
    row_dir = np.array([float(v) for v in files[0].ImageOrientationPatient[:3]])
    col_dir = np.array([float(v) for v in files[0].ImageOrientationPatient[3:]])
    normal = np.cross(row_dir, col_dir)
    # The viewer's order: position along the normal, largest first (head first for axial slices).
    files.sort(key=lambda d: -float(np.dot(normal, [float(v) for v in d.ImagePositionPatient])))
    hu = np.stack([d.pixel_array.astype(np.float32) * float(d.RescaleSlope) + float(d.RescaleIntercept) for d in files])
    depth, rows, cols = hu.shape
    x = dataset.normalize_hu(dataset.resample_to_model(torch.from_numpy(hu))).numpy().astype(np.float32)
    probability = np.empty(hu.shape, dtype=np.float32)
    batch_dim = onnx.load(model, load_external_data=False).graph.input[0].type.tensor_type.shape.dim[0]
    chunk = batch_dim.dim_value if batch_dim.HasField("dim_value") else CHUNK  # a fixed batch size, or a few
    for start in range(0, depth, chunk):
        write_npy(os.path.join(out, "in.npy"), x[start:start + chunk])
        subprocess.run([cli, "run", model, os.path.join(out, "in.npy"), os.path.join(out, "out.npy"), "--threads", threads,
                        "--quiet"], check=True)
        y = torch.from_numpy(np.load(os.path.join(out, "out.npy")))
        probability[start:start + chunk] = dataset.resample_from_model(y, rows, cols).numpy()
    raw = (probability > dataset.THRESHOLD).astype(np.uint8)
    write_npy(os.path.join(out, "probability.npy"), probability)
    raw.tofile(os.path.join(out, "raw.u8"))
    labels_of(raw.astype(bool), row_dir).tofile(os.path.join(out, "labels.u8"))
    np.stack([labels_of(raw[z:z + 1].astype(bool), row_dir)[0] for z in range(depth)]).tofile(
        os.path.join(out, "slice_labels.u8"))
    with open(os.path.join(out, "uids.json"), "w") as f:
        json.dump([str(d.SOPInstanceUID) for d in files], f)
    for name in ("in.npy", "out.npy"):
        os.remove(os.path.join(out, name))


if __name__ == "__main__":
    main()
