#!/usr/bin/python3
"""Writes the Python reference that the engine's segmentation steps are tested against
(engine/tests/segmentation_test.cpp): the pre-processing, resampling and post-processing of training/dataset.py and
training/postprocess.py, run on small synthetic slices and volumes.

Usage: tests/models/segmentation_reference.py [OUTDIR]   (default: tests/models/segmentation_reference)

Everything is seeded, so two runs write the same files. The model size is shrunk to 32x32 (dataset.MODEL_SIZE) to
keep the fixture small; the resampling code is the same at any size. Files (.npy, C order):
  hu_<slice>.npy          int16 HU of a slice (sizes below)
  input_<slice>.npy       float32 [32, 32]: normalize_hu(resample_to_model(hu)), the network input
  model_prob_<slice>.npy  float32 [32, 32]: sigmoid(W * input + B), the output of the tiny test network
  prob_<slice>.npy        float32 [rows, cols]: resample_from_model(model_prob)
  mask_<slice>.npy        uint8 [rows, cols]: prob > THRESHOLD
  vol_<case>.npy          uint8 [z, y, x] raw 0/1 mask
  clean_<case>.npy        uint8: clean_lung_mask(vol), i.e. two largest 26-connected components, holes filled
  split_<case>.npy        uint8: split_left_right(clean, row_dir): 1 right, 2 left
  manifest.json           the slices, cases, the tiny network's W and B, and each case's component sizes
"""
import json
import os
import sys

import numpy as np
import torch
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "training"))
import dataset  # noqa: E402
import postprocess  # noqa: E402

MODEL_SIZE = 32
W, B = 4.0, 0.5  # the tiny network: a 1x1 convolution, then a sigmoid

# (name, rows, cols): an exact 2x2 reduction, uneven reductions, and enlargements (area upsampling repeats pixels,
# bilinear downsampling on the way back).
SLICES = [("even", 64, 64), ("uneven", 45, 77), ("small", 20, 27), ("tall", 70, 19)]


def chest_slice(rng, rows, cols):
    """Air outside, soft tissue body, two dark lungs, bright bone spots: every clip range is exercised."""
    y, x = np.mgrid[0:rows, 0:cols]
    cy, cx = (rows - 1) / 2, (cols - 1) / 2
    hu = np.full((rows, cols), -1000.0)
    body = ((y - cy) / (0.45 * rows)) ** 2 + ((x - cx) / (0.45 * cols)) ** 2 < 1
    hu[body] = 40
    for side in (-1, 1):
        lung = ((y - cy) / (0.3 * rows)) ** 2 + ((x - cx - side * 0.2 * cols) / (0.14 * cols)) ** 2 < 1
        hu[lung] = -850
    hu += rng.normal(0, 60, size=hu.shape)
    bone = rng.random(hu.shape) < 0.02
    hu[bone] = rng.uniform(700, 1800, size=int(bone.sum()))
    return np.clip(np.round(hu), -2048, 3071).astype(np.int16)


def ellipsoid(shape, centre, radii):
    z, y, x = np.ogrid[0:shape[0], 0:shape[1], 0:shape[2]]
    return ((z - centre[0]) / radii[0]) ** 2 + ((y - centre[1]) / radii[1]) ** 2 + ((x - centre[2]) / radii[2]) ** 2 < 1


def corner_chain(mask, length):
    """A chain of voxels going diagonally away from the mask whose first voxel touches it only through a corner:
    26-connectivity joins the chain to the mask, 6- or 18-connectivity would not."""
    face_or_edge = np.ones((3, 3, 3), dtype=bool)
    for corner in np.ndindex(2, 2, 2):
        face_or_edge[tuple(2 * c for c in corner)] = False
    near_18 = ndimage.binary_dilation(mask, structure=face_or_edge)
    near_26 = ndimage.binary_dilation(mask, structure=np.ones((3, 3, 3), dtype=bool))
    for p in zip(*np.nonzero(near_26 & ~near_18)):
        q = next(p + np.array(d) for d in np.ndindex(3, 3, 3)
                 if all(0 <= c < n for c, n in zip(p + np.array(d) - 1, mask.shape)) and mask[tuple(p + np.array(d) - 1)])
        step = np.array(p) - (q - 1)
        chain = [tuple(np.array(p) + k * step) for k in range(length)]
        if all(all(0 <= c < n for c, n in zip(v, mask.shape)) for v in chain) and \
                not any(near_26[v] for v in chain[1:]):
            return chain
    raise AssertionError("no place for a corner chain")


def volume_cases(rng):
    shape = (14, 30, 40)
    cases = {}
    # Two lungs apart, each with an axial hole (a vessel) and a hole open in 3-D only; noise specks; a speck linked
    # to the right lung by a single diagonal (corner) contact, which 26-connectivity joins.
    right = ellipsoid(shape, (7, 15, 11), (6, 11, 7))
    left = ellipsoid(shape, (7, 15, 29), (6, 11, 7.5))
    v = right | left
    v[3:11, 14:17, 10:13] = False  # vessel through the right lung: a hole in each slice
    v[5:9, 13:15, 28:30] = False
    for voxel in corner_chain(v, 3):
        v[voxel] = True
    v[0, 0, 0] = v[13, 29, 39] = v[6, 2, 20] = True
    v[1:3, 3:5, 35:37] = True
    diag = v
    cases["apart"] = (diag, 1.0)
    cases["apart_mirrored"] = (diag, -1.0)
    # Touching lungs: one component, cut at the middle of the occupied columns.
    touching = ellipsoid(shape, (7, 15, 14), (6, 11, 8)) | ellipsoid(shape, (7, 15, 26), (6, 11, 8))
    cases["touching"] = (touching, 1.0)
    # A big lung and a small second component (less than a fifth): also a midline cut.
    lopsided = ellipsoid(shape, (7, 15, 12), (6, 11, 8)) | ellipsoid(shape, (7, 15, 32), (2, 3, 2))
    cases["lopsided"] = (lopsided, -1.0)
    # A random texture with many components of all shapes (checks the labelling against scipy).
    for k in range(100):
        field = ndimage.uniform_filter(rng.random(shape), size=3)
        noise = field > np.quantile(field, 0.72)
        sizes = np.sort(np.bincount(ndimage.label(noise, structure=np.ones((3, 3, 3)))[0].ravel())[1:])[::-1]
        if len(sizes) >= 4 and len(set(sizes[:3])) == 3:
            break
    cases["texture"] = (noise, 1.0)
    # One slice alone (the viewer's one-slice mode is the same code with one slice).
    cases["one_slice"] = (diag[7:8], 1.0)
    return cases


def save(outdir, name, array):
    np.save(os.path.join(outdir, name + ".npy"), np.ascontiguousarray(array))


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "segmentation_reference")
    os.makedirs(outdir, exist_ok=True)
    torch.manual_seed(0)
    rng = np.random.default_rng(20240611)
    dataset.MODEL_SIZE = MODEL_SIZE
    manifest = {"model_size": MODEL_SIZE, "weight": W, "bias": B, "threshold": dataset.THRESHOLD,
                "hu_clip": [dataset.HU_MIN, dataset.HU_MAX], "center": dataset.HU_CENTRE,
                "scale": dataset.HU_HALF_RANGE, "slices": [], "volumes": []}
    for name, rows, cols in SLICES:
        hu = chest_slice(rng, rows, cols)
        x = dataset.normalize_hu(dataset.resample_to_model(torch.from_numpy(hu.astype(np.float32))[None]))
        model_prob = torch.sigmoid(W * x + B)
        prob = dataset.resample_from_model(model_prob, rows, cols)[0]
        save(outdir, f"hu_{name}", hu)
        save(outdir, f"input_{name}", x[0, 0].numpy().astype(np.float32))
        save(outdir, f"model_prob_{name}", model_prob[0, 0].numpy().astype(np.float32))
        save(outdir, f"prob_{name}", prob.numpy().astype(np.float32))
        save(outdir, f"mask_{name}", (prob > dataset.THRESHOLD).numpy().astype(np.uint8))
        manifest["slices"].append({"name": name, "rows": rows, "cols": cols,
                                   "max_abs_hu": float(np.abs(hu).max())})
    for name, (vol, row_x) in volume_cases(rng).items():
        labels, _ = ndimage.label(vol, structure=np.ones((3, 3, 3)))
        sizes = sorted(np.bincount(labels.ravel())[1:].tolist(), reverse=True)
        clean = postprocess.clean_lung_mask(vol)
        left, right = postprocess.split_left_right(clean, np.array([row_x, 0.0, 0.0]))
        assert not (left & right).any()
        split = np.zeros(vol.shape, dtype=np.uint8)
        split[right] = 1
        split[left] = 2
        save(outdir, f"vol_{name}", vol.astype(np.uint8))
        save(outdir, f"clean_{name}", clean.astype(np.uint8))
        save(outdir, f"split_{name}", split)
        manifest["volumes"].append({"name": name, "shape": list(vol.shape), "row_x": row_x,
                                    "component_sizes": sizes})
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(outdir, n)) for n in os.listdir(outdir))
    print(f"segmentation_reference.py: {len(manifest['slices'])} slices, {len(manifest['volumes'])} volumes, "
          f"{total / 1024:.0f} KiB in {outdir}")


if __name__ == "__main__":
    main()
