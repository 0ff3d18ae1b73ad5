#!/usr/bin/python3
"""training/dataset.py's snap_to_air_edge, on synthetic slices whose air edge is known to the pixel.

A disc of air (-900 HU) in soft tissue (+40 HU) is outlined by an "expert" mask that is the same disc shifted by one
column, or grown or shrunk by one pixel: snapping with a band of 2 must give back the air disc exactly. Pixels farther
than the band from the outline keep the expert's label (an expert's choice such as tumour excluded from the lung must
survive), band 0 changes nothing, and each slice is snapped on its own. carve_dense_edge only removes dense pixels
within its band, and best_whole_pixel_shift finds an outline's whole-pixel offset from the air edge.
"""
import os
import sys

import numpy as np
from scipy import ndimage

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "training"))
import dataset  # noqa: E402

failures = []


def check(condition: bool, what: str):
    if not condition:
        failures.append(what)
        print("FAIL:", what)


def disc(shape, centre, radius):
    rows, cols = np.indices(shape)
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius ** 2


shape = (1, 64, 64)
air = disc(shape[1:], (32, 30), 14)[None]
hu = np.where(air, -900.0, 40.0).astype(np.float32)
cross = np.zeros((1, 3, 3), bool)
cross[0, 1, :] = cross[0, :, 1] = True

experts = {
    "shifted one column": np.roll(air, 1, axis=2),
    "shifted one row and one column": np.roll(air, (1, -1), axis=(1, 2)),
    "one pixel too large": ndimage.binary_dilation(air, cross),
    "one pixel too small": ndimage.binary_erosion(air, cross),
}
for name, expert in experts.items():
    snapped = dataset.snap_to_air_edge(expert, hu, band=2, threshold_hu=-400)
    check(np.array_equal(snapped, air), f"{name}: {np.count_nonzero(snapped != air)} pixels off the air disc")
    check(np.array_equal(dataset.snap_to_air_edge(expert, hu, band=0, threshold_hu=-400), expert),
          f"{name}: band 0 changed the labels")

# An expert who excluded a dense nodule inside the lung, and labelled a dense patch against the wall as lung: deep
# inside the outline (farther than the band) the label stands; a hole's own border is an outline too.
expert = air.copy()
nodule = disc(shape[1:], (32, 30), 3)[None]
expert &= ~nodule
hu_dense = hu.copy()
hu_dense[nodule] = 30.0            # the nodule is tissue
hu_dense[0, 24:27, 28:31] = 10.0   # dense lung, 5+ pixels from any outline, labelled lung
snapped = dataset.snap_to_air_edge(expert, hu_dense, band=2, threshold_hu=-400)
check(snapped[0, 24:27, 28:31].all(), "dense lung far from the outline lost its expert label")
check(not (snapped & nodule).any(), "the excluded nodule became lung")
far = ~ndimage.binary_dilation(expert, cross, iterations=2) | ndimage.binary_erosion(expert, cross, iterations=2)
check(np.array_equal(snapped[far], expert[far]), "a pixel farther than the band from the outline changed")

# Slices are independent: an outline on slice 0 does not reach slice 1 through the band.
stack_hu = np.concatenate([hu, np.full(shape, -900.0, np.float32)])
stack = np.concatenate([np.roll(air, 1, axis=2), np.zeros(shape, bool)])
snapped = dataset.snap_to_air_edge(stack, stack_hu, band=2, threshold_hu=-400)
check(np.array_equal(snapped[0], air[0]), "the first slice of a stack was not snapped like a single slice")
check(not snapped[1].any(), "the band reached into the next slice")

# Carving only removes: a dense rim taken in by a coarse outline goes, air next to the outline (bowel gas, which
# snapping would have added) stays outside, and dense lung deeper than the band keeps its label.
grown = ndimage.binary_dilation(air, cross)
check(np.array_equal(dataset.carve_dense_edge(grown, hu, band=2, threshold_hu=-300), air),
      "carving a one-pixel dense rim did not give back the air disc")
shrunk = ndimage.binary_erosion(air, cross)
check(np.array_equal(dataset.carve_dense_edge(shrunk, hu, band=2, threshold_hu=-300), shrunk),
      "carving added pixels to an outline inside the air edge")
check(np.array_equal(dataset.carve_dense_edge(grown, hu, band=0, threshold_hu=-300), grown),
      "carving with band 0 changed the labels")
carved = dataset.carve_dense_edge(expert, hu_dense, band=2, threshold_hu=-300)
check(carved[0, 24:27, 28:31].all(), "carving removed dense lung farther than the band from the outline")
check(np.array_equal(carved, expert & (hu_dense < -300) | (expert & ~ndimage.binary_dilation(
    ~expert, cross, iterations=2))), "carving differs from: inside the band, lung where HU < -300")

# The whole-pixel alignment finds an outline's offset from the image, and leaves an outline on the edge alone.
for offset in [(0, 1), (-1, 0), (1, -1)]:
    moved = np.roll(air, offset, axis=(1, 2))
    shift = dataset.best_whole_pixel_shift(moved, hu)
    check(shift == (-offset[0], -offset[1]), f"an outline moved by {offset} was aligned with {shift}")
check(dataset.best_whole_pixel_shift(air, hu) == (0, 0), "an outline on the air edge was moved")
check(dataset.best_whole_pixel_shift(grown, hu) == (0, 0), "an outline one pixel too large all round was moved")

if failures:
    sys.exit(f"{len(failures)} check(s) failed")
print("training_labels_test: all checks passed")
