"""Preprocessing shared by training and inference, and augmented 2-D training slices.

Preprocessing (what the shipped model expects, and what its ONNX metadata will state):
  1. HU = stored value * RescaleSlope + RescaleIntercept.
  2. The axial slice is resampled to MODEL_SIZE x MODEL_SIZE by area averaging
     (a 512 x 512 slice: the mean of each 2 x 2 block).
  3. x = (clip(HU, HU_MIN, HU_MAX) - HU_CENTRE) / HU_HALF_RANGE, so x lies in [-1, 1].
  4. The sigmoid output is resampled back to the slice's size bilinearly
     (half-pixel centres, align_corners=False) and thresholded at THRESHOLD.
"""
import math

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage

import postprocess

MODEL_SIZE = 256
HU_MIN, HU_MAX = -1024.0, 600.0
HU_CENTRE = 0.5 * (HU_MIN + HU_MAX)        # -212
HU_HALF_RANGE = 0.5 * (HU_MAX - HU_MIN)    # 812
THRESHOLD = 0.5
# The 4-connected neighbourhood within an axial slice, for [z, y, x] masks.
SLICE_CROSS = np.zeros((1, 3, 3), bool)
SLICE_CROSS[0, 1, :] = SLICE_CROSS[0, :, 1] = True


def normalize_hu(hu: torch.Tensor) -> torch.Tensor:
    return (hu.clamp(HU_MIN, HU_MAX) - HU_CENTRE) / HU_HALF_RANGE


def resample_to_model(slices: torch.Tensor) -> torch.Tensor:
    """[n, h, w] -> [n, 1, MODEL_SIZE, MODEL_SIZE] by area averaging."""
    return F.interpolate(slices[:, None].float(), size=(MODEL_SIZE, MODEL_SIZE), mode="area")


def resample_from_model(probabilities: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """[n, 1, MODEL_SIZE, MODEL_SIZE] -> [n, height, width], bilinear, half-pixel centres."""
    return F.interpolate(probabilities, size=(height, width), mode="bilinear", align_corners=False)[:, 0]


@torch.no_grad()
def predict_volume(net, hu: np.ndarray, batch: int = 8) -> np.ndarray:
    """Probability of lung for each voxel of an [z, h, w] HU volume, at the volume's size."""
    net.eval()
    depth, height, width = hu.shape
    out = np.empty(hu.shape, dtype=np.float32)
    for start in range(0, depth, batch):
        chunk = torch.from_numpy(hu[start:start + batch])
        x = normalize_hu(resample_to_model(chunk))
        out[start:start + batch] = resample_from_model(net(x), height, width).numpy()
    return out


def snap_to_air_edge(lungs: np.ndarray, hu: np.ndarray, band: int, threshold_hu: float) -> np.ndarray:
    """Moves an expert outline onto the lung's own edge, within `band` pixels of it.

    Clinical RT contours are drawn with few points and, in NSCLC-Radiomics, sit up to about
    one pixel off the image (LUNG1-003's outlines agree best with the image shifted one
    column). Flips during training turn such an offset into a blurred boundary. Inside the
    band (pixels within `band` steps of the outline, in the slice, 4-connected) a pixel is
    lung when its HU lies below `threshold_hu`; outside it the expert's label stands, so
    what the experts chose (tumour excluded, dense lung included) is kept.
    """
    if band <= 0:
        return lungs
    inner = ndimage.binary_erosion(lungs, SLICE_CROSS, iterations=band)
    outer = ndimage.binary_dilation(lungs, SLICE_CROSS, iterations=band)
    return inner | (outer & ~inner & (hu < threshold_hu))


def whole_pixel_shift_scores(lungs: np.ndarray, snapped: np.ndarray) -> dict:
    """Dice of an expert mask shifted by (rows, columns), each -1, 0 or 1, against `snapped`, its own outline
    snapped onto the air edge (snap_to_air_edge)."""
    return {(dy, dx): postprocess.dice(np.roll(lungs, (dy, dx), axis=(1, 2)), snapped)
            for dy in (-1, 0, 1) for dx in (-1, 0, 1)}


def closest_shift(scores: dict) -> tuple:
    """The shift of whole_pixel_shift_scores with the best Dice; (0, 0) on a tie."""
    return max(scores, key=lambda shift: (scores[shift], shift == (0, 0)))


def best_whole_pixel_shift(lungs: np.ndarray, hu: np.ndarray, threshold_hu: float = -400.0) -> tuple:
    """The whole-pixel shift that brings an expert mask closest to its outline snapped onto the air edge within
    3 pixels: (0, 0) when the outlines sit on the image."""
    return closest_shift(whole_pixel_shift_scores(lungs, snap_to_air_edge(lungs, hu, 3, threshold_hu)))


def carve_dense_edge(lungs: np.ndarray, hu: np.ndarray, band: int, threshold_hu: float) -> np.ndarray:
    """Removes from an expert mask the pixels within `band` steps inside its outline (in the slice,
    4-connected) whose HU is at or above `threshold_hu`: chest wall, mediastinum or diaphragm that a coarse
    outline took in. Nothing is added, so air next to the lung (bowel gas, the other lung) never becomes
    lung; dense lung deeper than the band keeps the expert's label."""
    if band <= 0:
        return lungs
    inner = ndimage.binary_erosion(lungs, SLICE_CROSS, iterations=band)
    return inner | (lungs & ~inner & (hu < threshold_hu))


class SliceSet:
    """All axial slices of some cases at model size: HU and the expert lung fraction per pixel
    (optionally moved by best_whole_pixel_shift, then carve_dense_edge, then snap_to_air_edge)."""

    def __init__(self, cases, snap_band: int = 0, snap_hu: float = -400.0, align: bool = False,
                 carve_band: int = 0, carve_hu: float = -300.0):
        hu, target = [], []
        self.shifts = []
        for case in cases:
            hu.append(resample_to_model(torch.from_numpy(case.volume.hu))[:, 0])
            lungs = case.lungs
            if align:
                shift = best_whole_pixel_shift(lungs, case.volume.hu)
                self.shifts.append(shift)
                lungs = np.roll(lungs, shift, axis=(1, 2))
            lungs = carve_dense_edge(lungs, case.volume.hu, carve_band, carve_hu)
            lungs = snap_to_air_edge(lungs, case.volume.hu, snap_band, snap_hu)
            # The target keeps the fraction of each model pixel covered by lung (soft at the border).
            target.append(resample_to_model(torch.from_numpy(lungs.astype(np.float32)))[:, 0])
        self.hu = torch.cat(hu)
        self.target = torch.cat(target)

    def __len__(self):
        return len(self.hu)


class Augmentation:
    """Random geometric and intensity changes, drawn from a generator seeded per step so
    that a resumed run draws exactly what an uninterrupted one would have.

    Geometry: left-right flip (the lungs are mirror images to first order and the target is
    the union of both, so a flipped chest is a plausible chest; anterior-posterior and
    head-foot flips are not: supine patients lie on a table), rotation within +-10 degrees,
    isotropic zoom 0.7-1.45 (log-uniform) with +-5 % anisotropy, which makes the training
    scans' 500 mm field of view look like 345-715 mm (the validation scan has 650 mm,
    LIDC-IDRI-0001 360 mm), and a shift of up to 8 % of the frame. Intensity: HU scaled by 1 +- 5 % and offset by
    +-30 HU (scanner calibration), Gaussian noise of 0-25 HU (dose, kernel).
    """

    def __init__(self, rotation_deg=10.0, zoom=(0.7, 1.45), anisotropy=0.05, shift=0.08,
                 hu_scale=0.05, hu_offset=30.0, noise_hu=25.0):
        self.rotation = math.radians(rotation_deg)
        self.zoom = zoom
        self.anisotropy = anisotropy
        self.shift = shift
        self.hu_scale = hu_scale
        self.hu_offset = hu_offset
        self.noise_hu = noise_hu

    def __call__(self, hu: torch.Tensor, target: torch.Tensor, rng: np.random.Generator) -> tuple:
        """hu, target: [n, H, W]. Returns the network input and target, [n, 1, H, W]."""
        n = hu.shape[0]
        thetas = []
        for _ in range(n):
            angle = rng.uniform(-self.rotation, self.rotation)
            zoom = math.exp(rng.uniform(math.log(self.zoom[0]), math.log(self.zoom[1])))
            stretch = rng.uniform(-self.anisotropy, self.anisotropy)
            flip = -1.0 if rng.random() < 0.5 else 1.0
            # affine_grid maps output coordinates to input ones: dividing by the zoom enlarges.
            sx, sy = (1 + stretch) / zoom, (1 - stretch) / zoom
            c, s = math.cos(angle), math.sin(angle)
            tx, ty = rng.uniform(-self.shift, self.shift, size=2) * 2
            thetas.append([[c * sx * flip, -s * sy, tx], [s * sx * flip, c * sy, ty]])
        theta = torch.tensor(thetas, dtype=torch.float32)
        grid = F.affine_grid(theta, (n, 1) + tuple(hu.shape[1:]), align_corners=False)
        # Sample HU + 1024 so that the zero padding outside the frame reads as air (-1024 HU).
        warped_hu = F.grid_sample(hu[:, None] - HU_MIN, grid, mode="bilinear", padding_mode="zeros",
                                  align_corners=False) + HU_MIN
        warped_target = F.grid_sample(target[:, None], grid, mode="bilinear", padding_mode="zeros",
                                      align_corners=False)
        scale = torch.tensor(rng.uniform(1 - self.hu_scale, 1 + self.hu_scale, size=(n, 1, 1, 1)), dtype=torch.float32)
        offset = torch.tensor(rng.uniform(-self.hu_offset, self.hu_offset, size=(n, 1, 1, 1)), dtype=torch.float32)
        sigma = torch.tensor(rng.uniform(0, self.noise_hu, size=(n, 1, 1, 1)), dtype=torch.float32)
        noise = torch.from_numpy(rng.standard_normal(warped_hu.shape).astype(np.float32)) * sigma
        return normalize_hu(warped_hu * scale + offset + noise), warped_target


def training_batch(slices: SliceSet, augment: Augmentation, batch: int, seed: int, step: int) -> tuple:
    """The batch of a given step: a pure function of (seed, step), hence resumable."""
    rng = np.random.default_rng([seed, step])
    index = torch.from_numpy(rng.integers(0, len(slices), size=batch))
    return augment(slices.hu[index], slices.target[index], rng)
