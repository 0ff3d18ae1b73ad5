"""Train the lung U-Net on LUNG1-002 and LUNG1-003, validating on onkodicom-RT02.

usage: python3 training/train.py [--checkpoint-dir ~/.cache/cairn-train] [--max-minutes 170]

The run is defined by its step count, not by wall time: --max-minutes only decides when
this process checkpoints and stops; running the same command again resumes from the
checkpoint directory until all --steps are done. Each step's batch and augmentation are
a function of (seed, step), so an interrupted run draws what an uninterrupted one would.
Writes into the checkpoint directory: last.pt (resumable state), model.pt (final weights),
train_log.csv (one row per step), validation.csv (one row per epoch), run.json.
"""
import argparse
import csv
import hashlib
import json
import math
import os
import platform
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

import dataset
import dicom_io
import model as unet
import postprocess

DATA_ARCHIVES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")
# Settings that define the model; a resumed run must use the same ones.
RECIPE_KEYS = ("seed", "steps", "batch", "lr", "min_lr", "warmup", "train_cases", "snap_band", "snap_hu", "ema",
               "align_labels", "carve_band", "carve_hu")
# Recipe settings added later, with the values that reproduce runs made before them.
RECIPE_DEFAULTS = {"snap_band": 0, "snap_hu": -400.0, "ema": 0.0, "align_labels": False, "carve_band": 0,
                   "carve_hu": -300.0}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default=dicom_io.default_data_root(), help="unpacked cases (shared/data/unpack.sh)")
    parser.add_argument("--archives", default=DATA_ARCHIVES_DIR, help="the .tar.xz archives, hashed into run.json")
    parser.add_argument("--checkpoint-dir", default=os.path.expanduser("~/.cache/cairn-train"))
    parser.add_argument("--train-cases", nargs="+", default=list(dicom_io.TRAINING_CASES))
    parser.add_argument("--validation-case", default=dicom_io.VALIDATION_CASES[0])
    parser.add_argument("--steps", type=int, default=1100, help="total optimiser steps (20 epochs of 218 slices at batch 4)")
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--lr", type=float, default=3e-4, help="peak Adam learning rate")
    parser.add_argument("--min-lr", type=float, default=1e-5, help="learning rate at the end of the cosine decay")
    parser.add_argument("--warmup", type=int, default=50, help="steps of linear warm-up")
    parser.add_argument("--seed", type=int, default=1729)
    parser.add_argument("--snap-band", type=int, default=0,
                        help="move the expert outlines onto the air edge within this many pixels (0: as drawn)")
    parser.add_argument("--snap-hu", type=float, default=-400.0, help="the air edge of --snap-band, in HU")
    parser.add_argument("--align-labels", action="store_true",
                        help="shift each case's expert masks by the whole pixel (-1, 0 or 1 in rows and columns) "
                             "that best matches the air edge (dataset.best_whole_pixel_shift)")
    parser.add_argument("--carve-band", type=int, default=0,
                        help="drop expert lung pixels within this many pixels inside the outline that are "
                             "denser than --carve-hu (0: as drawn)")
    parser.add_argument("--carve-hu", type=float, default=-300.0, help="the density limit of --carve-band, in HU")
    parser.add_argument("--ema", type=float, default=0.0,
                        help="keep an exponential moving average of the weights with this decay per step; "
                             "it is validated and becomes model.pt (0: the last step's weights)")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (the machine is shared: 1 unless it is free)")
    parser.add_argument("--max-minutes", type=float, default=170.0, help="stop (after checkpointing) before this much wall time")
    parser.add_argument("--checkpoint-minutes", type=float, default=10.0)
    parser.add_argument("--validate-every", type=int, default=0, help="steps between validations; 0 = once per epoch")
    return parser.parse_args(argv)


def learning_rate(step: int, args) -> float:
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = (step - args.warmup) / max(1, args.steps - args.warmup)
    return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * progress))


def loss_terms(logits: torch.Tensor, target: torch.Tensor) -> tuple:
    """Smoothed Dice over the whole batch plus binary cross-entropy.

    Dice is the quantity we are judged on and ignores the huge background; its smoothing
    term (1) keeps it defined on lung-free slices. Cross-entropy adds a per-pixel gradient
    that does not vanish when Dice saturates and keeps the outputs calibrated around the
    0.5 threshold the product uses.
    """
    probability = torch.sigmoid(logits)
    intersection = (probability * target).sum()
    dice_loss = 1 - (2 * intersection + 1) / (probability.sum() + target.sum() + 1)
    bce = F.binary_cross_entropy_with_logits(logits, target)
    return dice_loss, bce


def sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def data_hashes(args) -> dict:
    hashes = {}
    for name in args.train_cases + [args.validation_case]:
        path = os.path.join(args.archives, name + ".tar.xz")
        hashes[name + ".tar.xz"] = sha256(path) if os.path.exists(path) else "archive not found"
    return hashes


def validate(net, case) -> dict:
    start, cpu_start = time.perf_counter(), time.process_time()
    probability = dataset.predict_volume(net, case.volume.hu)
    raw = probability > dataset.THRESHOLD
    cleaned = postprocess.clean_lung_mask(raw)
    voxel_ml = case.volume.voxel_volume_ml
    expert_ml = case.lungs.sum() * voxel_ml
    return {
        "dice": postprocess.dice(cleaned, case.lungs),
        "dice_raw": postprocess.dice(raw, case.lungs),
        "volume_ml": cleaned.sum() * voxel_ml,
        "expert_ml": expert_ml,
        "seconds": time.perf_counter() - start,
        "cpu_seconds": time.process_time() - cpu_start,
    }


def save_atomically(obj, path: str):
    tmp = path + ".tmp"
    torch.save(obj, tmp)
    os.replace(tmp, path)


def append_csv(path: str, row: dict):
    new = not os.path.exists(path)
    with open(path, "a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow(row)


def trim_csv(path: str, last_step: int):
    """Drop rows logged after the checkpoint a resumed run restarts from."""
    if not os.path.exists(path):
        return
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if rows and int(rows[-1]["step"]) > last_step:
        with open(path, "w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(row for row in rows if int(row["step"]) <= last_step)


def main(argv=None):
    args = parse_args(argv)
    started = time.monotonic()
    torch.set_num_threads(args.threads)
    os.makedirs(args.checkpoint_dir, exist_ok=True)
    last_path = os.path.join(args.checkpoint_dir, "last.pt")
    recipe = {key: getattr(args, key) for key in RECIPE_KEYS}

    torch.manual_seed(args.seed)
    net = unet.build_model()
    optimizer = torch.optim.Adam(net.parameters(), lr=args.lr)
    # The average starts from the weights after the first step; with decay d it spans about 1 / (1 - d) steps.
    average = torch.optim.swa_utils.AveragedModel(
        net, avg_fn=lambda avg, new, count: args.ema * avg + (1 - args.ema) * new) if args.ema else None
    kept = average.module if average is not None else net  # the weights validated and saved as model.pt
    step = 0
    if os.path.exists(last_path):
        state = torch.load(last_path)
        if {**RECIPE_DEFAULTS, **state["recipe"]} != recipe:
            sys.exit(f"{last_path} was made with {state['recipe']}, not {recipe}: use another --checkpoint-dir")
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if args.ema:
            average.load_state_dict(state["ema"])
        step = state["step"]
        for log in ("train_log.csv", "validation.csv"):
            trim_csv(os.path.join(args.checkpoint_dir, log), step)
        print(f"resuming at step {step} of {args.steps}", flush=True)
    else:
        run_info = {"recipe": recipe, "command": " ".join([os.path.basename(sys.executable)] + sys.argv),
                    "torch": torch.__version__, "python": platform.python_version(),
                    "machine": platform.machine(), "threads": args.threads, "data_sha256": data_hashes(args)}
        with open(os.path.join(args.checkpoint_dir, "run.json"), "w") as f:
            json.dump(run_info, f, indent=2)
    if step >= args.steps:
        print("all steps done; weights in", os.path.join(args.checkpoint_dir, "model.pt"))
        return

    train_cases = [dicom_io.load_lung_case(os.path.join(args.data, name)) for name in args.train_cases]
    slices = dataset.SliceSet(train_cases, args.snap_band, args.snap_hu, args.align_labels, args.carve_band,
                              args.carve_hu)
    if args.align_labels:
        print("label shifts (rows, columns):", dict(zip(args.train_cases, slices.shifts)), flush=True)
    del train_cases
    validation_case = dicom_io.load_lung_case(os.path.join(args.data, args.validation_case))
    augment = dataset.Augmentation()
    steps_per_epoch = math.ceil(len(slices) / args.batch)
    validate_every = args.validate_every or steps_per_epoch
    print(f"{len(slices)} training slices, {steps_per_epoch} steps per epoch, {args.steps} steps, "
          f"{args.threads} thread(s), loading took {time.monotonic() - started:.0f} s", flush=True)

    def checkpoint():
        state = {"model": net.state_dict(), "optimizer": optimizer.state_dict(), "step": step, "recipe": recipe}
        if average is not None:
            state["ema"] = average.state_dict()
        save_atomically(state, last_path)

    last_checkpoint = time.monotonic()
    step_seconds = 0.0
    train_log = os.path.join(args.checkpoint_dir, "train_log.csv")
    while step < args.steps:
        # Stop with room for one more step, a validation and the checkpoint write.
        elapsed_min = (time.monotonic() - started) / 60
        if elapsed_min + 3 * step_seconds / 60 + 2 > args.max_minutes:
            print(f"time budget reached at step {step}", flush=True)
            break
        net.train()
        lr = learning_rate(step, args)
        for group in optimizer.param_groups:
            group["lr"] = lr
        t0, cpu0 = time.perf_counter(), time.process_time()
        x, y = dataset.training_batch(slices, augment, args.batch, args.seed, step)
        optimizer.zero_grad(set_to_none=True)
        dice_loss, bce = loss_terms(net.logits(x), y)
        loss = dice_loss + bce
        loss.backward()
        optimizer.step()
        if average is not None:
            average.update_parameters(net)
        step_seconds = time.perf_counter() - t0
        step_cpu_seconds = time.process_time() - cpu0
        step += 1
        append_csv(train_log, {"step": step, "epoch": f"{step / steps_per_epoch:.3f}", "lr": f"{lr:.3e}",
                               "loss": f"{loss.item():.5f}", "dice_loss": f"{dice_loss.item():.5f}",
                               "bce": f"{bce.item():.5f}", "seconds": f"{step_seconds:.2f}", "cpu_seconds": f"{step_cpu_seconds:.2f}"})
        if step % 10 == 0:
            print(f"step {step}/{args.steps} loss {loss.item():.4f} (dice {dice_loss.item():.4f} "
                  f"bce {bce.item():.4f}) lr {lr:.2e} {step_seconds:.2f} s/step", flush=True)
        if step % validate_every == 0 or step == args.steps:
            result = validate(kept, validation_case)
            append_csv(os.path.join(args.checkpoint_dir, "validation.csv"),
                       {"step": step, "epoch": f"{step / steps_per_epoch:.2f}", "case": validation_case.name,
                        "dice_3d": f"{result['dice']:.4f}", "dice_3d_raw": f"{result['dice_raw']:.4f}",
                        "volume_ml": f"{result['volume_ml']:.0f}", "expert_ml": f"{result['expert_ml']:.0f}",
                        "seconds": f"{result['seconds']:.0f}", "cpu_seconds": f"{result['cpu_seconds']:.0f}"})
            print(f"validation {validation_case.name} step {step}: Dice {result['dice']:.4f} "
                  f"(raw {result['dice_raw']:.4f}) volume {result['volume_ml']:.0f} mL vs {result['expert_ml']:.0f} mL "
                  f"[{result['seconds']:.0f} s]", flush=True)
            checkpoint()
            last_checkpoint = time.monotonic()
        elif time.monotonic() - last_checkpoint > 60 * args.checkpoint_minutes:
            checkpoint()
            last_checkpoint = time.monotonic()
    checkpoint()
    print(f"this session: {(time.monotonic() - started) / 60:.1f} min wall, {time.process_time() / 60:.1f} min CPU", flush=True)
    if step >= args.steps:
        if average is not None:
            save_atomically(net.state_dict(), os.path.join(args.checkpoint_dir, "model_last_step.pt"))
        save_atomically(kept.state_dict(), os.path.join(args.checkpoint_dir, "model.pt"))
        print("done; weights in", os.path.join(args.checkpoint_dir, "model.pt"))
    else:
        print(f"stopped at step {step} of {args.steps}; run the same command again to resume")


if __name__ == "__main__":
    main()
