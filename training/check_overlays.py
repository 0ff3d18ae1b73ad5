"""Write PNGs of CT slices with the rasterized expert lungs drawn over them, to check by eye.

usage: python3 training/check_overlays.py [--out ~/.cache/cairn-data/check] [CASE...]
Left lung in blue, right lung in red; the figures stay outside the repository.
"""
import argparse
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import dicom_io  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("cases", nargs="*", default=list(dicom_io.TRAINING_CASES + dicom_io.VALIDATION_CASES))
    parser.add_argument("--data", default=dicom_io.default_data_root())
    parser.add_argument("--out", default=os.path.join(dicom_io.default_data_root(), "check"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    for name in args.cases:
        case = dicom_io.load_lung_case(os.path.join(args.data, name))
        z_with_lung = np.nonzero(case.lungs.any(axis=(1, 2)))[0]
        picks = np.linspace(z_with_lung[0], z_with_lung[-1], 6).round().astype(int)[1:-1]
        fig, axes = plt.subplots(1, len(picks) + 1, figsize=(5 * (len(picks) + 1), 5))
        for ax, z in zip(axes, picks):
            ax.imshow(np.clip(case.volume.hu[z], -1000, 400), cmap="gray")
            ax.contour(case.left[z], levels=[0.5], colors="dodgerblue", linewidths=0.8)
            ax.contour(case.right[z], levels=[0.5], colors="red", linewidths=0.8)
            ax.set_title(f"{name} slice {z} ({case.volume.slice_offsets[z]:.1f} mm)")
            ax.axis("off")
        # A coronal reformat shows slice ordering and z matching at a glance.
        y = int(np.nonzero(case.lungs.any(axis=(0, 2)))[0].mean())
        aspect = case.volume.slice_spacing / case.volume.pixel_spacing[1]
        axes[-1].imshow(np.clip(case.volume.hu[::-1, y], -1000, 400), cmap="gray", aspect=aspect)
        axes[-1].contour(case.left[::-1, y], levels=[0.5], colors="dodgerblue", linewidths=0.8)
        axes[-1].contour(case.right[::-1, y], levels=[0.5], colors="red", linewidths=0.8)
        axes[-1].set_title(f"coronal row {y}, head up")
        axes[-1].axis("off")
        path = os.path.join(args.out, f"{name}.png")
        fig.tight_layout()
        fig.savefig(path, dpi=70)
        plt.close(fig)
        print(path)


if __name__ == "__main__":
    main()
