"""Read a CT series and its RT-STRUCT lung contours into voxel arrays.

A case folder holds `ct/` (one DICOM file per slice) and, when labelled,
`rtstruct.dcm`. Everything is returned in the CT's own voxel grid, indexed
[slice, row, column], slices sorted along the slice normal.
"""
from __future__ import annotations

import dataclasses
import os
import re

import numpy as np
import pydicom


@dataclasses.dataclass
class CtVolume:
    hu: np.ndarray               # float32 [z, y, x], Hounsfield units
    positions: np.ndarray        # [z, 3] ImagePositionPatient of each slice (mm)
    row_dir: np.ndarray          # [3] direction of increasing column index
    col_dir: np.ndarray          # [3] direction of increasing row index
    normal: np.ndarray           # [3] row_dir x col_dir
    pixel_spacing: tuple         # (between rows, between columns) in mm
    slice_spacing: float         # distance between slice centres along the normal (mm)
    sop_uids: list

    @property
    def slice_offsets(self) -> np.ndarray:
        """Position of each slice along the normal (mm)."""
        return self.positions @ self.normal

    @property
    def voxel_volume_ml(self) -> float:
        return self.pixel_spacing[0] * self.pixel_spacing[1] * self.slice_spacing / 1000.0


def read_ct_series(folder: str) -> CtVolume:
    datasets = []
    for name in os.listdir(folder):
        ds = pydicom.dcmread(os.path.join(folder, name))
        if "PixelData" in ds:
            datasets.append(ds)
    if not datasets:
        raise ValueError(f"no image slices in {folder}")
    orientation = np.array(datasets[0].ImageOrientationPatient, dtype=np.float64)
    row_dir, col_dir = orientation[:3], orientation[3:]
    normal = np.cross(row_dir, col_dir)
    # Sort by position along the normal: InstanceNumber and file names are not reliable.
    datasets.sort(key=lambda ds: float(np.dot(np.array(ds.ImagePositionPatient, dtype=np.float64), normal)))
    positions = np.array([ds.ImagePositionPatient for ds in datasets], dtype=np.float64)
    offsets = positions @ normal
    gaps = np.diff(offsets)
    if len(gaps) and (gaps.min() <= 0 or gaps.max() - gaps.min() > 0.01 * gaps.mean()):
        raise ValueError(f"{folder}: slices are not evenly spaced (gaps {gaps.min():.3f}..{gaps.max():.3f} mm)")
    slice_spacing = float(gaps.mean()) if len(gaps) else float(datasets[0].SliceThickness)
    hu = np.empty((len(datasets), datasets[0].Rows, datasets[0].Columns), dtype=np.float32)
    for i, ds in enumerate(datasets):
        # Intercepts differ between sources (-1024 with unsigned pixels, 0 with signed ones).
        slope = float(getattr(ds, "RescaleSlope", 1.0))
        intercept = float(getattr(ds, "RescaleIntercept", 0.0))
        hu[i] = ds.pixel_array.astype(np.float32) * slope + intercept
    return CtVolume(
        hu=hu,
        positions=positions,
        row_dir=row_dir,
        col_dir=col_dir,
        normal=normal,
        pixel_spacing=(float(datasets[0].PixelSpacing[0]), float(datasets[0].PixelSpacing[1])),
        slice_spacing=slice_spacing,
        sop_uids=[str(ds.SOPInstanceUID) for ds in datasets],
    )


def read_rtstruct(path: str) -> dict:
    """ROI name -> list of closed planar contours, each an [n, 3] array in patient mm."""
    ds = pydicom.dcmread(path)
    names = {int(roi.ROINumber): str(roi.ROIName) for roi in ds.StructureSetROISequence}
    rois = {}
    for roi_contour in ds.ROIContourSequence:
        name = names.get(int(roi_contour.ReferencedROINumber))
        contours = []
        for contour in getattr(roi_contour, "ContourSequence", []):
            if contour.ContourGeometricType != "CLOSED_PLANAR":
                continue
            points = np.array(contour.ContourData, dtype=np.float64).reshape(-1, 3)
            if len(points) >= 3:
                contours.append(points)
        if name is not None:
            rois[name] = contours
    return rois


_LEFT = re.compile(r"(^|[^a-z])(l|lt|left|links|gauche|sin|sinistra)([^a-z]|$)")
_RIGHT = re.compile(r"(^|[^a-z])(r|rt|right|rechts|droit|droite|dx|dextra)([^a-z]|$)")
_EXCLUDE = re.compile(r"gtv|ctv|ptv|itv|tumou?r|nodule|minus|ring|prv|opt|avoid|contra|ipsi|total|both|lungs")


def find_lung_rois(names) -> tuple:
    """Return (left ROI name, right ROI name) among `names`.

    Matches case-insensitively a name that mentions 'lung' (or 'pulm') and a side
    marker, and ignores derived structures such as 'Lung-GTV' or a combined 'LUNGS'.
    """
    left, right = [], []
    for name in names:
        low = name.lower().strip()
        if not ("lung" in low or "pulm" in low) or _EXCLUDE.search(low):
            continue
        # Treat separators and the word 'lung' itself as boundaries: 'LUNG_L', 'Lung L', 'lungL', 'L Lung'.
        stripped = re.sub(r"lung|pulmo|pulm", " ", low)
        is_left, is_right = bool(_LEFT.search(stripped)), bool(_RIGHT.search(stripped))
        if is_left and not is_right:
            left.append(name)
        elif is_right and not is_left:
            right.append(name)
    if len(left) != 1 or len(right) != 1:
        raise ValueError(f"cannot pick one left and one right lung ROI from {list(names)} (left {left}, right {right})")
    return left[0], right[0]


def fill_polygons_even_odd(polygons, height: int, width: int) -> np.ndarray:
    """Rasterize polygons (lists of [n, 2] arrays of (column, row) pixel coordinates).

    A pixel is inside when its centre is crossed an odd number of times by a ray
    along its row, counting the edges of all polygons together: several outlines on
    one slice therefore combine even-odd (an outline inside another is a hole).
    """
    toggles = np.zeros((height, width + 1), dtype=np.int32)
    for poly in polygons:
        x0, y0 = poly[:, 0], poly[:, 1]
        x1, y1 = np.roll(x0, -1), np.roll(y0, -1)
        lo, hi = np.minimum(y0, y1), np.maximum(y0, y1)
        # Half-open rule [lo, hi) counts a vertex shared by two edges exactly once.
        first = np.maximum(np.ceil(lo), 0).astype(np.int64)
        last = np.minimum(np.ceil(hi) - 1, height - 1).astype(np.int64)
        for e in np.nonzero(last >= first)[0]:
            rows = np.arange(first[e], last[e] + 1)
            t = (rows - y0[e]) / (y1[e] - y0[e])
            xs = x0[e] + t * (x1[e] - x0[e])
            # Pixel column j is inside when x_cross <= j for an odd number of crossings.
            cols = np.clip(np.ceil(xs), 0, width).astype(np.int64)
            np.add.at(toggles, (rows, cols), 1)
    return (np.cumsum(toggles, axis=1)[:, :width] % 2).astype(bool)


def rasterize_contours(contours, volume: CtVolume, drop_duplicates: bool = True) -> tuple:
    """Binary mask [z, y, x] of the contours, with the number of contours that found no
    slice and the number dropped as duplicates."""
    depth, height, width = volume.hu.shape
    offsets = volume.slice_offsets
    per_slice = {}
    unmatched = 0
    for points in contours:
        offset = float(np.mean(points @ volume.normal))
        k = int(np.argmin(np.abs(offsets - offset)))
        if abs(offsets[k] - offset) > 0.5 * volume.slice_spacing:
            unmatched += 1
            continue
        rel = points - volume.positions[k]
        cols = rel @ volume.row_dir / volume.pixel_spacing[1]
        rows = rel @ volume.col_dir / volume.pixel_spacing[0]
        per_slice.setdefault(k, []).append(np.stack([cols, rows], axis=1))
    mask = np.zeros((depth, height, width), dtype=bool)
    duplicates = 0
    for k, polygons in per_slice.items():
        kept = []
        for polygon in polygons:
            filled = fill_polygons_even_odd([polygon], height, width)
            if drop_duplicates and any(_same_region(filled, other) for other in kept):
                duplicates += 1
                continue
            kept.append(filled)
        # Even-odd over several outlines is the XOR of their separate fills.
        for filled in kept:
            mask[k] ^= filled
    return mask, unmatched, duplicates


def _same_region(a: np.ndarray, b: np.ndarray) -> bool:
    """Clinical structure sets repeat an outline on a slice (LUNG1-002 holds up to 25
    copies, some with one point more or less); even-odd filling would cancel copies in
    pairs, so an outline covering the same pixels as one already kept is dropped."""
    union = np.count_nonzero(a | b)
    return union > 0 and np.count_nonzero(a & b) >= 0.95 * union


@dataclasses.dataclass
class LungCase:
    name: str
    volume: CtVolume
    left: np.ndarray     # bool [z, y, x]
    right: np.ndarray    # bool [z, y, x]

    @property
    def lungs(self) -> np.ndarray:
        return self.left | self.right


def load_lung_case(case_dir: str, drop_duplicates: bool = True) -> LungCase:
    """drop_duplicates=False reproduces a plain even-odd fill, which loses LUNG1-002's
    left lung on the slices where its outline is repeated an even number of times."""
    volume = read_ct_series(os.path.join(case_dir, "ct"))
    rois = read_rtstruct(os.path.join(case_dir, "rtstruct.dcm"))
    left_name, right_name = find_lung_rois(rois.keys())
    left, unmatched_left, _ = rasterize_contours(rois[left_name], volume, drop_duplicates)
    right, unmatched_right, _ = rasterize_contours(rois[right_name], volume, drop_duplicates)
    if unmatched_left or unmatched_right:
        raise ValueError(f"{case_dir}: {unmatched_left + unmatched_right} lung contours match no CT slice")
    return LungCase(os.path.basename(os.path.normpath(case_dir)), volume, left, right)


def default_data_root() -> str:
    return os.environ.get("CAIRN_DATA", os.path.expanduser("~/.cache/cairn-data"))


TRAINING_CASES = ("LUNG1-002", "LUNG1-003")
VALIDATION_CASES = ("onkodicom-RT02",)
