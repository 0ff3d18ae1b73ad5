"""Score a trained lung U-Net against the experts and the classical baseline, per case, in 3-D.

usage: python3 training/evaluate.py [--weights ~/.cache/cairn-train/model.pt] [--json out.json] [CASE...]

--weights takes model.pt (a state dict) or a resumable last.pt. The model's output goes
through the product's post-processing (threshold 0.5, two largest 3-D components, holes
filled per slice); left and right are then separated by connected components and scored
against the experts' left and right lungs as well.
"""
import argparse
import json
import os
import time

import torch

import baseline
import dataset
import dicom_io
import model as unet
import postprocess


def load_weights(path: str) -> unet.UNet:
    net = unet.build_model()
    state = torch.load(path, map_location="cpu")
    net.load_state_dict(state["model"] if "model" in state and "optimizer" in state else state)
    return net


def evaluate_case(net, case) -> dict:
    voxel_ml = case.volume.voxel_volume_ml
    start = time.perf_counter()
    predicted = postprocess.clean_lung_mask(dataset.predict_volume(net, case.volume.hu) > dataset.THRESHOLD)
    seconds = time.perf_counter() - start
    left, right = postprocess.split_left_right(predicted, case.volume.row_dir)
    classical = baseline.baseline_lungs(case.volume.hu)
    expert_ml = case.lungs.sum() * voxel_ml
    model_ml = predicted.sum() * voxel_ml
    return {
        "case": case.name,
        "use": "validation" if case.name in dicom_io.VALIDATION_CASES else
               "training" if case.name in dicom_io.TRAINING_CASES else "other",
        "dice_model": postprocess.dice(predicted, case.lungs),
        "dice_baseline": postprocess.dice(classical, case.lungs),
        "dice_left": postprocess.dice(left, case.left),
        "dice_right": postprocess.dice(right, case.right),
        "model_ml": model_ml,
        "baseline_ml": classical.sum() * voxel_ml,
        "expert_ml": expert_ml,
        "volume_error_pct": 100.0 * (model_ml - expert_ml) / expert_ml,
        "inference_seconds": seconds,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("cases", nargs="*", default=list(dicom_io.TRAINING_CASES + dicom_io.VALIDATION_CASES))
    parser.add_argument("--weights", default=os.path.expanduser("~/.cache/cairn-train/model.pt"))
    parser.add_argument("--data", default=dicom_io.default_data_root())
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    net = load_weights(args.weights)
    results = []
    print(f"{'case':16} {'use':10} {'model':>6} {'baseline':>8} {'left':>6} {'right':>6} "
          f"{'model mL':>9} {'expert mL':>9} {'vol err':>8} {'baseline mL':>11}")
    for name in args.cases:
        r = evaluate_case(net, dicom_io.load_lung_case(os.path.join(args.data, name)))
        results.append(r)
        print(f"{r['case']:16} {r['use']:10} {r['dice_model']:6.4f} {r['dice_baseline']:8.4f} {r['dice_left']:6.4f} "
              f"{r['dice_right']:6.4f} {r['model_ml']:9.0f} {r['expert_ml']:9.0f} {r['volume_error_pct']:+7.1f}% "
              f"{r['baseline_ml']:11.0f}", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"weights": os.path.abspath(args.weights), "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
