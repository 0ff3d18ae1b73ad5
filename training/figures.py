"""Pictures for the model card: where the lung U-Net succeeds and where it fails.

usage: python3 training/figures.py [--weights ~/.cache/cairn-train/model.pt] [--out models/lung-unet/figures]

Only the demo study LIDC-IDRI-0001 (CC BY 3.0, shippable) is drawn with its CT image. The
NSCLC-Radiomics (CC BY-NC) and OnkoDICOM cases may not be redistributed, so for them the
figure shows curves only: per-slice Dice of the model and of the classical baseline against
the experts, and the lung area per slice, with no pixel of the patient's image.
"""
import argparse
import os
import tarfile
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

import baseline  # noqa: E402
import dataset  # noqa: E402
import dicom_io  # noqa: E402
import evaluate  # noqa: E402
import postprocess  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def per_slice_dice(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    inter = (a & b).reshape(a.shape[0], -1).sum(1)
    total = a.reshape(a.shape[0], -1).sum(1) + b.reshape(b.shape[0], -1).sum(1)
    return np.where(total > 0, 2.0 * inter / np.maximum(total, 1), np.nan)


def curves_figure(net, case_name: str, data_root: str, out: str) -> None:
    case = dicom_io.load_lung_case(os.path.join(data_root, case_name))
    predicted = postprocess.clean_lung_mask(dataset.predict_volume(net, case.volume.hu) > dataset.THRESHOLD)
    classical = baseline.baseline_lungs(case.volume.hu)
    z = np.arange(case.lungs.shape[0])
    area_cm2 = case.volume.pixel_spacing[0] * case.volume.pixel_spacing[1] / 100.0
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 5.5), sharex=True)
    top.plot(z, per_slice_dice(predicted, case.lungs), label="model", color="#c62828")
    top.plot(z, per_slice_dice(classical, case.lungs), label="classical baseline", color="#546e7a", linestyle="--")
    top.set_ylabel("Dice per slice")
    top.set_ylim(0, 1.02)
    top.legend(loc="lower center")
    top.set_title(f"{case_name}: 3-D Dice model {postprocess.dice(predicted, case.lungs):.4f}, "
                  f"baseline {postprocess.dice(classical, case.lungs):.4f}")
    bottom.plot(z, case.lungs.reshape(len(z), -1).sum(1) * area_cm2, label="experts", color="black")
    bottom.plot(z, predicted.reshape(len(z), -1).sum(1) * area_cm2, label="model", color="#c62828")
    bottom.plot(z, classical.reshape(len(z), -1).sum(1) * area_cm2, label="baseline", color="#546e7a", linestyle="--")
    bottom.set_ylabel("lung area (cm²)")
    bottom.set_xlabel("slice (feet → head)")
    bottom.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    plt.close(fig)


def demo_figure(net, out: str, slices=(8, 30, 52)) -> None:
    archive = os.path.join(REPO, "demo", "LIDC-IDRI-0001.tar.xz")
    with tempfile.TemporaryDirectory() as tmp:
        with tarfile.open(archive) as tar:
            tar.extractall(tmp)  # our own archive (Python 3.11.2 has no extraction filters)
        volume = dicom_io.read_ct_series(os.path.join(tmp, "LIDC-IDRI-0001", "ct"))
    probability = dataset.predict_volume(net, volume.hu)
    predicted = postprocess.clean_lung_mask(probability > dataset.THRESHOLD)
    classical = baseline.baseline_lungs(volume.hu)
    fig, axes = plt.subplots(1, len(slices), figsize=(4.2 * len(slices), 4.6))
    for ax, index in zip(axes, slices):
        hu = volume.hu[index]
        ax.imshow(np.clip((hu + 1350) / 1500, 0, 1), cmap="gray", vmin=0, vmax=1)  # lung window W1500 L-600
        overlay = np.zeros(hu.shape + (4,))
        overlay[predicted[index]] = (1, 0, 0, 0.35)
        ax.imshow(overlay)
        ax.contour(classical[index], levels=[0.5], colors=["#29b6f6"], linewidths=0.8)
        ax.set_title(f"slice {index + 1}/{volume.hu.shape[0]}")
        ax.axis("off")
    fig.suptitle("LIDC-IDRI-0001 (demo study): model mask in red, classical baseline outlined in blue")
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=os.path.expanduser("~/.cache/cairn-train/model.pt"))
    parser.add_argument("--data", default=dicom_io.default_data_root())
    parser.add_argument("--out", default=os.path.join(REPO, "models", "lung-unet", "figures"))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    os.makedirs(args.out, exist_ok=True)
    net = evaluate.load_weights(args.weights)
    net.eval()
    demo_figure(net, os.path.join(args.out, "demo-lidc-idri-0001.png"))
    for name in dicom_io.TRAINING_CASES + dicom_io.VALIDATION_CASES:
        curves_figure(net, name, args.data, os.path.join(args.out, f"per-slice-{name}.png"))
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
