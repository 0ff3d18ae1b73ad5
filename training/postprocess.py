"""Mask clean-up and scores shared by the baseline, validation during training and evaluation."""
import numpy as np
from scipy import ndimage

# Full 26-neighbourhood in 3-D: a lung is one piece even where it narrows to a diagonal.
_CONNECT_3D = np.ones((3, 3, 3), dtype=bool)


def keep_largest_components(mask: np.ndarray, count: int = 2) -> np.ndarray:
    labels, n = ndimage.label(mask, structure=_CONNECT_3D)
    if n <= count:
        return mask.astype(bool)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    keep = np.argsort(sizes)[::-1][:count]
    return np.isin(labels, keep)


def fill_holes_per_slice(mask: np.ndarray) -> np.ndarray:
    """Fill holes slice by slice: vessels and airways inside a lung are holes in an axial
    slice, while in 3-D they run out to the mediastinum and would never be filled."""
    return np.stack([ndimage.binary_fill_holes(s) for s in mask])


def clean_lung_mask(mask: np.ndarray) -> np.ndarray:
    """The post-processing of the shipped model: two largest 3-D components, holes filled."""
    return fill_holes_per_slice(keep_largest_components(mask, 2))


def split_left_right(mask: np.ndarray, row_dir: np.ndarray) -> tuple:
    """Separate a lung mask into (left, right) by its two largest 3-D components, the one
    lying further towards the patient's left (+x in DICOM patient coordinates) being the
    left lung. When the lungs touch (one component) the mask is cut at the midline of
    its extent. Returns boolean masks."""
    labels, n = ndimage.label(mask, structure=_CONNECT_3D)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    order = np.argsort(sizes)[::-1]
    # Column index grows along row_dir; row_dir[0] > 0 means columns go towards patient left.
    sign = 1.0 if row_dir[0] >= 0 else -1.0
    if n >= 2 and sizes[order[1]] > 0.2 * sizes[order[0]]:
        a, b = labels == order[0], labels == order[1]
        col_a = np.nonzero(a.any(axis=(0, 1)))[0].mean()
        col_b = np.nonzero(b.any(axis=(0, 1)))[0].mean()
        return (a, b) if sign * (col_a - col_b) > 0 else (b, a)
    cols = np.nonzero(mask.any(axis=(0, 1)))[0]
    middle = 0.5 * (cols.min() + cols.max()) if len(cols) else 0
    towards_left = (np.arange(mask.shape[2]) - middle) * sign > 0
    return mask & towards_left, mask & ~towards_left


def dice(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.astype(bool), b.astype(bool)
    total = np.count_nonzero(a) + np.count_nonzero(b)
    return 2.0 * np.count_nonzero(a & b) / total if total else 1.0
